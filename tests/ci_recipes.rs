//! The CI recipes' gate (scripts/conformance-gate.sh, run by examples/ci/github-actions.yml and
//! examples/ci/gitlab-ci.yml) keeps its promises against a mock standing in for staging: the
//! run's exit code (0 on a pass, 1 when a defect fails cases), the four reports written also on
//! failure and never left stale, summary.md appended to the job summary after what was there.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::mock::Process as MockProcess;
use common::{BIN, clean_env, root, shown, temp_dir, text};

const SCRIPT: &str = "scripts/conformance-gate.sh";
const REPORTS: [&str; 4] = ["report.json", "junit.xml", "summary.md", "report.html"];

/// The gate with `target` (none: unset), reports in `dir/report`, the job summary `dir/summary`.
fn gate(dir: &Path, target: Option<&str>) -> Output {
    let mut command = Command::new("bash");
    clean_env(&mut command);
    command
        .arg(root().join(SCRIPT))
        .current_dir(dir)
        .env("CAR_CONFORMANCE", BIN)
        .env("CAR_REPORT_DIR", dir.join("report"))
        .env("GITHUB_STEP_SUMMARY", dir.join("summary"))
        .env("INSTA_UPDATE", "no")
        .args(["-q"]);
    if let Some(target) = target {
        command.env("CAR_TARGET", target);
    }
    command.output().expect("bash runs the gate")
}

fn prepared(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    std::fs::write(dir.join("summary"), "# an earlier step\n").unwrap();
    dir
}

fn summary(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("summary")).unwrap()
}

#[test]
fn a_passing_staging_target_exits_0_with_reports_and_the_summary_appended() {
    let dir = prepared("gate-pass");
    std::fs::create_dir_all(dir.join("report")).unwrap();
    std::fs::write(dir.join("report/summary.md"), "stale").unwrap();
    let mock = MockProcess::start(&[]);
    let output = gate(&dir, Some(&mock.url));
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    for report in REPORTS {
        let path = dir.join("report").join(report);
        assert!(path.is_file(), "{report} missing\n{}", shown(&output));
    }
    let summary = summary(&dir);
    assert!(summary.starts_with("# an earlier step\n"), "{summary}");
    assert!(summary.contains("car-conformance: PASS"), "{summary}");
    assert!(!summary.contains("stale"), "{summary}");
    assert!(text(&output.stdout).contains("car-conformance: exit 0"));
    mock.terminate();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_defect_on_staging_exits_1_and_still_writes_every_report() {
    let dir = prepared("gate-fail");
    let mock = MockProcess::start(&["--defect", "signature-not-verified"]);
    let output = gate(&dir, Some(&mock.url));
    assert_eq!(output.status.code(), Some(1), "{}", shown(&output));
    for report in REPORTS {
        assert!(dir.join("report").join(report).is_file(), "{report}");
    }
    let junit = std::fs::read_to_string(dir.join("report/junit.xml")).unwrap();
    assert!(junit.contains("<failure"), "{junit}");
    let summary = summary(&dir);
    assert!(summary.contains("car-conformance: FAIL"), "{summary}");
    mock.terminate();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_that_cannot_start_exits_2_leaving_no_stale_report_and_says_so() {
    let dir = prepared("gate-usage");
    let output = gate(&dir, None);
    assert_eq!(output.status.code(), Some(2), "{}", shown(&output));
    assert!(summary(&dir).contains("no report"), "{}", summary(&dir));

    std::fs::create_dir_all(dir.join("report")).unwrap();
    std::fs::write(dir.join("report/report.json"), "{}").unwrap();
    let output = gate(&dir, Some("ftp://staging.invalid"));
    assert_eq!(output.status.code(), Some(2), "{}", shown(&output));
    assert!(
        !dir.join("report/report.json").exists(),
        "a stale report stays"
    );
    let summary = summary(&dir);
    assert!(summary.contains("exit 2"), "{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn both_recipes_run_the_gate_and_keep_its_reports() {
    for recipe in [
        "examples/ci/github-actions.yml",
        "examples/ci/gitlab-ci.yml",
    ] {
        let text = std::fs::read_to_string(root().join(recipe)).unwrap();
        assert!(text.contains(SCRIPT), "{recipe} does not run {SCRIPT}");
        assert!(text.contains("CAR_TARGET"), "{recipe} sets no staging URL");
        assert!(
            text.contains("car-conformance-report/junit.xml")
                || text.contains("car-conformance-report/"),
            "{recipe} does not keep the report directory"
        );
        assert!(
            text.contains("cargo install"),
            "{recipe} does not install the binary"
        );
    }
    let github = std::fs::read_to_string(root().join("examples/ci/github-actions.yml")).unwrap();
    assert!(
        github.contains("if: always()"),
        "reports are uploaded on failure too"
    );
    let gitlab = std::fs::read_to_string(root().join("examples/ci/gitlab-ci.yml")).unwrap();
    assert!(gitlab.contains("junit: car-conformance-report/junit.xml"));
    assert!(gitlab.contains("when: always"));
}
