//! report: how `compare` reads and judges one cell — a case's answers step by step, and, with
//! an oracle, agreement with the oracle where the catalogue rests on inference. Documented
//! rules are judged as `run` judges them; the oracle failing one is a documentation
//! discrepancy, never a vendor failure.

use std::collections::BTreeSet;

use serde_json::Value;

use super::compare_cell::{Cell, CellVerdict, first_line};
use crate::case::catalogue::Catalogue;
use crate::check::levels::CheckLevels;
use crate::outcome::{Exchange, Failure, FailureKind, Outcome, Status};

/// One step's answer: its text, and for a success the names of the fields it answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StepAnswer {
    text: String,
    shape: Option<Vec<String>>,
}

/// The answer one exchange got: `success`, the error code, `no answer`, or `HTTP N, not JSON`.
fn answer_of(exchange: &Exchange) -> StepAnswer {
    let Some(response) = &exchange.response else {
        return StepAnswer {
            text: "no answer".to_owned(),
            shape: None,
        };
    };
    let parsed: Option<Value> = serde_json::from_str(&response.body.text).ok();
    let envelope = parsed.as_ref().and_then(|v| v.get("Response"));
    match envelope {
        Some(Value::Object(fields)) => match fields
            .get("Error")
            .and_then(|e| e.get("Code"))
            .and_then(Value::as_str)
        {
            Some(code) => StepAnswer {
                text: crate::redact::for_terminal(code).into_owned(),
                shape: None,
            },
            None => StepAnswer {
                text: "success".to_owned(),
                // Sorted: the order of fields is no part of the shape (JSON objects are unordered).
                shape: Some(
                    fields
                        .keys()
                        .cloned()
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect(),
                ),
            },
        },
        _ => StepAnswer {
            text: format!("HTTP {}, not a Response envelope", response.status),
            shape: None,
        },
    }
}

/// The answers of a case's steps (cleanup left out), in order; the copies of one step as the
/// distinct answers they got, so the race between copies does not make targets differ.
fn step_answers(outcome: &Outcome) -> Vec<StepAnswer> {
    let mut steps: Vec<(usize, Vec<StepAnswer>)> = Vec::new();
    for exchange in outcome.exchanges.iter().filter(|e| e.step.phase == "steps") {
        let answer = answer_of(exchange);
        match steps.last_mut() {
            Some((index, answers)) if *index == exchange.step.index => answers.push(answer),
            _ => steps.push((exchange.step.index, vec![answer])),
        }
    }
    steps
        .into_iter()
        .map(|(_, answers)| {
            let texts: BTreeSet<&str> = answers.iter().map(|a| a.text.as_str()).collect();
            StepAnswer {
                text: texts.into_iter().collect::<Vec<_>>().join(" | "),
                shape: answers.iter().find_map(|a| a.shape.clone()),
            }
        })
        .collect()
}

/// What a cell shows: each step's answer.
pub fn answers_of(outcome: &Outcome) -> Vec<String> {
    step_answers(outcome).into_iter().map(|a| a.text).collect()
}

/// Judges cells against an oracle with the catalogue's evidence.
#[derive(Debug)]
pub struct Judge {
    inferred: BTreeSet<String>,
}

impl Judge {
    pub fn new(catalogue: &Catalogue) -> Self {
        let inferred = catalogue
            .items()
            .into_iter()
            .filter(|item| item.evidence.kind() == "inferred")
            .map(|item| item.id.to_owned())
            .collect();
        Self { inferred }
    }

    /// Whether a case covering `covers` rests on inference: one of its items does (a documented
    /// error code beside an inferred rule only says the code exists, not when it is answered).
    pub fn inferred(&self, covers: &[String]) -> bool {
        covers.iter().any(|id| self.inferred.contains(id))
    }

    /// Whether `failure` is the case's guess where the case rests on inference (its own
    /// expectation), or a default check whose catalogue rule rests on inference.
    fn is_guess(&self, failure: &Failure, inferred_case: bool) -> bool {
        let own = matches!(
            failure.kind,
            FailureKind::Outcome { .. }
                | FailureKind::Tally { .. }
                | FailureKind::Snapshot { .. }
                | FailureKind::Capture { .. }
        );
        (inferred_case && own)
            || CheckLevels::rule_of(&failure.kind, true).is_some_and(|r| self.inferred.contains(r))
    }

    /// The oracle's own cell: on an inferred case its answer is the reference; a documented
    /// rule it fails is a discrepancy between the documentation and the cloud.
    pub fn oracle_cell(&self, name: &str, outcome: &Outcome, inferred: bool) -> Cell {
        let mut cell = plain(name, outcome);
        if outcome.status == Status::Skipped {
            return cell;
        }
        let documented: Vec<&Failure> = outcome
            .failures
            .iter()
            .filter(|f| !self.is_guess(f, inferred))
            .collect();
        let unanswered = documented.iter().any(|f| {
            matches!(
                f.kind,
                FailureKind::Transport { .. }
                    | FailureKind::NotSent { .. }
                    | FailureKind::Setup { .. }
            )
        });
        (cell.verdict, cell.level, cell.reason) = match documented.first() {
            // The oracle did not answer: nothing to learn from it.
            Some(_) if unanswered => (cell.verdict, cell.level, cell.reason),
            Some(first) => (
                CellVerdict::Discrepancy,
                None,
                Some(format!(
                    "the oracle disagrees with the documentation: {}",
                    first_line(&first.to_string())
                )),
            ),
            None if inferred => (
                CellVerdict::Oracle,
                None,
                Some("the reference answer for a case resting on inference".to_owned()),
            ),
            None => (CellVerdict::Passed, None, None),
        };
        cell
    }

    /// A target's cell with an oracle: documented rules as usual; the case's guess on an
    /// inferred case replaced by agreement with the oracle's answer (the same code, or success
    /// with the same fields); a check resting on inference excused where the oracle fails it too.
    pub fn against_oracle(
        &self,
        name: &str,
        outcome: &Outcome,
        oracle: &Outcome,
        inferred: bool,
    ) -> Cell {
        let mut cell = plain(name, outcome);
        if matches!(outcome.status, Status::Skipped | Status::KnownFailure)
            || oracle.status == Status::Skipped
        {
            return cell;
        }
        let excused = |f: &Failure| {
            self.is_guess(f, inferred)
                && (inferred
                    || oracle.failures.iter().any(|o| {
                        std::mem::discriminant(&o.kind) == std::mem::discriminant(&f.kind)
                    }))
        };
        let kept: Vec<&Failure> = outcome.failures.iter().filter(|f| !excused(f)).collect();
        let (mine, theirs) = (step_answers(outcome), step_answers(oracle));
        let disagrees = inferred && mine != theirs;
        let level = kept
            .iter()
            .map(|f| f.level)
            .chain(disagrees.then_some(outcome.level))
            .min();
        cell.level = level;
        (cell.verdict, cell.reason) = match (kept.first(), disagrees) {
            (Some(first), _) => (CellVerdict::Failed, Some(first_line(&first.to_string()))),
            (None, true) => (
                CellVerdict::Disagrees,
                Some(format!(
                    "answers {} where the oracle answers {}",
                    shown(&mine, &theirs),
                    shown(&theirs, &mine)
                )),
            ),
            (None, false) if inferred => (
                CellVerdict::Agrees,
                Some("the oracle answers the same".to_owned()),
            ),
            (None, false) => (CellVerdict::Passed, None),
        };
        cell
    }
}

/// Answers as a cell's reason shows them; a success with its fields where only the fields
/// tell it from the `other` side's answer.
fn shown(answers: &[StepAnswer], other: &[StepAnswer]) -> String {
    let steps: Vec<String> = answers
        .iter()
        .enumerate()
        .map(|(index, a)| match (&a.shape, other.get(index)) {
            (Some(fields), Some(o)) if o.text == a.text && o.shape != a.shape => {
                format!("{} {{{}}}", a.text, fields.join(", "))
            }
            _ => a.text.clone(),
        })
        .collect();
    if steps.is_empty() {
        "nothing".to_owned()
    } else {
        steps.join(" → ")
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
