//! report: `compare`'s matrix as plain data — one row per case, one cell per target, each cell
//! the target's answer (success, or the error code, step by step) and its verdict; rows where the
//! targets differ first. With an oracle, cases resting on inference are judged by agreement with
//! the oracle's answer ([`super::compare_judge`]). Built from each target's [`RunReport`], read by
//! the renderers in [`super::compare_render`].

use serde::Serialize;

use super::RunReport;
pub use super::compare_cell::{Cell, CellVerdict};
use super::compare_judge::{Judge, plain};
use crate::case::Level;
use crate::case::catalogue::Catalogue;
use crate::outcome::Outcome;
use crate::report::verdict::Verdict;

/// One case across the targets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub id: String,
    pub level: Level,
    /// `documented`, or `inferred` when an item the case covers rests on inference.
    pub evidence: &'static str,
    /// Whether two targets that ran the case answered or were judged differently.
    pub differs: bool,
    pub cells: Vec<Cell>,
}

/// One target's column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    /// `embedded-mock` or `url`.
    pub kind: &'static str,
    pub url: String,
    /// The run's own verdict (`PASS`, `FAIL`, `INCOMPLETE`), as `run` would give it.
    pub run_verdict: &'static str,
    /// The verdict in this comparison: as the run's, except that with an oracle the cells
    /// judged by agreement replace the cases' guesses; `ORACLE` for the oracle.
    pub verdict: &'static str,
    /// Cells counting against the target at `must`/`should`.
    pub failing: usize,
    pub disagreements: usize,
    pub discrepancies: usize,
}

/// The whole matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The oracle's name, if one was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oracle: Option<String>,
    pub targets: Vec<Column>,
    pub cases: usize,
    /// Rows where the targets differ (they come first in `rows`).
    pub differing: usize,
    pub rows: Vec<Row>,
}

impl Comparison {
    /// Builds the matrix from each named target's report (all of the same suite and filter).
    /// `oracle` names one of them; `catalogue` says which items rest on inference.
    pub fn build(
        targets: &[(&str, &RunReport)],
        oracle: Option<&str>,
        catalogue: &Catalogue,
    ) -> Self {
        let judge = Judge::new(catalogue);
        let oracle_report = oracle.and_then(|name| {
            targets
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, report)| *report)
        });
        let mut ids: Vec<&str> = targets
            .iter()
            .flat_map(|(_, r)| r.cases.iter().map(|o| o.id.as_str()))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut rows: Vec<Row> = ids
            .into_iter()
            .map(|id| {
                let find = |report: &RunReport| report.cases.iter().find(|o| o.id == id).cloned();
                let outcomes: Vec<Option<Outcome>> =
                    targets.iter().map(|(_, report)| find(report)).collect();
                let first = outcomes.iter().flatten().next();
                let (level, covers) =
                    first.map_or((Level::Info, Vec::new()), |o| (o.level, o.covers.clone()));
                let inferred = judge.inferred(&covers);
                let from_oracle = oracle_report.and_then(find);
                let cells: Vec<Cell> = targets
                    .iter()
                    .zip(&outcomes)
                    .map(|((name, _), outcome)| {
                        let is_oracle = oracle == Some(*name);
                        match (outcome, &from_oracle) {
                            (None, _) => missing(name),
                            (Some(o), _) if is_oracle => judge.oracle_cell(name, o, inferred),
                            (Some(o), Some(by)) if oracle.is_some() => {
                                judge.against_oracle(name, o, by, inferred)
                            }
                            (Some(o), _) => plain(name, o),
                        }
                    })
                    .collect();
                Row {
                    id: id.to_owned(),
                    level,
                    evidence: if inferred { "inferred" } else { "documented" },
                    differs: differs(&cells),
                    cells,
                }
            })
            .collect();
        rows.sort_by(|a, b| b.differs.cmp(&a.differs).then_with(|| a.id.cmp(&b.id)));
        let columns = targets
            .iter()
            .enumerate()
            .map(|(index, (name, report))| column(name, report, index, &rows, oracle))
            .collect();
        Self {
            oracle: oracle.map(str::to_owned),
            targets: columns,
            cases: rows.len(),
            differing: rows.iter().filter(|r| r.differs).count(),
            rows,
        }
    }

    /// Whether any target other than the oracle fails the comparison (a `must`/`should` cell,
    /// or a run that did not complete); an incomplete oracle run counts too.
    pub fn fails(&self) -> bool {
        self.targets
            .iter()
            .any(|c| c.verdict != "PASS" && c.verdict != "ORACLE")
    }
}

fn missing(name: &str) -> Cell {
    Cell {
        target: name.to_owned(),
        answers: Vec::new(),
        verdict: CellVerdict::Skipped,
        level: None,
        reason: Some("not in this target's run".to_owned()),
    }
}

/// Two targets that ran the case answered differently or were judged differently (a target
/// that skipped it is left out: a mock-only case says nothing about a URL target).
fn differs(cells: &[Cell]) -> bool {
    let ran: Vec<&Cell> = cells
        .iter()
        .filter(|c| c.verdict != CellVerdict::Skipped)
        .collect();
    ran.windows(2).any(|pair| pair[0].key() != pair[1].key())
}

fn column(
    name: &str,
    report: &RunReport,
    index: usize,
    rows: &[Row],
    oracle: Option<&str>,
) -> Column {
    let cells = || rows.iter().map(move |r| &r.cells[index]);
    let failing = cells()
        .filter(|c| c.verdict.is_failure() && c.level.is_some_and(Level::fails_run))
        .count();
    let run_verdict = match report.verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Incomplete { .. } => "INCOMPLETE",
    };
    let verdict = if run_verdict == "INCOMPLETE" {
        "INCOMPLETE"
    } else if oracle == Some(name) {
        "ORACLE"
    } else if oracle.is_none() {
        run_verdict
    } else if failing > 0 || report.below_min_coverage() {
        "FAIL"
    } else {
        "PASS"
    };
    Column {
        name: name.to_owned(),
        kind: report.target.kind,
        url: report.target.url.clone(),
        run_verdict,
        verdict,
        failing,
        disagreements: cells()
            .filter(|c| c.verdict == CellVerdict::Disagrees)
            .count(),
        discrepancies: cells()
            .filter(|c| c.verdict == CellVerdict::Discrepancy)
            .count(),
    }
}

#[cfg(test)]
#[path = "compare_tests.rs"]
pub(super) mod tests;
