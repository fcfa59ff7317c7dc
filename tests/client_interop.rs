//! Interop (mock ← official clients other than the Python SDK, which tests/sdk_interop.rs
//! drives): the official Node.js SDK (`tencentcloud-sdk-nodejs`, through
//! `tests/node/interop_driver.js`) over HTTP and HTTPS, POST and GET, TC3 and signature v1
//! (HmacSHA256, HmacSHA1), and tccli over HTTPS. Each
//! completes ApplyConcurrent → CreateSession → DestroySession against a freshly started mock
//! addressed by IP and port, with the client's own signing unchanged, and is still refused for a
//! wrong key.
//!
//! Needs `tests/node/node_modules` from `scripts/setup-node-sdk.sh` and `.venv-tccli` from
//! `scripts/setup-tccli.sh`. Without one, its test says it was skipped and passes — unless
//! `CAR_REQUIRE_NODE_SDK=1` / `CAR_REQUIRE_TCCLI=1` (set by `.ci/run` after a successful setup).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use car_conformance::mock::{self, MockConfig, MockHandle, ServeOptions, ServerTls};
use serde_json::Value;

/// How long one client process may take (a handful of loopback calls).
const DEADLINE: Duration = Duration::from_secs(120);

/// The Node.js SDK's sign methods (`profile.signMethod`): TC3 and both signature v1 methods.
const NODE_SIGN_METHODS: &[&str] = &["TC3-HMAC-SHA256", "HmacSHA256", "HmacSHA1"];

/// What the Node.js driver must see, in its order: `None` = success.
const NODE_EXPECTED: &[(&str, Option<&str>)] = &[
    ("apply_concurrent", None),
    ("create_session", None),
    ("destroy_session", None),
    ("wrong_secret_key", Some("AuthFailure.SignatureFailure")),
    ("missing_parameter", Some("MissingParameter")),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Says something even when libtest captures the test's output.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Whether `variable` is `1`: the client was installed, so skipping would hide a regression.
fn required(variable: &str) -> bool {
    std::env::var(variable).is_ok_and(|v| v == "1")
}

/// Runs `command` to completion (killed past the deadline): exit success, stdout, stderr.
fn run(mut command: Command) -> Result<(bool, String, String), String> {
    for proxy in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        command.env_remove(proxy);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot start {command:?}: {error}"))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("still running after {DEADLINE:?}; killed"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(error) => return Err(format!("waiting for the client: {error}")),
        }
    }
    let output = child
        .wait_with_output()
        .map_err(|error| format!("reading the client's output: {error}"))?;
    Ok((
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

/// A fresh mock on a free loopback port, HTTPS with a generated CA (written to a temporary
/// file) when `tls`.
async fn fresh_mock(tls: bool, tag: &str) -> (MockHandle, Option<PathBuf>) {
    let server_tls = tls.then(|| ServerTls::generate(&[]).expect("a local CA"));
    let ca_file = server_tls.as_ref().map(|tls| {
        let path = std::env::temp_dir().join(format!(
            "car-client-interop-{}-{tag}-ca.pem",
            std::process::id()
        ));
        std::fs::write(&path, tls.ca_pem.as_deref().unwrap()).unwrap();
        path
    });
    let options = ServeOptions {
        tls: server_tls,
        ..ServeOptions::default()
    };
    let handle = mock::start_with(
        MockConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
        options,
    )
    .await
    .expect("mock starts on a free loopback port");
    (handle, ca_file)
}

/// Every way one Node.js observation departs from its expectation.
fn check_node_line(line: &Value, name: &str, expected: Option<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    if line["name"] != name {
        return vec![format!("expected call {name}, got {}", line["name"])];
    }
    match expected {
        None if line["outcome"] != "ok" => problems.push(format!(
            "{name}: expected success, the SDK saw {} ({})",
            line["code"], line["message"]
        )),
        Some(code) if line["code"] != code => problems.push(format!(
            "{name}: expected {code}, the SDK saw {} ({})",
            line["code"], line["message"]
        )),
        _ => {}
    }
    let request_id = line["request_id"].as_str().unwrap_or("");
    if uuid::Uuid::parse_str(request_id).is_err() {
        problems.push(format!("{name}: RequestId {request_id:?} is not a UUID"));
    }
    if expected.is_none() && line["action"] == "CreateSession" {
        let session = &line["server_session"];
        if session["non_empty"] != true || session["base64"] != true {
            problems.push(format!(
                "{name}: ServerSession must be non-empty base64: {session}"
            ));
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_node_sdk_drives_the_mock_at_an_address() {
    let dir = root().join("tests/node");
    let installed = dir
        .join("node_modules/.car-conformance-sdk.sha256")
        .is_file();
    if !installed {
        assert!(
            !required("CAR_REQUIRE_NODE_SDK"),
            "client_interop: CAR_REQUIRE_NODE_SDK=1 but tests/node has no SDK — run scripts/setup-node-sdk.sh"
        );
        say("client_interop: Node.js SDK skipped — run scripts/setup-node-sdk.sh");
        return;
    }
    let mut runs = 0;
    for tls in [false, true] {
        for method in ["POST", "GET"] {
            for sign_method in NODE_SIGN_METHODS {
                let scheme = if tls { "https" } else { "http" };
                let tag = format!("node-{method}-{scheme}-{sign_method}");
                let (handle, ca_file) = fresh_mock(tls, &tag).await;
                let mut command = Command::new("node");
                command
                    .current_dir(&dir)
                    .arg("interop_driver.js")
                    .args(["--endpoint", &handle.addr().to_string()])
                    .args(["--protocol", if tls { "https://" } else { "http://" }])
                    .args(["--method", method, "--sign-method", sign_method])
                    .env("CAR_INTEROP_SECRET_ID", mock::TEST_SECRET_ID)
                    .env("CAR_INTEROP_SECRET_KEY", mock::TEST_SECRET_KEY)
                    .env_remove("NODE_EXTRA_CA_CERTS");
                if let Some(ca) = &ca_file {
                    command.env("NODE_EXTRA_CA_CERTS", ca);
                }
                let result = tokio::task::spawn_blocking(move || run(command))
                    .await
                    .expect("driver thread");
                let live = handle.live();
                handle.shutdown().await;
                if let Some(ca) = &ca_file {
                    let _ = std::fs::remove_file(ca);
                }
                let (ok, stdout, stderr) = result.unwrap_or_else(|e| panic!("{tag}: {e}"));
                assert!(
                    ok,
                    "{tag}: the driver failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
                );
                let lines: Vec<Value> = stdout
                    .lines()
                    .map(|line| serde_json::from_str(line).expect("a JSON line"))
                    .collect();
                assert_eq!(lines.len(), NODE_EXPECTED.len(), "{tag}:\n{stdout}");
                let problems: Vec<String> = lines
                    .iter()
                    .zip(NODE_EXPECTED)
                    .flat_map(|(line, (name, expected))| check_node_line(line, name, *expected))
                    .collect();
                assert!(
                    problems.is_empty(),
                    "{tag} ({sign_method}): the Node.js SDK saw something else:\n{}",
                    problems.join("\n")
                );
                assert!(live.sessions.is_empty(), "{tag}: {:?} left", live.sessions);
                runs += 1;
            }
        }
    }
    say(&format!(
        "client_interop: Node.js SDK completed ApplyConcurrent → CreateSession → DestroySession \
         in {runs} runs (HTTP and HTTPS, POST and GET, {})",
        NODE_SIGN_METHODS.join(", ")
    ));
}

/// A stand-in `certifi` whose bundle is certifi's own plus the mock's CA: tencentcloud-sdk-python
/// (under tccli) passes `certifi.where()` to requests itself, so neither REQUESTS_CA_BUNDLE nor
/// the system store reach it, and tccli has no CA option. Put first on PYTHONPATH; the installed
/// packages stay untouched.
fn certifi_with(python: &Path, ca: &Path, dir: &Path) -> PathBuf {
    let (ok, stdout, stderr) = {
        let mut command = Command::new(python);
        command.args(["-c", "import certifi; print(certifi.where())"]);
        run(command).expect("python runs")
    };
    assert!(ok, "cannot find certifi's bundle: {stderr}");
    let mut bundle = std::fs::read_to_string(stdout.trim()).expect("certifi's bundle");
    bundle.push('\n');
    bundle.push_str(&std::fs::read_to_string(ca).unwrap());
    let package = dir.join("certifi");
    std::fs::create_dir_all(&package).unwrap();
    let bundle_path = dir.join("bundle.pem");
    std::fs::write(&bundle_path, bundle).unwrap();
    std::fs::write(
        package.join("__init__.py"),
        format!(
            "# certifi's bundle plus the mock's CA, for tests/client_interop.rs only.\n\
             def where():\n    return {path:?}\n\n\
             def contents():\n    with open(where()) as f:\n        return f.read()\n",
            path = bundle_path.to_str().unwrap()
        ),
    )
    .unwrap();
    dir.to_owned()
}

/// One tccli call: exit success and what it printed (stdout then stderr).
fn tccli(
    tccli: &Path,
    home: &Path,
    shim: &Path,
    endpoint: &str,
    key: &str,
    args: &[&str],
) -> (bool, String) {
    let mut command = Command::new(tccli);
    command
        .args(["car"])
        .args(args)
        .args(["--endpoint", endpoint])
        .env("HOME", home)
        .env("PYTHONPATH", shim)
        .env("TENCENTCLOUD_SECRET_ID", mock::TEST_SECRET_ID)
        .env("TENCENTCLOUD_SECRET_KEY", key)
        .env("TENCENTCLOUD_REGION", "ap-guangzhou")
        .env_remove("TENCENTCLOUD_TOKEN");
    let (ok, stdout, stderr) = run(command).unwrap_or_else(|e| panic!("tccli: {e}"));
    (ok, format!("{stdout}{stderr}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tccli_drives_the_mock_over_https() {
    let venv = root().join(".venv-tccli");
    let bin = venv.join("bin/tccli");
    if !(bin.is_file() && venv.join(".car-conformance-tccli.sha256").is_file()) {
        assert!(
            !required("CAR_REQUIRE_TCCLI"),
            "client_interop: CAR_REQUIRE_TCCLI=1 but .venv-tccli has no tccli — run scripts/setup-tccli.sh"
        );
        say("client_interop: tccli skipped — run scripts/setup-tccli.sh");
        return;
    }
    let (handle, ca_file) = fresh_mock(true, "tccli").await;
    let ca_file = ca_file.unwrap();
    let work =
        std::env::temp_dir().join(format!("car-client-interop-{}-tccli", std::process::id()));
    std::fs::create_dir_all(work.join("home")).unwrap();
    let shim = certifi_with(&venv.join("bin/python"), &ca_file, &work.join("shim"));
    let endpoint = handle.addr().to_string();
    let home = work.join("home");

    let calls = {
        let (bin, home, shim, endpoint) =
            (bin.clone(), home.clone(), shim.clone(), endpoint.clone());
        tokio::task::spawn_blocking(move || {
            let user = ["--UserId", "interop-tccli", "--UserIp", "203.0.113.7"];
            let good = mock::TEST_SECRET_KEY;
            let mut seen = Vec::new();
            let mut apply = vec!["ApplyConcurrent"];
            apply.extend(user);
            apply.extend(["--ProjectId", "cap-interop"]);
            seen.push(tccli(&bin, &home, &shim, &endpoint, good, &apply));
            let mut create = vec!["CreateSession"];
            create.extend(user);
            create.extend(["--ClientSession", "eyJzZHAiOiJ2PTAifQ=="]);
            seen.push(tccli(&bin, &home, &shim, &endpoint, good, &create));
            seen.push(tccli(
                &bin,
                &home,
                &shim,
                &endpoint,
                good,
                &["DestroySession", "--UserId", "interop-tccli"],
            ));
            let wrong = "carconformanceTESTsecretKEY00000X";
            seen.push(tccli(&bin, &home, &shim, &endpoint, wrong, &apply));
            seen
        })
        .await
        .expect("tccli thread")
    };
    let live = handle.live();
    handle.shutdown().await;
    let _ = std::fs::remove_dir_all(&work);
    let _ = std::fs::remove_file(&ca_file);

    for (name, (ok, output)) in ["ApplyConcurrent", "CreateSession", "DestroySession"]
        .iter()
        .zip(&calls)
    {
        assert!(*ok, "tccli {name} failed:\n{output}");
        let answer: Value = serde_json::from_str(output.trim())
            .unwrap_or_else(|e| panic!("tccli {name} printed no JSON ({e}):\n{output}"));
        assert!(answer["RequestId"].is_string(), "tccli {name}: {answer}");
        if *name == "CreateSession" {
            assert!(
                answer["ServerSession"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty()),
                "tccli CreateSession: {answer}"
            );
        }
    }
    let (ok, output) = &calls[3];
    assert!(
        !ok && output.contains("AuthFailure.SignatureFailure"),
        "wrong key:\n{output}"
    );
    assert!(
        live.sessions.is_empty(),
        "sessions left: {:?}",
        live.sessions
    );
    say(
        "client_interop: tccli completed ApplyConcurrent → CreateSession → DestroySession over HTTPS",
    );
}

#[test]
fn check_node_line_catches_each_departure() {
    let good: Value = serde_json::json!({
        "name": "create_session", "action": "CreateSession", "outcome": "ok", "code": null,
        "request_id": "fcf4146f-64d3-496c-88dc-d12f832de313",
        "server_session": {"non_empty": true, "base64": true}
    });
    assert!(check_node_line(&good, "create_session", None).is_empty());
    let mut bad = good.clone();
    bad["server_session"]["non_empty"] = false.into();
    assert_eq!(check_node_line(&bad, "create_session", None).len(), 1);
    let mut bad = good.clone();
    bad["request_id"] = Value::Null;
    assert_eq!(check_node_line(&bad, "create_session", None).len(), 1);
    let mut bad = good.clone();
    bad["outcome"] = "error".into();
    bad["code"] = "AuthFailure.SignatureFailure".into();
    assert_eq!(check_node_line(&bad, "create_session", None).len(), 1);
    assert_eq!(
        check_node_line(&good, "create_session", Some("MissingParameter")).len(),
        1
    );
    assert_eq!(check_node_line(&good, "apply_concurrent", None).len(), 1);
}
