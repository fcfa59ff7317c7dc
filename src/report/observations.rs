//! report: the observations recorder (`run --record-observations FILE`) — a run's answers as a
//! committable file (`case::observations`): per case and step the action and the normalised
//! answer (the error code, or the field names and JSON types of a success). Every value is
//! dropped, not masked, so no SecretKey, signature, token, UserId, RequestId, ClientSession,
//! ServerSession or message can reach it; target-made names and codes are checked and capped.
//! Sorted throughout, so a re-recording diffs cleanly. Reads a [`RunReport`] only, so `compare
//! --oracle` can record its oracle's run the same way.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::RunReport;
use super::atomic::write_atomic;
use crate::case::observations::{
    Answer, CaseObservation, FORMAT_VERSION, Observations, ObservedSuite, ObservedTarget, Shape,
    StepObservation,
};
use crate::outcome::{Exchange, StepRef};

/// Deepest nesting and most fields or element shapes kept of one answer: a hostile target must
/// not turn a committed file into megabytes.
const MAX_DEPTH: usize = 8;
const MAX_FIELDS: usize = 64;
/// Longest field name or code kept; a longer one is target noise, not an API name.
const MAX_NAME: usize = 64;
/// What stands for a field name or code that is not one (it may carry an echoed value).
pub const NOT_A_NAME: &str = "<not a name>";
/// The key that says fields or element shapes were left out.
pub const MORE: &str = "<more>";

/// The observations of `report`'s run; `region` is the X-TC-Region it sent.
pub fn record(report: &RunReport, region: Option<&str>) -> Observations {
    let mut cases: Vec<CaseObservation> = report
        .cases
        .iter()
        .filter(|o| !o.exchanges.is_empty())
        .map(|o| CaseObservation {
            case: o.id.clone(),
            steps: steps(&o.exchanges),
        })
        .collect();
    cases.sort_by(|a, b| a.case.cmp(&b.case));
    Observations {
        schema: None,
        format_version: FORMAT_VERSION,
        target: ObservedTarget {
            name: report.target.name.clone(),
            kind: report.target.kind.to_owned(),
            local: url::Url::parse(&report.target.url)
                .map_or(true, |url| crate::plan::is_loopback(&url)),
            region: region.map(str::to_owned),
        },
        date: report.started_at.get(..10).unwrap_or_default().to_owned(),
        suite: ObservedSuite {
            version: report.suite.version.to_owned(),
            fingerprint: report.fingerprint.as_ref().map(|f| f.sha256.clone()),
        },
        cases,
    }
}

/// One entry per step (copies merged, their answers sorted), steps before cleanup steps.
fn steps(exchanges: &[Exchange]) -> Vec<StepObservation> {
    let mut by_step: BTreeMap<(bool, usize), StepObservation> = BTreeMap::new();
    for exchange in exchanges {
        let StepRef {
            phase,
            index,
            label,
            ..
        } = &exchange.step;
        let cleanup = *phase == "cleanup";
        let entry = by_step
            .entry((cleanup, *index))
            .or_insert_with(|| StepObservation {
                step: format!(
                    "{}step {}",
                    if cleanup { "cleanup " } else { "" },
                    index + 1
                ),
                label: label.clone(),
                // An empty action is what a case about the header sent, not a name to hide.
                action: action(exchange).map(|a| match a.is_empty() {
                    true => a,
                    false => Names::default().name(&a),
                }),
                answers: Vec::new(),
            });
        entry.answers.push(answer(exchange));
    }
    by_step
        .into_values()
        .map(|mut step| {
            step.answers.sort();
            step
        })
        .collect()
}

/// The action the request named: X-TC-Action, else v1's `Action` in the query or form body.
fn action(exchange: &Exchange) -> Option<String> {
    let request = &exchange.request;
    if let Some((_, value)) = request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-tc-action"))
    {
        return Some(value.clone());
    }
    let query = url::Url::parse(&request.url)
        .ok()
        .and_then(|u| u.query().map(str::to_owned))
        .unwrap_or_default();
    [query.as_str(), request.body.text.as_str()]
        .into_iter()
        .flat_map(|text| url::form_urlencoded::parse(text.as_bytes()))
        .find(|(key, _)| key == "Action")
        .map(|(_, value)| value.into_owned())
}

/// The answer with its values dropped: what two targets are compared on (the same code, or a
/// success with the same shape) as well as what a file records.
pub fn answer(exchange: &Exchange) -> Answer {
    let Some(response) = &exchange.response else {
        return Answer::NoAnswer;
    };
    let status = response.status;
    if response.body.truncated {
        return Answer::Cut { status };
    }
    let envelope = serde_json::from_str::<Value>(&response.body.text).ok();
    let Some(Value::Object(fields)) = envelope.as_ref().and_then(|v| v.get("Response")) else {
        return Answer::NotJson { status };
    };
    let names = Names::sent_in(&exchange.request);
    match fields.get("Error").and_then(|e| e.get("Code")) {
        Some(Value::String(code)) => Answer::Error {
            status,
            code: names.name(code),
        },
        Some(_) => Answer::Error {
            status,
            code: NOT_A_NAME.to_owned(),
        },
        None => Answer::Success {
            status,
            shape: names.object_shape(fields, 1),
        },
    }
}

/// Values shorter than this are not looked for in names: `Player` or a project id fragment
/// could be part of a real field name, while a UserId or ClientSession is longer.
const MIN_SENT: usize = 8;

/// What the request sent (its parameters' string values), which a name must not carry: a target
/// echoing the UserId as a field name or code would put a per-run value in the file.
#[derive(Default)]
struct Names {
    sent: Vec<String>,
}

impl Names {
    fn sent_in(request: &crate::outcome::RequestRecord) -> Self {
        let mut sent = Vec::new();
        if let Ok(body) = serde_json::from_str::<Value>(&request.body.text) {
            strings(&body, &mut sent);
        }
        let query = url::Url::parse(&request.url)
            .ok()
            .and_then(|u| u.query().map(str::to_owned))
            .unwrap_or_default();
        for text in [query.as_str(), request.body.text.as_str()] {
            sent.extend(url::form_urlencoded::parse(text.as_bytes()).map(|(_, v)| v.into_owned()));
        }
        sent.retain(|v| v.len() >= MIN_SENT);
        Self { sent }
    }

    /// A field name or code as recorded: kept when it looks like one of the API's names
    /// (`FailedOperation.LockTimeout`, `RequestId`) and carries nothing the request sent nor
    /// a known secret, else [`NOT_A_NAME`].
    fn name(&self, text: &str) -> String {
        let plain = !text.is_empty()
            && text.len() <= MAX_NAME
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        let echoed = self.sent.iter().any(|v| text.contains(v.as_str()));
        if plain && !echoed && crate::redact::scrub(text) == text {
            text.to_owned()
        } else {
            NOT_A_NAME.to_owned()
        }
    }

    fn object_shape(
        &self,
        fields: &serde_json::Map<String, Value>,
        depth: usize,
    ) -> BTreeMap<String, Shape> {
        let mut shape = BTreeMap::new();
        for (key, value) in fields {
            if shape.len() == MAX_FIELDS {
                shape.insert(MORE.to_owned(), Shape::Type("omitted".to_owned()));
                break;
            }
            shape.insert(self.name(key), self.value_shape(value, depth + 1));
        }
        shape
    }

    fn value_shape(&self, value: &Value, depth: usize) -> Shape {
        let kind = |name: &str| Shape::Type(name.to_owned());
        match value {
            Value::Null => kind("null"),
            Value::Bool(_) => kind("boolean"),
            Value::Number(n) if n.is_i64() || n.is_u64() => kind("integer"),
            Value::Number(_) => kind("number"),
            Value::String(_) => kind("string"),
            _ if depth >= MAX_DEPTH => kind("omitted"),
            Value::Object(fields) => Shape::Object(self.object_shape(fields, depth)),
            Value::Array(items) => {
                let mut shapes: Vec<Shape> = items
                    .iter()
                    .map(|v| self.value_shape(v, depth + 1))
                    .collect();
                shapes.sort();
                shapes.dedup();
                if shapes.len() > MAX_FIELDS {
                    shapes.truncate(MAX_FIELDS);
                    shapes.push(kind("omitted"));
                }
                Shape::Array(shapes)
            }
        }
    }
}

/// Every string in `value`.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(fields) => fields.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// The file's text: pretty JSON with a trailing newline, and a last sweep for `secrets` (the
/// SecretKey, the token) should one ever slip past the normalising.
pub fn render(observations: &Observations, secrets: &[String]) -> String {
    let text = serde_json::to_string_pretty(observations).unwrap_or_default() + "\n";
    super::bundle::scrub(crate::redact::scrub(&text).into_owned(), secrets)
}

/// Writes the observations atomically (a temporary file, then a rename).
pub fn write(path: &Path, observations: &Observations, secrets: &[String]) -> std::io::Result<()> {
    write_atomic(path, render(observations, secrets).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::outcome::{BodyRecord, RequestRecord, ResponseRecord, Status};
    use crate::report::fixtures::{outcome, report};

    fn exchange(phase: &'static str, index: usize, copy: Option<u32>, body: &str) -> Exchange {
        Exchange {
            step: StepRef {
                phase,
                index,
                label: "create".into(),
                copy,
            },
            request: RequestRecord {
                method: "POST".into(),
                url: "http://127.0.0.1:1/".into(),
                headers: vec![("X-TC-Action".into(), "CreateSession".into())],
                body: BodyRecord::new(br#"{"UserId": "carconf-1-2"}"#),
            },
            response: Some(ResponseRecord {
                status: 200,
                headers: vec![],
                body: BodyRecord::new(body.as_bytes()),
                latency_ms: 3,
            }),
            error: None,
        }
    }

    const SESSION: &str = r#"{"Response": {"ServerSession": "c2VydmVyLXNlY3JldA==", "RoleNumber": "1", "Role": "Player",
        "Count": 2, "Ratio": 0.5, "Ok": true, "Gone": null, "Items": [{"Name": "a"}, {"Name": "b"}, 3],
        "RequestId": "6b3a1f7e-7b1c-4a43-9d7a-0c8e6c1b2a9f"}}"#;

    #[test]
    fn answers_keep_codes_and_types_and_drop_every_value() {
        let mut case = outcome("business/a", Level::Must, Status::Passed);
        case.exchanges = vec![
            exchange("steps", 0, None, SESSION),
            exchange(
                "steps",
                1,
                None,
                r#"{"Response": {"Error": {"Code": "FailedOperation.LockTimeout", "Message": "UserId carconf-1-2"}, "RequestId": "r"}}"#,
            ),
            exchange("cleanup", 0, None, "<html>"),
            exchange("cleanup", 1, None, "<html>"),
            exchange("cleanup", 2, None, &" ".repeat(BodyRecord::SHOWN + 1)),
        ];
        case.exchanges[2].response = None;
        let mut run = report(vec![case], 100.0, None);
        run.started_at = "2026-11-29T15:00:00Z".into();
        let recorded = record(&run, Some("ap-guangzhou"));
        assert_eq!(recorded.date, "2026-11-29");
        assert!(
            recorded.target.local,
            "the test report's target is 127.0.0.1"
        );
        assert_eq!(recorded.target.region.as_deref(), Some("ap-guangzhou"));
        let steps = &recorded.cases[0].steps;
        let names: Vec<&str> = steps.iter().map(|s| s.step.as_str()).collect();
        assert_eq!(
            names,
            [
                "step 1",
                "step 2",
                "cleanup step 1",
                "cleanup step 2",
                "cleanup step 3"
            ]
        );
        assert_eq!(steps[0].action.as_deref(), Some("CreateSession"));
        let shape = serde_json::to_value(&steps[0].answers[0]).unwrap();
        assert_eq!(
            shape,
            serde_json::json!({"outcome": "success", "status": 200, "shape": {
                "Count": "integer", "Gone": "null", "Items": ["integer", {"Name": "string"}],
                "Ok": "boolean", "Ratio": "number", "RequestId": "string", "Role": "string",
                "RoleNumber": "string", "ServerSession": "string"}})
        );
        assert_eq!(steps[1].answers[0].summary(), "FailedOperation.LockTimeout");
        assert_eq!(steps[2].answers, [Answer::NoAnswer]);
        assert_eq!(steps[3].answers, [Answer::NotJson { status: 200 }]);
        // Blank padding parses as nothing once cut: the answer is unknown, not "not JSON".
        assert_eq!(steps[4].answers, [Answer::Cut { status: 200 }]);
        let text = render(&recorded, &[]);
        for value in [
            "c2VydmVyLXNlY3JldA",
            "6b3a1f7e",
            "carconf-1-2",
            "Player",
            "0.5",
        ] {
            assert!(!text.contains(value), "{value} in {text}");
        }
    }

    #[test]
    fn copies_are_one_step_with_sorted_answers_and_the_output_is_stable() {
        let slow =
            r#"{"Response": {"Error": {"Code": "FailedOperation.SlowDown"}, "RequestId": "x"}}"#;
        let ok = r#"{"Response": {"RequestId": "y"}}"#;
        let mut one = outcome("flow/copies", Level::Must, Status::Passed);
        one.exchanges = vec![
            exchange("steps", 0, Some(0), ok),
            exchange("steps", 0, Some(1), slow),
        ];
        let mut other = one.clone();
        other.exchanges.reverse();
        let first = render(&record(&report(vec![one], 1.0, None), None), &[]);
        let second = render(&record(&report(vec![other], 1.0, None), None), &[]);
        assert_eq!(first, second, "the order copies finished in does not show");
        let parsed: Observations = serde_json::from_str(&first).unwrap();
        assert_eq!(parsed.cases[0].steps.len(), 1);
        assert_eq!(parsed.cases[0].steps[0].answers.len(), 2);
    }

    #[test]
    fn target_made_names_and_codes_that_are_not_names_are_replaced() {
        let hostile = format!(
            r#"{{"Response": {{"carconf-1-2 \u001b[31m": 1, "{}": 2, "RequestId": "r"}}}}"#,
            "K".repeat(65)
        );
        let mut case = outcome("a/b", Level::Info, Status::Failed);
        case.exchanges = vec![
            exchange("steps", 0, None, &hostile),
            exchange(
                "steps",
                1,
                None,
                r#"{"Response": {"Error": {"Code": "token=abc def"}}}"#,
            ),
            exchange("steps", 2, None, r#"{"Response": {"Error": {"Code": 7}}}"#),
            exchange(
                "steps",
                3,
                None,
                r#"{"Response": {"Error": {"Code": "InvalidParameter.carconf-1-2"}, "carconf-1-2": 1}}"#,
            ),
        ];
        let recorded = record(&report(vec![case], 1.0, None), None);
        let steps = &recorded.cases[0].steps;
        let Answer::Success { shape, .. } = &steps[0].answers[0] else {
            panic!("a success")
        };
        assert_eq!(
            shape.keys().collect::<Vec<_>>(),
            [NOT_A_NAME, "RequestId"],
            "both odd names fold into one"
        );
        assert_eq!(steps[1].answers[0].summary(), NOT_A_NAME);
        assert_eq!(steps[2].answers[0].summary(), NOT_A_NAME);
        // A plain-looking code or field carrying the UserId the request sent.
        assert_eq!(steps[3].answers[0].summary(), NOT_A_NAME);
    }

    #[test]
    fn the_last_sweep_removes_known_secrets() {
        let mut recorded = record(&report(vec![], 1.0, None), None);
        recorded.target.name = "hostWithsecretKEY12345".into();
        let text = render(&recorded, &["secretKEY12345".to_owned()]);
        assert!(!text.contains("secretKEY12345"), "{text}");
        assert!(text.contains("hostWith<redacted>"), "{text}");
    }
}
