//! run: runs one case — its steps in order (copies of a step at once), stopping at the
//! first step that fails, then every cleanup step whatever happened, then the runner's own
//! DestroySession for every UserId left holding a lock or session (`cleanup`) — and returns its
//! `Outcome` with every failure and every exchange, secrets scrubbed. A case with
//! `requires.mock` gets its own mock. On the shared target the run's `Guard` paces requests,
//! bounds them, runs limit-exceeding cases alone, and stops a case at its time limit or the
//! run's stop signal.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::cleanup::{self, Answer, CaseSessions};
use super::guard::Guard;
use crate::case::template::{RenderError, Scope, Var};
use crate::case::{Case, Step};
use crate::check::levels::CheckLevels;
use crate::check::snapshot::{self, Snapshots, Verdict};
use crate::check::{self, SchemaSet};
use crate::mock::{self, MockConfig, MockCredential};
use crate::outcome::{
    BodyRecord, Exchange, Failure, FailureKind, Outcome, ResponseRecord, Status, StepRef,
};
use crate::plan::Planned;
use crate::send::pace::{self, Admission};
use crate::send::request::{self, Endpoint};
use crate::send::timeout::{self, Ended, Stop};
use crate::send::{Client, Received, SendError};
use crate::sign::Credentials;

/// What every case of a run shares.
#[derive(Debug)]
pub struct Shared {
    pub client: Client,
    pub schemas: SchemaSet,
    /// The level each default check fails at (from the catalogue).
    pub check_levels: CheckLevels,
    pub snapshots: Snapshots,
    /// The target of cases without their own mock (the shared embedded mock, or the URL).
    pub endpoint: Endpoint,
    pub project_id: String,
    pub client_ip: String,
    pub client_session: String,
    /// Eight hex digits, fresh per run: part of every UserId.
    pub run_id: String,
    /// Pacing, concurrency, time limits, stop signal and session ledger of the shared target.
    pub guard: Guard,
}

/// Template values of one case.
struct CaseScope<'a> {
    user_id: &'a str,
    client_ip: &'a str,
    project_id: &'a str,
    client_session: &'a str,
    captures: &'a BTreeMap<String, String>,
    copy: u32,
}

impl Scope for CaseScope<'_> {
    fn value(&self, var: &Var) -> Result<String, RenderError> {
        match var {
            Var::UserId(None) => Ok(self.user_id.to_owned()),
            Var::UserId(Some(name)) => Ok(format!("{}-{name}", self.user_id)),
            Var::ClientIp => Ok(self.client_ip.to_owned()),
            Var::ProjectId => Ok(self.project_id.to_owned()),
            Var::ClientSession => Ok(self.client_session.to_owned()),
            Var::Copy => Ok(self.copy.to_string()),
            Var::Capture(name) => self
                .captures
                .get(name)
                .cloned()
                .ok_or_else(|| RenderError::NoCapture { name: name.clone() }),
        }
    }
}

/// The UserId of a case in a run: fresh per run (run id) and per case (ordinal).
pub fn user_id(run_id: &str, ordinal: usize) -> String {
    format!("carconf-{run_id}-{ordinal:03}")
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Runs `planned` (which must not be skipped) and returns its outcome.
pub async fn execute(shared: &Shared, planned: &Planned) -> Outcome {
    let case = &planned.case;
    let guard = &shared.guard;
    let on_shared = case.mock_config().is_none();
    // A case that deliberately exceeds a limit of the shared target runs alone there.
    let alone = on_shared && pace::runs_alone(case);
    let _turn = if on_shared {
        Some(guard.schedule.turn(alone).await)
    } else {
        None
    };
    if let Some(stop) = guard.stopped() {
        return Outcome::skipped(case, stop.not_started());
    }
    let started = Instant::now();
    let own_mock = match own_mock(shared, case).await {
        Ok(handle) => handle,
        Err(error) => return setup_failed(case, &error, started),
    };
    let mut endpoint = shared.endpoint.clone();
    if let Some(handle) = &own_mock {
        // A mock's URL always parses; keep the shared one if it somehow did not.
        if let Ok(url) = url::Url::parse(&handle.url()) {
            endpoint.url = url;
        }
    }
    let mut run = CaseRun {
        shared,
        case,
        endpoint,
        on_shared,
        alone,
        user_id: user_id(&shared.run_id, planned.ordinal),
        captures: BTreeMap::new(),
        exchanges: Vec::new(),
        failures: Vec::new(),
        notes: Vec::new(),
        sessions: CaseSessions::default(),
        current: None,
        fresh: std::collections::BTreeSet::new(),
    };
    let mut interrupted = run.bounded_steps().await;
    let left = run.clean_up().await;
    // Say "cleaned up" only when it is true.
    if let Some(reason) = &mut interrupted {
        reason.push_str(match left.len() {
            0 => "; cleaned up",
            _ => "; may have left a lock or session (see the notes)",
        });
    }
    if let Some(handle) = own_mock {
        handle.shutdown().await;
    }
    let mut outcome = run.into_outcome(interrupted, started);
    // Charged after scrubbing, so the cap counts what the reports will hold.
    shared.guard.text.charge(&mut outcome);
    outcome
}

/// The case's own mock when it asks for one (`requires.mock`).
async fn own_mock(
    shared: &Shared,
    case: &Case,
) -> Result<Option<mock::MockHandle>, mock::MockError> {
    match case.mock_config() {
        None => Ok(None),
        Some(config) => start_mock(config, &shared.endpoint.credentials)
            .await
            .map(Some),
    }
}

/// The outcome of a case whose own mock did not start: failed before any step.
fn setup_failed(case: &Case, error: &mock::MockError, started: Instant) -> Outcome {
    let kind = FailureKind::Setup {
        error: error.to_string(),
    };
    let mut outcome = Outcome::failed_before_steps(case, "requires.mock", kind);
    outcome.duration = started.elapsed();
    outcome
}

async fn start_mock(
    config: &MockConfig,
    credentials: &Credentials,
) -> Result<mock::MockHandle, mock::MockError> {
    let mut config = config.clone();
    config.credentials = vec![MockCredential {
        secret_id: credentials.secret_id.clone(),
        secret_key: credentials.secret_key.clone(),
        token: credentials.token.clone(),
    }];
    let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    mock::start(config, listen).await
}

/// The state of one case while it runs.
struct CaseRun<'a> {
    shared: &'a Shared,
    case: &'a Case,
    endpoint: Endpoint,
    /// Sending to the shared target (not a case's own mock): guarded, and cleaned up.
    on_shared: bool,
    /// Running alone on the shared target.
    alone: bool,
    user_id: String,
    captures: BTreeMap<String, String>,
    exchanges: Vec<Exchange>,
    failures: Vec<Failure>,
    notes: Vec<String>,
    sessions: CaseSessions,
    /// The step being sent, for a time limit or stop that interrupts it.
    current: Option<StepRef>,
    /// Actions a run-alone case has started (each from an empty window).
    fresh: std::collections::BTreeSet<String>,
}

/// Aborts the requests of a step that is dropped mid-way (time limit, stop signal).
struct InFlight<T>(Vec<tokio::task::JoinHandle<T>>);

impl<T> Drop for InFlight<T> {
    fn drop(&mut self) {
        for handle in &self.0 {
            handle.abort();
        }
    }
}

impl<'a> CaseRun<'a> {
    /// The steps within the case's time limit and the run's stop signal; the reason when the
    /// run was interrupted (see `ended`).
    async fn bounded_steps(&mut self) -> Option<String> {
        let guard = &self.shared.guard;
        let limit = guard.case_limit(self.case);
        let mut panicked = None;
        let steps = async {
            // A bug in a check must not skip the cleanup that follows.
            if let Err(panic) = timeout::catch_panic(self.steps()).await {
                panicked = Some(panic.message);
            }
        };
        let ended = timeout::bounded(&guard.cancel, limit, steps).await;
        if let Some(message) = panicked {
            let at = self.current.take().unwrap_or(StepRef {
                phase: "steps",
                index: 0,
                label: "case".to_owned(),
                copy: None,
            });
            self.fail(
                at,
                None,
                FailureKind::NotSent {
                    reason: format!(
                        "the runner failed internally (a bug in car-conformance; please report it): {message}"
                    ),
                },
            );
        }
        self.ended(ended)
    }

    /// Every cleanup step whatever happened, then, on the shared target, the runner's own
    /// DestroySession for each UserId left holding something; the notes on what may be left.
    async fn clean_up(&mut self) -> Vec<String> {
        let case = self.case;
        for (index, step) in case.spec.cleanup.iter().enumerate() {
            self.step("cleanup", index, step).await;
        }
        // A case's own mock is discarded with the case: nothing can be left on it.
        if !self.on_shared {
            return Vec::new();
        }
        self.destroy_leftovers().await;
        let left = self.sessions.settle(&self.shared.guard.ledger);
        self.notes.extend(left.iter().cloned());
        left
    }

    /// The case's outcome: passed or failed, or skipped when interrupted before any failure.
    fn into_outcome(self, interrupted: Option<String>, started: Instant) -> Outcome {
        let mut outcome = Outcome::skipped(self.case, String::new());
        outcome.skip_reason = None;
        outcome.status = if self.failures.is_empty() {
            Status::Passed
        } else {
            Status::Failed
        };
        if let Some(reason) = interrupted
            && self.failures.is_empty()
        {
            outcome.status = Status::Skipped;
            outcome.skip_reason = Some(reason);
        }
        outcome.failures = self.failures;
        outcome.exchanges = self.exchanges;
        outcome.notes = self.notes;
        outcome.duration = started.elapsed();
        super::scrub::scrub_outcome(&mut outcome);
        outcome
    }

    /// The case's steps in order, stopping at the first that fails.
    async fn steps(&mut self) {
        let steps = &self.case.spec.steps;
        for (index, step) in steps.iter().enumerate() {
            if !self.step("steps", index, step).await {
                if index + 1 < steps.len() {
                    self.notes.push(format!(
                        "steps {}–{} not sent: step {} failed",
                        index + 2,
                        steps.len(),
                        index + 1
                    ));
                }
                break;
            }
        }
        self.current = None;
    }

    /// Records how the steps ended; the reason when the run was interrupted (the case then has
    /// no verdict of its own).
    fn ended(&mut self, ended: Ended) -> Option<String> {
        let at = self.current.take();
        let total = self.case.spec.steps.len();
        let rest = match &at {
            Some(step) if step.index + 2 == total => format!("; step {total} not sent"),
            Some(step) if step.index + 1 < total => {
                format!("; steps {}–{total} not sent", step.index + 2)
            }
            _ => String::new(),
        };
        let step = at.unwrap_or(StepRef {
            phase: "steps",
            index: 0,
            label: "case".to_owned(),
            copy: None,
        });
        let error = match ended {
            Ended::Finished => return None,
            Ended::Stopped(Stop::Interrupted) => {
                return Some(format!("interrupted (Ctrl-C) during {step}{rest}"));
            }
            Ended::Stopped(Stop::OutputClosed) => {
                return Some(format!(
                    "stopped during {step}{rest}: the output was closed"
                ));
            }
            Ended::Stopped(Stop::Unreachable) => {
                return Some(format!(
                    "stopped during {step}{rest}: the target could not be reached"
                ));
            }
            Ended::TimedOut(limit) => format!(
                "timed out after {}: the case's time limit (--case-timeout) ended {step}{rest}",
                crate::plan::duration::human(limit)
            ),
            Ended::Stopped(Stop::RunTimeout(limit)) => format!(
                "timed out after {}: the run's time limit (--run-timeout) ended {step}{rest}",
                crate::plan::duration::human(limit)
            ),
        };
        self.fail(step, None, FailureKind::Transport { error });
        None
    }

    /// Destroys every UserId of the case that may still hold a lock or session; a DestroySession
    /// refused for now (rate limit, server error, no answer) is sent again, with backoff, until
    /// the cleanup's deadline.
    async fn destroy_leftovers(&mut self) {
        let users = self.sessions.to_destroy();
        let first = self.case.spec.cleanup.len();
        let deadline = Instant::now() + cleanup::DESTROY_DEADLINE;
        for (offset, user) in users.iter().enumerate() {
            let step = cleanup::destroy_step(user);
            let mut pause = cleanup::FIRST_RETRY_PAUSE;
            let mut sent = 1;
            self.step("cleanup", first + offset, &step).await;
            while self.sessions.retry_destroy(user)
                && Instant::now() + pause < deadline
                // A target that stopped answering altogether is not waited for again.
                && self.shared.guard.breaker.check().is_ok()
                && !self.shared.guard.abandoned()
            {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(cleanup::MAX_RETRY_PAUSE);
                sent += 1;
                self.step("cleanup", first + offset, &step).await;
            }
            if sent > 1 {
                self.notes.push(format!(
                    "cleanup: DestroySession for UserId {user} sent {sent} times (the target asked to retry or gave no answer)"
                ));
            }
        }
    }

    /// Sends one step (all its copies at once) and checks the answers; `false` when it failed.
    async fn step(&mut self, phase: &'static str, index: usize, step: &Step) -> bool {
        let failures_before = self.failures.len();
        let Some(built) = self.build_copies(phase, index, step) else {
            return false;
        };
        self.current = Some(step_ref(phase, index, step, None));
        let subjects: Vec<(String, Option<String>)> = built
            .iter()
            .map(|(_, request)| cleanup::subject(&request.prepared, &step.action))
            .collect();
        if self.on_shared
            && let Err(reason) = self.shared.guard.breaker.check()
        {
            self.not_sent(step, built, &reason.to_string());
            return self.failures.len() == failures_before;
        }
        let _permits = self.wait_turn(step, built.len(), &subjects).await;
        // Spawn every copy before awaiting any, so they are in flight together.
        let base_timeout = self.shared.guard.request_limit(step);
        let mut handles = InFlight(
            built
                .iter()
                .map(|(_, request)| {
                    let client = self.shared.client.clone();
                    let prepared = request.prepared.clone();
                    let limit = timeout::for_request(base_timeout, prepared.body.len());
                    tokio::spawn(async move { client.send_within(&prepared, limit).await })
                })
                .collect(),
        );
        let mut outcomes = Vec::new();
        for (((at, request), handle), (action, user)) in
            built.into_iter().zip(handles.0.iter_mut()).zip(&subjects)
        {
            let result = handle
                .await
                .unwrap_or_else(|e| Err(SendError::Transport(e.to_string())));
            let exchange = self.record_exchange(&at, request, &result, action, user.as_deref());
            if let Some(expect) = &step.expect {
                let outcome = self.judge_answer(phase, index, step, expect, at, exchange, result);
                outcomes.push(outcome);
            } else if let Err(error) = &result {
                self.notes.push(format!("{at}: no answer: {error}"));
            }
        }
        if let Some(tally) = step.expect.as_ref().and_then(|e| e.tally.as_ref())
            && let Some(kind) = check::judge_tally(tally, &outcomes)
        {
            self.fail(step_ref(phase, index, step, None), None, kind);
        }
        self.failures.len() == failures_before
    }

    /// Builds and signs every copy of `step`; `None` (with the failures recorded) when one
    /// could not be built, in which case nothing of the step is sent.
    fn build_copies(
        &mut self,
        phase: &'static str,
        index: usize,
        step: &Step,
    ) -> Option<Vec<(StepRef, request::Built)>> {
        let now = unix_now();
        let failures_before = self.failures.len();
        let mut built = Vec::new();
        for copy in 0..step.copies {
            let scope = CaseScope {
                user_id: &self.user_id,
                client_ip: &self.shared.client_ip,
                project_id: &self.shared.project_id,
                client_session: &self.shared.client_session,
                captures: &self.captures,
                copy,
            };
            let at = step_ref(phase, index, step, (step.copies > 1).then_some(copy));
            match request::build(step, &scope, &self.endpoint, now) {
                Ok(request) => built.push((at, request)),
                Err(reason) => self.failures.push(Failure {
                    step: at,
                    exchange: None,
                    level: self.case.spec.level,
                    kind: FailureKind::NotSent {
                        reason: reason.to_string(),
                    },
                }),
            }
        }
        (self.failures.len() == failures_before).then_some(built)
    }

    /// The breaker is open (the target stopped answering): each copy is not sent — a failure
    /// where the step expects an answer, a note for a cleanup step.
    fn not_sent(&mut self, step: &Step, built: Vec<(StepRef, request::Built)>, reason: &str) {
        for (at, _) in built {
            match &step.expect {
                Some(_) => self.fail(
                    at,
                    None,
                    FailureKind::NotSent {
                        reason: reason.to_owned(),
                    },
                ),
                None => self.notes.push(format!("{at}: not sent: {reason}")),
            }
        }
    }

    /// Waits for this step's turn on the shared target (requests in flight, the pacer) and
    /// enters every UserId a creating request names in the cleanup ledger before it is sent.
    async fn wait_turn(
        &mut self,
        step: &Step,
        copies: usize,
        subjects: &[(String, Option<String>)],
    ) -> Option<tokio::sync::SemaphorePermit<'a>> {
        let shared: &'a Shared = self.shared;
        let guard = &shared.guard;
        let permits = if self.on_shared {
            guard.schedule.permits(copies, self.alone).await
        } else {
            None
        };
        if self.on_shared
            && let Some(pacer) = &guard.pacer
        {
            let action = subjects
                .first()
                .map_or(step.action.as_str(), |s| s.0.as_str());
            // A run-alone case starts each action from an empty window, then is not held back.
            let admission = match self.alone {
                false => Admission::Paced,
                true if self.fresh.insert(action.to_owned()) => Admission::Fresh,
                true => Admission::Unpaced,
            };
            pacer.admit(action, copies, admission).await;
        }
        for (action, user) in subjects {
            self.sessions.sent(action, user.as_deref());
            if self.on_shared
                && let Some(user) = user
                && cleanup::CREATING.contains(&action.as_str())
            {
                guard.ledger.pending(user);
            }
        }
        permits
    }

    /// Keeps one exchange for the report and tells the breaker, the reach tracker and the
    /// case's session ledger what came back; returns the exchange's index.
    fn record_exchange(
        &mut self,
        at: &StepRef,
        request: request::Built,
        result: &Result<Received, SendError>,
        action: &str,
        user: Option<&str>,
    ) -> usize {
        let guard = &self.shared.guard;
        if self.on_shared {
            guard.breaker.record(match result {
                Err(SendError::Timeout(limit)) => Some(*limit),
                _ => None,
            });
            guard.reached(result);
            guard.reach.record(result);
        }
        let answer = Answer::of(result);
        let mut shown = match (result, answer) {
            (Err(error), _) => format!("got no answer: {error}"),
            (Ok(received), Answer::Unknown | Answer::Unanswered) => {
                format!("got HTTP {} without an API answer", received.status)
            }
            (Ok(received), _) => format!(
                "answered {}",
                serde_json::from_slice::<serde_json::Value>(&received.body)
                    .ok()
                    .and_then(|body| check::outcome_of(&body).ok())
                    .unwrap_or_default()
            ),
        };
        // A target's Code is its own text: bounded before it is logged or noted.
        crate::redact::cap(&mut shown);
        tracing::debug!(action = %action, step = %at, answer = %crate::redact::for_terminal(&shown), "exchange");
        self.sessions.answered(action, user, answer, &shown);
        self.exchanges.push(Exchange {
            step: at.clone(),
            request: request.record,
            response: result.as_ref().ok().map(record),
            error: result.as_ref().err().map(ToString::to_string),
        });
        self.exchanges.len() - 1
    }

    /// Judges one answer against the step's `expect`: the checks (each failing at its own
    /// level), the snapshot and the captures. Returns the outcome for a tally (`None` when
    /// no API answer came).
    #[allow(clippy::too_many_arguments)]
    fn judge_answer(
        &mut self,
        phase: &'static str,
        index: usize,
        step: &Step,
        expect: &crate::case::Expect,
        at: StepRef,
        exchange: usize,
        result: Result<Received, SendError>,
    ) -> Option<String> {
        let received = match result {
            Ok(received) => received,
            Err(error) => {
                self.fail(
                    at,
                    Some(exchange),
                    FailureKind::Transport {
                        error: error.to_string(),
                    },
                );
                return None;
            }
        };
        let judged = check::judge(expect, &step.action, &received, &self.shared.schemas);
        let expects_success = expect.success == Some(true);
        for kind in judged.failures {
            // A default check fails at its own rule's level when that is lower.
            let level = self.shared.check_levels.failing_level(
                self.case.spec.level,
                &kind,
                expects_success,
            );
            self.failures.push(Failure {
                step: at.clone(),
                exchange: Some(exchange),
                level,
                kind,
            });
        }
        if expect.snapshot {
            self.snapshot(phase, index, step, &received, &at, exchange);
        }
        for (name, pointer) in &expect.capture {
            match check::capture(judged.body.as_ref(), pointer) {
                Ok(value) => {
                    self.captures.insert(name.clone(), value);
                }
                Err(problem) => self.fail(
                    at.clone(),
                    Some(exchange),
                    FailureKind::Capture {
                        name: name.clone(),
                        pointer: pointer.clone(),
                        problem: problem.to_string(),
                    },
                ),
            }
        }
        judged.outcome
    }

    /// A failure of one of the case's own checks: it counts at the case's level.
    fn fail(&mut self, step: StepRef, exchange: Option<usize>, kind: FailureKind) {
        self.failures.push(Failure {
            step,
            exchange,
            level: self.case.spec.level,
            kind,
        });
    }

    fn snapshot(
        &mut self,
        phase: &str,
        index: usize,
        step: &Step,
        received: &Received,
        at: &StepRef,
        exchange: usize,
    ) {
        let volatile = [
            (self.user_id.clone(), "[user_id]"),
            (self.shared.client_ip.clone(), "[client_ip]"),
            (self.shared.project_id.clone(), "[project_id]"),
        ];
        let content = snapshot::normalise(
            received.status,
            received.header("content-type"),
            &received.body,
            &volatile,
        );
        // An answer that echoes a secret never reaches a snapshot file.
        let content = crate::redact::scrub(&content).into_owned();
        let snapshots: &Snapshots = &self.shared.snapshots;
        let path = snapshots.path(&self.case.id, &format!("{phase}{}", index + 1));
        let expression = format!("{} {at}: {}", self.case.id, step.action);
        let source = self.case.file.to_string_lossy().replace('\\', "/");
        let shown = path.display().to_string();
        match snapshots.check(&path, &source, &expression, &content) {
            Verdict::Matched => {}
            Verdict::New {
                written: Some(file),
            } => self.notes.push(format!(
                "{at}: no snapshot yet for target `{}`; recorded {}",
                snapshots.suffix,
                file.display()
            )),
            Verdict::New { written: None } => self.notes.push(format!(
                "{at}: no snapshot {shown} yet (record it with INSTA_UPDATE=always)"
            )),
            Verdict::Updated { path } => self
                .notes
                .push(format!("{at}: snapshot {} updated", path.display())),
            Verdict::Differs { diff, pending, .. } => {
                let mut diff = diff;
                if let Some(pending) = pending {
                    diff.push_str(&format!(
                        "     (new answer written to {}; review with `cargo insta review`)",
                        pending.display()
                    ));
                }
                self.fail(
                    at.clone(),
                    Some(exchange),
                    FailureKind::Snapshot {
                        snapshot: shown,
                        diff,
                    },
                );
            }
        }
    }
}

/// Where in the case a request sits: phase, step index, the step's label, and the copy.
fn step_ref(phase: &'static str, index: usize, step: &Step, copy: Option<u32>) -> StepRef {
    StepRef {
        phase,
        index,
        label: step.label().to_owned(),
        copy,
    }
}

fn record(received: &Received) -> ResponseRecord {
    ResponseRecord {
        status: received.status,
        headers: received.headers.clone(),
        body: BodyRecord::new(&received.body),
        latency_ms: u64::try_from(received.latency.as_millis()).unwrap_or(u64::MAX),
    }
}
