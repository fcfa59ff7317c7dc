//! The data behind the check and report steps: the request and response schemas that `check`
//! validates bodies against, and the catalogue that `report` counts coverage against. Every schema
//! must compile, agree with the documentation's own examples and reject the broken inputs it exists
//! to catch; the catalogue must validate, keep its ids unique and its levels honest to the source.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use jsonschema::{Validator, ValidatorMap};
use rstest::rstest;
use serde_json::{Value, json};

/// The schema files this test owns (other schemas in `schemas/` belong to the runner).
const OWN_SCHEMAS: &[&str] = &[
    "createsession.request.schema.json",
    "applyconcurrent.request.schema.json",
    "destroysession.request.schema.json",
    "describeconcurrentcount.request.schema.json",
    "response.success.schema.json",
    "response.error.schema.json",
    "response.request-id-uuid.schema.json",
    "response.error-only.schema.json",
    "catalogue.schema.json",
];

/// Actions with a subschema `#/$defs/<Action>` in response.success.schema.json.
const SUCCESS_ACTIONS: &[&str] = &[
    "CreateSession",
    "ApplyConcurrent",
    "DestroySession",
    "DescribeConcurrentCount",
];

/// Section 6 of the CreateSession page, verbatim: the 14 business codes and their descriptions.
const SEED_CODES: [(&str, &str); 14] = [
    ("FailedOperation", "Operation failed."),
    (
        "FailedOperation.LockTimeout",
        "Concurrency quota not requested or request timed out.",
    ),
    ("FailedOperation.PathNotFound", "Failed to find the path."),
    ("FailedOperation.ProcessTimeout", "Processing timed out."),
    (
        "FailedOperation.SlowDown",
        "The request of the current UserId is being processed. Try again later.",
    ),
    ("InternalError", "Internal error."),
    ("InvalidParameter.JsonParseError", "JSON parsing error."),
    ("InvalidParameterValue", "Invalid parameter value."),
    (
        "LimitExceeded.Role",
        "[Multi-person Interaction] The number of persons corresponding to a role exceeds the limit.",
    ),
    ("OperationDenied", "Operation denied."),
    ("ResourceNotFound.NoIdle", "No available concurrency quota."),
    (
        "ResourceNotFound.SessionNotFound",
        "Unable to find the session.",
    ),
    (
        "ResourceUnavailable.Initialization",
        "It is being initialized.",
    ),
    (
        "UnsupportedOperation.Stopping",
        "The session is being terminated.",
    ),
];

/// The CAR Error Codes page, Common Error Codes: the common error codes of API 3.0.
const COMMON_CODES: [&str; 38] = [
    "ActionOffline",
    "AuthFailure.InvalidAuthorization",
    "AuthFailure.InvalidSecretId",
    "AuthFailure.MFAFailure",
    "AuthFailure.SecretIdNotFound",
    "AuthFailure.SignatureExpire",
    "AuthFailure.SignatureFailure",
    "AuthFailure.TokenFailure",
    "AuthFailure.UnauthorizedOperation",
    "DryRunOperation",
    "FailedOperation",
    "InternalError",
    "InvalidAction",
    "InvalidParameter",
    "InvalidParameterValue",
    "InvalidRequest",
    "IpInBlacklist",
    "IpNotInWhitelist",
    "LimitExceeded",
    "MissingParameter",
    "NoSuchProduct",
    "NoSuchVersion",
    "RequestLimitExceeded",
    "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
    "RequestLimitExceeded.IPLimitExceeded",
    "RequestLimitExceeded.UinLimitExceeded",
    "RequestSizeLimitExceeded",
    "ResourceInUse",
    "ResourceInsufficient",
    "ResourceNotFound",
    "ResourceUnavailable",
    "ResponseSizeLimitExceeded",
    "ServiceUnavailable",
    "UnauthorizedOperation",
    "UnknownParameter",
    "UnsupportedOperation",
    "UnsupportedProtocol",
    "UnsupportedRegion",
];

/// Items resting on something no primary page settles (a lock duration, a role limit, the status of
/// an error); none may be `must`.
const UNCONFIRMED: &[&str] = &[
    "auth.timestamp.future",
    "rule.role.limit",
    "LimitExceeded.Role",
    "rule.lock.expired",
    "param.user-ip.format",
    "param.user-ip.empty",
    "response.http-status.error",
];

/// Contract points the response schemas enforce. The check step applies the schemas in cases of
/// every level, so these items must be `must`, or a `should` fact would fail `must` cases.
const SCHEMA_ENFORCED: &[&str] = &[
    "response.envelope",
    "response.request-id.present",
    "response.server-session",
    "response.error.code",
    "response.error.message",
];

/// Points the response schemas must not judge: the API description does not state them, so they
/// are `info` observations at most (a schema applies at its item's level).
const NOT_SCHEMA_ENFORCED: &[&str] = &[
    "response.request-id.uuid",
    "response.error.no-success-fields",
];

fn schemas_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

fn load(name: &str) -> Value {
    let path = schemas_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn compile(name: &str) -> Validator {
    jsonschema::draft202012::options()
        .build(&load(name))
        .unwrap_or_else(|e| panic!("{name} does not compile: {e}"))
}

fn success_map() -> ValidatorMap {
    jsonschema::draft202012::options()
        .build_map(&load("response.success.schema.json"))
        .unwrap_or_else(|e| panic!("response.success.schema.json does not compile: {e}"))
}

/// Every validation error of `instance`, one line each, with instance and schema paths.
fn errors(validator: &Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| {
            format!(
                "{} at {} (schema {})",
                e,
                e.instance_path(),
                e.schema_path()
            )
        })
        .collect()
}

fn assert_valid(validator: &Validator, instance: &Value) {
    let errs = errors(validator, instance);
    assert!(
        errs.is_empty(),
        "{instance} should be valid:\n{}",
        errs.join("\n")
    );
}

fn assert_invalid(validator: &Validator, instance: &Value) {
    assert!(
        !validator.is_valid(instance),
        "{instance} should be rejected"
    );
}

// ---------------------------------------------------------------- every schema

/// A property schema that declares what it is (`type`, `$ref`, `enum`) must say why too; overlays
/// that only tighten a property declared elsewhere, and `const` conditions of `if`, need none.
fn undocumented(schema: &Value, at: &str, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(props)) = map.get("properties") {
                for (name, sub) in props {
                    let declares = ["type", "$ref", "enum"]
                        .iter()
                        .any(|k| sub.get(k).is_some());
                    if declares && sub.get("description").is_none() {
                        out.push(format!("{at}/properties/{name}"));
                    }
                }
            }
            for (key, sub) in map {
                undocumented(sub, &format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, sub) in items.iter().enumerate() {
                undocumented(sub, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[rstest]
fn schema_is_valid_draft_2020_12_documented_and_compiles(
    #[values(
        "createsession.request.schema.json",
        "applyconcurrent.request.schema.json",
        "destroysession.request.schema.json",
        "describeconcurrentcount.request.schema.json",
        "response.success.schema.json",
        "response.error.schema.json",
        "catalogue.schema.json"
    )]
    name: &str,
) {
    assert!(OWN_SCHEMAS.contains(&name));
    let schema = load(name);
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "{name} must declare draft 2020-12"
    );
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        panic!("{name} is not a valid 2020-12 schema: {e}");
    }
    for key in ["title", "description"] {
        assert!(schema[key].is_string(), "{name} has no {key}");
    }
    let mut missing = Vec::new();
    undocumented(&schema, "#", &mut missing);
    assert!(
        missing.is_empty(),
        "{name}: properties without description: {missing:?}"
    );
    let validator = compile(name);
    // The examples a schema carries for editors must be valid against it.
    for example in schema["examples"].as_array().into_iter().flatten() {
        assert_valid(&validator, example);
    }
}

#[test]
fn schema_checks_catch_broken_schemas() {
    let misspelt_type =
        json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "strnig"});
    assert!(jsonschema::draft202012::meta::validate(&misspelt_type).is_err());
    let undocumented_property = json!({"properties": {"UserId": {"type": "string"}}});
    let mut missing = Vec::new();
    undocumented(&undocumented_property, "#", &mut missing);
    assert_eq!(missing, vec!["#/properties/UserId".to_owned()]);
}

// ---------------------------------------------------------------- CreateSession request

/// The seed page's Input Example.
fn seed_request() -> Value {
    json!({"UserIp": "125.127.178.228", "ClientSession": "eyJhYmMiOjEyM30=", "UserId": "cg_user"})
}

fn with(mut base: Value, key: &str, value: Value) -> Value {
    base[key] = value;
    base
}

fn without(mut base: Value, key: &str) -> Value {
    if let Some(map) = base.as_object_mut() {
        map.remove(key);
    }
    base
}

#[rstest]
#[case::seed_example(seed_request())]
#[case::run_mode_empty(with(seed_request(), "RunMode", json!("")))]
#[case::run_without_client_no_session(without(with(seed_request(), "RunMode", json!("RunWithoutClient")), "ClientSession"))]
#[case::run_without_client_empty_session(with(with(seed_request(), "RunMode", json!("RunWithoutClient")), "ClientSession", json!("")))]
#[case::application_parameters(with(seed_request(), "ApplicationParameters", json!("foo=1")))]
#[case::host(with(with(seed_request(), "HostUserId", json!("cg_user")), "Role", json!("Player")))]
#[case::guest_viewer(with(with(seed_request(), "HostUserId", json!("host")), "Role", json!("Viewer")))]
#[case::host_without_role(with(seed_request(), "HostUserId", json!("cg_user")))]
#[case::unicode_user_id(with(seed_request(), "UserId", json!("用户-é")))]
fn request_schema_accepts(#[case] request: Value) {
    assert_valid(&compile("createsession.request.schema.json"), &request);
}

#[rstest]
#[case::missing_user_id(without(seed_request(), "UserId"))]
#[case::missing_user_ip(without(seed_request(), "UserIp"))]
#[case::user_id_number(with(seed_request(), "UserId", json!(123)))]
#[case::user_id_null(with(seed_request(), "UserId", Value::Null))]
#[case::role_lower_case(with(with(seed_request(), "HostUserId", json!("h")), "Role", json!("player")))]
#[case::role_padded(with(with(seed_request(), "HostUserId", json!("h")), "Role", json!(" Viewer")))]
#[case::role_without_host_user_id(with(seed_request(), "Role", json!("Player")))]
#[case::run_mode_lower_case(with(seed_request(), "RunMode", json!("runwithoutclient")))]
#[case::run_mode_trailing_space(with(seed_request(), "RunMode", json!("RunWithoutClient ")))]
#[case::no_client_session(without(seed_request(), "ClientSession"))]
#[case::empty_client_session(with(seed_request(), "ClientSession", json!("")))]
#[case::empty_client_session_default_mode(with(with(seed_request(), "ClientSession", json!("")), "RunMode", json!("")))]
#[case::unknown_parameter(with(seed_request(), "ProjectId", json!("cap-1")))]
#[case::misspelt_parameter(with(without(seed_request(), "UserId"), "userId", json!("cg_user")))]
#[case::not_an_object(json!(["cg_user"]))]
fn request_schema_rejects(#[case] request: Value) {
    assert_invalid(&compile("createsession.request.schema.json"), &request);
}

#[rstest]
#[case::apply_concurrent("applyconcurrent.request.schema.json", json!({"UserId": "u", "UserIp": "1.2.3.4", "ProjectId": "cap-1"}), json!({"UserId": "u", "UserIp": "1.2.3.4"}))]
#[case::destroy_session("destroysession.request.schema.json", json!({"UserId": "u"}), json!({"UserId": "u", "UserIp": "1.2.3.4"}))]
#[case::describe_concurrent_count("describeconcurrentcount.request.schema.json", json!({"ApplicationCategory": "DESKTOP"}), json!({"ApplicationCategory": "desktop"}))]
fn other_request_schemas(#[case] name: &str, #[case] good: Value, #[case] bad: Value) {
    let validator = compile(name);
    assert_valid(&validator, &good);
    assert_invalid(&validator, &bad);
}

// ---------------------------------------------------------------- responses

/// The seed page's Output Example.
fn seed_response() -> Value {
    json!({"Response": {"ServerSession": "eyJ4dHoiOjc4OX0=", "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}})
}

fn error_response() -> Value {
    json!({"Response": {
        "Error": {"Code": "FailedOperation.LockTimeout", "Message": "Concurrency quota not requested or request timed out."},
        "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"
    }})
}

#[test]
fn success_schema_has_a_subschema_per_action() {
    let map = success_map();
    for action in SUCCESS_ACTIONS {
        let key = format!("#/$defs/{action}");
        assert!(map.get(&key).is_some(), "no {key}");
    }
    assert!(map.get("#/$defs/NoSuchAction").is_none());
}

#[rstest]
#[case::seed_example(seed_response())]
#[case::upper_case_request_id(json!({"Response": {"ServerSession": "s", "RequestId": "FCF4146F-64D3-496C-88DC-D12F832DE313"}}))]
#[case::undocumented_output_field(json!({"Response": {"ServerSession": "s", "Extra": 1, "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}))]
#[case::request_id_not_a_uuid(json!({"Response": {"ServerSession": "s", "RequestId": "abc"}}))]
#[case::request_id_without_dashes(json!({"Response": {"ServerSession": "s", "RequestId": "fcf4146f64d3496c88dcd12f832de313"}}))]
fn create_session_success_accepts(#[case] response: Value) {
    let map = success_map();
    let validator = map.get("#/$defs/CreateSession").expect("subschema");
    assert_valid(validator, &response);
    assert_valid(map.get("#").expect("root"), &response);
}

#[rstest]
#[case::empty_server_session(json!({"Response": {"ServerSession": "", "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}))]
#[case::missing_server_session(json!({"Response": {"RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}))]
#[case::server_session_number(json!({"Response": {"ServerSession": 7, "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}))]
#[case::request_id_empty(json!({"Response": {"ServerSession": "s", "RequestId": ""}}))]
#[case::request_id_number(json!({"Response": {"ServerSession": "s", "RequestId": 7}}))]
#[case::request_id_missing(json!({"Response": {"ServerSession": "s"}}))]
#[case::extra_top_level_key(with(seed_response(), "RequestId", json!("fcf4146f-64d3-496c-88dc-d12f832de313")))]
#[case::error_inside(json!({"Response": {"ServerSession": "s", "Error": {"Code": "InternalError", "Message": "m"}, "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}))]
#[case::not_wrapped(json!({"ServerSession": "s", "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}))]
fn create_session_success_rejects(#[case] response: Value) {
    let map = success_map();
    assert_invalid(
        map.get("#/$defs/CreateSession").expect("subschema"),
        &response,
    );
}

#[test]
fn generic_and_other_action_successes() {
    let map = success_map();
    let bare = json!({"Response": {"RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}});
    for key in ["#", "#/$defs/ApplyConcurrent", "#/$defs/DestroySession"] {
        assert_valid(map.get(key).expect(key), &bare);
        assert_invalid(map.get(key).expect(key), &error_response());
    }
    let count = map
        .get("#/$defs/DescribeConcurrentCount")
        .expect("subschema");
    assert_invalid(count, &bare);
    assert_valid(
        count,
        &json!({"Response": {"Total": 10, "Running": 3, "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}),
    );
    assert_invalid(
        count,
        &json!({"Response": {"Total": -1, "Running": 3, "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}),
    );
}

#[rstest]
#[case::documented_shape(error_response())]
#[case::deep_code(json!({"Response": {"Error": {"Code": "RequestLimitExceeded.IPLimitExceeded", "Message": "m"}, "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}))]
#[case::chinese_message(json!({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "签名验证失败"}, "RequestId": "FCF4146F-64D3-496C-88DC-D12F832DE313"}}))]
#[case::request_id_not_a_uuid(json!({"Response": {"Error": {"Code": "InternalError", "Message": "m"}, "RequestId": "abc"}}))]
#[case::undocumented_field_inside(json!({"Response": {"Error": {"Code": "InternalError", "Message": "m"}, "Hint": "h", "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}))]
fn error_schema_accepts(#[case] response: Value) {
    assert_valid(&compile("response.error.schema.json"), &response);
}

#[rstest]
#[case::missing_message(json!({"Response": {"Error": {"Code": "InternalError"}, "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}))]
#[case::empty_message(json!({"Response": {"Error": {"Code": "InternalError", "Message": ""}, "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}))]
#[case::missing_code(json!({"Response": {"Error": {"Message": "m"}, "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}))]
#[case::numeric_code(json!({"Response": {"Error": {"Code": 4000, "Message": "m"}, "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}))]
#[case::code_with_space(json!({"Response": {"Error": {"Code": "Failed Operation", "Message": "m"}, "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}))]
#[case::code_lower_case(json!({"Response": {"Error": {"Code": "failedOperation", "Message": "m"}, "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}))]
#[case::code_trailing_dot(json!({"Response": {"Error": {"Code": "FailedOperation.", "Message": "m"}, "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}}))]
#[case::request_id_empty(json!({"Response": {"Error": {"Code": "InternalError", "Message": "m"}, "RequestId": ""}}))]
#[case::request_id_missing(json!({"Response": {"Error": {"Code": "InternalError", "Message": "m"}}}))]
#[case::extra_top_level_key(with(error_response(), "Error", json!({"Code": "InternalError", "Message": "m"})))]
#[case::a_success(seed_response())]
fn error_schema_rejects(#[case] response: Value) {
    assert_invalid(&compile("response.error.schema.json"), &response);
}

#[test]
fn request_id_uuid_schema_reports_only_the_shape() {
    let uuid = compile("response.request-id-uuid.schema.json");
    assert_valid(&uuid, &seed_response());
    assert_valid(&uuid, &error_response());
    assert_valid(
        &uuid,
        &json!({"Response": {"RequestId": "FCF4146F-64D3-496C-88DC-D12F832DE313", "Extra": 1}}),
    );
    assert_invalid(&uuid, &json!({"Response": {"RequestId": "abc"}}));
    let error_only = compile("response.error-only.schema.json");
    assert_valid(&error_only, &error_response());
    assert_invalid(
        &error_only,
        &json!({"Response": {"Error": {"Code": "InternalError", "Message": "m"}, "ServerSession": "s", "RequestId": "r"}}),
    );
    assert_invalid(
        &uuid,
        &json!({"Response": {"RequestId": "fcf4146f64d3496c88dcd12f832de313"}}),
    );
}

// ---------------------------------------------------------------- catalogue

fn item_id(item: &Value) -> &str {
    item["id"]
        .as_str()
        .or_else(|| item["code"].as_str())
        .unwrap_or("<no id>")
}

fn items(catalogue: &Value, key: &str) -> Vec<Value> {
    catalogue[key].as_array().cloned().unwrap_or_default()
}

/// Cross-checks the catalogue schema cannot express. Returns every problem found.
fn catalogue_problems(catalogue: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let rules = items(catalogue, "rules");
    let codes = items(catalogue, "error_codes");

    let mut seen = BTreeSet::new();
    for item in rules.iter().chain(&codes) {
        if !seen.insert(item_id(item).to_owned()) {
            problems.push(format!("duplicate id {}", item_id(item)));
        }
    }

    let by_code: BTreeMap<&str, &Value> = codes.iter().map(|c| (item_id(c), c)).collect();
    for rule in &rules {
        for code in rule["codes"].as_array().into_iter().flatten() {
            let code = code.as_str().unwrap_or_default();
            match by_code.get(code) {
                None => problems.push(format!("{} names unknown code {code}", item_id(rule))),
                Some(entry) if entry.get("not_applicable").is_some() => problems.push(format!(
                    "{} names not-applicable code {code}",
                    item_id(rule)
                )),
                Some(_) => {}
            }
        }
    }

    let rule_ids: BTreeSet<&str> = rules.iter().map(item_id).collect();
    for item in rules.iter().chain(&codes) {
        for key in ["how", "note", "not_applicable"] {
            for named in rule_ids_named(item[key].as_str().unwrap_or_default()) {
                if !rule_ids.contains(named) {
                    problems.push(format!(
                        "{}: {key} names unknown rule {named}",
                        item_id(item)
                    ));
                }
            }
        }
    }

    for id in SCHEMA_ENFORCED {
        if !rules.iter().any(|r| item_id(r) == *id) {
            problems.push(format!("schema-enforced rule {id} missing"));
        }
    }

    for (code, description) in SEED_CODES {
        match by_code.get(code) {
            None => problems.push(format!("seed code {code} missing")),
            Some(entry) => {
                if entry["origin"] != "business" {
                    problems.push(format!("seed code {code} is not origin business"));
                }
                if entry["text"] != description {
                    problems.push(format!("seed code {code}: text differs from the seed page"));
                }
                if entry.get("not_applicable").is_some() {
                    problems.push(format!("seed code {code} marked not applicable"));
                }
            }
        }
    }
    let seed: BTreeSet<&str> = SEED_CODES.iter().map(|(c, _)| *c).collect();
    for code in COMMON_CODES {
        match by_code.get(code) {
            None => problems.push(format!("common code {code} missing")),
            Some(entry) if !seed.contains(code) && entry["origin"] != "common" => {
                problems.push(format!("common code {code} is not origin common"))
            }
            Some(_) => {}
        }
    }
    for code in by_code.keys() {
        if !seed.contains(code) && !COMMON_CODES.contains(code) {
            problems.push(format!(
                "code {code} is neither on the seed page nor common"
            ));
        }
    }

    for item in rules.iter().chain(&codes) {
        let id = item_id(item);
        let must = item["level"] == "must";
        if (item["level"] == "must" || item["level"] == "should")
            && item["evidence"]["kind"] != "documented"
        {
            problems.push(format!(
                "{id} is {} without documented evidence",
                item["level"].as_str().unwrap_or_default()
            ));
        }
        if item["level"] != "info" && NOT_SCHEMA_ENFORCED.contains(&id) {
            problems.push(format!(
                "{id} is not stated by the API description but is not info"
            ));
        }
        if !must && SCHEMA_ENFORCED.contains(&id) {
            problems.push(format!(
                "{id} is enforced by the response schemas but is not must"
            ));
        }
        if must && UNCONFIRMED.contains(&id) {
            problems.push(format!("{id} rests on something unconfirmed but is must"));
        }
        let says_unconfirmed = ["text", "source", "note"].iter().any(|k| {
            item[*k]
                .as_str()
                .is_some_and(|s| s.to_lowercase().contains("unconfirmed"))
        });
        if must && says_unconfirmed {
            problems.push(format!("{id} calls itself unconfirmed but is must"));
        }
        if must && item["reach"] == "mock-only" {
            problems.push(format!(
                "{id} is reached only by fault injection but is must"
            ));
        }
        let source = item["source"].as_str().unwrap_or_default();
        let names_a_primary_source = ["page", "SDK", "tccli"]
            .iter()
            .any(|named| source.contains(named));
        if !names_a_primary_source || !source.contains(": ") {
            problems.push(format!("{id}: source does not quote a named document"));
        }
        if source.contains("tencent-api.md") {
            problems.push(format!(
                "{id}: source cites the project's own reference sheet"
            ));
        }
    }
    problems
}

/// Rule ids a prose field names, e.g. "(rule.lock.required)"; patterns such as `param.*.type` are
/// left out.
fn rule_ids_named(text: &str) -> Vec<&str> {
    let in_id = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-*".contains(c);
    text.split(|c: char| !in_id(c))
        .map(|word| word.trim_end_matches(['.', '-']))
        .filter(|word| {
            ["param.", "rule.", "auth.", "gateway.", "response."]
                .iter()
                .any(|area| word.starts_with(area))
                && !word.contains('*')
        })
        .collect()
}

fn catalogue() -> Value {
    load("catalogue.json")
}

#[test]
fn catalogue_validates_against_its_schema() {
    let errs = errors(&compile("catalogue.schema.json"), &catalogue());
    assert!(errs.is_empty(), "catalogue.json:\n{}", errs.join("\n"));
}

#[test]
fn catalogue_cross_checks_pass() {
    let problems = catalogue_problems(&catalogue());
    assert!(
        problems.is_empty(),
        "catalogue.json:\n{}",
        problems.join("\n")
    );
}

#[test]
fn catalogue_covers_every_area() {
    let catalogue = catalogue();
    for area in ["param.", "rule.", "auth.", "gateway.", "response."] {
        assert!(
            items(&catalogue, "rules")
                .iter()
                .any(|r| item_id(r).starts_with(area)),
            "no {area}* rule"
        );
    }
}

/// Applies `edit` to a copy of the catalogue and returns the problems that copy has.
fn problems_after(edit: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut copy = catalogue();
    edit(&mut copy);
    catalogue_problems(&copy)
}

fn find<'a>(catalogue: &'a mut Value, id: &str) -> &'a mut Value {
    let position =
        |key: &str, catalogue: &Value| items(catalogue, key).iter().position(|i| item_id(i) == id);
    if let Some(i) = position("rules", catalogue) {
        &mut catalogue["rules"][i]
    } else if let Some(i) = position("error_codes", catalogue) {
        &mut catalogue["error_codes"][i]
    } else {
        panic!("no item {id}")
    }
}

fn push(catalogue: &mut Value, key: &str, item: Value) {
    if let Some(list) = catalogue[key].as_array_mut() {
        list.push(item);
    }
}

fn remove(catalogue: &mut Value, code: &str) {
    if let Some(list) = catalogue["error_codes"].as_array_mut() {
        list.retain(|c| item_id(c) != code);
    }
}

#[rstest]
#[case::duplicate_id(
    |c: &mut Value| { let copy = find(c, "param.user-id.required").clone(); push(c, "rules", copy) },
    "duplicate id param.user-id.required"
)]
#[case::unknown_code(
    |c: &mut Value| find(c, "rule.lock.required")["codes"] = json!(["FailedOperation.LockTimeOut"]),
    "rule.lock.required names unknown code FailedOperation.LockTimeOut"
)]
#[case::not_applicable_code(
    |c: &mut Value| find(c, "rule.lock.required")["codes"] = json!(["ResourceInUse"]),
    "rule.lock.required names not-applicable code ResourceInUse"
)]
#[case::seed_code_missing(
    |c: &mut Value| remove(c, "OperationDenied"),
    "seed code OperationDenied missing"
)]
#[case::seed_code_as_common(
    |c: &mut Value| find(c, "FailedOperation.SlowDown")["origin"] = json!("common"),
    "seed code FailedOperation.SlowDown is not origin business"
)]
#[case::seed_text_changed(
    |c: &mut Value| find(c, "InternalError")["text"] = json!("Server error."),
    "seed code InternalError: text differs from the seed page"
)]
#[case::common_code_missing(
    |c: &mut Value| remove(c, "UnsupportedRegion"),
    "common code UnsupportedRegion missing"
)]
#[case::common_code_as_business(
    |c: &mut Value| find(c, "NoSuchVersion")["origin"] = json!("business"),
    "common code NoSuchVersion is not origin common"
)]
#[case::stray_code(
    |c: &mut Value| { let mut copy = find(c, "InvalidAction").clone(); copy["code"] = json!("InvalidActionX"); push(c, "error_codes", copy) },
    "code InvalidActionX is neither on the seed page nor common"
)]
#[case::unconfirmed_future_timestamp_as_must(
    |c: &mut Value| find(c, "auth.timestamp.future")["level"] = json!("must"),
    "auth.timestamp.future rests on something unconfirmed but is must"
)]
#[case::unconfirmed_error_status_as_must(
    |c: &mut Value| find(c, "response.http-status.error")["level"] = json!("must"),
    "response.http-status.error rests on something unconfirmed but is must"
)]
#[case::self_declared_unconfirmed_as_must(
    |c: &mut Value| { let r = find(c, "gateway.method.get"); r["note"] = json!("Unconfirmed."); },
    "gateway.method.get calls itself unconfirmed but is must"
)]
#[case::schema_enforced_as_should(
    |c: &mut Value| find(c, "response.request-id.present")["level"] = json!("should"),
    "response.request-id.present is enforced by the response schemas but is not must"
)]
#[case::uuid_shape_judged(
    |c: &mut Value| find(c, "response.request-id.uuid")["level"] = json!("should"),
    "response.request-id.uuid is not stated by the API description but is not info"
)]
#[case::must_on_inference(
    |c: &mut Value| find(c, "rule.lock.required")["evidence"] = json!({"kind": "inferred", "reasoning": "r"}),
    "rule.lock.required is must without documented evidence"
)]
#[case::source_cites_own_sheet(
    |c: &mut Value| find(c, "param.user-id.required")["source"] = json!("tencent-api.md section 4: \"MissingParameter\""),
    "param.user-id.required: source cites the project's own reference sheet"
)]
#[case::schema_enforced_missing(
    |c: &mut Value| find(c, "response.server-session")["id"] = json!("response.server-session.present"),
    "schema-enforced rule response.server-session missing"
)]
#[case::how_names_unknown_rule(
    |c: &mut Value| find(c, "FailedOperation.SlowDown")["how"] = json!("See rule.slowdown."),
    "FailedOperation.SlowDown: how names unknown rule rule.slowdown"
)]
#[case::fault_injected_as_must(
    |c: &mut Value| find(c, "OperationDenied")["level"] = json!("must"),
    "OperationDenied is reached only by fault injection but is must"
)]
#[case::source_without_document(
    |c: &mut Value| find(c, "param.user-id.required")["source"] = json!("the docs"),
    "param.user-id.required: source does not quote a named document"
)]
fn catalogue_cross_checks_catch(#[case] edit: fn(&mut Value), #[case] expected: &str) {
    let problems = problems_after(edit);
    assert!(
        problems.iter().any(|p| p == expected),
        "expected {expected:?} among {problems:?}"
    );
}

#[rstest]
#[case::not_applicable_must(|c: &mut Value| find(c, "ActionOffline")["level"] = json!("must"))]
#[case::not_applicable_with_reach(|c: &mut Value| find(c, "ActionOffline")["reach"] = json!("request"))]
#[case::applicable_without_reach(|c: &mut Value| { if let Some(m) = find(c, "InvalidAction").as_object_mut() { m.remove("reach"); } })]
#[case::applicable_without_how(|c: &mut Value| { if let Some(m) = find(c, "InvalidAction").as_object_mut() { m.remove("how"); } })]
#[case::unknown_reach(|c: &mut Value| find(c, "InvalidAction")["reach"] = json!("fault"))]
#[case::upper_case_level(|c: &mut Value| find(c, "param.user-id.required")["level"] = json!("MUST"))]
#[case::id_outside_areas(|c: &mut Value| find(c, "param.user-id.required")["id"] = json!("params.user-id.required"))]
#[case::id_not_kebab(|c: &mut Value| find(c, "param.user-id.required")["id"] = json!("param.userId.required"))]
#[case::id_without_dot(|c: &mut Value| find(c, "param.user-id.required")["id"] = json!("param"))]
#[case::unknown_field(|c: &mut Value| find(c, "param.user-id.required")["severity"] = json!("high"))]
#[case::empty_text(|c: &mut Value| find(c, "param.user-id.required")["text"] = json!(""))]
#[case::bad_code_in_rule(|c: &mut Value| find(c, "rule.lock.required")["codes"] = json!(["lock timeout"]))]
#[case::unknown_origin(|c: &mut Value| find(c, "InvalidAction")["origin"] = json!("gateway"))]
#[case::missing_error_codes(|c: &mut Value| { if let Some(m) = c.as_object_mut() { m.remove("error_codes"); } })]
#[case::missing_evidence(|c: &mut Value| { if let Some(m) = find(c, "InvalidAction").as_object_mut() { m.remove("evidence"); } })]
#[case::should_on_inference(|c: &mut Value| find(c, "param.user-id.type")["evidence"] = json!({"kind": "inferred", "reasoning": "r"}))]
#[case::evidence_from_own_sheet(|c: &mut Value| find(c, "param.user-id.required")["evidence"]["url"] = json!("https://example.com/tencent-api.md"))]
#[case::evidence_unknown_kind(|c: &mut Value| find(c, "param.user-id.empty")["evidence"] = json!({"kind": "rumoured", "reasoning": "r"}))]
fn catalogue_schema_rejects(#[case] edit: fn(&mut Value)) {
    let mut copy = catalogue();
    edit(&mut copy);
    assert_invalid(&compile("catalogue.schema.json"), &copy);
}
