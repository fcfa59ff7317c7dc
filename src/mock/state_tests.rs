//! Tests of the business rules with an explicit clock.

use super::*;

fn limits() -> Limits {
    Limits {
        concurrency_quota: 2,
        lock_lifetime: Duration::from_secs(10),
        create_session: Duration::ZERO,
        stopping: Duration::ZERO,
        player_limit: 2,
        viewer_limit: 1,
    }
}

fn single(user_id: &str) -> CreateRequest<'_> {
    CreateRequest {
        user_id,
        host_user_id: None,
        role: Role::Player,
    }
}

fn in_room<'a>(user_id: &'a str, host: &'a str, role: Role) -> CreateRequest<'a> {
    CreateRequest {
        host_user_id: Some(host),
        role,
        ..single(user_id)
    }
}

fn code<T>(result: Result<T, ApiError>) -> String {
    result.err().map(|e| e.code).unwrap_or_default()
}

#[test]
fn apply_then_create_then_destroy() {
    let t0 = Instant::now();
    let mut state = State::new(limits(), Checks::all(), t0);
    state.apply_concurrent("a", t0).unwrap();
    assert_eq!(state.live(t0).locks, vec!["a"]);
    state.create_session(&single("a"), t0).unwrap();
    let live = state.live(t0);
    assert!(live.locks.is_empty());
    assert_eq!(live.sessions, vec!["a"]);
    state.destroy_session("a", t0);
    assert_eq!(state.live(t0), LiveState::default());
    assert_eq!(state.held(), 0);
}

#[test]
fn create_without_a_lock_or_after_it_expired_is_lock_timeout() {
    let t0 = Instant::now();
    let mut state = State::new(limits(), Checks::all(), t0);
    assert_eq!(
        code(state.create_session(&single("a"), t0)),
        "FailedOperation.LockTimeout"
    );
    state.apply_concurrent("a", t0).unwrap();
    let late = t0 + Duration::from_secs(10);
    assert_eq!(
        code(state.create_session(&single("a"), late)),
        "FailedOperation.LockTimeout"
    );
}

#[test]
fn the_quota_counts_locks_and_sessions_and_recovers_when_locks_expire() {
    let t0 = Instant::now();
    let mut state = State::new(limits(), Checks::all(), t0);
    state.apply_concurrent("a", t0).unwrap();
    state.create_session(&single("a"), t0).unwrap();
    state.apply_concurrent("b", t0).unwrap();
    assert_eq!(
        code(state.apply_concurrent("c", t0)),
        "ResourceNotFound.NoIdle"
    );
    // Renewing one's own lock and reconnecting need no new concurrency.
    state.apply_concurrent("b", t0).unwrap();
    state.apply_concurrent("a", t0).unwrap();
    let later = t0 + Duration::from_secs(11);
    state.apply_concurrent("c", later).unwrap();
    assert_eq!(state.live(later).locks, vec!["c"]);
}

#[test]
fn a_zero_quota_refuses_every_lock() {
    let t0 = Instant::now();
    let mut state = State::new(
        Limits {
            concurrency_quota: 0,
            ..limits()
        },
        Checks::all(),
        t0,
    );
    assert_eq!(
        code(state.apply_concurrent("a", t0)),
        "ResourceNotFound.NoIdle"
    );
}

#[test]
fn a_second_request_while_creating_is_slow_down() {
    let t0 = Instant::now();
    let mut state = State::new(
        Limits {
            create_session: Duration::from_millis(500),
            ..limits()
        },
        Checks::all(),
        t0,
    );
    state.apply_concurrent("a", t0).unwrap();
    let created = state.create_session(&single("a"), t0).unwrap();
    assert_eq!(created.ready_at, t0 + Duration::from_millis(500));
    let during = t0 + Duration::from_millis(100);
    assert_eq!(
        code(state.create_session(&single("a"), during)),
        "FailedOperation.SlowDown"
    );
    // Once created, the same UserId reconnects without a new lock.
    let after = t0 + Duration::from_millis(600);
    state.create_session(&single("a"), after).unwrap();
}

#[test]
fn the_stopping_phase_refuses_requests_for_that_user_until_it_ends() {
    let t0 = Instant::now();
    let mut state = State::new(
        Limits {
            stopping: Duration::from_millis(300),
            ..limits()
        },
        Checks::all(),
        t0,
    );
    state.apply_concurrent("a", t0).unwrap();
    state.create_session(&single("a"), t0).unwrap();
    state.destroy_session("a", t0);
    assert!(state.live(t0).sessions.is_empty());
    let during = t0 + Duration::from_millis(100);
    assert_eq!(
        code(state.apply_concurrent("a", during)),
        "UnsupportedOperation.Stopping"
    );
    assert_eq!(
        code(state.create_session(&single("a"), during)),
        "UnsupportedOperation.Stopping"
    );
    state.destroy_session("a", during);
    let after = t0 + Duration::from_millis(300);
    state.apply_concurrent("a", after).unwrap();
    state.create_session(&single("a"), after).unwrap();
}

#[test]
fn rooms_need_a_running_host_and_respect_role_limits() {
    let t0 = Instant::now();
    let mut state = State::new(limits(), Checks::all(), t0);
    assert_eq!(
        code(state.create_session(&in_room("g1", "h", Role::Player), t0)),
        "ResourceNotFound.SessionNotFound"
    );
    state.apply_concurrent("h", t0).unwrap();
    assert_eq!(
        code(state.create_session(&in_room("h", "h", Role::Viewer), t0)),
        "InvalidParameterValue"
    );
    state
        .create_session(&in_room("h", "h", Role::Player), t0)
        .unwrap();
    // Guests need no lock; the host is the first of two Players.
    state
        .create_session(&in_room("g1", "h", Role::Player), t0)
        .unwrap();
    assert_eq!(
        code(state.create_session(&in_room("g2", "h", Role::Player), t0)),
        "LimitExceeded.Role"
    );
    state
        .create_session(&in_room("g2", "h", Role::Viewer), t0)
        .unwrap();
    assert_eq!(
        code(state.create_session(&in_room("g3", "h", Role::Viewer), t0)),
        "LimitExceeded.Role"
    );
    // A guest reconnecting keeps its place.
    state
        .create_session(&in_room("g1", "h", Role::Player), t0)
        .unwrap();
    // Guests hold no concurrency: one is still free.
    assert_eq!(state.concurrent_count(t0), (2, 1));
    state.apply_concurrent("x", t0).unwrap();
    // Ending the host's session ends the room.
    state.destroy_session("h", t0);
    assert_eq!(state.live(t0).sessions, Vec::<String>::new());
    assert_eq!(
        code(state.create_session(&in_room("g1", "h", Role::Player), t0)),
        "ResourceNotFound.SessionNotFound"
    );
}

#[test]
fn a_guest_cannot_join_a_room_still_being_created() {
    let t0 = Instant::now();
    let mut state = State::new(
        Limits {
            create_session: Duration::from_millis(200),
            ..limits()
        },
        Checks::all(),
        t0,
    );
    state.apply_concurrent("h", t0).unwrap();
    state
        .create_session(&in_room("h", "h", Role::Player), t0)
        .unwrap();
    assert_eq!(
        code(state.create_session(&in_room("g", "h", Role::Viewer), t0)),
        "ResourceNotFound.SessionNotFound"
    );
    let later = t0 + Duration::from_millis(200);
    state
        .create_session(&in_room("g", "h", Role::Viewer), later)
        .unwrap();
}

#[test]
fn destroying_nothing_succeeds_and_releases_a_lock() {
    let t0 = Instant::now();
    let mut state = State::new(limits(), Checks::all(), t0);
    state.destroy_session("nobody", t0);
    state.apply_concurrent("a", t0).unwrap();
    state.destroy_session("a", t0);
    assert_eq!(state.live(t0), LiveState::default());
}

#[test]
fn memory_stays_bounded_under_churn() {
    let t0 = Instant::now();
    let mut state = State::new(
        Limits {
            concurrency_quota: 50,
            lock_lifetime: Duration::from_millis(10),
            stopping: Duration::from_millis(10),
            ..limits()
        },
        Checks::all(),
        t0,
    );
    for round in 0..200u64 {
        let now = t0 + Duration::from_millis(round * 20);
        for user in 0..50 {
            let id = format!("u{round}-{user}");
            let _ = state.apply_concurrent(&id, now);
            if user % 2 == 0 {
                let _ = state.create_session(&single(&id), now);
                state.destroy_session(&id, now);
            }
        }
        assert!(state.held() <= 150, "round {round}: {} held", state.held());
    }
}

#[test]
fn role_parameter_mapping() {
    assert_eq!(Role::from_param(None), Some(Role::Player));
    assert_eq!(Role::from_param(Some("")), Some(Role::Player));
    assert_eq!(Role::from_param(Some("Viewer")), Some(Role::Viewer));
    assert_eq!(Role::from_param(Some("viewer")), None);
}

#[test]
fn each_switched_off_business_check_lets_its_problem_through() {
    let t0 = Instant::now();
    let without = |check: Check| {
        State::new(
            Limits {
                concurrency_quota: 0,
                create_session: Duration::from_secs(1),
                stopping: Duration::from_secs(1),
                player_limit: 1,
                ..limits()
            },
            Checks::all().without(check),
            t0,
        )
    };
    // Quota 0: with the quota check on no lock is granted.
    assert_eq!(
        code(without(Check::LockRequired).apply_concurrent("a", t0)),
        "ResourceNotFound.NoIdle"
    );
    without(Check::Quota).apply_concurrent("a", t0).unwrap();
    // No lock at all.
    without(Check::LockRequired)
        .create_session(&single("a"), t0)
        .unwrap();
    // SlowDown and Stopping.
    let mut state = without(Check::SlowDown).without_lock_check();
    state.create_session(&single("a"), t0).unwrap();
    state.create_session(&single("a"), t0).unwrap();
    state.destroy_session("a", t0);
    assert_eq!(
        code(state.create_session(&single("a"), t0)),
        "UnsupportedOperation.Stopping"
    );
    let mut state = without(Check::Stopping).without_lock_check();
    state.create_session(&single("a"), t0).unwrap();
    state.destroy_session("a", t0 + Duration::from_secs(2));
    state
        .create_session(&single("a"), t0 + Duration::from_secs(2))
        .unwrap();
    // Rooms.
    let mut state = without(Check::RoomExists);
    state
        .create_session(&in_room("g", "nobody", Role::Viewer), t0)
        .unwrap();
    let mut state = without(Check::HostIsPlayer).without_lock_check();
    state
        .create_session(&in_room("h", "h", Role::Viewer), t0)
        .unwrap();
    let mut state = without(Check::RoleLimit).without_lock_check();
    state
        .create_session(&in_room("h", "h", Role::Player), t0)
        .unwrap();
    let ready = t0 + Duration::from_secs(1);
    state
        .create_session(&in_room("g", "h", Role::Player), ready)
        .unwrap();
    let mut strict = without(Check::LockRequired);
    strict
        .create_session(&in_room("h", "h", Role::Player), t0)
        .unwrap();
    assert_eq!(
        code(strict.create_session(&in_room("g", "h", Role::Player), ready)),
        "LimitExceeded.Role"
    );
}

impl State {
    /// The same state with the lock check off too, so a test can create sessions freely.
    fn without_lock_check(mut self) -> Self {
        self.checks = self.checks.without(Check::LockRequired);
        self
    }
}
