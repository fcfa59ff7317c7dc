//! run: leaves nothing running on the target. Every UserId a case sent to ApplyConcurrent or
//! CreateSession is destroyed with DestroySession at the end of the case — after the case's own
//! cleanup steps, whatever happened (a failed step, a timeout, Ctrl-C, no cleanup step at all) —
//! unless a DestroySession for it already succeeded. Against a real account a forgotten session
//! keeps running and billing, and a lock holds a concurrency until it expires.
//!
//! [`CaseSessions`] follows one case's UserIds; [`Ledger`] adds them up for the run's summary:
//! how many UserIds held (or may have held) a lock or session, how many were destroyed (by the
//! case, or by this cleanup), and which may be left.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};

use crate::case::Step;
use crate::send::{Prepared, Received, SendError};

/// Actions that take a lock or start a session for their UserId.
pub const CREATING: [&str; 2] = ["ApplyConcurrent", "CreateSession"];
/// The action that ends both.
pub const DESTROY: &str = "DestroySession";
/// How long the runner keeps sending a DestroySession the target asked to retry, per case.
pub const DESTROY_DEADLINE: Duration = Duration::from_secs(15);
/// The first pause before sending a DestroySession again; it doubles up to [`MAX_RETRY_PAUSE`].
pub const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(250);
pub const MAX_RETRY_PAUSE: Duration = Duration::from_secs(4);
/// The name of the runner's own DestroySession steps in reports.
pub const STEP_NAME: &str = "runner cleanup";

/// The action a request names (its `X-TC-Action`, which a case may override) and the UserId it
/// carries (JSON body, else query string, else a signature v1 form body), when it has a
/// non-empty string one.
pub fn subject(prepared: &Prepared, step_action: &str) -> (String, Option<String>) {
    let action = prepared
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-tc-action"))
        .map_or(step_action, |(_, value)| value.as_str())
        .to_owned();
    let from_body = serde_json::from_slice::<Value>(&prepared.body)
        .ok()
        .and_then(|body| body.get("UserId")?.as_str().map(str::to_owned));
    let from_query = || {
        let url = url::Url::parse(&prepared.url).ok()?;
        url.query_pairs()
            .find(|(name, _)| name == "UserId")
            .map(|(_, value)| value.into_owned())
    };
    let from_form = || {
        url::form_urlencoded::parse(&prepared.body)
            .find(|(name, _)| name == "UserId")
            .map(|(_, value)| value.into_owned())
    };
    let user_id = from_body
        .or_else(from_query)
        .or_else(from_form)
        .filter(|id| !id.is_empty());
    (action, user_id)
}

/// What an answer says about the request's effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// An API 3.0 answer without `Error`.
    Success,
    /// An API 3.0 error: the action did nothing.
    Error,
    /// An API 3.0 error that says "not now" (rate limit, internal error): the action did nothing,
    /// and the same request may succeed later.
    Busy,
    /// An answer that is not an API 3.0 one: the action may or may not have happened, and
    /// asking again would get the same.
    Unknown,
    /// No answer (timed out, connection lost) or a server error page: the action may or may
    /// not have happened, and the same request may get through later.
    Unanswered,
    /// The request never reached the target (no connection could be made): no effect.
    NotSent,
}

/// Error codes after which a DestroySession is worth sending again: the documented rate limit
/// and the target's own failures.
const BUSY_CODES: [&str; 2] = ["RequestLimitExceeded", "InternalError"];

impl Answer {
    pub fn of(result: &Result<Received, SendError>) -> Self {
        let received = match result {
            Ok(received) => received,
            Err(SendError::Unreachable(_) | SendError::Invalid(_)) => return Answer::NotSent,
            Err(SendError::Timeout(_) | SendError::Transport(_)) => return Answer::Unanswered,
            Err(SendError::TooLarge { .. } | SendError::Redirect { .. }) => return Answer::Unknown,
        };
        let not_api = match received.status {
            500.. => Answer::Unanswered,
            _ => Answer::Unknown,
        };
        let Ok(body) = serde_json::from_slice::<Value>(&received.body) else {
            return not_api;
        };
        match crate::check::outcome_of(&body) {
            Ok(outcome) if outcome == crate::case::model::SUCCESS => Answer::Success,
            Ok(code) if BUSY_CODES.iter().any(|busy| code.starts_with(busy)) => Answer::Busy,
            Ok(_) if received.status >= 500 => Answer::Busy,
            Ok(_) => Answer::Error,
            Err(_) => not_api,
        }
    }

    /// Whether a DestroySession that got this answer is worth sending again.
    pub fn worth_retrying(self) -> bool {
        matches!(self, Answer::Busy | Answer::Unanswered | Answer::NotSent)
    }
}

#[derive(Debug, Clone, Default)]
struct UserState {
    /// An ApplyConcurrent or CreateSession went out after the last successful DestroySession.
    needs_destroy: bool,
    /// Some answer said a lock or session exists.
    held: bool,
    /// Some request went unanswered: it may have created one.
    unconfirmed: bool,
    /// Creating requests sent and not (yet) answered: a request aborted by a time limit or a
    /// stop may have reached the target and created one.
    in_flight: u32,
    /// How the last DestroySession that did not succeed was answered.
    last_destroy: Option<Answer>,
    destroyed_by_runner: bool,
    /// The last answer to a DestroySession that was not a success, for the report.
    last_failure: Option<String>,
}

impl UserState {
    /// Some answer, or the lack of one, says a lock or session may exist.
    fn may_exist(&self) -> bool {
        self.held || self.unconfirmed || self.in_flight > 0
    }
}

/// The UserIds of one case and what became of them.
#[derive(Debug, Default)]
pub struct CaseSessions {
    users: BTreeMap<String, UserState>,
    /// Set while the runner's own DestroySession steps run.
    runner_phase: bool,
}

impl CaseSessions {
    /// Notes a request about to go out.
    pub fn sent(&mut self, action: &str, user_id: Option<&str>) {
        if let Some(user_id) = user_id
            && CREATING.contains(&action)
        {
            let state = self.users.entry(user_id.to_owned()).or_default();
            state.needs_destroy = true;
            state.in_flight += 1;
        }
    }

    /// Notes what came back for a request that went out.
    pub fn answered(&mut self, action: &str, user_id: Option<&str>, answer: Answer, shown: &str) {
        let Some(user_id) = user_id else { return };
        if CREATING.contains(&action) {
            let state = self.users.entry(user_id.to_owned()).or_default();
            state.in_flight = state.in_flight.saturating_sub(1);
            match answer {
                Answer::Success => state.held = true,
                Answer::Unknown | Answer::Unanswered => state.unconfirmed = true,
                Answer::Error | Answer::Busy | Answer::NotSent => {}
            }
        } else if action == DESTROY
            && let Some(state) = self.users.get_mut(user_id)
        {
            if answer == Answer::Success {
                state.needs_destroy = false;
                state.destroyed_by_runner = self.runner_phase;
                state.last_failure = None;
                state.last_destroy = None;
            } else {
                state.last_failure = Some(shown.to_owned());
                state.last_destroy = Some(answer);
            }
        }
    }

    /// Whether `user_id` may hold a lock or session that a DestroySession has not ended, and
    /// the last DestroySession's answer leaves hope that sending it again ends it.
    pub fn retry_destroy(&self, user_id: &str) -> bool {
        self.users.get(user_id).is_some_and(|state| {
            state.needs_destroy
                && state.may_exist()
                && state.last_destroy.is_none_or(Answer::worth_retrying)
        })
    }

    /// The UserIds the runner must destroy now, sorted; from here on DestroySession successes
    /// are counted as the runner's.
    pub fn to_destroy(&mut self) -> Vec<String> {
        self.runner_phase = true;
        self.users
            .iter()
            .filter(|(_, state)| state.needs_destroy)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Adds this case to the run's ledger; returns notes for the case's outcome about UserIds
    /// that may still hold a lock or session.
    pub fn settle(&self, ledger: &Ledger) -> Vec<String> {
        let mut notes = Vec::new();
        let mut totals = ledger.lock();
        for (user_id, state) in &self.users {
            totals.pending.remove(user_id);
            if state.destroyed_by_runner || (self.runner_phase && state.needs_destroy) {
                totals.runner_requests += 1;
            }
            if !state.may_exist() {
                continue;
            }
            totals.created += 1;
            totals.unconfirmed += usize::from(!state.held);
            if state.needs_destroy {
                totals.left.insert(user_id.clone());
                notes.push(format!(
                    "cleanup: UserId {user_id} may still hold a lock or session: DestroySession {}",
                    state.last_failure.as_deref().unwrap_or("was not sent")
                ));
            } else {
                totals.destroyed += 1;
                totals.by_runner += usize::from(state.destroyed_by_runner);
            }
        }
        notes
    }
}

/// The runner's DestroySession step for `user_id` (sent verbatim, no template expansion).
pub fn destroy_step(user_id: &str) -> Step {
    let mut params = serde_json::Map::new();
    params.insert("UserId".to_owned(), json!({"$literal": user_id}));
    Step {
        name: Some(STEP_NAME.to_owned()),
        action: DESTROY.to_owned(),
        version: None,
        method: "POST".to_owned(),
        params: Some(params),
        body: None,
        content_type: None,
        headers: serde_json::Map::new(),
        sign: crate::case::SignKnobs::default(),
        copies: 1,
        expect: None,
    }
}

/// The run's totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// UserIds that held, or may have held, a lock or session.
    pub created: usize,
    /// Of those, the ones only "may have" (no definite answer).
    pub unconfirmed: usize,
    pub destroyed: usize,
    /// Of the destroyed, those the runner's cleanup destroyed (the case did not).
    pub by_runner: usize,
    /// DestroySession requests the runner sent.
    pub runner_requests: usize,
    /// UserIds that may still hold a lock or session.
    pub left: BTreeSet<String>,
    /// UserIds of cases that have not settled yet (still running or cleaning up).
    pub pending: BTreeSet<String>,
}

/// The run's sessions, case by case.
#[derive(Debug, Default)]
pub struct Ledger {
    totals: Mutex<Totals>,
}

impl Ledger {
    fn lock(&self) -> std::sync::MutexGuard<'_, Totals> {
        self.totals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn totals(&self) -> Totals {
        self.lock().clone()
    }

    /// Notes that `user_id` was sent to a creating action by a case not settled yet: named if the
    /// process has to exit before that case's cleanup ends.
    pub fn pending(&self, user_id: &str) {
        self.lock().pending.insert(user_id.to_owned());
    }

    /// The UserIds that may hold a lock or session now: those left by settled cases, and those
    /// of cases still cleaning up.
    pub fn may_be_left(&self) -> BTreeSet<String> {
        let totals = self.lock();
        totals.left.union(&totals.pending).cloned().collect()
    }

    /// The warning naming UserIds that may still hold a lock or session.
    pub fn warning(left: &BTreeSet<String>) -> String {
        let ids: Vec<&str> = left.iter().map(String::as_str).collect();
        format!(
            "warning: {} UserId(s) may still hold a lock or session on the target: {}; destroy them with DestroySession (e.g. `tccli car DestroySession --UserId ID`)",
            left.len(),
            ids.join(", ")
        )
    }

    /// The summary's lines: sessions created and destroyed, and a warning naming what is left.
    pub fn summary(&self) -> String {
        let t = self.totals();
        let mut out = format!(
            "sessions: {} created, {} destroyed ({} by the runner's cleanup), {} left",
            t.created,
            t.destroyed,
            t.by_runner,
            t.left.len()
        );
        if t.unconfirmed > 0 {
            out.push_str(&format!(
                " ({} of the created unconfirmed: the target gave no definite answer)",
                t.unconfirmed
            ));
        }
        out.push('\n');
        if !t.left.is_empty() {
            out.push_str(&Self::warning(&t.left));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn prepared(action: &str, body: &str, url: &str) -> Prepared {
        Prepared {
            method: "POST".into(),
            url: url.into(),
            headers: vec![("X-TC-Action".into(), action.into())],
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn the_subject_comes_from_the_action_header_and_the_body_or_query() {
        let p = prepared("CreateSession", r#"{"UserId": "u1"}"#, "http://h/");
        assert_eq!(
            subject(&p, "X"),
            ("CreateSession".into(), Some("u1".into()))
        );
        let p = prepared("ApplyConcurrent", "", "http://h/?UserId=u2&UserIp=1.2.3.4");
        assert_eq!(subject(&p, "X").1.as_deref(), Some("u2"));
        let p = prepared("CreateSession", r#"{"UserId": 7}"#, "http://h/");
        assert_eq!(subject(&p, "X").1, None);
        let p = prepared("CreateSession", r#"{"UserId": ""}"#, "http://h/");
        assert_eq!(subject(&p, "X").1, None);
        // Signature v1 POST: the parameters are a form body.
        let p = prepared(
            "CreateSession",
            "Action=CreateSession&UserId=u3",
            "http://h/",
        );
        assert_eq!(subject(&p, "X").1.as_deref(), Some("u3"));
    }

    #[test]
    fn every_user_sent_to_a_creating_action_is_destroyed_unless_the_case_did() {
        let mut case = CaseSessions::default();
        for user in ["a", "b", "c", "d"] {
            case.sent("ApplyConcurrent", Some(user));
        }
        case.answered("ApplyConcurrent", Some("a"), Answer::Success, "");
        case.answered("ApplyConcurrent", Some("b"), Answer::Success, "");
        case.answered("ApplyConcurrent", Some("c"), Answer::Unknown, "");
        case.answered("ApplyConcurrent", Some("d"), Answer::Error, "");
        case.sent("DestroySession", Some("a"));
        case.answered("DestroySession", Some("a"), Answer::Success, "");
        case.sent("DestroySession", Some("z"));
        assert_eq!(case.to_destroy(), ["b", "c", "d"]);
        case.answered("DestroySession", Some("b"), Answer::Success, "");
        case.answered(
            "DestroySession",
            Some("c"),
            Answer::Error,
            "answered InternalError",
        );
        case.answered("DestroySession", Some("d"), Answer::Success, "");
        let ledger = Ledger::default();
        let notes = case.settle(&ledger);
        let totals = ledger.totals();
        assert_eq!(
            (
                totals.created,
                totals.unconfirmed,
                totals.destroyed,
                totals.by_runner
            ),
            (3, 1, 2, 1)
        );
        assert_eq!(totals.runner_requests, 3);
        assert_eq!(totals.left.iter().collect::<Vec<_>>(), ["c"]);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("answered InternalError"), "{notes:?}");
        let summary = ledger.summary();
        assert!(
            summary.starts_with(
                "sessions: 3 created, 2 destroyed (1 by the runner's cleanup), 1 left"
            ),
            "{summary}"
        );
        assert!(summary.contains("warning: 1 UserId(s) may still hold"));
    }

    #[test]
    fn a_request_sent_and_never_answered_may_have_created_a_session() {
        // A CreateSession aborted by a time limit: sent, no answer recorded.
        let mut case = CaseSessions::default();
        case.sent("CreateSession", Some("u"));
        assert_eq!(case.to_destroy(), ["u"]);
        assert!(case.retry_destroy("u"));
        case.answered(
            "DestroySession",
            Some("u"),
            Answer::Busy,
            "answered RequestLimitExceeded",
        );
        assert!(case.retry_destroy("u"), "a rate-limited destroy is retried");
        case.answered(
            "DestroySession",
            Some("u"),
            Answer::Error,
            "answered FailedOperation",
        );
        assert!(!case.retry_destroy("u"), "a definite error is not retried");
        let ledger = Ledger::default();
        ledger.pending("u");
        assert_eq!(ledger.may_be_left().len(), 1);
        let notes = case.settle(&ledger);
        let totals = ledger.totals();
        assert_eq!((totals.created, totals.unconfirmed), (1, 1));
        assert_eq!(totals.left.iter().collect::<Vec<_>>(), ["u"]);
        assert!(totals.pending.is_empty());
        assert!(notes[0].contains("answered FailedOperation"), "{notes:?}");
    }

    #[test]
    fn a_request_that_never_reached_the_target_created_nothing() {
        let mut case = CaseSessions::default();
        case.sent("ApplyConcurrent", Some("u"));
        case.answered("ApplyConcurrent", Some("u"), Answer::NotSent, "");
        case.to_destroy();
        case.answered("DestroySession", Some("u"), Answer::NotSent, "");
        assert!(!case.retry_destroy("u"));
        let ledger = Ledger::default();
        assert!(case.settle(&ledger).is_empty());
        assert_eq!(ledger.totals().created, 0);
        assert!(ledger.summary().starts_with("sessions: 0 created"));
    }

    #[test]
    fn rate_limits_and_server_errors_are_busy_and_a_refused_connection_sent_nothing() {
        let answer = |status: u16, body: &str| {
            Answer::of(&Ok(Received {
                status,
                headers: vec![],
                body: Bytes::from(body.to_owned()),
                latency: Duration::ZERO,
            }))
        };
        let error = |code: &str| {
            format!(
                r#"{{"Response":{{"RequestId":"r","Error":{{"Code":"{code}","Message":"m"}}}}}}"#
            )
        };
        assert_eq!(answer(200, &error("RequestLimitExceeded")), Answer::Busy);
        assert_eq!(
            answer(200, &error("RequestLimitExceeded.UinLimitExceeded")),
            Answer::Busy
        );
        assert_eq!(answer(200, &error("InternalError")), Answer::Busy);
        assert_eq!(answer(503, &error("FailedOperation")), Answer::Busy);
        assert_eq!(answer(200, &error("FailedOperation")), Answer::Error);
        assert_eq!(answer(502, "<html>"), Answer::Unanswered);
        assert_eq!(answer(200, "not json"), Answer::Unknown);
        assert_eq!(
            Answer::of(&Err(SendError::Unreachable("refused".into()))),
            Answer::NotSent
        );
        assert_eq!(
            Answer::of(&Err(SendError::Timeout(Duration::from_secs(1)))),
            Answer::Unanswered
        );
    }

    #[test]
    fn a_session_created_again_after_a_destroy_is_destroyed_again() {
        let mut case = CaseSessions::default();
        case.sent("CreateSession", Some("u"));
        case.answered("CreateSession", Some("u"), Answer::Success, "");
        case.answered("DestroySession", Some("u"), Answer::Success, "");
        case.sent("CreateSession", Some("u"));
        case.answered("CreateSession", Some("u"), Answer::Success, "");
        assert_eq!(case.to_destroy(), ["u"]);
    }

    #[test]
    fn the_runner_step_sends_the_user_id_verbatim() {
        let step = destroy_step("{{not a template}}");
        assert_eq!(step.action, DESTROY);
        assert_eq!(step.label(), STEP_NAME);
        assert!(step.expect.is_none());
        assert_eq!(
            step.params.unwrap()["UserId"],
            json!({"$literal": "{{not a template}}"})
        );
    }
}
