//! `--dry-run` prints every request the run would send, signed as it would be, redacted — and
//! sends nothing: the target's port sees no connection.

mod safety_common;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use safety_common::*;

/// A listener that counts the connections it is offered.
fn counting_listener() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (url, count)
}

#[test]
fn a_dry_run_prints_every_signed_request_redacted_and_sends_nothing() {
    let (url, connections) = counting_listener();
    let output = bin()
        .env("TENCENTCLOUD_SECRET_ID", "AKIDdryRUNtest000000000000000001")
        .env("TENCENTCLOUD_SECRET_KEY", "dryRunSecretKey0123456789abcdef")
        .env("TENCENTCLOUD_SESSION_TOKEN", "dryRunSessionToken0123456789")
        .args(["--target", &url, "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("dry run: nothing is sent."), "{stdout}");
    assert!(
        stdout.contains("case flow/session/apply-create-destroy [must]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Credential=AKIDdryRUNtest000000000000000001/"),
        "the SecretId is not secret: {stdout}"
    );
    assert!(stdout.contains("Signature=<redacted>"), "{stdout}");
    assert!(stdout.contains("X-TC-Token: <redacted>"), "{stdout}");
    assert!(!stdout.contains("dryRunSecretKey0123456789abcdef"));
    assert!(!stdout.contains("dryRunSessionToken0123456789"));
    for (at, _) in stdout.match_indices("Signature=") {
        assert!(
            stdout[at..].starts_with("Signature=<redacted>"),
            "{}",
            &stdout[at..at + 80]
        );
    }
    assert!(
        stdout.contains("skipped: mock-only: needs its own mock configuration"),
        "{stdout}"
    );
    let last = stdout.lines().last().unwrap();
    assert!(
        last.starts_with("dry run: ") && last.ends_with("nothing was sent"),
        "{last}"
    );
    // Give a stray connection time to be counted.
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the dry run connected"
    );
}

#[test]
fn the_client_session_comes_from_the_flag_the_environment_or_the_documented_example() {
    let (url, _) = counting_listener();
    let body_of = |extra: &[&str], env: Option<&str>| {
        let mut command = bin();
        if let Some(value) = env {
            command.env("CAR_CLIENT_SESSION", value);
        }
        let output = command
            .args(["--target", &url, "--dry-run", "params/user-id/reconnect"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
        text(&output.stdout)
    };
    // The CreateSession page's Input Example, when nothing else is given.
    assert!(body_of(&[], None).contains(r#""ClientSession":"eyJhYmMiOjEyM30=""#));
    let from_env = body_of(&[], Some("ZnJvbS1lbnY="));
    assert!(
        from_env.contains(r#""ClientSession":"ZnJvbS1lbnY=""#),
        "{from_env}"
    );
    let from_flag = body_of(&["--client-session", "ZnJvbS1mbGFn"], Some("ZnJvbS1lbnY="));
    assert!(
        from_flag.contains(r#""ClientSession":"ZnJvbS1mbGFn""#),
        "{from_flag}"
    );
    assert!(!from_flag.contains("ZnJvbS1lbnY="), "{from_flag}");
}
