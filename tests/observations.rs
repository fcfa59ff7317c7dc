//! Observations as evidence (issue 18, point 3): `run --record-observations FILE` against a
//! `car-conformance mock` holding a known SecretKey and token writes a file with no secret,
//! signature, UserId, RequestId, ClientSession or ServerSession in it; the file, cited by a
//! catalogue item as `observed` evidence, loads, and a wrong citation is refused with the
//! catalogue, the item, the file and the fix; `coverage` counts the item as observed. The file
//! is refused up front when it cannot be written, and written when cases fail.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Value, json};

use common::cases::{apply, case, destroy, write_cases};
use common::mock::Process;
use common::{bin, both, copy_tree, read_json, shown, source_dir, temp_dir, text};

const SECRET_ID: &str = "AKIDobservationsTEST0000000001";
const SECRET_KEY: &str = "observationsSecretKey0123456789ab";
const TOKEN: &str = "observationsSessionToken-0123456789abcdef";
const REGION: &str = "ap-guangzhou";
/// The catalogue item the round trip cites: the issue's own example of a silent documentation
/// (whether a Role without HostUserId is refused), `info` and `inferred` in the shipped catalogue.
const ITEM: &str = "rule.role.requires-host-user-id";

/// One recording of the whole suite against a mock child with the known keys, shared by the
/// tests: (the observations file, report.json, the run's output).
struct Recording {
    file: PathBuf,
    report: Value,
    output: String,
}

fn recording() -> &'static Recording {
    static RECORDING: OnceLock<Recording> = OnceLock::new();
    RECORDING.get_or_init(|| {
        let mock = Process::start(&[
            "--secret-id",
            SECRET_ID,
            "--secret-key",
            SECRET_KEY,
            "--token",
            TOKEN,
        ]);
        let dir = temp_dir("observations-recording");
        let file = dir.join("observed/mock.json");
        let report_dir = dir.join("report");
        let output = bin()
            .env("TENCENTCLOUD_SECRET_ID", SECRET_ID)
            .env("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
            .env("TENCENTCLOUD_SESSION_TOKEN", TOKEN)
            .env("TENCENTCLOUD_REGION", REGION)
            .args(["run", "--target", &mock.url, "--target-name", "mock", "-q"])
            .arg("--record-observations")
            .arg(&file)
            .arg("--report-dir")
            .arg(&report_dir)
            .output()
            .unwrap();
        mock.kill();
        assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
        Recording {
            report: read_json(&report_dir.join("report.json")),
            output: both(&output),
            file,
        }
    })
}

/// Every string under `key` anywhere in `value`.
fn strings_under(value: &Value, key: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if k == key => out.push(s.clone()),
                    _ => strings_under(v, key, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| strings_under(v, key, out)),
        _ => {}
    }
}

/// The per-run values report.json shows in the requests and answers of `report`: every
/// UserId, ClientSession, RequestId and ServerSession sent or received.
fn per_run_values(report: &Value) -> Vec<String> {
    let mut bodies = Vec::new();
    for case in report["cases"].as_array().unwrap() {
        for exchange in case["exchanges"].as_array().unwrap() {
            for side in ["request", "response"] {
                let text = exchange[side]["body"]["text"].as_str().unwrap_or("");
                if let Ok(body) = serde_json::from_str::<Value>(text) {
                    bodies.push(body);
                }
            }
        }
    }
    let mut values = Vec::new();
    for body in &bodies {
        for key in [
            "UserId",
            "HostUserId",
            "ClientSession",
            "RequestId",
            "ServerSession",
        ] {
            strings_under(body, key, &mut values);
        }
    }
    values.retain(|v| v.len() >= 8);
    values.sort();
    values.dedup();
    values
}

#[test]
fn recorded_observations_contain_no_secret_signature_or_per_run_value() {
    let recording = recording();
    assert!(
        recording.output.contains("cases recorded in"),
        "{}",
        recording.output
    );
    let text = std::fs::read_to_string(&recording.file).unwrap();
    let values = per_run_values(&recording.report);
    assert!(
        values.iter().any(|v| v.starts_with("carconf-")) && values.len() > 300,
        "the run sent and received per-run values to look for: {}",
        values.len()
    );
    for secret in [SECRET_KEY, TOKEN, SECRET_ID] {
        assert!(!text.contains(secret), "{secret} shows in the observations");
    }
    for value in &values {
        assert!(
            !text.contains(value.as_str()),
            "{value} shows in the observations"
        );
    }
    assert!(
        !text.contains("carconf-"),
        "a UserId shows in the observations"
    );
    assert!(
        !text.contains("Signature="),
        "a signature shows in the observations"
    );
    // No hex run as long as a signature or a SHA-256 besides the suite's fingerprint.
    let observations: Value = serde_json::from_str(&text).unwrap();
    let fingerprint = observations["suite"]["fingerprint"].as_str().unwrap();
    assert_eq!(
        fingerprint,
        recording.report["fingerprint"]["sha256"].as_str().unwrap()
    );
    let without = text.replace(fingerprint, "");
    let longest_hex = without
        .split(|c: char| !c.is_ascii_hexdigit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest_hex < 32, "a {longest_hex}-digit hex run shows");
}

#[test]
fn recorded_observations_follow_their_schema_and_are_sorted() {
    let recording = recording();
    let observations = read_json(&recording.file);
    let schema = read_json(&source_dir("schemas").join("observations.schema.json"));
    jsonschema::draft202012::meta::validate(&schema).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&observations)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(observations["target"]["region"], REGION);
    assert_eq!(observations["target"]["kind"], "url");
    assert_eq!(
        observations["target"]["local"], true,
        "the mock is on 127.0.0.1"
    );
    let started = recording.report["started_at"].as_str().unwrap();
    assert_eq!(observations["date"].as_str().unwrap(), &started[..10]);
    let ids: Vec<&str> = observations["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case"].as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    // Every case that sent something is there, and none that was skipped.
    let sent: Vec<&str> = recording.report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["exchanges"].as_array().unwrap().is_empty())
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, sent);
    // The documented lock rule shows as its code, the pair of actions as their shapes.
    let lock = observations["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["steps"].as_array().unwrap())
        .flat_map(|s| s["answers"].as_array().unwrap())
        .filter(|a| a["code"] == "FailedOperation.LockTimeout")
        .count();
    assert!(lock > 0, "no LockTimeout recorded");
    let text = std::fs::read_to_string(&recording.file).unwrap();
    assert!(text.contains("\"ServerSession\": \"string\""));
    // The mock's codes and field names are the API's: none is taken for an echoed value.
    assert!(!text.contains("<not a name>"), "a real name was hidden");
}

/// A copy of the shipped schemas with the observations file beside the catalogue, and `ITEM`'s
/// evidence replaced by `evidence(file's date, case, step, answer)`; its catalogue's path.
fn catalogue_citing(name: &str, evidence: impl Fn(&str, &str, &str, &str) -> Value) -> PathBuf {
    let recording = recording();
    let schemas = temp_dir(name).join("schemas");
    copy_tree(&source_dir("schemas"), &schemas);
    std::fs::create_dir_all(schemas.join("observations")).unwrap();
    std::fs::copy(&recording.file, schemas.join("observations/mock.json")).unwrap();
    let observations = read_json(&recording.file);
    // A case covering ITEM that sent something, and its last step (not a cleanup).
    let case = recording.report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["covers"].as_array().unwrap().iter().any(|i| i == ITEM)
                && !c["exchanges"].as_array().unwrap().is_empty()
        })
        .expect("a case covers the item");
    let id = case["id"].as_str().unwrap();
    let recorded = observations["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case"] == id)
        .unwrap();
    let step = recorded["steps"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|s| !s["step"].as_str().unwrap().starts_with("cleanup"))
        .unwrap();
    let answer = &step["answers"][0];
    let answer = answer["code"]
        .as_str()
        .unwrap_or(answer["outcome"].as_str().unwrap());
    let path = schemas.join("catalogue.json");
    let mut catalogue = read_json(&path);
    let item = catalogue["rules"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["id"] == ITEM)
        .unwrap();
    assert_eq!(item["evidence"]["kind"], "inferred");
    assert_eq!(item["level"], "info");
    item["evidence"] = evidence(
        observations["date"].as_str().unwrap(),
        id,
        step["step"].as_str().unwrap(),
        answer,
    );
    std::fs::write(&path, serde_json::to_string_pretty(&catalogue).unwrap()).unwrap();
    path
}

/// Evidence made from the recorded (date, case, step, answer).
type Evidence = fn(&str, &str, &str, &str) -> Value;

fn cited(date: &str, case: &str, step: &str, answer: &str) -> Value {
    json!({"kind": "observed", "observation": "Role without HostUserId, as the target answered it",
           "file": "observations/mock.json", "case": case, "step": step, "answer": answer,
           "date": date, "region": REGION})
}

fn coverage(catalogue: &Path, json: bool) -> std::process::Output {
    let mut command = bin();
    command
        .args(["coverage", "--schemas"])
        .arg(catalogue.parent().unwrap());
    if json {
        command.arg("--json");
    }
    command.output().unwrap()
}

#[test]
fn an_observations_file_recorded_from_the_mock_round_trips_into_catalogue_evidence() {
    let path = catalogue_citing("observations-cite", cited);
    let output = coverage(&path, true);
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    let cited_run: Value = serde_json::from_slice(&output.stdout).unwrap();
    let shipped = coverage(&source_dir("schemas").join("catalogue.json"), true);
    let shipped: Value = serde_json::from_slice(&shipped.stdout).unwrap();
    let counts = |v: &Value, level: usize| {
        let t = &v["levels"][level];
        (
            t["documented"].as_u64().unwrap(),
            t["observed"].as_u64().unwrap(),
            t["inferred"].as_u64().unwrap(),
        )
    };
    // info is the third level: one item moved from inferred to observed; must and should rest
    // on documentation only.
    let (doc, obs, inf) = counts(&shipped, 2);
    assert_eq!(counts(&cited_run, 2), (doc, obs + 1, inf - 1));
    for level in [0, 1] {
        let (_, observed, inferred) = counts(&shipped, level);
        assert_eq!((observed, inferred), (0, 0));
    }
    for totals in cited_run["levels"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&cited_run["total"]])
    {
        let sum: u64 = ["documented", "observed", "inferred"]
            .iter()
            .map(|k| totals[k].as_u64().unwrap())
            .sum();
        assert_eq!(sum, totals["applicable"].as_u64().unwrap(), "{totals}");
    }
    let item = cited_run["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == ITEM)
        .unwrap();
    assert_eq!(item["evidence"], "observed");
    // The table shows the counts too.
    let table = text(&coverage(&path, false).stdout);
    assert!(table.contains("documented  observed  inferred"), "{table}");
    assert!(
        table.lines().any(|l| l.starts_with("info")
            && l.split_whitespace().rev().nth(1) == Some(&(obs + 1).to_string())),
        "{table}"
    );
}

#[test]
fn a_wrong_citation_is_refused_naming_the_catalogue_item_file_and_fix() {
    let wrong: [(&str, Evidence, &str); 4] = [
        (
            "answer",
            |d, c, s, _| cited(d, c, s, "InternalError"),
            "the evidence says `InternalError`: cite what was recorded",
        ),
        (
            "date",
            |_, c, s, a| cited("2001-01-01", c, s, a),
            "the evidence says 2001-01-01: set `date` to",
        ),
        (
            "step",
            |d, c, _, a| cited(d, c, "step 9", a),
            "has no `step 9` (it records: step 1",
        ),
        (
            "file",
            |d, c, s, a| {
                let mut v = cited(d, c, s, a);
                v["file"] = json!("observations/cloud.json");
                v
            },
            "cites observations/cloud.json: cannot read the observations file",
        ),
    ];
    for (name, evidence, expected) in wrong {
        let path = catalogue_citing(&format!("observations-wrong-{name}"), evidence);
        let output = coverage(&path, false);
        let shown = both(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {shown}");
        assert!(shown.contains(expected), "{name}: {shown}");
        assert!(
            shown.contains("catalogue.json") && shown.contains(&format!("item `{ITEM}`")),
            "{name}: {shown}"
        );
    }
}

#[test]
fn an_unwritable_observations_path_is_refused_before_anything_is_sent() {
    let (url, connections) = common::counting_listener();
    let dir = temp_dir("observations-unwritable");
    std::fs::write(dir.join("file"), "x").unwrap();
    let output = bin()
        .args(["run", "--target", &url, "--record-observations"])
        .arg(dir.join("file/observations.json"))
        .output()
        .unwrap();
    let shown = both(&output);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("cannot write the observations") && shown.contains("nothing was sent"),
        "{shown}"
    );
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[test]
fn observations_are_written_when_cases_fail() {
    let cases = temp_dir("observations-failing-cases");
    write_cases(
        &cases,
        "wrong.json",
        vec![
            case(
                "expects-success-without-lock",
                &["rule.lock.required"],
                vec![common::cases::create(json!({"success": true}))],
                vec![destroy()],
            ),
            case(
                "apply",
                &["rule.lock.required"],
                vec![apply(json!({"success": true}))],
                vec![destroy()],
            ),
        ],
    );
    let file = temp_dir("observations-failing").join("o.json");
    let output = bin()
        .arg("run")
        .arg("--cases")
        .arg(&cases)
        .arg("--record-observations")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", shown(&output));
    let observations = read_json(&file);
    assert_eq!(observations["target"]["kind"], "embedded-mock");
    assert_eq!(observations["target"]["region"], Value::Null);
    let first = &observations["cases"][1];
    assert_eq!(first["case"], "wrong/expects-success-without-lock");
    assert_eq!(
        first["steps"][0],
        json!({"step": "step 1", "label": "CreateSession", "action": "CreateSession",
               "answers": [{"outcome": "error", "status": 200, "code": "FailedOperation.LockTimeout"}]})
    );
    assert_eq!(first["steps"][1]["step"], "cleanup step 1");
    assert_eq!(first["steps"][1]["label"], "destroy");
}
