//! report: an earlier run's `report.json`, read back — for `--rerun-failed DIR` (which cases
//! failed) and `verify DIR` (is the report what this suite would have written). Read as JSON
//! values rather than typed: the file comes from elsewhere and is judged, not trusted.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::json::FILE_NAME;

/// A report.json read from disk.
#[derive(Debug, Clone)]
pub struct PreviousReport {
    pub path: PathBuf,
    pub value: Value,
}

/// Why an earlier report cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the report {}: {problem}", path.display())]
pub struct PreviousError {
    pub path: PathBuf,
    pub problem: String,
}

impl PreviousReport {
    /// Reads `DIR/report.json`, or `path` itself when it is a file.
    pub fn load(path: &Path) -> Result<Self, PreviousError> {
        let path = if path.is_dir() {
            path.join(FILE_NAME)
        } else {
            path.to_path_buf()
        };
        let error = |problem: String| PreviousError {
            path: path.clone(),
            problem,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| error(e.to_string()))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
        if !value.get("cases").is_some_and(Value::is_array) {
            return Err(error(
                "it has no `cases` list: not a car-conformance report".into(),
            ));
        }
        Ok(Self { path, value })
    }

    /// The report's cases (an empty slice when the list is missing).
    pub fn cases(&self) -> &[Value] {
        self.value
            .get("cases")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// Ids of the cases that failed (`failed` or `known-failure`), in report order.
    pub fn failed_ids(&self) -> Vec<String> {
        self.cases()
            .iter()
            .filter(|c| {
                matches!(
                    c.get("status").and_then(Value::as_str),
                    Some("failed" | "known-failure")
                )
            })
            .filter_map(|c| c.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_and_known_failed_cases_are_rerun() {
        let dir = std::env::temp_dir().join(format!("car-previous-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("report.json"),
            r#"{"cases": [{"id": "a", "status": "passed"}, {"id": "b", "status": "failed"},
                          {"id": "c", "status": "known-failure"}, {"id": "d", "status": "skipped"}]}"#,
        )
        .unwrap();
        let previous = PreviousReport::load(&dir).unwrap();
        assert_eq!(previous.failed_ids(), ["b", "c"]);
        assert_eq!(
            PreviousReport::load(&dir.join("report.json"))
                .unwrap()
                .cases()
                .len(),
            4
        );
        std::fs::write(dir.join("report.json"), r#"{"x": 1}"#).unwrap();
        let error = PreviousReport::load(&dir).unwrap_err().to_string();
        assert!(
            error.ends_with("it has no `cases` list: not a car-conformance report"),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(PreviousReport::load(&dir).is_err());
    }
}
