//! report: the verdict of a run — `PASS`, `FAIL` or `INCOMPLETE` with its reason — computed in
//! one place ([`Verdict::of`]) from how the run ended and its outcomes, so the console line,
//! report.json, junit.xml, summary.md, report.html, certification and `verify` all say the same.
//! A run that stopped early or ran nothing is never a pass, whatever its passed cases say.

use serde::{Deserialize, Serialize};

use crate::case::Level;
use crate::outcome::{Outcome, Status};

/// Why a run is incomplete; report.json spells it in kebab-case (`verdict.incomplete`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Incomplete {
    /// Ctrl-C (SIGINT) or SIGTERM stopped the run.
    Interrupted,
    /// `--run-timeout` elapsed.
    RunTimeout,
    /// The breaker opened: requests to the target kept timing out, later ones were not sent.
    TargetNotAnswering,
    /// No request to the target got any answer (connection refused, no route, DNS).
    TargetUnreachable,
    /// Every selected case was skipped.
    NoCaseRan,
    /// Cases ran, but every `must` case among them was skipped.
    MustCasesSkipped,
}

impl Incomplete {
    /// The kebab-case name report.json and junit.xml use.
    pub fn as_str(self) -> &'static str {
        match self {
            Incomplete::Interrupted => "interrupted",
            Incomplete::RunTimeout => "run-timeout",
            Incomplete::TargetNotAnswering => "target-not-answering",
            Incomplete::TargetUnreachable => "target-unreachable",
            Incomplete::NoCaseRan => "no-case-ran",
            Incomplete::MustCasesSkipped => "must-cases-skipped",
        }
    }
}

/// How the runner saw a run end before its end: the cause and its words (`the run timed out
/// after 2 s (--run-timeout)`), which the verdict's reason starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlyEnd {
    pub why: Incomplete,
    pub detail: String,
}

/// The verdict of a run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Verdict {
    /// Every selected case that could run ran; no `must` or `should` case failed; coverage met.
    #[default]
    Pass,
    /// A `must` or `should` case failed, or coverage fell below `--min-coverage`.
    Fail,
    /// The run did not complete or ran nothing that could pass: never a pass.
    Incomplete { why: Incomplete, reason: String },
}

impl Verdict {
    /// The verdict of a run that ended as `early` says (`None`: it ran to its end), with
    /// `outcomes`, where `fails` says whether its failures or coverage fail it. A run that
    /// stopped early is incomplete even when cases failed before the stop: the failures are in
    /// the counts, and the verdict must not read as the target's full judgement.
    pub fn of(early: Option<EarlyEnd>, outcomes: &[Outcome], fails: bool) -> Self {
        let skipped = outcomes
            .iter()
            .filter(|o| o.status == Status::Skipped)
            .count();
        let total = outcomes.len();
        if let Some(early) = early {
            let mut reason = early.detail;
            if skipped > 0 {
                reason.push_str(&format!("; {skipped} of {total} cases skipped or not run"));
            }
            return Verdict::Incomplete {
                why: early.why,
                reason,
            };
        }
        if skipped == total {
            return Verdict::Incomplete {
                why: Incomplete::NoCaseRan,
                reason: format!("no case ran: all {total} selected cases were skipped"),
            };
        }
        if fails {
            return Verdict::Fail;
        }
        let must: Vec<&Outcome> = outcomes.iter().filter(|o| o.level == Level::Must).collect();
        if !must.is_empty() && must.iter().all(|o| o.status == Status::Skipped) {
            return Verdict::Incomplete {
                why: Incomplete::MustCasesSkipped,
                reason: format!(
                    "every must case was skipped ({} of {})",
                    must.len(),
                    must.len()
                ),
            };
        }
        Verdict::Pass
    }

    /// `PASS`, `FAIL` or `INCOMPLETE`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Incomplete { .. } => "INCOMPLETE",
        }
    }

    /// Why the run is incomplete, if it is.
    pub fn incomplete(&self) -> Option<(Incomplete, &str)> {
        match self {
            Verdict::Incomplete { why, reason } => Some((*why, reason)),
            _ => None,
        }
    }

    /// The label, then the reason of an incomplete run: what the console's last line and the
    /// reports' headings say.
    pub fn line(&self) -> String {
        match self.incomplete() {
            Some((_, reason)) => format!("{} — {reason}", self.label()),
            None => self.label().to_owned(),
        }
    }
}

/// report.json's `verdict`: `{"result": "INCOMPLETE", "incomplete": "interrupted", "reason": …}`.
#[derive(Serialize, Deserialize)]
struct Recorded {
    result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    incomplete: Option<Incomplete>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Recorded {
            result: self.label().to_owned(),
            incomplete: self.incomplete().map(|(why, _)| why),
            reason: self.incomplete().map(|(_, reason)| reason.to_owned()),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Verdict {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let recorded = Recorded::deserialize(deserializer)?;
        match (recorded.result.as_str(), recorded.incomplete) {
            ("PASS", None) => Ok(Verdict::Pass),
            ("FAIL", None) => Ok(Verdict::Fail),
            ("INCOMPLETE", Some(why)) => Ok(Verdict::Incomplete {
                why,
                reason: recorded.reason.unwrap_or_default(),
            }),
            (result, _) => Err(serde::de::Error::custom(format!(
                "not a verdict: {result} (PASS, FAIL, or INCOMPLETE with its cause)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::outcome;

    fn early(why: Incomplete, detail: &str) -> Option<EarlyEnd> {
        Some(EarlyEnd {
            why,
            detail: detail.to_owned(),
        })
    }

    #[test]
    fn a_run_that_stopped_early_is_incomplete_even_with_failures() {
        let outcomes = vec![
            outcome("a", Level::Must, Status::Passed),
            outcome("b", Level::Must, Status::Failed),
            outcome("c", Level::Must, Status::Skipped),
        ];
        let verdict = Verdict::of(
            early(Incomplete::Interrupted, "the run was interrupted (Ctrl-C)"),
            &outcomes,
            true,
        );
        assert_eq!(
            verdict.line(),
            "INCOMPLETE — the run was interrupted (Ctrl-C); 1 of 3 cases skipped or not run"
        );
        assert_eq!(verdict.incomplete().unwrap().0, Incomplete::Interrupted);
    }

    #[test]
    fn nothing_run_or_every_must_case_skipped_is_not_a_pass() {
        let none = vec![outcome("a", Level::Must, Status::Skipped)];
        assert_eq!(
            Verdict::of(None, &none, false).incomplete().unwrap().0,
            Incomplete::NoCaseRan
        );
        assert_eq!(
            Verdict::of(None, &[], false).incomplete().unwrap().0,
            Incomplete::NoCaseRan
        );
        let musts_skipped = vec![
            outcome("a", Level::Must, Status::Skipped),
            outcome("b", Level::Info, Status::Passed),
        ];
        let verdict = Verdict::of(None, &musts_skipped, false);
        assert_eq!(
            verdict.incomplete().unwrap().0,
            Incomplete::MustCasesSkipped
        );
        assert_eq!(
            verdict.line(),
            "INCOMPLETE — every must case was skipped (1 of 1)"
        );
        // A should failure among them is a real failure.
        let failed = vec![
            outcome("a", Level::Must, Status::Skipped),
            outcome("b", Level::Should, Status::Failed),
        ];
        assert_eq!(Verdict::of(None, &failed, true), Verdict::Fail);
    }

    #[test]
    fn a_finished_run_passes_or_fails() {
        let some_skipped = vec![
            outcome("a", Level::Must, Status::Passed),
            outcome("b", Level::Must, Status::Skipped),
        ];
        assert_eq!(Verdict::of(None, &some_skipped, false), Verdict::Pass);
        assert_eq!(Verdict::of(None, &some_skipped, true), Verdict::Fail);
        // Only should/info cases selected: no must case to skip.
        let no_must = vec![outcome("a", Level::Should, Status::Passed)];
        assert_eq!(Verdict::of(None, &no_must, false), Verdict::Pass);
    }

    #[test]
    fn the_recorded_verdict_round_trips_and_refuses_nonsense() {
        for verdict in [
            Verdict::Pass,
            Verdict::Fail,
            Verdict::Incomplete {
                why: Incomplete::RunTimeout,
                reason: "the run timed out after 1s (--run-timeout)".into(),
            },
        ] {
            let value = serde_json::to_value(&verdict).unwrap();
            assert_eq!(serde_json::from_value::<Verdict>(value).unwrap(), verdict);
        }
        let value = serde_json::to_value(Verdict::Incomplete {
            why: Incomplete::TargetUnreachable,
            reason: "r".into(),
        })
        .unwrap();
        assert_eq!(
            value,
            serde_json::json!({"result": "INCOMPLETE", "incomplete": "target-unreachable", "reason": "r"})
        );
        for bad in [
            serde_json::json!({"result": "INCOMPLETE"}),
            serde_json::json!({"result": "PASS", "incomplete": "interrupted"}),
            serde_json::json!({"result": "MAYBE"}),
        ] {
            assert!(serde_json::from_value::<Verdict>(bad).is_err());
        }
    }
}
