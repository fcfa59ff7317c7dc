//! Tests of the variant catalogue: names, quotes, lookup, and — for every variant — a witness: a
//! short request sequence whose answers show the variant's difference from the reference mock,
//! so no variant is a no-op whatever the corpus does.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::leeway::EXTRA_FIELD;
use super::*;
use crate::mock::action::Action;
use crate::mock::decisions::Checks;
use crate::mock::{App, DEFECTS, MockConfig, RequestView, TEST_SECRET_ID, TEST_SECRET_KEY};
use crate::sign::{Credentials, SignRequest, sign};

#[test]
fn names_are_unique_kebab_case_and_each_has_its_quote() {
    assert!(VARIANTS.len() >= 12);
    for variant in VARIANTS {
        let name = variant.name;
        assert_eq!(
            VARIANTS.iter().filter(|v| v.name == name).count(),
            1,
            "{name}"
        );
        assert!(
            !DEFECTS.iter().any(|d| d.name == name),
            "{name} is also a defect"
        );
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !name.starts_with('-')
                && !name.ends_with('-'),
            "{name} is not kebab-case"
        );
        assert!(!variant.description.is_empty() && !variant.description.contains('\n'));
        assert!(variant.quote.len() > 20, "{name} has no quote");
        assert!(
            variant.source.starts_with("https://"),
            "{name}: {}",
            variant.source
        );
    }
    let leeways: Vec<Leeway> = VARIANTS.iter().map(|v| v.leeway).collect();
    for leeway in &leeways {
        assert_eq!(leeways.iter().filter(|l| *l == leeway).count(), 1);
    }
}

#[test]
fn unknown_names_list_close_ones() {
    assert_eq!(lookup("pretty-json").map(|v| v.name), Ok("pretty-json"));
    let error = lookup("request-id-opaq").unwrap_err();
    assert_eq!(error.close.first(), Some(&"request-id-opaque"));
    let text = error.to_string();
    assert!(text.contains("unknown variant `request-id-opaq`"), "{text}");
    assert!(text.contains("--list-variants"), "{text}");
    assert!(lookup("zzzz").unwrap_err().close.is_empty());
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `action` with `body`, signed now with the test pair, answered by `app`.
async fn send(app: &App, action: &str, body: Value, language: Option<&str>) -> Answer {
    let body = serde_json::to_vec(&body).unwrap();
    let credentials = Credentials::new(TEST_SECRET_ID, TEST_SECRET_KEY);
    let signed = sign(&SignRequest::post_json(
        "127.0.0.1:1",
        action,
        &body,
        now(),
        &credentials,
    ))
    .unwrap();
    let mut headers = http::HeaderMap::new();
    for (name, value) in &signed.headers {
        headers.insert(
            http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    if let Some(language) = language {
        headers.insert(
            "x-tc-language",
            http::HeaderValue::from_str(language).unwrap(),
        );
    }
    let uri: http::Uri = "/".parse().unwrap();
    let response = app
        .handle(RequestView {
            method: "POST",
            uri: &uri,
            headers: &headers,
            body: &body,
            body_len: body.len() as u64,
        })
        .await;
    Answer {
        text: String::from_utf8(response.body().to_vec()).unwrap(),
        json: serde_json::from_slice(response.body()).unwrap(),
        headers: response.headers().clone(),
    }
}

#[derive(Debug)]
struct Answer {
    text: String,
    json: Value,
    headers: http::HeaderMap,
}

impl Answer {
    fn code(&self) -> &str {
        self.json
            .pointer("/Response/Error/Code")
            .and_then(Value::as_str)
            .unwrap_or("success")
    }

    fn field(&self, name: &str) -> &str {
        self.json["Response"][name].as_str().unwrap_or("")
    }
}

fn mock(variants: &[&str]) -> App {
    App::new(&MockConfig {
        variants: variants.iter().map(|v| (*v).to_owned()).collect(),
        ..MockConfig::default()
    })
}

fn apply(user: &str) -> Value {
    json!({"UserId": user, "UserIp": "1.2.3.4", "ProjectId": "cap-1"})
}

fn create(user: &str, extra: Value) -> Value {
    let mut body = json!({"UserId": user, "UserIp": "1.2.3.4", "ClientSession": "c"});
    for (key, value) in extra.as_object().unwrap() {
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value.clone();
        }
    }
    body
}

/// ApplyConcurrent then CreateSession with `extra`: the CreateSession's answer.
async fn session(app: &App, user: &str, extra: Value) -> Answer {
    assert_eq!(
        send(app, "ApplyConcurrent", apply(user), None).await.code(),
        "success"
    );
    send(app, "CreateSession", create(user, extra), None).await
}

#[tokio::test]
async fn request_ids_stay_unique_strings_in_another_shape() {
    let app = mock(&["request-id-opaque"]);
    let (a, b) = (
        send(&app, "ApplyConcurrent", apply("u"), None).await,
        send(&app, "ApplyConcurrent", apply("v"), None).await,
    );
    let id = a.field("RequestId");
    assert!(
        id.starts_with("req_") && uuid::Uuid::parse_str(id).is_err(),
        "{id}"
    );
    assert_ne!(id, b.field("RequestId"));
    let app = mock(&["request-id-upper-case"]);
    let answer = send(&app, "ApplyConcurrent", apply("u"), None).await;
    let id = answer.field("RequestId");
    assert!(
        uuid::Uuid::parse_str(id).is_ok() && id == id.to_uppercase(),
        "{id}"
    );
}

#[tokio::test]
async fn answers_may_carry_more_fields_in_another_order_and_layout() {
    let app = mock(&["extra-output-field", "request-id-first", "pretty-json"]);
    let answer = session(&app, "u", json!({})).await;
    let keys: Vec<&String> = answer.json["Response"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["RequestId", "ServerSession", EXTRA_FIELD]);
    assert!(answer.text.contains("\n  "), "{}", answer.text);
    let error = send(&app, "CreateSession", create("x", json!({})), None).await;
    assert_eq!(error.code(), "FailedOperation.LockTimeout");
    assert!(error.field(EXTRA_FIELD).is_empty());
    let keys: Vec<&String> = error.json["Response"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["RequestId", "Error"]);
    let reference = session(&mock(&[]), "u", json!({})).await;
    assert!(!reference.text.contains('\n') && reference.field(EXTRA_FIELD).is_empty());
}

#[tokio::test]
async fn messages_may_be_escaped_reworded_or_always_english() {
    let missing = json!({"UserIp": "1.2.3.4"});
    let reference = send(&mock(&[]), "CreateSession", missing.clone(), Some("zh-CN")).await;
    let message = |a: &Answer| a.json.pointer("/Response/Error/Message").cloned();
    assert!(!reference.text.is_ascii());

    let escaped = send(
        &mock(&["ascii-escaped-json"]),
        "CreateSession",
        missing.clone(),
        Some("zh-CN"),
    )
    .await;
    assert!(escaped.text.is_ascii() && escaped.text.contains("\\u"));
    assert_eq!(message(&escaped), message(&reference));

    let reworded = send(
        &mock(&["message-wording"]),
        "CreateSession",
        missing.clone(),
        None,
    )
    .await;
    assert_eq!(reworded.code(), "MissingParameter");
    let english = send(&mock(&[]), "CreateSession", missing.clone(), Some("en-US")).await;
    assert_ne!(message(&reworded), message(&english));

    let ignored = send(
        &mock(&["language-ignored"]),
        "CreateSession",
        missing,
        Some("zh-CN"),
    )
    .await;
    assert_eq!(message(&ignored), message(&english));
}

#[tokio::test]
async fn server_sessions_and_headers_may_differ() {
    let app = mock(&["server-session-opaque", "extra-headers", "connection-close"]);
    let answer = session(&app, "u", json!({})).await;
    assert!(answer.field("ServerSession").starts_with("ss-"));
    assert_eq!(answer.headers["connection"], "close");
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert_eq!(answer.headers["content-type"], "application/json");
}

#[tokio::test]
async fn enum_values_may_be_read_ignoring_case_or_trimmed_but_other_words_stay_refused() {
    let reference = mock(&[]);
    let lower = json!({"RunMode": "runwithoutclient", "ClientSession": null});
    assert_eq!(
        session(&reference, "u", lower.clone()).await.code(),
        "InvalidParameterValue"
    );
    let app = mock(&["enum-case-insensitive"]);
    assert_eq!(session(&app, "u", lower).await.code(), "success");
    let host = json!({"Role": "PLAYER", "HostUserId": "v"});
    assert_eq!(session(&app, "v", host).await.code(), "success");
    let other = json!({"Role": "Admin", "HostUserId": "w"});
    assert_eq!(
        session(&app, "w", other).await.code(),
        "InvalidParameterValue"
    );
    let spaced = json!({"RunMode": " RunWithoutClient ", "ClientSession": null});
    assert_eq!(
        session(&app, "x", spaced.clone()).await.code(),
        "InvalidParameterValue"
    );

    let app = mock(&["enum-trimmed"]);
    assert_eq!(session(&app, "u", spaced).await.code(), "success");
    let missing_client = json!({"RunMode": " ", "ClientSession": null});
    assert_eq!(
        session(&app, "v", missing_client).await.code(),
        "InvalidParameterValue"
    );
    let lower = json!({"RunMode": "runwithoutclient"});
    assert_eq!(
        session(&app, "w", lower).await.code(),
        "InvalidParameterValue"
    );
}

#[tokio::test]
async fn role_without_host_may_be_ignored_and_user_ip_unchecked() {
    let lone_role = json!({"Role": "Viewer"});
    assert_eq!(
        session(&mock(&[]), "u", lone_role.clone()).await.code(),
        "MissingParameter"
    );
    let app = mock(&["role-without-host-ignored"]);
    assert_eq!(session(&app, "u", lone_role).await.code(), "success");
    assert_eq!(
        session(&app, "v", json!({"Role": "Admin"})).await.code(),
        "InvalidParameterValue"
    );

    let text_ip = json!({"UserIp": "somewhere"});
    assert_eq!(
        session(&mock(&[]), "u", text_ip.clone()).await.code(),
        "InvalidParameterValue"
    );
    let app = mock(&["user-ip-unchecked"]);
    assert_eq!(session(&app, "u", text_ip).await.code(), "success");
    let empty = create("v", json!({"UserIp": ""}));
    assert_eq!(
        send(&app, "CreateSession", empty, None).await.code(),
        "InvalidParameterValue"
    );
}

#[tokio::test]
async fn a_reconnect_may_need_a_fresh_lock() {
    for (variants, second) in [
        (&[][..], "success"),
        (
            &["reconnect-needs-apply"][..],
            "FailedOperation.LockTimeout",
        ),
    ] {
        let app = mock(variants);
        assert_eq!(session(&app, "u", json!({})).await.code(), "success");
        let again = send(&app, "CreateSession", create("u", json!({})), None).await;
        assert_eq!(again.code(), second, "{variants:?}");
        assert_eq!(session(&app, "u", json!({})).await.code(), "success");
        assert_eq!(app.live().sessions, ["u"]);
    }
}

#[tokio::test]
async fn a_guest_may_need_its_own_lock_and_then_holds_a_concurrency() {
    for (variants, without_lock) in [
        (&[][..], "success"),
        (&["guest-needs-own-lock"][..], "FailedOperation.LockTimeout"),
    ] {
        let app = mock(variants);
        let host = session(&app, "h", json!({"HostUserId": "h", "Role": "Player"})).await;
        assert_eq!(host.code(), "success");
        let guest = create("g", json!({"HostUserId": "h", "Role": "Player"}));
        let joined = send(&app, "CreateSession", guest.clone(), None).await;
        assert_eq!(joined.code(), without_lock, "{variants:?}");
        let with_lock = session(&app, "g", json!({"HostUserId": "h", "Role": "Player"})).await;
        assert_eq!(with_lock.code(), "success", "{variants:?}");
        let count = send(&app, "DescribeConcurrentCount", json!({}), None).await;
        let running = if variants.is_empty() { 1 } else { 2 };
        assert_eq!(count.json["Response"]["Running"], running, "{variants:?}");
    }
}

#[test]
fn slow_answers_stay_within_their_documented_budgets() {
    let names = [
        "slow-apply-concurrent",
        "create-session-within-budget",
        "slow-destroy-session",
    ];
    let variants = Variants::new(&names.map(String::from), None, &Checks::all());
    let apply = variants.delay_before(Action::ApplyConcurrent).unwrap();
    assert!(
        apply > Duration::from_secs(5) && apply <= Duration::from_secs(20),
        "{apply:?}"
    );
    let create = variants.delay_after(Action::CreateSession).unwrap();
    assert!(create < Duration::from_secs(5), "{create:?}");
    assert!(variants.delay_before(Action::DestroySession) > Some(Duration::from_secs(5)));
    assert_eq!(variants.delay_before(Action::CreateSession), None);
    assert_eq!(variants.delay_after(Action::ApplyConcurrent), None);
    let configured = Variants::new(&names.map(String::from), Some(5_500), &Checks::all());
    assert_eq!(
        configured.delay_before(Action::ApplyConcurrent),
        Some(Duration::from_millis(5_500))
    );
    let none = Variants::new(&[], None, &Checks::all());
    assert!(Action::ALL.iter().all(|a| none.delay_before(*a).is_none()));
}

#[test]
fn escaping_keeps_the_text_and_covers_surrogate_pairs() {
    let text = serde_json::to_string(&json!({"m": "缺少参数 😀", "a": "plain"})).unwrap();
    let escaped = leeway::escape_non_ascii(&text);
    assert!(escaped.is_ascii());
    assert!(escaped.contains("\\ud83d\\ude00"), "{escaped}");
    let back: Value = serde_json::from_str(&escaped).unwrap();
    assert_eq!(back["m"], "缺少参数 😀");
}
