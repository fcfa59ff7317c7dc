//! run: the state every case of a run shares to stay safe ([`Guard`]: the pacer and schedule, the
//! stop signal with its Ctrl-C and run-limit triggers, the breaker, and the ledger of sessions),
//! built from the plan's [`crate::plan::Safety`] settings.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::cleanup::Ledger;
use crate::outcome::{Failure, FailureKind, Outcome, Status, StepRef};
use crate::plan::Settings;
use crate::plan::budget;
use crate::plan::safety::{DEFAULT_CASE, DEFAULT_CONCURRENCY, pacing_rate};
use crate::send::pace::{Pacer, Schedule};
use crate::send::timeout::{self, Breaker, Cancel, Stop};

/// Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells expect).
pub const EXIT_INTERRUPTED: u8 = 130;

/// What every case of a run shares to stay safe.
#[derive(Debug)]
pub struct Guard {
    /// Paces requests to the shared target (never those to a case's own mock).
    pub pacer: Option<Pacer>,
    pub schedule: Schedule,
    /// Every request's limit when `--request-timeout` is given; `None`: each request gets its
    /// action's documented budget plus a margin.
    pub request_timeout: Option<Duration>,
    /// A case's limit (`None`: unbounded).
    pub case_timeout: Option<Duration>,
    /// Whether a case whose requests' limits add up to more than `case_timeout` gets that sum
    /// (the default limit); a limit given with `--case-timeout` is kept as given.
    pub raise_case_timeout: bool,
    pub run_timeout: Option<Duration>,
    pub cancel: Arc<Cancel>,
    pub breaker: Breaker,
    pub ledger: Ledger,
}

impl Default for Guard {
    /// Nothing paced or bounded: what in-process tools and tests use against their own mock.
    fn default() -> Self {
        Self {
            pacer: None,
            schedule: Schedule::default(),
            request_timeout: None,
            case_timeout: None,
            raise_case_timeout: true,
            run_timeout: None,
            cancel: Arc::default(),
            breaker: Breaker::new(timeout::BREAKER_THRESHOLD, Duration::from_secs(10)),
            ledger: Ledger::default(),
        }
    }
}

impl Guard {
    /// The guard of a run with `settings`.
    pub fn for_run(settings: &Settings) -> Self {
        let safety = &settings.safety;
        Self {
            pacer: pacing_rate(settings).map(Pacer::per_second),
            schedule: Schedule::new(safety.concurrency.unwrap_or(DEFAULT_CONCURRENCY)),
            request_timeout: safety.request_timeout,
            case_timeout: Some(safety.case_timeout.unwrap_or(DEFAULT_CASE)),
            raise_case_timeout: safety.case_timeout.is_none(),
            run_timeout: safety.run_timeout,
            cancel: Arc::default(),
            breaker: Breaker::new(
                timeout::BREAKER_THRESHOLD,
                settings.timeout.max(Duration::from_secs(10)),
            ),
            ledger: Ledger::default(),
        }
    }

    /// The base time limit of a request of `step` (before any upload allowance).
    pub fn request_limit(&self, step: &crate::case::Step) -> Duration {
        self.request_timeout.unwrap_or_else(|| {
            let latency = step
                .expect
                .as_ref()
                .and_then(|e| e.latency_ms)
                .map(Duration::from_millis);
            budget::request_timeout(&step.action, latency)
        })
    }

    /// The time limit of `case`'s steps: the case limit, unless given explicitly raised to the
    /// sum of its steps' request limits (copies of a step are sent together), so a target that
    /// answers within every documented budget never runs out of case time. `None`: unbounded.
    pub fn case_limit(&self, case: &crate::case::Case) -> Option<Duration> {
        let needed: Duration = case.spec.steps.iter().map(|s| self.request_limit(s)).sum();
        self.case_timeout.map(|limit| {
            if self.raise_case_timeout {
                limit.max(needed)
            } else {
                limit
            }
        })
    }

    /// Starts the triggers of the stop signal on `runtime`: Ctrl-C or SIGTERM (a second one exits
    /// at once), and the run's time limit.
    pub fn arm(&self, runtime: &tokio::runtime::Runtime) {
        let cancel = Arc::clone(&self.cancel);
        runtime.spawn(async move {
            interrupt().await;
            cancel.stop(Stop::Interrupted);
            eprintln!(
                "\ninterrupted: no new case starts; cases in flight stop and clean up, then the report is written (Ctrl-C again exits at once, without cleanup)"
            );
            interrupt().await;
            eprintln!("interrupted again: exiting without cleanup");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        });
        if let Some(limit) = self.run_timeout {
            let cancel = Arc::clone(&self.cancel);
            runtime.spawn(async move {
                tokio::time::sleep(limit).await;
                cancel.stop(Stop::RunTimeout(limit));
            });
        }
    }

    /// Why the run stopped early, if it did.
    pub fn stopped(&self) -> Option<Stop> {
        self.cancel.stopped()
    }

    /// The summary's safety lines: sessions created and destroyed, pacing, an early stop.
    pub fn summary(&self) -> String {
        let mut out = self.ledger.summary();
        if let Some(pacer) = &self.pacer {
            out.push_str(&pacer.summary());
        }
        match self.stopped() {
            Some(Stop::Interrupted) => {
                out.push_str("stopped: interrupted (Ctrl-C); the cases not run are listed as skipped\n");
            }
            Some(Stop::RunTimeout(limit)) => out.push_str(&format!(
                "stopped: the run timed out after {} (--run-timeout); the cases not run are listed as skipped\n",
                crate::plan::duration::human(limit)
            )),
            None => {}
        }
        out
    }

    /// The exit code once the run is reported: 130 after Ctrl-C, a failure after the run's time
    /// limit (not every case ran), else `code`.
    pub fn exit_code(&self, code: ExitCode) -> ExitCode {
        match self.stopped() {
            Some(Stop::Interrupted) => ExitCode::from(EXIT_INTERRUPTED),
            Some(Stop::RunTimeout(_)) if code == ExitCode::SUCCESS => ExitCode::FAILURE,
            _ => code,
        }
    }
}

/// The outcome of a case whose run panicked (a bug in car-conformance): failed, with the
/// panic's message scrubbed of secrets.
pub fn panicked(case: &crate::case::Case, payload: &(dyn std::any::Any + Send)) -> Outcome {
    let message = crate::redact::panic_message(payload).unwrap_or_default();
    let mut outcome = Outcome::skipped(case, String::new());
    outcome.skip_reason = None;
    outcome.status = Status::Failed;
    outcome.failures.push(Failure {
        step: StepRef {
            phase: "steps",
            index: 0,
            label: "case".to_owned(),
            copy: None,
        },
        exchange: None,
        level: case.spec.level,
        kind: FailureKind::NotSent {
            reason: format!(
                "the runner failed internally (a bug in car-conformance; please report it): {message}"
            ),
        },
    });
    outcome
}

/// Resolves at Ctrl-C or SIGTERM; never when no handler could be installed.
async fn interrupt() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    () = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_paced_only_when_its_settings_ask_for_it() {
        use crate::plan::Target;
        use crate::plan::safety::tests::settings;
        assert!(
            Guard::for_run(&settings(Target::Embedded, Some(300)))
                .pacer
                .is_some()
        );
        assert!(
            Guard::for_run(&settings(Target::Embedded, None))
                .pacer
                .is_none()
        );
    }

    fn case(steps: serde_json::Value) -> crate::case::Case {
        let spec: crate::case::CaseSpec = serde_json::from_value(serde_json::json!({
            "name": "n", "title": "t", "level": "must", "source": "s", "covers": ["x"],
            "steps": steps
        }))
        .unwrap();
        crate::case::Case {
            id: "a/n".into(),
            file: "a.json".into(),
            pointer: "/cases/0".into(),
            spec,
            mock: None,
        }
    }

    #[test]
    fn request_and_case_limits_derive_from_the_documented_budgets() {
        let slow = case(serde_json::json!([
            {"action": "ApplyConcurrent", "params": {}, "expect": {"success": true}},
            {"action": "ApplyConcurrent", "params": {}, "expect": {"success": true}},
            {"action": "ApplyConcurrent", "params": {}, "expect": {"success": true}},
            {"action": "CreateSession", "params": {}, "expect": {"success": true}},
            {"action": "DestroySession", "params": {}, "expect": {"success": true, "latency_ms": 30000}}
        ]));
        let steps = &slow.spec.steps;
        let guard = Guard {
            case_timeout: Some(Duration::from_secs(60)),
            ..Guard::default()
        };
        assert_eq!(guard.request_limit(&steps[0]), Duration::from_secs(21));
        assert_eq!(guard.request_limit(&steps[3]), Duration::from_secs(6));
        assert_eq!(guard.request_limit(&steps[4]), Duration::from_secs(31));
        // 3 × 21 s + 6 s + 31 s: more than the configured minute.
        assert_eq!(guard.case_limit(&slow), Some(Duration::from_secs(100)));
        let quick = case(serde_json::json!([
            {"action": "CreateSession", "params": {}, "expect": {"success": true}}
        ]));
        assert_eq!(guard.case_limit(&quick), Some(Duration::from_secs(60)));
        assert_eq!(Guard::default().case_limit(&quick), None);
        let given = Guard {
            case_timeout: Some(Duration::from_millis(800)),
            raise_case_timeout: false,
            ..Guard::default()
        };
        assert_eq!(given.case_limit(&slow), Some(Duration::from_millis(800)));
        let fixed = Guard {
            request_timeout: Some(Duration::from_secs(2)),
            ..Guard::default()
        };
        assert_eq!(fixed.request_limit(&steps[0]), Duration::from_secs(2));
    }

    #[test]
    fn a_case_that_panicked_fails_with_the_message_scrubbed() {
        crate::redact::remember_secret("guard-test-panic-secret");
        let spec: crate::case::CaseSpec = serde_json::from_value(serde_json::json!({
            "name": "p", "title": "t", "level": "must", "source": "s", "covers": [], "steps": []
        }))
        .unwrap();
        let case = crate::case::Case {
            id: "x/p".into(),
            file: std::path::PathBuf::new(),
            pointer: "/cases/0".into(),
            spec,
            mock: None,
        };
        let payload: Box<dyn std::any::Any + Send> =
            Box::new("oops guard-test-panic-secret".to_owned());
        let outcome = panicked(&case, payload.as_ref());
        assert_eq!(outcome.status, Status::Failed);
        let shown = crate::outcome::render_failures(&outcome);
        assert!(
            shown.contains("please report it): oops <redacted>"),
            "{shown}"
        );
    }

    #[test]
    fn exit_codes_say_how_the_run_stopped() {
        let guard = Guard::default();
        assert_eq!(guard.exit_code(ExitCode::SUCCESS), ExitCode::SUCCESS);
        guard.cancel.stop(Stop::RunTimeout(Duration::from_secs(1)));
        assert_eq!(guard.exit_code(ExitCode::SUCCESS), ExitCode::FAILURE);
        assert!(guard.summary().contains("timed out after 1 s"));
        let guard = Guard::default();
        guard.cancel.stop(Stop::Interrupted);
        assert_eq!(guard.exit_code(ExitCode::SUCCESS), ExitCode::from(130));
        assert!(guard.summary().contains("sessions: 0 created"));
    }
}
