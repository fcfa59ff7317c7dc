//! report: the closing summary printed after the cases — failures first (one line each; their
//! details were shown as they happened), then failures at `info` only, skipped cases grouped by
//! reason, notes, the totals and the verdict, which is the last line.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::RunReport;
use super::console::{Ending, one_line_reason, paint};
use super::verdict::Verdict;
use crate::outcome::Outcome;
use crate::redact::for_terminal;

/// Most skipped cases listed one by one under a shared reason; more are counted.
const SKIPPED_LISTED: usize = 3;

/// The closing summary without styles (reports, tests).
pub fn render_summary(report: &RunReport) -> String {
    anstream::adapter::strip_str(&render_closing(report)).to_string()
}

/// The closing summary with ANSI styles, for a stream that keeps or drops them.
pub fn render_closing(report: &RunReport) -> String {
    let mut out = String::new();
    let known = |o: &Outcome| super::text::known_reason(report, &o.id).map(str::to_owned);
    for (ending, heading) in [
        (Ending::Failed, "failed:"),
        (Ending::Known, "known failures (listed in the baseline):"),
        (
            Ending::InfoFailed,
            "failed at info only (these never fail a run):",
        ),
    ] {
        let cases: Vec<&Outcome> = report
            .cases
            .iter()
            .filter(|o| Ending::of(o) == ending)
            .collect();
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{heading}");
        for o in cases {
            let _ = writeln!(
                out,
                "    {} [{}] {}: {}",
                paint(ending.style(), ending.word()),
                o.failing_level().unwrap_or(o.level).as_str(),
                for_terminal(&o.id),
                one_line_reason(o, known(o).as_deref()).unwrap_or_default()
            );
        }
    }
    skipped(report, &mut out);
    let notes: Vec<(&str, &String)> = report
        .cases
        .iter()
        .flat_map(|o| o.notes.iter().map(move |n| (o.id.as_str(), n)))
        .collect();
    if !notes.is_empty() {
        out.push_str("notes:\n");
        for (id, note) in notes {
            let _ = writeln!(out, "    {}: {}", for_terminal(id), for_terminal(note));
        }
    }
    let s = report.summary;
    let count = |n: usize, ending: Ending, words: &str| {
        let text = format!("{n} {words}");
        if n == 0 {
            text
        } else {
            paint(ending.style(), &text)
        }
    };
    let _ = writeln!(
        out,
        "\ncar-conformance {} against {} ({}): {} cases, {}, {} (must {}, should {}, info {}), {}, {} in {}",
        report.suite.version,
        for_terminal(&report.target.url),
        for_terminal(&report.target.name),
        s.total,
        count(s.passed, Ending::Passed, "passed"),
        count(s.failed_must + s.failed_should, Ending::Failed, "failed"),
        s.failed_must,
        s.failed_should,
        s.failed_info,
        count(s.skipped, Ending::Skipped, "skipped"),
        count(s.known_failures, Ending::Known, "known failures"),
        crate::plan::duration::human(report.duration),
    );
    let _ = write!(
        out,
        "coverage: {:.1}% of {} applicable catalogue items exercised",
        report.coverage.total.percent, report.coverage.total.applicable
    );
    match report.min_coverage {
        Some(min) if report.below_min_coverage() => {
            let _ = writeln!(out, " — below --min-coverage {min}%");
        }
        Some(min) => {
            let _ = writeln!(out, " (--min-coverage {min}% met)");
        }
        None => out.push('\n'),
    }
    if let Some(cut) = super::text::records_cut(report) {
        let _ = writeln!(out, "{cut}");
    }
    let _ = writeln!(out, "verdict: {}", verdict_line(report));
    out
}

/// `PASS` green, `FAIL` red, `INCOMPLETE` yellow, then what `text::verdict_line` adds after the
/// label (the reason of an incomplete run, the UserIds left behind).
fn verdict_line(report: &RunReport) -> String {
    let verdict = &report.verdict;
    let color = match verdict {
        Verdict::Pass => AnsiColor::Green,
        Verdict::Fail => AnsiColor::Red,
        Verdict::Incomplete { .. } => AnsiColor::Yellow,
    };
    let label = paint(
        Style::new().fg_color(Some(color.into())).bold(),
        verdict.label(),
    );
    let line = super::text::verdict_line(report);
    let rest = line.strip_prefix(verdict.label()).unwrap_or(&line);
    format!("{label}{}", for_terminal(rest))
}

/// Skipped cases, one line per reason: a run against a URL skips dozens of mock-only cases for
/// the same reason, and one stopped early leaves hundreds not run.
fn skipped(report: &RunReport, out: &mut String) {
    let mut by_reason: Vec<(&str, Vec<&str>)> = Vec::new();
    for o in report
        .cases
        .iter()
        .filter(|o| Ending::of(o) == Ending::Skipped)
    {
        let reason = o.skip_reason.as_deref().unwrap_or("skipped");
        match by_reason.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, ids)) => ids.push(&o.id),
            None => by_reason.push((reason, vec![&o.id])),
        }
    }
    if by_reason.is_empty() {
        return;
    }
    out.push_str("skipped:\n");
    for (reason, ids) in by_reason {
        let shown = match ids.as_slice() {
            [one] => (*one).to_owned(),
            few if few.len() <= SKIPPED_LISTED => few.join(", "),
            [first, .., last] => format!("{} cases ({first} … {last})", ids.len()),
            [] => continue,
        };
        let _ = writeln!(
            out,
            "    {}: {}",
            for_terminal(&shown),
            for_terminal(reason)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::outcome::{Failure, FailureKind, Status, StepRef};
    use crate::report::fixtures::{outcome, report};

    #[test]
    fn failures_come_first_and_skips_share_a_line_per_reason() {
        let mut failed = outcome("z/failed", Level::Must, Status::Failed);
        failed.failures.push(Failure {
            step: StepRef {
                phase: "steps",
                index: 0,
                label: "CreateSession".into(),
                copy: None,
            },
            exchange: None,
            level: Level::Must,
            kind: FailureKind::Status {
                expected: 200,
                actual: 500,
            },
        });
        let mut cases: Vec<Outcome> = (0..5)
            .map(|i| outcome(&format!("a/skip-{i}"), Level::Must, Status::Skipped))
            .collect();
        cases.push(outcome("b/info", Level::Info, Status::Failed));
        cases.push(failed);
        let text = render_summary(&report(cases, 10.0, None));
        assert!(
            text.starts_with(
                "failed:\n    FAIL [must] z/failed: [must] step 1 (CreateSession): HTTP status: expected 200, got 500\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "failed at info only (these never fail a run):\n    INFO-FAIL [info] b/info: "
            ),
            "{text}"
        );
        assert!(
            text.contains("skipped:\n    5 cases (a/skip-0 … a/skip-4): mock-only\n"),
            "{text}"
        );
        assert!(text.ends_with("verdict: FAIL\n"), "{text}");
        assert_eq!(text.lines().count(), 10, "{text}");
    }

    #[test]
    fn the_verdict_is_coloured_and_the_plain_text_has_no_style() {
        let r = report(vec![outcome("a", Level::Must, Status::Passed)], 50.0, None);
        assert!(render_closing(&r).contains("\u{1b}[1m\u{1b}[32mPASS\u{1b}[0m"));
        assert!(!render_summary(&r).contains('\u{1b}'));
    }
}
