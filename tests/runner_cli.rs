//! The runner through its command line: exit codes, what is printed, what is (not) sent, the
//! report file, and a run against a separately started `car-conformance mock`.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};

use common::cases::write_case_file;
use common::mock::Process;
use common::report::{report, schema_errors};
use common::{bin, counting_listener, exited, run, temp_dir, text};

#[test]
fn a_broken_case_directory_exits_2_with_every_problem_and_sends_nothing() {
    let dir = temp_dir("broken");
    std::fs::write(
        dir.join("broken.json"),
        r#"{
  "cases": [
    {
      "name": "typo",
      "title": "t",
      "level": "must",
      "source": "s",
      "covers": ["FailedOperation.LockTimout"],
      "steps": [
        {"action": "CreateSession", "parms": {"UserId": "{{usr_id}}"}, "expect": {"code": "MissingParameter"}}
      ]
    }
  ]
}
"#,
    )
    .unwrap();
    std::fs::write(dir.join("not-json.json"), "{\"cases\": [,]}").unwrap();
    let (url, connections) = counting_listener();
    let output = run(&["run", "--cases", dir.to_str().unwrap(), "--target", &url]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    for expected in [
        "error: unknown field `parms`",
        "broken.json:10:37 (at /cases/0/steps/0/parms)",
        "= help: did you mean `params`?",
        "error: `FailedOperation.LockTimout` is not in the catalogue",
        "= help: did you mean `FailedOperation.LockTimeout`?",
        "not-json.json:1:12",
        "nothing was sent",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(connections.load(Ordering::SeqCst), 0, "something was sent");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn simple_case(name: &str, level: &str, expect: Value) -> Value {
    json!({
        "name": name, "title": "t", "level": level, "source": "s",
        "covers": ["rule.lock.required"],
        "steps": [{"action": "CreateSession",
                   "params": {"UserId": "{{user_id}}", "UserIp": "{{client_ip}}", "ClientSession": "x"},
                   "expect": expect}]
    })
}

#[test]
fn failures_fail_the_run_unless_the_case_is_info() {
    let dir = temp_dir("levels");
    write_case_file(
        &dir,
        "lock.json",
        &json!({"cases": [
            simple_case("right", "must", json!({"code": "FailedOperation.LockTimeout"})),
            simple_case("wrong-info", "info", json!({"success": true})),
        ]}),
    );
    let output = run(&["--cases", dir.to_str().unwrap()]);
    let stdout = exited(&output, 0);
    let info = stdout
        .lines()
        .find(|l| l.contains("lock/wrong-info"))
        .unwrap_or_default();
    assert!(
        info.starts_with("INFO-FAIL [info]   lock/wrong-info"),
        "{stdout}"
    );
    assert!(
        info.ends_with("[info] step 1 (CreateSession): outcome: expected success, got FailedOperation.LockTimeout"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "failed at info only (these never fail a run):\n    INFO-FAIL [info] lock/wrong-info: "
        ),
        "the closing summary names it: {stdout}"
    );

    write_case_file(
        &dir,
        "lock.json",
        &json!({"cases": [simple_case("wrong-should", "should", json!({"code": "FailedOperation.SlowDown", "status": 201}))]}),
    );
    let output = run(&["--cases", dir.to_str().unwrap()]);
    let stdout = exited(&output, 1);
    for expected in [
        "step 1 (CreateSession): HTTP status: expected 201, got 200",
        "step 1 (CreateSession): outcome: expected FailedOperation.SlowDown, got FailedOperation.LockTimeout",
        "request: POST http://127.0.0.1:",
        "Signature=<redacted>",
        "answer: HTTP 200",
        "verdict: FAIL",
    ] {
        assert!(
            stdout.contains(expected),
            "missing `{expected}` in:\n{stdout}"
        );
    }
    assert!(!stdout.contains(car_conformance::mock::TEST_SECRET_KEY));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn list_filters_and_empty_selections_behave_like_cargo_test() {
    let output = run(&["--list"]);
    let stdout = exited(&output, 0);
    assert!(
        stdout.contains("[must]   flow/session/apply-create-destroy\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("running"), "--list runs nothing: {stdout}");

    let output = run(&["--exact", "flow/session/lock-required"]);
    let stdout = exited(&output, 0);
    assert!(stdout.contains("running 1 case\n"), "{stdout}");
    assert!(
        stdout.contains("PASS      [must]   flow/session/lock-required  "),
        "{stdout}"
    );
    assert!(stdout.contains(": 1 cases, 1 passed, 0 failed"), "{stdout}");

    let output = run(&["no-such-case-anywhere"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("error: no case selected"));

    let output = run(&["--ignored"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "no case of the first set is ignored"
    );
}

#[test]
fn report_dir_writes_a_report_that_matches_its_schema() {
    let dir = temp_dir("report");
    let output = run(&[
        "flow/session",
        "--test-threads",
        "1",
        "--report-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stdout));
    let report = report(&dir);
    assert_eq!(schema_errors(&report), Vec::<String>::new());
    let ids: Vec<&str> = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    assert_eq!(ids.len(), 5);
    assert_eq!(report["target"]["kind"], "embedded-mock");
    assert_eq!(report["summary"]["passed"], 5);
    let first = &report["cases"][0]["exchanges"][0]["request"]["headers"];
    assert!(first.to_string().contains("Signature=<redacted>"));
    assert!(
        !report
            .to_string()
            .contains(car_conformance::mock::TEST_SECRET_KEY)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn min_coverage_fails_a_run_below_it() {
    let output = run(&["flow/session/lock-required", "--min-coverage", "90"]);
    let stdout = exited(&output, 1);
    assert!(stdout.contains("below --min-coverage 90%"), "{stdout}");
    let output = run(&["flow/session/lock-required", "--min-coverage", "101"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn coverage_is_computed_statically_as_a_table_or_json() {
    let output = run(&["coverage"]);
    let stdout = exited(&output, 0);
    assert!(stdout.contains("rule.lock.required"), "{stdout}");
    assert!(stdout.contains("flow/session/lock-required"), "{stdout}");

    let output = run(&["coverage", "--json"]);
    let coverage: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(coverage["kind"], "static");
    let item = coverage["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "FailedOperation.SlowDown")
        .unwrap();
    assert_eq!(item["kind"], "error_code");
    assert_eq!(item["level"], "must");
    let cases = item["cases"].as_array().unwrap();
    assert!(
        cases.contains(&json!("business/concurrency/slow-down")),
        "{cases:?}"
    );
    assert!(coverage["total"]["percent"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_separately_started_mock_passes_with_mock_only_cases_skipped() {
    let mock = Process::start(&[]);
    let url = mock.url.clone();
    let output = run(&["run", "--target", &url]);
    mock.kill();
    let stdout = exited(&output, 0);
    let slow_down = stdout
        .lines()
        .find(|l| l.contains("business/concurrency/slow-down "))
        .unwrap_or_default();
    assert!(
        slow_down.starts_with("SKIP      [must]   business/concurrency/slow-down ")
            && slow_down.ends_with(
                "  mock-only: needs its own mock configuration (requires.mock); the target is a URL"
            ),
        "{stdout}"
    );
    assert!(
        stdout.contains("skipped:\n    ") && stdout.contains(" cases (business/concurrency/"),
        "the closing summary gives the reason once for all: {stdout}"
    );
    assert!(
        stdout.contains(" 0 failed (must 0, should 0, info 0), ") && stdout.contains(" skipped"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("against url {url}")), "{stdout}");
}

#[test]
fn usage_errors_exit_2() {
    let output = run(&["--target", "ftp://example.invalid"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("the scheme must be http or https"));
    let output = bin()
        .env("TENCENTCLOUD_SECRET_ID", "AKIDonly")
        .args(["--list"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = run(&["--cases", "/nonexistent/car-cases"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot read the cases directory"));
}

#[test]
fn ignored_cases_are_reported_and_run_only_with_ignored() {
    let dir = temp_dir("ignored");
    let mut ignored = simple_case(
        "parked",
        "must",
        json!({"code": "FailedOperation.LockTimeout"}),
    );
    ignored["ignore"] = json!("waiting for a documentation answer");
    write_case_file(
        &dir,
        "lock.json",
        &json!({"cases": [simple_case("plain", "must", json!({"code": "FailedOperation.LockTimeout"})), ignored]}),
    );
    let report = temp_dir("ignored-report");
    let output = run(&[
        "--cases",
        dir.to_str().unwrap(),
        "--report-dir",
        report.to_str().unwrap(),
    ]);
    let stdout = exited(&output, 0);
    assert!(stdout.contains(": 2 cases, 1 passed, 0 failed"), "{stdout}");
    assert!(
        stdout.contains(
            "SKIP      [must]   lock/parked  ignored: waiting for a documentation answer"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("skipped:\n    lock/parked: ignored: waiting for a documentation answer"),
        "{stdout}"
    );
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(written["cases"][0]["id"], "lock/parked");
    assert_eq!(written["cases"][0]["status"], "skipped");

    let output = run(&["--cases", dir.to_str().unwrap(), "--ignored"]);
    let stdout = exited(&output, 0);
    assert!(stdout.contains("running 1 case\n"), "{stdout}");
    assert!(
        stdout.contains("PASS      [must]   lock/parked  "),
        "{stdout}"
    );
    assert!(!stdout.contains("lock/plain"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&report).unwrap();
}

#[test]
fn the_shipped_cases_pass_on_the_embedded_mock_and_leave_nothing_behind() {
    let output = run(&["-q"]);
    let stdout = exited(&output, 0);
    assert!(
        stdout.contains(" 0 failed (must 0, should 0, info 0)"),
        "{stdout}"
    );
    assert!(!stdout.contains("warning: cases left"), "{stdout}");
    assert!(
        !stdout.contains("no snapshot"),
        "every snapshot is committed: {stdout}"
    );
}

#[test]
fn a_case_without_cleanup_is_cleaned_up_by_the_runner_and_counted() {
    let dir = temp_dir("leak");
    write_case_file(
        &dir,
        "leak.json",
        &json!({"cases": [{
            "name": "no-cleanup", "title": "t", "level": "must", "source": "s", "covers": ["rule.lock.required"],
            "steps": [{"action": "ApplyConcurrent",
                       "params": {"UserId": "{{user_id}}", "UserIp": "{{client_ip}}", "ProjectId": "{{project_id}}"},
                       "expect": {"success": true}}]
        }]}),
    );
    let output = run(&["--cases", dir.to_str().unwrap()]);
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("sessions: 1 created, 1 destroyed (1 by the runner's cleanup), 0 left"),
        "{stdout}"
    );
    assert!(!stdout.contains("warning: cases left"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn version_flags_print_the_version_like_any_cargo_tool() {
    for flag in ["--version", "-V"] {
        let output = run(&[flag]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{flag}: {}",
            text(&output.stderr)
        );
        assert_eq!(
            text(&output.stdout).trim(),
            format!("car-conformance {}", env!("CARGO_PKG_VERSION")),
            "{flag}"
        );
    }
}
