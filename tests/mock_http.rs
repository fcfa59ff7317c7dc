//! The reference mock over real HTTP: requests signed by `car_conformance::sign`, sent with
//! reqwest, answers checked for the cloud's exact envelope.

mod common;

use std::time::Duration;

use car_conformance::mock::{self, Fault, MockConfig, MockCredential, MockHandle};
use car_conformance::sign::{Credentials, SignRequest, sign};
use serde_json::{Value, json};

use common::call::test_pair;
use common::mock::any_port;
use common::now;

/// One request to send: everything defaults to a correctly signed POST.
struct Call<'a> {
    action: &'a str,
    method: &'a str,
    body: Vec<u8>,
    query: String,
    credentials: Credentials,
    timestamp: i64,
    version: &'a str,
    language: Option<&'a str>,
    /// Headers added (or, with an empty value, removed) after signing.
    tweak: Vec<(&'a str, &'a str)>,
}

impl<'a> Call<'a> {
    fn post(action: &'a str, body: Value) -> Self {
        Self {
            action,
            method: "POST",
            body: serde_json::to_vec(&body).unwrap(),
            query: String::new(),
            credentials: test_pair(),
            timestamp: now(),
            version: "2022-01-10",
            language: None,
            tweak: Vec::new(),
        }
    }

    fn get(action: &'a str, query: &str) -> Self {
        Self {
            method: "GET",
            body: Vec::new(),
            query: query.to_owned(),
            ..Self::post(action, json!({}))
        }
    }
}

struct Answer {
    content_type: String,
    status: u16,
    json: Value,
}

impl Answer {
    fn code(&self) -> &str {
        self.json["Response"]["Error"]["Code"]
            .as_str()
            .unwrap_or("")
    }
    fn message(&self) -> &str {
        self.json["Response"]["Error"]["Message"]
            .as_str()
            .unwrap_or("")
    }
}

async fn send(mock: &MockHandle, call: Call<'_>) -> Answer {
    let host = mock.addr().to_string();
    let content_type = if call.method == "GET" {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    };
    let request = SignRequest {
        method: call.method,
        content_type,
        query: &call.query,
        version: call.version,
        language: call.language,
        ..SignRequest::post_json(
            &host,
            call.action,
            &call.body,
            call.timestamp,
            &call.credentials,
        )
    };
    let signed = sign(&request).unwrap();
    let client = reqwest::Client::new();
    let mut url = mock.url() + "/";
    if !call.query.is_empty() {
        url = format!("{url}?{}", call.query);
    }
    let method = reqwest::Method::from_bytes(call.method.as_bytes()).unwrap();
    let mut builder = client.request(method, url);
    for (name, value) in &signed.headers {
        if name.eq_ignore_ascii_case("host") {
            continue;
        }
        if call.tweak.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            continue;
        }
        builder = builder.header(name, value);
    }
    for (name, value) in &call.tweak {
        if !value.is_empty() {
            builder = builder.header(*name, *value);
        }
    }
    if call.method != "GET" {
        builder = builder.body(call.body.clone());
    }
    let response = builder.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.bytes().await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap();
    Answer {
        content_type,
        status,
        json,
    }
}

fn assert_envelope(answer: &Answer) {
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, "application/json");
    let id = answer.json["Response"]["RequestId"].as_str().unwrap();
    assert_eq!(id, id.to_lowercase());
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}

async fn start(config: MockConfig) -> MockHandle {
    mock::start(config, any_port()).await.unwrap()
}

fn apply_body(user: &str) -> Value {
    json!({"UserId": user, "UserIp": "125.127.178.228", "ProjectId": "cap-12345"})
}

fn create_body(user: &str) -> Value {
    json!({"UserId": user, "UserIp": "125.127.178.228", "ClientSession": "eyJhYmMiOjEyM30="})
}

#[tokio::test]
async fn the_documented_flow_succeeds_and_leaves_nothing_behind() {
    let mock = start(MockConfig::default()).await;
    let answer = send(&mock, Call::post("ApplyConcurrent", apply_body("cg_user"))).await;
    assert_envelope(&answer);
    assert!(
        answer.json["Response"].get("Error").is_none(),
        "{}",
        answer.json
    );
    assert_eq!(mock.live().locks, vec!["cg_user"]);

    let answer = send(&mock, Call::post("CreateSession", create_body("cg_user"))).await;
    assert_envelope(&answer);
    let session = answer.json["Response"]["ServerSession"].as_str().unwrap();
    assert!(!session.is_empty());
    assert_eq!(mock.live().sessions, vec!["cg_user"]);

    let answer = send(
        &mock,
        Call::post("DestroySession", json!({"UserId": "cg_user"})),
    )
    .await;
    assert_envelope(&answer);
    assert_eq!(answer.code(), "");
    assert_eq!(mock.live(), mock::LiveState::default());
    mock.shutdown().await;
}

#[tokio::test]
async fn get_with_form_encoded_parameters_works_like_post() {
    let mock = start(MockConfig::default()).await;
    let answer = send(
        &mock,
        Call::get(
            "ApplyConcurrent",
            "ProjectId=cap-1&UserId=get%20user&UserIp=1.2.3.4",
        ),
    )
    .await;
    assert_envelope(&answer);
    assert_eq!(answer.code(), "");
    assert_eq!(mock.live().locks, vec!["get user"]);
    let answer = send(
        &mock,
        Call::get("CreateSession", "UserId=get%20user&UserIp=1.2.3.4"),
    )
    .await;
    assert_eq!(answer.code(), "InvalidParameterValue", "{}", answer.json);
    mock.shutdown().await;
}

#[tokio::test]
async fn main_error_paths_answer_their_codes() {
    let mock = start(MockConfig::default()).await;
    let cases: Vec<(Call<'_>, &str)> = vec![
        (
            Call::post("CreateSession", create_body("nolock")),
            "FailedOperation.LockTimeout",
        ),
        (
            Call::post("CreateSession", json!({"UserIp": "1.2.3.4"})),
            "MissingParameter",
        ),
        (
            Call::post("CreateSession", json!({"UserId": 1, "UserIp": "1.2.3.4"})),
            "InvalidParameter",
        ),
        (
            Call::post(
                "CreateSession",
                json!({"UserId": "u", "UserIp": "1.2.3.4", "Role": "King"}),
            ),
            "InvalidParameterValue",
        ),
        (
            Call::post(
                "CreateSession",
                json!({"UserId": "u", "UserIp": "1.2.3.4", "X": "1"}),
            ),
            "UnknownParameter",
        ),
        (Call::post("DeleteEverything", json!({})), "InvalidAction"),
        (
            Call {
                version: "2017-03-12",
                ..Call::post("CreateSession", create_body("u"))
            },
            "NoSuchVersion",
        ),
        (
            Call {
                credentials: Credentials::new(mock::TEST_SECRET_ID, "wrong-key"),
                ..Call::post("CreateSession", create_body("u"))
            },
            "AuthFailure.SignatureFailure",
        ),
        (
            Call {
                credentials: Credentials::new("AKIDunknown", "whatever"),
                ..Call::post("CreateSession", create_body("u"))
            },
            "AuthFailure.SecretIdNotFound",
        ),
        (
            Call {
                timestamp: now() - 301,
                ..Call::post("CreateSession", create_body("u"))
            },
            "AuthFailure.SignatureExpire",
        ),
        (
            Call {
                tweak: vec![("Authorization", "")],
                ..Call::post("CreateSession", create_body("u"))
            },
            "AuthFailure.InvalidAuthorization",
        ),
        (
            Call {
                tweak: vec![("X-TC-Version", "")],
                ..Call::post("CreateSession", create_body("u"))
            },
            "MissingParameter",
        ),
        (
            Call {
                body: b"{not json".to_vec(),
                ..Call::post("CreateSession", json!({}))
            },
            "InvalidParameter.JsonParseError",
        ),
        (
            Call {
                method: "PUT",
                ..Call::post("CreateSession", create_body("u"))
            },
            "UnsupportedProtocol",
        ),
    ];
    for (call, expected) in cases {
        let action = call.action;
        let answer = send(&mock, call).await;
        assert_envelope(&answer);
        assert_eq!(answer.code(), expected, "{action}: {}", answer.json);
        assert!(!answer.message().is_empty());
    }
    mock.shutdown().await;
}

#[tokio::test]
async fn messages_follow_x_tc_language() {
    let mock = start(MockConfig::default()).await;
    let english = send(&mock, Call::post("DestroySession", json!({}))).await;
    assert_eq!(
        english.message(),
        "The request is missing a required parameter `UserId`."
    );
    let chinese = send(
        &mock,
        Call {
            language: Some("zh-CN"),
            ..Call::post("DestroySession", json!({}))
        },
    )
    .await;
    assert_eq!(chinese.code(), "MissingParameter");
    assert!(chinese.message().contains("缺少"), "{}", chinese.message());
    mock.shutdown().await;
}

#[tokio::test]
async fn sdk_headers_are_tolerated_and_temporary_credentials_need_their_token() {
    let config = MockConfig {
        credentials: vec![
            MockCredential::new("AKIDtemp", "tempkey").with_token("the-token"),
            MockCredential::new("AKIDlong", "longkey"),
        ],
        ..MockConfig::default()
    };
    let mock = start(config).await;
    let with_sdk_headers = Call {
        credentials: Credentials::new("AKIDlong", "longkey"),
        tweak: vec![
            ("X-TC-RequestClient", "SDK_PYTHON_3.0.0"),
            ("X-TC-TraceId", "ffe0c072-8a5d-4e17-8887-a8a60252abca"),
            ("X-TC-Region", "ap-guangzhou"),
        ],
        ..Call::post("ApplyConcurrent", apply_body("u1"))
    };
    assert_eq!(send(&mock, with_sdk_headers).await.code(), "");
    let with_token = Call {
        credentials: Credentials::new("AKIDtemp", "tempkey").with_token("the-token"),
        ..Call::post("ApplyConcurrent", apply_body("u2"))
    };
    assert_eq!(send(&mock, with_token).await.code(), "");
    let without_token = Call {
        credentials: Credentials::new("AKIDtemp", "tempkey"),
        ..Call::post("ApplyConcurrent", apply_body("u3"))
    };
    assert_eq!(
        send(&mock, without_token).await.code(),
        "AuthFailure.TokenFailure"
    );
    // The built-in pair is not accepted when keys are configured.
    let builtin = Call::post("ApplyConcurrent", apply_body("u4"));
    assert_eq!(
        send(&mock, builtin).await.code(),
        "AuthFailure.SecretIdNotFound"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn quota_slow_down_stopping_and_faults_are_configurable() {
    let config = MockConfig {
        concurrency_quota: 1,
        create_session_ms: 300,
        stopping_ms: 300,
        faults: vec![Fault::parse("DestroySession=FailedOperation.ProcessTimeout:1").unwrap()],
        ..MockConfig::default()
    };
    let mock = start(config).await;
    assert_eq!(
        send(&mock, Call::post("ApplyConcurrent", apply_body("a")))
            .await
            .code(),
        ""
    );
    assert_eq!(
        send(&mock, Call::post("ApplyConcurrent", apply_body("b")))
            .await
            .code(),
        "ResourceNotFound.NoIdle"
    );
    let slow = {
        let url_mock = &mock;
        async move { send(url_mock, Call::post("CreateSession", create_body("a"))).await }
    };
    let second = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        send(&mock, Call::post("CreateSession", create_body("a"))).await
    };
    let started = std::time::Instant::now();
    let (first, second) = tokio::join!(slow, second);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(first.code(), "", "{}", first.json);
    assert_eq!(second.code(), "FailedOperation.SlowDown");

    let destroy = || Call::post("DestroySession", json!({"UserId": "a"}));
    assert_eq!(
        send(&mock, destroy()).await.code(),
        "FailedOperation.ProcessTimeout"
    );
    assert_eq!(send(&mock, destroy()).await.code(), "");
    assert_eq!(
        send(&mock, Call::post("ApplyConcurrent", apply_body("a")))
            .await
            .code(),
        "UnsupportedOperation.Stopping"
    );
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        send(&mock, Call::post("ApplyConcurrent", apply_body("a")))
            .await
            .code(),
        ""
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn a_slow_create_session_can_end_when_another_request_was_slowed_down() {
    // 30 s of processing unless a SlowDown answer ends it: everything here ends long before.
    let config = MockConfig {
        create_session_ms: 30_000,
        create_session_ends_on_slow_down: true,
        ..MockConfig::default()
    };
    let mock = start(config).await;
    for user in ["a", "b"] {
        let apply = send(&mock, Call::post("ApplyConcurrent", apply_body(user))).await;
        assert_eq!(apply.code(), "");
    }
    let started = std::time::Instant::now();
    let other = send(&mock, Call::post("CreateSession", create_body("b")));
    let first = send(&mock, Call::post("CreateSession", create_body("a")));
    let second = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        send(&mock, Call::post("CreateSession", create_body("a"))).await
    };
    let pair = async {
        let (first, second) = tokio::join!(first, second);
        let elapsed = started.elapsed();
        // User a's SlowDown did not end user b's CreateSession: b is still being processed.
        let other_again = send(&mock, Call::post("CreateSession", create_body("b"))).await;
        (first, second, elapsed, other_again)
    };
    let (other, (first, second, elapsed, other_again)) = tokio::join!(other, pair);
    assert_eq!(first.code(), "", "{}", first.json);
    assert_eq!(second.code(), "FailedOperation.SlowDown");
    assert!(
        elapsed >= Duration::from_millis(200) && elapsed < Duration::from_secs(10),
        "{elapsed:?}"
    );
    assert_eq!(other_again.code(), "FailedOperation.SlowDown");
    assert_eq!(other.code(), "", "{}", other.json);
    mock.shutdown().await;
}

#[tokio::test]
async fn the_rate_limit_applies_per_action() {
    let config = MockConfig {
        rate_limit_per_second: Some(3),
        ..MockConfig::default()
    };
    let mock = start(config).await;
    let started = std::time::Instant::now();
    let mut codes = Vec::new();
    for _ in 0..6 {
        let answer = send(&mock, Call::post("DescribeConcurrentCount", json!({}))).await;
        codes.push(answer.code().to_owned());
    }
    // The window opens with the first request; six local requests take far less than a second.
    if started.elapsed() < Duration::from_millis(900) {
        assert_eq!(codes[..3], ["", "", ""], "{codes:?}");
        assert!(
            codes[3..].iter().all(|c| c == "RequestLimitExceeded"),
            "{codes:?}"
        );
    }
    let other = send(&mock, Call::post("DestroySession", json!({"UserId": "x"}))).await;
    assert_eq!(other.code(), "");
    mock.shutdown().await;
}

#[tokio::test]
async fn multi_person_rooms_reconnects_and_counts() {
    let config = MockConfig {
        player_limit: 2,
        viewer_limit: 1,
        ..MockConfig::default()
    };
    let mock = start(config).await;
    let join = |user: &str, host: &str, role: Option<&str>| {
        let mut body = create_body(user);
        body["HostUserId"] = json!(host);
        if let Some(role) = role {
            body["Role"] = json!(role);
        }
        body
    };
    let code = |answer: Answer| answer.code().to_owned();
    assert_eq!(
        code(
            send(
                &mock,
                Call::post("CreateSession", join("g1", "host", Some("Player")))
            )
            .await
        ),
        "ResourceNotFound.SessionNotFound"
    );
    assert_eq!(
        code(send(&mock, Call::post("ApplyConcurrent", apply_body("host"))).await),
        ""
    );
    // In this order: the host, a player, a player past the limit of two, the same user as a
    // viewer, a viewer past the limit of one.
    for (user, role, expected) in [
        ("host", None, ""),
        ("g1", Some("Player"), ""),
        ("g2", Some("Player"), "LimitExceeded.Role"),
        ("g2", Some("Viewer"), ""),
        ("g3", Some("Viewer"), "LimitExceeded.Role"),
    ] {
        let answer = send(&mock, Call::post("CreateSession", join(user, "host", role))).await;
        assert_eq!(
            answer.code(),
            expected,
            "{user} as {role:?}: {}",
            answer.json
        );
    }
    let no_host = Call::post(
        "CreateSession",
        json!({"UserId": "solo", "UserIp": "1.2.3.4", "ClientSession": "c", "Role": "Viewer"}),
    );
    let answer = send(&mock, no_host).await;
    assert_eq!(answer.code(), "MissingParameter");
    assert!(answer.message().contains("HostUserId"));
    // The host reconnects with the same UserId: a fresh ServerSession, the room stays.
    let again = send(
        &mock,
        Call::post("CreateSession", join("host", "host", None)),
    )
    .await;
    assert!(
        again.json["Response"]["ServerSession"].is_string(),
        "{}",
        again.json
    );
    assert_eq!(mock.live().sessions, vec!["g1", "g2", "host"]);

    let count = send(&mock, Call::post("DescribeConcurrentCount", json!({}))).await;
    assert_eq!(count.json["Response"]["Total"], 1000);
    assert_eq!(count.json["Response"]["Running"], 1);

    assert_eq!(
        code(
            send(
                &mock,
                Call::post("DestroySession", json!({"UserId": "host"}))
            )
            .await
        ),
        ""
    );
    assert_eq!(mock.live(), mock::LiveState::default());
    mock.shutdown().await;
}
