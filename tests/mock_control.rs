//! The mock's control interface as an integration test uses it: `mock --control ADDR` and
//! `mock-ctl`, between real API calls — reading the state, switching a fault and a defect on and
//! off without losing the state, resetting between cases — and never reachable on the API port.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use car_conformance::mock;
use car_conformance::sign::{Credentials, SignRequest, sign};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_car-conformance");

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A started mock process, killed when the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `mock` with `args`; the stdout lines it printed before serving.
fn spawn(args: &[&str]) -> (Running, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(["mock", "--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("TENCENTCLOUD_SECRET_ID")
        .env_remove("TENCENTCLOUD_SECRET_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut lines = Vec::new();
    let mut reader = BufReader::new(stdout);
    let expected = if args.contains(&"--control") { 2 } else { 1 };
    for _ in 0..expected {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        lines.push(line.trim().to_owned());
    }
    (running, lines)
}

/// `mock-ctl` against `control`: exit code and stdout parsed (Null when empty).
fn ctl(control: &str, args: &[&str]) -> (i32, Value) {
    let output = Command::new(BIN)
        .args(["mock-ctl", "--control", control])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (output.status.code().unwrap_or(-1), value)
}

/// One signed API call; the error code, "" on success.
async fn call(url: &str, action: &str, params: Value) -> String {
    let host = url.trim_start_matches("http://");
    let body = params.to_string();
    let credentials = Credentials::new(mock::TEST_SECRET_ID, mock::TEST_SECRET_KEY);
    let signed = sign(&SignRequest::post_json(
        host,
        action,
        body.as_bytes(),
        now(),
        &credentials,
    ))
    .unwrap();
    let mut request = reqwest::Client::new().post(url).body(body);
    for (name, value) in &signed.headers {
        if !name.eq_ignore_ascii_case("host") {
            request = request.header(name, value);
        }
    }
    let bytes = request.send().await.unwrap().bytes().await.unwrap();
    let answer: Value = serde_json::from_slice(&bytes).unwrap();
    answer["Response"]["Error"]["Code"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

fn apply(user: &str) -> Value {
    json!({"UserId": user, "UserIp": "203.0.113.7", "ProjectId": "cap-1"})
}

fn create(user: &str) -> Value {
    json!({"UserId": user, "UserIp": "203.0.113.7", "ClientSession": "eyJ9"})
}

#[tokio::test]
async fn a_test_reads_switches_and_resets_the_mock() {
    let (_mock, lines) = spawn(&["--control", "127.0.0.1:0"]);
    let url = lines[0].strip_prefix("listening on ").unwrap().to_owned();
    let control = lines[1].strip_prefix("control on ").unwrap().to_owned();
    assert_ne!(url, control);

    assert_eq!(call(&url, "ApplyConcurrent", apply("held")).await, "");
    let (code, state) = ctl(&control, &["state"]);
    assert_eq!(code, 0);
    assert_eq!(state["locks"][0]["user_id"], "held", "{state}");

    // A fault for the next CreateSession, switched on while the lock is held: the lock stays.
    let (code, _) = ctl(&control, &["faults", "CreateSession=InternalError:1"]);
    assert_eq!(code, 0);
    assert_eq!(
        call(&url, "CreateSession", create("held")).await,
        "InternalError"
    );
    assert_eq!(call(&url, "CreateSession", create("held")).await, "");
    let (_, state) = ctl(&control, &["state"]);
    assert_eq!(state["sessions"][0]["user_id"], "held", "{state}");

    // Reset between cases: nothing held, and the fault re-armed, as at a fresh start.
    let (code, state) = ctl(&control, &["reset"]);
    assert_eq!(code, 0);
    assert_eq!(state["sessions"], json!([]), "{state}");
    assert_eq!(
        call(&url, "CreateSession", create("fresh")).await,
        "InternalError"
    );
    let (code, _) = ctl(&control, &["faults"]);
    assert_eq!(code, 0);
    assert_eq!(
        call(&url, "CreateSession", create("fresh")).await,
        "FailedOperation.LockTimeout"
    );

    // A defect on for one test, then off again.
    let (code, config) = ctl(&control, &["defect", "lock-not-required"]);
    assert_eq!(code, 0, "{config}");
    assert_eq!(call(&url, "CreateSession", create("no-lock")).await, "");
    let (code, _) = ctl(&control, &["defect", "off"]);
    assert_eq!(code, 0);
    assert_eq!(
        call(&url, "CreateSession", create("no-lock-2")).await,
        "FailedOperation.LockTimeout"
    );

    // Any configuration field, e.g. the quota; a misspelt one is refused with exit code 1.
    // The session made under the defect still holds its concurrency until the reset.
    let (_, state) = ctl(&control, &["state"]);
    assert_eq!(state["concurrency_used"], 1, "{state}");
    ctl(&control, &["reset"]);
    let (code, config) = ctl(&control, &["set", "concurrency_quota=1"]);
    assert_eq!((code, config["concurrency_quota"].clone()), (0, json!(1)));
    assert_eq!(call(&url, "ApplyConcurrent", apply("a")).await, "");
    assert_eq!(
        call(&url, "ApplyConcurrent", apply("b")).await,
        "ResourceNotFound.NoIdle"
    );
    let (code, _) = ctl(&control, &["set", "concurrency_qouta=1"]);
    assert_eq!(code, 1);
    let (code, _) = ctl(&control, &["defect", "no-such-defect"]);
    assert_eq!(code, 1);
}

#[tokio::test]
async fn control_is_off_by_default_and_never_on_the_api_port() {
    let (_mock, lines) = spawn(&["--control", "127.0.0.1:0"]);
    let url = lines[0].strip_prefix("listening on ").unwrap();
    // The API port answers a control path as any API request: no state, an API error envelope.
    for path in ["/state", "/reset"] {
        let bytes = reqwest::Client::new()
            .post(format!("{url}{path}"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let answer: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(answer["Response"]["Error"]["Code"].is_string(), "{answer}");
        assert!(answer.get("locks").is_none());
    }

    let (_plain, lines) = spawn(&[]);
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("listening on http://"), "{lines:?}");
    // With no control interface, mock-ctl says it cannot reach one (exit 2).
    let (code, _) = ctl("http://127.0.0.1:9", &["state"]);
    assert_eq!(code, 2);
}
