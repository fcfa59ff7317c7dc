//! report: `--report-dir DIR` writes `DIR/report.json`, the run as data (schemas/report.schema.json):
//! suite version, target, start time, duration, every case with status, failures and exchanges,
//! and coverage. Keys keep a fixed order and cases are sorted by id, so two runs diff cleanly.

use std::path::{Path, PathBuf};

use super::RunReport;

/// The file name inside the report directory.
pub const FILE_NAME: &str = "report.json";

/// Why the report could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// The JSON text of `report`.
pub fn to_json(report: &RunReport) -> String {
    // Serialising plain data into a string cannot fail: no maps with non-string keys.
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

/// Writes `dir/report.json` (creating `dir`) and returns its path.
pub fn write(dir: &Path, report: &RunReport) -> Result<PathBuf, WriteError> {
    let path = dir.join(FILE_NAME);
    let error = |source| WriteError {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(error)?;
    super::atomic::write_atomic(&path, to_json(report).as_bytes()).map_err(error)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::outcome::{BodyRecord, Exchange, FailureKind, RequestRecord, Status};
    use crate::report::fixtures;
    use serde_json::Value;

    fn schema() -> jsonschema::Validator {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/report.schema.json");
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
    }

    fn sample() -> RunReport {
        let kind = FailureKind::Transport {
            error: "connection refused".into(),
        };
        let mut failed = fixtures::failed("f/b", Level::Must, kind);
        failed.failures[0].step.copy = Some(1);
        failed.failures[0].exchange = Some(0);
        failed.exchanges.push(Exchange {
            step: failed.failures[0].step.clone(),
            request: RequestRecord {
                method: "POST".into(),
                url: "http://127.0.0.1:1/".into(),
                headers: vec![(
                    "Authorization".into(),
                    "TC3-HMAC-SHA256 Signature=<redacted>".into(),
                )],
                body: BodyRecord::new(b"{}"),
            },
            response: None,
            error: Some("connection refused".into()),
        });
        let cases = vec![
            fixtures::outcome("f/a", Level::Must, Status::Passed),
            failed,
            fixtures::outcome("f/c", Level::Info, Status::Skipped),
        ];
        let mut report = fixtures::report(cases, 12.5, Some(10.0));
        let catalogue: crate::case::catalogue::Catalogue = serde_json::from_value(serde_json::json!({
            "rules": [{"id": "r", "level": "must", "text": "t", "evidence": {"kind": "inferred", "reasoning": "r"}, "source": "s"}],
            "error_codes": [{"code": "C", "origin": "common", "level": "info", "text": "t", "evidence": {"kind": "inferred", "reasoning": "r"}, "source": "s", "not_applicable": "n"}]
        }))
        .unwrap();
        report.coverage = crate::report::coverage::run_coverage(&catalogue, &[], &report.cases);
        report
    }

    #[test]
    fn the_report_matches_its_schema() {
        let value: Value = serde_json::from_str(&to_json(&sample())).unwrap();
        let errors: Vec<String> = schema()
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert_eq!(errors, Vec::<String>::new());
        assert_eq!(value["cases"][1]["status"], "failed");
        assert_eq!(value["cases"][1]["failures"][0]["check"], "transport");
        assert_eq!(value["summary"]["failed_must"], 1);
    }

    #[test]
    fn the_schema_refuses_a_broken_report() {
        let mut value: Value = serde_json::from_str(&to_json(&sample())).unwrap();
        value["cases"][0]["status"] = Value::from("green");
        value["summary"].as_object_mut().unwrap().remove("total");
        assert_eq!(schema().iter_errors(&value).count(), 2);
    }

    #[test]
    fn write_creates_the_directory() {
        let dir = std::env::temp_dir().join(format!("car-report-{}", std::process::id()));
        let path = write(&dir.join("nested"), &sample()).unwrap();
        assert!(path.ends_with("nested/report.json"));
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .starts_with("{\n  \"format_version\": 1,")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
