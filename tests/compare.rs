//! `car-conformance compare` without a cloud account: the embedded mock against itself with a
//! defect, with an allowed variant, and with an oracle, over the Role cases (16 cases, about a
//! second per target). Each test names exactly which rows must differ and why.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::cases::{apply, case, write_cases};
use common::misbehaving::{Misbehaving, Misbehaviour, Script};
use common::report::report_schema;
use common::{both, read_json, run, temp_dir};
use serde_json::{Value, json};

/// The cases that send the guest a Role outside `Player` and `Viewer` (empty, near-misses,
/// another word, a look-alike, a very long value): the mock refuses each, and a mock that
/// accepts any Role answers success to each. Every other Role case sends a valid Role or none.
const ROLE_OUTSIDE_ENUM: [&str; 9] = [
    "params/role/empty",
    "params/role/near-miss-leading-space",
    "params/role/near-miss-lower-case",
    "params/role/near-miss-other-word",
    "params/role/near-miss-trailing-space",
    "params/role/near-miss-upper-case",
    "params/role/near-miss-viewer-lower-case",
    "params/role/unicode-look-alike",
    "params/role/very-long",
];

/// The cases that send a Role without HostUserId: the mock refuses them with MissingParameter,
/// the `role-without-host-ignored` variant takes them (both allowed: the rule is inferred).
const ROLE_WITHOUT_HOST: [&str; 2] = [
    "params/role/player-without-host-user-id",
    "params/role/viewer-without-host-user-id",
];

/// Runs compare over the Role cases with a report directory and returns the exit code, the
/// console text and the `compare` section of report.json.
fn compare(name: &str, args: &[&str]) -> (Option<i32>, String, Value, std::path::PathBuf) {
    let dir = temp_dir(name);
    let dir_arg = dir.to_str().unwrap().to_owned();
    let mut all = vec!["compare", "params/role/", "--report-dir", &dir_arg];
    all.extend_from_slice(args);
    let output = run(&all);
    let console = both(&output);
    assert!(
        dir.join("report.json").is_file(),
        "no compare report:\n{console}"
    );
    let report = read_json(&dir.join("report.json"));
    let errors: Vec<String> = report_schema()
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report.json breaks its schema: {errors:?}"
    );
    (
        output.status.code(),
        console,
        report["compare"].clone(),
        dir,
    )
}

fn differing(compare: &Value) -> BTreeSet<String> {
    rows(compare)
        .filter(|r| r["differs"] == true)
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

fn rows(compare: &Value) -> impl Iterator<Item = &Value> {
    compare["rows"].as_array().unwrap().iter()
}

fn cell<'a>(compare: &'a Value, id: &str, target: &str) -> &'a Value {
    rows(compare)
        .find(|r| r["id"] == id)
        .and_then(|r| {
            r["cells"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["target"] == target)
        })
        .unwrap_or_else(|| panic!("no cell {id} × {target}"))
}

fn column<'a>(compare: &'a Value, target: &str) -> &'a Value {
    compare["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == target)
        .unwrap()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn the_mock_against_the_mock_with_a_defect_differs_exactly_where_the_defect_acts() {
    let (code, console, compare, dir) = compare(
        "compare-defect",
        &[
            "--target",
            "mock=mock",
            "--target",
            "buggy=mock:defect=role-enum-not-enforced",
        ],
    );
    assert_eq!(differing(&compare), set(&ROLE_OUTSIDE_ENUM), "{console}");
    // Differing rows come first, and the defect's catcher fails the defective target only.
    let first: BTreeSet<String> = rows(&compare)
        .take(ROLE_OUTSIDE_ENUM.len())
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(first, set(&ROLE_OUTSIDE_ENUM));
    let caught = cell(&compare, "params/role/near-miss-other-word", "buggy");
    assert_eq!(
        (&caught["verdict"], &caught["level"], &caught["answers"][3]),
        (
            &Value::from("failed"),
            &Value::from("should"),
            &Value::from("success")
        ),
        "{caught}"
    );
    let sound = cell(&compare, "params/role/near-miss-other-word", "mock");
    assert_eq!(sound["verdict"], "passed");
    assert_eq!(sound["answers"][3], "InvalidParameterValue");
    assert_eq!(column(&compare, "buggy")["verdict"], "FAIL");
    assert_eq!(column(&compare, "mock")["verdict"], "PASS");
    // As `run` against the defect: a should failure is exit 1.
    assert_eq!(code, Some(1), "{console}");
    assert!(console.contains("differences: 9 of 16 cases"), "{console}");
    assert!(console.contains("compare verdict: FAIL"), "{console}");
    // Each target's own report directory, and the matrix in summary.md and report.html.
    for name in ["mock", "buggy"] {
        assert!(dir.join(name).join("report.json").is_file(), "{name}");
    }
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(
        summary.contains("| Case | Level | Evidence | mock | buggy |"),
        "{summary}"
    );
    assert!(
        summary.contains("**≠** `params/role/near-miss-other-word`"),
        "{summary}"
    );
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("<input type=\"checkbox\" id=\"differences-only\">"));
    assert!(html.contains("#differences-only:checked~table tr.same{display:none}"));
    assert_eq!(html.matches("<tr class=\"differs\">").count(), 9);
    assert_eq!(html.matches("<tr class=\"same\">").count(), 7);
    assert!(!html.contains("<script"), "the page runs no script");
    assert!(html.contains("default-src 'none'"));
}

#[test]
fn the_mock_against_an_allowed_variant_differs_only_where_the_variant_answers_otherwise() {
    let (code, console, compare, _) = compare(
        "compare-variant",
        &[
            "--target",
            "mock=mock",
            "--target",
            "lenient=mock:variant=role-without-host-ignored",
        ],
    );
    assert_eq!(differing(&compare), set(&ROLE_WITHOUT_HOST), "{console}");
    for id in ROLE_WITHOUT_HOST {
        // Both answers are allowed: the targets differ, and both pass.
        let (mock, lenient) = (cell(&compare, id, "mock"), cell(&compare, id, "lenient"));
        assert_eq!(
            (&mock["verdict"], &lenient["verdict"]),
            (&Value::from("passed"), &Value::from("passed"))
        );
        assert_eq!(mock["answers"][1], "MissingParameter");
        assert_eq!(lenient["answers"][1], "success");
    }
    assert_eq!(code, Some(0), "{console}");
}

#[test]
fn an_oracle_judges_an_inferred_case_by_agreement_and_a_documented_one_as_usual() {
    // The oracle takes a Role without HostUserId; the vendor refuses it. The documentation is
    // silent (the rule is inferred): the vendor is judged by agreement, and disagrees.
    let (code, console, compare, _) = compare(
        "compare-oracle",
        &[
            "--target",
            "cloud=mock:variant=role-without-host-ignored",
            "--target",
            "vendor=mock",
            "--oracle",
            "cloud",
        ],
    );
    assert_eq!(compare["oracle"], "cloud");
    for id in ROLE_WITHOUT_HOST {
        let vendor = cell(&compare, id, "vendor");
        assert_eq!(vendor["verdict"], "disagrees", "{vendor}");
        assert_eq!(
            vendor["level"], "info",
            "inferred rules are info: shown, never failing"
        );
        let reason = vendor["reason"].as_str().unwrap();
        assert!(
            reason.contains("where the oracle answers success → success"),
            "{reason}"
        );
        assert_eq!(cell(&compare, id, "cloud")["verdict"], "oracle");
    }
    // The other inferred Role cases agree; documented ones are judged as usual.
    assert_eq!(
        cell(&compare, "params/role/near-miss-lower-case", "vendor")["verdict"],
        "agrees"
    );
    assert_eq!(
        cell(&compare, "params/role/player", "vendor")["verdict"],
        "passed"
    );
    let vendor = column(&compare, "vendor");
    assert_eq!(
        (&vendor["verdict"], &vendor["disagreements"]),
        (&Value::from("PASS"), &Value::from(2))
    );
    assert_eq!(column(&compare, "cloud")["verdict"], "ORACLE");
    assert_eq!(code, Some(0), "{console}");
    assert!(console.contains("disagrees (info)"), "{console}");
}

#[test]
fn an_oracle_that_fails_a_documented_rule_is_a_discrepancy_not_a_vendor_failure() {
    let (code, console, compare, _) = compare(
        "compare-discrepancy",
        &[
            "--target",
            "cloud=mock:defect=role-enum-not-enforced",
            "--target",
            "vendor=mock",
            "--oracle",
            "cloud",
        ],
    );
    let oracle = cell(&compare, "params/role/near-miss-other-word", "cloud");
    assert_eq!(oracle["verdict"], "discrepancy", "{oracle}");
    assert!(
        oracle["reason"]
            .as_str()
            .unwrap()
            .contains("disagrees with the documentation")
    );
    assert_eq!(
        cell(&compare, "params/role/near-miss-other-word", "vendor")["verdict"],
        "passed"
    );
    // Where the case is inferred the vendor, refusing near-misses as documented enums suggest,
    // disagrees with this oracle (info); it fails nothing at must/should.
    assert_eq!(
        cell(&compare, "params/role/near-miss-lower-case", "vendor")["verdict"],
        "disagrees"
    );
    assert_eq!(column(&compare, "cloud")["discrepancies"], 2, "{console}");
    assert_eq!(column(&compare, "vendor")["verdict"], "PASS");
    assert_eq!(code, Some(0), "{console}");
}

/// Every `carconf-RUNID-` prefix of the UserIds a target's requests carried.
fn run_ids(report: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(report).unwrap();
    text.match_indices("carconf-")
        .map(|(at, _)| text[at..at + 16].to_owned())
        .collect()
}

#[test]
fn two_targets_on_one_backend_never_share_a_user_id() {
    let mock = common::mock::InProcess::start(Default::default());
    let url = mock.url();
    let (a, b) = (format!("a={url}"), format!("b={url}"));
    let (code, console, compare, dir) =
        compare("compare-same-backend", &["--target", &a, "--target", &b]);
    assert_eq!(code, Some(0), "{console}");
    assert_eq!(compare["differing"], 0, "{console}");
    let (ids_a, ids_b) = (
        run_ids(&dir.join("a/report.json")),
        run_ids(&dir.join("b/report.json")),
    );
    assert_eq!((ids_a.len(), ids_b.len()), (1, 1), "{ids_a:?} {ids_b:?}");
    assert_ne!(ids_a, ids_b);
    let live = mock.live();
    assert!(
        live.locks.is_empty() && live.sessions.is_empty(),
        "{live:?}"
    );
}

#[test]
fn compare_refuses_what_it_cannot_do_before_anything_is_sent() {
    for (args, expected) in [
        (vec!["--target", "a=mock"], "two or more targets"),
        (
            vec!["--target", "a=mock", "--target", "a=mock"],
            "two targets are named `a`",
        ),
        (
            vec!["--target", "a=mock", "--target", "b=mock", "--oracle", "c"],
            "--oracle `c` names no target",
        ),
        (
            vec![
                "--target",
                "a=mock",
                "--target",
                "b=mock",
                "--write-baseline",
                "x.json",
            ],
            "compare refuses --write-baseline",
        ),
        (
            vec![
                "--target",
                "a=mock",
                "--target",
                "cloud=https://car.tencentcloudapi.com",
            ],
            "CAR_CLOUD_SECRET_ID",
        ),
    ] {
        let mut all = vec!["compare"];
        all.extend(args);
        let output = run(&all);
        let text = both(&output);
        assert_eq!(output.status.code(), Some(2), "{all:?}: {text}");
        assert!(text.contains(expected), "{all:?}: {text}");
        assert!(!text.contains("=== target"), "nothing runs: {text}");
    }
}

#[test]
fn a_user_id_left_on_any_target_is_exit_3_as_in_run() {
    // The second target takes the lock and refuses to destroy it: its run exits 3, and so
    // does the comparison, after both targets ran and the matrix was printed.
    let script = std::sync::Arc::new(Script {
        destroy_error: Some("FailedOperation.Scripted"),
        ..Script::default()
    });
    let target = Misbehaving::start(Misbehaviour::Scripted(std::sync::Arc::clone(&script)));
    let cases = temp_dir("compare-leftover");
    write_cases(
        &cases,
        "lock.json",
        vec![case(
            "lock",
            &["rule.lock.required"],
            vec![apply(json!({"success": true}))],
            vec![],
        )],
    );
    let sticky = format!("sticky={}", target.url);
    let output = run(&[
        "compare",
        "--target",
        "mock=mock",
        "--target",
        &sticky,
        "--cases",
        cases.to_str().unwrap(),
    ]);
    let console = both(&output);
    assert_eq!(output.status.code(), Some(3), "{console}");
    assert!(console.contains("compare verdict:"), "{console}");
    assert!(
        console.contains("may still hold a lock or session"),
        "{console}"
    );
}

#[test]
fn record_observations_records_the_oracles_answers_only() {
    let dir = temp_dir("compare-observations");
    let file = dir.join("observations.json");
    let output = run(&[
        "compare",
        "params/role/player-without-host-user-id",
        "--target",
        "cloud=mock:variant=role-without-host-ignored",
        "--target",
        "vendor=mock",
        "--oracle",
        "cloud",
        "--record-observations",
        file.to_str().unwrap(),
    ]);
    let console = both(&output);
    assert_eq!(output.status.code(), Some(0), "{console}");
    assert_eq!(
        console.matches("observations: 1 cases recorded").count(),
        1,
        "{console}"
    );
    let recorded = read_json(&file);
    assert_eq!(recorded["target"]["name"], "cloud");
    // The oracle takes the Role without HostUserId (the vendor would refuse it).
    let create = &recorded["cases"][0]["steps"][1];
    assert_eq!(create["action"], "CreateSession");
    assert_eq!(create["answers"][0]["outcome"], "success", "{recorded}");
    let refused = run(&[
        "compare",
        "--target",
        "a=mock",
        "--target",
        "b=mock",
        "--record-observations",
        file.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(both(&refused).contains("name the oracle with --oracle"));
}

#[test]
fn the_usual_credentials_never_reach_a_compare_target() {
    // TENCENTCLOUD_* set for `run` must not sign for a compare target named otherwise: one
    // vendor's key never reaches another target.
    let output = common::bin()
        .args([
            "compare",
            "--target",
            "a=mock",
            "--target",
            "vendor=https://car.vendor.example",
        ])
        .env("TENCENTCLOUD_SECRET_ID", "AKIDnotForTheVendor0")
        .env("TENCENTCLOUD_SECRET_KEY", "notForTheVendorKey00")
        .output()
        .unwrap();
    let text = both(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("CAR_VENDOR_SECRET_ID"), "{text}");
    assert!(!text.contains("=== target"), "nothing runs: {text}");
}

#[cfg(unix)]
#[test]
fn an_interrupted_target_stops_the_comparison_with_exit_130() {
    let mut command = common::bin();
    command.args([
        "compare",
        "params/",
        "--test-threads",
        "1",
        "--target",
        "first=mock",
        "--target",
        "second=mock",
    ]);
    let (output, _) = common::interrupted_after_first_pass(&mut command);
    let console = both(&output);
    assert_eq!(output.status.code(), Some(130), "{console}");
    assert!(
        console
            .contains("compare stopped: interrupted (Ctrl-C or SIGTERM): 1 of 2 targets not run"),
        "{console}"
    );
    assert!(!console.contains("=== target 2 of 2"), "{console}");
}
