//! run: `compare` — the same cases against two or more targets, one ordinary run per target
//! ([`super::run_to_report`]: its own settings, credentials, pacing, cleanup ledger, safety guard
//! and run id, hence its own UserIds), one target after the other so that two targets on one
//! account never share its rate limit, then the matrix ([`Comparison`]). The results stay plain
//! data ([`Compared`]): each target's report and the matrix, for tools that record the oracle's
//! answers.

use std::io::Write;

use super::{CATALOGUE, Ending, Invocation, RunError, run_to_report};
use crate::case::catalogue::Catalogue;
use crate::mock::MockConfig;
use crate::report::RunReport;
use crate::report::compare::Comparison;
use crate::send::timeout::Stop;

/// How the embedded mock of a target differs from the documented one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MockChange {
    /// A named defect (`mock::defects`).
    pub defect: Option<String>,
    /// Named allowed variants (`mock::variants`).
    pub variants: Vec<String>,
}

impl MockChange {
    /// Switches the change on in one mock configuration (the shared mock's, or a case's own).
    pub fn apply(&self, config: &mut MockConfig) {
        if let Some(defect) = &self.defect {
            config.defect = Some(defect.clone());
        }
        for variant in &self.variants {
            if !config.variants.contains(variant) {
                config.variants.push(variant.clone());
            }
        }
    }
}

/// One target of a comparison: its name and the invocation of its run.
#[derive(Debug)]
pub struct Side {
    pub name: String,
    pub invocation: Invocation,
    /// For the embedded mock: its defect or variants (nothing for a URL target).
    pub mock: MockChange,
}

/// What one target's run gave.
#[derive(Debug)]
pub struct TargetRun {
    pub name: String,
    /// How the run ended, or why it could not run (`cli` maps it onto an exit code).
    pub ended: Result<Ending, RunError>,
    /// `None` when the run ended before its cases (an error, an empty selection).
    pub report: Option<RunReport>,
}

/// Every target's run, and the matrix once at least two of them reported.
#[derive(Debug)]
pub struct Compared {
    pub targets: Vec<TargetRun>,
    pub comparison: Option<Comparison>,
    /// Why later targets were not run (an interruption, a usage error), if they were not.
    pub stopped: Option<String>,
}

impl Compared {
    /// The report `compare --report-dir` extends with the matrix: the oracle's, else the first.
    pub fn reference(&self) -> Option<&RunReport> {
        let oracle = self.comparison.as_ref().and_then(|c| c.oracle.as_deref());
        self.targets
            .iter()
            .find(|t| Some(t.name.as_str()) == oracle)
            .or(self.targets.first())
            .and_then(|t| t.report.as_ref())
    }
}

/// Why no further target should run after one that ended as `ended`.
fn stops(ended: &Result<Ending, RunError>, reported: bool) -> Option<&'static str> {
    match ended {
        Ok(Ending::Ran {
            stop: Some(Stop::Interrupted),
            ..
        }) => Some("interrupted (Ctrl-C or SIGTERM)"),
        Ok(Ending::Ran {
            stop: Some(Stop::OutputClosed),
            ..
        }) => Some("the output was closed"),
        Err(_) => Some("a target could not run"),
        _ if !reported => Some("a target's run ended before its cases"),
        _ => None,
    }
}

/// Runs every side in turn (each target's header, cases and summary on `out` as `run` prints
/// them), then builds the matrix; `oracle` names one of the sides.
pub fn compare(sides: Vec<Side>, oracle: Option<&str>, out: &mut dyn Write) -> Compared {
    let catalogue = sides
        .first()
        .map(|s| s.invocation.settings.schemas_dir.join(CATALOGUE))
        .and_then(|path| Catalogue::load(&path).ok())
        .unwrap_or_default();
    let total = sides.len();
    let mut targets = Vec::with_capacity(total);
    let mut stopped = None;
    for (index, side) in sides.into_iter().enumerate() {
        let _ = writeln!(
            out,
            "\n=== target {} of {total}: {} ===",
            index + 1,
            side.name
        );
        let _ = out.flush();
        let mock = side.mock;
        let (ended, report) = match run_to_report(side.invocation, &|config| mock.apply(config)) {
            Ok(ran) => (Ok(ran.ending), ran.report),
            Err(error) => (Err(error), None),
        };
        let why = stops(&ended, report.is_some());
        targets.push(TargetRun {
            name: side.name,
            ended,
            report,
        });
        if let Some(why) = why {
            if index + 1 < total {
                stopped = Some(format!(
                    "{why}: {} of {total} targets not run",
                    total - index - 1
                ));
            }
            break;
        }
    }
    let reported: Vec<(&str, &RunReport)> = targets
        .iter()
        .filter_map(|t| t.report.as_ref().map(|r| (t.name.as_str(), r)))
        .collect();
    let comparison = (reported.len() >= 2 && reported.len() == total)
        .then(|| Comparison::build(&reported, oracle, &catalogue));
    Compared {
        targets,
        comparison,
        stopped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_switches_the_defect_and_adds_variants_once() {
        let change = MockChange {
            defect: Some("lock-not-required".into()),
            variants: vec!["enum-trimmed".into()],
        };
        let mut config = MockConfig {
            variants: vec!["enum-trimmed".into()],
            ..MockConfig::default()
        };
        change.apply(&mut config);
        assert_eq!(config.defect.as_deref(), Some("lock-not-required"));
        assert_eq!(config.variants, ["enum-trimmed"]);
        let mut untouched = MockConfig::default();
        MockChange::default().apply(&mut untouched);
        assert_eq!(untouched.defect, None);
        assert!(untouched.variants.is_empty());
    }

    #[test]
    fn an_interruption_or_a_run_without_report_stops_the_comparison() {
        let ran = |stop| {
            Ok(Ending::Ran {
                failed: true,
                left_behind: true,
                stop,
                unwritten: None,
            })
        };
        assert!(stops(&ran(Some(Stop::Interrupted)), true).is_some());
        assert!(stops(&ran(Some(Stop::OutputClosed)), true).is_some());
        assert!(stops(&Err(RunError::NoThreads), false).is_some());
        assert!(stops(&Ok(Ending::Nothing), false).is_some());
        // A failed run, or one that left a UserId, does not keep the next target from running.
        assert!(stops(&ran(None), true).is_none());
        assert!(stops(&ran(Some(Stop::Unreachable)), true).is_none());
    }
}
