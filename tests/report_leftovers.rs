//! A run that may leave a session on the target says so in its verdict, in every format that
//! prints one (console, summary.md, report.html, report.json), not only in its exit code 3 and
//! the sessions line (issue 15).

mod common;

use std::sync::Arc;

use common::cases::{lock_only, session_steps, write_cases};
use common::misbehaving::{Misbehaving, Misbehaviour, Script, scripted_with_hang_case};
use common::report::{report, schema_errors};
use common::{shown, suite, temp_dir, text};

const SAID: &str = "1 UserId(s) may still hold a lock or session on the target (carconf-";

#[test]
fn every_verdict_line_names_what_may_be_left() {
    // CreateSession never answers (so it may have created a session) and DestroySession fails.
    let script = Script {
        hang_create: true,
        destroy_error: Some("FailedOperation.Scripted"),
        ..Script::default()
    };
    let (_script, target, cases) =
        scripted_with_hang_case(script, "verdict-left-cases", session_steps());
    let report_dir = temp_dir("verdict-left-report");
    let output = suite(&target.url, &["--case-timeout", "1s"], &cases, &report_dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", shown(&output));
    let stdout = text(&output.stdout);
    let verdict = stdout
        .lines()
        .find(|l| l.starts_with("verdict: "))
        .unwrap_or_default();
    assert!(
        verdict.starts_with("verdict: FAIL; ") && verdict.contains(SAID),
        "{verdict}"
    );
    assert!(
        verdict.ends_with("destroy them with DestroySession (exit 3)"),
        "{verdict}"
    );

    let summary = std::fs::read_to_string(report_dir.join("summary.md")).unwrap();
    assert!(
        summary.contains(&format!("**Sessions may be left behind** — {SAID}")),
        "{summary}"
    );
    let html = std::fs::read_to_string(report_dir.join("report.html")).unwrap();
    assert!(
        html.contains(SAID),
        "report.html says nothing of the leftovers"
    );
    let json = report(&report_dir);
    let left = json["left_behind"].as_array().unwrap();
    assert_eq!(left.len(), 1, "{}", json["left_behind"]);
    assert!(left[0].as_str().unwrap().starts_with("carconf-"));
    assert!(verdict.contains(left[0].as_str().unwrap()), "{verdict}");
    assert_eq!(schema_errors(&json), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&cases);
    let _ = std::fs::remove_dir_all(&report_dir);
}

#[test]
fn a_clean_run_says_nothing_of_leftovers() {
    let target = Misbehaving::start(Misbehaviour::Scripted(Arc::new(Script::default())));
    let cases = temp_dir("verdict-clean-cases");
    let report_dir = temp_dir("verdict-clean-report");
    write_cases(&cases, "lock.json", vec![lock_only("lock")]);
    let output = suite(&target.url, &[], &cases, &report_dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    assert!(
        text(&output.stdout).contains("\nverdict: PASS\n"),
        "{}",
        shown(&output)
    );
    assert!(report(&report_dir).get("left_behind").is_none());
    let summary = std::fs::read_to_string(report_dir.join("summary.md")).unwrap();
    assert!(!summary.contains("left behind"), "{summary}");
    let _ = std::fs::remove_dir_all(&cases);
    let _ = std::fs::remove_dir_all(&report_dir);
}
