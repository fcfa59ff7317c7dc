//! report: `compare`'s matrix for people — the terminal (target text made harmless), a Markdown
//! table for summary.md, and a self-contained HTML page whose "differences only" filter is a
//! checkbox and CSS (the page runs no script at all, and its Content-Security-Policy says so).

use std::fmt::Write as _;

use super::compare::{Cell, Comparison, Row};
use super::html::esc;
use super::markdown::{cell as md, cut};
use crate::redact::for_terminal;

/// Most characters of a reason shown in a table cell.
const MAX_REASON: usize = 160;

fn verdict_word(comparison: &Comparison) -> &'static str {
    if comparison.fails() { "FAIL" } else { "PASS" }
}

fn oracle_line(comparison: &Comparison) -> String {
    match &comparison.oracle {
        Some(name) => {
            format!("oracle: {name} (cases resting on inference are judged by agreement with it)")
        }
        None => "no oracle: every target is judged by the cases' expectations".to_owned(),
    }
}

/// The matrix for the terminal: the targets and their verdicts, each differing row with one
/// line per target, then (unless `differences_only`) the rows every target shares on one line.
pub fn terminal(comparison: &Comparison, differences_only: bool) -> String {
    let mut out = String::new();
    let width = comparison
        .targets
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "\ncompare: {} cases on {} targets; {}",
        comparison.cases,
        comparison.targets.len(),
        oracle_line(comparison)
    );
    for t in &comparison.targets {
        let _ = writeln!(
            out,
            "  {:width$}  {} {}  run {}, compared {}{}",
            t.name,
            t.kind,
            t.url,
            t.run_verdict,
            t.verdict,
            counts(t.failing, t.disagreements, t.discrepancies)
        );
    }
    let _ = writeln!(
        out,
        "\ndifferences: {} of {} cases",
        comparison.differing, comparison.cases
    );
    for row in comparison.rows.iter().filter(|r| r.differs) {
        let _ = writeln!(out, "  {} [{}, {}]", row.id, row.level, row.evidence);
        for c in &row.cells {
            let reason = c
                .reason
                .as_deref()
                .map(|r| format!(": {}", cut(r, MAX_REASON)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "    {:width$}  {}  {}{reason}",
                c.target,
                c.answer_line(),
                c.verdict_line()
            );
        }
    }
    let same: Vec<&Row> = comparison.rows.iter().filter(|r| !r.differs).collect();
    if !differences_only && !same.is_empty() {
        let _ = writeln!(out, "\nthe same on every target that ran them:");
        for row in same {
            let _ = writeln!(out, "  {} [{}]  {}", row.id, row.level, same_cell(row));
        }
    }
    let _ = writeln!(
        out,
        "\ncompare verdict: {} ({} of {} cases differ)",
        verdict_word(comparison),
        comparison.differing,
        comparison.cases
    );
    for_terminal(&out).into_owned()
}

fn counts(failing: usize, disagreements: usize, discrepancies: usize) -> String {
    let mut parts = Vec::new();
    if failing > 0 {
        parts.push(format!("{failing} must/should cell(s) failing"));
    }
    if disagreements > 0 {
        parts.push(format!("{disagreements} disagreement(s) with the oracle"));
    }
    if discrepancies > 0 {
        parts.push(format!("{discrepancies} documentation discrepancy(ies)"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

/// A row every target shares, as one cell: the first target that ran it stands for all.
fn same_cell(row: &Row) -> String {
    row.cells
        .iter()
        .find(|c| c.verdict != super::compare::CellVerdict::Skipped)
        .or(row.cells.first())
        .map(|c| format!("{}  {}", c.answer_line(), c.verdict_line()))
        .unwrap_or_default()
}

fn md_cell(c: &Cell) -> String {
    let mut text = format!("{} — **{}**", md(&c.answer_line()), md(&c.verdict_line()));
    if let Some(reason) = c.reason.as_deref().filter(|_| c.verdict.is_failure()) {
        let _ = write!(text, "<br>{}", md(&cut(reason, MAX_REASON)));
    }
    text
}

/// summary.md of a comparison: the targets with their verdicts, then the matrix, differing rows
/// first.
pub fn markdown(comparison: &Comparison) -> String {
    let mut out = format!(
        "# car-conformance compare: {}\n\n{}.\n\n| Target | Kind | URL | Run | Compared |\n|---|---|---|---|---|\n",
        verdict_word(comparison),
        md(&oracle_line(comparison))
    );
    for t in &comparison.targets {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | **{}**{} |",
            md(&t.name),
            t.kind,
            md(&t.url),
            t.run_verdict,
            t.verdict,
            md(&counts(t.failing, t.disagreements, t.discrepancies))
        );
    }
    let _ = write!(
        out,
        "\n## Matrix: {} of {} cases differ\n\n| Case | Level | Evidence |",
        comparison.differing, comparison.cases
    );
    for t in &comparison.targets {
        let _ = write!(out, " {} |", md(&t.name));
    }
    out.push_str("\n|---|---|---|");
    out.push_str(&"---|".repeat(comparison.targets.len()));
    out.push('\n');
    for row in &comparison.rows {
        let mark = if row.differs { "**≠** " } else { "" };
        let _ = write!(
            out,
            "| {mark}`{}` | {} | {} |",
            md(&row.id),
            row.level,
            row.evidence
        );
        for c in &row.cells {
            let _ = write!(out, " {} |", md_cell(c));
        }
        out.push('\n');
    }
    out
}

/// The page's policy: nothing loaded, no script at all, inline styles only.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/// The filter: the checkbox hides the rows every target shares, with CSS alone.
const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}code{font-size:90%}tr.differs td:first-child{border-left:4px solid #c60}
.v-passed,.v-agrees,.v-oracle{color:#176f2c}.v-failed,.v-disagrees{color:#b00020;font-weight:600}
.v-discrepancy{color:#8a5a00;font-weight:600}.v-skipped,.v-known-failure{color:#666}
.reason{display:block;color:#555;font-size:90%}
#differences-only:checked~table tr.same{display:none}
";

fn html_cell(id: &str, c: &Cell) -> String {
    // The case in that target's own report (report.html's anchors are `case-ID`).
    let link = format!("{}/report.html#case-{}", esc(&c.target), esc(id));
    let reason = c
        .reason
        .as_deref()
        .map(|r| format!("<span class=\"reason\">{}</span>", esc(&cut(r, MAX_REASON))))
        .unwrap_or_default();
    format!(
        "<td><code>{}</code> <a class=\"v-{}\" href=\"{link}\">{}</a>{reason}</td>",
        esc(&c.answer_line()),
        c.verdict.as_str(),
        esc(&c.verdict_line())
    )
}

/// report.html of a comparison: one page, no script; each verdict links to the case in that
/// target's own report (`NAME/report.html` beside it).
pub fn html(comparison: &Comparison) -> String {
    let verdict = verdict_word(comparison);
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <title>car-conformance compare: {verdict}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <h1>car-conformance compare: {verdict}</h1>\n<p>{}.</p>\n\
         <table><tr><th>Target</th><th>Kind</th><th>URL</th><th>Run</th><th>Compared</th></tr>\n",
        esc(&oracle_line(comparison))
    );
    for t in &comparison.targets {
        let _ = writeln!(
            out,
            "<tr><td><a href=\"{0}/report.html\">{0}</a></td><td>{1}</td><td><code>{2}</code></td><td>{3}</td><td><b>{4}</b>{5}</td></tr>",
            esc(&t.name),
            t.kind,
            esc(&t.url),
            t.run_verdict,
            t.verdict,
            esc(&counts(t.failing, t.disagreements, t.discrepancies))
        );
    }
    let _ = write!(
        out,
        "</table>\n<section id=\"compare\">\n<h2>Matrix: {} of {} cases differ</h2>\n\
         <input type=\"checkbox\" id=\"differences-only\"><label for=\"differences-only\"> differences only</label>\n\
         <table>\n<tr><th>Case</th><th>Level</th><th>Evidence</th>",
        comparison.differing, comparison.cases
    );
    for t in &comparison.targets {
        let _ = write!(out, "<th>{}</th>", esc(&t.name));
    }
    out.push_str("</tr>\n");
    for row in &comparison.rows {
        let _ = write!(
            out,
            "<tr class=\"{}\"><td><code>{}</code></td><td>{}</td><td>{}</td>",
            if row.differs { "differs" } else { "same" },
            esc(&row.id),
            row.level,
            row.evidence
        );
        for c in &row.cells {
            out.push_str(&html_cell(&row.id, c));
        }
        out.push_str("</tr>\n");
    }
    let _ = write!(
        out,
        "</table>\n</section>\n<footer>Generated by car-conformance {}</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::report::compare::tests::{case, catalogue, exchange};
    use crate::report::fixtures::report;

    /// Two targets, one answering a hostile code (an escape sequence, markup, a table pipe).
    fn hostile() -> Comparison {
        const HOSTILE: &str = "Evil\u{1b}[2J<img src=x>|x";
        let good = report(
            vec![case(
                "a/x",
                Level::Must,
                &["doc"],
                &["MissingParameter"],
                None,
            )],
            100.0,
            None,
        );
        let mut bad = report(
            vec![case(
                "a/x",
                Level::Must,
                &["doc"],
                &["MissingParameter"],
                Some(Level::Must),
            )],
            100.0,
            None,
        );
        bad.cases[0].exchanges = vec![exchange(0, HOSTILE)];
        if let Some(f) = bad.cases[0].failures.first_mut() {
            f.kind = crate::outcome::FailureKind::Outcome {
                expected: "MissingParameter".into(),
                actual: HOSTILE.into(),
            };
        }
        Comparison::build(&[("good", &good), ("bad", &bad)], None, &catalogue())
    }

    #[test]
    fn target_text_is_harmless_in_every_rendering() {
        let c = hostile();
        let text = terminal(&c, false);
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("differences: 1 of 1 cases"), "{text}");
        assert!(text.contains("compare verdict: FAIL"), "{text}");
        let md = markdown(&c);
        assert!(!md.contains("<img") && md.contains("\\|x"), "{md}");
        let html = html(&c);
        assert!(!html.contains("<img") && html.contains("&lt;img"), "{html}");
        assert!(!html.contains("<script"));
    }

    #[test]
    fn differences_only_leaves_the_shared_rows_out_of_the_terminal_only() {
        let same = report(
            vec![case("s/same", Level::Info, &["doc"], &["success"], None)],
            100.0,
            None,
        );
        let c = Comparison::build(&[("a", &same), ("b", &same)], None, &catalogue());
        assert!(terminal(&c, false).contains("s/same [info]  success  passed"));
        assert!(!terminal(&c, true).contains("s/same"));
        assert!(markdown(&c).contains("| `s/same` | info | documented |"));
        assert!(html(&c).contains("<tr class=\"same\">"));
    }
}
