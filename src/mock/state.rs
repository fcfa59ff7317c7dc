//! mock: CAR's business state — concurrency locks, sessions and multi-person rooms — as plain
//! data with an explicit clock, so every rule is a small function testable without a server.
//! Memory stays bounded: expired locks and finished stopping phases are reclaimed, and locks plus
//! owning sessions never exceed the quota (guests are bounded by the room limits).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::decisions::{Check, Checks};
use super::messages::ApiError;

#[path = "state_view.rs"]
mod view;
pub use view::{LockView, RoomView, SessionView, StateView};

/// Role in a multi-person room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Player,
    Viewer,
}

impl Role {
    /// The Role parameter's value; absent or empty gives Player (the host is a Player, and the
    /// documentation names no default, so a guest without a Role may operate too).
    pub fn from_param(value: Option<&str>) -> Option<Role> {
        match value.unwrap_or("") {
            "" | "Player" => Some(Role::Player),
            "Viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// Where a lock is needed beyond the reference rules: both are room the documentation leaves
/// (allowed variants), off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LockRules {
    /// A reconnect (CreateSession for a UserId whose session holds a concurrency) needs a live
    /// lock too, as the reconnection flow applies first.
    pub reconnect: bool,
    /// A guest needs a live lock of its own, and then holds a concurrency of its own.
    pub guest: bool,
}

/// The limits the business rules read from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub concurrency_quota: u32,
    pub lock_lifetime: Duration,
    pub create_session: Duration,
    pub stopping: Duration,
    pub player_limit: u32,
    pub viewer_limit: u32,
}

#[derive(Debug, Clone)]
struct Lock {
    expires: Instant,
}

#[derive(Debug, Clone)]
struct Session {
    /// CreateSession is still being processed until then (→ SlowDown).
    ready_at: Instant,
    /// Set by DestroySession: the stopping phase ends then and the session is gone.
    stopping_until: Option<Instant>,
    /// The host of the room this session is in (itself for a host); `None` outside rooms.
    room: Option<String>,
    role: Role,
    /// Whether the session holds a concurrency (guests share their host's).
    owns_concurrency: bool,
}

impl Session {
    fn is_stopping(&self, now: Instant) -> bool {
        self.stopping_until.is_some_and(|until| now < until)
    }

    fn is_gone(&self, now: Instant) -> bool {
        self.stopping_until.is_some_and(|until| now >= until)
    }
}

/// What a CreateSession asks for, after the gateway checked its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRequest<'a> {
    pub user_id: &'a str,
    pub host_user_id: Option<&'a str>,
    pub role: Role,
}

/// A successful CreateSession: the request is answered once `ready_at` has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub ready_at: Instant,
}

/// The live locks and sessions, for cleanup checks: sorted UserIds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LiveState {
    pub locks: Vec<String>,
    pub sessions: Vec<String>,
}

/// All business state of one mock.
#[derive(Debug)]
pub struct State {
    limits: Limits,
    checks: Checks,
    lock_rules: LockRules,
    locks: HashMap<String, Lock>,
    sessions: HashMap<String, Session>,
    next_sweep: Instant,
}

const SWEEP_EVERY: Duration = Duration::from_secs(1);

impl State {
    pub fn new(limits: Limits, checks: Checks, now: Instant) -> Self {
        Self {
            limits,
            checks,
            lock_rules: LockRules::default(),
            locks: HashMap::new(),
            sessions: HashMap::new(),
            next_sweep: now + SWEEP_EVERY,
        }
    }

    /// This state with `rules` in force.
    pub fn with_lock_rules(mut self, rules: LockRules) -> Self {
        self.lock_rules = rules;
        self
    }

    /// Drops expired locks and sessions whose stopping phase is over.
    pub fn sweep(&mut self, now: Instant) {
        self.locks.retain(|_, lock| now < lock.expires);
        self.sessions.retain(|_, session| !session.is_gone(now));
        self.next_sweep = now + SWEEP_EVERY;
    }

    fn sweep_if_due(&mut self, now: Instant) {
        if now >= self.next_sweep {
            self.sweep(now);
        }
    }

    /// The user's lock, if it is still live (an expired one is removed on the way).
    fn live_lock(&mut self, user_id: &str, now: Instant) -> bool {
        match self.locks.get(user_id) {
            Some(lock) if now < lock.expires => true,
            Some(_) => {
                self.locks.remove(user_id);
                false
            }
            None => false,
        }
    }

    /// The user's session unless its stopping phase is over (then it is removed).
    fn session(&mut self, user_id: &str, now: Instant) -> Option<&Session> {
        if self.sessions.get(user_id).is_some_and(|s| s.is_gone(now)) {
            self.sessions.remove(user_id);
        }
        self.sessions.get(user_id)
    }

    fn used_concurrency(&self) -> usize {
        // A reconnecting user's lock reserves the concurrency its session already holds.
        let owns = |id: &String| self.sessions.get(id).is_some_and(|s| s.owns_concurrency);
        self.locks.keys().filter(|id| !owns(id)).count()
            + self
                .sessions
                .values()
                .filter(|s| s.owns_concurrency)
                .count()
    }

    /// `UnsupportedOperation.Stopping` while the user's session is being stopped.
    fn refuse_if_stopping(&mut self, user_id: &str, now: Instant) -> Result<(), ApiError> {
        if !self.checks.on(Check::Stopping) {
            return Ok(());
        }
        match self.session(user_id, now) {
            Some(session) if session.is_stopping(now) => {
                Err(ApiError::code("UnsupportedOperation.Stopping"))
            }
            _ => Ok(()),
        }
    }

    /// ApplyConcurrent: locks a concurrency for `user_id` for the lock lifetime. A user who
    /// already holds a lock gets it renewed; a user whose session already holds a concurrency
    /// (reconnecting) needs no new one. None free → `ResourceNotFound.NoIdle`.
    pub fn apply_concurrent(&mut self, user_id: &str, now: Instant) -> Result<(), ApiError> {
        self.sweep_if_due(now);
        self.refuse_if_stopping(user_id, now)?;
        let expires = now + self.limits.lock_lifetime;
        if self
            .session(user_id, now)
            .is_some_and(|s| s.owns_concurrency)
        {
            if self.lock_rules.reconnect {
                // "the last concurrency will be returned": reserved again, not counted twice.
                self.locks.insert(user_id.to_owned(), Lock { expires });
            }
            return Ok(());
        }
        if self.live_lock(user_id, now) {
            self.locks.insert(user_id.to_owned(), Lock { expires });
            return Ok(());
        }
        if self.checks.on(Check::Quota)
            && self.used_concurrency() >= self.limits.concurrency_quota as usize
        {
            self.sweep(now);
            if self.used_concurrency() >= self.limits.concurrency_quota as usize {
                return Err(ApiError::code("ResourceNotFound.NoIdle"));
            }
        }
        self.locks.insert(user_id.to_owned(), Lock { expires });
        Ok(())
    }

    /// CreateSession, in the order the rules apply: stopping, still processing, then single user / host (needs a live lock or a session to reconnect) or guest (needs the
    /// host's running room and a free place for its role).
    pub fn create_session(
        &mut self,
        request: &CreateRequest<'_>,
        now: Instant,
    ) -> Result<Created, ApiError> {
        self.sweep_if_due(now);
        let user_id = request.user_id;
        self.refuse_if_stopping(user_id, now)?;
        if self.checks.on(Check::SlowDown)
            && self.session(user_id, now).is_some_and(|s| now < s.ready_at)
        {
            return Err(ApiError::code("FailedOperation.SlowDown"));
        }
        let host = request.host_user_id;
        let is_guest = host.is_some_and(|h| h != user_id);
        if is_guest {
            self.check_room(request, now)?;
            if self.lock_rules.guest
                && !self.live_lock(user_id, now)
                && self.checks.on(Check::LockRequired)
            {
                return Err(ApiError::code("FailedOperation.LockTimeout"));
            }
        } else {
            if host.is_some() && request.role != Role::Player && self.checks.on(Check::HostIsPlayer)
            {
                // The host is counted as the room's first Player; a Viewer host has no
                // documented meaning, so the mock refuses it as a bad value.
                return Err(super::messages::invalid_parameter_value(
                    "Role",
                    "the host of a room is a Player",
                    "房主的角色必须是 Player",
                ));
            }
            let reconnect = !self.lock_rules.reconnect
                && self
                    .session(user_id, now)
                    .is_some_and(|s| s.owns_concurrency);
            if !reconnect && !self.live_lock(user_id, now) && self.checks.on(Check::LockRequired) {
                return Err(ApiError::code("FailedOperation.LockTimeout"));
            }
        }
        // A user who was host of a room and now joins elsewhere leaves their old room behind.
        let old_room_host = self
            .sessions
            .get(user_id)
            .is_some_and(|s| s.room.as_deref() == Some(user_id));
        if old_room_host && host != Some(user_id) {
            self.end_room(user_id, now);
        }
        let owns_concurrency = !is_guest || self.lock_rules.guest;
        if owns_concurrency {
            self.locks.remove(user_id);
        }
        let ready_at = now + self.limits.create_session;
        self.sessions.insert(
            user_id.to_owned(),
            Session {
                ready_at,
                stopping_until: None,
                room: host.map(str::to_owned),
                role: request.role,
                owns_concurrency,
            },
        );
        Ok(Created { ready_at })
    }

    /// When the user's CreateSession is done processing (`None`: no session).
    pub fn ready_at(&mut self, user_id: &str, now: Instant) -> Option<Instant> {
        self.session(user_id, now).map(|s| s.ready_at)
    }

    /// Ends the processing of the user's CreateSession now, if it is still running.
    pub fn finish_processing(&mut self, user_id: &str, now: Instant) {
        if let Some(session) = self.sessions.get_mut(user_id)
            && now < session.ready_at
        {
            session.ready_at = now;
        }
    }

    /// A guest may join only a running room whose host is `HostUserId`, while its role has room.
    fn check_room(&mut self, request: &CreateRequest<'_>, now: Instant) -> Result<(), ApiError> {
        let Some(host) = request.host_user_id else {
            return Ok(());
        };
        let host_running = self.session(host, now).is_some_and(|s| {
            s.room.as_deref() == Some(host) && !s.is_stopping(now) && now >= s.ready_at
        });
        if !host_running && self.checks.on(Check::RoomExists) {
            return Err(ApiError::code("ResourceNotFound.SessionNotFound"));
        }
        let limit = match request.role {
            Role::Player => self.limits.player_limit,
            Role::Viewer => self.limits.viewer_limit,
        };
        let taken = self
            .sessions
            .iter()
            .filter(|(id, s)| {
                id.as_str() != request.user_id
                    && s.room.as_deref() == Some(host)
                    && s.role == request.role
                    && !s.is_gone(now)
            })
            .count();
        if taken >= limit as usize && self.checks.on(Check::RoleLimit) {
            return Err(ApiError::code("LimitExceeded.Role"));
        }
        Ok(())
    }

    /// DestroySession: releases the user's lock and stops its session (and, for a host, every
    /// session of its room). Destroying nothing succeeds, so cleanup can always run.
    pub fn destroy_session(&mut self, user_id: &str, now: Instant) {
        self.sweep_if_due(now);
        self.locks.remove(user_id);
        let Some(session) = self.session(user_id, now) else {
            return;
        };
        if session.stopping_until.is_some() {
            return;
        }
        if session.room.as_deref() == Some(user_id) {
            self.end_room(user_id, now);
        } else {
            self.stop(user_id, now);
        }
    }

    fn end_room(&mut self, host: &str, now: Instant) {
        let members: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.room.as_deref() == Some(host))
            .map(|(id, _)| id.clone())
            .collect();
        for member in members {
            self.stop(&member, now);
        }
    }

    fn stop(&mut self, user_id: &str, now: Instant) {
        if self.limits.stopping.is_zero() {
            self.sessions.remove(user_id);
        } else if let Some(session) = self.sessions.get_mut(user_id)
            && session.stopping_until.is_none()
        {
            session.stopping_until = Some(now + self.limits.stopping);
        }
    }

    /// DescribeConcurrentCount: (Total, Running) — the quota and the concurrencies in use.
    pub fn concurrent_count(&mut self, now: Instant) -> (u64, u64) {
        self.sweep(now);
        let running = self
            .sessions
            .values()
            .filter(|s| s.owns_concurrency)
            .count();
        (u64::from(self.limits.concurrency_quota), running as u64)
    }

    /// Live locks and sessions (not those being stopped), sorted.
    pub fn live(&mut self, now: Instant) -> LiveState {
        self.sweep(now);
        let mut locks: Vec<String> = self.locks.keys().cloned().collect();
        let mut sessions: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.stopping_until.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        locks.sort();
        sessions.sort();
        LiveState { locks, sessions }
    }

    /// Entries held in memory, stopping sessions included (for the bounded-memory tests).
    pub fn held(&self) -> usize {
        self.locks.len() + self.sessions.len()
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
