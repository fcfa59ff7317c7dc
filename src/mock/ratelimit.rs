//! mock: the gateway's request-rate limit — at most N requests per second per SecretId and
//! action (100 on the cloud), answered `RequestLimitExceeded` beyond it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::action::Action;

/// Fixed one-second windows per (SecretId, action). Only verified SecretIds reach it, so the map
/// is bounded by the configured keys times the actions.
#[derive(Debug, Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(String, Action), Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    count: u32,
}

const WINDOW: Duration = Duration::from_secs(1);

impl RateLimiter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one request; `false` when it is over `per_second` in the current window.
    pub fn admit(&self, secret_id: &str, action: Action, per_second: u32, now: Instant) -> bool {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let key = (secret_id.to_owned(), action);
        let window = windows.entry(key).or_insert(Window {
            started: now,
            count: 0,
        });
        if now.saturating_duration_since(window.started) >= WINDOW {
            *window = Window {
                started: now,
                count: 0,
            };
        }
        if window.count >= per_second {
            return false;
        }
        window.count += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_per_secret_id_and_action_and_resets_each_second() {
        let limiter = RateLimiter::new();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.admit("A", Action::CreateSession, 3, t0));
        }
        assert!(!limiter.admit("A", Action::CreateSession, 3, t0));
        assert!(limiter.admit("A", Action::DestroySession, 3, t0));
        assert!(limiter.admit("B", Action::CreateSession, 3, t0));
        let next = t0 + Duration::from_secs(1);
        assert!(limiter.admit("A", Action::CreateSession, 3, next));
    }

    #[test]
    fn a_zero_limit_refuses_everything() {
        let limiter = RateLimiter::new();
        assert!(!limiter.admit("A", Action::CreateSession, 0, Instant::now()));
    }
}
