//! Tests of the defect catalogue: names, lookup, and — for every defect — a witness: a short
//! request sequence whose answers differ between the reference mock and the mock with the defect,
//! so no defect can be a no-op whatever the corpus does.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::*;
use crate::mock::action::Action;
use crate::mock::{App, MockConfig, RequestView, TEST_SECRET_ID, TEST_SECRET_KEY};
use crate::sign::{
    ALGORITHM, Credentials, SignRequest, SigningKey, credential_scope, sign, string_to_sign,
    utc_date,
};

#[test]
fn names_are_unique_kebab_case_and_described() {
    assert!(DEFECTS.len() >= 25);
    for defect in DEFECTS {
        let name = defect.name;
        assert_eq!(
            DEFECTS.iter().filter(|d| d.name == name).count(),
            1,
            "{name}"
        );
        assert!(
            !name.starts_with('-')
                && !name.ends_with('-')
                && !name.contains("--")
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{name} is not kebab-case"
        );
        assert!(!defect.description.is_empty() && !defect.description.contains('\n'));
        assert!(!defect.catchers.is_empty(), "{name} declares no catcher");
        assert!(
            !defect.off.is_empty() || defect.flaw.is_some(),
            "{name} changes nothing"
        );
    }
}

#[test]
fn every_area_has_defects() {
    for area in [
        Area::Signature,
        Area::Parameters,
        Area::State,
        Area::Response,
        Area::RateLimit,
    ] {
        assert!(DEFECTS.iter().any(|d| d.area == area), "{area:?}");
    }
}

#[test]
fn unknown_names_list_close_ones() {
    assert_eq!(lookup("no-rate-limit").map(|d| d.name), Ok("no-rate-limit"));
    let error = lookup("scope-date-not-chekced").unwrap_err();
    assert_eq!(error.close.first(), Some(&"scope-date-not-checked"));
    let text = error.to_string();
    assert!(
        text.contains("unknown defect `scope-date-not-chekced`"),
        "{text}"
    );
    assert!(
        text.contains("did you mean `scope-date-not-checked`"),
        "{text}"
    );
    let error = lookup("rate-limit").unwrap_err();
    assert!(error.close.contains(&"no-rate-limit"), "{error}");
    let error = lookup("zzzz").unwrap_err();
    assert!(error.close.is_empty());
    assert!(!error.to_string().contains("did you mean"));
}

#[test]
fn the_slow_defect_delays_only_create_session_beyond_5_s() {
    let active = Active::new(find("slow-create-session").unwrap());
    assert!(active.delay(Action::CreateSession) > Some(Duration::from_secs(5)));
    assert_eq!(active.delay(Action::ApplyConcurrent), None);
    let other = Active::new(find("no-rate-limit").unwrap());
    assert_eq!(other.delay(Action::CreateSession), None);
}

/// How a witness step bends its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tweak {
    None,
    WrongKey,
    UnknownId,
    BodyChanged,
    Offset(i64),
    ScopeDateOffset(i64),
    Service(&'static str),
    /// Signed with `application/json`, sent with a charset added.
    SentCharset,
    /// Sent as a GET, the body's fields form-encoded into the query string.
    Get,
    /// Signature v1 (HmacSHA256) in a form body instead of TC3: with a wrong key, and the
    /// timestamp this far from now.
    V1 {
        wrong_key: bool,
        offset: i64,
    },
}

/// One request of a witness; `background` requests are started and left running.
#[derive(Debug, Clone)]
struct Step {
    action: &'static str,
    body: Value,
    tweak: Tweak,
    background: bool,
}

fn step(action: &'static str, body: Value) -> Step {
    Step {
        action,
        body,
        tweak: Tweak::None,
        background: false,
    }
}

fn bent(action: &'static str, body: Value, tweak: Tweak) -> Step {
    Step {
        tweak,
        ..step(action, body)
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The query string of a [`Tweak::Get`] step: the body's string fields, form-encoded.
fn query_of(step: &Step) -> String {
    if step.tweak != Tweak::Get {
        return String::new();
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in step.body.as_object().into_iter().flatten() {
        query.append_pair(name, value.as_str().unwrap_or_default());
    }
    query.finish()
}

/// The method, headers and body of `step`, signed now.
fn request(step: &Step) -> (http::HeaderMap, Vec<u8>) {
    if let Tweak::V1 { wrong_key, offset } = step.tweak {
        return request_v1(step, wrong_key, offset);
    }
    let query = query_of(step);
    let mut body = if step.tweak == Tweak::Get {
        Vec::new()
    } else {
        serde_json::to_vec(&step.body).unwrap()
    };
    let id = if step.tweak == Tweak::UnknownId {
        "AKIDcarconformanceUNKNOWN00000000000"
    } else {
        TEST_SECRET_ID
    };
    let key = if step.tweak == Tweak::WrongKey {
        "carconformanceWRONGsecretKEY0000"
    } else {
        TEST_SECRET_KEY
    };
    let credentials = Credentials::new(id, key);
    let timestamp = now()
        + match step.tweak {
            Tweak::Offset(secs) => secs,
            _ => 0,
        };
    let service = match step.tweak {
        Tweak::Service(service) => service,
        _ => "car",
    };
    let get = step.tweak == Tweak::Get;
    let signed = sign(&SignRequest {
        service,
        method: if get { "GET" } else { "POST" },
        content_type: if get {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        },
        query: &query,
        ..SignRequest::post_json("127.0.0.1:1", step.action, &body, timestamp, &credentials)
    })
    .unwrap();
    let mut headers = http::HeaderMap::new();
    for (name, value) in &signed.headers {
        headers.insert(
            http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    if let Tweak::ScopeDateOffset(days) = step.tweak {
        let date = utc_date(timestamp + days * 86_400).unwrap();
        let scope = credential_scope(&date, service);
        let to_sign = string_to_sign(timestamp, &scope, &signed.canonical_request);
        let signature = SigningKey::derive(key, &date, service).sign(&to_sign);
        let authorization = format!(
            "{ALGORITHM} Credential={id}/{scope}, SignedHeaders={}, Signature={signature}",
            signed.signed_headers
        );
        headers.insert(
            "authorization",
            http::HeaderValue::from_str(&authorization).unwrap(),
        );
    }
    if step.tweak == Tweak::BodyChanged {
        body.push(b' ');
    }
    if step.tweak == Tweak::SentCharset {
        headers.insert(
            "content-type",
            http::HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    (headers, body)
}

/// A signature-v1 form POST of `step` (its body's fields as form parameters).
fn request_v1(step: &Step, wrong_key: bool, offset: i64) -> (http::HeaderMap, Vec<u8>) {
    use crate::sign::v1::{SignatureMethod, V1Common, sign_v1};
    let credentials = Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY);
    let common = V1Common {
        action: step.action,
        version: "2022-01-10",
        timestamp: now() + offset,
        nonce: 1,
        region: None,
        language: None,
        method: Some(SignatureMethod::HmacSha256),
        credentials: &credentials,
    };
    let mut params = common.params();
    for (name, value) in step.body.as_object().unwrap() {
        params.push((name.clone(), value.as_str().unwrap().to_owned()));
    }
    let key = if wrong_key {
        "carconformanceWRONGsecretKEY0000"
    } else {
        TEST_SECRET_KEY
    };
    let signed = sign_v1(
        "POST",
        "127.0.0.1:1",
        "/",
        params,
        key,
        SignatureMethod::HmacSha256,
    );
    let mut headers = http::HeaderMap::new();
    headers.insert("host", http::HeaderValue::from_static("127.0.0.1:1"));
    headers.insert(
        "content-type",
        http::HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    (headers, signed.encoded().into_bytes())
}

async fn send(app: &App, step: &Step) -> http::Response<bytes::Bytes> {
    let (headers, body) = request(step);
    let query = query_of(step);
    let uri: http::Uri = if query.is_empty() {
        "/".parse().unwrap()
    } else {
        format!("/?{query}").parse().unwrap()
    };
    app.handle(RequestView {
        method: if step.tweak == Tweak::Get {
            "GET"
        } else {
            "POST"
        },
        uri: &uri,
        headers: &headers,
        body: &body,
        body_len: body.len() as u64,
    })
    .await
}

/// What a client can observe of an answer: status, Content-Type, the keys at each level, the
/// error code, and whether the RequestId repeats the previous one.
fn observe(response: &http::Response<bytes::Bytes>, previous_id: &mut Option<Value>) -> String {
    let body: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    let keys = |v: Option<&Value>| -> String {
        v.and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect::<Vec<_>>().join(","))
            .unwrap_or_default()
    };
    let id = body.pointer("/Response/RequestId").cloned();
    let repeated = id.is_some() && id == *previous_id;
    *previous_id = id;
    format!(
        "{} {:?} top[{}] response[{}] error[{}] code={} repeated-id={repeated}",
        response.status().as_u16(),
        response.headers().get("content-type"),
        keys(Some(&body)),
        keys(body.get("Response")),
        keys(body.pointer("/Response/Error")),
        body.pointer("/Response/Error/Code").unwrap_or(&Value::Null),
    )
}

/// Runs `steps` against a fresh mock with `config` and `defect`; what each answer showed.
async fn run(config: &MockConfig, defect: Option<&str>, steps: &[Step]) -> Vec<String> {
    let config = MockConfig {
        defect: defect.map(str::to_owned),
        ..config.clone()
    };
    let app = Arc::new(App::new(&config));
    let mut seen = Vec::new();
    let mut previous_id = None;
    let mut background = Vec::new();
    for step in steps {
        if step.background {
            let (app, step) = (app.clone(), step.clone());
            background.push(tokio::spawn(async move {
                send(&app, &step).await;
            }));
            // On this single-threaded test runtime, yielding runs the background request up
            // to its first wait: it is in the business layer before the next request starts.
            tokio::task::yield_now().await;
            continue;
        }
        let response = send(&app, step).await;
        seen.push(observe(&response, &mut previous_id));
    }
    for task in background {
        task.abort();
    }
    seen
}

/// A request sequence (with a mock configuration) on which `defect` changes some answer.
fn witness(defect: &str) -> Option<(MockConfig, Vec<Step>)> {
    let ip = "1.2.3.4";
    let apply = step(
        "ApplyConcurrent",
        json!({"UserId": "u", "UserIp": ip, "ProjectId": "cap-1"}),
    );
    let create = step(
        "CreateSession",
        json!({"UserId": "u", "UserIp": ip, "ClientSession": "c"}),
    );
    let create_with = |extra: Value| {
        let mut body = json!({"UserId": "u", "UserIp": ip, "ClientSession": "c"});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        step("CreateSession", body)
    };
    let signed = |tweak| bent("CreateSession", json!({"UserId": "u", "UserIp": ip}), tweak);
    let base = MockConfig::default();
    let steps = match defect {
        "signature-not-verified" => vec![signed(Tweak::WrongKey)],
        "body-hash-ignored" => vec![signed(Tweak::BodyChanged)],
        "expired-timestamp-accepted" => vec![signed(Tweak::Offset(-900))],
        "future-timestamp-accepted" => vec![signed(Tweak::Offset(900))],
        "scope-date-not-checked" => vec![signed(Tweak::ScopeDateOffset(-1))],
        "scope-service-not-checked" => vec![signed(Tweak::Service("cvm"))],
        "unknown-secret-id-accepted" => vec![signed(Tweak::UnknownId)],
        "signature-v1-refused" => vec![signed(Tweak::V1 {
            wrong_key: false,
            offset: 0,
        })],
        "signature-v1-not-verified" => vec![signed(Tweak::V1 {
            wrong_key: true,
            offset: 0,
        })],
        "signature-v1-timestamp-not-checked" => vec![signed(Tweak::V1 {
            wrong_key: false,
            offset: -900,
        })],
        "user-id-not-required" | "missing-parameter-wrong-code" => {
            vec![create_with(json!({"UserId": null}))]
        }
        "user-ip-not-required" => vec![create_with(json!({"UserIp": null}))],
        "unknown-parameters-accepted" => vec![create_with(json!({"Nonsense": "x"}))],
        "run-mode-enum-not-enforced" => vec![create_with(json!({"RunMode": "runwithoutclient"}))],
        "role-enum-not-enforced" => {
            vec![create_with(json!({"Role": "Admin", "HostUserId": "h"}))]
        }
        "content-type-assumed" => vec![signed(Tweak::SentCharset)],
        "body-hash-ascii-escaped" => vec![create_with(json!({"ApplicationParameters": "语言"}))],
        "query-signed-decoded" => vec![bent(
            "CreateSession",
            json!({"UserId": "u", "UserIp": ip, "ClientSession": "c", "ApplicationParameters": "a b&c"}),
            Tweak::Get,
        )],
        "wrong-types-accepted" => vec![create_with(json!({"ClientSession": 5}))],
        "lock-not-required" => vec![create],
        "slow-down-never-raised" => {
            let config = MockConfig {
                // Long enough for the next request to meet it; the defective mock's answer to
                // that request waits this long too.
                create_session_ms: 1_000,
                ..base
            };
            let first = Step {
                background: true,
                ..create.clone()
            };
            return Some((config, vec![apply, first, create]));
        }
        "quota-not-enforced" => {
            return Some((
                MockConfig {
                    concurrency_quota: 0,
                    ..base
                },
                vec![apply],
            ));
        }
        "stopping-never-raised" => {
            let config = MockConfig {
                stopping_ms: 60_000,
                ..base
            };
            let destroy = step("DestroySession", json!({"UserId": "u"}));
            return Some((config, vec![apply.clone(), create, destroy, apply]));
        }
        "http-400-for-errors" | "request-id-missing" | "message-missing" => vec![create],
        "request-id-repeated" => vec![apply.clone(), apply],
        "server-session-missing" | "slow-create-session" => vec![apply, create],
        "content-type-charset" | "content-type-html" | "fields-outside-response" => vec![apply],
        "no-rate-limit" => {
            let count = step("DescribeConcurrentCount", json!({}));
            return Some((
                MockConfig {
                    rate_limit_per_second: Some(1),
                    ..base
                },
                vec![count.clone(), count],
            ));
        }
        _ => return None,
    };
    Some((base, steps))
}

#[tokio::test]
async fn every_defect_changes_an_answer_the_reference_gives() {
    for defect in DEFECTS {
        let Some((config, steps)) = witness(defect.name) else {
            panic!(
                "defect `{}` has no witness in defects/tests.rs",
                defect.name
            );
        };
        if defect.flaw == Some(Flaw::SlowCreateSession) {
            // Its only effect is time, tested without waiting 5.5 s above.
            continue;
        }
        let reference = run(&config, None, &steps).await;
        let defective = run(&config, Some(defect.name), &steps).await;
        assert_ne!(
            reference, defective,
            "defect `{}` answers like the reference mock",
            defect.name
        );
    }
}

#[tokio::test]
async fn the_reference_witnesses_get_the_documented_answers() {
    // The witnesses above are meaningful only if the reference refuses them as documented.
    let code_of = |seen: &[String]| seen.last().cloned().unwrap_or_default();
    let expect = [
        ("signature-not-verified", "AuthFailure.SignatureFailure"),
        ("body-hash-ignored", "AuthFailure.SignatureFailure"),
        ("expired-timestamp-accepted", "AuthFailure.SignatureExpire"),
        ("future-timestamp-accepted", "AuthFailure.SignatureExpire"),
        ("scope-date-not-checked", "AuthFailure.SignatureFailure"),
        ("scope-service-not-checked", "AuthFailure.SignatureFailure"),
        ("unknown-secret-id-accepted", "AuthFailure.SecretIdNotFound"),
        ("content-type-assumed", "AuthFailure.SignatureFailure"),
        ("body-hash-ascii-escaped", "FailedOperation.LockTimeout"),
        ("query-signed-decoded", "FailedOperation.LockTimeout"),
        ("signature-v1-not-verified", "AuthFailure.SignatureFailure"),
        (
            "signature-v1-timestamp-not-checked",
            "AuthFailure.SignatureExpire",
        ),
        ("user-ip-not-required", "MissingParameter"),
        ("slow-down-never-raised", "FailedOperation.SlowDown"),
        ("quota-not-enforced", "ResourceNotFound.NoIdle"),
        ("stopping-never-raised", "UnsupportedOperation.Stopping"),
        ("no-rate-limit", "RequestLimitExceeded"),
    ];
    for (defect, code) in expect {
        let (config, steps) = witness(defect).unwrap();
        let seen = code_of(&run(&config, None, &steps).await);
        assert!(
            seen.contains(&format!("code=\"{code}\"")),
            "{defect}: {seen}"
        );
    }
}

#[tokio::test]
async fn signature_defects_still_refuse_what_they_do_not_concern() {
    // Each lenient verifier keeps every other rejection: a wrong key is still refused.
    for defect in DEFECTS
        .iter()
        .filter(|d| d.flaw.is_some_and(Flaw::is_signature))
    {
        let (config, _) = witness(defect.name).unwrap();
        let steps = [bent(
            "CreateSession",
            json!({"UserId": "u", "UserIp": "1.2.3.4"}),
            Tweak::WrongKey,
        )];
        let seen = run(&config, Some(defect.name), &steps).await;
        assert!(
            seen[0].contains("AuthFailure.SignatureFailure"),
            "{}: {}",
            defect.name,
            seen[0]
        );
    }
}
