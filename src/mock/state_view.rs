//! mock: the business state as a control client reads it (locks, sessions, rooms, with what is
//! left of their timers), and the one way the control interface changes it besides a reset:
//! taking over a new configuration's limits and checks while keeping every lock and session.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use super::{Role, State};

/// One concurrency lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockView {
    pub user_id: String,
    pub expires_in_ms: u64,
}

/// One session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionView {
    pub user_id: String,
    /// `creating` (CreateSession still processing), `running` or `stopping`.
    pub phase: &'static str,
    /// The room's host, for a session in a multi-person room.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    pub role: &'static str,
    /// Whether it holds a concurrency (guests share their host's).
    pub holds_concurrency: bool,
}

/// One multi-person room: its host and its guests by role (host included among the players).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomView {
    pub host: String,
    pub players: Vec<String>,
    pub viewers: Vec<String>,
}

/// The whole business state, each list sorted by UserId.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StateView {
    pub locks: Vec<LockView>,
    pub sessions: Vec<SessionView>,
    pub rooms: Vec<RoomView>,
    /// Concurrencies held (locks plus owning sessions) and the quota.
    pub concurrency_used: u64,
    pub concurrency_quota: u64,
}

fn millis_until(at: Instant, now: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(now).as_millis()).unwrap_or(u64::MAX)
}

impl State {
    /// What is held now (expired entries swept first).
    pub fn view(&mut self, now: Instant) -> StateView {
        self.sweep(now);
        let mut locks: Vec<LockView> = self
            .locks
            .iter()
            .map(|(user_id, lock)| LockView {
                user_id: user_id.clone(),
                expires_in_ms: millis_until(lock.expires, now),
            })
            .collect();
        locks.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        let mut rooms: BTreeMap<String, RoomView> = BTreeMap::new();
        let mut sessions: Vec<SessionView> = Vec::with_capacity(self.sessions.len());
        for (user_id, session) in &self.sessions {
            let phase = if session.is_stopping(now) {
                "stopping"
            } else if now < session.ready_at {
                "creating"
            } else {
                "running"
            };
            let role = match session.role {
                Role::Player => "Player",
                Role::Viewer => "Viewer",
            };
            if let Some(host) = &session.room
                && phase != "stopping"
            {
                let room = rooms.entry(host.clone()).or_insert_with(|| RoomView {
                    host: host.clone(),
                    players: Vec::new(),
                    viewers: Vec::new(),
                });
                match session.role {
                    Role::Player => room.players.push(user_id.clone()),
                    Role::Viewer => room.viewers.push(user_id.clone()),
                }
            }
            sessions.push(SessionView {
                user_id: user_id.clone(),
                phase,
                room: session.room.clone(),
                role,
                holds_concurrency: session.owns_concurrency,
            });
        }
        sessions.sort_by(|a, b| a.user_id.cmp(&b.user_id));
        let rooms = rooms
            .into_values()
            .map(|mut room| {
                room.players.sort();
                room.viewers.sort();
                room
            })
            .collect();
        StateView {
            locks,
            sessions,
            rooms,
            concurrency_used: self.used_concurrency() as u64,
            concurrency_quota: u64::from(self.limits.concurrency_quota),
        }
    }

    /// Takes over `fresh`'s limits and checks (a new configuration), keeping what is held.
    pub fn adopt_settings(&mut self, fresh: &State) {
        self.limits = fresh.limits;
        self.checks = fresh.checks.clone();
        self.lock_rules = fresh.lock_rules;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::{CreateRequest, Limits};
    use super::*;
    use crate::mock::Checks;

    fn limits() -> Limits {
        Limits {
            concurrency_quota: 5,
            lock_lifetime: Duration::from_secs(15),
            create_session: Duration::ZERO,
            stopping: Duration::from_secs(1),
            player_limit: 4,
            viewer_limit: 4,
        }
    }

    fn create<'a>(user_id: &'a str, host: Option<&'a str>, role: Role) -> CreateRequest<'a> {
        CreateRequest {
            user_id,
            host_user_id: host,
            role,
        }
    }

    #[test]
    fn a_view_shows_locks_sessions_and_rooms() {
        let now = Instant::now();
        let mut state = State::new(limits(), Checks::all(), now);
        state.apply_concurrent("solo", now).unwrap();
        state.apply_concurrent("host", now).unwrap();
        state
            .create_session(&create("host", Some("host"), Role::Player), now)
            .unwrap();
        state
            .create_session(&create("guest", Some("host"), Role::Viewer), now)
            .unwrap();
        let view = state.view(now);
        assert_eq!(view.locks.len(), 1);
        assert_eq!(view.locks[0].user_id, "solo");
        assert_eq!(view.locks[0].expires_in_ms, 15_000);
        let ids: Vec<&str> = view.sessions.iter().map(|s| s.user_id.as_str()).collect();
        assert_eq!(ids, ["guest", "host"]);
        assert!(!view.sessions[0].holds_concurrency);
        assert_eq!(view.sessions[1].phase, "running");
        assert_eq!(
            view.rooms,
            [RoomView {
                host: "host".into(),
                players: vec!["host".into()],
                viewers: vec!["guest".into()],
            }]
        );
        assert_eq!((view.concurrency_used, view.concurrency_quota), (2, 5));
        state.destroy_session("host", now);
        let view = state.view(now);
        assert!(view.rooms.is_empty(), "{view:?}");
        assert!(view.sessions.iter().any(|s| s.phase == "stopping"));
    }

    #[test]
    fn new_settings_keep_what_is_held() {
        let now = Instant::now();
        let mut state = State::new(limits(), Checks::all(), now);
        state.apply_concurrent("kept", now).unwrap();
        let mut smaller = limits();
        smaller.concurrency_quota = 1;
        state.adopt_settings(&State::new(smaller, Checks::all(), now));
        let view = state.view(now);
        assert_eq!(view.locks[0].user_id, "kept");
        assert_eq!(view.concurrency_quota, 1);
        assert!(state.apply_concurrent("other", now).is_err());
    }
}
