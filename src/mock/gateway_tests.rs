//! Tests of the gateway steps and their order, with requests signed by `crate::sign`.

use super::*;
use crate::sign::{Credentials, SignRequest, sign};

pub(super) const HOST: &str = "127.0.0.1:8080";
pub(super) const NOW: i64 = 1_700_000_000;

/// A request as the server would see it, built from a signed request (the v1 tests build theirs
/// the same way).
pub(super) struct Built {
    pub(super) method: String,
    pub(super) query: String,
    pub(super) headers: http::HeaderMap,
    pub(super) body: Vec<u8>,
}

impl Built {
    pub(super) fn incoming(&self) -> Incoming<'_> {
        Incoming {
            method: &self.method,
            path: "/",
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
            body_len: self.body.len() as u64,
        }
    }

    fn set(mut self, name: &'static str, value: &str) -> Self {
        self.headers
            .insert(name, http::HeaderValue::from_str(value).unwrap());
        self
    }

    fn without(mut self, name: &'static str) -> Self {
        self.headers.remove(name);
        self
    }
}

fn test_pair() -> Credentials {
    Credentials::new(crate::mock::TEST_SECRET_ID, crate::mock::TEST_SECRET_KEY)
}

fn build(method: &str, action: &str, query: &str, body: &[u8], timestamp: i64) -> Built {
    let credentials = test_pair();
    let content_type = if method == "GET" {
        "application/x-www-form-urlencoded"
    } else {
        "application/json"
    };
    let request = SignRequest {
        method,
        query,
        content_type,
        ..SignRequest::post_json(HOST, action, body, timestamp, &credentials)
    };
    let signed = sign(&request).unwrap();
    let mut headers = http::HeaderMap::new();
    for (name, value) in &signed.headers {
        headers.insert(
            http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    Built {
        method: method.to_owned(),
        query: query.to_owned(),
        headers,
        body: body.to_vec(),
    }
}

fn post(action: &str, body: &str) -> Built {
    build("POST", action, "", body.as_bytes(), NOW)
}

fn gateway(config: MockConfig) -> Gateway {
    Gateway::new(&config, Checks::all())
}

fn code(gateway: &Gateway, built: &Built) -> String {
    match gateway.check(&built.incoming(), NOW, Instant::now()) {
        Ok(_) => String::new(),
        Err(error) => error.code,
    }
}

const GOOD: &str = r#"{"UserId":"u","UserIp":"1.2.3.4","ClientSession":"eyJ9"}"#;

#[test]
fn a_correct_request_passes_with_its_action_key_and_parameters() {
    let gateway = gateway(MockConfig::default());
    let built = post("CreateSession", GOOD);
    let checked = gateway
        .check(&built.incoming(), NOW, Instant::now())
        .unwrap();
    assert_eq!(checked.action, Action::CreateSession);
    assert_eq!(checked.secret_id, crate::mock::TEST_SECRET_ID);
    assert_eq!(checked.params["UserId"], "u");
}

#[test]
fn each_step_answers_its_code() {
    let gateway = gateway(MockConfig::default());
    let cases: Vec<(Built, &str)> = vec![
        (
            Built {
                method: "DELETE".into(),
                ..post("CreateSession", GOOD)
            },
            "UnsupportedProtocol",
        ),
        (
            post("CreateSession", GOOD).without("x-tc-action"),
            "MissingParameter",
        ),
        (
            post("CreateSession", GOOD).without("x-tc-timestamp"),
            "MissingParameter",
        ),
        (post("CreateSessions", GOOD), "InvalidAction"),
        (
            post("CreateSession", GOOD).set("x-tc-version", "2020-01-01"),
            "NoSuchVersion",
        ),
        (
            post("CreateSession", GOOD).without("authorization"),
            "AuthFailure.InvalidAuthorization",
        ),
        (
            post("CreateSession", GOOD).set("x-tc-timestamp", &(NOW + 1).to_string()),
            "AuthFailure.SignatureFailure",
        ),
        (
            build("POST", "CreateSession", "", GOOD.as_bytes(), NOW - 301),
            "AuthFailure.SignatureExpire",
        ),
        (
            build("POST", "CreateSession", "", GOOD.as_bytes(), NOW + 301),
            "AuthFailure.SignatureExpire",
        ),
        (
            post("CreateSession", "[1, 2]"),
            "InvalidParameter.JsonParseError",
        ),
        (
            post("CreateSession", "{"),
            "InvalidParameter.JsonParseError",
        ),
        (post("CreateSession", ""), "MissingParameter"),
        (
            post(
                "CreateSession",
                r#"{"UserId":"u","UserIp":"1.2.3.4","Foo":"x"}"#,
            ),
            "UnknownParameter",
        ),
    ];
    for (built, expected) in cases {
        assert_eq!(code(&gateway, &built), expected, "{:?}", built.headers);
    }
}

#[test]
fn the_steps_run_in_the_documented_order() {
    let names: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "method",
            "required-headers",
            "action",
            "version",
            "size",
            "signature",
            "body",
            "params",
            "rate-limit"
        ]
    );
    let gateway = gateway(MockConfig::default());
    // A wrong method wins over a missing header; a missing header over a bad action; a bad action
    // over a bad version; size over the signature; the signature over the body.
    let bad_everything = Built {
        method: "PUT".into(),
        ..post("Nope", "{").without("x-tc-version")
    };
    assert_eq!(code(&gateway, &bad_everything), "UnsupportedProtocol");
    let no_version_bad_action = post("Nope", "{").without("x-tc-version");
    assert_eq!(code(&gateway, &no_version_bad_action), "MissingParameter");
    let bad_action_and_version = post("Nope", "{").set("x-tc-version", "1999-01-01");
    assert_eq!(code(&gateway, &bad_action_and_version), "InvalidAction");
    let small = gateway_with_limits(8, 8);
    assert_eq!(
        code(
            &small,
            &post("CreateSession", GOOD).without("authorization")
        ),
        "RequestSizeLimitExceeded"
    );
    assert_eq!(
        code(
            &gateway,
            &post("CreateSession", "{").without("authorization")
        ),
        "AuthFailure.InvalidAuthorization"
    );
}

fn gateway_with_limits(max_get: usize, max_post: usize) -> Gateway {
    gateway(MockConfig {
        max_get_bytes: max_get,
        max_post_bytes: max_post,
        ..MockConfig::default()
    })
}

#[test]
fn size_limits_count_the_query_for_get_and_the_body_for_post() {
    let query = "UserId=u";
    let gateway = gateway_with_limits(query.len(), 100);
    let get = build("GET", "DestroySession", query, b"", NOW);
    assert_eq!(code(&gateway, &get), "");
    let gateway = gateway_with_limits(query.len() - 1, 100);
    assert_eq!(code(&gateway, &get), "RequestSizeLimitExceeded");
    let body = r#"{"UserId":"u"}"#;
    let gateway = gateway_with_limits(1, body.len());
    assert_eq!(code(&gateway, &post("DestroySession", body)), "");
    let gateway = gateway_with_limits(1, body.len() - 1);
    assert_eq!(
        code(&gateway, &post("DestroySession", body)),
        "RequestSizeLimitExceeded"
    );
    // An oversized body the server did not keep in full is still measured by its length.
    let gateway = gateway_with_limits(100, 100);
    let cut = post("DestroySession", body);
    let mut incoming = cut.incoming();
    incoming.body_len = 1_000_000;
    assert_eq!(
        gateway
            .check(&incoming, NOW, Instant::now())
            .unwrap_err()
            .code,
        "RequestSizeLimitExceeded"
    );
}

#[test]
fn get_parameters_are_form_decoded_and_a_form_post_is_accepted() {
    let gateway = gateway(MockConfig::default());
    let get = build(
        "GET",
        "ApplyConcurrent",
        "UserId=a%20b&UserIp=1.2.3.4&ProjectId=cap-1",
        b"",
        NOW,
    );
    let checked = gateway.check(&get.incoming(), NOW, Instant::now()).unwrap();
    assert_eq!(checked.params["UserId"], "a b");
    let credentials = test_pair();
    let body = b"UserId=x";
    let request = SignRequest {
        content_type: "application/x-www-form-urlencoded",
        ..SignRequest::post_json(HOST, "DestroySession", body, NOW, &credentials)
    };
    let signed = sign(&request).unwrap();
    let mut built = post("DestroySession", "");
    built.body = body.to_vec();
    for (name, value) in &signed.headers {
        built.headers.insert(
            http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap(),
            http::HeaderValue::from_str(value).unwrap(),
        );
    }
    let checked = gateway
        .check(&built.incoming(), NOW, Instant::now())
        .unwrap();
    assert_eq!(checked.params["UserId"], "x");
}

#[test]
fn the_rate_limit_comes_last_and_counts_only_verified_requests() {
    let gateway = gateway(MockConfig {
        rate_limit_per_second: Some(1),
        ..MockConfig::default()
    });
    let now = Instant::now();
    let unsigned = post("DestroySession", r#"{"UserId":"u"}"#).without("authorization");
    for _ in 0..3 {
        assert!(gateway.check(&unsigned.incoming(), NOW, now).is_err());
    }
    let good = post("DestroySession", r#"{"UserId":"u"}"#);
    assert!(gateway.check(&good.incoming(), NOW, now).is_ok());
    assert_eq!(
        gateway.check(&good.incoming(), NOW, now).unwrap_err().code,
        "RequestLimitExceeded"
    );
    let off = self::gateway(MockConfig {
        rate_limit_per_second: None,
        ..MockConfig::default()
    });
    for _ in 0..200 {
        assert!(off.check(&good.incoming(), NOW, now).is_ok());
    }
}

#[test]
fn the_timestamp_window_is_configurable() {
    let gateway = gateway(MockConfig {
        timestamp_window_secs: 10,
        ..MockConfig::default()
    });
    let built = build("POST", "DestroySession", "", br#"{"UserId":"u"}"#, NOW - 11);
    assert_eq!(code(&gateway, &built), "AuthFailure.SignatureExpire");
    let built = build("POST", "DestroySession", "", br#"{"UserId":"u"}"#, NOW - 10);
    assert_eq!(code(&gateway, &built), "");
}

#[test]
fn each_switched_off_check_lets_its_problem_through() {
    let gateway_without = |check: Check| {
        Gateway::new(
            &MockConfig {
                rate_limit_per_second: Some(0),
                max_post_bytes: 10,
                ..MockConfig::default()
            },
            Checks::all()
                .without(check)
                .without(Check::RateLimit)
                .without(Check::Size),
        )
    };
    let wrong_key = {
        let credentials = Credentials::new(crate::mock::TEST_SECRET_ID, "wrong");
        let signed = sign(&SignRequest::post_json(
            HOST,
            "DestroySession",
            br#"{"UserId":"u"}"#,
            NOW,
            &credentials,
        ))
        .unwrap();
        post("DestroySession", r#"{"UserId":"u"}"#).set("authorization", &signed.authorization)
    };
    let cases: Vec<(Check, Built, &str)> = vec![
        (
            Check::Method,
            build("PUT", "DestroySession", "", br#"{"UserId":"u"}"#, NOW),
            "UnsupportedProtocol",
        ),
        (
            Check::Version,
            post("DestroySession", r#"{"UserId":"u"}"#).set("x-tc-version", "2017-03-12"),
            "NoSuchVersion",
        ),
        (Check::Signature, wrong_key, "AuthFailure.SignatureFailure"),
        (
            Check::TimestampWindow,
            build(
                "POST",
                "DestroySession",
                "",
                br#"{"UserId":"u"}"#,
                NOW - 3600,
            ),
            "AuthFailure.SignatureExpire",
        ),
        (
            Check::Param(params::ParamRule::Unknown),
            post("DestroySession", r#"{"UserId":"u","Extra":"x"}"#),
            "UnknownParameter",
        ),
    ];
    let strict = Gateway::new(
        &MockConfig::default(),
        Checks::all().without(Check::RateLimit),
    );
    for (check, built, code_when_on) in cases {
        assert_eq!(code(&strict, &built), code_when_on, "{check:?} on");
        assert_eq!(code(&gateway_without(check), &built), "", "{check:?} off");
    }
    // A body that is not JSON counts as `{}`: the next refusal is the missing UserId.
    let lenient = gateway_without(Check::JsonBody);
    assert_eq!(
        code(&lenient, &post("DestroySession", "{oops")),
        "MissingParameter"
    );
    // The rate limit and size checks were off throughout; on, they refuse.
    let limited = Gateway::new(
        &MockConfig {
            rate_limit_per_second: Some(0),
            ..MockConfig::default()
        },
        Checks::all(),
    );
    assert_eq!(
        code(&limited, &post("DestroySession", r#"{"UserId":"u"}"#)),
        "RequestLimitExceeded"
    );
}

/// `built` with its Authorization naming another SecretId (the signature is left as it was).
fn with_secret_id(built: Built, secret_id: &str) -> Built {
    let authorization = built.headers["authorization"].to_str().unwrap().replace(
        &format!("Credential={}/", crate::mock::TEST_SECRET_ID),
        &format!("Credential={secret_id}/"),
    );
    built.set("authorization", &authorization)
}

#[test]
fn the_head_refuses_only_what_the_whole_gateway_refuses_the_same_way_whatever_the_body() {
    let gateway = gateway(MockConfig::default());
    let unsigned = {
        let credentials = test_pair();
        let request = SignRequest {
            unsigned_payload: true,
            ..SignRequest::post_json(HOST, "CreateSession", GOOD.as_bytes(), NOW, &credentials)
        };
        let mut headers = http::HeaderMap::new();
        for (name, value) in &sign(&request).unwrap().headers {
            headers.insert(
                http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        Built {
            method: "POST".into(),
            query: String::new(),
            headers,
            body: GOOD.as_bytes().to_vec(),
        }
    };
    let unsigned_unknown_key = with_secret_id(unsigned.clone_built(), "AKIDnobody");
    let cases: Vec<(Built, Head)> = vec![
        (post("CreateSession", GOOD), Head::Read),
        (
            Built {
                method: "DELETE".into(),
                ..post("CreateSession", GOOD)
            },
            Head::Refused,
        ),
        (
            post("CreateSession", GOOD).without("x-tc-action"),
            Head::Refused,
        ),
        (post("CreateSessions", GOOD), Head::Refused),
        (
            post("CreateSession", GOOD).set("x-tc-version", "2020-01-01"),
            Head::Refused,
        ),
        (
            post("CreateSession", GOOD).without("authorization"),
            Head::Refused,
        ),
        (
            post("CreateSession", GOOD).set("authorization", "HMAC-MD5 Credential=x"),
            Head::Refused,
        ),
        (
            with_secret_id(post("CreateSession", GOOD), "AKIDnobody"),
            Head::Refused,
        ),
        // The scope's date is the timestamp's: a moved timestamp is a scope mismatch only
        // across midnight; here it leaves a signature only the body can show wrong.
        (
            post("CreateSession", GOOD).set("x-tc-timestamp", &(NOW + 1).to_string()),
            Head::Read,
        ),
        (
            post("CreateSession", GOOD).set("x-tc-timestamp", &(NOW + 86_400).to_string()),
            Head::Refused,
        ),
        (
            post("CreateSession", GOOD).without("content-type"),
            Head::Refused,
        ),
        // A stale clock is decided before the signature, from the headers.
        (
            build("POST", "CreateSession", "", GOOD.as_bytes(), NOW - 301),
            Head::Refused,
        ),
        (post("CreateSession", "{"), Head::Read),
        (unsigned, Head::Read),
        (unsigned_unknown_key, Head::Refused),
    ];
    for (built, expected) in cases {
        let head = gateway.head(&built.incoming(), NOW, Instant::now());
        assert_eq!(head, expected, "{:?}", built.headers);
        if head == Head::Refused {
            let unread = Built {
                body: Vec::new(),
                ..built.clone_built()
            };
            let whole = code(&gateway, &built);
            assert!(!whole.is_empty(), "{:?}", built.headers);
            assert_eq!(code(&gateway, &unread), whole, "{:?}", built.headers);
        }
    }
}

#[test]
fn the_head_sends_v1_requests_to_be_read() {
    let gateway = gateway(MockConfig::default());
    let mut form = http::HeaderMap::new();
    form.insert(
        "content-type",
        http::HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let v1 = Built {
        method: "POST".into(),
        query: String::new(),
        headers: form,
        body: b"Action=DescribeConcurrentCount&SecretId=AKIDnobody".to_vec(),
    };
    assert_eq!(gateway.head(&v1.incoming(), NOW, Instant::now()), Head::V1);
}

impl Built {
    fn clone_built(&self) -> Built {
        Built {
            method: self.method.clone(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
        }
    }
}
