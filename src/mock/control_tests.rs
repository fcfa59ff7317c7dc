//! Tests of the control interface's routes, through `Control::answer` (the HTTP side is
//! exercised by tests/mock_control.rs).

use super::*;

fn control() -> Control {
    Control::new(Arc::new(Switchable::new(MockConfig::default())))
}

#[test]
fn state_and_config_are_read() {
    let control = control();
    let (status, state) = control.answer("GET", "/state", b"");
    assert_eq!(status, 200);
    assert_eq!(state["locks"], json!([]));
    assert_eq!(state["concurrency_quota"], 1000);
    let (status, config) = control.answer("GET", "/config/", b"");
    assert_eq!(status, 200);
    assert_eq!(config["concurrency_quota"], 1000);
    assert!(config.get("credentials").is_none(), "keys are never shown");
}

#[test]
fn faults_and_defect_are_switched_and_cleared() {
    let control = control();
    let body = br#"["CreateSession=InternalError:1", {"action": "*", "code": "FailedOperation", "probability": 0.5}]"#;
    let (status, config) = control.answer("PUT", "/faults", body);
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["faults"].as_array().unwrap().len(), 2);
    let (status, config) = control.answer("DELETE", "/faults", b"");
    assert_eq!(status, 200);
    assert_eq!(config["faults"], json!([]));

    let (status, config) = control.answer("PUT", "/defect", br#"{"name": "no-rate-limit"}"#);
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["defect"], "no-rate-limit");
    let (_, config) = control.answer("DELETE", "/defect", b"");
    assert!(config.get("defect").is_none(), "{config}");
}

#[test]
fn a_patch_changes_named_fields_only() {
    let control = control();
    let (status, config) = control.answer(
        "PATCH",
        "/config",
        br#"{"concurrency_quota": 2, "stopping_ms": 10}"#,
    );
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["concurrency_quota"], 2);
    assert_eq!(config["stopping_ms"], 10);
    assert_eq!(config["player_limit"], MockConfig::default().player_limit);
}

#[test]
fn refusals_say_why_and_change_nothing() {
    let control = control();
    let cases: [(&str, &str, &[u8], u16, &str); 8] = [
        (
            "PUT",
            "/faults",
            b"[\"Nope=InternalError\"]",
            400,
            "fault action",
        ),
        ("PUT", "/faults", b"{}", 400, "JSON array"),
        (
            "PUT",
            "/defect",
            br#"{"name": "no-rate-limits"}"#,
            400,
            "did you mean",
        ),
        ("PUT", "/defect", b"{}", 400, "expected"),
        ("PATCH", "/config", br#"{"quota": 1}"#, 400, "unknown field"),
        (
            "PATCH",
            "/config",
            br#"{"header_timeout_ms": 1}"#,
            400,
            "fixed when the mock starts",
        ),
        ("GET", "/reset", b"", 405, "not allowed"),
        ("GET", "/\u{1b}[2J", b"", 404, "no such control path"),
    ];
    for (method, path, body, status, says) in cases {
        let (got, value) = control.answer(method, path, body);
        assert_eq!(got.as_u16(), status, "{method} {path}: {value}");
        let error = value["error"].as_str().unwrap();
        assert!(error.contains(says), "{method} {path}: {error}");
    }
    assert_eq!(control.mock.config(), MockConfig::default());
}
