//! The reference mock under hostile input: arbitrary methods, headers and bodies (property tests
//! against the in-process handler and raw bytes against the real server), slow clients, oversized
//! bodies, and a graceful shutdown with a request in flight.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use car_conformance::mock::{self, App, MockConfig, MockHandle, RequestView};
use car_conformance::sign::{SignRequest, sign};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::call::test_pair;
use common::now;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Every answer, whatever the input: HTTP 200, the exact Content-Type, a JSON envelope with a
/// RequestId and either an Error with Code and Message or no Error.
fn assert_well_formed(response: &http::Response<Bytes>) {
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let value: Value = serde_json::from_slice(response.body()).unwrap();
    let inner = &value["Response"];
    assert!(inner["RequestId"].is_string(), "{value}");
    if let Some(error) = inner.get("Error") {
        assert!(
            error["Code"].as_str().is_some_and(|c| !c.is_empty()),
            "{value}"
        );
        assert!(
            error["Message"].as_str().is_some_and(|m| !m.is_empty()),
            "{value}"
        );
    }
}

const HEADER_NAMES: &[&str] = &[
    "authorization",
    "content-type",
    "host",
    "x-tc-action",
    "x-tc-version",
    "x-tc-timestamp",
    "x-tc-language",
    "x-tc-token",
    "x-tc-region",
    "x-tc-content-sha256",
    "x-tc-requestclient",
    "x-other",
];

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(HEADER_NAMES).prop_map(str::to_owned),
        1 => "[a-z0-9!#$%&'*+.^_`|~-]{1,24}",
    ]
}

fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Visible ASCII, tabs, spaces and obs-text: everything a header value may carry.
        proptest::collection::vec(
            prop_oneof![Just(b'\t'), 0x20u8..0x7f, 0x80u8..=0xff],
            0..80
        ),
        Just(b"TC3-HMAC-SHA256 Credential=AKID/2024-01-01/car/tc3_request, SignedHeaders=content-type;host, Signature=00".to_vec()),
        Just(b"CreateSession".to_vec()),
        Just(b"2022-01-10".to_vec()),
        Just(b"99999999999999999999".to_vec()),
        Just(b"-9223372036854775808".to_vec()),
    ]
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_owned()),
        Just("POST".to_owned()),
        Just("HEAD".to_owned()),
        Just("OPTIONS".to_owned()),
        "[A-Z!#$%&'*+.^_`|~0-9-]{1,12}",
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        any::<String>().prop_map(String::into_bytes),
        Just(b"{}".to_vec()),
        Just(b"null".to_vec()),
        Just(format!("{}1{}", "[".repeat(200), "]".repeat(200)).into_bytes()),
    ]
}

fn query() -> impl Strategy<Value = String> {
    "[A-Za-z0-9=&%._~+-]{0,60}"
}

fn app() -> App {
    App::new(&MockConfig {
        rate_limit_per_second: None,
        ..MockConfig::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Arbitrary methods, headers, queries and bodies never panic and always get an envelope.
    #[test]
    fn arbitrary_requests_get_a_well_formed_answer(
        method in method(),
        headers in proptest::collection::vec((header_name(), header_value()), 0..10),
        query in query(),
        body in body(),
    ) {
        let app = app();
        let uri: http::Uri = format!("/?{query}").parse().unwrap();
        let mut map = http::HeaderMap::new();
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_bytes(&value),
            ) {
                map.append(name, value);
            }
        }
        let response = runtime().block_on(app.handle(RequestView {
            method: &method,
            uri: &uri,
            headers: &map,
            body: &body,
            body_len: body.len() as u64,
        }));
        assert_well_formed(&response);
    }

    /// Correctly signed requests with arbitrary parameters reach the business layer: never a
    /// panic, always an envelope, and a success only with a ServerSession for CreateSession.
    #[test]
    fn signed_requests_with_arbitrary_parameters_get_a_well_formed_answer(
        action in prop_oneof![
            Just("ApplyConcurrent"), Just("CreateSession"),
            Just("DestroySession"), Just("DescribeConcurrentCount"),
        ],
        params in proptest::collection::vec(
            (
                prop_oneof![
                    Just("UserId"), Just("UserIp"), Just("ProjectId"), Just("ClientSession"),
                    Just("RunMode"), Just("HostUserId"), Just("Role"), Just("Other"),
                ],
                prop_oneof![
                    "[a-z0-9]{0,4}".prop_map(Value::from),
                    Just(Value::from("1.2.3.4")),
                    Just(Value::from("RunWithoutClient")),
                    Just(Value::from("Viewer")),
                    any::<i64>().prop_map(Value::from),
                    Just(Value::Null),
                    Just(json!({"a": [1]})),
                ],
            ),
            0..8,
        ),
    ) {
        let app = app();
        let body: serde_json::Map<String, Value> =
            params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let body = serde_json::to_vec(&body).unwrap();
        let credentials = test_pair();
        let signed = sign(&SignRequest::post_json("mock", action, &body, now(), &credentials)).unwrap();
        let mut headers = http::HeaderMap::new();
        for (name, value) in &signed.headers {
            headers.insert(
                http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        let uri: http::Uri = "/".parse().unwrap();
        let rt = runtime();
        for _ in 0..2 {
            let response = rt.block_on(app.handle(RequestView {
                method: "POST",
                uri: &uri,
                headers: &headers,
                body: &body,
                body_len: body.len() as u64,
            }));
            assert_well_formed(&response);
            let value: Value = serde_json::from_slice(response.body()).unwrap();
            if action == "CreateSession" && value["Response"].get("Error").is_none() {
                let session = value["Response"]["ServerSession"].as_str().unwrap();
                prop_assert!(!session.is_empty());
            }
        }
    }
}

async fn start(config: MockConfig) -> MockHandle {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    mock::start(config, any).await.unwrap()
}

/// Reads until the server closes the connection (or `limit` passes); what it sent.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|_| out)
}

/// A correctly signed DestroySession sent with reqwest: the mock is still serving.
async fn still_serves(mock: &MockHandle) {
    let body = br#"{"UserId":"probe"}"#;
    let host = mock.addr().to_string();
    let credentials = test_pair();
    let signed = sign(&SignRequest::post_json(
        &host,
        "DestroySession",
        body,
        now(),
        &credentials,
    ))
    .unwrap();
    let mut request = reqwest::Client::new().post(mock.url()).body(body.to_vec());
    for (name, value) in &signed.headers {
        if !name.eq_ignore_ascii_case("host") {
            request = request.header(name, value);
        }
    }
    let answer: Value =
        serde_json::from_slice(&request.send().await.unwrap().bytes().await.unwrap()).unwrap();
    assert!(answer["Response"].get("Error").is_none(), "{answer}");
}

#[test]
fn raw_garbage_on_the_socket_does_not_hurt_the_server() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mock = start(MockConfig {
            header_timeout_ms: 300,
            body_timeout_ms: 300,
            ..MockConfig::default()
        })
        .await;
        let mut inputs: Vec<Vec<u8>> = vec![
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n".to_vec(),
            b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec(),
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".to_vec(),
            b"GET /\xff\xfe HTTP/1.1\r\n\r\n".to_vec(),
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(),
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n"
                .to_vec(),
            vec![b'A'; 100_000],
        ];
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = proptest::collection::vec(any::<u8>(), 0..2000);
        for _ in 0..40 {
            inputs.push(strategy.new_tree(&mut runner).unwrap().current());
        }
        for input in inputs {
            let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
            let _ = stream.write_all(&input).await;
            let _ = read_until_closed(&mut stream, Duration::from_secs(3)).await;
        }
        still_serves(&mock).await;
        mock.shutdown().await;
    });
}

#[tokio::test]
async fn slow_clients_are_disconnected() {
    let mock = start(MockConfig {
        header_timeout_ms: 200,
        body_timeout_ms: 200,
        ..MockConfig::default()
    })
    .await;
    let limit = Duration::from_secs(3);
    // Idle after connecting.
    let mut idle = TcpStream::connect(mock.addr()).await.unwrap();
    assert!(read_until_closed(&mut idle, limit).await.is_some());
    // Half a request head.
    let mut slow_head = TcpStream::connect(mock.addr()).await.unwrap();
    slow_head.write_all(b"POST / HTTP/1.1\r\nHo").await.unwrap();
    assert!(read_until_closed(&mut slow_head, limit).await.is_some());
    // A body that never arrives in full: closed without an answer. (A form POST, whose
    // parameters are in the body; a TC3 head this bare is refused before its body is read.)
    let mut slow_body = TcpStream::connect(mock.addr()).await.unwrap();
    slow_body
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nAction=")
        .await
        .unwrap();
    let sent = read_until_closed(&mut slow_body, limit).await.unwrap();
    assert!(sent.is_empty(), "{}", String::from_utf8_lossy(&sent));
    still_serves(&mock).await;
    mock.shutdown().await;
}

#[tokio::test]
async fn oversized_bodies_are_answered_not_dropped() {
    let mock = start(MockConfig {
        max_post_bytes: 1000,
        ..MockConfig::default()
    })
    .await;
    let body = format!(r#"{{"UserId":"{}"}}"#, "x".repeat(5000)).into_bytes();
    let host = mock.addr().to_string();
    let credentials = test_pair();
    let signed = sign(&SignRequest::post_json(
        &host,
        "DestroySession",
        &body,
        now(),
        &credentials,
    ))
    .unwrap();
    let mut request = reqwest::Client::new().post(mock.url()).body(body.clone());
    for (name, value) in &signed.headers {
        if !name.eq_ignore_ascii_case("host") {
            request = request.header(name, value);
        }
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(
        answer["Response"]["Error"]["Code"],
        "RequestSizeLimitExceeded"
    );

    // An announced length far beyond any limit is refused without reading, and the connection
    // is closed after the answer.
    let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
    stream
        .write_all(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-TC-Action: DestroySession\r\n\
              X-TC-Version: 2022-01-10\r\nX-TC-Timestamp: 1700000000\r\nContent-Length: 99999999999\r\n\r\n",
        )
        .await
        .unwrap();
    let sent = read_until_closed(&mut stream, Duration::from_secs(3))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&sent);
    assert!(text.contains("RequestSizeLimitExceeded"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
    mock.shutdown().await;
}

/// Answers what the server kept of each body: `kept/len`.
struct KeptBody;

impl mock::Handler for KeptBody {
    fn body_limit(&self, _method: &http::Method) -> usize {
        100
    }

    async fn handle<'a>(&'a self, request: RequestView<'a>) -> http::Response<Bytes> {
        let text = format!("{}/{}", request.body.len(), request.body_len);
        http::Response::new(Bytes::from(text))
    }
}

#[tokio::test]
async fn bodies_announced_over_the_limit_are_counted_not_kept() {
    let timeouts = mock::Timeouts {
        header: Duration::from_secs(5),
        body: Duration::from_secs(5),
    };
    let server = mock::start_handler(KeptBody, "127.0.0.1:0".parse().unwrap(), timeouts)
        .await
        .unwrap();
    let url = format!("http://{}/", server.addr());
    let client = reqwest::Client::new();
    for (size, kept) in [
        (50, "50/50"),
        (100, "100/100"),
        (101, "0/101"),
        (5000, "0/5000"),
    ] {
        let answer = client
            .post(&url)
            .body(vec![b'x'; size])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.text().await.unwrap(), kept, "{size} bytes");
    }
    // Without an announced length the server keeps what the handler asks for and counts the rest.
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let chunk = "x".repeat(150);
    let request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let sent = read_until_closed(&mut stream, Duration::from_secs(3))
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&sent);
    assert!(text.ends_with("100/150"), "{text}");
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_finishes_the_request_in_flight_then_refuses_connections() {
    let mock = start(MockConfig {
        create_session_ms: 400,
        ..MockConfig::default()
    })
    .await;
    let addr = mock.addr();
    let host = addr.to_string();
    let credentials = test_pair();
    let client = reqwest::Client::new();
    let send = |action: &'static str, body: Value| {
        let body = serde_json::to_vec(&body).unwrap();
        let signed = sign(&SignRequest::post_json(
            &host,
            action,
            &body,
            now(),
            &credentials,
        ))
        .unwrap();
        let mut request = client.post(format!("http://{addr}/")).body(body);
        for (name, value) in &signed.headers {
            if !name.eq_ignore_ascii_case("host") {
                request = request.header(name, value);
            }
        }
        request.send()
    };
    let apply = send(
        "ApplyConcurrent",
        json!({"UserId": "s", "UserIp": "1.2.3.4", "ProjectId": "cap-1"}),
    );
    apply.await.unwrap();
    let in_flight = tokio::spawn(send(
        "CreateSession",
        json!({"UserId": "s", "UserIp": "1.2.3.4", "ClientSession": "eyJ9"}),
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;
    mock.shutdown().await;
    let response = in_flight.await.unwrap().unwrap();
    let answer: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert!(answer["Response"]["ServerSession"].is_string(), "{answer}");
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn expired_locks_are_reclaimed() {
    let mock = start(MockConfig {
        lock_lifetime_ms: 100,
        concurrency_quota: 3,
        rate_limit_per_second: None,
        ..MockConfig::default()
    })
    .await;
    let host = mock.addr().to_string();
    let credentials = test_pair();
    let client = reqwest::Client::new();
    for round in 0..3 {
        for user in 0..3 {
            let body = serde_json::to_vec(&json!({"UserId": format!("r{round}u{user}"), "UserIp": "1.2.3.4", "ProjectId": "cap-1"})).unwrap();
            let signed = sign(&SignRequest::post_json(
                &host,
                "ApplyConcurrent",
                &body,
                now(),
                &credentials,
            ))
            .unwrap();
            let mut request = client.post(mock.url()).body(body);
            for (name, value) in &signed.headers {
                if !name.eq_ignore_ascii_case("host") {
                    request = request.header(name, value);
                }
            }
            let answer: Value =
                serde_json::from_slice(&request.send().await.unwrap().bytes().await.unwrap())
                    .unwrap();
            assert!(answer["Response"].get("Error").is_none(), "{answer}");
        }
        assert_eq!(mock.live().locks.len(), 3);
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(mock.live().locks.is_empty());
    }
    mock.shutdown().await;
}
