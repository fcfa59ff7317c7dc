//! Tests of the mock's log: sanitising, the computed canonical request against the signer's, and
//! what a refused request's lines say (and never say).

use std::sync::{Arc, Mutex};

use super::*;
use crate::sign::{Credentials, SignRequest, Signed, sign};

#[test]
fn sanitise_escapes_control_characters_and_cuts_long_text() {
    assert_eq!(sanitise("user-1"), "user-1");
    assert_eq!(sanitise("a\nb\u{1b}[31m"), "a\\u{a}b\\u{1b}[31m");
    assert_eq!(sanitise("x\u{202e}y"), "x\\u{202e}y");
    let long = "é".repeat(500);
    let cut = sanitise(&long);
    assert_eq!(cut.chars().count(), MAX_FIELD_CHARS + 1);
    assert!(cut.ends_with('…'));
}

fn signed(credentials: &Credentials) -> (Signed, http::HeaderMap) {
    let request = SignRequest::post_json(
        "127.0.0.1:8080",
        "CreateSession",
        br#"{"UserId":"u"}"#,
        1_700_000_000,
        credentials,
    );
    let signed = sign(&request).unwrap();
    let mut headers = http::HeaderMap::new();
    for (name, value) in &signed.headers {
        headers.insert(
            http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    (signed, headers)
}

fn received<'a>(headers: &'a http::HeaderMap, body: &'a [u8]) -> Received<'a, http::HeaderMap> {
    Received {
        method: "POST",
        path: "/",
        query: "",
        headers,
        body,
    }
}

#[test]
fn the_mock_computes_what_the_signer_signed() {
    let (signed, headers) = signed(&Credentials::new("AKIDx", "secret-key-for-tests"));
    let computed = computed(&received(&headers, br#"{"UserId":"u"}"#)).unwrap();
    assert_eq!(computed.canonical_request, signed.canonical_request);
    assert_eq!(computed.string_to_sign, signed.string_to_sign);
    // A changed body changes the mock's side, which is what the team diffs against.
    let other = computed_for_body(&headers, br#"{"UserId":"v"}"#);
    assert_ne!(other.canonical_request, signed.canonical_request);
}

fn computed_for_body(headers: &http::HeaderMap, body: &[u8]) -> Computed {
    computed(&received(headers, body)).unwrap()
}

#[test]
fn a_signed_token_is_redacted() {
    let credentials =
        Credentials::new("AKIDx", "secret-key-for-tests").with_token("TOKEN-SECRET-1");
    let request = SignRequest {
        extra_signed_headers: &[("x-tc-token".to_owned(), "TOKEN-SECRET-1".to_owned())],
        ..SignRequest::post_json("h", "CreateSession", b"{}", 1_700_000_000, &credentials)
    };
    let signed = sign(&request).unwrap();
    let mut headers = http::HeaderMap::new();
    for (name, value) in &signed.headers {
        headers.insert(
            http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    let computed = computed(&received(&headers, b"{}")).unwrap();
    assert!(computed.canonical_request.contains("x-tc-token:<redacted>"));
    assert!(!computed.canonical_request.contains("TOKEN-SECRET-1"));
}

/// Everything logged while `f` runs, at `info` for the mock's targets.
fn captured(f: impl FnOnce()) -> String {
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("car_conformance::mock=info")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let bytes = sink.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn a_refused_signature_is_explained_without_key_or_signature() {
    let key = "secret-key-for-tests-000";
    let (signed, headers) = signed(&Credentials::new("AKIDx", key));
    let body = br#"{"UserId":"u"}"#;
    let log = captured(|| {
        signature_refused(
            &received(&headers, body),
            &VerifyPolicy::default(),
            &Rejection::SignatureMismatch,
        )
    });
    assert!(log.contains("the signature does not match"), "{log}");
    let escaped = format!("{:?}", signed.string_to_sign);
    assert!(log.contains(&escaped), "string to sign missing:\n{log}");
    assert!(log.contains("canonical_request=\"POST\\n/\\n"), "{log}");
    assert!(!log.contains(key), "{log}");
    assert!(!log.contains(&signed.signature), "{log}");
    assert_eq!(log.lines().count(), 1, "one line per refusal:\n{log}");
}

#[test]
fn one_line_per_request_with_hostile_text_escaped() {
    let uri: http::Uri = "/".parse().unwrap();
    let mut headers = http::HeaderMap::new();
    // A header value may carry a tab and UTF-8 (a right-to-left override here), not ESC.
    let action = "Evil\t\u{202e}x";
    headers.insert(
        "x-tc-action",
        http::HeaderValue::from_bytes(action.as_bytes()).unwrap(),
    );
    let body = br#"{"UserId":"line1\nFAKE request \u001b[2J outcome=ok"}"#;
    let view = RequestView {
        method: "POST",
        uri: &uri,
        headers: &headers,
        body,
        body_len: body.len() as u64,
    };
    let log = captured(|| {
        request(
            &view,
            &Seen::default(),
            Some("InvalidAction"),
            Duration::from_millis(3),
        )
    });
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(!log.contains('\u{1b}'), "{log}");
    assert!(!log.contains('\u{202e}'), "{log}");
    assert!(log.contains("action=Evil\\u{9}\\u{202e}x"), "{log}");
    assert!(
        log.contains("user_id=line1\\u{a}FAKE request \\u{1b}[2J"),
        "{log}"
    );
    assert!(log.contains("outcome=\"InvalidAction\"") || log.contains("outcome=InvalidAction"));
    let seen = Seen {
        action: Some(Action::CreateSession),
        user_id: Some("u-7".to_owned()),
    };
    let log = captured(|| request(&view, &seen, None, Duration::from_millis(1)));
    assert!(log.contains("action=CreateSession user_id=u-7"), "{log}");
    assert!(
        log.contains("outcome=\"ok\"") || log.contains("outcome=ok"),
        "{log}"
    );
}

#[test]
fn a_refused_v1_signature_is_explained_with_the_token_redacted() {
    let params: Vec<(String, String)> = [
        ("Action", "ApplyConcurrent"),
        ("Nonce", "11886"),
        ("SecretId", "AKIDx"),
        ("Signature", "c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3Qtc2hvdw=="),
        ("Timestamp", "1700000000"),
        ("Token", "TOKEN-SECRET-2"),
        ("UserId", "u\nforged"),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .collect();
    let received = V1Received {
        method: "GET",
        host: "127.0.0.1:8080",
        path: "/",
        params: &params,
    };
    let log =
        captured(|| v1_signature_refused(&received, &V1Rejection::SignatureMismatch("HmacSHA256")));
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(
        log.contains(r#"string_to_sign="GET127.0.0.1:8080/?Action=ApplyConcurrent&Nonce=11886"#),
        "{log}"
    );
    assert!(log.contains("Token=<redacted>&UserId=u\\nforged"), "{log}");
    assert!(!log.contains("TOKEN-SECRET-2"), "{log}");
    assert!(!log.contains("c2lnbmF0dXJl"), "{log}");
}
