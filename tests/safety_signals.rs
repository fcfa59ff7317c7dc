//! The signals after the first (issue 15): a second Ctrl-C or SIGTERM leaves cleanup at most
//! the grace period (10 s), a third exits at once; either way the run prints which UserIds may
//! still hold a lock or session, and exits 3. Unix signals sent to the child process.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use common::cases::create;
use common::misbehaving::{Misbehaving, Script, scripted_with_hang_case};
use common::{bin, text};

/// The grace period the runner gives cleanup after a second signal (`run::guard`).
const GRACE: Duration = Duration::from_secs(10);
const WARNING: &str =
    "warning: 1 UserId(s) may still hold a lock or session on the target: carconf-";

/// A run whose CreateSession and DestroySession both hang, and whose requests may take 60 s:
/// left alone after a signal, its cleanup would outlast the grace period by far.
fn hanging_run(name: &str) -> (Child, Arc<Script>, Misbehaving, std::path::PathBuf) {
    let script = Script {
        hang_create: true,
        hang_destroy: true,
        ..Script::default()
    };
    let (script, target, cases) =
        scripted_with_hang_case(script, name, vec![create(json!({"success": true}))]);
    let mut child = bin()
        .args([
            "--target",
            &target.url,
            "--request-timeout",
            "60s",
            "--cases",
        ])
        .arg(&cases)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The run has started once its first line is out; then wait for the CreateSession.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let _ = lines.next();
    std::thread::spawn(move || lines.for_each(drop));
    let started = Instant::now();
    while script.received("CreateSession") == 0 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(script.received("CreateSession"), 1);
    (child, script, target, cases)
}

fn signal(child: &Child, name: &str) {
    let sent = std::process::Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Waits for the child to exit (at most `limit`); its exit code, stderr and how long it took.
fn exit_within(mut child: Child, limit: Duration) -> (Option<i32>, String, Duration) {
    let from = Instant::now();
    let stderr = child.stderr.take().unwrap();
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if from.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running {limit:?} after the last signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = from.elapsed();
    (status.code(), text(err.join().unwrap().as_bytes()), took)
}

/// Waits until the cleanup's DestroySession is out, so the last signal finds cleanup under way.
fn wait_for_destroy(script: &Script) {
    let started = Instant::now();
    while script.received("DestroySession") == 0 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        script.received("DestroySession") >= 1,
        "cleanup never started"
    );
}

#[test]
fn a_second_signal_leaves_cleanup_the_grace_period_and_no_more() {
    let (child, script, _target, cases) = hanging_run("signals-grace");
    signal(&child, "-INT");
    wait_for_destroy(&script);
    signal(&child, "-TERM");
    let (code, stderr, took) = exit_within(child, GRACE + Duration::from_secs(8));
    assert!(
        took >= GRACE - Duration::from_millis(500),
        "exited {took:?} after the second signal, before the grace period ended\n{stderr}"
    );
    assert!(
        stderr.contains("interrupted again: cleanup and the report still get up to 10"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the grace period is over: exiting before cleanup finished"),
        "{stderr}"
    );
    assert!(stderr.contains(WARNING), "{stderr}");
    assert_eq!(code, Some(3), "{stderr}");
    let _ = std::fs::remove_dir_all(&cases);
}

#[test]
fn a_third_signal_exits_at_once_naming_what_may_be_left() {
    let (child, script, _target, cases) = hanging_run("signals-third");
    signal(&child, "-INT");
    wait_for_destroy(&script);
    signal(&child, "-TERM");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "-INT");
    let (code, stderr, took) = exit_within(child, Duration::from_secs(5));
    assert!(
        took < Duration::from_secs(3),
        "took {took:?} after the third signal\n{stderr}"
    );
    assert!(
        stderr.contains("interrupted a third time: exiting before cleanup finished"),
        "{stderr}"
    );
    assert!(stderr.contains(WARNING), "{stderr}");
    assert_eq!(code, Some(3), "{stderr}");
    let _ = std::fs::remove_dir_all(&cases);
}
