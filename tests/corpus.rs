//! load + report: the case corpus itself, checked without sending anything — it loads, every
//! exercisable catalogue item has a case, levels never claim more than their source, cases that
//! create state clean it up, and mock configuration is used only for states the API cannot reach.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use car_conformance::case::catalogue::Catalogue;
use car_conformance::case::{Case, Level, Step, load_dir};
use serde_json::Value;

/// The corpus directories these checks hold to (the runner's own example cases live elsewhere).
const CORPUS_DIRS: [&str; 4] = ["params/", "business/", "common/", "response/"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn catalogue() -> Catalogue {
    Catalogue::load(&root().join("schemas/catalogue.json")).expect("the catalogue loads")
}

fn load(catalogue: &Catalogue) -> Vec<Case> {
    match load_dir(&root().join("cases"), &root().join("schemas"), catalogue) {
        Ok(cases) => cases,
        Err(error) => {
            let shown: Vec<String> = error
                .diagnostics()
                .iter()
                .map(ToString::to_string)
                .collect();
            panic!("the corpus does not load: {error}\n{}", shown.join("\n"))
        }
    }
}

fn corpus(cases: &[Case]) -> Vec<&Case> {
    cases
        .iter()
        .filter(|c| CORPUS_DIRS.iter().any(|d| c.id.starts_with(d)))
        .collect()
}

/// How far each catalogue item can be reached (`reach`), read from the raw catalogue.
fn reach() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join("schemas/catalogue.json")).unwrap();
    let raw: Value = serde_json::from_str(&text).unwrap();
    let mut out = BTreeMap::new();
    for (list, key) in [("rules", "id"), ("error_codes", "code")] {
        for item in raw[list].as_array().into_iter().flatten() {
            if let (Some(id), Some(reach)) = (item[key].as_str(), item["reach"].as_str()) {
                out.insert(id.to_owned(), reach.to_owned());
            }
        }
    }
    out
}

/// Strength order: `must` is stronger than `should`, which is stronger than `info`.
fn strength(level: Level) -> u8 {
    match level {
        Level::Must => 2,
        Level::Should => 1,
        Level::Info => 0,
    }
}

#[test]
fn the_corpus_loads_and_covers_every_exercisable_item() {
    let catalogue = catalogue();
    let cases = load(&catalogue);
    assert!(corpus(&cases).len() >= 100, "the corpus lost cases");
    let covered: BTreeSet<&str> = cases
        .iter()
        .flat_map(|c| c.spec.covers.iter().map(String::as_str))
        .collect();
    let missing: Vec<&str> = catalogue
        .items()
        .into_iter()
        .filter(|item| item.not_applicable.is_none() && !covered.contains(item.id))
        .map(|item| item.id)
        .collect();
    assert!(missing.is_empty(), "items without a case: {missing:?}");
    let not_applicable_covered: Vec<&str> = catalogue
        .items()
        .into_iter()
        .filter(|item| item.not_applicable.is_some() && covered.contains(item.id))
        .map(|item| item.id)
        .collect();
    assert!(
        not_applicable_covered.is_empty(),
        "cases claim items the catalogue calls not applicable: {not_applicable_covered:?}"
    );
}

#[test]
fn no_case_is_stronger_than_what_it_covers() {
    let catalogue = catalogue();
    let cases = load(&catalogue);
    let mut wrong = Vec::new();
    for case in corpus(&cases) {
        for id in &case.spec.covers {
            let item = catalogue.item(id).expect("the loader checked covers");
            if strength(case.level()) > strength(item.level) {
                wrong.push(format!(
                    "{} is {} but covers {id} ({})",
                    case.id,
                    case.level(),
                    item.level
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_case_cites_a_documented_sentence() {
    let catalogue = catalogue();
    let cases = load(&catalogue);
    for case in corpus(&cases) {
        let source = &case.spec.source;
        // A primary source: a Tencent Cloud page, an official SDK file, or tccli's description;
        // never the project's own reference sheet.
        let cites_a_primary_source = ["page", "SDK", "tccli"]
            .iter()
            .any(|named| source.contains(named));
        assert!(
            cites_a_primary_source && source.contains(": ") && !source.contains("tencent-api.md"),
            "{}: the source must quote a primary page or SDK and say where it is: {source}",
            case.id
        );
    }
}

/// The UserId templates a step sends (`params.UserId`), as written.
fn user_id(step: &Step) -> Option<Value> {
    step.params.as_ref()?.get("UserId").cloned()
}

fn may_create_state(step: &Step) -> bool {
    if step.action == "ApplyConcurrent" {
        return true;
    }
    if step.action != "CreateSession" {
        return false;
    }
    let Some(expect) = &step.expect else {
        return true;
    };
    expect.success == Some(true)
        || expect
            .one_of
            .as_ref()
            .is_some_and(|codes| codes.iter().any(|c| c == "success"))
        || expect
            .tally
            .as_ref()
            .is_some_and(|tally| tally.contains_key("success"))
}

#[test]
fn cases_that_may_create_state_destroy_it() {
    let catalogue = catalogue();
    let cases = load(&catalogue);
    let mut wrong = Vec::new();
    for case in corpus(&cases) {
        let destroyed: Vec<Value> = case
            .spec
            .cleanup
            .iter()
            .filter(|s| s.action == "DestroySession")
            .filter_map(user_id)
            .collect();
        for step in case.spec.steps.iter().filter(|s| may_create_state(s)) {
            if let Some(user) = user_id(step)
                && !destroyed.contains(&user)
            {
                let line = format!("{}: no cleanup DestroySession for {user}", case.id);
                if !wrong.contains(&line) {
                    wrong.push(line);
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn mock_configuration_is_used_only_where_the_api_cannot_reach_the_state() {
    let catalogue = catalogue();
    let cases = load(&catalogue);
    let reach = reach();
    let needs_mock = |id: &String| {
        reach
            .get(id)
            .is_some_and(|r| r == "mock-config" || r == "mock-only")
    };
    for case in corpus(&cases) {
        let mock_only = case.mock_config().is_some();
        let any_needs = case.spec.covers.iter().any(needs_mock);
        assert_eq!(
            mock_only, any_needs,
            "{}: mock-only is {mock_only}, but it covers {:?}",
            case.id, case.spec.covers
        );
    }
}

#[test]
fn every_seed_code_has_a_case_of_its_own_in_business() {
    let catalogue = catalogue();
    let cases = load(&catalogue);
    let seed: Vec<&str> = catalogue
        .error_codes
        .iter()
        .filter(|c| c.origin == "business")
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(seed.len(), 14, "the seed page lists 14 codes");
    for code in seed {
        let has = cases
            .iter()
            .any(|c| c.id.starts_with("business/") && c.spec.covers.iter().any(|id| id == code));
        assert!(has, "no case under cases/business covers {code}");
    }
}

#[test]
fn the_predicates_tell_state_creating_steps_apart() {
    assert!(strength(Level::Must) > strength(Level::Should));
    let step: Step = serde_json::from_value(serde_json::json!({
        "action": "CreateSession", "params": {"UserId": "{{user_id}}"},
        "expect": {"one_of": ["success", "InvalidParameter"]}
    }))
    .unwrap();
    assert!(may_create_state(&step));
    let refused: Step = serde_json::from_value(serde_json::json!({
        "action": "CreateSession", "params": {"UserId": "{{user_id}}"},
        "expect": {"code": "MissingParameter"}
    }))
    .unwrap();
    assert!(!may_create_state(&refused));
    assert_eq!(user_id(&step), Some(Value::from("{{user_id}}")));
}
