//! report: `compare`'s matrix as plain data — one row per case, one cell per target, each cell
//! the target's answer (success, or the error code, step by step) and its verdict; rows where the
//! targets differ first. With an oracle, cases resting on inference are judged by agreement with
//! the oracle's answer ([`super::compare_judge`]). Built from each target's [`RunReport`], read by
//! the renderers in [`super::compare_render`].

use serde::Serialize;

use super::RunReport;
use super::compare_judge::{Judge, answers_of};
use crate::case::Level;
use crate::case::catalogue::Catalogue;
use crate::outcome::{Outcome, Status};
use crate::report::verdict::Verdict;

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
    fn key(&self) -> (&[String], bool, Option<Level>) {
        let failed = self.verdict.is_failure() || self.verdict == CellVerdict::Discrepancy;
        (&self.answers, failed, self.level.filter(|_| failed))
    }
}

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

/// A cell judged as `run` judges the case.
pub(super) fn plain(name: &str, outcome: &Outcome) -> Cell {
    let verdict = match outcome.status {
        Status::Passed => CellVerdict::Passed,
        Status::Failed => CellVerdict::Failed,
        Status::Skipped => CellVerdict::Skipped,
        Status::KnownFailure => CellVerdict::KnownFailure,
    };
    let reason = match outcome.status {
        Status::Skipped => outcome.skip_reason.clone(),
        _ => outcome.failures.first().map(|f| first_line(&f.to_string())),
    };
    Cell {
        target: name.to_owned(),
        answers: answers_of(outcome),
        verdict,
        level: outcome.failing_level(),
        reason,
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

pub(super) fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_owned()
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
pub(super) mod tests {
    use super::*;
    use crate::case::catalogue::{Evidence, Rule};
    use crate::outcome::{
        BodyRecord, Exchange, Failure, FailureKind, RequestRecord, ResponseRecord, StepRef,
    };
    use crate::report::fixtures::{outcome, report};

    fn step(index: usize) -> StepRef {
        StepRef {
            phase: "steps",
            index,
            label: format!("s{index}"),
            copy: None,
        }
    }

    /// An exchange of step `index` answered with `answer`: `success` or an error code.
    pub(crate) fn exchange(index: usize, answer: &str) -> Exchange {
        let body = if answer == "success" {
            r#"{"Response":{"RequestId":"r","ServerSession":"s"}}"#.to_owned()
        } else {
            serde_json::json!({"Response": {"Error": {"Code": answer, "Message": "m"}, "RequestId": "r"}})
                .to_string()
        };
        Exchange {
            step: step(index),
            request: RequestRecord {
                method: "POST".into(),
                url: "http://127.0.0.1:1/".into(),
                headers: vec![],
                body: BodyRecord::new(b"{}"),
            },
            response: Some(ResponseRecord {
                status: 200,
                headers: vec![],
                body: BodyRecord::new(body.as_bytes()),
                latency_ms: 1,
            }),
            error: None,
        }
    }

    /// A case answered `answers` step by step; failed at `failed` (an outcome check) if given.
    pub(crate) fn case(
        id: &str,
        level: Level,
        covers: &[&str],
        answers: &[&str],
        failed: Option<Level>,
    ) -> Outcome {
        let status = if failed.is_some() {
            Status::Failed
        } else {
            Status::Passed
        };
        let mut o = outcome(id, level, status);
        o.covers = covers.iter().map(|c| (*c).to_owned()).collect();
        o.exchanges = answers
            .iter()
            .enumerate()
            .map(|(i, a)| exchange(i, a))
            .collect();
        if let Some(level) = failed {
            o.failures.push(Failure {
                step: step(answers.len().saturating_sub(1)),
                exchange: None,
                level,
                kind: FailureKind::Outcome {
                    expected: "InvalidParameterValue".into(),
                    actual: (*answers.last().unwrap_or(&"")).to_owned(),
                },
            });
        }
        o
    }

    pub(crate) fn catalogue() -> Catalogue {
        let rule = |id: &str, evidence: Evidence| Rule {
            id: id.into(),
            level: Level::Info,
            text: "t".into(),
            source: "s".into(),
            evidence,
            not_applicable: None,
        };
        Catalogue {
            rules: vec![
                rule(
                    "doc",
                    Evidence::Documented {
                        quote: "q".into(),
                        url: "https://www.tencentcloud.com/".into(),
                    },
                ),
                rule(
                    "guess",
                    Evidence::Inferred {
                        reasoning: "r".into(),
                    },
                ),
            ],
            error_codes: vec![],
        }
    }

    fn row<'a>(c: &'a Comparison, id: &str) -> &'a Row {
        c.rows.iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn rows_that_differ_come_first_and_a_skip_is_no_difference() {
        let mut skipped = outcome("c/skipped-on-b", Level::Must, Status::Skipped);
        skipped.covers = vec!["doc".into()];
        let a = report(
            vec![
                case("a/same", Level::Must, &["doc"], &["success"], None),
                case("b/code", Level::Must, &["doc"], &["MissingParameter"], None),
                case("c/skipped-on-b", Level::Must, &["doc"], &["success"], None),
            ],
            100.0,
            None,
        );
        let b = report(
            vec![
                case("a/same", Level::Must, &["doc"], &["success"], None),
                case(
                    "b/code",
                    Level::Must,
                    &["doc"],
                    &["success"],
                    Some(Level::Must),
                ),
                skipped,
            ],
            100.0,
            None,
        );
        let c = Comparison::build(&[("a", &a), ("b", &b)], None, &catalogue());
        let order: Vec<(&str, bool)> = c.rows.iter().map(|r| (r.id.as_str(), r.differs)).collect();
        assert_eq!(
            order,
            [
                ("b/code", true),
                ("a/same", false),
                ("c/skipped-on-b", false)
            ]
        );
        assert_eq!(c.differing, 1);
        let cell = &row(&c, "b/code").cells[1];
        assert_eq!(
            (cell.verdict, cell.level, cell.answer_line()),
            (CellVerdict::Failed, Some(Level::Must), "success".to_owned())
        );
        assert_eq!(cell.verdict_line(), "failed (must)");
        assert_eq!(c.targets[1].verdict, "FAIL");
        assert!(c.fails());
    }

    #[test]
    fn the_same_answer_judged_differently_is_a_difference_too() {
        let a = report(
            vec![case("x", Level::Should, &["doc"], &["success"], None)],
            100.0,
            None,
        );
        let b = report(
            vec![case(
                "x",
                Level::Should,
                &["doc"],
                &["success"],
                Some(Level::Should),
            )],
            100.0,
            None,
        );
        let c = Comparison::build(&[("a", &a), ("b", &b)], None, &catalogue());
        assert!(c.rows[0].differs);
    }

    #[test]
    fn an_oracle_replaces_the_guess_of_an_inferred_case_and_judges_documented_ones_as_usual() {
        let oracle = report(
            vec![
                // The case guessed a refusal; the oracle accepts: its answer is the reference.
                case(
                    "g/accepts",
                    Level::Info,
                    &["guess", "doc"],
                    &["success"],
                    Some(Level::Info),
                ),
                case(
                    "g/same",
                    Level::Info,
                    &["guess"],
                    &["InvalidParameterValue"],
                    None,
                ),
                // The oracle fails a documented rule: a discrepancy.
                case(
                    "d/rule",
                    Level::Must,
                    &["doc"],
                    &["success"],
                    Some(Level::Must),
                ),
            ],
            100.0,
            None,
        );
        let vendor = report(
            vec![
                case(
                    "g/accepts",
                    Level::Info,
                    &["guess", "doc"],
                    &["InvalidParameterValue"],
                    None,
                ),
                case(
                    "g/same",
                    Level::Info,
                    &["guess"],
                    &["InvalidParameterValue"],
                    None,
                ),
                case(
                    "d/rule",
                    Level::Must,
                    &["doc"],
                    &["InvalidParameterValue"],
                    None,
                ),
            ],
            100.0,
            None,
        );
        let c = Comparison::build(
            &[("cloud", &oracle), ("vendor", &vendor)],
            Some("cloud"),
            &catalogue(),
        );
        let accepts = row(&c, "g/accepts");
        assert_eq!(accepts.evidence, "inferred");
        assert_eq!(accepts.cells[0].verdict, CellVerdict::Oracle);
        assert_eq!(accepts.cells[1].verdict, CellVerdict::Disagrees);
        assert_eq!(accepts.cells[1].level, Some(Level::Info));
        assert_eq!(
            accepts.cells[1].reason.as_deref(),
            Some("answers InvalidParameterValue where the oracle answers success")
        );
        assert_eq!(row(&c, "g/same").cells[1].verdict, CellVerdict::Agrees);
        let documented = row(&c, "d/rule");
        assert_eq!(documented.cells[0].verdict, CellVerdict::Discrepancy);
        assert_eq!(documented.cells[1].verdict, CellVerdict::Passed);
        assert_eq!(
            (c.targets[0].verdict, c.targets[0].discrepancies),
            ("ORACLE", 1)
        );
        assert_eq!(
            (c.targets[1].verdict, c.targets[1].disagreements),
            ("PASS", 1)
        );
        assert!(!c.fails(), "the oracle's discrepancy fails no vendor");
    }

    #[test]
    fn a_success_with_other_fields_disagrees_with_the_oracle_and_says_which() {
        let oracle = report(
            vec![case("g/shape", Level::Info, &["guess"], &["success"], None)],
            100.0,
            None,
        );
        let mut vendor = report(
            vec![case("g/shape", Level::Info, &["guess"], &["success"], None)],
            100.0,
            None,
        );
        let body = r#"{"Response":{"RequestId":"r"}}"#;
        vendor.cases[0].exchanges[0].response.as_mut().unwrap().body =
            BodyRecord::new(body.as_bytes());
        let c = Comparison::build(&[("o", &oracle), ("v", &vendor)], Some("o"), &catalogue());
        let cell = &c.rows[0].cells[1];
        assert_eq!(cell.verdict, CellVerdict::Disagrees);
        assert_eq!(
            cell.reason.as_deref(),
            Some(
                "answers success {RequestId} where the oracle answers success {RequestId, ServerSession}"
            )
        );
        // Without an oracle the answers are the same: no difference is claimed.
        let plain = Comparison::build(&[("o", &oracle), ("v", &vendor)], None, &catalogue());
        assert!(!plain.rows[0].differs);
    }
}
