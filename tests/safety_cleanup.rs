//! Nothing is left running on the target: every UserId a case sent to ApplyConcurrent or
//! CreateSession is destroyed at the end of its case — with no cleanup step, after a failed
//! step, after a time limit — and Ctrl-C stops the run, cleans up and writes the report. Proved
//! against the mock's own count of live locks and sessions.

mod common;

use std::time::Duration;

use car_conformance::mock::MockConfig;
use serde_json::json;

use common::cases::{
    apply, case, create, numbered_cases, session_case, session_steps, write_cases,
};
use common::mock::InProcess as Mock;
use common::report::{report, report_case};
use common::{bin, interrupted_after_first_pass, shown, suite, temp_dir, text};

#[test]
fn every_user_id_is_destroyed_whatever_happened_to_its_case() {
    let mock = Mock::start(MockConfig::default());
    let cases = temp_dir("cleanup-cases");
    let report_dir = temp_dir("cleanup-report");
    write_cases(
        &cases,
        "leaks.json",
        vec![
            // A session and no cleanup step.
            case(
                "no-cleanup",
                &["rule.lock.required"],
                session_steps(),
                vec![],
            ),
            // Fails after its session started; the step after the failure is never sent.
            case(
                "failed-mid-way",
                &["rule.lock.required"],
                vec![
                    apply(json!({"success": true})),
                    create(json!({"success": true})),
                    apply(json!({"code": "ResourceNotFound.NoIdle"})),
                    create(json!({"success": true})),
                ],
                vec![],
            ),
            // A lock only, and a named second user in the same case.
            case(
                "two-users",
                &["rule.lock.required"],
                vec![
                    apply(json!({"success": true})),
                    json!({"action": "ApplyConcurrent",
                           "params": {"UserId": "{{user_id.guest}}", "UserIp": "{{client_ip}}", "ProjectId": "{{project_id}}"},
                           "expect": {"success": true}}),
                ],
                vec![],
            ),
            // Cleans up after itself: the runner has nothing to add.
            session_case("tidy"),
        ],
    );
    let output = suite(&mock.url(), &[], &cases, &report_dir)
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{}", shown(&output));
    assert!(
        stdout.contains("sessions: 5 created, 5 destroyed (4 by the runner's cleanup), 0 left"),
        "{}",
        shown(&output)
    );
    let live = mock.live();
    assert!(
        live.locks.is_empty() && live.sessions.is_empty(),
        "left on the mock: {live:?}"
    );
    // The runner's DestroySession requests are in the report, as cleanup steps.
    let report = report(&report_dir);
    let leaked = report_case(&report, "leaks/no-cleanup");
    let steps: Vec<&str> = leaked["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"]["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["ApplyConcurrent", "CreateSession", "runner cleanup"]
    );
    let failed = report_case(&report, "leaks/failed-mid-way");
    assert_eq!(failed["status"], "failed");
    let _ = std::fs::remove_dir_all(&cases);
    let _ = std::fs::remove_dir_all(&report_dir);
}

#[test]
fn a_case_stopped_by_its_time_limit_is_cleaned_up() {
    let mock = Mock::start(MockConfig::default());
    let cases = temp_dir("cleanup-timeout-cases");
    // At one request per second and action, the second CreateSession waits about a second:
    // the case's limit of 800 ms ends it mid-way, after its session started.
    write_cases(
        &cases,
        "slow.json",
        vec![case(
            "stopped",
            &["rule.lock.required"],
            vec![
                apply(json!({"success": true})),
                create(json!({"success": true})),
                create(json!({"success": true})),
            ],
            vec![],
        )],
    );
    let output = bin()
        .args([
            "--target",
            &mock.url(),
            "--rate",
            "1",
            "--case-timeout",
            "800ms",
            "--cases",
        ])
        .arg(&cases)
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{}", shown(&output));
    assert!(
        stdout.contains("timed out after 800ms: the case's time limit (--case-timeout) ended step 3 (CreateSession)"),
        "{}",
        shown(&output)
    );
    assert!(
        stdout.contains("sessions: 1 created, 1 destroyed (1 by the runner's cleanup), 0 left"),
        "{}",
        shown(&output)
    );
    let live = mock.live();
    assert!(
        live.locks.is_empty() && live.sessions.is_empty(),
        "{live:?}"
    );
    let _ = std::fs::remove_dir_all(&cases);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_new_cases_cleans_up_writes_the_report_and_exits_130() {
    let mock = Mock::start(MockConfig::default());
    let cases = temp_dir("cleanup-interrupt-cases");
    let report_dir = temp_dir("cleanup-interrupt-report");
    // Two requests per second and action, two cases at a time: 12 cases take ~6 s, so the
    // interrupt after the first finds cases done, cases in flight and cases not started.
    let many = numbered_cases(12, 2, &session_steps(), &[]);
    write_cases(&cases, "many.json", many);
    let (output, stopping) = interrupted_after_first_pass(
        bin()
            .args([
                "--target",
                &mock.url(),
                "--rate",
                "2",
                "--concurrency",
                "2",
                "--cases",
            ])
            .arg(&cases)
            .arg("--report-dir")
            .arg(&report_dir),
    );
    assert!(
        stopping < Duration::from_secs(15),
        "the run took {stopping:?} to stop"
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(130), "{}", shown(&output));
    assert!(
        text(&output.stderr).contains("interrupted: no new case starts"),
        "{}",
        shown(&output)
    );
    assert!(
        stdout.contains("stopped: interrupted (Ctrl-C)"),
        "{}",
        shown(&output)
    );
    assert!(stdout.contains(", 0 left"), "{}", shown(&output));
    let live = mock.live();
    assert!(
        live.locks.is_empty() && live.sessions.is_empty(),
        "{live:?}"
    );
    let report = report(&report_dir);
    let cases_in_report = report["cases"].as_array().unwrap();
    assert_eq!(cases_in_report.len(), 12);
    let not_run = cases_in_report
        .iter()
        .filter(|c| {
            c["skip_reason"]
                .as_str()
                .is_some_and(|r| r.contains("not run: the run was interrupted"))
        })
        .count();
    let passed = cases_in_report
        .iter()
        .filter(|c| c["status"] == "passed")
        .count();
    assert!(not_run >= 2, "{not_run} cases not run\n{}", shown(&output));
    assert!(passed >= 1, "{passed} cases passed\n{}", shown(&output));
    let _ = std::fs::remove_dir_all(&cases);
    let _ = std::fs::remove_dir_all(&report_dir);
}
