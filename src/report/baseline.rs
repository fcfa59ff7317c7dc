//! report: regression gates — a baseline file lists the cases known to fail on a target, each with
//! a reason (`--baseline FILE`). A listed case that fails is a `known-failure`: shown, never
//! failing the run; a listed case that passes is reported so the entry can be removed; any other
//! failure fails the run as usual. `--write-baseline FILE` writes one from a run's failures.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::outcome::{Outcome, Status};

/// One known failure: a case id and why it fails on this target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub id: String,
    pub reason: String,
}

/// The file as written (and read; `$schema` may name schemas/baseline.schema.json).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    schema: Option<String>,
    /// The target the baseline was taken on (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    known_failures: Vec<Entry>,
}

/// A loaded baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    pub path: PathBuf,
    pub target: Option<String>,
    /// Case id → reason.
    pub entries: BTreeMap<String, String>,
}

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("baseline {}: {problem}", path.display())]
pub struct BaselineError {
    pub path: PathBuf,
    pub problem: String,
}

/// What a run made of its baseline, for report.json and the other reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BaselineReport {
    /// The file, as given.
    pub file: String,
    /// Entries in the file.
    pub entries: usize,
    /// Listed cases that failed as expected (status `known-failure`).
    pub known_failures: Vec<Entry>,
    /// Listed cases that passed: remove them from the baseline.
    pub now_passing: Vec<Entry>,
    /// Listed ids that are no case of the suite.
    pub unknown: Vec<String>,
}

impl Baseline {
    /// Reads and checks `path`: JSON, no unknown fields, no duplicate id, no empty reason.
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|e| BaselineError {
            path: path.to_path_buf(),
            problem: e.to_string(),
        })?;
        Self::parse(path, &text)
    }

    /// Parses the text of the baseline at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, BaselineError> {
        let error = |problem: String| BaselineError {
            path: path.to_path_buf(),
            problem,
        };
        let file: BaselineFile = serde_json::from_str(text).map_err(|e| error(e.to_string()))?;
        let mut entries = BTreeMap::new();
        let mut problems = Vec::new();
        for (index, entry) in file.known_failures.into_iter().enumerate() {
            let at = format!("/known_failures/{index}");
            if entry.id.trim().is_empty() {
                problems.push(format!("{at}: the id is empty"));
            } else if entry.reason.trim().is_empty() {
                problems.push(format!(
                    "{at}: `{}` has no reason (say why it fails on this target)",
                    entry.id
                ));
            } else if entries.insert(entry.id.clone(), entry.reason).is_some() {
                problems.push(format!("{at}: `{}` is listed twice", entry.id));
            }
        }
        if !problems.is_empty() {
            return Err(error(problems.join("; ")));
        }
        Ok(Self {
            path: path.to_path_buf(),
            target: file.target,
            entries,
        })
    }

    pub fn reason(&self, id: &str) -> Option<&str> {
        self.entries.get(id).map(String::as_str)
    }

    /// Listed ids that are not among `ids` (the suite's cases).
    pub fn unknown<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let ids: BTreeSet<&str> = ids.into_iter().collect();
        self.entries
            .keys()
            .filter(|id| !ids.contains(id.as_str()))
            .cloned()
            .collect()
    }

    /// Turns a failure of a listed case into a known failure (with the reason as a note) and
    /// returns the reason; leaves every other outcome alone.
    pub fn apply(&self, outcome: &mut Outcome) -> Option<String> {
        if outcome.status != Status::Failed {
            return None;
        }
        let reason = self.reason(&outcome.id)?.to_owned();
        outcome.status = Status::KnownFailure;
        outcome
            .notes
            .push(format!("known failure ({}): {reason}", self.path.display()));
        Some(reason)
    }

    /// What the run made of the baseline.
    pub fn report(&self, outcomes: &[Outcome], unknown: Vec<String>) -> BaselineReport {
        let mut report = BaselineReport {
            file: self.path.display().to_string(),
            entries: self.entries.len(),
            unknown,
            ..BaselineReport::default()
        };
        for outcome in outcomes {
            let Some(reason) = self.reason(&outcome.id) else {
                continue;
            };
            let entry = Entry {
                id: outcome.id.clone(),
                reason: reason.to_owned(),
            };
            match outcome.status {
                Status::KnownFailure => report.known_failures.push(entry),
                Status::Passed => report.now_passing.push(entry),
                Status::Failed | Status::Skipped => {}
            }
        }
        report
    }
}

impl BaselineReport {
    /// Console lines after the summary: what was known, and what to remove.
    pub fn render(&self) -> String {
        let mut out = format!(
            "baseline {}: {} known failure(s) seen of {} listed (they do not fail the run)\n",
            self.file,
            self.known_failures.len(),
            self.entries
        );
        if !self.now_passing.is_empty() {
            out.push_str(&format!(
                "baseline: {} known failure(s) now pass — remove them from {}:\n",
                self.now_passing.len(),
                self.file
            ));
            for entry in &self.now_passing {
                out.push_str(&format!("    {}\n", entry.id));
            }
        }
        if !self.unknown.is_empty() {
            out.push_str(&format!(
                "baseline: {} entr{} name no case of this suite: {}\n",
                self.unknown.len(),
                if self.unknown.len() == 1 { "y" } else { "ies" },
                self.unknown.join(", ")
            ));
        }
        out
    }
}

/// The reason a new baseline entry gets: the case's first failure, on one line.
pub fn first_failure(outcome: &Outcome) -> String {
    let text = outcome
        .failures
        .first()
        .map(|f| format!("{}: {}", f.step, f.kind))
        .unwrap_or_else(|| "failed".to_owned());
    let line = text.lines().next().unwrap_or_default().trim().to_owned();
    match line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// The text of a baseline listing every failed (or known-failed) case of `outcomes`. Reasons
/// already in `previous` are kept; new entries get their first failure as the reason.
pub fn render_new(outcomes: &[Outcome], previous: Option<&Baseline>, target: &str) -> String {
    let mut known_failures: Vec<Entry> = outcomes
        .iter()
        .filter(|o| matches!(o.status, Status::Failed | Status::KnownFailure))
        .map(|o| Entry {
            id: o.id.clone(),
            reason: previous
                .and_then(|b| b.reason(&o.id))
                .map(str::to_owned)
                .unwrap_or_else(|| first_failure(o)),
        })
        .collect();
    known_failures.sort();
    let file = BaselineFile {
        schema: None,
        target: Some(target.to_owned()),
        known_failures,
    };
    serde_json::to_string_pretty(&file).unwrap_or_default() + "\n"
}

/// Writes [`render_new`] to `path` atomically; returns the number of entries.
pub fn write(
    path: &Path,
    outcomes: &[Outcome],
    previous: Option<&Baseline>,
    target: &str,
) -> Result<usize, BaselineError> {
    let text = render_new(outcomes, previous, target);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| BaselineError {
            path: path.to_path_buf(),
            problem: e.to_string(),
        })?;
    }
    super::atomic::write_atomic(path, text.as_bytes()).map_err(|e| BaselineError {
        path: path.to_path_buf(),
        problem: e.to_string(),
    })?;
    Ok(outcomes
        .iter()
        .filter(|o| matches!(o.status, Status::Failed | Status::KnownFailure))
        .count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::report::fixtures::{self, outcome, success_instead_of};

    fn baseline(text: &str) -> Result<Baseline, BaselineError> {
        Baseline::parse(Path::new("base.json"), text)
    }

    fn failed(id: &str) -> Outcome {
        fixtures::failed(id, Level::Must, success_instead_of("MissingParameter"))
    }

    #[test]
    fn listed_failures_become_known_and_listed_passes_are_reported() {
        let b = baseline(
            r#"{"known_failures": [
                {"id": "a/known", "reason": "vendor ticket 12"},
                {"id": "a/fixed", "reason": "was broken"},
                {"id": "a/gone", "reason": "renamed"}]}"#,
        )
        .unwrap();
        let mut outcomes = vec![
            failed("a/known"),
            outcome("a/fixed", Level::Must, Status::Passed),
            failed("a/new"),
        ];
        let reasons: Vec<Option<String>> = outcomes.iter_mut().map(|o| b.apply(o)).collect();
        assert_eq!(reasons, [Some("vendor ticket 12".to_owned()), None, None]);
        assert_eq!(outcomes[0].status, Status::KnownFailure);
        assert_eq!(
            outcomes[0].notes,
            ["known failure (base.json): vendor ticket 12"]
        );
        assert_eq!(outcomes[2].status, Status::Failed);
        let unknown = b.unknown(["a/known", "a/fixed", "a/new"]);
        assert_eq!(unknown, ["a/gone"]);
        let report = b.report(&outcomes, unknown);
        assert_eq!(report.known_failures.len(), 1);
        assert_eq!(report.now_passing[0].id, "a/fixed");
        let text = report.render();
        assert!(
            text.contains(
                "1 known failure(s) now pass — remove them from base.json:\n    a/fixed\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("1 entry name no case of this suite: a/gone"),
            "{text}"
        );
    }

    #[test]
    fn bad_baselines_are_refused_with_every_problem() {
        let error = baseline(
            r#"{"known_failures": [{"id": "a", "reason": ""}, {"id": "b", "reason": "x"}, {"id": "b", "reason": "y"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "baseline base.json: /known_failures/0: `a` has no reason (say why it fails on this target); /known_failures/2: `b` is listed twice"
        );
        let error = baseline(r#"{"known_failures": [], "extra": 1}"#).unwrap_err();
        assert!(error.problem.contains("unknown field `extra`"), "{error}");
        assert!(error.problem.contains("line 1"), "{error}");
        assert!(baseline(r#"{"$schema": "x", "target": "t", "known_failures": []}"#).is_ok());
    }

    #[test]
    fn a_written_baseline_keeps_old_reasons_and_reads_back() {
        let old =
            baseline(r#"{"known_failures": [{"id": "a/known", "reason": "ticket 12"}]}"#).unwrap();
        let mut known = failed("a/known");
        old.apply(&mut known);
        let outcomes = vec![
            known,
            failed("a/new"),
            outcome("a/ok", Level::Must, Status::Passed),
        ];
        let text = render_new(&outcomes, Some(&old), "mock");
        let again = baseline(&text).unwrap();
        assert_eq!(again.target.as_deref(), Some("mock"));
        let entries: Vec<(&str, &str)> = again
            .entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            entries,
            [
                ("a/known", "ticket 12"),
                (
                    "a/new",
                    "step 1 (CreateSession): outcome: expected MissingParameter, got success"
                )
            ]
        );
    }
}
