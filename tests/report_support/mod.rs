//! Helpers shared by the report tests (tests/report_*.rs): the binary with a clean environment,
//! temporary directories, and a separately started mock (optionally with a defect) that is
//! stopped when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// The binary, run from the source tree, with no credentials or target from the environment.
pub fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_car-conformance"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    for var in [
        "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY",
        "TENCENTCLOUD_SESSION_TOKEN",
        "TENCENTCLOUD_REGION",
        "CAR_TARGET",
        "CAR_TARGET_NAME",
        "CAR_CASES",
        "CAR_PROJECT_ID",
        "CAR_CLIENT_IP",
        "CAR_BASELINE",
        "CAR_REPORT_DIR",
    ] {
        command.env_remove(var);
    }
    // Tests never write snapshots.
    command.env("INSTA_UPDATE", "no");
    command
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// stdout and stderr together, for assertion messages.
pub fn both(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

pub fn source_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("car-report-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
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

/// A `car-conformance mock` process, stopped on drop.
pub struct Mock {
    child: Child,
    pub url: String,
}

impl Mock {
    /// Starts `car-conformance mock` on a free loopback port with `extra` flags
    /// (e.g. `--defect NAME`).
    pub fn start(extra: &[&str]) -> Self {
        let mut child = bin()
            .args(["mock", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        // The address comes on the line "listening on URL" (a notice may come before it).
        let mut url = None;
        for _ in 0..10 {
            let mut line = String::new();
            if stdout.read_line(&mut line).unwrap() == 0 {
                break;
            }
            if let Some(found) = line.trim().strip_prefix("listening on ") {
                url = Some(found.to_owned());
                break;
            }
        }
        let url = url.expect("the mock says where it listens");
        Self { child, url }
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The report schema of this checkout, compiled.
pub fn report_schema() -> jsonschema::Validator {
    let schema = read_json(&source_dir("schemas/report.schema.json"));
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

/// Problems of `value` against the report schema.
pub fn schema_errors(value: &Value) -> Vec<String> {
    report_schema()
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// The four files of a report directory exist, none empty, and no temporary file is left.
pub fn assert_bundle(dir: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["junit.xml", "report.html", "report.json", "summary.md"],
        "files of {}",
        dir.display()
    );
    for name in &names {
        let len = std::fs::metadata(dir.join(name)).unwrap().len();
        assert!(len > 100, "{name} has only {len} bytes");
    }
}
