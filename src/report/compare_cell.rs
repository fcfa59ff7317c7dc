//! report: one cell of `compare`'s matrix — a target's answers to one case and how they were
//! judged — shared by the matrix ([`super::compare`]) and the judge ([`super::compare_judge`]).

use serde::Serialize;

use crate::case::Level;

/// How a cell is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CellVerdict {
    Passed,
    Failed,
    Skipped,
    KnownFailure,
    /// An inferred case judged by agreement: the same answer as the oracle.
    Agrees,
    /// An inferred case judged by agreement: another answer than the oracle's.
    Disagrees,
    /// The oracle's own cell of a case resting on inference: its answer is the reference.
    Oracle,
    /// The oracle fails a documented rule: the documentation and the reference implementation
    /// disagree, which is no vendor's failure.
    Discrepancy,
}

impl CellVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            CellVerdict::Passed => "passed",
            CellVerdict::Failed => "failed",
            CellVerdict::Skipped => "skipped",
            CellVerdict::KnownFailure => "known-failure",
            CellVerdict::Agrees => "agrees",
            CellVerdict::Disagrees => "disagrees",
            CellVerdict::Oracle => "oracle",
            CellVerdict::Discrepancy => "discrepancy",
        }
    }

    /// Whether the cell counts against its target (at `level`).
    pub fn is_failure(self) -> bool {
        matches!(self, CellVerdict::Failed | CellVerdict::Disagrees)
    }
}

/// One target's result for one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub target: String,
    /// What the target answered, step by step (`success`, an error code, `no answer`…); empty
    /// when the case did not run.
    pub answers: Vec<String>,
    pub verdict: CellVerdict,
    /// The level a failure counts at (failed and disagreeing cells).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// Why: the first failure, the skip reason, or what the oracle answered instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Cell {
    /// The answers as one line: steps joined with ` → `.
    pub fn answer_line(&self) -> String {
        if self.answers.is_empty() {
            "—".to_owned()
        } else {
            self.answers.join(" → ")
        }
    }

    /// The verdict as one word, with its level when it counts against the target.
    pub fn verdict_line(&self) -> String {
        match (self.verdict.is_failure(), self.level) {
            (true, Some(level)) => format!("{} ({level})", self.verdict.as_str()),
            _ => self.verdict.as_str().to_owned(),
        }
    }

    /// What two cells of one row are compared by.
    pub(super) fn key(&self) -> (&[String], bool, Option<Level>) {
        let failed = self.verdict.is_failure() || self.verdict == CellVerdict::Discrepancy;
        (&self.answers, failed, self.level.filter(|_| failed))
    }
}

/// The first line of a failure or reason: a cell shows one line.
pub(super) fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
}
