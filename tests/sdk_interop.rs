//! Interop (mock ← official SDK): the reference mock, started in-process, driven by the official
//! Tencent Cloud Python SDK (`tencentcloud-sdk-python-car`, unchanged) through
//! `tests/python/sdk_interop_driver.py`. Proves that a real client can sign for, call and parse
//! the mock: POST and GET; ApplyConcurrent, CreateSession, DestroySession succeeding; a missing
//! parameter, a wrong SecretKey, an unknown SecretId, CreateSession without a lock and a bad Role
//! failing with the exact code the SDK surfaces (`TencentCloudSDKException.code`). Signature v1
//! too: the same flow with `signMethod` HmacSHA1 and HmacSHA256, each over GET and POST, then a
//! wrong key, an unknown SecretId, temporary credentials and a wrong token. All of it over plain
//! HTTP and over HTTPS (the mock's generated CA given to the SDK as `HttpProfile.certification`).
//!
//! Needs `.venv/` from `scripts/setup-python-sdk.sh`. Without it the test says it was skipped and
//! passes — unless `CAR_REQUIRE_SDK_INTEROP=1` (set by `.ci/run` after a successful setup), when
//! it fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use car_conformance::mock::{self, MockConfig};
use serde_json::Value;

/// How long the whole driver may take: a few dozen loopback calls, normally well under 5 s.
const DRIVER_DEADLINE: Duration = Duration::from_secs(120);

/// What the SDK must see for each scenario, in the driver's order: `None` = success.
const EXPECTED: &[(&str, Option<&str>)] = &[
    ("post_apply_concurrent", None),
    ("post_create_session", None),
    ("post_destroy_session", None),
    ("get_apply_concurrent", None),
    ("get_create_session", None),
    ("get_destroy_session", None),
    ("lock_for_missing_parameter", None),
    ("missing_parameter", Some("MissingParameter")),
    ("wrong_secret_key", Some("AuthFailure.SignatureFailure")),
    ("unknown_secret_id", Some("AuthFailure.SecretIdNotFound")),
    ("create_without_lock", Some("FailedOperation.LockTimeout")),
    ("lock_for_bad_role", None),
    ("bad_role", Some("InvalidParameterValue")),
    ("v1_hmacsha1_get_apply_concurrent", None),
    ("v1_hmacsha1_get_create_session", None),
    ("v1_hmacsha1_get_destroy_session", None),
    ("v1_hmacsha1_post_apply_concurrent", None),
    ("v1_hmacsha1_post_create_session", None),
    ("v1_hmacsha1_post_destroy_session", None),
    ("v1_hmacsha256_get_apply_concurrent", None),
    ("v1_hmacsha256_get_create_session", None),
    ("v1_hmacsha256_get_destroy_session", None),
    ("v1_hmacsha256_post_apply_concurrent", None),
    ("v1_hmacsha256_post_create_session", None),
    ("v1_hmacsha256_post_destroy_session", None),
    ("v1_wrong_secret_key", Some("AuthFailure.SignatureFailure")),
    ("v1_unknown_secret_id", Some("AuthFailure.SecretIdNotFound")),
    ("v1_temporary_credentials", None),
    ("v1_wrong_token", Some("AuthFailure.TokenFailure")),
];

/// Temporary credentials the mock accepts beside the test pair (made up for this test only).
const TEMP_SECRET_ID: &str = "AKIDcarconformanceINTEROPTEMP000";
const TEMP_SECRET_KEY: &str = "carconformanceINTEROPtempKEY0000";
const TEMP_TOKEN: &str = "carconformanceINTEROPtoken000000";

/// Says something on the terminal even when libtest captures the test's output (it captures
/// `print!`/`eprint!`, not writes to the stderr handle).
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// `.venv`'s python when `scripts/setup-python-sdk.sh` completed (it leaves a stamp last).
fn venv_python(root: &Path) -> Option<PathBuf> {
    let venv = root.join(".venv");
    let python = venv.join("bin").join("python");
    (python.is_file() && venv.join(".car-conformance-sdk.sha256").is_file()).then_some(python)
}

/// Runs the driver to completion (killing it past the deadline); stdout on success.
fn run_driver(
    python: &Path,
    script: &Path,
    endpoint: &str,
    ca_file: Option<&Path>,
) -> Result<String, String> {
    let mut command = Command::new(python);
    command.arg(script).arg("--endpoint").arg(endpoint);
    if let Some(ca_file) = ca_file {
        command.arg("--ca-file").arg(ca_file);
    }
    let mut child = command
        .env("CAR_INTEROP_SECRET_ID", mock::TEST_SECRET_ID)
        .env("CAR_INTEROP_SECRET_KEY", mock::TEST_SECRET_KEY)
        .env("CAR_INTEROP_TEMP_ID", TEMP_SECRET_ID)
        .env("CAR_INTEROP_TEMP_KEY", TEMP_SECRET_KEY)
        .env("CAR_INTEROP_TEMP_TOKEN", TEMP_TOKEN)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot start {}: {error}", python.display()))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > DRIVER_DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "driver still running after {DRIVER_DEADLINE:?}; killed"
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(error) => return Err(format!("waiting for the driver: {error}")),
        }
    }
    let output = child
        .wait_with_output()
        .map_err(|error| format!("reading the driver's output: {error}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!(
            "driver exited with {}\nstdout:\n{stdout}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(stdout)
}

/// A lower-case hyphenated UUID, as the cloud's RequestIds are.
fn is_request_id(value: &Value) -> bool {
    value.as_str().is_some_and(|id| {
        uuid::Uuid::parse_str(id).is_ok()
            && id.len() == 36
            && !id.chars().any(|c| c.is_ascii_uppercase())
    })
}

/// Every way one observed line departs from its expectation.
fn check_line(line: &Value, name: &str, expected: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    if line["name"] != name {
        problems.push(format!("expected scenario {name}, got {}", line["name"]));
        return problems;
    }
    match expected {
        None if line["outcome"] != "ok" => problems.push(format!(
            "{name}: expected success, the SDK raised {} ({})",
            line["code"], line["message"]
        )),
        Some(code) if line["code"] != code => problems.push(format!(
            "{name}: expected the SDK to see {code}, it saw {} (outcome {})",
            line["code"], line["outcome"]
        )),
        _ => {}
    }
    if !is_request_id(&line["request_id"]) {
        problems.push(format!(
            "{name}: RequestId {} is not a lower-case UUID",
            line["request_id"]
        ));
    }
    if expected.is_none() && line["action"] == "CreateSession" {
        let session = &line["server_session"];
        if session["non_empty"] != true || session["base64"] != true {
            problems.push(format!(
                "{name}: ServerSession must be non-empty base64, got {session}"
            ));
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_drives_the_mock() {
    drive(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_drives_the_mock_over_https() {
    drive(true).await;
}

/// Starts a fresh mock (HTTPS with a generated CA when `tls`), runs every scenario through the
/// SDK and checks what it saw.
async fn drive(tls: bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let required = std::env::var("CAR_REQUIRE_SDK_INTEROP").is_ok_and(|v| v == "1");
    let Some(python) = venv_python(root) else {
        assert!(
            !required,
            "sdk_interop: CAR_REQUIRE_SDK_INTEROP=1 but .venv has no SDK — run scripts/setup-python-sdk.sh"
        );
        say("sdk_interop: skipped — run scripts/setup-python-sdk.sh");
        return;
    };
    let script = root.join("tests/python/sdk_interop_driver.py");

    let config = MockConfig {
        credentials: vec![
            mock::MockCredential::new(mock::TEST_SECRET_ID, mock::TEST_SECRET_KEY),
            mock::MockCredential::new(TEMP_SECRET_ID, TEMP_SECRET_KEY).with_token(TEMP_TOKEN),
        ],
        ..MockConfig::default()
    };
    let server_tls = tls.then(|| mock::ServerTls::generate(&[]).expect("a local CA"));
    let ca_file = server_tls.as_ref().map(|tls| {
        let path =
            std::env::temp_dir().join(format!("car-sdk-interop-{}-ca.pem", std::process::id()));
        std::fs::write(&path, tls.ca_pem.as_deref().unwrap()).unwrap();
        path
    });
    let options = mock::ServeOptions {
        tls: server_tls,
        ..mock::ServeOptions::default()
    };
    let handle = mock::start_with(config, "127.0.0.1:0".parse().unwrap(), options)
        .await
        .expect("mock starts on a free loopback port");
    assert_eq!(handle.url().starts_with("https://"), tls);
    let endpoint = handle.addr().to_string();
    let driver_ca = ca_file.clone();
    let output = tokio::task::spawn_blocking(move || {
        run_driver(&python, &script, &endpoint, driver_ca.as_deref())
    })
    .await
    .expect("driver thread");
    if let Some(path) = &ca_file {
        let _ = std::fs::remove_file(path);
    }
    let live = handle.live();
    handle.shutdown().await;
    let output = output.unwrap_or_else(|error| panic!("sdk_interop: {error}"));

    let lines: Vec<Value> = output
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("driver printed a non-JSON line ({error}): {line}"))
        })
        .collect();
    assert_eq!(
        lines.len(),
        EXPECTED.len(),
        "one line per scenario expected; driver printed:\n{output}"
    );
    let problems: Vec<String> = lines
        .iter()
        .zip(EXPECTED)
        .flat_map(|(line, (name, expected))| check_line(line, name, *expected))
        .collect();
    assert!(
        problems.is_empty(),
        "the SDK saw something else:\n{}",
        problems.join("\n")
    );
    // The SDK's DestroySession calls took effect: no session is left behind.
    assert!(
        live.sessions.is_empty(),
        "sessions left after DestroySession: {:?}",
        live.sessions
    );
    say(&format!(
        "sdk_interop: {} SDK calls (TC3 and v1, POST and GET, {}) behaved as documented",
        lines.len(),
        if tls { "HTTPS" } else { "HTTP" }
    ));
}

#[test]
fn check_line_catches_each_departure() {
    let good: Value = serde_json::json!({
        "name": "post_create_session", "action": "CreateSession", "outcome": "ok", "code": null,
        "request_id": "fcf4146f-64d3-496c-88dc-d12f832de313",
        "server_session": {"non_empty": true, "base64": true}
    });
    assert!(check_line(&good, "post_create_session", None).is_empty());
    let mut bad = good.clone();
    bad["request_id"] = "FCF4146F-64D3-496C-88DC-D12F832DE313".into();
    assert_eq!(check_line(&bad, "post_create_session", None).len(), 1);
    let mut bad = good.clone();
    bad["server_session"]["base64"] = false.into();
    assert_eq!(check_line(&bad, "post_create_session", None).len(), 1);
    let mut bad = good.clone();
    bad["outcome"] = "error".into();
    bad["code"] = "InternalError".into();
    assert_eq!(check_line(&bad, "post_create_session", None).len(), 1);
    assert_eq!(
        check_line(
            &good,
            "post_create_session",
            Some("FailedOperation.LockTimeout")
        )
        .len(),
        1
    );
    assert_eq!(check_line(&good, "bad_role", None).len(), 1);
}
