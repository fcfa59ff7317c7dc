//! Tests of the signing module: the published worked examples step by step, a sign → verify
//! round-trip property, and one targeted change per rejection reason.

use proptest::prelude::*;

use super::*;

const EXAMPLE_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
const EXAMPLE_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn example(
    method: &'static str,
    query: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    timestamp: i64,
    credentials: &Credentials,
) -> Signed {
    sign(&SignRequest {
        method,
        host: "cvm.tencentcloudapi.com",
        content_type,
        query,
        body,
        timestamp,
        service: "cvm",
        action: "DescribeInstances",
        version: "2017-03-12",
        region: Some("ap-guangzhou"),
        language: None,
        credentials,
        extra_signed_headers: &[],
        unsigned_payload: false,
    })
    .expect("timestamp in range")
}

#[test]
fn published_get_example_matches_at_every_step() {
    let credentials = Credentials::new(EXAMPLE_ID, EXAMPLE_KEY);
    let signed = example(
        "GET",
        "Limit=10&Offset=0",
        "application/x-www-form-urlencoded",
        b"",
        1539084154,
        &credentials,
    );
    assert_eq!(signed.hashed_payload, EMPTY_SHA256);
    assert_eq!(
        signed.canonical_request,
        format!(
            "GET\n/\nLimit=10&Offset=0\ncontent-type:application/x-www-form-urlencoded\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n{EMPTY_SHA256}"
        )
    );
    assert_eq!(
        hex_sha256(signed.canonical_request.as_bytes()),
        "91c9c192c14460df6c1ffc69e34e6c5e90708de2a6d282cccf957dbf1aa7f3a7"
    );
    assert_eq!(
        signed.string_to_sign,
        "TC3-HMAC-SHA256\n1539084154\n2018-10-09/cvm/tc3_request\n91c9c192c14460df6c1ffc69e34e6c5e90708de2a6d282cccf957dbf1aa7f3a7"
    );
    assert_eq!(
        signed.signature,
        "5da7a33f6993f0614b047e5df4582db9e9bf4672ba50567dba16c6ccf174c474"
    );
    assert_eq!(
        signed.authorization,
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2018-10-09/cvm/tc3_request, SignedHeaders=content-type;host, Signature=5da7a33f6993f0614b047e5df4582db9e9bf4672ba50567dba16c6ccf174c474"
    );
}

#[test]
fn published_post_example_matches_at_every_step() {
    let credentials = Credentials::new(EXAMPLE_ID, EXAMPLE_KEY);
    let body = br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    let signed = example(
        "POST",
        "",
        "application/json; charset=utf-8",
        body,
        1551113065,
        &credentials,
    );
    assert_eq!(
        signed.hashed_payload,
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    );
    assert!(signed.canonical_request.starts_with("POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\ncontent-type;host\n"));
    assert_eq!(
        hex_sha256(signed.canonical_request.as_bytes()),
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    );
    assert!(
        signed
            .string_to_sign
            .contains("\n2019-02-25/cvm/tc3_request\n")
    );
    assert_eq!(
        signed.signature,
        "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    );
}

#[test]
fn cached_and_uncached_keys_sign_alike() {
    let credentials = Credentials::new(EXAMPLE_ID, EXAMPLE_KEY);
    let cache = KeyCache::new();
    let request = SignRequest::post_json(
        "car.tencentcloudapi.com",
        "CreateSession",
        b"{}",
        1_700_000_000,
        &credentials,
    );
    let plain = sign(&request).unwrap();
    assert_eq!(sign_with_cache(&request, &cache).unwrap(), plain);
    assert_eq!(sign_with_cache(&request, &cache).unwrap(), plain);
}

#[test]
fn date_is_utc_whatever_the_hour() {
    // 2024-01-01T23:59:59Z and 2024-01-02T00:00:00Z straddle midnight UTC.
    assert_eq!(utc_date(1_704_153_599).as_deref(), Some("2024-01-01"));
    assert_eq!(utc_date(1_704_153_600).as_deref(), Some("2024-01-02"));
    assert_eq!(utc_date(i64::MAX), None);
}

#[test]
fn debug_output_hides_secrets() {
    let credentials = Credentials::new("AKIDvisible", "SUPERSECRETKEY").with_token("SECRETTOKEN");
    let signed = sign(&SignRequest::post_json(
        "h",
        "CreateSession",
        b"{}",
        1_700_000_000,
        &credentials,
    ))
    .unwrap();
    let shown = format!("{credentials:?} {signed:?}");
    assert!(!shown.contains("SUPERSECRETKEY"));
    assert!(!shown.contains("SECRETTOKEN"));
    assert!(!shown.contains(&signed.signature));
}

// ---- verify: one good request, then one targeted change per rejection reason ----

const NOW: i64 = 1_700_000_000;
const HOST: &str = "127.0.0.1:8080";
const BODY: &[u8] = br#"{"UserId":"u1","UserIp":"1.2.3.4"}"#;

/// The keys a verifying target knows: a plain pair and a temporary one with its token (the v1
/// tests use them too).
pub(super) fn keys(secret_id: &str) -> Option<KeyEntry> {
    match secret_id {
        "AKIDgood" => Some(KeyEntry {
            secret_key: "goodkey".into(),
            token: None,
        }),
        "AKIDtemp" => Some(KeyEntry {
            secret_key: "tempkey".into(),
            token: Some("tok".into()),
        }),
        _ => None,
    }
}

fn good_credentials() -> Credentials {
    Credentials::new("AKIDgood", "goodkey")
}

fn signed_headers(request: &SignRequest<'_>) -> Vec<(String, String)> {
    sign(request).unwrap().headers
}

fn check(
    headers: &[(String, String)],
    method: &str,
    query: &str,
    body: &[u8],
    now: i64,
) -> Result<String, Rejection> {
    let policy = VerifyPolicy {
        now,
        ..VerifyPolicy::default()
    };
    let received = Received {
        method,
        path: "/",
        query,
        headers,
        body,
    };
    verify(&received, &keys, &policy, None)
}

/// The headers of a CreateSession POST of `BODY` at `NOW`, signed with `credentials`.
fn headers_signed_by(credentials: &Credentials) -> Vec<(String, String)> {
    signed_headers(&SignRequest::post_json(
        HOST,
        "CreateSession",
        BODY,
        NOW,
        credentials,
    ))
}

fn good_headers() -> Vec<(String, String)> {
    headers_signed_by(&good_credentials())
}

fn replace(headers: &mut [(String, String)], name: &str, value: String) {
    let slot = headers
        .iter_mut()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .unwrap();
    slot.1 = value;
}

fn authorization(headers: &[(String, String)]) -> String {
    headers.header("authorization").unwrap().to_owned()
}

fn code_of(result: Result<String, Rejection>) -> &'static str {
    result.expect_err("the request should be rejected").code()
}

#[test]
fn a_good_request_verifies() {
    assert_eq!(
        check(&good_headers(), "POST", "", BODY, NOW).as_deref(),
        Ok("AKIDgood")
    );
}

#[test]
fn missing_authorization_is_invalid_authorization() {
    let mut headers = good_headers();
    headers.retain(|(n, _)| n != "Authorization");
    assert_eq!(
        check(&headers, "POST", "", BODY, NOW),
        Err(Rejection::MissingAuthorization)
    );
    assert_eq!(
        Rejection::MissingAuthorization.code(),
        "AuthFailure.InvalidAuthorization"
    );
}

#[test]
fn malformed_authorization_is_invalid_authorization() {
    let mut headers = good_headers();
    replace(
        &mut headers,
        "Authorization",
        "TC3-HMAC-SHA256 garbage".into(),
    );
    assert_eq!(
        code_of(check(&headers, "POST", "", BODY, NOW)),
        "AuthFailure.InvalidAuthorization"
    );
}

#[test]
fn other_algorithm_is_invalid_authorization() {
    let mut headers = good_headers();
    let value = authorization(&headers).replace("TC3-HMAC-SHA256", "HMAC-SHA1");
    replace(&mut headers, "Authorization", value);
    assert!(matches!(
        check(&headers, "POST", "", BODY, NOW),
        Err(Rejection::UnsupportedAlgorithm(_))
    ));
}

#[test]
fn unknown_secret_id_is_secret_id_not_found() {
    let credentials = Credentials::new("AKIDunknown", "goodkey");
    let headers = headers_signed_by(&credentials);
    assert_eq!(
        check(&headers, "POST", "", BODY, NOW),
        Err(Rejection::UnknownSecretId)
    );
    assert_eq!(
        Rejection::UnknownSecretId.code(),
        "AuthFailure.SecretIdNotFound"
    );
}

#[test]
fn wrong_secret_key_is_signature_failure() {
    let credentials = Credentials::new("AKIDgood", "wrongkey");
    let headers = headers_signed_by(&credentials);
    assert_eq!(
        check(&headers, "POST", "", BODY, NOW),
        Err(Rejection::SignatureMismatch)
    );
    assert_eq!(
        Rejection::SignatureMismatch.code(),
        "AuthFailure.SignatureFailure"
    );
}

#[test]
fn body_changed_after_signing_is_signature_failure() {
    assert_eq!(
        check(
            &good_headers(),
            "POST",
            "",
            br#"{"UserId":"u2","UserIp":"1.2.3.4"}"#,
            NOW
        ),
        Err(Rejection::SignatureMismatch)
    );
}

#[test]
fn scope_date_not_the_timestamps_utc_date_is_rejected() {
    let mut headers = good_headers();
    let date = utc_date(NOW).unwrap();
    let value = authorization(&headers).replace(&date, "2001-01-01");
    replace(&mut headers, "Authorization", value);
    assert!(matches!(
        check(&headers, "POST", "", BODY, NOW),
        Err(Rejection::ScopeDateMismatch { .. })
    ));
}

#[test]
fn scope_service_not_car_is_rejected() {
    let credentials = good_credentials();
    let mut request = SignRequest::post_json(HOST, "CreateSession", BODY, NOW, &credentials);
    request.service = "cvm";
    let headers = signed_headers(&request);
    assert!(matches!(
        check(&headers, "POST", "", BODY, NOW),
        Err(Rejection::ScopeServiceMismatch { .. })
    ));
}

#[test]
fn host_not_signed_is_rejected() {
    let mut headers = good_headers();
    let value = authorization(&headers).replace(
        "SignedHeaders=content-type;host",
        "SignedHeaders=content-type",
    );
    replace(&mut headers, "Authorization", value);
    assert_eq!(
        check(&headers, "POST", "", BODY, NOW),
        Err(Rejection::RequiredHeaderNotSigned("host"))
    );
}

#[test]
fn content_type_not_signed_is_rejected() {
    let mut headers = good_headers();
    let value =
        authorization(&headers).replace("SignedHeaders=content-type;host", "SignedHeaders=host");
    replace(&mut headers, "Authorization", value);
    assert_eq!(
        check(&headers, "POST", "", BODY, NOW),
        Err(Rejection::RequiredHeaderNotSigned("content-type"))
    );
}

#[test]
fn signed_header_not_sent_is_rejected() {
    let credentials = good_credentials();
    let extra = [("x-tc-action".to_owned(), "CreateSession".to_owned())];
    let mut request = SignRequest::post_json(HOST, "CreateSession", BODY, NOW, &credentials);
    request.extra_signed_headers = &extra;
    let mut headers = signed_headers(&request);
    assert_eq!(
        check(&headers, "POST", "", BODY, NOW).as_deref(),
        Ok("AKIDgood")
    );
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case("x-tc-action"));
    assert!(matches!(
        check(&headers, "POST", "", BODY, NOW),
        Err(Rejection::SignedHeaderAbsent(_))
    ));
}

#[test]
fn expired_and_future_timestamps_are_signature_expire() {
    let headers = good_headers();
    assert_eq!(
        check(&headers, "POST", "", BODY, NOW + 300).as_deref(),
        Ok("AKIDgood")
    );
    let late = check(&headers, "POST", "", BODY, NOW + 301);
    assert_eq!(
        late,
        Err(Rejection::Expired {
            skew_secs: 301,
            window_secs: 300
        })
    );
    assert_eq!(code_of(late), "AuthFailure.SignatureExpire");
    assert_eq!(
        code_of(check(&headers, "POST", "", BODY, NOW - 301)),
        "AuthFailure.SignatureExpire"
    );
}

#[test]
fn the_clock_is_judged_from_the_headers_before_the_signature() {
    // A stale request whose body was changed after signing: the clock decides, so a server
    // can refuse it before reading the body.
    let headers = good_headers();
    let changed = check(&headers, "POST", "", b"{}", NOW + 301);
    assert_eq!(code_of(changed), "AuthFailure.SignatureExpire");
    let policy = VerifyPolicy {
        now: NOW + 301,
        ..VerifyPolicy::default()
    };
    assert!(matches!(
        verify_head(&headers, &keys, &policy),
        Err(Rejection::Expired { .. })
    ));
    let policy = VerifyPolicy {
        now: NOW,
        ..VerifyPolicy::default()
    };
    assert_eq!(verify_head(&headers, &keys, &policy), Ok(()));
}

#[test]
fn bad_timestamp_header_is_rejected() {
    let mut headers = good_headers();
    replace(&mut headers, "X-TC-Timestamp", "yesterday".into());
    assert_eq!(
        check(&headers, "POST", "", BODY, NOW),
        Err(Rejection::InvalidTimestamp)
    );
}

#[test]
fn temporary_credentials_need_their_token() {
    let with_token = Credentials::new("AKIDtemp", "tempkey").with_token("tok");
    let headers = headers_signed_by(&with_token);
    assert_eq!(
        check(&headers, "POST", "", BODY, NOW).as_deref(),
        Ok("AKIDtemp")
    );

    let wrong_token = Credentials::new("AKIDtemp", "tempkey").with_token("other");
    let headers = headers_signed_by(&wrong_token);
    assert_eq!(
        check(&headers, "POST", "", BODY, NOW),
        Err(Rejection::TokenMismatch)
    );
    assert_eq!(Rejection::TokenMismatch.code(), "AuthFailure.TokenFailure");

    let no_token = Credentials::new("AKIDtemp", "tempkey");
    let headers = headers_signed_by(&no_token);
    assert_eq!(
        check(&headers, "POST", "", BODY, NOW),
        Err(Rejection::TokenMismatch)
    );
}

#[test]
fn unsigned_payload_ignores_the_body_only_when_declared() {
    let credentials = good_credentials();
    let mut request = SignRequest::post_json(HOST, "CreateSession", BODY, NOW, &credentials);
    request.unsigned_payload = true;
    let mut headers = signed_headers(&request);
    assert_eq!(
        check(&headers, "POST", "", b"anything else", NOW).as_deref(),
        Ok("AKIDgood")
    );
    headers.retain(|(n, _)| n != "X-TC-Content-SHA256");
    assert_eq!(
        check(&headers, "POST", "", BODY, NOW),
        Err(Rejection::SignatureMismatch)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sign_then_verify_round_trips(
        get in any::<bool>(),
        host in "[a-z][a-z0-9.-]{0,20}(:[0-9]{1,5})?",
        body in prop_oneof![Just(String::new()), "\\PC{0,64}"],
        query in "([A-Za-z]{1,8}=[A-Za-z0-9%.]{0,8}(&[A-Za-z]{1,8}=[A-Za-z0-9%.]{0,8}){0,3})?",
        extra in proptest::collection::vec(("x-tc-[a-z]{1,10}", "[ -~]{0,16}"), 0..3),
        token in proptest::option::of("[A-Za-z0-9]{1,32}"),
        timestamp in 0i64..4_000_000_000,
        unsigned in any::<bool>(),
    ) {
        let mut credentials = Credentials::new("AKIDprop", "propkey");
        credentials.token = token.clone();
        let (method, content_type, query, body) = if get {
            ("GET", "application/x-www-form-urlencoded", query.as_str(), &b""[..])
        } else {
            ("POST", "application/json", "", body.as_bytes())
        };
        let request = SignRequest {
            method, host: &host, content_type, query, body, timestamp,
            service: "car", action: "CreateSession", version: "2022-01-10",
            region: None, language: None, credentials: &credentials,
            extra_signed_headers: &extra, unsigned_payload: unsigned,
        };
        let signed = sign(&request).unwrap();
        let lookup = |id: &str| (id == "AKIDprop").then(|| KeyEntry { secret_key: "propkey".into(), token: token.clone() });
        let policy = VerifyPolicy { now: timestamp, ..VerifyPolicy::default() };
        let received = Received { method, path: "/", query, headers: &signed.headers, body };
        prop_assert_eq!(verify(&received, &lookup, &policy, None), Ok("AKIDprop".to_owned()));
        let cache = KeyCache::new();
        prop_assert_eq!(verify(&received, &lookup, &policy, Some(&cache)), Ok("AKIDprop".to_owned()));
    }
}
