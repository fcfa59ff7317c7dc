//! Pacing: against a mock with its rate limit on, a full run meets no RequestLimitExceeded it
//! did not ask for (and an unpaced one does, so the check can fail); a case that deliberately
//! bursts past the limit runs alone and gets exactly the refusals it expects; the embedded
//! mock keeps its limit when the run is paced.

mod common;

use std::path::Path;

use car_conformance::mock::MockConfig;
use serde_json::{Value, json};

use common::cases::{case, create, destroy, session_case, write_cases};
use common::mock::InProcess as Mock;
use common::report::{report, report_case};
use common::{bin, shown, suite, temp_dir, text};

/// Cases of the report that met RequestLimitExceeded without covering the rate limit.
fn unasked_rate_limits(report: &Value) -> Vec<String> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            !c["covers"].as_array().unwrap().iter().any(|item| {
                item.as_str().unwrap().contains("rate-limit") || item == "RequestLimitExceeded"
            })
        })
        .filter(|c| {
            c["exchanges"].as_array().unwrap().iter().any(|e| {
                e["response"]["body"]["text"]
                    .as_str()
                    .is_some_and(|body| body.contains("RequestLimitExceeded"))
            })
        })
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn run_suite(url: &str, rate: &str, report_dir: &Path) -> std::process::Output {
    bin()
        .args([
            "-q",
            "--target",
            url,
            "--rate",
            rate,
            "--concurrency",
            "16",
            "--report-dir",
        ])
        .arg(report_dir)
        .output()
        .unwrap()
}

#[test]
fn a_paced_full_run_meets_no_rate_limit_it_did_not_ask_for() {
    // The documented limit scaled down to 40/s, so the suite's ~220 CreateSession need pacing.
    let config = MockConfig {
        rate_limit_per_second: Some(40),
        ..MockConfig::default()
    };
    let mock = Mock::start(config);
    let report_dir = temp_dir("pacing-paced");
    let output = run_suite(&mock.url(), "40", &report_dir);
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    let report = report(&report_dir);
    assert_eq!(unasked_rate_limits(&report), Vec::<String>::new());
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("safety: at most 40 requests/s per action, at most 16 requests in flight"),
        "{stdout}"
    );
    assert!(stdout.contains("pacing: CreateSession: "), "{stdout}");
    let live = mock.live();
    assert!(
        live.locks.is_empty() && live.sessions.is_empty(),
        "{live:?}"
    );

    // Without effective pacing the suite does meet a limit (10/s, so that even a slow machine
    // exceeds it): the check above can fail.
    let mock = Mock::start(MockConfig {
        rate_limit_per_second: Some(10),
        ..MockConfig::default()
    });
    let unpaced_dir = temp_dir("pacing-unpaced");
    let output = run_suite(&mock.url(), "100000", &unpaced_dir);
    assert_eq!(output.status.code(), Some(1), "{}", shown(&output));
    assert!(!unasked_rate_limits(&common::report::report(&unpaced_dir)).is_empty());
    let _ = std::fs::remove_dir_all(&report_dir);
    let _ = std::fs::remove_dir_all(&unpaced_dir);
}

fn burst(copies: u32, admitted: u32) -> Value {
    let mut step = create(json!({"tally": {
        "FailedOperation.LockTimeout": admitted,
        "RequestLimitExceeded": copies - admitted
    }}));
    step["copies"] = json!(copies);
    case(
        "burst",
        &["gateway.rate-limit", "RequestLimitExceeded"],
        vec![step],
        vec![destroy()],
    )
}

#[test]
fn a_burst_runs_alone_and_gets_exactly_its_refusals_while_the_others_get_none() {
    let mock = Mock::start(MockConfig {
        rate_limit_per_second: Some(10),
        ..MockConfig::default()
    });
    let cases = temp_dir("pacing-burst-cases");
    let report_dir = temp_dir("pacing-burst-report");
    let mut all: Vec<Value> = (0..10)
        .map(|i| session_case(&format!("ordinary-{i}")))
        .collect();
    // 30 at once against 10 per second: the burst waits for an empty window and for the other
    // cases to finish, so exactly 10 are admitted (no lock: LockTimeout) and 20 refused.
    all.insert(5, burst(30, 10));
    // A rate-limit case sending one request after another is not held back either: the 11th
    // and 12th in the same second are refused, as it expects.
    let mut sequential: Vec<Value> = (0..10)
        .map(|_| create(json!({"code": "FailedOperation.LockTimeout"})))
        .collect();
    sequential.extend((0..2).map(|_| create(json!({"code": "RequestLimitExceeded"}))));
    all.insert(
        8,
        case("sequential", &["RequestLimitExceeded"], sequential, vec![]),
    );
    write_cases(&cases, "mixed.json", all);
    let flags = ["--rate", "10", "--concurrency", "4"];
    let output = suite(&mock.url(), &flags, &cases, &report_dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    let report = report(&report_dir);
    assert_eq!(report_case(&report, "mixed/burst")["status"], "passed");
    assert_eq!(report_case(&report, "mixed/sequential")["status"], "passed");
    assert_eq!(unasked_rate_limits(&report), Vec::<String>::new());
    let live = mock.live();
    assert!(
        live.locks.is_empty() && live.sessions.is_empty(),
        "{live:?}"
    );
    let _ = std::fs::remove_dir_all(&cases);
    let _ = std::fs::remove_dir_all(&report_dir);
}

#[test]
fn the_embedded_mock_keeps_the_documented_limit_when_the_run_is_paced() {
    let cases = temp_dir("pacing-embedded-cases");
    write_cases(&cases, "burst.json", vec![burst(150, 100)]);
    let paced = bin()
        .args(["--rate", "100", "--cases"])
        .arg(&cases)
        .output()
        .unwrap();
    assert_eq!(paced.status.code(), Some(0), "{}", shown(&paced));
    assert!(text(&paced.stdout).contains("safety: at most 100 requests/s per action"));
    // Unpaced, the shared embedded mock has no limit: every copy is admitted.
    let unpaced = bin().arg("--cases").arg(&cases).output().unwrap();
    assert_eq!(unpaced.status.code(), Some(1), "{}", shown(&unpaced));
    assert!(
        text(&unpaced.stdout).contains("FailedOperation.LockTimeout × 150"),
        "{}",
        shown(&unpaced)
    );
    let _ = std::fs::remove_dir_all(&cases);
}
