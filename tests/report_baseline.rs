//! Regression gates end to end against a mock with a defect: `--write-baseline` records the
//! failures, `--baseline` turns them into known failures (the run passes), a failure missing from
//! the baseline fails the run, known failures that pass against a sound mock are reported for
//! removal, and `--rerun-failed` runs only what failed before.

mod common;

use std::path::Path;

use common::mock::Process as Mock;
use common::report::schema_errors;
use common::{both, read_json, run, source_dir, temp_dir, text};
use serde_json::Value;

/// Cases the defect `missing-parameter-wrong-code` makes fail, and some it leaves alone.
const FILTER: &str = "params/user-";

fn run_against(mock: &Mock, extra: &[&str]) -> std::process::Output {
    let mut args = extra.to_vec();
    args.push(FILTER);
    mock.run(&args)
}

fn statuses(report: &Value) -> Vec<(String, String)> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn ids_with(report: &Value, status: &str) -> Vec<String> {
    statuses(report)
        .into_iter()
        .filter(|(_, s)| s == status)
        .map(|(id, _)| id)
        .collect()
}

fn baseline_ids(path: &Path) -> Vec<String> {
    read_json(path)["known_failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_baseline_flow_from_writing_to_removal() {
    let defective = Mock::start(&["--defect", "missing-parameter-wrong-code"]);
    let dir = temp_dir("baseline");
    let baseline = dir.join("gate/baseline.json");
    let first = dir.join("first");

    // 1. A run with failures fails, and writes the baseline of them.
    let output = run_against(
        &defective,
        &[
            "--report-dir",
            first.to_str().unwrap(),
            "--write-baseline",
            baseline.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let report = read_json(&first.join("report.json"));
    let failed = ids_with(&report, "failed");
    assert!(
        failed.contains(&"params/user-id/missing".to_owned()),
        "{failed:?}"
    );
    assert!(!ids_with(&report, "passed").is_empty());
    assert_eq!(baseline_ids(&baseline), failed);
    let written = read_json(&baseline);
    assert_eq!(written["target"], "mock");
    assert!(
        written["known_failures"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("expected MissingParameter"),
        "{written}"
    );
    let schema =
        jsonschema::validator_for(&read_json(&source_dir("schemas/baseline.schema.json"))).unwrap();
    assert!(
        schema.is_valid(&written),
        "the written baseline matches its schema"
    );
    assert!(text(&output.stdout).contains(&format!(
        "baseline: wrote {} known failure(s) to {}",
        failed.len(),
        baseline.display()
    )));

    // 2. With the baseline, the same failures are known: the run passes and says so.
    let known = dir.join("known");
    let output = run_against(
        &defective,
        &[
            "--baseline",
            baseline.to_str().unwrap(),
            "--report-dir",
            known.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", both(&output));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "{} known failure(s) seen of {} listed (they do not fail the run)",
            failed.len(),
            failed.len()
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "params/user-id/missing: known failure ({}): step",
            baseline.display()
        )),
        "the summary shows each with its reason: {stdout}"
    );
    let report = read_json(&known.join("report.json"));
    assert_eq!(schema_errors(&report), Vec::<String>::new());
    assert_eq!(ids_with(&report, "known-failure"), failed);
    assert_eq!(report["summary"]["known_failures"], failed.len());
    assert_eq!(report["summary"]["failed"], 0);
    assert_eq!(
        report["baseline"]["known_failures"]
            .as_array()
            .unwrap()
            .len(),
        failed.len()
    );
    let junit = std::fs::read_to_string(known.join("junit.xml")).unwrap();
    assert!(junit.contains("type=\"known-failure\""), "{junit}");
    let summary = std::fs::read_to_string(known.join("summary.md")).unwrap();
    assert!(summary.contains("### Known failures"), "{summary}");

    // 3. A failure the baseline does not list still fails the run.
    let mut partial = read_json(&baseline);
    partial["known_failures"].as_array_mut().unwrap().remove(0);
    let partial_path = dir.join("partial.json");
    std::fs::write(&partial_path, partial.to_string()).unwrap();
    let output = run_against(&defective, &["--baseline", partial_path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));

    // 4. Against a sound mock every known failure passes: reported for removal, run passes;
    // rewriting the baseline empties it.
    let sound = Mock::start(&[]);
    let fixed = dir.join("fixed");
    let output = run_against(
        &sound,
        &[
            "--baseline",
            baseline.to_str().unwrap(),
            "--report-dir",
            fixed.to_str().unwrap(),
            "--write-baseline",
            baseline.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", both(&output));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "baseline: {} known failure(s) now pass — remove them from {}",
            failed.len(),
            dir.join("gate/baseline.json").display()
        )),
        "{stdout}"
    );
    let report = read_json(&fixed.join("report.json"));
    let now_passing: Vec<&str> = report["baseline"]["now_passing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(now_passing, failed);
    let html = std::fs::read_to_string(fixed.join("report.html")).unwrap();
    assert!(html.contains("Now passing — remove from the baseline"));
    assert!(baseline_ids(&baseline).is_empty());

    // 5. --rerun-failed runs exactly the cases that failed in the first report.
    let rerun = dir.join("rerun");
    let output = defective.run(&[
        "--rerun-failed",
        first.to_str().unwrap(),
        "--report-dir",
        rerun.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(
        text(&output.stdout).contains(&format!(
            "rerunning {} case(s) that failed in",
            failed.len()
        )),
        "{}",
        both(&output)
    );
    let report = read_json(&rerun.join("report.json"));
    let ran: Vec<String> = statuses(&report).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ran, failed);
    // Nothing failed in the run against the sound mock: nothing to rerun, and that is no error.
    let output = run(&["run", "--rerun-failed", fixed.to_str().unwrap()]);
    assert!(output.status.success(), "{}", both(&output));
    assert!(
        text(&output.stdout).contains("nothing to rerun"),
        "{}",
        both(&output)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_broken_baseline_is_a_usage_error_and_nothing_is_sent() {
    let dir = temp_dir("baseline-broken");
    let path = dir.join("baseline.json");
    std::fs::write(
        &path,
        r#"{"known_failures": [{"id": "params/user-id/missing", "reason": ""}]}"#,
    )
    .unwrap();
    let output = run(&[
        "run",
        "--baseline",
        path.to_str().unwrap(),
        "params/user-id",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    assert!(
        text(&output.stderr).contains("has no reason"),
        "{}",
        both(&output)
    );
    assert!(
        !text(&output.stdout).contains("running"),
        "{}",
        both(&output)
    );

    // Entries naming no case are reported, not fatal.
    std::fs::write(
        &path,
        r#"{"known_failures": [{"id": "no/such/case", "reason": "renamed"}]}"#,
    )
    .unwrap();
    let output = run(&[
        "run",
        "--baseline",
        path.to_str().unwrap(),
        "-q",
        "params/user-id",
    ]);
    assert!(output.status.success(), "{}", both(&output));
    assert!(
        text(&output.stderr).contains("no/such/case"),
        "{}",
        both(&output)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
