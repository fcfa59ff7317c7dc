//! send: keeps a run within the API's documented rate — "A maximum of 100 requests can be
//! initiated per second for this API" — and within a bounded number of requests in flight.
//!
//! * [`Pacer`]: one shared limiter per action (`--rate`, default the documented 100): at most
//!   `rate` sends in any window of 1 s plus [`MARGIN`], so a server counting arrivals in its own
//!   one-second windows (fixed or sliding) never sees more than `rate` even when network delays
//!   bunch requests up by up to the margin. Waiters are served in arrival order.
//! * [`Schedule`]: at most `--concurrency` requests in flight; a case that deliberately exceeds
//!   a limit ([`runs_alone`]: copies sent at once, or a rate-limit case) runs alone — no other
//!   case in flight — so its burst neither steals the others' budget nor is disturbed by them.
//!   Such a case starts each action from an empty window and is then not held back (exceeding
//!   the limit is what it tests, [`Admission`]); its sends are counted, so the cases after it
//!   wait until the window clears.
//!
//! Both apply to the shared target only: a case's own mock serves that case alone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use tokio::sync::{
    Mutex, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, Semaphore, SemaphorePermit,
};
use tokio::time::Instant;

use crate::case::Case;

/// Slack added to the one-second window: arrivals may bunch up by this much without a server
/// ever counting more than the rate in one of its seconds. Costs under 5% of the allowed rate.
pub const MARGIN: Duration = Duration::from_millis(50);

/// Catalogue items of rate-limit cases: such a case runs alone on the shared target.
const RATE_LIMIT_ITEMS: [&str; 2] = ["gateway.rate-limit", "RequestLimitExceeded"];

/// Whether `case` deliberately exceeds a limit of its target — a step sends copies at once, or
/// it covers the rate limit — and so must run alone there.
pub fn runs_alone(case: &Case) -> bool {
    let spec = &case.spec;
    spec.steps.iter().chain(&spec.cleanup).any(|s| s.copies > 1)
        || spec.covers.iter().any(|item| {
            RATE_LIMIT_ITEMS
                .iter()
                .any(|limit| item == limit || item.starts_with(&format!("{limit}.")))
        })
}

/// How a send is admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Within the limit, waiting as needed: every ordinary case.
    Paced,
    /// A run-alone case's first send of an action: waits for an empty window, so the target's
    /// count starts from zero and the case's verdict does not depend on what went before.
    Fresh,
    /// A run-alone case's later sends: not held back (exceeding the limit is what the case
    /// tests), but counted, so the cases after it wait for the window to clear.
    Unpaced,
}

/// What the pacer did for one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionStats {
    pub sent: u64,
    /// Sends that had to wait for the window.
    pub waited: u64,
    /// First and last send.
    pub first: Instant,
    pub last: Instant,
}

impl ActionStats {
    /// The share of the allowed rate the pacer kept while it held requests back: the shortest
    /// time `sent` requests can take at `limit` per `period` (whole periods after the first
    /// batch), over the time they took from the first send to the last. 1.0 is the limit itself;
    /// the [`MARGIN`] caps it near 0.95. `None` unless pacing held back at least a quarter of the sends
    /// over two periods or more — otherwise the run did not need pacing for this action, and
    /// the figure would measure the run's own pace rather than the pacer's.
    pub fn share_of_rate(&self, limit: u32, period: Duration) -> Option<f64> {
        let periods = self
            .sent
            .div_ceil(u64::from(limit.max(1)))
            .saturating_sub(1);
        let span = self
            .last
            .saturating_duration_since(self.first)
            .as_secs_f64();
        (self.waited * 4 >= self.sent && periods >= 2 && span > 0.0)
            .then(|| periods as f64 * period.as_secs_f64() / span)
    }
}

/// Recent sends of one action, oldest first.
type Window = std::collections::VecDeque<Instant>;

/// The run's per-action limiter.
#[derive(Debug)]
pub struct Pacer {
    limit: usize,
    /// The period the limit is stated for (1 s); the window enforced is a little longer.
    period: Duration,
    window: Duration,
    actions: StdMutex<HashMap<String, Arc<Mutex<Window>>>>,
    stats: StdMutex<HashMap<String, ActionStats>>,
    /// Every admission's instant, as the pacer decided it: what its tests judge, since a time
    /// taken by the caller after `admit` returns lags by however long the scheduler took.
    #[cfg(test)]
    admitted: StdMutex<Vec<Instant>>,
}

impl Pacer {
    /// At most `limit` sends per action in any `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self::with_period(limit, window, window)
    }

    fn with_period(limit: u32, period: Duration, window: Duration) -> Self {
        Self {
            limit: usize::try_from(limit.max(1)).unwrap_or(usize::MAX),
            period,
            window,
            actions: StdMutex::default(),
            stats: StdMutex::default(),
            #[cfg(test)]
            admitted: StdMutex::default(),
        }
    }

    /// At most `rate` sends per action and second (with the [`MARGIN`]).
    pub fn per_second(rate: u32) -> Self {
        Self::with_period(
            rate,
            Duration::from_secs(1),
            Duration::from_secs(1) + MARGIN,
        )
    }

    /// The configured sends per window.
    pub fn limit(&self) -> u32 {
        u32::try_from(self.limit).unwrap_or(u32::MAX)
    }

    fn window_of(&self, action: &str) -> Arc<Mutex<Window>> {
        let mut actions = self
            .actions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(actions.entry(action.to_owned()).or_default())
    }

    /// Waits until `count` requests of `action` may go together under `admission`, and counts
    /// them. A paced burst larger than the limit waits for an empty window and then goes whole.
    pub async fn admit(&self, action: &str, count: usize, admission: Admission) {
        let called = Instant::now();
        let window = self.window_of(action);
        // Held while waiting: later requests of this action queue behind this one.
        let mut window = window.lock().await;
        let empty_first =
            admission == Admission::Fresh || (admission == Admission::Paced && count > self.limit);
        loop {
            let now = Instant::now();
            while window
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
            {
                window.pop_front();
            }
            let fits = match admission {
                Admission::Unpaced => true,
                _ if empty_first => window.is_empty(),
                _ => window.len() + count <= self.limit,
            };
            if fits {
                window.extend(std::iter::repeat_n(now, count));
                #[cfg(test)]
                self.admitted
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend(std::iter::repeat_n(now, count));
                // Held back: waited for the window, or in the queue behind a request that did.
                let waited = now.saturating_duration_since(called) >= Duration::from_millis(2);
                self.count(action, count, waited, now);
                return;
            }
            // The oldest sends leave the window first; enough of them must leave.
            let needed = if empty_first {
                window.len()
            } else {
                window.len() + count - self.limit
            };
            let until = window.get(needed.max(1) - 1).copied().unwrap_or(now) + self.window;
            tracing::trace!(
                action,
                wait_ms = until.saturating_duration_since(now).as_millis() as u64,
                "pacing"
            );
            tokio::time::sleep_until(until.max(now + Duration::from_millis(1))).await;
        }
    }

    fn count(&self, action: &str, count: usize, waited: bool, now: Instant) {
        let mut all = self
            .stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let stats = all.entry(action.to_owned()).or_insert(ActionStats {
            sent: 0,
            waited: 0,
            first: now,
            last: now,
        });
        stats.sent += count as u64;
        stats.waited += if waited { count as u64 } else { 0 };
        stats.last = now;
    }

    /// What the pacer did, per action, sorted by action.
    pub fn stats(&self) -> Vec<(String, ActionStats)> {
        let mut out: Vec<(String, ActionStats)> = self
            .stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|(name, stats)| (name.clone(), *stats))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// One line per action for the summary: sends, how many were held back, and the share of
    /// the allowed rate kept while pacing.
    pub fn summary(&self) -> String {
        let limit = self.limit();
        let mut out = String::new();
        for (action, stats) in self.stats() {
            let share = match stats.share_of_rate(limit, self.period) {
                Some(share) => format!(
                    "; {:.1} s from first to last, {:.0}% of the allowed {limit}/s",
                    stats
                        .last
                        .saturating_duration_since(stats.first)
                        .as_secs_f64(),
                    share * 100.0
                ),
                None => String::new(),
            };
            let action = if action.is_empty() {
                "(no action)"
            } else {
                action.as_str()
            };
            out.push_str(&format!(
                "pacing: {action}: {} sent, {} held back{share}\n",
                stats.sent, stats.waited
            ));
        }
        out
    }
}

/// Which cases and requests may be in flight together on the shared target.
#[derive(Debug)]
pub struct Schedule {
    alone: Arc<RwLock<()>>,
    requests: Semaphore,
    limit: usize,
}

impl Default for Schedule {
    /// Unbounded: only run-alone cases are serialised.
    fn default() -> Self {
        Self::new(Semaphore::MAX_PERMITS)
    }
}

/// A case's turn: shared with other cases, or alone.
#[derive(Debug)]
pub enum Turn {
    Shared(OwnedRwLockReadGuard<()>),
    Alone(OwnedRwLockWriteGuard<()>),
}

impl Schedule {
    /// At most `limit` requests in flight.
    pub fn new(limit: usize) -> Self {
        let limit = limit.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            alone: Arc::new(RwLock::new(())),
            requests: Semaphore::new(limit),
            limit,
        }
    }

    /// Requests in flight at most.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Waits for a case's turn: alone (no other case in flight), or alongside the others. Cases
    /// are served in order: a waiting run-alone case holds back those that come after it.
    pub async fn turn(&self, alone: bool) -> Turn {
        if alone {
            Turn::Alone(Arc::clone(&self.alone).write_owned().await)
        } else {
            Turn::Shared(Arc::clone(&self.alone).read_owned().await)
        }
    }

    /// Waits until `count` requests may be in flight. A run-alone case takes every permit, and
    /// its burst then goes whole even when larger than the limit: that is what it tests.
    pub async fn permits(&self, count: usize, alone: bool) -> Option<SemaphorePermit<'_>> {
        let wanted = if alone {
            self.limit
        } else {
            count.clamp(1, self.limit)
        };
        let wanted = u32::try_from(wanted).unwrap_or(u32::MAX);
        self.requests.acquire_many(wanted).await.ok()
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
        pacer.admit("CreateSession", 2, Admission::Paced).await;
        pacer.admit("CreateSession", 1, Admission::Paced).await;
        pacer.admit("ApplyConcurrent", 3, Admission::Paced).await;
        assert!(started.elapsed() < window / 2, "{:?}", started.elapsed());
        pacer.admit("CreateSession", 1, Admission::Paced).await;
        assert!(started.elapsed() >= window, "{:?}", started.elapsed());
        let stats = pacer.stats();
        assert_eq!(stats[1].0, "CreateSession");
        assert_eq!((stats[1].1.sent, stats[1].1.waited), (4, 1));
    }

    #[tokio::test]
    async fn a_burst_over_the_limit_waits_for_an_empty_window_and_goes_whole() {
        let window = Duration::from_millis(200);
        let pacer = Pacer::new(2, window);
        let started = Instant::now();
        pacer.admit("CreateSession", 5, Admission::Paced).await;
        assert!(started.elapsed() < window / 2);
        pacer.admit("CreateSession", 1, Admission::Paced).await;
        assert!(started.elapsed() >= window, "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn a_run_alone_case_starts_from_an_empty_window_then_goes_unpaced_but_counted() {
        let window = Duration::from_millis(200);
        let pacer = Pacer::new(3, window);
        let started = Instant::now();
        pacer.admit("CreateSession", 1, Admission::Paced).await;
        pacer.admit("CreateSession", 2, Admission::Fresh).await;
        assert!(started.elapsed() >= window, "{:?}", started.elapsed());
        let fresh = Instant::now();
        for _ in 0..5 {
            pacer.admit("CreateSession", 1, Admission::Unpaced).await;
        }
        assert!(fresh.elapsed() < window / 2, "{:?}", fresh.elapsed());
        // The 7 sends of the window hold the next ordinary one back until it clears.
        pacer.admit("CreateSession", 1, Admission::Paced).await;
        assert!(fresh.elapsed() >= window, "{:?}", fresh.elapsed());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_senders_never_exceed_the_limit_in_any_window() {
        let window = Duration::from_millis(100);
        let pacer = Arc::new(Pacer::new(5, window));
        let times = Arc::new(StdMutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (pacer, times) = (Arc::clone(&pacer), Arc::clone(&times));
            tasks.push(tokio::spawn(async move {
                for _ in 0..4 {
                    pacer.admit("CreateSession", 1, Admission::Paced).await;
                    times.lock().unwrap().push(Instant::now());
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(times.lock().unwrap().len(), 32);
        // Judged on the admissions themselves: a caller's clock after `admit` returns lags by
        // the scheduler's delay, which on a loaded machine bunches unrelated sends together.
        let mut times = pacer.admitted.lock().unwrap().clone();
        times.sort();
        assert_eq!(times.len(), 32);
        for (i, start) in times.iter().enumerate() {
            let inside = times[i..]
                .iter()
                .take_while(|t| t.saturating_duration_since(*start) < window)
                .count();
            assert!(inside <= 5, "{inside} sends within one window");
        }
        let stats = pacer.stats()[0].1;
        let share = stats.share_of_rate(5, window).unwrap();
        // 32 sends at 5 per 100 ms need 600 ms at best; pacing keeps close to that.
        assert!((0.8..=1.0).contains(&share), "{share}");
    }

    #[tokio::test]
    async fn a_run_alone_case_waits_for_the_others_and_holds_back_later_ones() {
        let schedule = Arc::new(Schedule::new(4));
        let first = schedule.turn(false).await;
        let alone = {
            let schedule = Arc::clone(&schedule);
            tokio::spawn(async move { schedule.turn(true).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !alone.is_finished(),
            "alone must wait for the case in flight"
        );
        let later = {
            let schedule = Arc::clone(&schedule);
            tokio::spawn(async move { schedule.turn(false).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !later.is_finished(),
            "a later case waits behind the run-alone one"
        );
        drop(first);
        let alone_turn = alone.await.unwrap();
        assert!(matches!(alone_turn, Turn::Alone(_)));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!later.is_finished());
        drop(alone_turn);
        assert!(matches!(later.await.unwrap(), Turn::Shared(_)));
    }

    #[tokio::test]
    async fn requests_in_flight_are_bounded_and_alone_takes_them_all() {
        let schedule = Schedule::new(2);
        let _a = schedule.permits(1, false).await.unwrap();
        let _b = schedule.permits(1, false).await.unwrap();
        let third = tokio::time::timeout(Duration::from_millis(20), schedule.permits(1, false));
        assert!(third.await.is_err(), "a third request waits for a permit");
        drop((_a, _b));
        let all = schedule.permits(40, true).await.unwrap();
        assert_eq!(all.num_permits(), 2);
    }
}
