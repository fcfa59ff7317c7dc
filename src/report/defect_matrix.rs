//! report: the defect matrix as the reports read it — defect → the cases that caught it, allowed
//! variant → the cases that failed it, and both scores — from the JSON `car-conformance mutants`
//! writes (`--defect-matrix FILE`). Read
//! leniently (unknown fields ignored, most fields optional) so the reports do not depend on the
//! mutants command's internals; only what the HTML and Markdown show is required.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One defect's row.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DefectRow {
    pub name: String,
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub description: String,
    /// `must` and `should` cases that failed with the defect on.
    #[serde(default)]
    pub caught_by: Vec<String>,
    /// `info` cases that failed too.
    #[serde(default)]
    pub info_failures: Vec<String>,
    /// Catchers declared next to the defect that did not fail.
    #[serde(default)]
    pub missed_catchers: Vec<String>,
    /// Whether a `must` or `should` case failed; derived from `caught_by` when absent.
    #[serde(default)]
    pub caught: Option<bool>,
}

impl DefectRow {
    pub fn is_caught(&self) -> bool {
        self.caught.unwrap_or(!self.caught_by.is_empty())
    }
}

/// A `must`/`should` case that failed an allowed variant.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FalseFailure {
    pub case: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub reason: String,
}

/// One allowed variant's row.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VariantRow {
    pub name: String,
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub description: String,
    /// The primary source's sentence that allows the variant, and its address.
    #[serde(default)]
    pub quote: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub failed: Vec<FalseFailure>,
    /// Whether no `must` or `should` case failed; derived from `failed` when absent.
    #[serde(default)]
    pub passed: Option<bool>,
}

impl VariantRow {
    pub fn is_passed(&self) -> bool {
        self.passed.unwrap_or(self.failed.is_empty())
    }
}

/// The whole matrix.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DefectMatrix {
    pub defects: Vec<DefectRow>,
    /// Allowed variants (absent in matrices written before they existed).
    #[serde(default)]
    pub variants: Vec<VariantRow>,
    /// Cases run per defect.
    #[serde(default)]
    pub cases: Option<usize>,
    /// Cases failing with no defect on (a clean baseline has none).
    #[serde(default)]
    pub baseline_failures: Vec<String>,
}

impl DefectMatrix {
    /// Defects caught.
    pub fn caught(&self) -> usize {
        self.defects.iter().filter(|d| d.is_caught()).count()
    }

    /// Allowed variants no `must` or `should` case failed.
    pub fn variants_passed(&self) -> usize {
        self.variants.iter().filter(|v| v.is_passed()).count()
    }

    /// "N of M defects caught (P%)", then "K of L allowed variants passed" after `separator`
    /// when there are variants: the matrix's score in the words every report uses.
    pub fn headline(&self, separator: &str) -> String {
        let mut line = format!(
            "{} of {} defects caught ({:.1}%)",
            self.caught(),
            self.defects.len(),
            self.score_percent()
        );
        if !self.variants.is_empty() {
            line.push_str(&format!(
                "{separator}{} of {} allowed variants passed",
                self.variants_passed(),
                self.variants.len()
            ));
        }
        line
    }

    /// `caught / defects` in percent (100 for an empty matrix).
    pub fn score_percent(&self) -> f64 {
        if self.defects.is_empty() {
            100.0
        } else {
            self.caught() as f64 * 100.0 / self.defects.len() as f64
        }
    }

    /// Parses the matrix's JSON.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Reads `path`.
    pub fn load(path: &Path) -> Result<Self, DefectMatrixError> {
        let text = std::fs::read_to_string(path).map_err(|e| DefectMatrixError {
            path: path.to_path_buf(),
            problem: e.to_string(),
        })?;
        Self::from_json(&text).map_err(|e| DefectMatrixError {
            path: path.to_path_buf(),
            problem: format!("not a defect matrix: {e}"),
        })
    }
}

/// Why a defect matrix could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the defect matrix {}: {problem}", path.display())]
pub struct DefectMatrixError {
    pub path: PathBuf,
    pub problem: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_mutants_output_and_ignores_what_it_does_not_show() {
        let matrix = DefectMatrix::from_json(
            r#"{"cases": 208, "baseline_failures": [], "caught": 1, "score_percent": 50.0,
                "duration_ms": 9,
                "defects": [
                  {"name": "skip-signature", "area": "signature", "description": "d",
                   "declared": ["a/b"], "caught_by": ["a/b", "a/c"], "info_failures": [],
                   "missed_catchers": [], "invalid_catchers": [], "caught": true, "duration_ms": 1},
                  {"name": "no-rate-limit", "caught_by": []}
                ]}"#,
        )
        .unwrap();
        assert_eq!(matrix.defects.len(), 2);
        assert_eq!(matrix.caught(), 1);
        assert!(matrix.variants.is_empty());
        let with_variants = DefectMatrix::from_json(
            r#"{"defects": [], "variants": [
                  {"name": "pretty-json", "quote": "q", "source": "https://x/", "failed": [],
                   "passed": true, "duration_ms": 3},
                  {"name": "request-id-opaque",
                   "failed": [{"case": "a/b", "level": "must", "reason": "r"}]}
                ]}"#,
        )
        .unwrap();
        assert_eq!(with_variants.variants_passed(), 1);
        assert!(!with_variants.variants[1].is_passed());
        assert_eq!(matrix.score_percent(), 50.0);
        assert!(!matrix.defects[1].is_caught());
    }

    #[test]
    fn a_wrong_file_says_what_is_missing() {
        let error = DefectMatrix::from_json(r#"{"rows": []}"#).unwrap_err();
        assert!(
            error.to_string().contains("missing field `defects`"),
            "{error}"
        );
        let error = DefectMatrix::load(Path::new("/nonexistent/m.json")).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot read the defect matrix /nonexistent/m.json")
        );
    }
}
