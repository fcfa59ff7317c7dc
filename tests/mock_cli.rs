//! `car-conformance mock` as a user runs it: the first stdout line names the real address, the
//! keys come from flags or the environment, and SIGTERM shuts it down cleanly.

mod common;

use std::process::Stdio;

use car_conformance::sign::Credentials;
use serde_json::Value;

use common::bin;
use common::call::{error_code, signed, test_pair};
use common::mock::Process;

/// Starts the mock with `args` (and `env`), returning the process and the URL of its first line.
fn spawn(args: &[&str], env: &[(&str, &str)]) -> (Process, String) {
    let mut command = bin();
    command.stderr(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mock = Process::start_command(command, args);
    assert!(
        mock.before.is_empty(),
        "unexpected first lines {:?}",
        mock.before
    );
    let url = mock.url.clone();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(!url.ends_with(":0"), "{url}");
    (mock, url)
}

/// Sends a signed DescribeConcurrentCount and returns the error code ("" on success).
fn code(url: &str, credentials: &Credentials) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let (_, request) = signed(&client, url, "DescribeConcurrentCount", "{}", credentials);
        let bytes = request.send().await.unwrap().bytes().await.unwrap();
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        error_code(&value)
    })
}

#[cfg(unix)]
fn terminate(mock: Process) {
    let exit = mock.terminate();
    assert!(exit.success(), "{exit:?}");
}

#[cfg(unix)]
#[test]
fn the_built_in_pair_works_and_sigterm_stops_it_cleanly() {
    let (child, url) = spawn(&[], &[]);
    let builtin = test_pair();
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
    let builtin = test_pair();
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
    let builtin = test_pair();
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
        let output = bin().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty());
    }
}
