//! send: time limits of a run, so a target that stops answering never hangs it — the per-request
//! timeout (a little over the action's documented budget, plus time to upload a large body), the per-case
//! and per-run limits, the run's stop signal (Ctrl-C or the run limit: no new case starts,
//! cases in flight stop and clean up), and a breaker that stops sending to a target whose last
//! requests all timed out instead of waiting out every remaining request.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::plan::duration::human;

/// The client's timeout when `--request-timeout` is not given, for requests of no documented
/// budget: the longest documented budget (ApplyConcurrent's 20 s) plus 1 s. A step's request
/// gets its own action's budget plus 1 s (CreateSession 6 s), so an answer within the
/// documented time is always received (and judged by the latency check).
pub const DEFAULT_REQUEST: Duration = Duration::from_secs(21);
/// Extra time per started MiB of request body (the 10 MB cases on a slow uplink).
pub const UPLOAD_ALLOWANCE_PER_MIB: Duration = Duration::from_secs(1);
/// Consecutive request timeouts after which the target counts as not answering.
pub const BREAKER_THRESHOLD: u32 = 3;

/// The timeout of one request: `base`, plus the upload allowance for a large body.
pub fn for_request(base: Duration, body_bytes: usize) -> Duration {
    let mib = body_bytes.div_ceil(1024 * 1024);
    if mib <= 1 {
        base
    } else {
        base + UPLOAD_ALLOWANCE_PER_MIB * u32::try_from(mib).unwrap_or(u32::MAX)
    }
}

/// Why a run stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C (SIGINT) or SIGTERM.
    Interrupted,
    /// `--run-timeout` elapsed.
    RunTimeout(Duration),
    /// [`UNREACHABLE_THRESHOLD`] requests in a row found no connection to the target.
    Unreachable,
    /// The run's output was closed (`| head`): nobody reads the results any more.
    OutputClosed,
}

/// Requests in a row that could not connect after which the target counts as unreachable.
pub const UNREACHABLE_THRESHOLD: u32 = 3;

impl Stop {
    /// Whether work in flight is cut short: a signal or the run's time limit, yes; an
    /// unreachable target or a closed output only stop new cases (what is in flight ends by
    /// itself, and a request cut mid-way would count as possibly having created a session).
    pub fn interrupts_work(self) -> bool {
        matches!(self, Stop::Interrupted | Stop::RunTimeout(_))
    }

    /// Why a case that had not started is not run.
    pub fn not_started(self) -> String {
        match self {
            Stop::Interrupted => "not run: the run was interrupted (Ctrl-C)".to_owned(),
            Stop::RunTimeout(limit) => {
                format!(
                    "not run: the run timed out after {} (--run-timeout)",
                    human(limit)
                )
            }
            Stop::Unreachable => "not run: the target could not be reached".to_owned(),
            Stop::OutputClosed => "not run: the output was closed (broken pipe)".to_owned(),
        }
    }
}

/// The run's stop signal, shared by every case.
#[derive(Debug)]
pub struct Cancel {
    sender: watch::Sender<Option<Stop>>,
}

impl Default for Cancel {
    fn default() -> Self {
        Self {
            sender: watch::Sender::new(None),
        }
    }
}

impl Cancel {
    /// Stops the run (the first reason wins).
    pub fn stop(&self, why: Stop) {
        self.sender.send_if_modified(|state| {
            if state.is_none() {
                *state = Some(why);
                true
            } else {
                false
            }
        });
    }

    /// Why the run stopped, if it did.
    pub fn stopped(&self) -> Option<Stop> {
        *self.sender.borrow()
    }

    /// Resolves when the run stops in a way that cuts work in flight short
    /// ([`Stop::interrupts_work`]).
    pub async fn wait(&self) -> Stop {
        let mut receiver = self.sender.subscribe();
        let stop = receiver
            .wait_for(|state| state.is_some_and(Stop::interrupts_work))
            .await
            .ok()
            .and_then(|state| *state);
        match stop {
            Some(stop) => stop,
            // The sender lives as long as `self`: no end without a reason while we are borrowed.
            None => std::future::pending().await,
        }
    }
}

/// How bounded work ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Finished,
    TimedOut(Duration),
    Stopped(Stop),
}

/// Runs `work` until it finishes, `limit` elapses, or the run stops — whichever comes first
/// (finishing wins a tie). The work is dropped when it did not finish.
pub async fn bounded(
    cancel: &Cancel,
    limit: Option<Duration>,
    work: impl Future<Output = ()>,
) -> Ended {
    let deadline = async {
        match limit {
            Some(limit) => tokio::time::sleep(limit).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        biased;
        () = work => Ended::Finished,
        stop = cancel.wait() => Ended::Stopped(stop),
        () = deadline => Ended::TimedOut(limit.unwrap_or_default()),
    }
}

/// A panic caught inside the work of a case: its message, scrubbed of secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Panicked {
    pub message: String,
}

/// Runs `work`, turning a panic inside it into [`Panicked`], so the caller can still clean up:
/// a bug in a check must not leave a session running.
pub async fn catch_panic<F: Future>(work: F) -> Result<F::Output, Panicked> {
    let mut work = std::pin::pin!(work);
    std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(output)) => std::task::Poll::Ready(Ok(output)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(payload) => std::task::Poll::Ready(Err(Panicked {
                message: crate::redact::panic_message(payload.as_ref())
                    .unwrap_or_else(|| "a panic without a message".to_owned()),
            })),
        }
    })
    .await
}

/// Why the breaker holds a request back: the target's last `timeouts` requests each timed out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the target stopped answering: its last {timeouts} requests timed out after {} each", human(*each))]
pub struct NotAnswering {
    pub timeouts: u32,
    pub each: Duration,
}

/// Stops sending to a target whose last [`BREAKER_THRESHOLD`] requests all timed out. While
/// open, one probe request goes through per probe interval; any answer closes it again.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    probe_every: Duration,
    state: Mutex<BreakerState>,
}

#[derive(Debug, Default)]
struct BreakerState {
    consecutive: u32,
    open: bool,
    last_probe: Option<Instant>,
    last_timeout: Duration,
    /// The breaker opened at least once in this run (the run's verdict says so).
    tripped: bool,
}

impl Breaker {
    pub fn new(threshold: u32, probe_every: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            probe_every,
            state: Mutex::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, BreakerState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An error when a request must not be sent because the target stopped answering.
    pub fn check(&self) -> Result<(), NotAnswering> {
        let mut state = self.state();
        if !state.open {
            return Ok(());
        }
        let now = Instant::now();
        if state
            .last_probe
            .is_none_or(|at| now.saturating_duration_since(at) >= self.probe_every)
        {
            state.last_probe = Some(now);
            return Ok(());
        }
        Err(NotAnswering {
            timeouts: state.consecutive.max(self.threshold),
            each: state.last_timeout,
        })
    }

    /// Counts a request's fate: `Some(limit)` when it timed out, `None` when anything came back.
    pub fn record(&self, timed_out: Option<Duration>) {
        let mut state = self.state();
        match timed_out {
            Some(limit) => {
                state.consecutive += 1;
                state.last_timeout = limit;
                if state.consecutive >= self.threshold && !state.open {
                    state.open = true;
                    state.tripped = true;
                    state.last_probe = Some(Instant::now());
                    tracing::warn!(
                        "the target stopped answering ({} requests in a row timed out); requests fail fast until it answers again",
                        state.consecutive
                    );
                }
            }
            None => {
                *state = BreakerState {
                    tripped: state.tripped,
                    ..BreakerState::default()
                };
            }
        }
    }

    /// Why the breaker opened, if it ever did in this run (it may have closed again since):
    /// requests were not sent, so the run did not test what it meant to.
    pub fn tripped(&self) -> Option<String> {
        let state = self.state();
        state.tripped.then(|| {
            format!(
                "the target stopped answering: {} requests in a row timed out, and requests were not sent while it did not answer",
                self.threshold
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_target_lets_work_in_flight_finish() {
        let cancel = Cancel::default();
        cancel.stop(Stop::Unreachable);
        let work = tokio::time::sleep(Duration::from_millis(50));
        assert_eq!(bounded(&cancel, None, work).await, Ended::Finished);
        assert_eq!(cancel.stopped(), Some(Stop::Unreachable));
    }

    #[test]
    fn the_client_default_covers_the_longest_documented_budget() {
        use crate::plan::budget;
        assert_eq!(DEFAULT_REQUEST, budget::longest() + budget::MARGIN);
    }

    #[test]
    fn large_bodies_get_time_to_upload() {
        let base = Duration::from_secs(6);
        assert_eq!(for_request(base, 1000), base);
        assert_eq!(for_request(base, 1024 * 1024), base);
        assert_eq!(
            for_request(base, 10 * 1024 * 1024 + 1),
            base + Duration::from_secs(11)
        );
    }

    #[tokio::test]
    async fn bounded_work_finishes_times_out_or_stops() {
        let cancel = Cancel::default();
        assert_eq!(bounded(&cancel, None, async {}).await, Ended::Finished);
        let slow = tokio::time::sleep(Duration::from_secs(5));
        let limit = Some(Duration::from_millis(20));
        assert_eq!(
            bounded(&cancel, limit, slow).await,
            Ended::TimedOut(Duration::from_millis(20))
        );
        cancel.stop(Stop::Interrupted);
        cancel.stop(Stop::RunTimeout(Duration::from_secs(1)));
        assert_eq!(cancel.stopped(), Some(Stop::Interrupted));
        let slow = tokio::time::sleep(Duration::from_secs(5));
        assert_eq!(
            bounded(&cancel, None, slow).await,
            Ended::Stopped(Stop::Interrupted)
        );
    }

    #[tokio::test]
    async fn a_panic_inside_work_becomes_an_error_with_its_message_scrubbed() {
        crate::redact::remember_secret("timeout-test-panic-secret");
        assert_eq!(catch_panic(async { 7 }).await, Ok(7));
        let panicked = catch_panic(async {
            tokio::task::yield_now().await;
            panic!("boom with timeout-test-panic-secret");
        })
        .await;
        assert_eq!(
            panicked,
            Err(Panicked {
                message: "boom with <redacted>".to_owned()
            })
        );
    }

    #[test]
    fn the_breaker_opens_after_consecutive_timeouts_and_closes_on_an_answer() {
        let breaker = Breaker::new(3, Duration::from_secs(3600));
        let limit = Some(Duration::from_secs(6));
        breaker.record(limit);
        breaker.record(limit);
        assert!(breaker.check().is_ok());
        breaker.record(None);
        breaker.record(limit);
        breaker.record(limit);
        assert!(breaker.check().is_ok(), "an answer resets the count");
        breaker.record(limit);
        let reason = breaker.check().unwrap_err().to_string();
        assert!(reason.contains("timed out after 6s"), "{reason}");
        assert!(breaker.tripped().is_some());
        breaker.record(None);
        assert!(breaker.check().is_ok());
        assert!(
            breaker.tripped().is_some(),
            "a run whose breaker opened stays marked"
        );
        assert!(Breaker::new(3, Duration::ZERO).tripped().is_none());
    }

    #[test]
    fn an_open_breaker_lets_one_probe_through_per_interval() {
        let breaker = Breaker::new(1, Duration::ZERO);
        breaker.record(Some(Duration::from_secs(1)));
        assert!(breaker.check().is_ok(), "a probe is due at once");
        let slow = Breaker::new(1, Duration::from_secs(3600));
        slow.record(Some(Duration::from_secs(1)));
        assert!(slow.check().is_err());
    }
}
