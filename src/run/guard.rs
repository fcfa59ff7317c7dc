//! plan + send: what keeps a run safe against a real account — the settings ([`Safety`]: rate,
//! concurrency, time limits, capabilities, dry run; from flags and the target profile) and the
//! state every case shares to honour them ([`Guard`]: the pacer and schedule, the stop signal
//! with its Ctrl-C and run-limit triggers, the breaker, and the ledger of sessions).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::cleanup::Ledger;
use crate::outcome::{Failure, FailureKind, Outcome, Status, StepRef};
use crate::plan::{Settings, Target};
use crate::send::pace::{DEFAULT_CONCURRENCY, DOCUMENTED_RATE, Pacer, Schedule};
use crate::send::timeout::{self, Breaker, Cancel, Stop};

/// Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells expect).
pub const EXIT_INTERRUPTED: u8 = 130;

/// A run's safety settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Safety {
    /// Requests per second and action. `None`: the documented 100 against a URL target; no
    /// pacing (and no rate limit on the shared mock) against the embedded mock.
    pub rate: Option<u32>,
    /// Requests in flight at most (default [`DEFAULT_CONCURRENCY`]); when given, also the
    /// number of cases run at once unless `--test-threads` says otherwise.
    pub concurrency: Option<usize>,
    pub case_timeout: Duration,
    pub run_timeout: Option<Duration>,
    /// Print the signed requests instead of sending them.
    pub dry_run: bool,
    /// What the target supports (`None`: everything); cases needing more are skipped.
    pub capabilities: Option<BTreeSet<String>>,
    /// The target's application id (from the profile or `--application-id`), shown in the run
    /// header.
    pub application_id: Option<String>,
    /// Known failures of this target (from the profile), for the baseline option.
    pub baseline: Option<PathBuf>,
    /// The target profile the settings came from.
    pub profile: Option<PathBuf>,
}

impl Default for Safety {
    fn default() -> Self {
        Self {
            rate: None,
            concurrency: None,
            case_timeout: timeout::DEFAULT_CASE,
            run_timeout: None,
            dry_run: false,
            capabilities: None,
            application_id: None,
            baseline: None,
            profile: None,
        }
    }
}

/// Requests per second and action the run sends to its shared target, if paced.
pub fn pacing_rate(settings: &Settings) -> Option<u32> {
    match settings.target {
        Target::Url(_) => Some(settings.safety.rate.unwrap_or(DOCUMENTED_RATE)),
        Target::Embedded => settings.safety.rate,
    }
}

/// The rate limit of the shared embedded mock. Off by default: the mock is in-process and
/// free, pacing it only slows every run (the defect matrix runs the suite once per defect), and
/// the limit's own behaviour is checked by cases that bring their own mock. With `--rate` the
/// run is paced, and the mock keeps the documented limit so the pacing is put to the test.
pub fn shared_mock_rate_limit(settings: &Settings) -> Option<u32> {
    pacing_rate(settings)
        .filter(|_| settings.target == Target::Embedded)
        .map(|_| DOCUMENTED_RATE)
}

/// The run header's line about safety: pacing, requests in flight, time limits, profile.
pub fn describe(settings: &Settings) -> String {
    let safety = &settings.safety;
    let pacing = match pacing_rate(settings) {
        Some(rate) => format!("at most {rate} requests/s per action"),
        None => {
            "not paced (the embedded mock's rate limit is off; --rate turns both on)".to_owned()
        }
    };
    let mut out = format!(
        "safety: {pacing}, at most {} requests in flight, time limits {} per request and {} per case",
        safety.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
        timeout::human(settings.timeout),
        timeout::human(safety.case_timeout)
    );
    if let Some(limit) = safety.run_timeout {
        out.push_str(&format!(" and {} per run", timeout::human(limit)));
    }
    if let Some(profile) = &safety.profile {
        out.push_str(&format!("; target profile {}", profile.display()));
    }
    if let Some(application) = &safety.application_id {
        out.push_str(&format!("; application {application}"));
    }
    out.push('\n');
    out
}

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
    pub ledger: Ledger,
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
            case_timeout: Some(safety.case_timeout),
            run_timeout: safety.run_timeout,
            cancel: Arc::default(),
            breaker: Breaker::new(
                timeout::BREAKER_THRESHOLD,
                settings.timeout.max(Duration::from_secs(10)),
            ),
            ledger: Ledger::default(),
        }
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
                timeout::human(limit)
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
    let mut outcome = super::execute::skipped(case, String::new());
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
    use crate::plan::{CredentialSource, parse_target};
    use crate::sign::Credentials;

    fn settings(target: Target, rate: Option<u32>) -> Settings {
        Settings {
            cases_dir: PathBuf::new(),
            schemas_dir: PathBuf::new(),
            snapshots_dir: PathBuf::new(),
            target,
            target_name: None,
            credentials: Credentials::new("a", "b"),
            credential_source: CredentialSource::TestPair,
            region: None,
            project_id: String::new(),
            client_ip: String::new(),
            timeout: Duration::from_secs(6),
            max_response_bytes: 1,
            report_dir: None,
            min_coverage: None,
            safety: Safety {
                rate,
                ..Safety::default()
            },
        }
    }

    #[test]
    fn url_targets_are_paced_at_the_documented_rate_unless_told_otherwise() {
        let url = parse_target("http://127.0.0.1:9").unwrap();
        assert_eq!(pacing_rate(&settings(url.clone(), None)), Some(100));
        assert_eq!(pacing_rate(&settings(url.clone(), Some(20))), Some(20));
        assert_eq!(shared_mock_rate_limit(&settings(url, Some(20))), None);
    }

    #[test]
    fn the_embedded_mock_is_paced_and_limited_only_when_a_rate_is_asked_for() {
        let plain = settings(Target::Embedded, None);
        assert_eq!(
            (pacing_rate(&plain), shared_mock_rate_limit(&plain)),
            (None, None)
        );
        let paced = settings(Target::Embedded, Some(300));
        assert_eq!(
            (pacing_rate(&paced), shared_mock_rate_limit(&paced)),
            (Some(300), Some(100))
        );
        assert!(Guard::for_run(&paced).pacer.is_some());
        assert!(Guard::for_run(&plain).pacer.is_none());
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
            file: PathBuf::new(),
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
