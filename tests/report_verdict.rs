//! A run that did not finish never says PASS: each way a run can end early — interrupted, the
//! run's time limit, a target that stops answering, a target that cannot be reached, and a
//! selection in which nothing runs — ends `INCOMPLETE` with its reason in the console line,
//! report.json, junit.xml, summary.md and report.html, and with a non-zero exit code.

mod common;

use std::path::Path;
use std::process::Output;

use serde_json::json;

use car_conformance::mock::MockConfig;
use common::cases::{apply, destroy, lock_case, numbered_cases, one_case_dir, write_cases};
use common::misbehaving::{Misbehaving, Misbehaviour};
use common::mock::InProcess as Mock;
use common::report::report;
use common::{interrupted_after_first_pass, shown, suite, temp_dir, text};

/// What every report format of a run says about how it ended.
fn assert_incomplete(output: &Output, report_dir: &Path, kind: &str, reason: &str) {
    let stdout = text(&output.stdout);
    let verdict_line = stdout
        .lines()
        .find(|l| l.starts_with("verdict: "))
        .unwrap_or_else(|| panic!("no verdict line\n{}", shown(output)));
    assert!(
        verdict_line.starts_with("verdict: INCOMPLETE — ") && verdict_line.contains(reason),
        "{verdict_line}\n{}",
        shown(output)
    );
    assert_ne!(output.status.code(), Some(0), "{}", shown(output));

    let json = report(report_dir);
    assert_eq!(
        json["verdict"]["result"], "INCOMPLETE",
        "{}",
        json["verdict"]
    );
    assert_eq!(json["verdict"]["incomplete"], kind, "{}", json["verdict"]);
    assert!(
        json["verdict"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains(reason)),
        "{}",
        json["verdict"]
    );

    let read = |name: &str| std::fs::read_to_string(report_dir.join(name)).unwrap();
    let junit = read("junit.xml");
    assert!(
        junit.contains(r#"<property name="verdict" value="INCOMPLETE"/>"#),
        "{junit}"
    );
    assert!(
        junit.contains(&format!(
            r#"<property name="verdict.incomplete" value="{kind}"/>"#
        )),
        "{junit}"
    );
    assert!(
        junit.contains(r#"<property name="verdict.reason""#),
        "{junit}"
    );

    let summary = read("summary.md");
    let heading = summary.lines().next().unwrap_or_default();
    assert!(
        heading.starts_with("## car-conformance: INCOMPLETE"),
        "{heading}"
    );
    assert!(summary.contains(reason), "{summary}");

    let html = read("report.html");
    assert!(
        html.contains("<title>car-conformance: INCOMPLETE — "),
        "{}",
        &html[..html.len().min(600)]
    );
    assert!(
        html.contains(r#"<span class="verdict incomplete">INCOMPLETE</span>"#),
        "header"
    );
    assert!(
        html.contains(r#"<div class="card verdict incomplete"><b>INCOMPLETE</b>"#),
        "summary card"
    );
    // No format calls this run a pass.
    for (name, text) in [("summary.md", &summary), ("report.html", &html)] {
        assert!(!text.contains(": PASS"), "{name} says PASS");
    }
    assert!(!stdout.contains("verdict: PASS"), "{}", shown(output));
}

/// Removes what a test wrote.
fn remove(dirs: &[&Path]) {
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn a_target_that_stops_answering_ends_incomplete() {
    let server = Misbehaving::start(Misbehaviour::Silent);
    let cases = temp_dir("verdict-silent-cases");
    let report_dir = temp_dir("verdict-silent-report");
    // Three cases: the third finds the breaker open.
    let three = numbered_cases(3, 1, &[apply(json!({"success": true}))], &[]);
    write_cases(&cases, "target.json", three);
    let flags = ["--request-timeout", "200ms", "--test-threads", "1"];
    let output = suite(&server.url, &flags, &cases, &report_dir)
        .output()
        .unwrap();
    assert_incomplete(
        &output,
        &report_dir,
        "target-not-answering",
        "the target stopped answering",
    );
    remove(&[&cases, &report_dir]);
}

#[test]
fn a_target_that_cannot_be_reached_ends_incomplete() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cases = one_case_dir("verdict-unreachable-cases");
    let report_dir = temp_dir("verdict-unreachable-report");
    let target = format!("http://127.0.0.1:{port}");
    let output = suite(&target, &[], &cases, &report_dir).output().unwrap();
    assert_incomplete(
        &output,
        &report_dir,
        "target-unreachable",
        "the target could not be reached",
    );
    remove(&[&cases, &report_dir]);
}

#[test]
fn the_run_time_limit_ends_incomplete() {
    // A target that answers, paced at one request per second and action: the limit ends the
    // run after a case or two, and every session is destroyed (so only the time limit speaks).
    let mock = Mock::start(MockConfig::default());
    let cases = temp_dir("verdict-timeout-cases");
    let report_dir = temp_dir("verdict-timeout-report");
    let many = numbered_cases(6, 1, &[apply(json!({"success": true}))], &[destroy()]);
    write_cases(&cases, "many.json", many);
    let flags = [
        "--rate",
        "1",
        "--concurrency",
        "1",
        "--run-timeout",
        "1500ms",
    ];
    let output = suite(&mock.url(), &flags, &cases, &report_dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", shown(&output));
    assert!(
        text(&output.stdout).contains(", 0 left"),
        "{}",
        shown(&output)
    );
    assert_incomplete(
        &output,
        &report_dir,
        "run-timeout",
        "the run timed out after 1.5s (--run-timeout)",
    );
    remove(&[&cases, &report_dir]);
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_ends_incomplete() {
    let mock = Mock::start(MockConfig::default());
    let cases = temp_dir("verdict-interrupt-cases");
    let report_dir = temp_dir("verdict-interrupt-report");
    // Two requests per second and action, one case at a time: the interrupt after the first
    // case leaves most not run.
    let many = numbered_cases(8, 2, &[apply(json!({"success": true}))], &[destroy()]);
    write_cases(&cases, "many.json", many);
    let flags = ["--rate", "2", "--concurrency", "1"];
    let (output, _) =
        interrupted_after_first_pass(&mut suite(&mock.url(), &flags, &cases, &report_dir));
    assert_eq!(output.status.code(), Some(130), "{}", shown(&output));
    assert_incomplete(
        &output,
        &report_dir,
        "interrupted",
        "the run was interrupted",
    );
    remove(&[&cases, &report_dir]);
}

#[test]
fn a_selection_in_which_every_case_is_skipped_ends_incomplete() {
    let mock = Mock::start(MockConfig::default());
    let cases = temp_dir("verdict-skipped-cases");
    let report_dir = temp_dir("verdict-skipped-report");
    let mut ignored = lock_case("only-ignored");
    ignored["ignore"] = json!("kept out of ordinary runs");
    write_cases(&cases, "some.json", vec![ignored, lock_case("ran")]);
    let output = suite(&mock.url(), &[], &cases, &report_dir)
        .arg("only-ignored")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", shown(&output));
    assert_incomplete(&output, &report_dir, "no-case-ran", "no case ran");
    remove(&[&cases, &report_dir]);
}

#[test]
fn a_run_whose_must_cases_were_all_skipped_ends_incomplete() {
    let mock = Mock::start(MockConfig::default());
    let cases = temp_dir("verdict-musts-cases");
    let report_dir = temp_dir("verdict-musts-report");
    let mut ignored = lock_case("must-ignored");
    ignored["ignore"] = json!("kept out of ordinary runs");
    let mut info = lock_case("info-ran");
    info["level"] = json!("info");
    write_cases(&cases, "some.json", vec![ignored, info]);
    let output = suite(&mock.url(), &[], &cases, &report_dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", shown(&output));
    assert_eq!(report(&report_dir)["summary"]["passed"], 1);
    assert_incomplete(
        &output,
        &report_dir,
        "must-cases-skipped",
        "every must case was skipped (1 of 1)",
    );
    remove(&[&cases, &report_dir]);
}
