//! A target repeating a 1 MB Code over many copies and cases: each text is capped on its own,
//! and the run's records are capped as a whole (`--max-records-mib`), so report.html,
//! junit.xml, report.json and summary.md stay bounded, and so does the runner's memory; the
//! reports say that records were cut (issue 15).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use common::cases::{apply, case, destroy, write_cases};
use common::misbehaving::{Misbehaving, Misbehaviour, Script};
use common::{bin, read_json, temp_dir, text};

const CASES: usize = 6;
const COPIES: u32 = 40;
const FILES: [&str; 4] = ["report.json", "junit.xml", "summary.md", "report.html"];

/// Runs the cases against `target` with `extra` arguments, sampling the runner's peak resident
/// memory (Linux's VmHWM, 0 elsewhere) while it runs; the output and the peak.
fn run_sampled(command: &mut Command) -> (std::process::Output, u64) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let peak_of = |status: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
    };
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let mut peak = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Some(now) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|s| peak_of(&s))
        {
            peak = peak.max(now);
        }
        assert!(std::time::Instant::now() < deadline, "the run did not end");
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = std::process::Output {
        status,
        stdout: out.join().unwrap().into_bytes(),
        stderr: err.join().unwrap().into_bytes(),
    };
    (output, peak)
}

fn file_size(dir: &Path, file: &str) -> u64 {
    std::fs::metadata(dir.join(file)).unwrap().len()
}

#[test]
fn a_repeated_megabyte_code_makes_bounded_reports_that_say_they_were_cut() {
    let script = Arc::new(Script {
        apply_error: Some(format!("Huge{}", "A".repeat(1_000_000))),
        ..Script::default()
    });
    let target = Misbehaving::start(Misbehaviour::Scripted(Arc::clone(&script)));
    let cases = temp_dir("report-size-cases");
    let mut step = apply(json!({"success": true}));
    step["copies"] = json!(COPIES);
    let all = (0..CASES)
        .map(|i| {
            case(
                &format!("many{i}"),
                &["rule.lock.required"],
                vec![step.clone()],
                vec![destroy()],
            )
        })
        .collect();
    write_cases(&cases, "many.json", all);

    // Capped at 1 MiB (the records of these cases, each text capped on its own, add up to about
    // 2 MB; a report.html of half a gigabyte before texts were capped): the reports stay near
    // the cap, say so, and the verdict stands.
    let capped = temp_dir("report-size-capped");
    let (output, peak) = run_sampled(
        bin()
            .args([
                "--target",
                &target.url,
                "--rate",
                "1000",
                "--max-records-mib",
                "1",
                "--cases",
            ])
            .arg(&cases)
            .arg("--report-dir")
            .arg(&capped),
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("records cut: the run reached its cap"),
        "{stdout}"
    );
    assert!(stdout.contains("verdict: FAIL"), "{stdout}");
    for file in FILES {
        let bytes = file_size(&capped, file);
        println!("{file}: {bytes} bytes");
        assert!(bytes < 1_600_000, "{file}: {bytes} bytes under a 1 MiB cap");
    }
    let report = read_json(&capped.join("report.json"));
    let cut = report["records_cut"].as_u64().unwrap_or(0);
    assert!(cut >= 1, "{}", report["records_cut"]);
    assert_eq!(report["verdict"]["result"], "FAIL");
    assert_eq!(report["summary"]["failed"], CASES);
    let summary = std::fs::read_to_string(capped.join("summary.md")).unwrap();
    assert!(summary.contains("**Records cut**"), "{summary}");
    let html = std::fs::read_to_string(capped.join("report.html")).unwrap();
    assert!(html.contains("records cut: the run reached its cap"));
    // The runner reads each 1 MB answer whole (at most 8 at a time), so its memory is that
    // plus a small margin, not what the copies add up to.
    if peak > 0 {
        assert!(
            peak < 400 * 1024 * 1024,
            "peak resident memory {} MiB",
            peak >> 20
        );
    }
    println!("peak {} MiB", peak >> 20);
    for dir in [&cases, &capped] {
        let _ = std::fs::remove_dir_all(dir);
    }
}
