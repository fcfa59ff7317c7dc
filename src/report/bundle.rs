//! report: the report directory (`--report-dir DIR`) — `report.json`, `junit.xml`, `summary.md`
//! and `report.html`, each written atomically (a temporary file beside it, then a rename), so a
//! reader never sees half a file, even when a run is interrupted while writing. A last sweep
//! replaces any secret the run knew (SecretKey, token) wherever it might have slipped in.

use std::path::{Path, PathBuf};

use super::RunReport;
use super::atomic::write_atomic;
use super::defect_matrix::DefectMatrix;
use super::json::WriteError;

/// The files of a report directory, in the order they are written.
pub const FILES: [&str; 4] = ["report.json", "junit.xml", "summary.md", "report.html"];

/// What the renderers need beyond the report.
#[derive(Debug, Clone, Default)]
pub struct Extras<'a> {
    /// The defect matrix (`car-conformance mutants`), shown in the HTML and Markdown when given.
    pub defects: Option<&'a DefectMatrix>,
    /// Values that must never appear in a file (the SecretKey, the token).
    pub secrets: Vec<String>,
}

/// Renders every file of the report directory: (file name, contents).
pub fn render(report: &RunReport, extras: &Extras<'_>) -> Vec<(&'static str, String)> {
    let files = [
        (FILES[0], super::json::to_json(report)),
        (FILES[1], super::junit::render(report)),
        (FILES[2], super::markdown::render(report, extras.defects)),
        (FILES[3], super::html::render(report, extras.defects)),
    ];
    files
        .into_iter()
        .map(|(name, text)| (name, scrub(text, &extras.secrets)))
        .collect()
}

/// Writes every file into `dir` (created when missing) and returns their paths. Every file is
/// attempted even when one fails; the first failure is returned.
pub fn write(
    dir: &Path,
    report: &RunReport,
    extras: &Extras<'_>,
) -> Result<Vec<PathBuf>, WriteError> {
    write_files(dir, render(report, extras))
}

/// Writes each `(name, text)` into `dir` (created when missing), atomically, and returns their
/// paths. Every file is attempted even when one fails; the first failure is returned.
pub(super) fn write_files(
    dir: &Path,
    files: impl IntoIterator<Item = (&'static str, String)>,
) -> Result<Vec<PathBuf>, WriteError> {
    std::fs::create_dir_all(dir).map_err(|source| WriteError {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::new();
    let mut first_error = None;
    for (name, text) in files {
        let path = dir.join(name);
        match write_atomic(&path, text.as_bytes()) {
            Ok(()) => written.push(path),
            Err(source) => {
                first_error.get_or_insert(WriteError { path, source });
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(written),
    }
}

/// Replaces every secret (of at least 4 characters, so a stray empty value cannot blank a file)
/// with `<redacted>`.
pub fn scrub(mut text: String, secrets: &[String]) -> String {
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), "<redacted>");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::outcome::Status;
    use crate::report::fixtures::{outcome, report};

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("car-bundle-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn every_file_is_written_and_no_temporary_file_is_left() {
        let dir = temp("all");
        let mut failed = outcome("f/a", Level::Must, Status::Failed);
        failed.title = "secret-bearing title carconformanceTESTsecretKEY000000".into();
        let r = report(vec![failed], 10.0, None);
        let extras = Extras {
            defects: None,
            secrets: vec![crate::mock::TEST_SECRET_KEY.to_owned()],
        };
        let paths = write(&dir.join("nested"), &r, &extras).unwrap();
        let names: Vec<String> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, FILES);
        let listed: Vec<String> = std::fs::read_dir(dir.join("nested"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(listed.len(), 4, "{listed:?}");
        for path in &paths {
            let text = std::fs::read_to_string(path).unwrap();
            assert!(!text.is_empty());
            assert!(
                !text.contains(crate::mock::TEST_SECRET_KEY),
                "{}",
                path.display()
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_unwritable_directory_is_an_error_naming_the_path() {
        let dir = temp("blocked");
        std::fs::create_dir_all(&dir).unwrap();
        // A directory where report.json should go: the rename fails, the other files are written.
        std::fs::create_dir_all(dir.join("report.json/x")).unwrap();
        let r = report(vec![], 0.0, None);
        let error = write(&dir, &r, &Extras::default()).unwrap_err();
        assert!(error.path.ends_with("report.json"));
        assert!(dir.join("report.html").is_file());
        let leftovers = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn scrub_replaces_secrets_but_not_short_values() {
        let secrets = vec!["abcdef".to_owned(), String::new(), "ab".to_owned()];
        assert_eq!(scrub("x abcdef y ab".into(), &secrets), "x <redacted> y ab");
    }
}
