//! Bench (whole run): the runner's cost per case beyond the round trips of its own requests.
//!
//! The suite runs in-process (`run::embedded::run_embedded`, the same `execute` as
//! `car-conformance run`) one case at a time, so a case's duration is its own: template
//! rendering, signing, sending, checking (schemas, snapshots), records, its own mock when it
//! has one, and cleanup. Beside it, the raw round trip: a request signed once and resent with
//! the runner's own HTTP client (`send::Client`, keep-alive) to the same mock, sequentially, both
//! for a request the mock serves through every layer (ApplyConcurrent) and for one its gateway
//! refuses at once (no Authorization); the smaller median is the baseline. A case whose steps
//! make `r` rounds (a step's copies go out together, so one round each) costs
//! `duration - r * baseline` beyond its round trips: an upper bound on the runner's overhead,
//! since signing and the real requests' own (often larger) round trips are counted as overhead.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use car_conformance::case::Case;
use car_conformance::mock::{self, MockConfig};
use car_conformance::outcome::{Outcome, Status};
use car_conformance::plan::Settings;
use car_conformance::run::embedded::run_embedded;
use car_conformance::send::{Client, ClientConfig, Prepared};
use car_conformance::sign::{Credentials, SignRequest, sign};

use crate::process::{median, ms, quantile};

/// Requests per raw round-trip sample.
const RTT_SAMPLES: usize = 2000;

/// CPU time of this whole process so far (every thread: client, mock, runtime).
fn process_cpu() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// What the overhead section measured.
#[derive(Debug, Clone)]
pub struct Overhead {
    pub cases: usize,
    pub repeats: usize,
    /// Median round trip (ms): served through every layer, refused by the gateway.
    pub rtt_served_ms: f64,
    pub rtt_refused_ms: f64,
    /// Process CPU per raw served request (client, mock and kernel together), µs.
    pub raw_cpu_us: f64,
    /// The whole corpus in-process, two cases at a time: wall and process CPU (ms), requests.
    pub parallel_wall_ms: f64,
    pub parallel_cpu_ms: f64,
    pub requests: usize,
    /// Per case (median over the repeats), ms.
    pub duration_median_ms: f64,
    pub overhead_median_ms: f64,
    pub overhead_p90_ms: f64,
    pub overhead_max_ms: f64,
    pub overhead_max_case: String,
    /// Cases with their own mock: median overhead, ms (mock start and shutdown included).
    pub own_mock_median_ms: f64,
    pub own_mock_cases: usize,
    /// The outcomes of the first repeat (every case passed).
    pub outcomes: Vec<Outcome>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The median round trip of `prepared`, resent `RTT_SAMPLES` times, in ms.
async fn round_trip(client: &Client, prepared: &Prepared) -> Result<f64, String> {
    let mut samples = Vec::with_capacity(RTT_SAMPLES);
    for _ in 0..RTT_SAMPLES {
        let received = client.send(prepared).await.map_err(|e| e.to_string())?;
        if received.status != 200 {
            return Err(format!("raw request answered HTTP {}", received.status));
        }
        samples.push(ms(received.latency));
    }
    Ok(median(&samples))
}

/// Medians of the raw round trips (served, refused) against a mock like the run's shared one,
/// and the process CPU per served request (µs).
async fn baselines(settings: &Settings) -> Result<(f64, f64, f64), String> {
    let config = MockConfig {
        credentials: vec![mock::MockCredential::new(
            settings.credentials.secret_id.clone(),
            settings.credentials.secret_key.clone(),
        )],
        rate_limit_per_second: None,
        ..MockConfig::default()
    };
    let handle = mock::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| e.to_string())?;
    let client = Client::new(ClientConfig::default()).map_err(|e| e.to_string())?;
    let host = handle.addr().to_string();
    let body = br#"{"UserId":"bench-rtt","UserIp":"203.0.113.10","ProjectId":"cap-00000000"}"#;
    let credentials = Credentials::new(
        settings.credentials.secret_id.clone(),
        settings.credentials.secret_key.clone(),
    );
    let signed = sign(&SignRequest::post_json(
        &host,
        "ApplyConcurrent",
        body,
        now(),
        &credentials,
    ))
    .ok_or("the clock has no date")?;
    let served = Prepared {
        method: "POST".into(),
        url: format!("{}/", handle.url()),
        headers: signed.headers.clone(),
        body: Bytes::from_static(body),
    };
    let mut refused = served.clone();
    refused
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
    // Warm the connection and the mock before sampling.
    round_trip(&client, &served).await?;
    let cpu = process_cpu();
    let served_ms = round_trip(&client, &served).await?;
    let cpu_us = (process_cpu() - cpu).as_secs_f64() * 1e6 / RTT_SAMPLES as f64;
    let refused_ms = round_trip(&client, &refused).await?;
    handle.shutdown().await;
    Ok((served_ms, refused_ms, cpu_us))
}

/// Rounds of a case as run: one per step or cleanup step that sent anything.
fn rounds(outcome: &Outcome) -> usize {
    outcome
        .exchanges
        .iter()
        .map(|e| (e.step.phase, e.step.index))
        .collect::<BTreeSet<_>>()
        .len()
}

/// Runs the cases `repeats` times, one at a time, and compares each case with its round trips.
pub async fn measure(
    settings: &Settings,
    cases: &[Case],
    repeats: usize,
) -> Result<Overhead, String> {
    let (rtt_served_ms, rtt_refused_ms, raw_cpu_us) = baselines(settings).await?;
    let baseline = rtt_served_ms.min(rtt_refused_ms);
    let mut durations: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut first = None;
    for _ in 0..repeats.max(1) {
        let outcomes = run_embedded(settings, cases, &|_: &mut MockConfig| {}, 1)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(bad) = outcomes.iter().find(|o| o.status == Status::Failed) {
            return Err(format!("case {} failed in-process; fix that first", bad.id));
        }
        for outcome in outcomes.iter().filter(|o| o.status == Status::Passed) {
            durations
                .entry(outcome.id.clone())
                .or_default()
                .push(ms(outcome.duration));
        }
        first.get_or_insert(outcomes);
    }
    let outcomes = first.unwrap_or_default();
    // The whole corpus at once, two cases at a time like the console run's two test threads.
    let cpu = process_cpu();
    let started = std::time::Instant::now();
    run_embedded(settings, cases, &|_: &mut MockConfig| {}, 2)
        .await
        .map_err(|e| e.to_string())?;
    let parallel_wall_ms = ms(started.elapsed());
    let parallel_cpu_ms = ms(process_cpu() - cpu);
    let requests = outcomes.iter().map(|o| o.exchanges.len()).sum();
    let own_mock: BTreeSet<&str> = cases
        .iter()
        .filter(|c| c.mock_config().is_some())
        .map(|c| c.id.as_str())
        .collect();
    let mut all = Vec::new();
    let mut overheads = Vec::new();
    let mut own = Vec::new();
    let mut worst = (f64::NEG_INFINITY, String::new());
    for outcome in outcomes.iter().filter(|o| o.status == Status::Passed) {
        let duration = median(&durations[&outcome.id]);
        let overhead = duration - rounds(outcome) as f64 * baseline;
        all.push(duration);
        overheads.push(overhead);
        if own_mock.contains(outcome.id.as_str()) {
            own.push(overhead);
        }
        if overhead > worst.0 {
            worst = (overhead, outcome.id.clone());
        }
    }
    Ok(Overhead {
        cases: overheads.len(),
        repeats: repeats.max(1),
        rtt_served_ms,
        rtt_refused_ms,
        raw_cpu_us,
        parallel_wall_ms,
        parallel_cpu_ms,
        requests,
        duration_median_ms: median(&all),
        overhead_median_ms: median(&overheads),
        overhead_p90_ms: quantile(&overheads, 0.9),
        overhead_max_ms: worst.0,
        overhead_max_case: worst.1,
        own_mock_median_ms: median(&own),
        own_mock_cases: own.len(),
        outcomes,
    })
}
