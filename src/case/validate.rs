//! load: the checks a JSON schema cannot make — catalogue references, known error codes, template
//! variables and capture order, step shapes (params or body, one outcome), schema files that exist
//! and mock configurations the mock accepts. Each problem carries the JSON pointer it is about.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::diagnostic::did_you_mean;
use super::model::{CaseSpec, SUCCESS, SignVersion, Step};
use super::template::{self, Var, escape};
use crate::case::catalogue::Catalogue;
use crate::mock::Action;
use crate::mock::{ConfigError, MockConfig};

/// One problem in a case, at a JSON pointer of its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
    pub help: Option<String>,
}

impl Problem {
    fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
            help: None,
        }
    }

    fn help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }
}

/// What the checks compare against.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub catalogue: &'a Catalogue,
    /// Where `expect.schema` file names are looked up.
    pub schemas_dir: &'a Path,
}

/// Checks a case's references on its raw JSON (`base` is its pointer, e.g. `/cases/3`): catalogue
/// ids, error codes, template variables and capture order, schema names, the mock configuration.
/// Works on a case the schema refused too, so one pass reports as much as possible.
pub fn check_references(case: &Value, base: &str, ctx: Context<'_>) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (i, id) in array(case.get("covers")).iter().enumerate() {
        if let Some(id) = id.as_str()
            && ctx.catalogue.item(id).is_none()
        {
            problems.push(
                Problem::new(
                    format!("{base}/covers/{i}"),
                    format!("`{id}` is not in the catalogue (schemas/catalogue.json)"),
                )
                .help(did_you_mean(id, ctx.catalogue.ids())),
            );
        }
    }
    if let Some(mock) = case.pointer("/requires/mock")
        && let Err(message) = parse_mock(mock)
    {
        problems.push(Problem::new(
            format!("{base}/requires/mock"),
            message.to_string(),
        ));
    }
    let steps = array(case.get("steps"));
    let cleanup = array(case.get("cleanup"));
    // Captures defined so far, in step order; cleanup sees every step's captures.
    let mut captures: BTreeSet<String> = BTreeSet::new();
    for (i, step) in steps.iter().enumerate() {
        check_step_references(
            step,
            &format!("{base}/steps/{i}"),
            &captures,
            ctx,
            &mut problems,
        );
        captures.extend(captured(step));
    }
    captures.extend(cleanup.iter().flat_map(captured));
    for (i, step) in cleanup.iter().enumerate() {
        check_step_references(
            step,
            &format!("{base}/cleanup/{i}"),
            &captures,
            ctx,
            &mut problems,
        );
    }
    problems
}

fn array(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn captured(step: &Value) -> Vec<String> {
    step.pointer("/expect/capture")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Why a case's `requires.mock` is not a configuration of the mock.
#[derive(Debug, thiserror::Error)]
pub enum MockConfigError {
    /// A field the mock does not have, or a value of the wrong type.
    #[error("the mock does not accept this configuration: {0}")]
    Shape(#[source] serde_json::Error),
    #[error("mock configuration: {0}")]
    Invalid(#[source] ConfigError),
}

/// A case's `requires.mock` as the mock's configuration, or what is wrong with it.
pub fn parse_mock(mock: &Value) -> Result<MockConfig, MockConfigError> {
    let config: MockConfig =
        serde_json::from_value(mock.clone()).map_err(MockConfigError::Shape)?;
    config.validate().map_err(MockConfigError::Invalid)?;
    Ok(config)
}

fn check_step_references(
    step: &Value,
    pointer: &str,
    captures: &BTreeSet<String>,
    ctx: Context<'_>,
    problems: &mut Vec<Problem>,
) {
    check_templates(step, pointer, captures, problems);
    let expect_ptr = format!("{pointer}/expect");
    let Some(expect) = step.get("expect") else {
        return;
    };
    if let Some(code) = expect.get("code").and_then(Value::as_str) {
        check_code(code, &format!("{expect_ptr}/code"), ctx, problems);
    }
    for (i, code) in array(expect.get("one_of")).iter().enumerate() {
        if let Some(code) = code.as_str().filter(|c| *c != SUCCESS) {
            check_code(code, &format!("{expect_ptr}/one_of/{i}"), ctx, problems);
        }
    }
    if let Some(tally) = expect.get("tally").and_then(Value::as_object) {
        for code in tally.keys().filter(|k| *k != SUCCESS) {
            let at = format!("{expect_ptr}/tally/{}", escape(code));
            check_code(code, &at, ctx, problems);
        }
    }
    if let Some(schema) = expect.get("schema").and_then(Value::as_str)
        && schema != "auto"
        && schema != "none"
        && !schema_exists(ctx.schemas_dir, schema)
    {
        let known = schema_files(ctx.schemas_dir);
        let file = split_name(schema).0;
        problems.push(
            Problem::new(
                format!("{expect_ptr}/schema"),
                format!(
                    "`{schema}` is not \"auto\", \"none\" or a schema in {} (FILE or FILE#/POINTER)",
                    ctx.schemas_dir.display()
                ),
            )
            .help(did_you_mean(
                file,
                known.iter().map(String::as_str).chain(["auto", "none"]),
            )),
        );
    }
}

/// Checks what a schema-valid case's typed form must also satisfy: one of `params` and `body`,
/// exactly one outcome per `expect`, knobs that fit the step, copies where tallies need them.
pub fn check_shape(spec: &CaseSpec, base: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (i, step) in spec.steps.iter().enumerate() {
        check_step_shape(step, &format!("{base}/steps/{i}"), false, &mut problems);
    }
    for (i, step) in spec.cleanup.iter().enumerate() {
        check_step_shape(step, &format!("{base}/cleanup/{i}"), true, &mut problems);
    }
    problems
}

/// The v1 knobs go with `version: v1`, the TC3-only ones without it.
fn check_v1_knobs(step: &Step, pointer: &str, problems: &mut Vec<Problem>) {
    let sign = &step.sign;
    let v1_only = [
        ("method", sign.method.is_some()),
        ("omit_params", !sign.omit_params.is_empty()),
        (
            "signature_method_value",
            sign.signature_method_value.is_some(),
        ),
    ];
    let tc3_only = [
        ("scope_date_offset_days", sign.scope_date_offset_days != 0),
        ("service", sign.service.is_some()),
        ("authorization", sign.authorization.is_some()),
        (
            "body_changed_after_signing",
            sign.body_changed_after_signing,
        ),
        (
            "extra_signed_headers",
            !sign.extra_signed_headers.is_empty(),
        ),
        ("omit_signed_headers", !sign.omit_signed_headers.is_empty()),
        ("unsigned_payload", sign.unsigned_payload),
    ];
    let v1 = sign.version == SignVersion::V1;
    let (wrong, why) = if v1 {
        (
            &tc3_only[..],
            "is a TC3 knob; signature v1 has no headers to sign",
        )
    } else {
        (
            &v1_only[..],
            "is a signature v1 knob; add `\"version\": \"v1\"`",
        )
    };
    for (knob, set) in wrong {
        if *set {
            problems.push(Problem::new(
                format!("{pointer}/sign/{knob}"),
                format!("`{knob}` {why}"),
            ));
        }
    }
    if v1 && step.body.is_some() {
        problems.push(Problem::new(
            format!("{pointer}/body"),
            "signature v1 signs parameters; give `params`, not a raw `body`",
        ));
    }
    if v1 && !matches!(step.method.as_str(), "GET" | "POST") {
        problems.push(Problem::new(
            format!("{pointer}/method"),
            "signature v1 signs GET or POST requests",
        ));
    }
}

/// An action CAR does not have is almost always a typo (`CreateSesion`): refused with a "did you
/// mean", unless the step expects `InvalidAction`, which is how a case says it sends an unknown
/// action on purpose.
fn check_action_name(step: &Step, pointer: &str, problems: &mut Vec<Problem>) {
    if Action::from_name(&step.action).is_some() {
        return;
    }
    let on_purpose = step
        .expect
        .as_ref()
        .and_then(|expect| expect.outcome())
        .is_some_and(|outcome| outcome.accepts("InvalidAction"));
    if on_purpose {
        return;
    }
    let known: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
    problems.push(
        Problem::new(
            format!("{pointer}/action"),
            format!(
                "`{}` is not an action of CAR 2022-01-10 ({}); a step that sends an unknown \
                 action on purpose expects `InvalidAction`",
                step.action,
                known.join(", ")
            ),
        )
        .help(did_you_mean(&step.action, known.iter().copied())),
    );
}

fn check_step_shape(step: &Step, pointer: &str, cleanup: bool, problems: &mut Vec<Problem>) {
    if step.params.is_some() && step.body.is_some() {
        problems.push(Problem::new(
            format!("{pointer}/body"),
            "a step takes `params` or `body`, not both",
        ));
    }
    check_v1_knobs(step, pointer, problems);
    check_action_name(step, pointer, problems);
    if step.sign.body_changed_after_signing && step.method == "GET" && step.body.is_none() {
        problems.push(Problem::new(
            format!("{pointer}/sign/body_changed_after_signing"),
            "`body_changed_after_signing` needs a body, and this GET step sends none",
        ));
    }
    for (i, name) in step.sign.extra_signed_headers.iter().enumerate() {
        if name.eq_ignore_ascii_case("content-type") || name.eq_ignore_ascii_case("host") {
            problems.push(Problem::new(
                format!("{pointer}/sign/extra_signed_headers/{i}"),
                format!("`{name}` is always signed; list only further headers"),
            ));
        } else if !STANDARD_HEADERS
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
            && !step
                .headers
                .iter()
                .any(|(h, v)| h.eq_ignore_ascii_case(name) && !v.is_null())
        {
            problems.push(Problem::new(
                format!("{pointer}/sign/extra_signed_headers/{i}"),
                format!(
                    "`{name}` is not a header the request sends; give it a value in `headers`, or sign one of {}",
                    STANDARD_HEADERS.join(", ")
                ),
            ));
        }
    }
    let Some(expect) = &step.expect else {
        if !cleanup {
            problems.push(Problem::new(pointer, "a step needs `expect`"));
        }
        return;
    };
    let expect_ptr = format!("{pointer}/expect");
    let outcomes = [
        expect.success.is_some(),
        expect.code.is_some(),
        expect.one_of.is_some(),
        expect.tally.is_some(),
    ]
    .iter()
    .filter(|given| **given)
    .count();
    if outcomes != 1 {
        problems.push(Problem::new(
            &expect_ptr,
            format!(
                "`expect` needs exactly one of `success`, `code`, `one_of` or `tally` (found {outcomes})"
            ),
        ));
    }
    if expect.tally.is_some() && step.copies < 2 {
        problems.push(Problem::new(
            format!("{expect_ptr}/tally"),
            "`tally` counts copies; give the step `copies` of 2 or more",
        ));
    }
    if expect.snapshot && step.copies > 1 {
        problems.push(Problem::new(
            format!("{expect_ptr}/snapshot"),
            "`snapshot` needs a single request; this step sends copies",
        ));
    }
    if !expect.capture.is_empty() && step.copies > 1 {
        problems.push(Problem::new(
            format!("{expect_ptr}/capture"),
            "`capture` needs a single request; this step sends copies",
        ));
    }
}

/// Whether `name` (`file.json` or `file.json#/pointer`) is a schema in `dir`.
fn schema_exists(dir: &Path, name: &str) -> bool {
    let (file, fragment) = split_name(name);
    if file.contains(['/', '\\']) || !file.ends_with(".json") {
        return false;
    }
    let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
        return false;
    };
    let Ok(schema) = serde_json::from_str::<Value>(&text) else {
        return false;
    };
    schema.pointer(&fragment[1..]).is_some()
}

/// Headers every request sends (X-TC-Region and X-TC-Token when configured, the payload marker
/// with `unsigned_payload`), which `extra_signed_headers` may name without a value in `headers`.
const STANDARD_HEADERS: [&str; 6] = [
    "x-tc-action",
    "x-tc-timestamp",
    "x-tc-version",
    "x-tc-region",
    "x-tc-token",
    "x-tc-content-sha256",
];

fn check_code(code: &str, pointer: &str, ctx: Context<'_>, problems: &mut Vec<Problem>) {
    if !ctx.catalogue.is_error_code(code) {
        problems.push(
            Problem::new(
                pointer,
                format!("`{code}` is not an error code of the catalogue"),
            )
            .help(did_you_mean(code, ctx.catalogue.codes())),
        );
    }
}

fn check_templates(
    step: &Value,
    pointer: &str,
    captures: &BTreeSet<String>,
    problems: &mut Vec<Problem>,
) {
    let mut vars = Vec::new();
    let mut errors = Vec::new();
    if let Some(params) = step.get("params").and_then(Value::as_object) {
        for (key, value) in params {
            let at = format!("{pointer}/params/{}", escape(key));
            template::check_value(value, &at, &mut vars, &mut errors);
        }
    }
    // Values of other types are the schema's to report.
    let stringy = |v: &Value| v.is_string() || v.is_object();
    if let Some(body) = step.get("body").filter(|b| stringy(b)) {
        template::check_string_value(body, &format!("{pointer}/body"), &mut vars, &mut errors);
    }
    if let Some(headers) = step.get("headers").and_then(Value::as_object) {
        for (name, value) in headers.iter().filter(|(_, v)| stringy(v)) {
            let at = format!("{pointer}/headers/{}", escape(name));
            template::check_string_value(value, &at, &mut vars, &mut errors);
        }
    }
    if let Some(token) = step.pointer("/sign/token").filter(|t| t.is_string()) {
        template::check_value(
            token,
            &format!("{pointer}/sign/token"),
            &mut vars,
            &mut errors,
        );
    }
    for error in errors {
        problems.push(Problem::new(error.pointer, error.message).help(error.help));
    }
    for (at, var) in vars {
        if let Var::Capture(name) = var
            && !captures.contains(&name)
        {
            problems.push(
                Problem::new(
                    at,
                    format!("`{{{{capture.{name}}}}}` is not captured by an earlier step"),
                )
                .help(
                    did_you_mean(&name, captures.iter().map(String::as_str)).or_else(|| {
                        Some(
                            "capture it first: \"expect\": {\"capture\": {\"NAME\": \"/Response/...\"}}"
                                .to_owned(),
                        )
                    }),
                ),
            );
        }
    }
}

fn schema_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".schema.json"))
        .collect();
    names.sort();
    names
}

/// Splits `file.json#/pointer` into the file and the fragment (`#` for the root).
pub fn split_name(name: &str) -> (&str, String) {
    match name.split_once('#') {
        Some((file, pointer)) => (file, format!("#{pointer}")),
        None => (name, "#".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::model::CaseSpec;
    use serde_json::json;

    fn catalogue() -> Catalogue {
        serde_json::from_value(json!({
            "rules": [{"id": "param.user-id.required", "level": "must", "text": "t", "evidence": {"kind": "inferred", "reasoning": "r"}, "source": "s"}],
            "error_codes": [
                {"code": "MissingParameter", "origin": "common", "level": "must", "text": "t", "evidence": {"kind": "inferred", "reasoning": "r"}, "source": "s"},
                {"code": "FailedOperation.SlowDown", "origin": "business", "level": "must", "text": "t", "evidence": {"kind": "inferred", "reasoning": "r"}, "source": "s"}
            ]
        }))
        .unwrap()
    }

    fn problems(case: Value) -> Vec<Problem> {
        let catalogue = catalogue();
        let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        let ctx = Context {
            catalogue: &catalogue,
            schemas_dir: &schemas,
        };
        let mut found = check_references(&case, "/cases/0", ctx);
        if let Ok(spec) = serde_json::from_value::<CaseSpec>(case) {
            found.extend(check_shape(&spec, "/cases/0"));
        }
        found.sort_by(|a, b| a.pointer.cmp(&b.pointer));
        found
    }

    fn base(steps: Value) -> Value {
        json!({"name": "a", "title": "t", "level": "must", "source": "s",
               "covers": ["param.user-id.required"], "steps": steps})
    }

    #[test]
    fn a_good_case_has_no_problems() {
        let case = base(json!([
            {"action": "ApplyConcurrent", "params": {"UserId": "{{user_id}}"},
             "expect": {"success": true, "capture": {"s": "/Response/RequestId"}}},
            {"action": "CreateSession", "params": {"UserId": "{{capture.s}}"},
             "expect": {"code": "MissingParameter", "schema": "response.error.schema.json"}},
            {"action": "CreateSession",
             "expect": {"success": true, "schema": "response.success.schema.json#/$defs/CreateSession"}},
            {"action": "CreateSession", "copies": 2,
             "expect": {"tally": {"success": 1, "FailedOperation.SlowDown": 1}}}
        ]));
        assert_eq!(problems(case), vec![]);
    }

    #[test]
    fn unknown_references_are_reported_with_suggestions() {
        let mut case = base(json!([
            {"action": "CreateSession", "params": {"UserId": "{{capture.later}}"},
             "expect": {"code": "MissingParameters", "schema": "response.eror.schema.json"}},
            {"action": "CreateSession", "expect": {"success": true, "schema": "response.success.schema.json#/$defs/Nope"}},
            {"action": "CreateSession", "expect": {"success": true, "capture": {"later": "/x"}}}
        ]));
        case["covers"] = json!(["param.user-id.requird"]);
        let found = problems(case);
        let summary: Vec<(&str, Option<&str>)> = found
            .iter()
            .map(|p| (p.pointer.as_str(), p.help.as_deref()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    "/cases/0/covers/0",
                    Some("did you mean `param.user-id.required`?")
                ),
                (
                    "/cases/0/steps/0/expect/code",
                    Some("did you mean `MissingParameter`?")
                ),
                (
                    "/cases/0/steps/0/expect/schema",
                    Some("did you mean `response.error.schema.json`?")
                ),
                (
                    "/cases/0/steps/0/params/UserId",
                    Some(
                        "capture it first: \"expect\": {\"capture\": {\"NAME\": \"/Response/...\"}}"
                    )
                ),
                (
                    "/cases/0/steps/1/expect/schema",
                    Some("did you mean `response.success.schema.json`?")
                ),
            ]
        );
    }

    #[test]
    fn a_misspelt_action_is_refused_with_a_suggestion_unless_invalid_action_is_expected() {
        let case = base(json!([
            {"action": "CreateSesion", "expect": {"success": true}},
            {"action": "CreateSessionX", "expect": {"code": "InvalidAction"}},
            {"action": "DescribeInstances", "expect": {"one_of": ["InvalidAction", "UnsupportedOperation"]}}
        ]));
        let found = problems(case);
        let summary: Vec<(&str, Option<&str>)> = found
            .iter()
            .filter(|p| p.pointer.ends_with("/action"))
            .map(|p| (p.pointer.as_str(), p.help.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [(
                "/cases/0/steps/0/action",
                Some("did you mean `CreateSession`?")
            )]
        );
    }

    #[test]
    fn step_shape_problems_are_reported() {
        let case = base(json!([
            {"action": "CreateSession", "params": {}, "body": "x", "expect": {"success": true, "code": "MissingParameter"}},
            {"action": "CreateSession", "method": "GET", "sign": {"body_changed_after_signing": true, "extra_signed_headers": ["Host", "X-Unknown"]},
             "expect": {"tally": {"success": 1}, "capture": {"x": "/a"}}},
            {"action": "CreateSession"}
        ]));
        let pointers: Vec<String> = problems(case).into_iter().map(|p| p.pointer).collect();
        assert_eq!(
            pointers,
            [
                "/cases/0/steps/0/body",
                "/cases/0/steps/0/expect",
                "/cases/0/steps/1/expect/tally",
                "/cases/0/steps/1/sign/body_changed_after_signing",
                "/cases/0/steps/1/sign/extra_signed_headers/0",
                "/cases/0/steps/1/sign/extra_signed_headers/1",
                "/cases/0/steps/2",
            ]
        );
    }

    #[test]
    fn signature_v1_knobs_go_with_version_v1_only() {
        let case = base(json!([
            {"action": "CreateSession", "sign": {"version": "v1", "method": "HmacSHA256", "omit_params": ["Nonce"]},
             "expect": {"success": true}},
            {"action": "CreateSession", "sign": {"method": "HmacSHA1", "signature_method_value": "X"},
             "expect": {"success": true}},
            {"action": "CreateSession", "method": "PUT", "body": "x",
             "sign": {"version": "v1", "unsigned_payload": true, "authorization": "missing"},
             "expect": {"success": true}}
        ]));
        let pointers: Vec<String> = problems(case).into_iter().map(|p| p.pointer).collect();
        assert_eq!(
            pointers,
            [
                "/cases/0/steps/1/sign/method",
                "/cases/0/steps/1/sign/signature_method_value",
                "/cases/0/steps/2/body",
                "/cases/0/steps/2/method",
                "/cases/0/steps/2/sign/authorization",
                "/cases/0/steps/2/sign/unsigned_payload",
            ]
        );
    }

    #[test]
    fn cleanup_may_use_any_capture_and_omit_expect() {
        let mut case = base(json!([
            {"action": "CreateSession", "expect": {"success": true, "capture": {"s": "/Response/ServerSession"}}}
        ]));
        case["cleanup"] = json!([{"action": "DestroySession", "params": {"S": "{{capture.s}}"}}]);
        assert_eq!(problems(case), vec![]);
    }

    #[test]
    fn the_case_schema_describes_every_mock_field() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/case.schema.json");
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let described: BTreeSet<&String> = schema["$defs"]["mock_config"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        let config = serde_json::to_value(MockConfig::default()).unwrap();
        let fields: BTreeSet<&String> = config.as_object().unwrap().keys().collect();
        assert_eq!(described, fields);
    }

    #[test]
    fn bad_mock_configurations_are_reported() {
        let mut case = base(json!([{"action": "CreateSession", "expect": {"success": true}}]));
        case["requires"] =
            json!({"mock": {"concurency_quota": 1, "faults": [{"action": "Nope", "code": "X"}]}});
        let found = problems(case);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].pointer, "/cases/0/requires/mock");
    }
}
