//! Certification end to end: `run --certify` refuses partial runs and modified case files, records
//! the fingerprint and RequestIds, and exits on the must cases; `verify DIR` accepts the report in
//! an unchanged checkout and rejects it once a case or schema file, or the report's verdicts, are
//! edited.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::mock::Process as Mock;
use common::report::{assert_bundle, schema_errors};
use common::{both, copy_tree, read_json, run, source_dir, temp_dir, text, write_json};
use serde_json::Value;

/// A copy of the suite's cases and schemas outside any git checkout.
fn suite_copy(dir: &Path) {
    copy_tree(&source_dir("cases"), &dir.join("cases"));
    copy_tree(&source_dir("schemas"), &dir.join("schemas"));
}

fn suite_args(dir: &Path) -> Vec<String> {
    vec![
        "--cases".into(),
        dir.join("cases").display().to_string(),
        "--schemas".into(),
        dir.join("schemas").display().to_string(),
    ]
}

fn certify(dir: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<String> = vec!["run".into(), "--certify".into()];
    args.extend(suite_args(dir));
    args.extend([
        "--snapshots".into(),
        source_dir("snapshots").display().to_string(),
        "--report-dir".into(),
        dir.join("report").display().to_string(),
        "-q".into(),
    ]);
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args)
}

fn verify(report: &Path, suite: Option<&Path>) -> Output {
    let mut args: Vec<String> = vec!["verify".into(), report.display().to_string()];
    if let Some(dir) = suite {
        args.extend(suite_args(dir));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args)
}

#[test]
fn a_certification_verifies_until_a_case_file_or_the_report_is_edited() {
    let dir = temp_dir("certify");
    suite_copy(&dir);
    let output = certify(&dir, &[]);
    assert!(output.status.success(), "{}", both(&output));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("certification: PASSED"), "{stdout}");
    assert!(stdout.contains("(no git: fingerprint only)"), "{stdout}");
    let report_dir = dir.join("report");
    assert_bundle(&report_dir);
    let report = read_json(&report_dir.join("report.json"));
    assert_eq!(schema_errors(&report), Vec::<String>::new());
    let record = &report["certification"];
    assert_eq!(record["passed"], true);
    assert_eq!(record["source"]["checked_by"], "fingerprint");
    assert_eq!(record["must"]["failed"], 0);
    assert_eq!(record["request_ids"].as_array().unwrap().len(), 12);
    assert!(
        report["fingerprint"]["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "schemas/catalogue.json")
    );

    // Accepted against the copy it was made with, and in this checkout (same files).
    let output = verify(&report_dir, Some(&dir));
    assert!(output.status.success(), "{}", both(&output));
    assert!(
        text(&output.stdout).ends_with("verdict: ACCEPTED\n"),
        "{}",
        both(&output)
    );
    let output = verify(&report_dir, None);
    assert!(output.status.success(), "{}", both(&output));

    // A verdict edited together with its summary: the cases no longer back it.
    let forged_dir = dir.join("forged");
    std::fs::create_dir_all(&forged_dir).unwrap();
    let mut forged = report.clone();
    let case = forged["cases"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["level"] == "must")
        .unwrap();
    case["status"] = Value::from("failed");
    forged["summary"]["passed"] = Value::from(forged["summary"]["passed"].as_u64().unwrap() - 1);
    forged["summary"]["failed"] = Value::from(1);
    forged["summary"]["failed_must"] = Value::from(1);
    write_json(&forged_dir.join("report.json"), &forged);
    let output = verify(&forged_dir, Some(&dir));
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("FAIL  the cases are not this suite's full run"),
        "{stdout}"
    );
    assert!(stdout.contains("failed without a failure"), "{stdout}");
    assert!(stdout.contains("FAIL  the coverage disagrees"), "{stdout}");
    assert!(
        stdout.contains("FAIL  the certification record disagrees"),
        "{stdout}"
    );
    assert!(stdout.ends_with("verdict: REJECTED\n"), "{stdout}");

    // A summary that does not add up.
    let mut forged = report.clone();
    forged["summary"]["passed"] = Value::from(1);
    write_json(&forged_dir.join("report.json"), &forged);
    let output = verify(&forged_dir, Some(&dir));
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(text(&output.stdout).contains("FAIL  the summary disagrees with the cases"));

    // Edit one case file of the copy: the same report is rejected, naming the file.
    let file = dir.join("cases/params/user-id.json");
    let edited = std::fs::read_to_string(&file).unwrap().replacen(
        "\"title\": \"",
        "\"title\": \"(edited) ",
        1,
    );
    std::fs::write(&file, edited).unwrap();
    let output = verify(&report_dir, Some(&dir));
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("changed: cases/params/user-id.json"),
        "{stdout}"
    );
    assert!(stdout.ends_with("verdict: REJECTED\n"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn certification_refuses_partial_runs_before_sending_anything() {
    let dir = temp_dir("refuse");
    suite_copy(&dir);
    for extra in [
        &["params/user-id"][..],
        &["--skip", "params"],
        &["--ignored"],
        &["--baseline", "base.json"],
        &["--rerun-failed", "earlier"],
    ] {
        let output = certify(&dir, extra);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{extra:?}: {}",
            both(&output)
        );
        assert!(
            text(&output.stderr).contains("--certify runs the whole suite; it refuses"),
            "{extra:?}: {}",
            both(&output)
        );
        assert!(!dir.join("report").exists(), "nothing is run or written");
    }
    let output = run(&["run", "--certify"]);
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    assert!(
        text(&output.stderr).contains("--report-dir"),
        "{}",
        both(&output)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn certification_refuses_modified_case_files_in_a_git_checkout() {
    let dir = temp_dir("git");
    suite_copy(&dir);
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .output()
            .expect("git runs")
    };
    assert!(git(&["init", "-q"]).status.success());
    assert!(git(&["add", "cases", "schemas"]).status.success());
    assert!(git(&["commit", "-q", "-m", "suite"]).status.success());
    let file = dir.join("cases/params/user-id.json");
    let edited = std::fs::read_to_string(&file).unwrap() + "\n";
    std::fs::write(&file, edited).unwrap();
    std::fs::write(dir.join("schemas/extra.schema.json"), "{}").unwrap();
    let output = certify(&dir, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--certify refuses modified case or schema files"),
        "{stderr}"
    );
    assert!(stderr.contains(" M cases/params/user-id.json"), "{stderr}");
    assert!(stderr.contains("?? schemas/extra.schema.json"), "{stderr}");
    assert!(!dir.join("report").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_certification_fails_when_a_must_case_fails_and_plain_reports_are_not_certificates() {
    let mock = Mock::start(&["--defect", "user-id-not-required"]);
    let dir = temp_dir("certify-fail");
    suite_copy(&dir);
    let output = certify(&dir, &["--target", &mock.url, "--target-name", "mock"]);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(
        text(&output.stdout).contains("certification: NOT PASSED"),
        "{}",
        both(&output)
    );
    let report = read_json(&dir.join("report/report.json"));
    assert_eq!(report["certification"]["passed"], false);
    assert!(report["certification"]["must"]["failed"].as_u64().unwrap() > 0);
    // Mock-only cases are skipped against a URL target: the target imposes that, and verify
    // accepts it; the report is genuine, so it verifies (its verdict is another matter).
    assert!(report["certification"]["must"]["skipped"].as_u64().unwrap() > 0);
    let output = verify(&dir.join("report"), Some(&dir));
    assert!(output.status.success(), "{}", both(&output));
    assert!(
        text(&output.stdout).contains("must cases FAILED"),
        "{}",
        both(&output)
    );

    // A report of an ordinary run is not a certificate.
    let plain = dir.join("plain");
    let output = run(&[
        "run",
        "--report-dir",
        plain.to_str().unwrap(),
        "-q",
        "params/user-id",
    ]);
    assert!(output.status.success(), "{}", both(&output));
    let output = verify(&plain, None);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("FAIL  not a certification run"), "{stdout}");
    assert!(
        stdout.contains("FAIL  the cases are not this suite's full run: missing"),
        "{stdout}"
    );
    // Nothing to verify at all: a usage error.
    let output = verify(&dir.join("nothing-here"), None);
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_incomplete_run_is_never_certified_and_verify_rejects_it() {
    let dir = temp_dir("certify-incomplete");
    suite_copy(&dir);
    // The whole suite takes longer than this: most cases are not run.
    let output = certify(&dir, &["--run-timeout", "300ms"]);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("certification: NOT PASSED"), "{stdout}");
    assert!(
        stdout.contains(
            "certification: refused — the run is incomplete: the run timed out after 300ms (--run-timeout)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("verdict: INCOMPLETE — the run timed out after 300ms"),
        "{stdout}"
    );
    let report = read_json(&dir.join("report/report.json"));
    assert_eq!(schema_errors(&report), Vec::<String>::new());
    assert_eq!(report["verdict"]["incomplete"], "run-timeout");
    assert_eq!(report["certification"]["passed"], false);
    assert!(
        report["certification"]["incomplete"]
            .as_str()
            .is_some_and(|r| r.starts_with("the run timed out after 300ms")),
        "{}",
        report["certification"]
    );
    let output = verify(&dir.join("report"), Some(&dir));
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(
            "FAIL  the run did not complete (run-timeout): the run timed out after 300ms"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("verdict: REJECTED"), "{stdout}");

    // Edited to claim a pass, the report still does not verify: its cases were not run.
    let path = dir.join("report/report.json");
    let mut forged = read_json(&path);
    forged["verdict"] = serde_json::json!({"result": "PASS"});
    forged["certification"]["passed"] = Value::from(true);
    forged["certification"]
        .as_object_mut()
        .unwrap()
        .remove("incomplete");
    write_json(&path, &forged);
    let output = verify(&dir.join("report"), Some(&dir));
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert!(
        text(&output.stdout).contains("skipped by choice"),
        "{}",
        both(&output)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
