//! Shared by the `safety_*` tests: the binary with a clean environment, temporary case
//! directories, small cases, a reference mock in this process (to read its live sessions), and
//! report reading.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

use car_conformance::mock::{self, LiveState, MockConfig};

/// The binary, run from the source tree with no credentials, target or CAR_* settings from the
/// caller's environment, and snapshots never written.
pub fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_car-conformance"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    for (name, _) in std::env::vars() {
        if name.starts_with("CAR_") || name.starts_with("TENCENTCLOUD_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command.env("INSTA_UPDATE", "no");
    command
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Both streams of a finished run, for assertion messages.
pub fn shown(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr)
    )
}

/// A fresh, empty directory under the system's temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("car-safety-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `cases` as one case file in `dir`.
pub fn write_cases(dir: &Path, file: &str, cases: Vec<Value>) {
    let value = json!({ "cases": cases });
    std::fs::write(
        dir.join(file),
        serde_json::to_string_pretty(&value).unwrap(),
    )
    .unwrap();
}

pub fn apply(expect: Value) -> Value {
    json!({"action": "ApplyConcurrent",
           "params": {"UserId": "{{user_id}}", "UserIp": "{{client_ip}}", "ProjectId": "{{project_id}}"},
           "expect": expect})
}

pub fn create(expect: Value) -> Value {
    json!({"action": "CreateSession",
           "params": {"UserId": "{{user_id}}", "UserIp": "{{client_ip}}", "ClientSession": "eyJhYmMiOjEyM30="},
           "expect": expect})
}

pub fn destroy() -> Value {
    json!({"name": "destroy", "action": "DestroySession", "params": {"UserId": "{{user_id}}"}})
}

/// A case with `steps` and `cleanup`, at level `must`.
pub fn case(name: &str, covers: &[&str], steps: Vec<Value>, cleanup: Vec<Value>) -> Value {
    json!({"name": name, "title": name, "level": "must", "source": "test",
           "covers": covers, "steps": steps, "cleanup": cleanup})
}

/// The reference mock served from this process, so a test can read its live sessions.
pub struct Mock {
    pub handle: Option<mock::MockHandle>,
    runtime: tokio::runtime::Runtime,
}

impl Mock {
    pub fn start(config: MockConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime
            .block_on(mock::start(config, SocketAddr::from(([127, 0, 0, 1], 0))))
            .unwrap();
        Self {
            handle: Some(handle),
            runtime,
        }
    }

    pub fn url(&self) -> String {
        self.handle.as_ref().unwrap().url()
    }

    pub fn live(&self) -> LiveState {
        self.handle.as_ref().unwrap().live()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.runtime.block_on(handle.shutdown());
        }
    }
}

/// `DIR/report.json`, parsed.
pub fn report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json is written");
    serde_json::from_str(&text).unwrap()
}

/// The case of a report with `id`.
pub fn report_case<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no case {id} in the report"))
}

/// Every failure of a case as one text (check name and details).
pub fn failure_text(case: &Value) -> String {
    case["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
