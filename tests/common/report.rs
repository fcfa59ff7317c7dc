//! Reading what a run wrote: report.json, its cases and failures, the report schema, and the
//! four files of a report directory.

use std::path::Path;

use serde_json::Value;

use super::{read_json, source_dir};

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
