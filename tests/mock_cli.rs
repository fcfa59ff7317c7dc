//! `car-conformance mock` as a user runs it: the first stdout line names the real address, the
//! keys come from flags or the environment, and SIGTERM shuts it down cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use car_conformance::sign::{Credentials, SignRequest, sign};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_car-conformance");

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A started mock process, killed if a test fails before it is stopped.
struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts the mock with `args` (and `env`), returning the process and the URL of its first line.
fn spawn(args: &[&str], env: &[(&str, &str)]) -> (Running, String) {
    let mut command = Command::new(BIN);
    command
        .arg("mock")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("TENCENTCLOUD_SECRET_ID")
        .env_remove("TENCENTCLOUD_SECRET_KEY")
        .env_remove("TENCENTCLOUD_SESSION_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let child = Running(Some(child));
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(!url.ends_with(":0"), "{url}");
    (child, url)
}

/// Sends a signed DescribeConcurrentCount and returns the error code ("" on success).
fn code(url: &str, credentials: &Credentials) -> String {
    let host = url.trim_start_matches("http://");
    let body = b"{}";
    let signed = sign(&SignRequest::post_json(
        host,
        "DescribeConcurrentCount",
        body,
        now(),
        credentials,
    ))
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut request = reqwest::Client::new().post(url).body(body.to_vec());
        for (name, value) in &signed.headers {
            if !name.eq_ignore_ascii_case("host") {
                request = request.header(name, value);
            }
        }
        let bytes = request.send().await.unwrap().bytes().await.unwrap();
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        value["Response"]["Error"]["Code"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    })
}

#[cfg(unix)]
fn terminate(mut running: Running) {
    let Some(mut child) = running.0.take() else {
        return;
    };
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[cfg(unix)]
#[test]
fn the_built_in_pair_works_and_sigterm_stops_it_cleanly() {
    let (child, url) = spawn(&[], &[]);
    let builtin = Credentials::new(
        car_conformance::mock::TEST_SECRET_ID,
        car_conformance::mock::TEST_SECRET_KEY,
    );
    assert_eq!(code(&url, &builtin), "");
    terminate(child);
}

#[cfg(unix)]
#[test]
fn keys_come_from_flags_then_the_environment() {
    let (child, url) = spawn(
        &[
            "--secret-id",
            "AKIDflag",
            "--secret-key",
            "flagkey",
            "--secret-id",
            "AKIDtemp",
            "--secret-key",
            "tempkey",
            "--token",
            "",
            "--token",
            "tok",
        ],
        &[],
    );
    assert_eq!(code(&url, &Credentials::new("AKIDflag", "flagkey")), "");
    assert_eq!(
        code(
            &url,
            &Credentials::new("AKIDtemp", "tempkey").with_token("tok")
        ),
        ""
    );
    assert_eq!(
        code(&url, &Credentials::new("AKIDtemp", "tempkey")),
        "AuthFailure.TokenFailure"
    );
    let builtin = Credentials::new(
        car_conformance::mock::TEST_SECRET_ID,
        car_conformance::mock::TEST_SECRET_KEY,
    );
    assert_eq!(code(&url, &builtin), "AuthFailure.SecretIdNotFound");
    terminate(child);

    let (child, url) = spawn(
        &[],
        &[
            ("TENCENTCLOUD_SECRET_ID", "AKIDenv"),
            ("TENCENTCLOUD_SECRET_KEY", "envkey"),
        ],
    );
    assert_eq!(code(&url, &Credentials::new("AKIDenv", "envkey")), "");
    assert_eq!(
        code(&url, &Credentials::new("AKIDenv", "wrong")),
        "AuthFailure.SignatureFailure"
    );
    terminate(child);
}

#[cfg(unix)]
#[test]
fn configuration_flags_and_faults_take_effect() {
    let (child, url) = spawn(&["--fault", "DescribeConcurrentCount=InternalError:1"], &[]);
    let builtin = Credentials::new(
        car_conformance::mock::TEST_SECRET_ID,
        car_conformance::mock::TEST_SECRET_KEY,
    );
    assert_eq!(code(&url, &builtin), "InternalError");
    assert_eq!(code(&url, &builtin), "");
    terminate(child);
}

#[test]
fn bad_command_lines_exit_with_the_usage_code() {
    for args in [
        &["mock", "--secret-id", "A"][..],
        &["mock", "--fault", "CreateSession"][..],
        &["mock", "--config", "/nonexistent/mock.json"][..],
    ] {
        let output = Command::new(BIN)
            .args(args)
            .env_remove("TENCENTCLOUD_SECRET_ID")
            .env_remove("TENCENTCLOUD_SECRET_KEY")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty());
    }
}
