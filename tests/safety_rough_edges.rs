//! Rough edges of the command line: `--test-threads 0` is refused instead of hanging; `--list`
//! and a run piped into `head` end quietly (no panic), the run stopping and cleaning up.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use car_conformance::mock::MockConfig;
use serde_json::json;

use common::cases::{apply, case, write_cases};
use common::mock::InProcess as Mock;
use common::{bin, shown, temp_dir, text};

/// Waits for `child` at most `limit`; kills it (and fails) when it does not end.
fn wait_at_most(mut child: Child, limit: Duration) -> std::process::Output {
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn zero_test_threads_are_refused_instead_of_hanging() {
    let child = bin()
        .args(["--test-threads", "0", "--dry-run"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = wait_at_most(child, Duration::from_secs(20));
    assert_eq!(output.status.code(), Some(2), "{}", shown(&output));
    assert!(
        text(&output.stderr).contains("--test-threads and --concurrency must be at least 1"),
        "{}",
        shown(&output)
    );
}

#[test]
fn a_list_piped_into_head_ends_quietly() {
    let mut child = bin()
        .args(["--list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The list is shorter than a pipe's buffer: a reader gone before it is written (like
    // `head` that has its line, or `head -0`) is what makes printing fail.
    drop(child.stdout.take());
    let output = wait_at_most(child, Duration::from_secs(20));
    assert!(
        !text(&output.stderr).contains("panicked"),
        "{}",
        shown(&output)
    );
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
}

#[test]
fn a_run_piped_into_head_stops_cleans_up_and_ends_quietly() {
    let mock = Mock::start(MockConfig::default());
    let cases = temp_dir("rough-head-cases");
    let many = (0..30)
        .map(|i| {
            case(
                &format!("case-{i:02}"),
                &["rule.lock.required"],
                vec![apply(json!({"success": true}))],
                vec![],
            )
        })
        .collect();
    write_cases(&cases, "many.json", many);
    let mut child = bin()
        .args([
            "--target",
            &mock.url(),
            "--rate",
            "5",
            "--concurrency",
            "2",
            "--cases",
        ])
        .arg(&cases)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Like `head -5`: the header, then the first results.
    for _ in 0..5 {
        lines.next().unwrap().unwrap();
    }
    drop(lines);
    let output = wait_at_most(child, Duration::from_secs(30));
    assert!(
        !text(&output.stderr).contains("panicked"),
        "{}",
        shown(&output)
    );
    assert_eq!(output.status.code(), Some(141), "{}", shown(&output));
    let live = mock.live();
    assert!(
        live.locks.is_empty() && live.sessions.is_empty(),
        "{live:?}"
    );
    let _ = std::fs::remove_dir_all(&cases);
}

#[test]
fn a_run_from_elsewhere_never_writes_snapshots_into_the_source_tree() {
    let elsewhere = temp_dir("rough-elsewhere");
    let cache = temp_dir("rough-elsewhere-cache");
    let suffix = format!("rough-edges-{}", std::process::id());
    let output = bin()
        .current_dir(&elsewhere)
        .env("XDG_CACHE_HOME", &cache)
        .env("INSTA_UPDATE", "always")
        .env_remove("CI")
        .args([
            "--target-name",
            &suffix,
            "flow/session/apply-create-destroy",
        ])
        .output()
        .unwrap();
    // Neither the source tree nor the built-in suite's copy in the cache gets a snapshot.
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
    let builtin = std::fs::read_dir(cache.join("car-conformance"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("snapshots"))
        .collect::<Vec<_>>();
    assert_eq!(builtin.len(), 1, "{builtin:?}\n{}", shown(&output));
    let mut written = Vec::new();
    for dir in builtin.iter().chain([&source]) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            if entry.file_name().to_string_lossy().contains(&suffix) {
                let _ = std::fs::remove_file(entry.path());
                written.push(entry.path());
            }
        }
    }
    assert!(written.is_empty(), "{written:?}\n{}", shown(&output));
    assert!(
        text(&output.stderr).contains("built-in snapshots, which are read-only"),
        "{}",
        shown(&output)
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    let _ = std::fs::remove_dir_all(&elsewhere);
    let _ = std::fs::remove_dir_all(&cache);
}
