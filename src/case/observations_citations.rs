//! load: a catalogue item's `observed` evidence checked against the observations file it
//! cites (read relative to the catalogue's directory, each file once), so the catalogue names
//! only answers that were recorded; the file format is `observations`.

use std::collections::BTreeMap;
use std::path::Path;

use super::observations::{Citation, Mismatch, Observations, ObservationsError};

/// Why an `observed` citation does not hold.
#[derive(Debug, thiserror::Error)]
pub enum CitationProblem {
    #[error(
        "the path must be relative to the catalogue's directory (e.g. `observations/FILE.json`), \
         so the catalogue and its evidence move together"
    )]
    NotRelative,
    #[error(
        "{0}; record it with `car-conformance run --record-observations FILE` and cite it \
         relative to the catalogue's directory"
    )]
    Unreadable(ObservationsError),
    #[error("{0}")]
    Mismatch(Mismatch),
}

/// The observations files cited so far, each read once, relative to the catalogue's directory.
pub(super) struct CitedFiles<'a> {
    dir: &'a Path,
    files: BTreeMap<String, Observations>,
}

impl<'a> CitedFiles<'a> {
    /// Citations of the catalogue at `catalogue_path`, whose directory their paths are relative to.
    pub(super) fn new(catalogue_path: &'a Path) -> Self {
        CitedFiles {
            dir: catalogue_path.parent().unwrap_or(Path::new("")),
            files: BTreeMap::new(),
        }
    }

    /// Whether `file` (relative to the catalogue) holds the answer `citation` names.
    pub(super) fn check(&mut self, file: &str, citation: &Citation) -> Result<(), CitationProblem> {
        let relative = Path::new(file);
        if relative.is_absolute() || file.is_empty() {
            return Err(CitationProblem::NotRelative);
        }
        if !self.files.contains_key(file) {
            let loaded = Observations::load(&self.dir.join(relative))
                .map_err(CitationProblem::Unreadable)?;
            self.files.insert(file.to_owned(), loaded);
        }
        self.files[file]
            .check(citation)
            .map_err(CitationProblem::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use crate::case::catalogue::{Catalogue, CatalogueError};

    /// The catalogue of one rule, `param.user-id.required` at `info` with `evidence`.
    fn with_evidence(evidence: &str) -> String {
        let mut value = serde_json::json!({
          "rules": [{"id": "param.user-id.required", "level": "info", "text": "t", "source": "s"}],
          "error_codes": []
        });
        value["rules"][0]["evidence"] = serde_json::from_str(evidence).unwrap();
        value.to_string()
    }

    /// A catalogue citing `o.json` (written beside it) with `evidence`.
    fn load_citing(name: &str, evidence: &str) -> Result<Catalogue, CatalogueError> {
        let dir = std::env::temp_dir().join(format!("car-cite-{name}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("observations")).unwrap();
        let observations = r#"{"format_version": 1,
          "target": {"name": "car.tencentcloudapi.com", "kind": "url", "local": false, "region": "ap-guangzhou"},
          "date": "2026-11-29", "suite": {"version": "0.1.0"},
          "cases": [{"case": "params/user-id/empty", "steps": [{"step": "step 1", "label": "create",
            "action": "CreateSession", "answers": [{"outcome": "error", "status": 200, "code": "InvalidParameterValue"}]}]}]}"#;
        std::fs::write(dir.join("observations/o.json"), observations).unwrap();
        let path = dir.join("catalogue.json");
        std::fs::write(&path, with_evidence(evidence)).unwrap();
        let loaded = Catalogue::load(&path);
        let _ = std::fs::remove_dir_all(&dir);
        loaded
    }

    #[test]
    fn observed_evidence_must_name_what_its_file_recorded() {
        let cited = r#"{"kind": "observed", "observation": "an empty UserId is refused",
            "file": "observations/o.json", "case": "params/user-id/empty", "step": "step 1",
            "answer": "InvalidParameterValue", "date": "2026-11-29", "region": "ap-guangzhou"}"#;
        let catalogue = load_citing("good", cited).unwrap();
        assert_eq!(catalogue.rules[0].evidence.kind(), "observed");
        let message = |name: &str, evidence: String| {
            let error = load_citing(name, &evidence).unwrap_err();
            assert!(
                matches!(&error, CatalogueError::Citation { id, .. } if id == "param.user-id.required"),
                "{error:?}"
            );
            error.to_string()
        };
        let missing = message(
            "missing",
            cited.replace("observations/o.json", "observations/p.json"),
        );
        assert!(
            missing.contains("item `param.user-id.required`: its observed evidence cites observations/p.json: cannot read")
                && missing.contains("--record-observations FILE"),
            "{missing}"
        );
        let absolute = message("absolute", cited.replace("observations/o.json", "/o.json"));
        assert!(absolute.contains("must be relative"), "{absolute}");
        let answer = message(
            "answer",
            cited.replace("\"InvalidParameterValue\"", "\"MissingParameter\""),
        );
        assert!(
            answer.contains(
                "was answered `InvalidParameterValue`, the evidence says `MissingParameter`"
            ),
            "{answer}"
        );
        let case = message(
            "case",
            cited.replace("params/user-id/empty", "params/user-id/emptyy"),
        );
        assert!(
            case.contains("did you mean `params/user-id/empty`?"),
            "{case}"
        );
    }
}
