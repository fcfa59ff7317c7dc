//! Bench (whole run): pacing accuracy against a rate-limited target. The reference mock, with the
//! documented limit on (100 requests per second per SecretId and action), is served behind a
//! recorder that notes each request's arrival time, action and answer code; the release binary
//! runs the suite against it as a URL target (`--target`, so the runner paces and mock-only cases
//! are skipped). From the arrivals: per action, the busiest one-second window (it must stay
//! under the limit), the mean rate while the action was being sent, and every
//! `RequestLimitExceeded` (none may come: no case run against a URL asks for one).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use car_conformance::mock::{self, App, Handler, MockConfig, RequestView, Timeouts};

/// The documented limit the mock enforces here.
pub const LIMIT: u32 = 100;

/// One request as the recorder saw it.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub at: Duration,
    pub action: String,
    pub code: String,
}

/// The mock's handler, recording every request it answers.
struct Recorder {
    app: App,
    started: Instant,
    /// Shared with the bench, which reads it once the run is over.
    log: Arc<Mutex<Vec<Arrival>>>,
}

impl Handler for Recorder {
    fn body_limit(&self, method: &http::Method) -> usize {
        self.app.body_limit(method)
    }

    async fn handle<'a>(&'a self, request: RequestView<'a>) -> http::Response<Bytes> {
        let at = self.started.elapsed();
        let action = request
            .headers
            .get("x-tc-action")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let response = self.app.handle(request).await;
        let code = serde_json::from_slice::<serde_json::Value>(response.body())
            .ok()
            .and_then(|v| v["Response"]["Error"]["Code"].as_str().map(str::to_owned))
            .unwrap_or_default();
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Arrival { at, action, code });
        response
    }
}

/// Pacing figures of one action.
#[derive(Debug, Clone)]
pub struct ActionPace {
    pub action: String,
    pub requests: usize,
    /// Most requests that arrived within any one second.
    pub busiest_second: usize,
    /// Requests per second from the first to the last arrival.
    pub mean_rate: f64,
    pub limit_exceeded: usize,
}

/// What the pacing section measured.
#[derive(Debug, Clone)]
pub struct Pacing {
    pub wall: Duration,
    pub exit_ok: bool,
    pub summary_line: String,
    pub actions: Vec<ActionPace>,
}

/// Most of the sorted `times` that fall within any window of `window`.
pub fn busiest(times: &[Duration], window: Duration) -> usize {
    let mut best = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

pub fn analyse(log: &[Arrival]) -> Vec<ActionPace> {
    let mut by_action: BTreeMap<&str, Vec<&Arrival>> = BTreeMap::new();
    for arrival in log {
        by_action.entry(&arrival.action).or_default().push(arrival);
    }
    by_action
        .into_iter()
        .map(|(action, arrivals)| {
            let mut times: Vec<Duration> = arrivals.iter().map(|a| a.at).collect();
            times.sort();
            let span = times.last().copied().unwrap_or_default()
                - times.first().copied().unwrap_or_default();
            ActionPace {
                action: if action.is_empty() { "(none)" } else { action }.to_owned(),
                requests: times.len(),
                busiest_second: busiest(&times, Duration::from_secs(1)),
                mean_rate: if span.is_zero() {
                    0.0
                } else {
                    (times.len() - 1) as f64 / span.as_secs_f64()
                },
                limit_exceeded: arrivals
                    .iter()
                    .filter(|a| a.code == "RequestLimitExceeded")
                    .count(),
            }
        })
        .collect()
}

/// Serves the recording mock and runs `binary run` against it with the cases in `cases`.
pub async fn measure(binary: &Path, root: &Path, cases: &Path) -> Result<Pacing, String> {
    let config = MockConfig {
        rate_limit_per_second: Some(LIMIT),
        ..MockConfig::default()
    };
    let log = Arc::new(Mutex::new(Vec::new()));
    let recorder = Recorder {
        app: App::new(&config),
        started: Instant::now(),
        log: Arc::clone(&log),
    };
    let timeouts = Timeouts {
        header: Duration::from_millis(config.header_timeout_ms),
        body: Duration::from_millis(config.body_timeout_ms),
    };
    let server = mock::start_handler(recorder, SocketAddr::from(([127, 0, 0, 1], 0)), timeouts)
        .await
        .map_err(|e| e.to_string())?;
    let target = format!("http://{}", server.addr());
    let binary = binary.to_path_buf();
    let root = root.to_path_buf();
    let cases = cases.to_path_buf();
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        let mut command = Command::new(&binary);
        command
            .args(["run", "-q", "--target", &target, "--cases"])
            .arg(&cases)
            .current_dir(&root)
            .env("INSTA_UPDATE", "no")
            .stdin(Stdio::null());
        for name in [
            "TENCENTCLOUD_SECRET_ID",
            "TENCENTCLOUD_SECRET_KEY",
            "TENCENTCLOUD_SESSION_TOKEN",
            "CAR_TARGET",
        ] {
            command.env_remove(name);
        }
        command.output()
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("cannot start the runner: {e}"))?;
    let wall = started.elapsed();
    server.shutdown().await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary_line = stdout
        .lines()
        .find(|l| l.contains(" cases, "))
        .unwrap_or_default()
        .to_owned();
    let log = log
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    Ok(Pacing {
        wall,
        exit_ok: output.status.success(),
        summary_line,
        actions: analyse(&log),
    })
}
