//! What a run leaves on a live account, replayed against scripted targets: a DestroySession the
//! target asks to retry is sent again until it succeeds; a creating request that was sent and never
//! answered counts as possibly created (and is named when its DestroySession fails); a run that may
//! leave something exits 3; an unreachable target stops the run early with exit 4 and no claimed
//! session; a second Ctrl-C still lets cleanup and the report happen; a report directory that
//! cannot be written is found before anything is sent.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use common::cases::{create, lock_only, session_steps, write_cases};
use common::misbehaving::{Misbehaving, Misbehaviour, Script, scripted_with_hang_case};
use common::{bin, shown, temp_dir, text};

#[test]
fn a_destroy_session_answered_request_limit_exceeded_is_sent_again_until_it_succeeds() {
    let script = Arc::new(Script {
        busy_destroys: 2.into(),
        ..Script::default()
    });
    let target = Misbehaving::start(Misbehaviour::Scripted(Arc::clone(&script)));
    let cases = temp_dir("leftovers-busy");
    write_cases(&cases, "busy.json", vec![lock_only("lock")]);
    let output = bin()
        .args(["--target", &target.url, "--cases"])
        .arg(&cases)
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(script.received("DestroySession"), 3, "{}", shown(&output));
    assert!(
        stdout.contains("sessions: 1 created, 1 destroyed (1 by the runner's cleanup), 0 left"),
        "{}",
        shown(&output)
    );
    assert_ne!(output.status.code(), Some(3), "{}", shown(&output));
    let _ = std::fs::remove_dir_all(&cases);
}

#[test]
fn a_create_session_cut_by_the_case_time_limit_counts_as_possibly_created() {
    let script = Script {
        hang_create: true,
        destroy_error: Some("FailedOperation.Scripted"),
        ..Script::default()
    };
    let (script, target, cases) =
        scripted_with_hang_case(script, "leftovers-hang", session_steps());
    let output = bin()
        .args(["--target", &target.url, "--case-timeout", "1s", "--cases"])
        .arg(&cases)
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(script.received("CreateSession"), 1, "{}", shown(&output));
    assert!(
        stdout.contains("sessions: 1 created, 0 destroyed (0 by the runner's cleanup), 1 left"),
        "{}",
        shown(&output)
    );
    assert!(
        stdout.contains(
            "warning: 1 UserId(s) may still hold a lock or session on the target: carconf-"
        ),
        "{}",
        shown(&output)
    );
    assert_eq!(output.status.code(), Some(3), "{}", shown(&output));
    let _ = std::fs::remove_dir_all(&cases);
}

#[test]
fn an_unreachable_target_stops_the_run_early_and_claims_no_session() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cases = temp_dir("leftovers-unreachable");
    let many = (0..40)
        .map(|i| lock_only(&format!("lock-{i:02}")))
        .collect();
    write_cases(&cases, "many.json", many);
    let output = bin()
        .args([
            "--target",
            &format!("http://127.0.0.1:{port}"),
            // Cases in flight when the run stops must not count their cut requests as sessions.
            "--concurrency",
            "8",
            "--cases",
        ])
        .arg(&cases)
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(4), "{}", shown(&output));
    assert!(
        stdout.contains("stopped: the target could not be reached"),
        "{}",
        shown(&output)
    );
    assert!(stdout.contains("connection refused"), "{}", shown(&output));
    assert!(stdout.contains("sessions: 0 created"), "{}", shown(&output));
    let failed = stdout.lines().filter(|l| l.starts_with("FAIL ")).count();
    assert!(failed <= 10, "{failed} cases failed\n{}", shown(&output));
    assert!(
        stdout.lines().count() < 450,
        "{} lines\n{}",
        stdout.lines().count(),
        shown(&output)
    );
    let _ = std::fs::remove_dir_all(&cases);
}

#[cfg(unix)]
#[test]
fn a_second_ctrl_c_still_lets_cleanup_and_the_report_happen() {
    let script = Script {
        hang_create: true,
        hang_destroy: true,
        ..Script::default()
    };
    let (script, target, cases) = scripted_with_hang_case(
        script,
        "leftovers-twice",
        vec![create(json!({"success": true}))],
    );
    let report_dir = temp_dir("leftovers-twice-report");
    let mut child = bin()
        .args([
            "--target",
            &target.url,
            "--request-timeout",
            "2s",
            "--cases",
        ])
        .arg(&cases)
        .arg("--report-dir")
        .arg(&report_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = String::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The run has started once the first line is out; wait for the CreateSession to be sent.
    stdout.push_str(&lines.next().unwrap().unwrap());
    let started = Instant::now();
    while script.received("CreateSession") == 0 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let kill = |signal: &str| {
        let sent = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    };
    kill("-INT");
    std::thread::sleep(Duration::from_millis(300));
    kill("-TERM");
    for line in lines {
        stdout.push_str(&line.unwrap());
        stdout.push('\n');
    }
    let output = child.wait_with_output().unwrap();
    let output = std::process::Output {
        stdout: stdout.clone().into_bytes(),
        ..output
    };
    assert!(
        text(&output.stderr).contains("interrupted again: cleanup and the report still get"),
        "{}",
        shown(&output)
    );
    assert!(script.received("DestroySession") >= 1, "{}", shown(&output));
    assert!(
        stdout.contains(
            "warning: 1 UserId(s) may still hold a lock or session on the target: carconf-"
        ),
        "{}",
        shown(&output)
    );
    assert!(
        report_dir.join("report.json").is_file(),
        "{}",
        shown(&output)
    );
    assert_eq!(output.status.code(), Some(3), "{}", shown(&output));
    let _ = std::fs::remove_dir_all(&cases);
    let _ = std::fs::remove_dir_all(&report_dir);
}

#[test]
fn a_report_directory_that_cannot_be_written_is_refused_before_sending() {
    let script = Arc::new(Script::default());
    let target = Misbehaving::start(Misbehaviour::Scripted(Arc::clone(&script)));
    let cases = temp_dir("leftovers-unwritable");
    write_cases(&cases, "one.json", vec![lock_only("lock")]);
    let file = cases.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    for flag in ["--report-dir", "--write-baseline"] {
        let output = bin()
            .args(["--target", &target.url, "--cases"])
            .arg(&cases)
            .arg(flag)
            .arg(file.join("under"))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", shown(&output));
        assert!(
            text(&output.stderr).contains("nothing was sent"),
            "{}",
            shown(&output)
        );
        assert_eq!(target.connections(), 0, "{}", shown(&output));
    }
    let _ = std::fs::remove_dir_all(&cases);
}
