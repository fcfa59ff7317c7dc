//! Time limits: a target that stops answering fails its cases with "timed out after …" and the
//! run ends promptly — per request, then fast once the target counts as not answering — and the
//! run's own limit stops it, cleans up and writes the report.

mod common;

use std::path::PathBuf;
use std::process::Output;
use std::time::{Duration, Instant};

use common::cases::{session_case, write_cases};
use common::misbehaving::{Misbehaving, Misbehaviour};
use common::report::{failure_text, report};
use common::{shown, suite, temp_dir, text};

/// Six session cases run two at a time, with `flags`, against a target that never answers;
/// gives the run's output, how long it took, and its case and report directories (named after
/// `name`).
fn run_against_silent(name: &str, flags: &[&str]) -> (Output, Duration, PathBuf, PathBuf) {
    let server = Misbehaving::start(Misbehaviour::Silent);
    let cases = temp_dir(&format!("{name}-cases"));
    let six = (0..6).map(|i| session_case(&format!("case-{i}"))).collect();
    write_cases(&cases, "silent.json", six);
    let report_dir = temp_dir(&format!("{name}-report"));
    let started = Instant::now();
    let flags = [flags, &["--concurrency", "2"]].concat();
    let output = suite(&server.url, &flags, &cases, &report_dir)
        .output()
        .unwrap();
    (output, started.elapsed(), cases, report_dir)
}

#[test]
fn a_target_that_stops_answering_fails_its_cases_and_never_hangs_the_run() {
    let (output, took, cases, report_dir) =
        run_against_silent("timeouts-silent", &["--request-timeout", "300ms"]);
    // The run ends, whatever the target does (the breaker's effect is checked below).
    assert!(took < Duration::from_secs(8), "took {took:?}");
    // Its locks may exist (no answer came), and no DestroySession was confirmed: exit 3.
    assert_eq!(output.status.code(), Some(3), "{}", shown(&output));
    let report = report(&report_dir);
    assert_eq!(report["summary"]["failed"], 6);
    let all: Vec<String> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(failure_text)
        .collect();
    assert!(
        all.iter().all(|f| f.contains("timed out after 300ms")),
        "{all:#?}"
    );
    assert!(
        all.iter()
            .any(|f| f.contains("timed out after 300ms: no complete answer")),
        "{all:#?}"
    );
    // Once three requests in a row timed out, the rest are not even sent.
    let fast = all
        .iter()
        .filter(|f| {
            f.contains(r#""check":"not_sent""#)
                && f.contains("the target stopped answering: its last")
                && f.contains("timed out after 300ms each")
        })
        .count();
    assert!(fast >= 3, "{all:#?}");
    // Nothing could be confirmed destroyed: the summary says which UserIds to check.
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("may still hold a lock or session"),
        "{}",
        shown(&output)
    );
    let _ = std::fs::remove_dir_all(&cases);
    let _ = std::fs::remove_dir_all(&report_dir);
}

#[test]
fn the_run_time_limit_stops_the_run_cleans_up_and_writes_the_report() {
    let flags = ["--request-timeout", "2s", "--run-timeout", "500ms"];
    let (output, took, cases, report_dir) = run_against_silent("timeouts-run", &flags);
    // The two cases in flight stop at 0.5 s; their cleanup (a DestroySession each, then the
    // runner's) meets the 2 s request limit; nothing else starts.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    // The two ApplyConcurrent cut by the limit may have taken a lock: exit 3, not 1.
    assert_eq!(output.status.code(), Some(3), "{}", shown(&output));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("stopped: the run timed out after 500ms (--run-timeout)"),
        "{}",
        shown(&output)
    );
    let report = report(&report_dir);
    let cases_in_report = report["cases"].as_array().unwrap();
    let stopped = cases_in_report
        .iter()
        .filter(|c| {
            failure_text(c).contains(
                "timed out after 500ms: the run's time limit (--run-timeout) ended step 1 (ApplyConcurrent); step 2 not sent",
            )
        })
        .count();
    let not_run = cases_in_report
        .iter()
        .filter(|c| c["skip_reason"] == "not run: the run timed out after 500ms (--run-timeout)")
        .count();
    assert_eq!((stopped, not_run), (2, 4), "{}", shown(&output));
    let _ = std::fs::remove_dir_all(&cases);
    let _ = std::fs::remove_dir_all(&report_dir);
}
