//! report: `compare --report-dir DIR` — beside each target's own report directory (`DIR/NAME/`,
//! written by its run), `DIR/report.json` (the reference target's report, the oracle's or the
//! first target's, with the `compare` section), `DIR/summary.md` and `DIR/report.html` with the
//! matrix; each file written atomically and swept for the secrets of every target.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::RunReport;
use super::bundle::{scrub, write_files};
use super::compare::Comparison;
use super::json::WriteError;

/// The files `compare` writes at the top of its report directory.
pub const FILES: [&str; 3] = ["report.json", "summary.md", "report.html"];

/// report.json of a comparison: a run report (so every reader of the format reads it) with the
/// matrix as its `compare` section.
#[derive(Debug, Serialize)]
pub struct CompareReport<'a> {
    #[serde(flatten)]
    pub reference: &'a RunReport,
    pub compare: &'a Comparison,
}

/// The JSON text of a comparison's report.json.
pub fn to_json(reference: &RunReport, comparison: &Comparison) -> String {
    let report = CompareReport {
        reference,
        compare: comparison,
    };
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}

/// Writes the three files into `dir`; every file is attempted, the first failure returned.
pub fn write(
    dir: &Path,
    reference: &RunReport,
    comparison: &Comparison,
    secrets: &[String],
) -> Result<Vec<PathBuf>, WriteError> {
    let texts = [
        to_json(reference, comparison),
        super::compare_render::markdown(comparison),
        super::compare_render::html(comparison),
    ];
    let files = FILES.into_iter().zip(texts);
    write_files(dir, files.map(|(name, text)| (name, scrub(text, secrets))))
}
