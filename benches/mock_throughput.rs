//! Bench (mock): verified CreateSession requests per second through the reference mock, beside
//! the floor — the same HTTP stack (`mock::start_handler`) answering every request with a
//! constant body — measured in one run, runs interleaved floor / mock so drift hits both alike.
//!
//! Every mock request goes the whole way: hyper parsing, the gateway (headers, TC3 verify,
//! timestamp window, JSON body, parameter table), the business layer (CreateSession for a live
//! user: the documented reconnect), a fresh RequestId and JSON answer. Each connection has its
//! own UserId. Requests are signed before the timed loop and resent as they are: TC3 has no nonce
//! and the mock, like the cloud, does not refuse a replay inside the 5-minute window, so the
//! server's work per request is the same as for freshly signed ones while the client — which
//! shares the machine's two cores with the server — spends its time only on socket I/O. The
//! floor gets exactly the same bytes from the same client. The rate limit is off (it would cap
//! the mock at 100/s per SecretId and action); every answer is checked (HTTP 200 and a
//! ServerSession) and any other answer stops the bench.
//!
//! Besides requests per second (wall time), each window reports the process's CPU time per
//! request (servers and load generator together): when other jobs share the machine they cut
//! both throughputs, while CPU per request, and so the floor/mock CPU ratio, hardly moves.
//!
//! Run: `cargo bench --bench mock_throughput [-- --seconds 3 --runs 5 --connections 16]`

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use car_conformance::mock::{self, Constant, MockConfig, Timeouts};
use car_conformance::sign::{Credentials, SignRequest, sign};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The shared CreateSession request of the signing bench (its ClientSession is web-client sized).
const FIXTURE: &str = include_str!("signing-requests.json");

struct Options {
    seconds: f64,
    runs: usize,
    connections: usize,
}

impl Options {
    /// `--seconds S --runs N --connections C`; anything else (cargo passes `--bench`) is ignored.
    fn parse() -> Result<Self, String> {
        let mut options = Self {
            seconds: 3.0,
            runs: 5,
            connections: 16,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = |name: &str| {
                args.next()
                    .ok_or_else(|| format!("{name} needs a value"))
                    .and_then(|v| v.parse::<f64>().map_err(|e| format!("{name} {v}: {e}")))
            };
            match arg.as_str() {
                "--seconds" => options.seconds = value("--seconds")?,
                "--runs" => options.runs = value("--runs")? as usize,
                "--connections" => options.connections = value("--connections")? as usize,
                _ => {}
            }
        }
        if options.seconds <= 0.0 || options.runs == 0 || options.connections == 0 {
            return Err("--seconds, --runs and --connections must be positive".to_owned());
        }
        Ok(options)
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// One complete HTTP/1.1 request (keep-alive), signed now with the mock's test pair.
fn signed_request(addr: SocketAddr, action: &str, body: &serde_json::Value) -> Vec<u8> {
    let host = addr.to_string();
    let body = serde_json::to_vec(body).expect("JSON encodes");
    let credentials = Credentials::new(mock::TEST_SECRET_ID, mock::TEST_SECRET_KEY);
    let request = SignRequest::post_json(&host, action, &body, now(), &credentials);
    let signed = sign(&request).expect("the current time has a date");
    let mut raw = b"POST / HTTP/1.1\r\n".to_vec();
    for (name, value) in &signed.headers {
        raw.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    raw.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    raw.extend_from_slice(&body);
    raw
}

/// A keep-alive connection that sends one request and reads one whole answer at a time.
struct Connection {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends `request`; returns the status code and the body of the answer.
    async fn exchange(&mut self, request: &[u8]) -> Result<(u16, &[u8]), String> {
        self.stream
            .write_all(request)
            .await
            .map_err(|e| format!("write: {e}"))?;
        self.buffer.clear();
        let (head_end, body_len) = loop {
            if let Some(found) = parse_head(&self.buffer)? {
                break found;
            }
            self.read_more().await?;
        };
        while self.buffer.len() < head_end + body_len {
            self.read_more().await?;
        }
        let status = std::str::from_utf8(&self.buffer[9..12])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or("unreadable status line")?;
        Ok((status, &self.buffer[head_end..head_end + body_len]))
    }

    async fn read_more(&mut self) -> Result<(), String> {
        let mut chunk = [0u8; 4096];
        let read = self
            .stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("read: {e}"))?;
        if read == 0 {
            return Err("the server closed the connection".to_owned());
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(())
    }
}

/// (end of the head, Content-Length) once the head is complete.
fn parse_head(buffer: &[u8]) -> Result<Option<(usize, usize)>, String> {
    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buffer[..end]).map_err(|_| "non-UTF-8 head")?;
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .ok_or("answer without Content-Length")?;
    Ok(Some((end + 4, length)))
}

/// A CreateSession success: HTTP 200 and a ServerSession (the floor's constant body has one too).
fn check(status: u16, body: &[u8]) -> Result<(), String> {
    let ok = status == 200
        && body.windows(15).any(|w| w == b"\"ServerSession\"")
        && !body.windows(7).any(|w| w == b"\"Error\"");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "unexpected answer (HTTP {status}): {}",
            String::from_utf8_lossy(body)
        ))
    }
}

fn create_body(user_id: &str, client_session: &str) -> serde_json::Value {
    serde_json::json!({
        "UserId": user_id,
        "UserIp": "203.0.113.7",
        "ClientSession": client_session,
        "RunMode": "RunWithoutClient",
    })
}

/// CPU time used so far by this whole process: servers and load generator alike.
fn process_cpu() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

/// One timed window: requests per second of wall time, and CPU microseconds per request.
struct Rate {
    per_second: f64,
    cpu_micros: f64,
}

/// `connections` keep-alive clients for `seconds`, after each connection took its lock and made
/// one CreateSession (untimed).
async fn measure(
    addr: SocketAddr,
    connections: usize,
    seconds: f64,
    client_session: &str,
) -> Result<Rate, String> {
    let mut clients = Vec::with_capacity(connections);
    for index in 0..connections {
        let user = format!("bench-user-{index:04}");
        let apply =
            serde_json::json!({"UserId": user, "UserIp": "203.0.113.7", "ProjectId": "cap-bench"});
        let apply = signed_request(addr, "ApplyConcurrent", &apply);
        let create = signed_request(addr, "CreateSession", &create_body(&user, client_session));
        let mut connection = Connection::open(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let (status, _) = connection.exchange(&apply).await?;
        if status != 200 {
            return Err(format!("ApplyConcurrent answered HTTP {status}"));
        }
        let (status, body) = connection.exchange(&create).await?;
        check(status, body)?;
        clients.push((connection, create));
    }
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let cpu_started = process_cpu();
    let mut tasks = tokio::task::JoinSet::new();
    for (mut connection, request) in clients {
        tasks.spawn(async move {
            let mut done: u64 = 0;
            while Instant::now() < deadline {
                let (status, body) = connection.exchange(&request).await?;
                check(status, body)?;
                done += 1;
            }
            Ok::<u64, String>(done)
        });
    }
    let mut total = 0;
    while let Some(joined) = tasks.join_next().await {
        total += joined.map_err(|e| format!("client task: {e}"))??;
    }
    let cpu = process_cpu().saturating_sub(cpu_started);
    let total = total.max(1) as f64;
    Ok(Rate {
        per_second: total / started.elapsed().as_secs_f64(),
        cpu_micros: cpu.as_secs_f64() * 1e6 / total,
    })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

fn main() {
    let options = match Options::parse() {
        Ok(options) => options,
        Err(error) => {
            eprintln!("mock_throughput: {error}");
            std::process::exit(2);
        }
    };
    if let Err(error) = run(&options) {
        eprintln!("mock_throughput: {error}");
        std::process::exit(1);
    }
}

fn run(options: &Options) -> Result<(), String> {
    let fixture: serde_json::Value =
        serde_json::from_str(FIXTURE).map_err(|e| format!("signing-requests.json: {e}"))?;
    let client_session = fixture["requests"]["create_session"]["params"]["ClientSession"]
        .as_str()
        .ok_or("signing-requests.json: no create_session ClientSession")?
        .to_owned();
    // The servers get the machine's two cores as `car-conformance mock` would; the load
    // generator runs on one more thread, so all compete for the same two cores.
    let servers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("server runtime: {e}"))?;
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("client runtime: {e}"))?;
    let any: SocketAddr = "127.0.0.1:0".parse().expect("a socket address");

    let config = MockConfig {
        rate_limit_per_second: None,
        concurrency_quota: u32::try_from(options.connections * 2).unwrap_or(u32::MAX),
        ..MockConfig::default()
    };
    let mock = servers
        .block_on(mock::start(config, any))
        .map_err(|e| format!("mock: {e}"))?;
    // The floor answers with a real CreateSession answer of the mock, so both send the same size.
    let sample = client.block_on(async {
        let user = "bench-sample";
        let apply =
            serde_json::json!({"UserId": user, "UserIp": "203.0.113.7", "ProjectId": "cap-bench"});
        let mut connection = Connection::open(mock.addr())
            .await
            .map_err(|e| format!("connect: {e}"))?;
        connection
            .exchange(&signed_request(mock.addr(), "ApplyConcurrent", &apply))
            .await?;
        let create = signed_request(
            mock.addr(),
            "CreateSession",
            &create_body(user, &client_session),
        );
        let (status, body) = connection.exchange(&create).await?;
        check(status, body)?;
        Ok::<Vec<u8>, String>(body.to_vec())
    })?;
    let timeouts = Timeouts {
        header: Duration::from_secs(10),
        body: Duration::from_secs(10),
    };
    let floor = servers
        .block_on(mock::start_handler(Constant(sample.into()), any, timeouts))
        .map_err(|e| format!("floor: {e}"))?;

    // Other work on the machine moves both figures; the load average says how much there was.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    println!(
        "mock_throughput: {} cores, load average {}, {} keep-alive connections, {} runs of {} s each, interleaved",
        std::thread::available_parallelism().map_or(0, usize::from),
        load.join(" "),
        options.connections,
        options.runs,
        options.seconds
    );
    let mut floor_rates = Vec::new();
    let mut mock_rates = Vec::new();
    let mut ratios = Vec::new();
    let mut floor_cpu = Vec::new();
    let mut mock_cpu = Vec::new();
    let mut cpu_ratios = Vec::new();
    for run in 1..=options.runs {
        let f = client.block_on(measure(
            floor.addr(),
            options.connections,
            options.seconds,
            &client_session,
        ))?;
        let m = client.block_on(measure(
            mock.addr(),
            options.connections,
            options.seconds,
            &client_session,
        ))?;
        println!(
            "  run {run}: floor {:>7.0} req/s ({:>5.1} CPU µs/req)   mock {:>7.0} req/s ({:>5.1} CPU µs/req)   mock/floor {:.2}",
            f.per_second,
            f.cpu_micros,
            m.per_second,
            m.cpu_micros,
            m.per_second / f.per_second
        );
        floor_rates.push(f.per_second);
        mock_rates.push(m.per_second);
        ratios.push(m.per_second / f.per_second);
        floor_cpu.push(f.cpu_micros);
        mock_cpu.push(m.cpu_micros);
        cpu_ratios.push(f.cpu_micros / m.cpu_micros);
    }
    let (f, m, r) = (
        median(&mut floor_rates),
        median(&mut mock_rates),
        median(&mut ratios),
    );
    let (fc, mc, cr) = (
        median(&mut floor_cpu),
        median(&mut mock_cpu),
        median(&mut cpu_ratios),
    );
    println!(
        "median: floor (constant body, same HTTP stack) {f:.0} req/s; mock (verified CreateSession) {m:.0} req/s"
    );
    println!(
        "median of the per-run mock/floor throughput ratios {r:.2} (range {:.2} – {:.2})",
        ratios[0],
        ratios[ratios.len() - 1]
    );
    println!(
        "CPU per request (process: servers + load generator): floor {fc:.1} µs, mock {mc:.1} µs; median per-run floor/mock {cr:.2} (range {:.2} – {:.2})",
        cpu_ratios[0],
        cpu_ratios[cpu_ratios.len() - 1]
    );
    servers.block_on(async {
        mock.shutdown().await;
        floor.shutdown().await;
    });
    Ok(())
}
