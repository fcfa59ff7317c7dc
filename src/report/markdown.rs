//! report: `summary.md`, sized for a CI step summary (GitHub's `$GITHUB_STEP_SUMMARY` takes up to
//! 1 MiB) — the verdict, totals by level, every failure with its reason, known failures and the
//! entries to remove from the baseline, the certification record, the coverage table, and the
//! defect matrix when one is given. Long lists are cut with a count of what was left out.

use std::fmt::Write as _;

use super::RunReport;
use super::defect_matrix::DefectMatrix;
use super::text;
use crate::case::Level;
use crate::case::catalogue::ItemKind;
use crate::outcome::{Outcome, Status};

/// Most failures listed one by one.
const MAX_FAILURES: usize = 100;
/// Most characters of one failure's text.
const MAX_FAILURE_CHARS: usize = 600;
/// Most lines of a failure's detail (a diff, schema violations).
const MAX_DETAIL_LINES: usize = 24;

/// Escapes text for a Markdown table cell or list item: no table breaks, no HTML, one line.
pub(super) fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            '`' => out.push('\''),
            _ => out.push(c),
        }
    }
    out
}

pub(super) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn level_row(out: &mut String, label: &str, outcomes: &[&Outcome]) {
    let count = |s: Status| outcomes.iter().filter(|o| o.status == s).count();
    let _ = writeln!(
        out,
        "| {label} | {} | {} | {} | {} | {} |",
        outcomes.len(),
        count(Status::Passed),
        count(Status::Failed),
        count(Status::Skipped),
        count(Status::KnownFailure)
    );
}

fn header(out: &mut String, report: &RunReport) {
    let s = report.summary;
    let _ = writeln!(
        out,
        "## car-conformance: {} — {} ({})\n",
        text::verdict(report),
        cell(&report.target.name),
        cell(&report.target.url)
    );
    if let Some(reason) = text::incomplete_reason(report) {
        let _ = writeln!(
            out,
            "**Incomplete run** — {}. The run did not test what it set out to, so it is not a pass.\n",
            cell(reason)
        );
    }
    if let Some(left) = text::left_behind(report) {
        let _ = writeln!(out, "**Sessions may be left behind** — {}.\n", cell(&left));
    }
    if let Some(cut) = text::records_cut(report) {
        let _ = writeln!(out, "**Records cut** — {}.\n", cell(&cut));
    }
    let _ = writeln!(
        out,
        "Suite {} {} · started {} · {} cases in {} · {} passed, {} failed, {} skipped, {} known failures · coverage {:.1}% of {} applicable items\n",
        report.suite.name,
        report.suite.version,
        report.started_at,
        s.total,
        text::millis(report.duration.as_millis()),
        s.passed,
        s.failed,
        s.skipped,
        s.known_failures,
        report.coverage.total.percent,
        report.coverage.total.applicable
    );
    if let Some(min) = report.min_coverage {
        let _ = writeln!(
            out,
            "Minimum coverage asked: {min}% — {}\n",
            if report.below_min_coverage() {
                "**not met**"
            } else {
                "met"
            }
        );
    }
    if let (Some(c), Some(f)) = (&report.certification, &report.fingerprint) {
        let _ = writeln!(
            out,
            "**Certification: {}** — must cases {} passed, {} failed, {} skipped of {}; suite fingerprint `sha256:{}`{}\n",
            if c.passed { "PASSED" } else { "NOT PASSED" },
            c.must.passed,
            c.must.failed,
            c.must.skipped,
            c.must.total,
            f.sha256,
            c.source
                .git_commit
                .as_ref()
                .map(|g| format!(", git `{g}`"))
                .unwrap_or_default()
        );
    }
    out.push_str("| level | cases | passed | failed | skipped | known failures |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|\n");
    for level in Level::ALL {
        let outcomes: Vec<&Outcome> = report.cases.iter().filter(|o| o.level == level).collect();
        level_row(out, level.as_str(), &outcomes);
    }
    let all: Vec<&Outcome> = report.cases.iter().collect();
    level_row(out, "**total**", &all);
    out.push('\n');
}

fn failures(out: &mut String, report: &RunReport) {
    let failed = report.cases_with(Status::Failed);
    if failed.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Failures ({})\n", failed.len());
    for outcome in failed.iter().take(MAX_FAILURES) {
        let _ = writeln!(
            out,
            "- **{}** `{}` — {}{}",
            outcome.level,
            outcome.id,
            cell(&outcome.title),
            match outcome.failing_level() {
                Some(level) if !level.fails_run() => {
                    " _(fails at info only: does not fail the run)_".to_owned()
                }
                Some(level) if level != outcome.level => format!(" _(fails at {level})_"),
                _ => String::new(),
            }
        );
        for failure in text::failures(outcome) {
            let mut lines = failure.lines();
            let first = lines.next().unwrap_or_default();
            let _ = writeln!(out, "  - {}", cell(&cut(first, MAX_FAILURE_CHARS)));
            // The rest (schema violations, a snapshot diff) keeps its lines in a code block.
            let rest: Vec<&str> = lines.take(MAX_DETAIL_LINES).collect();
            if !rest.is_empty() {
                // A lone CR ends a line for a Markdown renderer (not for `lines()`): one inside
                // the block would close it and let the rest render as Markdown and HTML.
                let block = crate::redact::for_terminal(&cut(&rest.join("\n"), MAX_FAILURE_CHARS))
                    .replace("```", "'''");
                let _ = writeln!(out, "\n    ```text");
                for line in block.lines() {
                    let _ = writeln!(out, "    {line}");
                }
                let _ = writeln!(out, "    ```\n");
            }
        }
    }
    if failed.len() > MAX_FAILURES {
        let _ = writeln!(
            out,
            "- … and {} more (see report.html)",
            failed.len() - MAX_FAILURES
        );
    }
    out.push('\n');
}

fn baseline(out: &mut String, report: &RunReport) {
    let Some(b) = &report.baseline else {
        return;
    };
    let _ = writeln!(
        out,
        "### Known failures ({} of {} listed in `{}`)\n",
        b.known_failures.len(),
        b.entries,
        cell(&b.file)
    );
    for entry in &b.known_failures {
        let _ = writeln!(out, "- `{}` — {}", entry.id, cell(&entry.reason));
    }
    if !b.now_passing.is_empty() {
        let _ = writeln!(
            out,
            "\n**{} known failure(s) now pass — remove them from the baseline:**\n",
            b.now_passing.len()
        );
        for entry in &b.now_passing {
            let _ = writeln!(out, "- `{}` (was: {})", entry.id, cell(&entry.reason));
        }
    }
    if !b.unknown.is_empty() {
        let _ = writeln!(
            out,
            "\nBaseline entries naming no case of this suite: {}",
            b.unknown
                .iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out.push('\n');
}

fn skipped(out: &mut String, report: &RunReport) {
    let skipped = report.cases_with(Status::Skipped);
    if skipped.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>Skipped ({})</summary>\n",
        skipped.len()
    );
    for outcome in skipped {
        let _ = writeln!(
            out,
            "- `{}` — {}",
            outcome.id,
            cell(&text::reason(report, outcome))
        );
    }
    out.push_str("\n</details>\n\n");
}

fn coverage(out: &mut String, report: &RunReport) {
    let c = &report.coverage;
    out.push_str("### Coverage of the catalogue\n\n");
    out.push_str(
        "| level | applicable | exercised | passed | failed | not applicable | coverage | documented | observed | inferred |\n",
    );
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for t in c.levels.iter().chain(std::iter::once(&c.total)) {
        let _ = writeln!(
            out,
            "| {} | {} |",
            t.level.map_or("**total**", |l| l.as_str()),
            t.cells().join(" | ")
        );
    }
    let _ = writeln!(
        out,
        "\n<details><summary>Every item ({})</summary>\n",
        c.items.len()
    );
    out.push_str("| item | kind | level | state | cases |\n|---|---|---|---|---:|\n");
    for item in &c.items {
        let state = match (&item.not_applicable, item.state) {
            (Some(why), _) => format!("n/a: {}", cell(why)),
            (None, Some(state)) => state.as_str().to_owned(),
            (None, None) => if item.cases.is_empty() {
                "uncovered"
            } else {
                "covered"
            }
            .to_owned(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            item.id,
            match item.kind {
                ItemKind::Rule => "rule",
                ItemKind::ErrorCode => "code",
            },
            item.level,
            state,
            item.cases.len()
        );
    }
    out.push_str("\n</details>\n\n");
}

fn defects(out: &mut String, matrix: &DefectMatrix) {
    let _ = writeln!(out, "### Defect matrix: {}\n", matrix.headline("; "));
    out.push_str("| defect | area | caught | caught by |\n|---|---|---|---|\n");
    for row in &matrix.defects {
        let by: Vec<String> = row
            .caught_by
            .iter()
            .take(5)
            .map(|c| format!("`{c}`"))
            .collect();
        let more = row.caught_by.len().saturating_sub(5);
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {}{} |",
            row.name,
            cell(&row.area),
            if row.is_caught() { "yes" } else { "**NO**" },
            by.join(", "),
            if more > 0 {
                format!(" +{more} more")
            } else {
                String::new()
            }
        );
    }
    out.push('\n');
    if matrix.variants.is_empty() {
        return;
    }
    out.push_str("| allowed variant | area | passed | failed by |\n|---|---|---|---|\n");
    for row in &matrix.variants {
        let by: Vec<String> = row
            .failed
            .iter()
            .map(|f| format!("`{}` ({})", f.case, f.level))
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            row.name,
            cell(&row.area),
            if row.is_passed() { "yes" } else { "**NO**" },
            by.join(", ")
        );
    }
    out.push('\n');
}

/// The Markdown summary of a run.
pub fn render(report: &RunReport, matrix: Option<&DefectMatrix>) -> String {
    let mut out = String::new();
    header(&mut out, report);
    failures(&mut out, report);
    baseline(&mut out, report);
    skipped(&mut out, report);
    coverage(&mut out, report);
    if let Some(matrix) = matrix {
        defects(&mut out, matrix);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::FailureKind;
    use crate::report::fixtures::{failed, outcome, report, success_instead_of};

    #[test]
    fn totals_failures_and_coverage_are_shown_and_cells_stay_in_their_table() {
        let mut failed = failed("p/a", Level::Must, success_instead_of("MissingParameter"));
        failed.title = "pipe | and <tag>".into();
        let r = report(
            vec![
                failed,
                outcome("p/b", Level::Should, Status::Passed),
                outcome("p/c", Level::Info, Status::Skipped),
            ],
            50.0,
            None,
        );
        let md = render(&r, None);
        assert!(
            md.starts_with("## car-conformance: FAIL — mock (http://127.0.0.1:1)\n"),
            "{md}"
        );
        assert!(md.contains("| must | 1 | 0 | 1 | 0 | 0 |\n"), "{md}");
        assert!(md.contains("| **total** | 3 | 1 | 1 | 1 | 0 |\n"), "{md}");
        assert!(
            md.contains("### Failures (1)\n\n- **must** `p/a` — pipe \\| and &lt;tag&gt;\n"),
            "{md}"
        );
        assert!(
            md.contains(
                "  - [must] step 1 (CreateSession): outcome: expected MissingParameter, got success\n"
            ),
            "{md}"
        );
        assert!(
            md.contains("<details><summary>Skipped (1)</summary>"),
            "{md}"
        );
        assert!(md.contains("### Coverage of the catalogue"), "{md}");
        assert!(!md.contains("Defect matrix"));
    }

    #[test]
    fn the_defect_matrix_is_shown_when_given() {
        let matrix = DefectMatrix::from_json(
            r#"{"defects": [{"name": "skip-signature", "area": "signature", "caught_by": ["a/b"]},
                            {"name": "no-rate-limit", "area": "rate-limit", "caught_by": []}]}"#,
        )
        .unwrap();
        let md = render(&report(vec![], 100.0, None), Some(&matrix));
        assert!(
            md.contains("### Defect matrix: 1 of 2 defects caught (50.0%)"),
            "{md}"
        );
        assert!(
            md.contains("| `no-rate-limit` | rate-limit | **NO** |  |"),
            "{md}"
        );
        assert!(!md.contains("allowed variant"));
        let matrix = DefectMatrix::from_json(
            r#"{"defects": [], "variants": [{"name": "pretty-json", "area": "response"},
                 {"name": "request-id-opaque", "area": "response",
                  "failed": [{"case": "a/b", "level": "must", "reason": "r"}]}]}"#,
        )
        .unwrap();
        let md = render(&report(vec![], 100.0, None), Some(&matrix));
        assert!(md.contains("; 1 of 2 allowed variants passed"), "{md}");
        assert!(md.contains("| `pretty-json` | response | yes |  |"), "{md}");
        assert!(
            md.contains("| `request-id-opaque` | response | **NO** | `a/b` (must) |"),
            "{md}"
        );
    }

    #[test]
    fn multi_line_failures_keep_their_lines_in_a_code_block() {
        let kind = FailureKind::Snapshot {
            snapshot: "s.snap".into(),
            diff: "-  A\n+  B ```".into(),
        };
        let failed = failed("p/a", Level::Info, kind);
        let md = render(&report(vec![failed], 0.0, None), None);
        assert!(
            md.contains(
                "  - [info] step 1 (CreateSession): the answer differs from the snapshot s.snap:\n\n    ```text\n    -  A\n    +  B '''\n    ```\n"
            ),
            "{md}"
        );
    }

    #[test]
    fn a_lone_carriage_return_cannot_close_the_code_block() {
        let kind = FailureKind::Snapshot {
            snapshot: "s.snap".into(),
            diff: "-  A\n+  B\r```\r<img src=x onerror=alert(1)>\r# Heading\r[link](http://x)"
                .into(),
        };
        let failed = failed("p/a", Level::Must, kind);
        let md = render(&report(vec![failed], 0.0, None), None);
        assert!(!md.contains('\r'), "{md:?}");
        let block = md.split("```text").nth(1).unwrap();
        let (inside, _) = block.split_once("\n    ```\n").unwrap();
        assert!(inside.contains("<img src=x onerror"), "{md}");
        assert!(
            !md.split("```text").next().unwrap().contains("<img"),
            "{md}"
        );
    }

    #[test]
    fn long_failure_lists_are_cut() {
        let cases: Vec<Outcome> = (0..MAX_FAILURES + 3)
            .map(|i| outcome(&format!("f/{i:03}"), Level::Must, Status::Failed))
            .collect();
        let md = render(&report(cases, 0.0, None), None);
        assert!(md.contains("- … and 3 more (see report.html)"), "{md}");
    }
}
