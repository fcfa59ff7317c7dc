//! run: the state every case of a run shares to stay safe ([`Guard`]: the pacer and schedule, the
//! stop signal with its Ctrl-C and run-limit triggers, the breaker, and the ledger of sessions),
//! built from the plan's [`crate::plan::Safety`] settings.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::cleanup::Ledger;
use crate::outcome::{FailureKind, Outcome};
use crate::plan::Settings;
use crate::plan::budget;
use crate::plan::safety::{DEFAULT_CASE, DEFAULT_CONCURRENCY, pacing_rate};
use crate::report::verdict::{EarlyEnd, Incomplete};
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
    pub reach: Reach,
    pub ledger: Arc<Ledger>,
    /// The cap on what the run's outcomes keep.
    pub text: super::text_budget::TextBudget,
    /// Set by a second signal: cleanup sends each DestroySession once more, no retries.
    hurry: Arc<AtomicBool>,
    /// Requests in a row that found no connection, and the last one's error.
    unreachable: Mutex<(u32, String)>,
}

/// Whether the shared target answered anything: requests sent to it, and how many came back
/// with any HTTP answer at all.
#[derive(Debug, Default)]
pub struct Reach {
    sent: AtomicU64,
    answered: AtomicU64,
}

impl Reach {
    /// Counts one request's fate (a request that could not even be built was not sent).
    pub fn record<T>(&self, result: &Result<T, SendError>) {
        match result {
            Err(SendError::Invalid(_)) => return,
            Err(SendError::Timeout(_) | SendError::Transport(_) | SendError::Unreachable(_)) => {}
            // A redirect or an oversized answer is still an answer.
            Ok(_) | Err(SendError::TooLarge { .. } | SendError::Redirect { .. }) => {
                self.answered.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// Why the target counts as unreachable: requests were sent and none got an answer.
    pub fn unreachable(&self) -> Option<String> {
        let sent = self.sent.load(Ordering::Relaxed);
        (sent > 0 && self.answered.load(Ordering::Relaxed) == 0).then(|| {
            format!("the target could not be reached: none of the {sent} requests sent to it got an answer")
        })
    }
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
            reach: Reach::default(),
            ledger: Arc::default(),
            text: super::text_budget::TextBudget::default(),
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
            request_timeout: safety.request_timeout,
            case_timeout: Some(safety.case_timeout.unwrap_or(DEFAULT_CASE)),
            raise_case_timeout: safety.case_timeout.is_none(),
            run_timeout: safety.run_timeout,
            cancel: Arc::default(),
            breaker: Breaker::new(
                timeout::BREAKER_THRESHOLD,
                settings.timeout.max(Duration::from_secs(10)),
            ),
            reach: Reach::default(),
            ledger: Arc::default(),
            text: super::text_budget::TextBudget::new(
                safety.max_records.unwrap_or(crate::outcome::MAX_RECORDED),
            ),
            hurry: Arc::default(),
            unreachable: Mutex::default(),
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

    /// How the run ended before its end, if it did, for the verdict: stopped (Ctrl-C, the run's
    /// time limit), or the target stopped answering (the breaker opened) or never answered.
    pub fn early_end(&self) -> Option<EarlyEnd> {
        let (why, detail) = match self.stopped() {
            Some(Stop::Interrupted) => (
                Incomplete::Interrupted,
                "the run was interrupted (Ctrl-C or SIGTERM)".to_owned(),
            ),
            Some(Stop::RunTimeout(limit)) => (
                Incomplete::RunTimeout,
                format!(
                    "the run timed out after {} (--run-timeout)",
                    crate::plan::duration::human(limit)
                ),
            ),
            // A closed output (`| head`) interrupts the run as a signal would.
            Some(Stop::OutputClosed) => (
                Incomplete::Interrupted,
                "the run's output was closed (broken pipe)".to_owned(),
            ),
            Some(Stop::Unreachable) => (
                Incomplete::TargetUnreachable,
                format!(
                    "the target could not be reached: {} requests in a row found no connection (the last: {})",
                    timeout::UNREACHABLE_THRESHOLD,
                    self.unreachable
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .1
                ),
            ),
            None => match (self.breaker.tripped(), self.reach.unreachable()) {
                (Some(detail), _) => (Incomplete::TargetNotAnswering, detail),
                (None, Some(detail)) => (Incomplete::TargetUnreachable, detail),
                (None, None) => return None,
            },
        };
        Some(EarlyEnd { why, detail })
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

    /// Whether a UserId may still hold a lock or session on the target once the run is over.
    pub fn left_behind(&self) -> bool {
        !self.ledger.totals().left.is_empty()
    }
}

/// The outcome of a case whose run panicked (a bug in car-conformance): failed, with the
/// panic's message scrubbed of secrets.
pub fn panicked(case: &crate::case::Case, payload: &(dyn std::any::Any + Send)) -> Outcome {
    let message = crate::redact::panic_message(payload).unwrap_or_default();
    let kind = FailureKind::NotSent {
        reason: format!(
            "the runner failed internally (a bug in car-conformance; please report it): {message}"
        ),
    };
    Outcome::failed_before_steps(case, "case", kind)
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
    use crate::outcome::Status;

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
    fn the_summary_says_how_the_run_stopped() {
        let guard = Guard::default();
        assert_eq!(guard.stopped(), None);
        guard.cancel.stop(Stop::RunTimeout(Duration::from_secs(1)));
        assert!(guard.summary().contains("timed out after 1s"));
        let guard = Guard::default();
        guard.cancel.stop(Stop::Interrupted);
        assert_eq!(guard.stopped(), Some(Stop::Interrupted));
        assert!(!guard.left_behind());
        assert!(guard.summary().contains("sessions: 0 created"));
    }

    #[test]
    fn the_early_end_names_the_stop_then_the_breaker_then_an_unreachable_target() {
        let guard = Guard::default();
        assert_eq!(guard.early_end(), None);
        guard
            .reach
            .record::<()>(&Err(SendError::Invalid("x".into())));
        assert_eq!(guard.early_end(), None, "nothing was sent");
        guard
            .reach
            .record::<()>(&Err(SendError::Transport("refused".into())));
        let end = guard.early_end().unwrap();
        assert_eq!(end.why, Incomplete::TargetUnreachable);
        assert!(
            end.detail.contains("none of the 1 requests"),
            "{}",
            end.detail
        );
        for _ in 0..timeout::BREAKER_THRESHOLD {
            guard.breaker.record(Some(Duration::from_secs(1)));
        }
        assert_eq!(
            guard.early_end().unwrap().why,
            Incomplete::TargetNotAnswering
        );
        guard.cancel.stop(Stop::RunTimeout(Duration::from_secs(2)));
        let end = guard.early_end().unwrap();
        assert_eq!(end.why, Incomplete::RunTimeout);
        assert_eq!(end.detail, "the run timed out after 2s (--run-timeout)");
        // One answer, and the target was reachable.
        let guard = Guard::default();
        guard
            .reach
            .record::<()>(&Err(SendError::Transport("reset".into())));
        guard.reach.record(&Ok(()));
        assert_eq!(guard.early_end(), None);
    }

    #[test]
    fn a_session_not_destroyed_is_left_behind() {
        let guard = Guard::default();
        let mut case = crate::run::cleanup::CaseSessions::default();
        case.sent("CreateSession", Some("u"));
        case.to_destroy();
        case.settle(&guard.ledger);
        assert!(guard.left_behind());
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
        assert!(
            guard
                .summary()
                .contains("stopped: the target could not be reached (3 requests in a row found no connection; the last: connection refused)"),
            "{}",
            guard.summary()
        );
    }
}
