//! mock: one request's way through the mock — gateway, injected faults, business layer — and its
//! answer. Independent of the HTTP server, so tests (and the property test) can drive it directly.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::access_log::{self, Seen};
use super::business;
use super::config::MockConfig;
use super::decisions::Checks;
use super::defects::{self, Active};
use super::faults::Faults;
use super::gateway::{Gateway, Incoming};
use super::messages::{ApiError, Lang};
use super::params::get_str;
use super::reply::{error_body, http_response, request_id, success_body};
pub use super::request_view::RequestView;
use super::state::{Limits, LiveState, State, StateView};
use super::variants::Variants;

/// The mock's request handler and all its state.
#[derive(Debug)]
pub struct App {
    gateway: Gateway,
    faults: Faults,
    /// Shared with the App that replaces this one when the control interface switches the
    /// configuration (see [`App::reconfigured`]), so no request's effect is lost.
    state: Arc<Mutex<State>>,
    max_get_bytes: usize,
    max_post_bytes: usize,
    /// The defect switched on by `config.defect`, if any.
    defect: Option<Active>,
    /// The allowed variants switched on by `config.variants`.
    variants: Variants,
    /// `config.create_session_ends_on_slow_down`.
    ends_on_slow_down: bool,
    /// Wakes slow CreateSessions when a SlowDown answer ended one's processing.
    slowed_down: tokio::sync::Notify,
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl App {
    pub fn new(config: &MockConfig) -> Self {
        Self::with_checks(config, Checks::all())
    }

    /// A mock that skips the checks switched off in `checks`, and those of `config.defect`.
    pub fn with_checks(config: &MockConfig, checks: Checks) -> Self {
        // An unknown name was refused by `MockConfig::validate`; here it switches nothing.
        let defect = config.defect.as_deref().and_then(defects::find);
        let checks = match defect {
            Some(defect) => defect.switch_off(checks),
            None => checks,
        };
        let variants = Variants::new(&config.variants, config.slow_apply_concurrent_ms, &checks);
        let checks = variants.switch_off(checks);
        let limits = Limits {
            concurrency_quota: config.concurrency_quota,
            lock_lifetime: Duration::from_millis(config.lock_lifetime_ms),
            create_session: Duration::from_millis(config.create_session_ms),
            stopping: Duration::from_millis(config.stopping_ms),
            player_limit: config.player_limit,
            viewer_limit: config.viewer_limit,
        };
        Self {
            gateway: Gateway::new(config, checks.clone()),
            faults: Faults::new(&config.faults),
            state: Arc::new(Mutex::new(
                State::new(limits, checks, Instant::now()).with_lock_rules(variants.lock_rules()),
            )),
            max_get_bytes: config.max_get_bytes,
            max_post_bytes: config.max_post_bytes,
            defect: defect.map(Active::new),
            variants,
            ends_on_slow_down: config.create_session_ends_on_slow_down,
            slowed_down: tokio::sync::Notify::new(),
        }
    }

    /// How many body bytes the server should keep for a request with `method`: one more than the
    /// limit, so an oversized body is recognised without holding all of it.
    pub fn body_limit(&self, method: &http::Method) -> usize {
        let limit = if method == http::Method::GET {
            self.max_get_bytes
        } else {
            self.max_post_bytes
        };
        limit.saturating_add(1)
    }

    /// What the server does with a request's body, from its head: TC3 requests the gateway
    /// refuses on their headers are answered unread; v1 form POSTs (credentials in the body) keep
    /// at most v1's 1 MB limit (and one byte), their first bytes, which carry the common
    /// parameters that decide even an oversized one's answer.
    pub fn before_body(&self, head: &http::request::Parts) -> super::server::BeforeBody {
        use super::gateway::Head;
        use super::server::BeforeBody;
        let incoming = Incoming {
            method: head.method.as_str(),
            path: head.uri.path(),
            query: head.uri.query().unwrap_or(""),
            headers: &head.headers,
            body: &[],
            body_len: super::server::announced_length(&head.headers).unwrap_or(0),
        };
        match self.gateway.head(&incoming, now_unix(), Instant::now()) {
            Head::Refused => BeforeBody::Refused,
            Head::V1 if head.method == http::Method::POST => BeforeBody::KeepPrefix(
                super::gateway::V1_MAX_POST_BYTES
                    .min(self.max_post_bytes)
                    .saturating_add(1),
            ),
            Head::V1 | Head::Read => BeforeBody::Keep(self.body_limit(&head.method)),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Answers one request: always HTTP 200 with a JSON envelope.
    pub async fn handle(&self, request: RequestView<'_>) -> http::Response<Bytes> {
        let lang = self.variants.language(Lang::from_header(
            request
                .headers
                .get("x-tc-language")
                .and_then(|v| v.to_str().ok()),
        ));
        let started = Instant::now();
        let mut seen = Seen::default();
        let result = self.answer(request, &mut seen).await;
        let code = result.as_ref().err().map(|error| error.code.as_str());
        access_log::request(&request, &seen, code, started.elapsed());
        let response = match &self.defect {
            Some(defect) => defect.reply(result, lang),
            None => {
                let id = request_id();
                let body = match result {
                    Ok(fields) => success_body(fields, &id),
                    Err(error) => {
                        tracing::debug!(code = %error.code, "mock answered an error");
                        error_body(&error, lang, &id)
                    }
                };
                http_response(body, false)
            }
        };
        if self.variants.is_empty() {
            response
        } else {
            self.variants.finish(response, lang)
        }
    }

    async fn answer(
        &self,
        request: RequestView<'_>,
        seen: &mut Seen,
    ) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
        let incoming = Incoming {
            method: request.method,
            path: request.uri.path(),
            query: request.uri.query().unwrap_or(""),
            headers: request.headers,
            body: request.body,
            body_len: request.body_len,
        };
        let mut checked = self.gateway.check(&incoming, now_unix(), Instant::now())?;
        seen.action = Some(checked.action);
        if access_log::enabled() {
            seen.user_id = get_str(&checked.params, "UserId").map(str::to_owned);
        }
        if let Some(defect) = &self.defect {
            defect.adjust_params(checked.action, &mut checked.params);
        }
        self.variants
            .adjust_params(checked.action, &mut checked.params)?;
        if let Some(error) = self.faults.pick(checked.action) {
            return Err(error);
        }
        if let Some(delay) = self.variants.delay_before(checked.action) {
            tokio::time::sleep(delay).await;
        }
        let user_id = get_str(&checked.params, "UserId").unwrap_or("");
        let outcome = {
            let mut state = self.state();
            let now = Instant::now();
            let result = business::run(checked.action, &checked.params, &mut state, now);
            if self.ends_on_slow_down
                && result
                    .as_ref()
                    .is_err_and(|e| e.code == "FailedOperation.SlowDown")
            {
                state.finish_processing(user_id, now);
                self.slowed_down.notify_waiters();
            }
            result?
        };
        // A slow CreateSession answers when it is done; a fast one must not touch the timer.
        if let Some(ready_at) = outcome.ready_at
            && ready_at > Instant::now()
        {
            if self.ends_on_slow_down {
                self.until_processed(user_id, ready_at).await;
            } else {
                tokio::time::sleep_until(tokio::time::Instant::from_std(ready_at)).await;
            }
        }
        let delay = self.defect.as_ref().and_then(|d| d.delay(checked.action));
        if let Some(delay) = delay.or_else(|| self.variants.delay_after(checked.action)) {
            tokio::time::sleep(delay).await;
        }
        Ok(outcome.fields)
    }

    /// Waits until the user's CreateSession is done: at `ready_at`, or earlier when a SlowDown
    /// answer ended its processing (or the session is gone).
    async fn until_processed(&self, user_id: &str, ready_at: Instant) {
        loop {
            // Registered before the state is read, so a SlowDown in between is not missed.
            let woken = self.slowed_down.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let now = Instant::now();
            let until = self
                .state()
                .ready_at(user_id, now)
                .map_or(now, |at| at.min(ready_at));
            if until <= now {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep_until(tokio::time::Instant::from_std(until)) => return,
                () = &mut woken => {}
            }
        }
    }

    /// Live locks and sessions, sorted by UserId.
    pub fn live(&self) -> LiveState {
        self.state().live(Instant::now())
    }

    /// Locks, sessions and rooms, with their timers (for the control interface).
    pub fn view(&self) -> StateView {
        self.state().view(Instant::now())
    }

    /// A mock answering as `config` says (faults re-armed, fresh rate windows) that keeps this
    /// one's locks, sessions and rooms.
    pub fn reconfigured(&self, config: &MockConfig) -> App {
        let mut next = App::new(config);
        self.state().adopt_settings(&next.state());
        next.state = self.state.clone();
        next
    }
}

/// The server reads every request for the app through this: the app decides from the head, then
/// answers the request as read.
impl super::server::Handler for App {
    fn body_limit(&self, method: &http::Method) -> usize {
        App::body_limit(self, method)
    }

    fn before_body(&self, head: &http::request::Parts) -> super::server::BeforeBody {
        App::before_body(self, head)
    }

    fn handle<'a>(
        &'a self,
        request: RequestView<'a>,
    ) -> impl std::future::Future<Output = http::Response<Bytes>> + Send + 'a {
        App::handle(self, request)
    }
}
