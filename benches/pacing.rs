//! Bench (send): how much of the allowed rate the pacer keeps, and that it never trips the
//! limit — against the reference mock with its rate limit on.
//!
//! 1. Saturating load: `--workers` tasks send signed CreateSession requests through one
//!    `Pacer` at the documented 100/s until `--requests` went out; the mock counts with its own
//!    fixed one-second windows. Reported: the share of the allowed rate (the shortest time the
//!    limit allows for that many requests over the time they took) and any RequestLimitExceeded.
//! 2. The suite: the `car-conformance` binary runs every case against a mock limited to
//!    `--suite-rate` per second (the documented 100 scaled down, so that the suite's ~220
//!    CreateSession need pacing) with `--rate` the same and 16 requests in flight; reported: its
//!    pacing lines (held back, share of the allowed rate), run time and exit code.
//!
//! Run: `cargo bench --bench pacing [-- --requests 1000 --workers 32 --suite-rate 40]`

use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use car_conformance::case::Step;
use car_conformance::case::template::{RenderError, Scope, Var};
use car_conformance::mock::{self, MockConfig};
use car_conformance::plan::safety::DOCUMENTED_RATE;
use car_conformance::send::pace::{Admission, Pacer};
use car_conformance::send::request::{self, Endpoint};
use car_conformance::send::{Client, ClientConfig};
use car_conformance::sign::Credentials;

struct Options {
    requests: u64,
    workers: usize,
    suite_rate: u32,
}

impl Options {
    /// `--requests N --workers W --suite-rate R`; anything else (cargo passes `--bench`) is ignored.
    fn parse() -> Result<Self, String> {
        let mut options = Self {
            requests: 1000,
            workers: 32,
            suite_rate: 40,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .ok_or_else(|| format!("{name} needs a value"))
                    .and_then(|v| v.parse::<u64>().map_err(|e| format!("{name} {v}: {e}")))
            };
            match arg.as_str() {
                "--requests" => options.requests = value("--requests")?,
                "--workers" => options.workers = value("--workers")? as usize,
                "--suite-rate" => options.suite_rate = value("--suite-rate")? as u32,
                _ => {}
            }
        }
        if options.requests == 0 || options.workers == 0 || options.suite_rate == 0 {
            return Err("--requests, --workers and --suite-rate must be positive".to_owned());
        }
        Ok(options)
    }
}

struct Fixed(u64);

impl Scope for Fixed {
    fn value(&self, var: &Var) -> Result<String, RenderError> {
        match var {
            Var::UserId(_) => Ok(format!("pacing-bench-{}", self.0)),
            Var::ClientIp => Ok("203.0.113.10".to_owned()),
            Var::ProjectId => Ok("cap-00000000".to_owned()),
            Var::ClientSession => Ok("eyJhYmMiOjEyM30=".to_owned()),
            Var::Copy => Ok("0".to_owned()),
            Var::Capture(name) => Err(RenderError::NoCapture { name: name.clone() }),
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

async fn saturating(options: &Options) -> Result<(), String> {
    let config = MockConfig {
        rate_limit_per_second: Some(DOCUMENTED_RATE),
        ..MockConfig::default()
    };
    let handle = mock::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| e.to_string())?;
    let endpoint = Endpoint {
        url: url::Url::parse(&handle.url()).map_err(|e| e.to_string())?,
        credentials: Credentials::new(mock::TEST_SECRET_ID, mock::TEST_SECRET_KEY),
        region: None,
    };
    let step: Step = serde_json::from_value(serde_json::json!({
        "action": "CreateSession",
        "params": {"UserId": "{{user_id}}", "UserIp": "{{client_ip}}", "ClientSession": "eyJhYmMiOjEyM30="}
    }))
    .map_err(|e| e.to_string())?;
    let client = Client::new(ClientConfig::default()).map_err(|e| e.to_string())?;
    let pacer = Arc::new(Pacer::per_second(DOCUMENTED_RATE));
    let issued = Arc::new(AtomicU64::new(0));
    let limited = Arc::new(AtomicU64::new(0));
    let other = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..options.workers {
        let (pacer, issued, limited, other) = (
            Arc::clone(&pacer),
            Arc::clone(&issued),
            Arc::clone(&limited),
            Arc::clone(&other),
        );
        let (client, endpoint, step, total) = (
            client.clone(),
            endpoint.clone(),
            step.clone(),
            options.requests,
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let n = issued.fetch_add(1, Ordering::SeqCst);
                if n >= total {
                    break;
                }
                let built = match request::build(&step, &Fixed(n), &endpoint, unix_now()) {
                    Ok(built) => built,
                    Err(_) => {
                        other.fetch_add(1, Ordering::SeqCst);
                        continue;
                    }
                };
                pacer.admit("CreateSession", 1, Admission::Paced).await;
                match client.send(&built.prepared).await {
                    Ok(received)
                        if String::from_utf8_lossy(&received.body)
                            .contains("RequestLimitExceeded") =>
                    {
                        limited.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(received) if received.status == 200 => {}
                    _ => {
                        other.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())?;
    }
    let elapsed = started.elapsed();
    handle.shutdown().await;
    let (action, stats) = pacer
        .stats()
        .into_iter()
        .next()
        .ok_or("the pacer counted nothing")?;
    let share = stats
        .share_of_rate(DOCUMENTED_RATE, Duration::from_secs(1))
        .ok_or("the load did not need pacing")?;
    let span = stats
        .last
        .saturating_duration_since(stats.first)
        .as_secs_f64();
    println!(
        "saturating: {} {action} from {} workers at {DOCUMENTED_RATE}/s: {} held back, first to last send {span:.2} s, {:.1}% of the allowed rate; RequestLimitExceeded: {}; other failures: {}; wall {:.2} s",
        stats.sent,
        options.workers,
        stats.waited,
        share * 100.0,
        limited.load(Ordering::SeqCst),
        other.load(Ordering::SeqCst),
        elapsed.as_secs_f64()
    );
    if limited.load(Ordering::SeqCst) > 0 {
        return Err("the pacer let the mock's limit be exceeded".to_owned());
    }
    if share < 0.9 {
        return Err(format!(
            "the pacer kept only {:.1}% of the allowed rate",
            share * 100.0
        ));
    }
    Ok(())
}

async fn suite(options: &Options) -> Result<(), String> {
    let config = MockConfig {
        rate_limit_per_second: Some(options.suite_rate),
        ..MockConfig::default()
    };
    let handle = mock::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| e.to_string())?;
    let url = handle.url();
    let rate = options.suite_rate.to_string();
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_car-conformance"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("INSTA_UPDATE", "no")
            .env_remove("TENCENTCLOUD_SECRET_ID")
            .env_remove("TENCENTCLOUD_SECRET_KEY")
            .env_remove("TENCENTCLOUD_SESSION_TOKEN")
            .args([
                "-q",
                "--target",
                &url,
                "--rate",
                &rate,
                "--concurrency",
                "16",
            ])
            .output()
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    let live = handle.live();
    handle.shutdown().await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!(
        "suite: every case against a mock limited to {}/s, --rate {} --concurrency 16: exit {:?} in {:.2} s",
        options.suite_rate,
        options.suite_rate,
        output.status.code(),
        elapsed.as_secs_f64()
    );
    for line in stdout
        .lines()
        .filter(|l| l.starts_with("pacing:") || l.starts_with("sessions:"))
    {
        println!("  {line}");
    }
    if !output.status.success() {
        return Err(format!("the suite failed:\n{stdout}"));
    }
    if !(live.locks.is_empty() && live.sessions.is_empty()) {
        return Err(format!("the suite left {live:?}"));
    }
    Ok(())
}

fn main() {
    let options = match Options::parse() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            std::process::exit(2);
        }
    };
    let result = runtime.block_on(async {
        saturating(&options).await?;
        suite(&options).await
    });
    if let Err(message) = result {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
