//! The report directory end to end: a run against the embedded mock, a run against a mock with a
//! defect, and a run against a target that cannot be reached each write report.json, junit.xml,
//! summary.md and report.html, and the four agree with each other.

mod common;

use common::mock::Process as Mock;
use common::report::{assert_bundle, schema_errors};
use common::{both, read_json, run, temp_dir};
use quick_junit::Report;
use serde_json::Value;

fn statuses(report: &Value) -> (usize, usize) {
    let cases = report["cases"].as_array().unwrap();
    let failed = cases.iter().filter(|c| c["status"] == "failed").count();
    (cases.len(), failed)
}

/// The JUnit file parses, has one test case per case and one failure per failed must/should case.
fn check_junit(dir: &std::path::Path, report: &Value) {
    let xml = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    let junit = Report::deserialize_from_str(&xml).expect("junit.xml parses as JUnit");
    let cases = report["cases"].as_array().unwrap();
    assert_eq!(junit.tests, cases.len());
    let failing = cases
        .iter()
        .filter(|c| c["status"] == "failed" && c["level"] != "info")
        .count();
    assert_eq!(junit.failures, failing, "junit failures");
    assert_eq!(junit.errors, 0);
}

#[test]
fn a_run_against_the_embedded_mock_writes_all_four_files() {
    let dir = temp_dir("embedded");
    let out = dir.join("report");
    let output = run(&["run", "--report-dir", out.to_str().unwrap(), "-q"]);
    assert!(output.status.success(), "{}", both(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(&format!(
            "report: {} (report.json, junit.xml, summary.md, report.html)",
            out.display()
        )),
        "{}",
        both(&output)
    );
    assert_bundle(&out);
    let report = read_json(&out.join("report.json"));
    assert_eq!(schema_errors(&report), Vec::<String>::new());
    let (total, failed) = statuses(&report);
    assert!(total > 100 && failed == 0, "{total} cases, {failed} failed");
    // Every run with a report directory records the suite it ran.
    let fingerprint = &report["fingerprint"];
    assert_eq!(fingerprint["algorithm"], "sha256");
    assert!(fingerprint["files"].as_array().unwrap().len() > 20);
    assert!(report.get("certification").is_none());
    check_junit(&out, &report);

    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.starts_with("## car-conformance: PASS — mock"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("| **total** | {total} | {total} | 0 | 0 | 0 |")),
        "{summary}"
    );
    assert!(summary.contains("### Coverage of the catalogue"));
    assert!(!summary.contains("### Failures"));

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("<details class=\"case ").count(), total);
    for section in ["summary", "cases", "coverage"] {
        assert!(
            html.contains(&format!("<section id=\"{section}\">")),
            "#{section}"
        );
    }
    for text in [
        &summary,
        &html,
        &std::fs::read_to_string(out.join("report.json")).unwrap(),
    ] {
        assert!(!text.contains(car_conformance::mock::TEST_SECRET_KEY));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_run_against_a_mock_with_a_defect_writes_all_four_files_with_its_failures() {
    let mock = Mock::start(&["--defect", "missing-parameter-wrong-code"]);
    let dir = temp_dir("defect");
    let out = dir.join("report");
    let output = mock.run(&["--report-dir", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    assert_bundle(&out);
    let report = read_json(&out.join("report.json"));
    assert_eq!(schema_errors(&report), Vec::<String>::new());
    let (_, failed) = statuses(&report);
    assert!(failed > 0);
    let missing = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "params/user-id/missing")
        .unwrap();
    assert_eq!(missing["status"], "failed");
    check_junit(&out, &report);

    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.starts_with("## car-conformance: FAIL"), "{summary}");
    assert!(
        summary.contains(&format!("### Failures ({failed})")),
        "{summary}"
    );
    assert!(
        summary.contains("- **must** `params/user-id/missing`"),
        "{summary}"
    );
    assert!(summary.contains("expected MissingParameter"), "{summary}");

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<span class=\"verdict fail\">FAIL</span>"));
    assert!(html.contains("id=\"case-params/user-id/missing\" data-status=\"failed\""));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_target_that_cannot_be_reached_still_gets_its_reports() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = temp_dir("unreachable");
    let out = dir.join("report");
    let output = run(&[
        "run",
        "--target",
        &format!("http://127.0.0.1:{port}"),
        "--report-dir",
        out.to_str().unwrap(),
        "-q",
        "common/auth",
    ]);
    // Exit 4: unreachable; the run stops after a few refused connections.
    assert_eq!(output.status.code(), Some(4), "{}", both(&output));
    assert_bundle(&out);
    let report = read_json(&out.join("report.json"));
    assert_eq!(schema_errors(&report), Vec::<String>::new());
    let (total, failed) = statuses(&report);
    assert!(failed >= 1 && failed < total, "{failed} of {total} failed");
    let first = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "failed")
        .unwrap();
    assert_eq!(first["failures"][0]["check"], "transport");
    check_junit(&out, &report);
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("no answer"), "{summary}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_defect_matrix_of_mutants_shows_in_the_html_and_markdown() {
    let dir = temp_dir("matrix");
    let matrix = dir.join("matrix.json");
    let output = run(&[
        "mutants",
        "--json",
        "--defect",
        "missing-parameter-wrong-code",
    ]);
    assert!(output.status.success(), "{}", both(&output));
    std::fs::write(&matrix, &output.stdout).unwrap();
    let out = dir.join("report");
    let output = run(&[
        "run",
        "--report-dir",
        out.to_str().unwrap(),
        "--defect-matrix",
        matrix.to_str().unwrap(),
        "-q",
        "params/user-id",
    ]);
    assert!(output.status.success(), "{}", both(&output));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<section id=\"defects\">"));
    assert!(
        html.contains("1 of 1 defects caught (100.0%)"),
        "defect header"
    );
    assert!(html.contains("<code>missing-parameter-wrong-code</code>"));
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("### Defect matrix: 1 of 1 defects caught (100.0%)"),
        "{summary}"
    );

    // A file that is no matrix is a usage error, before anything is sent.
    std::fs::write(&matrix, "{\"rows\": []}").unwrap();
    let output = run(&[
        "run",
        "--report-dir",
        out.to_str().unwrap(),
        "--defect-matrix",
        matrix.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", both(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a defect matrix"));
    std::fs::remove_dir_all(&dir).unwrap();
}
