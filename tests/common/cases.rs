//! Writing small case files for a run: steps of the three lock-holding actions, a case around
//! them, and a directory with one such case.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::temp_dir;

/// Writes `cases` as one case file in `dir`.
pub fn write_cases(dir: &Path, file: &str, cases: Vec<Value>) {
    write_case_file(dir, file, &json!({ "cases": cases }));
}

/// Writes `value` (a whole case file) as `dir/name`.
pub fn write_case_file(dir: &Path, name: &str, value: &Value) {
    std::fs::write(dir.join(name), serde_json::to_string_pretty(value).unwrap()).unwrap();
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

/// The steps that start a session: ApplyConcurrent, then CreateSession, both expected to succeed.
pub fn session_steps() -> Vec<Value> {
    vec![
        apply(json!({"success": true})),
        create(json!({"success": true})),
    ]
}

/// A case that starts a session and destroys it in its cleanup.
pub fn session_case(name: &str) -> Value {
    case(
        name,
        &["rule.lock.required"],
        session_steps(),
        vec![destroy()],
    )
}

/// A case that takes a lock and has no cleanup step: only the runner's cleanup destroys it.
pub fn lock_only(name: &str) -> Value {
    case(
        name,
        &["rule.lock.required"],
        vec![apply(json!({"success": true}))],
        vec![],
    )
}

/// A case that takes a lock (ApplyConcurrent, expected to succeed) and destroys it in its
/// cleanup.
pub fn lock_case(name: &str) -> Value {
    case(
        name,
        &["rule.lock.required"],
        vec![apply(json!({"success": true}))],
        vec![destroy()],
    )
}

/// `count` must cases named `case-0`, `case-1`, … (zero-padded to `width` digits), each with
/// the same `steps` and `cleanup`: enough cases for a run to be cut short among them.
pub fn numbered_cases(
    count: usize,
    width: usize,
    steps: &[Value],
    cleanup: &[Value],
) -> Vec<Value> {
    (0..count)
        .map(|i| {
            case(
                &format!("case-{i:0width$}"),
                &["rule.lock.required"],
                steps.to_vec(),
                cleanup.to_vec(),
            )
        })
        .collect()
}

/// A case file with one case: ApplyConcurrent expecting success, DestroySession as cleanup.
pub fn one_case_dir(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    write_cases(&dir, "target.json", vec![lock_case("apply")]);
    dir
}
