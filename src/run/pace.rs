//! send: keeps a run under the API's documented rate — "A maximum of 100 requests can be
//! initiated per second for this API" — by pacing the requests sent to a URL target per action,
//! so parallel cases never meet `RequestLimitExceeded` by chance. Cases that bring their own mock
//! are not paced: their bursts are what they test.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Requests per second and action a run sends to a URL target: half the documented 100, so a
/// server's own window (fixed or sliding, counted on arrival) stays well under its limit.
pub const PER_SECOND: usize = 50;

/// A sliding-window pacer: at most `limit` sends per action in any `window`.
#[derive(Debug)]
pub struct Pacer {
    limit: usize,
    window: Duration,
    sent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Pacer {
    pub fn new(limit: usize, window: Duration) -> Self {
        Self {
            limit: limit.max(1),
            window,
            sent: Mutex::new(HashMap::new()),
        }
    }

    /// The pacer of a run against a URL target.
    pub fn per_second() -> Self {
        Self::new(PER_SECOND, Duration::from_secs(1))
    }

    /// Waits until `count` requests of `action` may be sent together, and counts them. A burst
    /// larger than the limit waits for an empty window and then goes out whole.
    pub async fn admit(&self, action: &str, count: usize) {
        loop {
            let wait = {
                let mut sent = self.sent.lock().await;
                let times = sent.entry(action.to_owned()).or_default();
                let now = Instant::now();
                while times
                    .front()
                    .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
                {
                    times.pop_front();
                }
                if times.is_empty() || times.len() + count <= self.limit {
                    times.extend(std::iter::repeat_n(now, count));
                    return;
                }
                // The oldest send leaves the window first; a burst may need several to leave.
                let needed = (times.len() + count).saturating_sub(self.limit).max(1);
                let until = times.get(needed - 1).copied().unwrap_or(now) + self.window;
                until.saturating_duration_since(now)
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sends_within_the_limit_go_at_once_and_the_next_waits_for_the_window() {
        let window = Duration::from_millis(300);
        let pacer = Pacer::new(3, window);
        let started = Instant::now();
        pacer.admit("CreateSession", 2).await;
        pacer.admit("CreateSession", 1).await;
        pacer.admit("ApplyConcurrent", 3).await;
        assert!(started.elapsed() < window / 2, "{:?}", started.elapsed());
        pacer.admit("CreateSession", 1).await;
        assert!(started.elapsed() >= window, "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_burst_over_the_limit_waits_for_an_empty_window_and_goes_whole() {
        let window = Duration::from_millis(200);
        let pacer = Pacer::new(2, window);
        let started = Instant::now();
        pacer.admit("CreateSession", 5).await;
        assert!(started.elapsed() < window / 2);
        pacer.admit("CreateSession", 1).await;
        assert!(started.elapsed() >= window, "{:?}", started.elapsed());
    }
}
