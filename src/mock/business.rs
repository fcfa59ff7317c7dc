//! mock: CAR's business layer behind the gateway — turns a checked request into a call on the
//! state (ApplyConcurrent, CreateSession, DestroySession, DescribeConcurrentCount) and the
//! action's success fields.

use std::time::Instant;

use base64::Engine;
use serde_json::{Map, Value};

use super::action::Action;
use super::messages::ApiError;
use super::params::{get_non_empty, get_str};
use super::state::{CreateRequest, Role, State};

/// A successful action: its answer fields, and when a slow CreateSession may answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub fields: Map<String, Value>,
    pub ready_at: Option<Instant>,
}

impl Outcome {
    fn empty() -> Self {
        Self {
            fields: Map::new(),
            ready_at: None,
        }
    }
}

/// Runs `action` with parameters the gateway already checked.
pub fn run(
    action: Action,
    params: &Map<String, Value>,
    state: &mut State,
    now: Instant,
) -> Result<Outcome, ApiError> {
    let user_id = get_str(params, "UserId").unwrap_or("");
    match action {
        Action::ApplyConcurrent => {
            state.apply_concurrent(user_id, now)?;
            Ok(Outcome::empty())
        }
        Action::CreateSession => create_session(params, user_id, state, now),
        Action::DestroySession => {
            state.destroy_session(user_id, now);
            Ok(Outcome::empty())
        }
        Action::DescribeConcurrentCount => {
            let (total, running) = state.concurrent_count(now);
            let mut fields = Map::new();
            fields.insert("Total".into(), Value::from(total));
            fields.insert("Running".into(), Value::from(running));
            Ok(Outcome {
                fields,
                ready_at: None,
            })
        }
    }
}

fn create_session(
    params: &Map<String, Value>,
    user_id: &str,
    state: &mut State,
    now: Instant,
) -> Result<Outcome, ApiError> {
    let role = Role::from_param(get_str(params, "Role")).ok_or_else(|| {
        // The gateway's enum check refuses other values first; this keeps the layer safe alone.
        super::messages::invalid_parameter_value(
            "Role",
            "expected one of Player, Viewer",
            "应为 Player, Viewer 之一",
        )
    })?;
    let request = CreateRequest {
        user_id,
        host_user_id: get_non_empty(params, "HostUserId"),
        role,
    };
    let created = state.create_session(&request, now)?;
    let mut fields = Map::new();
    fields.insert("ServerSession".into(), Value::String(server_session()));
    Ok(Outcome {
        fields,
        ready_at: Some(created.ready_at),
    })
}

/// A fresh ServerSession: base64 of a small JSON object, like the documented example
/// (`eyJ4dHoiOjc4OX0=` is `{"xtz":789}`); never empty, never derived from the request.
pub fn server_session() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    base64::engine::general_purpose::STANDARD.encode(format!("{{\"sid\":\"{id}\"}}"))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::mock::state::Limits;

    fn state(now: Instant) -> State {
        State::new(
            Limits {
                concurrency_quota: 10,
                lock_lifetime: Duration::from_secs(60),
                create_session: Duration::ZERO,
                stopping: Duration::ZERO,
                player_limit: 7,
                viewer_limit: 50,
            },
            crate::mock::decisions::Checks::all(),
            now,
        )
    }

    fn params(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn the_session_flow_answers_the_documented_fields() {
        let now = Instant::now();
        let mut state = state(now);
        let apply = params(json!({"UserId": "u", "UserIp": "1.2.3.4", "ProjectId": "cap-1"}));
        let outcome = run(Action::ApplyConcurrent, &apply, &mut state, now).unwrap();
        assert!(outcome.fields.is_empty());
        let create = params(json!({"UserId": "u", "UserIp": "1.2.3.4", "ClientSession": "eyJ9"}));
        let outcome = run(Action::CreateSession, &create, &mut state, now).unwrap();
        let session = outcome.fields["ServerSession"].as_str().unwrap();
        assert!(!session.is_empty());
        assert!(
            base64::engine::general_purpose::STANDARD
                .decode(session)
                .is_ok()
        );
        let count = run(
            Action::DescribeConcurrentCount,
            &Map::new(),
            &mut state,
            now,
        )
        .unwrap();
        assert_eq!(count.fields["Total"], 10);
        assert_eq!(count.fields["Running"], 1);
        let destroy = params(json!({"UserId": "u"}));
        run(Action::DestroySession, &destroy, &mut state, now).unwrap();
        assert_eq!(state.live(now).sessions.len(), 0);
    }

    #[test]
    fn server_sessions_are_fresh() {
        assert_ne!(server_session(), server_session());
    }

    #[test]
    fn a_bad_role_is_refused_even_without_the_gateway() {
        let now = Instant::now();
        let mut state = state(now);
        let create = params(json!({"UserId": "u", "Role": "Admin", "ClientSession": "x"}));
        let error = run(Action::CreateSession, &create, &mut state, now).unwrap_err();
        assert_eq!(error.code, "InvalidParameterValue");
    }
}
