//! The shipped first set of cases: it loads, every kind of step and expectation is used, every
//! snapshotted step has its committed `@mock` snapshot, and no snapshot is left without its step.

mod common;

use std::collections::BTreeSet;

use car_conformance::case::catalogue::Catalogue;
use car_conformance::case::{Case, load_dir};
use car_conformance::check::snapshot::{Snapshots, UpdateMode};

use common::corpus::{catalogue, load_cases};
use common::{copy_tree, root, temp_dir};

fn cases() -> Vec<Case> {
    load_cases(&catalogue())
}

#[test]
fn every_kind_of_step_and_expectation_is_exercised() {
    let cases = cases();
    let steps: Vec<_> = cases
        .iter()
        .flat_map(|c| c.spec.steps.iter().chain(&c.spec.cleanup))
        .collect();
    let expects: Vec<_> = steps.iter().filter_map(|s| s.expect.as_ref()).collect();
    let mut missing = Vec::new();
    let mut mark = |name: &str, present: bool| {
        if !present {
            missing.push(name.to_owned());
        }
    };
    mark("method GET", steps.iter().any(|s| s.method == "GET"));
    mark(
        "method other",
        steps
            .iter()
            .any(|s| s.method != "GET" && s.method != "POST"),
    );
    mark("raw body", steps.iter().any(|s| s.body.is_some()));
    mark(
        "header override",
        steps
            .iter()
            .any(|s| s.headers.values().any(|v| v.is_string())),
    );
    mark(
        "header removal",
        steps
            .iter()
            .any(|s| s.headers.values().any(|v| v.is_null())),
    );
    mark(
        "content_type",
        steps.iter().any(|s| s.content_type.is_some()),
    );
    mark("version", steps.iter().any(|s| s.version.is_some()));
    mark("copies", steps.iter().any(|s| s.copies > 1));
    let knobs =
        |f: &dyn Fn(&car_conformance::case::SignKnobs) -> bool| steps.iter().any(|s| f(&s.sign));
    mark(
        "timestamp_offset_secs",
        knobs(&|k| k.timestamp_offset_secs != 0),
    );
    mark("wrong_secret_key", knobs(&|k| k.wrong_secret_key));
    mark("unknown_secret_id", knobs(&|k| k.unknown_secret_id));
    mark("secret_id", knobs(&|k| k.secret_id.is_some()));
    mark(
        "scope_date_offset_days",
        knobs(&|k| k.scope_date_offset_days != 0),
    );
    mark("service", knobs(&|k| k.service.is_some()));
    mark("authorization", knobs(&|k| k.authorization.is_some()));
    mark(
        "body_changed_after_signing",
        knobs(&|k| k.body_changed_after_signing),
    );
    mark(
        "extra_signed_headers",
        knobs(&|k| !k.extra_signed_headers.is_empty()),
    );
    mark("unsigned_payload", knobs(&|k| k.unsigned_payload));
    mark(
        "token",
        knobs(&|k| k.token != car_conformance::case::TokenKnob::RunToken),
    );
    mark("success", expects.iter().any(|e| e.success.is_some()));
    mark("code", expects.iter().any(|e| e.code.is_some()));
    mark("one_of", expects.iter().any(|e| e.one_of.is_some()));
    mark("tally", expects.iter().any(|e| e.tally.is_some()));
    mark("status", expects.iter().any(|e| e.status.is_some()));
    mark(
        "expect content_type",
        expects.iter().any(|e| e.content_type.is_some()),
    );
    mark("schema", expects.iter().any(|e| e.schema.is_some()));
    mark("snapshot", expects.iter().any(|e| e.snapshot));
    mark("latency_ms", expects.iter().any(|e| e.latency_ms.is_some()));
    mark("capture", expects.iter().any(|e| !e.capture.is_empty()));
    mark("requires.mock", cases.iter().any(|c| c.mock.is_some()));
    mark("cleanup", cases.iter().any(|c| !c.spec.cleanup.is_empty()));
    let text: String = cases
        .iter()
        .map(|c| {
            serde_json::to_string(
                &c.spec
                    .steps
                    .iter()
                    .map(|s| (&s.params, &s.body, &s.headers))
                    .collect::<Vec<_>>(),
            )
            .unwrap()
        })
        .collect();
    for (name, needle) in [
        ("{{user_id}}", "{{user_id}}"),
        ("{{user_id.NAME}}", "{{user_id.guest}}"),
        ("{{client_ip}}", "{{client_ip}}"),
        ("{{project_id}}", "{{project_id}}"),
        ("{{capture.NAME}}", "{{capture."),
        ("{{copy}}", "{{copy}}"),
        ("$repeat", "\"$repeat\""),
        ("$concat", "\"$concat\""),
        ("$literal", "\"$literal\""),
        ("null", ":null"),
        ("wrong type", ":12345"),
        ("empty string", "\"UserId\":\"\""),
    ] {
        mark(name, text.contains(needle));
    }
    assert_eq!(missing, Vec::<String>::new(), "kinds no shipped case uses");
}

#[test]
fn every_snapshot_step_has_its_mock_snapshot_and_no_snapshot_is_orphaned() {
    let root = root();
    let snapshots = Snapshots {
        dir: root.join("snapshots"),
        suffix: "mock".into(),
        mode: UpdateMode::No,
    };
    let mut expected = BTreeSet::new();
    for case in cases() {
        for (phase, steps) in [("steps", &case.spec.steps), ("cleanup", &case.spec.cleanup)] {
            for (i, step) in steps.iter().enumerate() {
                if step.expect.as_ref().is_some_and(|e| e.snapshot) {
                    let path = snapshots.path(&case.id, &format!("{phase}{}", i + 1));
                    assert!(path.is_file(), "missing snapshot {}", path.display());
                    expected.insert(path.file_name().unwrap().to_owned());
                }
            }
        }
    }
    for entry in std::fs::read_dir(root.join("snapshots")).unwrap().flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().ends_with("@mock.snap") {
            assert!(
                expected.contains(&name),
                "orphaned snapshot {}",
                name.to_string_lossy()
            );
        }
    }
}

/// The case README.md shows under "Writing a case" loads as it is, in a file laid out as the
/// README says (its `$schema` path included): a newcomer who copies it gets no error.
#[test]
fn the_readme_example_case_loads_as_shown() {
    let root = root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let after = readme
        .split_once("One case:\n\n```json\n")
        .expect("README shows one case under \"Writing a case\"")
        .1;
    let example = after.split_once("\n```").unwrap().0;
    let header = readme
        .split_once("Every file under `cases/GROUP/` is `")
        .expect("README says what a case file is")
        .1;
    let schema = header
        .split_once("\"$schema\": \"")
        .unwrap()
        .1
        .split_once('"')
        .unwrap()
        .0;
    let dir = temp_dir("readme-case");
    let group = dir.join("cases/readme");
    std::fs::create_dir_all(&group).unwrap();
    copy_tree(&root.join("schemas"), &dir.join("schemas"));
    let file = format!("{{\"$schema\": \"{schema}\", \"cases\": [{example}]}}");
    std::fs::write(group.join("example.json"), file).unwrap();
    assert!(
        group.join(schema).exists(),
        "the README's $schema path {schema} does not resolve from cases/GROUP/"
    );
    let catalogue = Catalogue::load(&dir.join("schemas/catalogue.json")).unwrap();
    let loaded = load_dir(&dir.join("cases"), &dir.join("schemas"), &catalogue);
    std::fs::remove_dir_all(&dir).ok();
    let cases = loaded.unwrap_or_else(|e| panic!("README example: {e}"));
    assert_eq!(cases.len(), 1);
}
