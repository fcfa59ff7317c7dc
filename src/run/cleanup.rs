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

use serde_json::{Value, json};

use crate::case::Step;
use crate::send::{Prepared, Received, SendError};

/// Actions that take a lock or start a session for their UserId.
pub const CREATING: [&str; 2] = ["ApplyConcurrent", "CreateSession"];
/// The action that ends both.
pub const DESTROY: &str = "DestroySession";
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
    /// No answer, or not an API 3.0 one: the action may or may not have happened.
    Unknown,
}

impl Answer {
    pub fn of(result: &Result<Received, SendError>) -> Self {
        let Ok(received) = result else {
            return Answer::Unknown;
        };
        let Ok(body) = serde_json::from_slice::<Value>(&received.body) else {
            return Answer::Unknown;
        };
        match crate::check::outcome_of(&body) {
            Ok(outcome) if outcome == crate::case::model::SUCCESS => Answer::Success,
            Ok(_) => Answer::Error,
            Err(_) => Answer::Unknown,
        }
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
    destroyed_by_runner: bool,
    /// The last answer to a DestroySession that was not a success, for the report.
    last_failure: Option<String>,
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
            self.users
                .entry(user_id.to_owned())
                .or_default()
                .needs_destroy = true;
        }
    }

    /// Notes what came back for a request that went out.
    pub fn answered(&mut self, action: &str, user_id: Option<&str>, answer: Answer, shown: &str) {
        let Some(user_id) = user_id else { return };
        if CREATING.contains(&action) {
            let state = self.users.entry(user_id.to_owned()).or_default();
            match answer {
                Answer::Success => state.held = true,
                Answer::Unknown => state.unconfirmed = true,
                Answer::Error => {}
            }
        } else if action == DESTROY
            && let Some(state) = self.users.get_mut(user_id)
        {
            if answer == Answer::Success {
                state.needs_destroy = false;
                state.destroyed_by_runner = self.runner_phase;
                state.last_failure = None;
            } else {
                state.last_failure = Some(shown.to_owned());
            }
        }
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
            if state.destroyed_by_runner || (self.runner_phase && state.needs_destroy) {
                totals.runner_requests += 1;
            }
            if !(state.held || state.unconfirmed) {
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
            let ids: Vec<&str> = t.left.iter().map(String::as_str).collect();
            out.push_str(&format!(
                "warning: {} UserId(s) may still hold a lock or session on the target: {}; destroy them with DestroySession (e.g. `tccli car DestroySession --UserId ID`)\n",
                t.left.len(),
                ids.join(", ")
            ));
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
