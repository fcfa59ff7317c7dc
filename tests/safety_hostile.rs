//! Hostile targets: a refused or reset connection, a body that is not JSON, truncated, an HTML
//! error page, an endless body, a redirect, an empty 200 — each fails its case with a reason
//! that names the problem, the run completes and the report is written. A redirect is never
//! followed: the place it points to sees no connection.

mod common;

use std::process::Output;

use serde_json::Value;

use common::cases::one_case_dir;
use common::misbehaving::{Misbehaving, Misbehaviour};
use common::report::{failure_text, report, report_case};
use common::{shown, suite, temp_dir, text};

/// Runs the one-case directory against `url`; the run must complete with its case failed and
/// the report written. Returns the output and the failure text of the case.
fn run_against(url: &str, name: &str) -> (Output, String) {
    run_expecting(url, name, 3)
}

/// [`run_against`] with the exit code expected: 3 (the default) when the target never gave an
/// API answer, so the lock it was asked for may exist and its UserId is named; 4 when no
/// connection could be made.
fn run_expecting(url: &str, name: &str, code: i32) -> (Output, String) {
    let cases = one_case_dir(&format!("hostile-{name}-cases"));
    let report_dir = temp_dir(&format!("hostile-{name}-report"));
    let output = suite(url, &["--request-timeout", "5s"], &cases, &report_dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(code), "{}", shown(&output));
    if code == 3 {
        assert!(
            text(&output.stdout).contains("warning: 1 UserId(s) may still hold a lock or session"),
            "{}",
            shown(&output)
        );
    }
    let report: Value = report(&report_dir);
    assert_eq!(report["summary"]["failed"], 1, "{}", shown(&output));
    let failures = failure_text(report_case(&report, "target/apply"));
    let _ = std::fs::remove_dir_all(&cases);
    let _ = std::fs::remove_dir_all(&report_dir);
    (output, failures)
}

#[test]
fn a_refused_connection_is_named() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let (output, failures) = run_expecting(&format!("http://{addr}"), "refused", 4);
    assert!(
        failures.contains(&format!(
            "connection refused: nothing accepts connections at {addr}"
        )),
        "{failures}"
    );
    // Nothing reached the target: no session is claimed.
    assert!(
        text(&output.stdout).contains("sessions: 0 created"),
        "{}",
        shown(&output)
    );
}

#[test]
fn a_reset_connection_is_named() {
    let server = Misbehaving::start(Misbehaviour::Reset);
    let (_, failures) = run_against(&server.url, "reset");
    assert!(
        failures.contains("the target reset the connection")
            || failures.contains("the target closed the connection without answering"),
        "{failures}"
    );
}

#[test]
fn a_body_that_is_not_json_is_quoted() {
    let server = Misbehaving::start(Misbehaviour::NotJson);
    let (_, failures) = run_against(&server.url, "not-json");
    assert!(
        failures.contains("it begins `this is not json`"),
        "{failures}"
    );
}

#[test]
fn a_truncated_body_is_named_with_its_sizes() {
    let server = Misbehaving::start(Misbehaviour::Truncated);
    let (_, failures) = run_against(&server.url, "truncated");
    assert!(
        failures
            .contains("the answer is truncated: the connection ended after 30 bytes of the 100"),
        "{failures}"
    );
}

#[test]
fn an_html_error_page_is_named_with_its_title() {
    let server = Misbehaving::start(Misbehaviour::Html);
    let (_, failures) = run_against(&server.url, "html");
    assert!(
        failures.contains("an HTML page titled “502 Bad Gateway” (HTTP 502, text/html)"),
        "{failures}"
    );
    assert!(
        failures.contains(r#""expected":200,"actual":502"#),
        "{failures}"
    );
}

#[test]
fn an_endless_body_is_cut_at_the_cap() {
    let server = Misbehaving::start(Misbehaviour::Huge);
    let (_, failures) = run_against(&server.url, "huge");
    assert!(
        failures.contains("larger than the 1048576-byte cap; not read further"),
        "{failures}"
    );
}

#[test]
fn a_redirect_is_never_followed() {
    let elsewhere = Misbehaving::start(Misbehaviour::Empty);
    let server = Misbehaving::start(Misbehaviour::Redirect(format!("{}/", elsewhere.url)));
    let (_, failures) = run_against(&server.url, "redirect");
    assert!(
        failures.contains(&format!(
            "the target redirected (HTTP 307) to {}/: not followed, so credentials are never sent elsewhere",
            elsewhere.url
        )),
        "{failures}"
    );
    assert!(server.connections() >= 1);
    assert_eq!(elsewhere.connections(), 0, "the redirect was followed");
}

#[test]
fn an_empty_answer_is_named() {
    let server = Misbehaving::start(Misbehaviour::Empty);
    let (_, failures) = run_against(&server.url, "empty");
    assert!(
        failures.contains("the body is empty (HTTP 200, 0 bytes)"),
        "{failures}"
    );
}
