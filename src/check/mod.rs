//! check: judges one answer against a step's `expect` — HTTP status, Content-Type, JSON body,
//! outcome (success, a code or a set of codes), schema and latency — collecting every failure
//! instead of stopping at the first. Tallies over copies, snapshots and captures build on this.

pub mod levels;
pub mod schema;
pub mod snapshot;

use std::collections::BTreeMap;

use serde_json::Value;

pub use schema::SchemaSet;

use crate::case::model::SUCCESS;
use crate::case::{Count, Expect, ExpectedOutcome};
use crate::outcome::FailureKind;
use crate::send::Received;

/// What one answer showed.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub failures: Vec<FailureKind>,
    /// `success` or the error code, when the body is an API 3.0 answer.
    pub outcome: Option<String>,
    /// The parsed body, when it is JSON.
    pub body: Option<Value>,
}

/// Why a JSON answer has no API 3.0 outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoOutcome {
    #[error("the body has no `Response` object")]
    NoResponse,
    #[error("`Response.Error` has no string `Code`")]
    NoErrorCode,
}

/// Why a capture (`expect.capture`) found no value in the answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    #[error("the answer is not JSON")]
    NotJson,
    #[error("expected a string or number, found {found}")]
    NotAStringOrNumber { found: String },
    #[error("the answer has nothing there")]
    Nothing,
}

/// The outcome of an API 3.0 answer: `success`, or `Response.Error.Code`.
pub fn outcome_of(body: &Value) -> Result<String, NoOutcome> {
    let response = body
        .get("Response")
        .and_then(Value::as_object)
        .ok_or(NoOutcome::NoResponse)?;
    match response.get("Error") {
        None => Ok(SUCCESS.to_owned()),
        Some(error) => error
            .get("Code")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(NoOutcome::NoErrorCode),
    }
}

/// Whether `actual` (a Content-Type header) satisfies `expected`: media types compared without
/// parameters, unless `expected` has parameters, then the whole value (spaces ignored).
pub fn content_type_matches(expected: &str, actual: &str) -> bool {
    let squash = |s: &str| -> String {
        s.split(';')
            .map(|part| part.trim().to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(";")
    };
    if expected.contains(';') {
        squash(expected) == squash(actual)
    } else {
        actual
            .split(';')
            .next()
            .is_some_and(|media| media.trim().eq_ignore_ascii_case(expected.trim()))
    }
}

/// Whether `actual` is exactly `expected`, parameters included (case and spaces around `;`
/// ignored): what a step that names its Content-Type asks for, since the official Python SDK
/// reads an error body only under exactly `application/json` (a charset breaks it).
pub fn content_type_is(expected: &str, actual: &str) -> bool {
    let squash = |s: &str| -> Vec<String> {
        s.split(';')
            .map(|part| part.trim().to_ascii_lowercase())
            .collect()
    };
    squash(expected) == squash(actual)
}

/// Judges one answer to `action` against `expect` (a tally is judged over all copies later by
/// [`judge_tally`]; here each copy only has to end in one of the outcomes it names).
pub fn judge(expect: &Expect, action: &str, received: &Received, schemas: &SchemaSet) -> Judged {
    let mut failures = Vec::new();
    if received.status != expect.status() {
        failures.push(FailureKind::Status {
            expected: expect.status(),
            actual: received.status,
        });
    }
    let content_type = received.header("content-type");
    // The default expectation compares media types only; a Content-Type the step names must be
    // exact, so a case can require `application/json` without a charset.
    let content_type_ok = |actual: &str| match &expect.content_type {
        Some(named) => content_type_is(named, actual),
        None => content_type_matches(expect.content_type(), actual),
    };
    if !content_type.is_some_and(content_type_ok) {
        failures.push(FailureKind::ContentType {
            expected: expect.content_type().to_owned(),
            actual: content_type.map(str::to_owned),
        });
    }
    let body = match serde_json::from_slice::<Value>(&received.body) {
        Ok(body) => Some(body),
        Err(error) => {
            failures.push(FailureKind::Body {
                error: crate::send::hostile::not_json(received, &error),
            });
            None
        }
    };
    let outcome = body.as_ref().map(outcome_of);
    if let Some(expected) = expect.outcome() {
        let actual = match &outcome {
            Some(Ok(actual)) => Some(actual.clone()),
            Some(Err(problem)) => {
                failures.push(FailureKind::Outcome {
                    expected: expected.to_string(),
                    actual: problem.to_string(),
                });
                None
            }
            None => None,
        };
        if let Some(actual) = actual
            && !expected.accepts(&actual)
        {
            failures.push(FailureKind::Outcome {
                expected: match &expected {
                    ExpectedOutcome::Tally(tally) => {
                        let keys: Vec<&str> = tally.keys().map(String::as_str).collect();
                        format!("one of {}", keys.join(", "))
                    }
                    other => other.to_string(),
                },
                actual,
            });
        }
    }
    if let Some(body) = &body
        && expect.schema() != "none"
    {
        let name = schemas.pick(expect.schema(), action, body);
        let violations = schemas.validate(&name, body);
        if !violations.is_empty() {
            failures.push(FailureKind::Schema {
                schema: name,
                violations,
            });
        }
    }
    // Only a documented budget (or the step's own) is judged; other actions are timed only.
    if let Some(budget) = crate::plan::budget::judged_latency(action, expect.latency_ms) {
        let budget_ms = u64::try_from(budget.as_millis()).unwrap_or(u64::MAX);
        let actual_ms = u64::try_from(received.latency.as_millis()).unwrap_or(u64::MAX);
        if actual_ms > budget_ms {
            failures.push(FailureKind::Latency {
                budget_ms,
                actual_ms,
            });
        }
    }
    Judged {
        failures,
        outcome: outcome.and_then(Result::ok),
        body,
    }
}

/// Counts the copies' outcomes (`None`: no API answer, counted as `no answer`) and compares
/// them with the tally; outcomes the tally does not name must not occur.
pub fn judge_tally(
    tally: &BTreeMap<String, Count>,
    outcomes: &[Option<String>],
) -> Option<FailureKind> {
    let mut actual: BTreeMap<String, u32> = BTreeMap::new();
    for outcome in outcomes {
        let key = outcome.clone().unwrap_or_else(|| "no answer".to_owned());
        *actual.entry(key).or_default() += 1;
    }
    let named_ok = tally
        .iter()
        .all(|(key, count)| count.contains(actual.get(key).copied().unwrap_or(0)));
    let nothing_else = actual.keys().all(|key| tally.contains_key(key));
    (!(named_ok && nothing_else)).then(|| FailureKind::Tally {
        expected: ExpectedOutcome::Tally(tally.clone()).to_string(),
        actual,
    })
}

/// Resolves a capture: a string or number at `pointer` of the answer.
pub fn capture(body: Option<&Value>, pointer: &str) -> Result<String, CaptureError> {
    let body = body.ok_or(CaptureError::NotJson)?;
    match body.pointer(pointer) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(other) => Err(CaptureError::NotAStringOrNumber {
            found: other.to_string(),
        }),
        None => Err(CaptureError::Nothing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use serde_json::json;
    use std::path::Path;
    use std::time::Duration;

    fn schemas() -> SchemaSet {
        SchemaSet::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas"), []).unwrap()
    }

    fn received(status: u16, content_type: &str, body: Value, latency_ms: u64) -> Received {
        Received {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: Bytes::from(body.to_string()),
            latency: Duration::from_millis(latency_ms),
        }
    }

    fn expect(value: Value) -> Expect {
        serde_json::from_value(value).unwrap()
    }

    const UUID: &str = "fcf4146f-64d3-496c-88dc-d12f832de313";

    #[test]
    fn a_matching_error_answer_passes() {
        let answer = json!({"Response": {"Error": {"Code": "MissingParameter", "Message": "m"}, "RequestId": UUID}});
        let judged = judge(
            &expect(json!({"code": "MissingParameter"})),
            "CreateSession",
            &received(200, "application/json", answer, 10),
            &schemas(),
        );
        assert_eq!(judged.failures, vec![]);
        assert_eq!(judged.outcome.as_deref(), Some("MissingParameter"));
    }

    #[test]
    fn latency_is_judged_against_the_action_s_documented_budget_only() {
        let answer = json!({"Response": {"RequestId": UUID}});
        let judge_ms = |action: &str, ms: u64| {
            judge(
                &expect(json!({"success": true, "schema": "none"})),
                action,
                &received(200, "application/json", answer.clone(), ms),
                &schemas(),
            )
            .failures
        };
        assert_eq!(
            judge_ms("CreateSession", 5_001),
            vec![FailureKind::Latency {
                budget_ms: 5_000,
                actual_ms: 5_001
            }]
        );
        assert_eq!(judge_ms("ApplyConcurrent", 7_000), vec![]);
        assert!(matches!(
            judge_ms("ApplyConcurrent", 20_001)[..],
            [FailureKind::Latency {
                budget_ms: 20_000,
                ..
            }]
        ));
        assert_eq!(judge_ms("DestroySession", 60_000), vec![]);
    }

    #[test]
    fn every_failure_of_an_answer_is_collected() {
        let answer = json!({"Response": {"Error": {"Code": "InternalError"}, "RequestId": "x"}});
        let judged = judge(
            &expect(json!({"success": true, "latency_ms": 5})),
            "CreateSession",
            &received(500, "text/html", answer, 9),
            &schemas(),
        );
        let kinds: Vec<&str> = judged
            .failures
            .iter()
            .map(|f| match f {
                FailureKind::Status { .. } => "status",
                FailureKind::ContentType { .. } => "content_type",
                FailureKind::Outcome { .. } => "outcome",
                FailureKind::Schema { .. } => "schema",
                FailureKind::Latency { .. } => "latency",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            ["status", "content_type", "outcome", "schema", "latency"]
        );
    }

    #[test]
    fn non_json_bodies_are_failures() {
        let mut r = received(200, "application/json", json!(null), 1);
        r.body = Bytes::from_static(b"<html>");
        let judged = judge(
            &expect(json!({"success": true})),
            "CreateSession",
            &r,
            &schemas(),
        );
        assert!(matches!(judged.failures[..], [FailureKind::Body { .. }]));
        assert_eq!(judged.body, None);
    }

    #[test]
    fn content_types_compare_media_types_unless_parameters_are_expected() {
        assert!(content_type_matches(
            "application/json",
            "application/json; charset=utf-8"
        ));
        assert!(content_type_matches("application/json", "Application/JSON"));
        assert!(!content_type_matches("application/json", "text/plain"));
        assert!(content_type_matches(
            "application/json;charset=utf-8",
            "application/json; charset=UTF-8"
        ));
        assert!(!content_type_matches(
            "application/json; charset=utf-8",
            "application/json"
        ));
        assert!(content_type_is("application/json", "Application/JSON"));
        assert!(!content_type_is(
            "application/json",
            "application/json; charset=utf-8"
        ));
        assert!(content_type_is(
            "application/json;charset=utf-8",
            "application/json; charset=UTF-8"
        ));
    }

    #[test]
    fn a_named_content_type_must_be_exact_the_default_only_the_media_type() {
        let answer = json!({"Response": {"RequestId": "5b6a0c8e-55f4-4b2a-9d0e-2b1f1d3c4e5f"}});
        let with_charset = received(200, "application/json; charset=utf-8", answer, 1);
        let failed = |expectation: Value| {
            judge(
                &expect(expectation),
                "ApplyConcurrent",
                &with_charset,
                &schemas(),
            )
            .failures
            .iter()
            .any(|f| matches!(f, FailureKind::ContentType { .. }))
        };
        assert!(!failed(json!({"success": true})));
        assert!(failed(
            json!({"success": true, "content_type": "application/json"})
        ));
        assert!(!failed(
            json!({"success": true, "content_type": "application/json; charset=utf-8"})
        ));
    }

    #[test]
    fn one_of_and_schema_none() {
        let answer = json!({"Response": {"Error": {"Code": "InternalError", "Message": "m"}, "RequestId": "bad"}});
        let judged = judge(
            &expect(json!({"one_of": ["InternalError", "FailedOperation"], "schema": "none"})),
            "CreateSession",
            &received(200, "application/json", answer, 1),
            &schemas(),
        );
        assert_eq!(judged.failures, vec![]);
    }

    #[test]
    fn tallies_count_named_outcomes_and_refuse_others() {
        let tally: BTreeMap<String, Count> =
            serde_json::from_value(json!({"success": 1, "FailedOperation.SlowDown": {"min": 1}}))
                .unwrap();
        let ok = [
            Some("success".into()),
            Some("FailedOperation.SlowDown".into()),
            Some("FailedOperation.SlowDown".into()),
        ];
        assert_eq!(judge_tally(&tally, &ok), None);
        let two_successes = [Some("success".into()), Some("success".into())];
        assert!(judge_tally(&tally, &two_successes).is_some());
        let other = [
            Some("success".into()),
            Some("FailedOperation.SlowDown".into()),
            None,
        ];
        match judge_tally(&tally, &other) {
            Some(FailureKind::Tally { actual, .. }) => {
                assert_eq!(actual.get("no answer"), Some(&1))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn captures_read_strings_and_numbers() {
        let body = json!({"Response": {"ServerSession": "s", "N": 3, "O": {}}});
        assert_eq!(
            capture(Some(&body), "/Response/ServerSession"),
            Ok("s".into())
        );
        assert_eq!(capture(Some(&body), "/Response/N"), Ok("3".into()));
        assert_eq!(
            capture(Some(&body), "/Response/O"),
            Err(CaptureError::NotAStringOrNumber { found: "{}".into() })
        );
        assert_eq!(
            capture(Some(&body), "/Response/X"),
            Err(CaptureError::Nothing)
        );
        assert_eq!(capture(None, "/Response"), Err(CaptureError::NotJson));
    }
}
