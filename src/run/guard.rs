//! run: the state every case of a run shares to stay safe ([`Guard`]: the pacer and schedule, the
//! stop signal with its Ctrl-C and run-limit triggers, the breaker, and the ledger of sessions),
//! built from the plan's [`crate::plan::Safety`] settings.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::cleanup::Ledger;
use crate::outcome::{Failure, FailureKind, Outcome, Status, StepRef};
use crate::plan::Settings;
use crate::plan::safety::{DEFAULT_CONCURRENCY, pacing_rate};
use crate::send::pace::{Pacer, Schedule};
use crate::send::timeout::{self, Breaker, Cancel, Stop};
use crate::send::{Received, SendError};

/// Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells expect).
pub const EXIT_INTERRUPTED: u8 = 130;
/// Exit code of a run after which a UserId may still hold a lock or session on the target
/// (whatever else happened: the user has something to destroy, and pays until they do).
pub const EXIT_LEFT_BEHIND: u8 = 3;
/// Exit code of a run that could not reach the target (no connection could be made).
pub const EXIT_UNREACHABLE: u8 = 4;
/// Exit code of a run whose output was closed (128 + SIGPIPE, as shells expect).
pub const EXIT_OUTPUT_CLOSED: u8 = 141;
/// How long cleanup and the report may still take after a second Ctrl-C or SIGTERM.
pub const GRACE: Duration = Duration::from_secs(10);

/// What every case of a run shares to stay safe.
#[derive(Debug)]
pub struct Guard {
    /// Paces requests to the shared target (never those to a case's own mock).
    pub pacer: Option<Pacer>,
    pub schedule: Schedule,
    pub case_timeout: Option<Duration>,
    pub run_timeout: Option<Duration>,
    pub cancel: Arc<Cancel>,
    pub breaker: Breaker,
    pub ledger: Arc<Ledger>,
    /// Set by a second signal: cleanup sends each DestroySession once more, no retries.
    hurry: Arc<AtomicBool>,
    /// Requests in a row that found no connection, and the last one's error.
    unreachable: Mutex<(u32, String)>,
}

impl Default for Guard {
    /// Nothing paced or bounded: what in-process tools and tests use against their own mock.
    fn default() -> Self {
        Self {
            pacer: None,
            schedule: Schedule::default(),
            case_timeout: None,
            run_timeout: None,
            cancel: Arc::default(),
            breaker: Breaker::new(timeout::BREAKER_THRESHOLD, Duration::from_secs(10)),
            ledger: Arc::default(),
            hurry: Arc::default(),
            unreachable: Mutex::default(),
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
            case_timeout: Some(safety.case_timeout),
            run_timeout: safety.run_timeout,
            cancel: Arc::default(),
            breaker: Breaker::new(
                timeout::BREAKER_THRESHOLD,
                settings.timeout.max(Duration::from_secs(10)),
            ),
            ledger: Arc::default(),
            hurry: Arc::default(),
            unreachable: Mutex::default(),
        }
    }

    /// Starts the triggers of the stop signal on `runtime`: Ctrl-C or SIGTERM, and the run's time
    /// limit. A second signal (CI cancellation and `timeout` often send two) starts a grace
    /// period in which cleanup and the report still happen; a third, or the end of the grace
    /// period, exits at once, naming the UserIds that may be left.
    pub fn arm(&self, runtime: &tokio::runtime::Runtime) {
        let cancel = Arc::clone(&self.cancel);
        let hurry = Arc::clone(&self.hurry);
        let ledger = Arc::clone(&self.ledger);
        runtime.spawn(async move {
            interrupt().await;
            cancel.stop(Stop::Interrupted);
            eprintln!(
                "\ninterrupted: no new case starts; cases in flight stop and clean up, then the report is written"
            );
            interrupt().await;
            hurry.store(true, Ordering::SeqCst);
            eprintln!(
                "interrupted again: cleanup and the report still get up to {} (a third Ctrl-C exits at once)",
                crate::plan::duration::human(GRACE)
            );
            tokio::select! {
                () = interrupt() => eprintln!("interrupted a third time: exiting before cleanup finished"),
                () = tokio::time::sleep(GRACE) => eprintln!("the grace period is over: exiting before cleanup finished"),
            }
            let may_be_left = ledger.may_be_left();
            if may_be_left.is_empty() {
                eprintln!("no UserId is known to hold a lock or session");
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
            eprintln!("{}", Ledger::warning(&may_be_left));
            std::process::exit(i32::from(EXIT_LEFT_BEHIND));
        });
        if let Some(limit) = self.run_timeout {
            let cancel = Arc::clone(&self.cancel);
            runtime.spawn(async move {
                tokio::time::sleep(limit).await;
                cancel.stop(Stop::RunTimeout(limit));
            });
        }
    }

    /// Counts a request to the shared target: after [`timeout::UNREACHABLE_THRESHOLD`] in a row
    /// found no connection (and none in between got through), the run stops — sending the rest
    /// of the suite to a closed port proves nothing and buries the reason in failures.
    pub fn reached(&self, result: &Result<Received, SendError>) {
        let mut state = self
            .unreachable
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match result {
            Err(SendError::Unreachable(error)) => {
                state.0 += 1;
                state.1.clone_from(error);
                if state.0 >= timeout::UNREACHABLE_THRESHOLD {
                    self.cancel.stop(Stop::Unreachable);
                }
            }
            Err(SendError::Invalid(_)) => {}
            _ => state.0 = 0,
        }
    }

    /// Whether a second signal asked to finish quickly (cleanup retries nothing).
    pub fn abandoned(&self) -> bool {
        self.hurry.load(Ordering::SeqCst)
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
            Some(Stop::Unreachable) => {
                let error = self
                    .unreachable
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .1
                    .clone();
                out.push_str(&format!(
                    "stopped: the target could not be reached ({} requests in a row found no connection; the last: {error}); check --target and that the server is up; the cases not run are listed as skipped\n",
                    timeout::UNREACHABLE_THRESHOLD
                ));
            }
            Some(Stop::OutputClosed) => {
                out.push_str("stopped: the output was closed (broken pipe); the cases not run are listed as skipped\n");
            }
            None => {}
        }
        out
    }

    /// The exit code once the run is reported: 3 when a UserId may be left on the target, 130
    /// after Ctrl-C, a failure after the run's time limit (not every case ran), else `code`.
    pub fn exit_code(&self, code: ExitCode) -> ExitCode {
        if !self.ledger.totals().left.is_empty() {
            return ExitCode::from(EXIT_LEFT_BEHIND);
        }
        match self.stopped() {
            Some(Stop::Interrupted) => ExitCode::from(EXIT_INTERRUPTED),
            Some(Stop::Unreachable) => ExitCode::from(EXIT_UNREACHABLE),
            Some(Stop::OutputClosed) => ExitCode::from(EXIT_OUTPUT_CLOSED),
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

    #[test]
    fn a_run_that_may_leave_a_session_exits_3_whatever_else_happened() {
        let guard = Guard::default();
        let mut case = crate::run::cleanup::CaseSessions::default();
        case.sent("CreateSession", Some("u"));
        case.to_destroy();
        case.settle(&guard.ledger);
        guard.cancel.stop(Stop::Interrupted);
        assert_eq!(guard.exit_code(ExitCode::FAILURE), ExitCode::from(3));
    }

    #[test]
    fn three_refused_connections_in_a_row_stop_the_run_as_unreachable() {
        let guard = Guard::default();
        let refused = || Err(SendError::Unreachable("connection refused".into()));
        guard.reached(&refused());
        guard.reached(&refused());
        guard.reached(&Err(SendError::Timeout(Duration::from_secs(1))));
        guard.reached(&refused());
        guard.reached(&refused());
        assert_eq!(
            guard.stopped(),
            None,
            "an answer in between resets the count"
        );
        guard.reached(&refused());
        assert_eq!(guard.stopped(), Some(Stop::Unreachable));
        assert_eq!(guard.exit_code(ExitCode::FAILURE), ExitCode::from(4));
        assert!(
            guard
                .summary()
                .contains("stopped: the target could not be reached (3 requests in a row found no connection; the last: connection refused)"),
            "{}",
            guard.summary()
        );
    }
}
