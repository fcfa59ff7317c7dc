//! Support shared by every integration test in tests/*.rs (`mod common;`): the binary with a
//! clean environment, output and file helpers, here; the reference mock in this process or as a
//! `car-conformance mock` child in `mock`; report reading in `report`; small cases in `cases`;
//! a target that misbehaves in `misbehaving`; a signed API call in `call`; the suite's own
//! catalogue and cases in `corpus`.
#![allow(dead_code)]

pub mod call;
pub mod cases;
pub mod corpus;
pub mod misbehaving;
pub mod mock;
pub mod report;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_car-conformance");

/// Proxy variables: a developer's proxy would otherwise carry the tests' loopback requests away.
const PROXIES: [&str; 6] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// Removes from `command` every variable that would change what a run does behind the test's
/// back: each `CAR_*` and `TENCENTCLOUD_*` (read from the environment, so a setting added later
/// cannot leak in), `RUST_LOG`, and the proxies.
pub fn clean_env(command: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if name.starts_with("CAR_") || name.starts_with("TENCENTCLOUD_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    without_proxy(command)
}

/// Removes the proxy variables only (for third-party clients that keep their own settings).
pub fn without_proxy(command: &mut Command) -> &mut Command {
    for proxy in PROXIES {
        command.env_remove(proxy);
    }
    command
}

/// The binary, run from the source tree with a clean environment, and snapshots never written.
pub fn bin() -> Command {
    let mut command = Command::new(BIN);
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    clean_env(&mut command);
    command.env("INSTA_UPDATE", "no");
    command
}

/// The suite run on `cases` against `target` with `flags`, writing its report to `report_dir`.
pub fn suite(target: &str, flags: &[&str], cases: &Path, report_dir: &Path) -> Command {
    let mut command = bin();
    command
        .args(["--target", target])
        .args(flags)
        .arg("--cases")
        .arg(cases)
        .arg("--report-dir")
        .arg(report_dir);
    command
}

/// The binary run to completion with `args`.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Exit code and both streams of a finished run, for assertion messages.
pub fn shown(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

/// The stdout of a run that must have exited with `code`; a failure shows both streams.
pub fn exited(output: &Output, code: i32) -> String {
    assert_eq!(output.status.code(), Some(code), "{}", shown(output));
    text(&output.stdout)
}

/// The same as `shown`, under the name the report tests use.
pub fn both(output: &Output) -> String {
    shown(output)
}

/// Says something even when libtest captures the test's output.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Whether `variable` is `1`: a CAR_REQUIRE_* setting (from .ci/run once a client is installed)
/// under which skipping would hide a regression.
pub fn required(variable: &str) -> bool {
    std::env::var(variable).is_ok_and(|v| v == "1")
}

/// The source tree.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `name` inside the source tree.
pub fn source_dir(name: &str) -> PathBuf {
    root().join(name)
}

/// A fresh, empty directory under the system's temporary directory, unique to this test binary.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("car-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

pub fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap()).unwrap();
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Seconds since the epoch, for signing.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A listener that counts the connections it is offered, standing in for a target that must
/// not be contacted.
pub fn counting_listener() -> (String, Arc<AtomicUsize>) {
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

/// Runs `command` (a third-party client, say) to completion with no stdin, killing it past
/// `deadline` so a hung client fails the test instead of hanging it; `what` names it in errors.
pub fn finish(command: &mut Command, deadline: Duration, what: &str) -> Result<Output, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot start {what} ({command:?}): {error}"))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{what} still running after {deadline:?}; killed"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(error) => return Err(format!("waiting for {what}: {error}")),
        }
    }
    child
        .wait_with_output()
        .map_err(|error| format!("reading the output of {what}: {error}"))
}

/// Runs `command` (a `run` of several cases), sends SIGINT once the first case has passed (its
/// handler is installed by then) and waits for the exit: the output, with stdout as read, and
/// how long the run took to stop after the interrupt.
#[cfg(unix)]
pub fn interrupted_after_first_pass(command: &mut Command) -> (Output, Duration) {
    use std::io::{BufRead, BufReader};
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stdout = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        stdout.push_str(&line);
        stdout.push('\n');
        if line.starts_with("PASS ") {
            break;
        }
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let interrupted = Instant::now();
    for line in lines {
        stdout.push_str(&line.unwrap());
        stdout.push('\n');
    }
    let output = child.wait_with_output().unwrap();
    let stopping = interrupted.elapsed();
    let output = Output {
        stdout: stdout.into_bytes(),
        ..output
    };
    (output, stopping)
}
