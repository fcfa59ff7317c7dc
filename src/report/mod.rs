//! report: the last stage — everything a run found, as one plain value ([`RunReport`]) that
//! every reporter reads: the console summary here, `report.json` in [`json`], and beside it in
//! the report directory ([`bundle`]) JUnit XML, a Markdown summary and a self-contained HTML page;
//! plus what certification runs, baselines, reruns and progress add to a run ([`session`]).

pub mod atomic;
pub mod audit;
pub mod baseline;
pub mod bundle;
pub mod certify;
pub mod closing;
pub mod compare;
pub mod compare_bundle;
pub mod compare_cell;
pub mod compare_judge;
pub mod compare_render;
pub mod console;
pub mod coverage;
pub mod defect_matrix;
pub mod fingerprint;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod html;
pub mod json;
pub mod junit;
pub mod listing;
pub mod markdown;
pub mod observations;
pub mod previous;
pub mod progress;
pub mod reporting;
pub mod text;
pub mod verdict;

use std::time::Duration;

use serde::Serialize;

use crate::case::Level;
use crate::outcome::{Outcome, Status};
use crate::report::coverage::Coverage;
use crate::report::verdict::{EarlyEnd, Verdict};

pub use closing::render_summary;

/// The target a run was sent to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetInfo {
    /// `embedded-mock` or `url`.
    pub kind: &'static str,
    /// The base URL (the embedded mock's is a loopback address chosen at start).
    pub url: String,
    /// The name snapshots are suffixed with (`mock`, or the host of a URL target).
    pub name: String,
}

/// Counts of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub known_failures: usize,
    /// Failed cases by level (`info` failures never fail a run).
    pub failed_must: usize,
    pub failed_should: usize,
    pub failed_info: usize,
}

impl Summary {
    pub fn of(outcomes: &[Outcome]) -> Self {
        let mut summary = Summary {
            total: outcomes.len(),
            ..Summary::default()
        };
        for outcome in outcomes {
            match outcome.status {
                Status::Passed => summary.passed += 1,
                Status::Skipped => summary.skipped += 1,
                Status::KnownFailure => summary.known_failures += 1,
                Status::Failed => {
                    summary.failed += 1;
                    // Counted at the level the case failed at, which may be below its own.
                    match outcome.failing_level().unwrap_or(outcome.level) {
                        Level::Must => summary.failed_must += 1,
                        Level::Should => summary.failed_should += 1,
                        Level::Info => summary.failed_info += 1,
                    }
                }
            }
        }
        summary
    }

    /// Whether the run fails: a case failed at `must` or `should`.
    pub fn fails_run(&self) -> bool {
        self.failed_must + self.failed_should > 0
    }
}

/// The suite that ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuiteInfo {
    pub name: &'static str,
    pub version: &'static str,
}

impl Default for SuiteInfo {
    fn default() -> Self {
        Self {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// Everything a run found.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Version of this report's format (schemas/report.schema.json).
    pub format_version: u32,
    pub suite: SuiteInfo,
    pub target: TargetInfo,
    /// RFC 3339, UTC.
    pub started_at: String,
    #[serde(rename = "duration_ms", serialize_with = "millis")]
    pub duration: Duration,
    pub summary: Summary,
    /// PASS, FAIL or INCOMPLETE with its reason ([`RunReport::judge`] sets it once the report
    /// holds every outcome).
    pub verdict: Verdict,
    /// UserIds that may still hold a lock or session on the target when the run ended (it exits
    /// 3): whatever the verdict, the run is not clean.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_behind: Vec<String>,
    /// Cases whose records were cut to their first words: the run reached its cap on what it
    /// keeps of requests and answers (`run::text_budget`).
    #[serde(skip_serializing_if = "is_zero")]
    pub records_cut: usize,
    /// The `--min-coverage` asked for, if any, and whether the run met it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_coverage: Option<f64>,
    /// Outcomes sorted by case id.
    pub cases: Vec<Outcome>,
    pub coverage: Coverage,
    /// The suite's case and schema files (report directories and certification runs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<fingerprint::Fingerprint>,
    /// The certification record (`--certify` runs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certification: Option<certify::Certification>,
    /// What the run made of `--baseline FILE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<baseline::BaselineReport>,
}

/// The report format version written by this build.
pub const FORMAT_VERSION: u32 = 1;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

impl RunReport {
    /// The cases with `status`, in report order (sorted by id).
    pub fn cases_with(&self, status: Status) -> Vec<&Outcome> {
        self.cases.iter().filter(|o| o.status == status).collect()
    }

    /// Whether coverage is below the `--min-coverage` asked for.
    pub fn below_min_coverage(&self) -> bool {
        self.min_coverage
            .is_some_and(|min| self.coverage.total.percent + 1e-9 < min)
    }

    /// Whether the cases that ran fail the run (exit code 1): a `must` or `should` failure, or
    /// coverage below `--min-coverage`. The verdict adds whether the run completed.
    pub fn fails(&self) -> bool {
        self.summary.fails_run() || self.below_min_coverage()
    }

    /// Sets the verdict from the outcomes and how the run ended (`early`: how it stopped before
    /// its end, if it did).
    pub fn judge(&mut self, early: Option<EarlyEnd>) {
        self.verdict = Verdict::of(early, &self.cases, self.fails());
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{outcome, report};
    use super::*;

    #[test]
    fn info_failures_never_fail_a_run() {
        let r = report(
            vec![
                outcome("a", Level::Must, Status::Passed),
                outcome("b", Level::Info, Status::Failed),
                outcome("c", Level::Should, Status::Skipped),
            ],
            50.0,
            None,
        );
        assert_eq!(r.summary.failed_info, 1);
        assert!(!r.fails());
        let text = render_summary(&r);
        assert!(text.contains("skipped:\n    c: mock-only\n"), "{text}");
        assert!(text.ends_with("verdict: PASS\n"), "{text}");
    }

    #[test]
    fn should_failures_and_low_coverage_fail_a_run() {
        let failed = report(
            vec![outcome("a", Level::Should, Status::Failed)],
            50.0,
            None,
        );
        assert!(failed.fails());
        let low = report(
            vec![outcome("a", Level::Must, Status::Passed)],
            49.9,
            Some(50.0),
        );
        assert!(low.fails());
        assert!(render_summary(&low).contains("below --min-coverage 50%"));
        let met = report(
            vec![outcome("a", Level::Must, Status::Passed)],
            50.0,
            Some(50.0),
        );
        assert!(!met.fails());
    }

    #[test]
    fn the_last_line_says_why_a_run_is_incomplete() {
        let mut r = report(
            vec![
                outcome("a", Level::Must, Status::Passed),
                outcome("b", Level::Must, Status::Skipped),
            ],
            50.0,
            None,
        );
        assert!(render_summary(&r).ends_with("verdict: PASS\n"));
        r.judge(Some(EarlyEnd {
            why: verdict::Incomplete::Interrupted,
            detail: "the run was interrupted (Ctrl-C or SIGTERM)".into(),
        }));
        let text = render_summary(&r);
        assert!(
            text.ends_with(
                "verdict: INCOMPLETE — the run was interrupted (Ctrl-C or SIGTERM); 1 of 2 cases skipped or not run\n"
            ),
            "{text}"
        );
    }
}
