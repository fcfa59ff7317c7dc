//! Bench (whole run, issue 9): the suite from process start to exit and what it costs, measured
//! side by side in one run on this machine, with medians:
//!
//! - `overhead`: per case, the runner's time beyond its requests' own round trips (in-process,
//!   one case at a time; see `overhead.rs`);
//! - `process`: the release binary's whole run against the embedded mock, alternating round by
//!   round with `python`: the same requests made one after another with the official Python SDK
//!   (`benches/python/sdk_sequence.py`, needs `scripts/setup-python-sdk.sh`) against our mock;
//! - `memory`: the whole run's peak RSS (GNU time);
//! - `scaling`: whole runs over 1×, 10×, 100× the corpus, generated into a temporary directory;
//! - `pacing`: a run against the mock as a URL target with the documented rate limit on.
//!
//! Run: `cargo bench --bench suite [-- --rounds 5 --repeats 3 --scales 1,10,100 --scale-runs 3
//! --only overhead,process,python,memory,scaling,pacing]`. Prints the figures and writes them to
//! `target/bench-suite/summary.json`. `.ci/run` only compiles it (`cargo bench --no-run`).

mod corpus;
mod overhead;
mod pacing;
mod process;
mod python;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use car_conformance::mock;
use car_conformance::plan::suite::SuiteDirs;
use car_conformance::run::mutants;
use serde_json::{Value, json};

use process::{median, ms, range};

const SECTIONS: [&str; 6] = [
    "overhead", "process", "python", "memory", "scaling", "pacing",
];

struct Options {
    rounds: usize,
    repeats: usize,
    scales: Vec<usize>,
    scale_runs: usize,
    only: BTreeSet<String>,
}

impl Options {
    /// Flags as documented above; anything else (cargo passes `--bench`) is ignored.
    fn parse() -> Result<Self, String> {
        let mut options = Self {
            rounds: 5,
            repeats: 3,
            scales: vec![1, 10, 100],
            scale_runs: 3,
            only: SECTIONS.iter().map(|s| (*s).to_owned()).collect(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
            let number = |text: String| {
                text.parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("`{text}` is not a positive whole number"))
            };
            match arg.as_str() {
                "--rounds" => options.rounds = number(value()?)?,
                "--repeats" => options.repeats = number(value()?)?,
                "--scale-runs" => options.scale_runs = number(value()?)?,
                "--scales" => {
                    options.scales = value()?
                        .split(',')
                        .map(|s| number(s.trim().to_owned()))
                        .collect::<Result<_, _>>()?;
                }
                "--only" => {
                    options.only = value()?.split(',').map(|s| s.trim().to_owned()).collect();
                    if let Some(bad) = options
                        .only
                        .iter()
                        .find(|s| !SECTIONS.contains(&s.as_str()))
                    {
                        return Err(format!("--only: `{bad}` is not one of {SECTIONS:?}"));
                    }
                }
                _ => {}
            }
        }
        Ok(options)
    }

    fn wants(&self, section: &str) -> bool {
        self.only.contains(section)
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{cores} cores, {cpu}, {}-{:02}-{:02} {:02}:{:02} UTC, load average {load}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute()
    )
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|t| t.split_whitespace().next().unwrap_or("?").to_owned())
        .unwrap_or_default()
}

struct Bench {
    root: PathBuf,
    binary: PathBuf,
    out: PathBuf,
    options: Options,
    summary: serde_json::Map<String, Value>,
}

fn main() -> ExitCode {
    let options = match Options::parse() {
        Ok(options) => options,
        Err(error) => {
            eprintln!("suite bench: {error}");
            return ExitCode::from(2);
        }
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let mut bench = Bench {
        binary: PathBuf::from(env!("CARGO_BIN_EXE_car-conformance")),
        out: target.join("bench-suite"),
        root,
        options,
        summary: serde_json::Map::new(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("suite bench: no runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bench.all()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("suite bench: {error}");
            ExitCode::FAILURE
        }
    }
}

impl Bench {
    async fn all(&mut self) -> Result<(), String> {
        let machine = machine();
        println!("suite bench: {machine}");
        println!("binary: {}", self.binary.display());
        self.summary.insert("machine".into(), json!(machine));
        std::fs::create_dir_all(&self.out).map_err(|e| e.to_string())?;
        let settings = mutants::settings(SuiteDirs::under(&self.root));
        let (_, cases) = car_conformance::run::load(&settings)
            .map_err(|code| format!("the corpus does not load ({code:?})"))?;
        println!("corpus: {} cases", cases.len());
        self.summary.insert("cases".into(), json!(cases.len()));

        // In-process first: its run also gives the requests the Python side repeats.
        let measured = if self.options.wants("overhead") || self.options.wants("python") {
            Some(overhead::measure(&settings, &cases, self.options.repeats).await?)
        } else {
            None
        };
        if let Some(o) = measured.as_ref().filter(|_| self.options.wants("overhead")) {
            self.report_overhead(o);
        }
        if self.options.wants("process") || self.options.wants("python") {
            let calls = measured.as_ref().map(|o| python::calls(&o.outcomes));
            self.side_by_side(calls).await?;
        }
        if self.options.wants("memory") {
            self.memory()?;
        }
        if self.options.wants("scaling") {
            self.scaling(cases.len())?;
        }
        if self.options.wants("pacing") {
            self.pacing().await?;
        }
        let path = self.out.join("summary.json");
        let text = serde_json::to_string_pretty(&Value::Object(self.summary.clone()))
            .map_err(|e| e.to_string())?;
        std::fs::write(&path, text + "\n").map_err(|e| e.to_string())?;
        println!("\nfigures written to {}", path.display());
        Ok(())
    }

    fn report_overhead(&mut self, o: &overhead::Overhead) {
        println!(
            "\n== per-case overhead (in-process, one case at a time, {} repeats, {} cases)",
            o.repeats, o.cases
        );
        println!(
            "raw round trip, median of 2000: {:.3} ms served (ApplyConcurrent), {:.3} ms refused at the gateway",
            o.rtt_served_ms, o.rtt_refused_ms
        );
        println!(
            "case duration, median: {:.3} ms; beyond its round trips: median {:.3} ms, p90 {:.3} ms, max {:.1} ms ({})",
            o.duration_median_ms,
            o.overhead_median_ms,
            o.overhead_p90_ms,
            o.overhead_max_ms,
            o.overhead_max_case
        );
        println!(
            "cases with their own mock ({}): median {:.3} ms beyond their round trips",
            o.own_mock_cases, o.own_mock_median_ms
        );
        println!(
            "CPU: a raw served request costs {:.1} µs (client, mock, kernel); the whole corpus in-process, 2 at a time: {:.1} ms wall, {:.1} ms CPU for {} requests = {:.1} µs per request",
            o.raw_cpu_us,
            o.parallel_wall_ms,
            o.parallel_cpu_ms,
            o.requests,
            o.parallel_cpu_ms * 1000.0 / o.requests.max(1) as f64
        );
        self.summary.insert(
            "overhead".into(),
            json!({
                "repeats": o.repeats, "cases": o.cases,
                "rtt_served_ms": o.rtt_served_ms, "rtt_refused_ms": o.rtt_refused_ms,
                "duration_median_ms": o.duration_median_ms,
                "overhead_median_ms": o.overhead_median_ms,
                "overhead_p90_ms": o.overhead_p90_ms,
                "overhead_max_ms": o.overhead_max_ms, "overhead_max_case": o.overhead_max_case,
                "own_mock_cases": o.own_mock_cases, "own_mock_median_ms": o.own_mock_median_ms,
                "raw_cpu_us": o.raw_cpu_us, "parallel_wall_ms": o.parallel_wall_ms,
                "parallel_cpu_ms": o.parallel_cpu_ms, "requests": o.requests,
            }),
        );
    }

    fn rust_run(&self, args: &[&str], rss: bool) -> Result<process::Run, String> {
        let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        process::run(&self.binary, &args, &self.root, &[], rss)
    }

    /// Rounds of: the Rust whole run, then the Python SDK sequence (when available).
    async fn side_by_side(&mut self, calls: Option<Vec<Value>>) -> Result<(), String> {
        let python = if self.options.wants("python") {
            let found = python::venv_python(&self.root);
            if found.is_none() {
                println!(
                    "\npython: no .venv (run scripts/setup-python-sdk.sh); Python side skipped"
                );
            }
            found.zip(calls)
        } else {
            None
        };
        let mut python_setup = None;
        if let Some((interpreter, calls)) = python {
            let file = self.out.join("sdk-calls.json");
            let text = serde_json::to_string(&calls).map_err(|e| e.to_string())?;
            std::fs::write(&file, text).map_err(|e| e.to_string())?;
            let handle = python::start_mock().await?;
            python_setup = Some((interpreter, file, handle, calls.len()));
        }
        println!(
            "\n== whole run, process start to exit ({} rounds{})",
            self.options.rounds,
            if python_setup.is_some() {
                ", Rust and Python alternating"
            } else {
                ""
            }
        );
        let (mut rust, mut py, mut py_loop, mut ratios) = (vec![], vec![], vec![], vec![]);
        let (mut rust_cpu, mut py_cpu) = (vec![], vec![]);
        let cpu_ms = |run: &process::Run| run.cpu.map(ms);
        for round in 1..=self.options.rounds {
            // Through GNU time on both sides (when present): CPU time beside the wall clock.
            let run = self.rust_run(&["run", "-q"], true)?;
            rust.push(ms(run.wall));
            rust_cpu.extend(cpu_ms(&run));
            let mut line = format!(
                "round {round} (load {}): Rust {:.1} ms",
                load_average(),
                ms(run.wall)
            );
            if let Some((interpreter, file, handle, count)) = &python_setup {
                let args = vec![
                    self.root
                        .join("benches/python/sdk_sequence.py")
                        .display()
                        .to_string(),
                    "--calls".into(),
                    file.display().to_string(),
                    "--endpoint".into(),
                    handle.addr().to_string(),
                ];
                let env = [
                    ("CAR_BENCH_SECRET_ID", mock::TEST_SECRET_ID.to_owned()),
                    ("CAR_BENCH_SECRET_KEY", mock::TEST_SECRET_KEY.to_owned()),
                ];
                let interpreter = interpreter.clone();
                let root = self.root.clone();
                let run = tokio::task::spawn_blocking(move || {
                    process::run(&interpreter, &args, &root, &env, true)
                })
                .await
                .map_err(|e| e.to_string())??;
                let reported = python::parse_report(&run.stdout)?;
                if reported.calls != *count {
                    return Err(format!("Python made {} of {count} calls", reported.calls));
                }
                py.push(ms(run.wall));
                py_cpu.extend(cpu_ms(&run));
                py_loop.push(reported.seconds * 1000.0);
                ratios.push(ms(run.wall) / rust.last().copied().unwrap_or(f64::NAN));
                line.push_str(&format!(
                    ", Python {:.1} ms ({:.1} ms in its calls; {} calls)",
                    ms(run.wall),
                    reported.seconds * 1000.0,
                    reported.calls
                ));
                if round == 1 {
                    self.summary
                        .insert("python_codes".into(), Value::Object(reported.codes));
                }
            }
            println!("{line}");
        }
        println!(
            "Rust whole run: median {:.1} ms ({} ms); CPU (user + system) median {:.0} ms",
            median(&rust),
            range(&rust, 1),
            median(&rust_cpu)
        );
        let mut figures = json!({
            "rounds": self.options.rounds, "rust_ms": rust, "rust_cpu_ms": rust_cpu,
        });
        if let Some((_, _, handle, count)) = python_setup {
            handle.shutdown().await;
            println!(
                "Python SDK, {count} calls in sequence: median {:.1} ms ({} ms), of which its calls {:.1} ms",
                median(&py),
                range(&py, 1),
                median(&py_loop)
            );
            println!(
                "Python CPU (its process only, not the mock serving it) median {:.0} ms",
                median(&py_cpu)
            );
            println!(
                "Python / Rust: median of per-round ratios {:.1}× ({}×); calls alone / Rust whole run {:.1}×; CPU {:.1}×",
                median(&ratios),
                range(&ratios, 1),
                median(&py_loop) / median(&rust),
                median(&py_cpu) / median(&rust_cpu)
            );
            figures["python_cpu_ms"] = json!(py_cpu);
            figures["python_calls"] = json!(count);
            figures["python_ms"] = json!(py);
            figures["python_calls_ms"] = json!(py_loop);
            figures["ratio_median"] = json!(median(&ratios));
        }
        self.summary.insert("process".into(), figures);
        Ok(())
    }

    fn memory(&mut self) -> Result<(), String> {
        println!("\n== peak memory of a whole run (GNU time, maximum resident set size)");
        if process::gnu_time().is_none() {
            println!("no /usr/bin/time: skipped");
            return Ok(());
        }
        let mut kib = Vec::new();
        for _ in 0..self.options.rounds {
            let run = self.rust_run(&["run", "-q"], true)?;
            kib.push(run.max_rss_kib.unwrap_or(0) as f64);
        }
        let mib: Vec<f64> = kib.iter().map(|k| k / 1024.0).collect();
        println!(
            "max RSS: median {:.1} MiB ({} MiB) over {} runs",
            median(&mib),
            range(&mib, 1),
            mib.len()
        );
        self.summary
            .insert("memory".into(), json!({"max_rss_mib": mib}));
        Ok(())
    }

    fn scaling(&mut self, cases: usize) -> Result<(), String> {
        println!(
            "\n== run time against corpus size (copies of the corpus, {} runs each)",
            self.options.scale_runs
        );
        let parent = std::env::temp_dir();
        let mut rows = Vec::new();
        let mut base: Option<f64> = None;
        for &copies in &self.options.scales {
            let corpus = corpus::generate(
                &self.root.join("cases"),
                &self.root.join("snapshots"),
                &parent,
                copies,
            )?;
            let cases_dir = corpus.cases.display().to_string();
            let snapshots_dir = corpus.snapshots.display().to_string();
            let args = [
                "run",
                "-q",
                "--cases",
                &cases_dir,
                "--snapshots",
                &snapshots_dir,
            ];
            let mut walls = Vec::new();
            for _ in 0..self.options.scale_runs {
                walls.push(ms(self.rust_run(&args, false)?.wall));
            }
            let rss = self
                .rust_run(&args, true)?
                .max_rss_kib
                .map(|k| k as f64 / 1024.0);
            let wall = median(&walls);
            let n = cases * copies;
            let per_case = wall / n as f64;
            let base_per_case = *base.get_or_insert(per_case);
            println!(
                "{copies:>4}× ({n:>6} cases): median {wall:>9.1} ms ({} ms), {per_case:.3} ms per case ({:.2}× the 1× cost per case), max RSS {}",
                range(&walls, 1),
                per_case / base_per_case,
                rss.map_or("–".to_owned(), |m| format!("{m:.1} MiB"))
            );
            rows.push(json!({
                "copies": copies, "cases": n, "wall_ms": walls, "median_ms": wall,
                "per_case_ms": per_case, "max_rss_mib": rss,
            }));
        }
        self.summary.insert("scaling".into(), Value::Array(rows));
        Ok(())
    }

    async fn pacing(&mut self) -> Result<(), String> {
        println!(
            "\n== pacing against the mock as a URL target, its limit on ({} per second and action)",
            pacing::LIMIT
        );
        let measured = pacing::measure(&self.binary, &self.root, &self.root.join("cases")).await?;
        println!(
            "run: {:.1} s, {}; {}",
            measured.wall.as_secs_f64(),
            if measured.exit_ok { "exit 0" } else { "FAILED" },
            measured.summary_line
        );
        let mut rows = Vec::new();
        for a in &measured.actions {
            println!(
                "{:<24} {:>5} requests, busiest second {:>3} ({:.0}% of the limit), mean {:>6.1}/s, RequestLimitExceeded {}",
                a.action,
                a.requests,
                a.busiest_second,
                a.busiest_second as f64 * 100.0 / f64::from(pacing::LIMIT),
                a.mean_rate,
                a.limit_exceeded
            );
            rows.push(json!({
                "action": a.action, "requests": a.requests, "busiest_second": a.busiest_second,
                "mean_rate": a.mean_rate, "limit_exceeded": a.limit_exceeded,
            }));
        }
        self.summary.insert(
            "pacing".into(),
            json!({
                "limit": pacing::LIMIT, "wall_s": measured.wall.as_secs_f64(),
                "exit_ok": measured.exit_ok, "actions": rows,
            }),
        );
        Ok(())
    }
}
