//! Bench (whole run): one process from start to exit — the release `car-conformance` binary or
//! the Python script — timed by the wall clock around spawn and wait, and, on request, its peak
//! resident memory and CPU time (user + system, 10 ms resolution) as GNU time
//! (`/usr/bin/time -f "%M %U %S"`) reports them. Medians and ranges of such timings live here too.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one process run gave.
#[derive(Debug, Clone)]
pub struct Run {
    pub wall: Duration,
    /// Peak resident set size in KiB, when measured.
    pub max_rss_kib: Option<u64>,
    /// User plus system CPU time, when measured.
    pub cpu: Option<Duration>,
    pub stdout: String,
}

/// GNU time, which reports a child's peak RSS; `None` where it is not installed.
pub fn gnu_time() -> Option<PathBuf> {
    let path = PathBuf::from("/usr/bin/time");
    path.is_file().then_some(path)
}

/// Runs `program args` in `dir` with a clean credential environment, waits for it and checks
/// it exited 0. With `measure` (and GNU time present) the run goes through GNU time, whose own
/// start-up (about a millisecond) is then inside `wall`.
pub fn run(
    program: &Path,
    args: &[String],
    dir: &Path,
    env: &[(&str, String)],
    measure: bool,
) -> Result<Run, String> {
    let rss_file = std::env::temp_dir().join(format!("car-bench-rss-{}", std::process::id()));
    let time = if measure { gnu_time() } else { None };
    let mut command = match &time {
        Some(time) => {
            let mut command = Command::new(time);
            command
                .arg("-f")
                .arg("%M %U %S")
                .arg("-o")
                .arg(&rss_file)
                .arg(program)
                .args(args);
            command
        }
        None => {
            let mut command = Command::new(program);
            command.args(args);
            command
        }
    };
    command
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // The runs must not pick up a developer's real account or target.
    for name in [
        "TENCENTCLOUD_SECRET_ID",
        "TENCENTCLOUD_SECRET_KEY",
        "TENCENTCLOUD_SESSION_TOKEN",
        "TENCENTCLOUD_REGION",
        "CAR_TARGET",
        "CAR_CASES",
        "RUST_LOG",
    ] {
        command.env_remove(name);
    }
    command.env("INSTA_UPDATE", "no");
    for (name, value) in env {
        command.env(name, value);
    }
    let started = Instant::now();
    let output = command
        .output()
        .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail = |text: &str| {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(15)..].join("\n")
        };
        return Err(format!(
            "{} {} exited with {}:\n{}\n{}",
            program.display(),
            args.join(" "),
            output.status,
            tail(&stdout),
            tail(&stderr)
        ));
    }
    let (max_rss_kib, cpu) = match time {
        Some(_) => {
            let text = std::fs::read_to_string(&rss_file).map_err(|e| e.to_string())?;
            let _ = std::fs::remove_file(&rss_file);
            let (kib, cpu) = parse_gnu_time(&text)?;
            (Some(kib), Some(cpu))
        }
        None => (None, None),
    };
    Ok(Run {
        wall,
        max_rss_kib,
        cpu,
        stdout,
    })
}

/// GNU time's last line for `-f "%M %U %S"`: peak RSS in KiB, and user plus system time.
pub fn parse_gnu_time(text: &str) -> Result<(u64, Duration), String> {
    let last = text.lines().last().unwrap_or_default().trim();
    let fields: Vec<&str> = last.split_whitespace().collect();
    let bad = || format!("GNU time printed `{last}`, not `KIB USER SYS`");
    let [kib, user, system] = fields.as_slice() else {
        return Err(bad());
    };
    let kib = kib.parse().map_err(|_| bad())?;
    let seconds = |s: &str| s.parse::<f64>().ok().filter(|v| *v >= 0.0);
    let (Some(user), Some(system)) = (seconds(user), seconds(system)) else {
        return Err(bad());
    };
    Ok((kib, Duration::from_secs_f64(user + system)))
}

/// The median of `values` (the mean of the middle two for an even count); 0 when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The `q` quantile (0..=1) of `values`, nearest rank; 0 when empty.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank]
}

/// `min–max` of `values`, formatted with `digits` decimals.
pub fn range(values: &[f64], digits: usize) -> String {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.is_empty() {
        return "–".to_owned();
    }
    format!("{min:.digits$}–{max:.digits$}")
}

/// Milliseconds of `d`.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
