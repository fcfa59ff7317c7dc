//! The mock authenticates what the headers allow before it reads a body (issue 15): a request
//! with an unknown SecretId and a 10 MiB body is answered before the body is sent, many of them
//! at once hold no memory, a stale timestamp is answered before the body too, and requests whose checks need the body (the official SDKs' signed
//! JSON, a v1 form POST) are still read and answered as before.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use car_conformance::mock::{self, MockConfig, MockHandle};
use car_conformance::sign::{Credentials, SignRequest, sign};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::call::test_pair;
use common::now;

const BODY: usize = 10 * 1024 * 1024;
const CONNECTIONS: usize = 32;

async fn start() -> MockHandle {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    mock::start(MockConfig::default(), any).await.unwrap()
}

/// The head of a DestroySession signed over `body` with `credentials`, announcing its length.
fn head(mock: &MockHandle, body: &[u8], credentials: &Credentials) -> String {
    let host = mock.addr().to_string();
    let signed = sign(&SignRequest::post_json(
        &host,
        "DestroySession",
        body,
        now(),
        credentials,
    ))
    .unwrap();
    let mut head = String::from("POST / HTTP/1.1\r\n");
    for (name, value) in &signed.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    head
}

/// Reads one HTTP answer's head and body (up to the JSON's closing brace or `limit`).
async fn read_answer(stream: &mut TcpStream, limit: Duration) -> Option<String> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
            if out.ends_with(b"}") {
                break;
            }
        }
    })
    .await;
    read.ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// This process's resident memory, in bytes (Linux; 0 elsewhere, which makes the check vacuous).
fn resident() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kib| kib * 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_secret_id_is_answered_before_its_body_and_holds_no_memory() {
    let mock = start().await;
    let body = vec![b' '; BODY];
    let stranger = Credentials::new("AKIDnobodyknowsthiskey0000000000000", "not-the-key");
    let head = head(&mock, &body, &stranger);
    let before = resident();
    let mut streams = Vec::new();
    for _ in 0..CONNECTIONS {
        let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        streams.push(stream);
    }
    // Not a byte of any body is sent yet: each answer comes from the head alone.
    for stream in &mut streams {
        let answer = read_answer(stream, Duration::from_secs(5))
            .await
            .expect("answered before the body was sent");
        assert!(answer.contains("AuthFailure.SecretIdNotFound"), "{answer}");
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "{answer}"
        );
    }
    // Then every body, slowly (1 MiB at a time, all connections in turn): the mock drains them
    // unkept, so its memory does not grow by the 320 MiB they add up to.
    let mut peak = before;
    for chunk in body.chunks(1024 * 1024) {
        for stream in &mut streams {
            let _ = stream.write_all(chunk).await;
        }
        peak = peak.max(resident());
    }
    let grown = peak.saturating_sub(before);
    assert!(
        grown < 64 * 1024 * 1024,
        "memory grew by {} MiB while {CONNECTIONS} bodies of 10 MiB were sent",
        grown / (1024 * 1024)
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn a_stale_timestamp_is_answered_before_its_body() {
    let mock = start().await;
    let body = vec![b' '; BODY];
    let host = mock.addr().to_string();
    let signed = sign(&SignRequest::post_json(
        &host,
        "DestroySession",
        &body,
        now() - 3600,
        &test_pair(),
    ))
    .unwrap();
    let mut head = String::from("POST / HTTP/1.1\r\n");
    for (name, value) in &signed.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut stream, Duration::from_secs(5))
        .await
        .expect("answered before the body was sent");
    assert!(answer.contains("AuthFailure.SignatureExpire"), "{answer}");
    mock.shutdown().await;
}

#[tokio::test]
async fn a_known_key_is_still_read_and_answered_as_before() {
    let mock = start().await;
    let credentials = test_pair();
    // Signed JSON, as the official SDKs send it: the signature needs the body, so it is read.
    let body = br#"{"UserId":"first"}"#;
    let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
    let request = format!("{}{}", head(&mock, body, &credentials), "");
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(body).await.unwrap();
    let answer = read_answer(&mut stream, Duration::from_secs(5))
        .await
        .unwrap();
    let json: Value =
        serde_json::from_str(&answer[answer.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert!(json["Response"].get("Error").is_none(), "{json}");

    // A body that does not match its signature still takes the body to find out.
    let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
    stream
        .write_all(head(&mock, body, &credentials).as_bytes())
        .await
        .unwrap();
    assert!(
        read_answer(&mut stream, Duration::from_millis(300))
            .await
            .is_none(),
        "answered before the body that decides it"
    );
    stream.write_all(br#"{"UserId":"other"}"#).await.unwrap();
    let answer = read_answer(&mut stream, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(answer.contains("AuthFailure.SignatureFailure"), "{answer}");

    // A v1 form POST carries its credentials in the body: read, then refused on its SecretId.
    let form = "Action=DescribeConcurrentCount&Version=2022-01-10&Timestamp=1&Nonce=1\
                &SecretId=AKIDnobody&Signature=x";
    let mut stream = TcpStream::connect(mock.addr()).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{form}",
        mock.addr(),
        form.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let answer = read_answer(&mut stream, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(answer.contains("AuthFailure"), "{answer}");
    mock.shutdown().await;
}
