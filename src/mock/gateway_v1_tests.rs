//! Tests of the gateway's signature-v1 way: GET and form POST accepted with both methods, each
//! documented refusal, the common parameters kept from the action, and the v1 defects.

use std::time::Instant;

use super::*;
use crate::mock::config::{MockConfig, MockCredential};
use crate::mock::decisions::Checks;
use crate::sign::Credentials;
use crate::sign::v1::{SignatureMethod, V1Common, sign_v1};

use super::super::tests::{Built, HOST, NOW};

struct Spec {
    http_method: &'static str,
    method: Option<SignatureMethod>,
    credentials: Credentials,
    key: String,
    timestamp: i64,
    /// Common parameters left out before signing (or `Signature`, after).
    omit: &'static [&'static str],
    /// A parameter set (or replaced) before signing.
    set: Option<(&'static str, &'static str)>,
    action: &'static str,
    params: &'static [(&'static str, &'static str)],
}

impl Default for Spec {
    fn default() -> Self {
        Self {
            http_method: "POST",
            method: Some(SignatureMethod::HmacSha256),
            credentials: Credentials::new(
                crate::mock::TEST_SECRET_ID,
                crate::mock::TEST_SECRET_KEY,
            ),
            key: crate::mock::TEST_SECRET_KEY.to_owned(),
            timestamp: NOW,
            omit: &[],
            set: None,
            action: "DestroySession",
            params: &[("UserId", "u1")],
        }
    }
}

fn build(spec: Spec) -> Built {
    let common = V1Common {
        action: spec.action,
        version: VERSION,
        timestamp: spec.timestamp,
        nonce: 12345,
        region: Some("ap-guangzhou"),
        language: None,
        method: spec.method,
        credentials: &spec.credentials,
    };
    let mut params = common.params();
    params.push(("RequestClient".into(), "SDK_PYTHON_3.0.0".into()));
    params.extend(spec.params.iter().map(|(n, v)| ((*n).into(), (*v).into())));
    params.retain(|(n, _)| !spec.omit.contains(&n.as_str()));
    if let Some((name, value)) = spec.set {
        params.retain(|(n, _)| n != name);
        params.push((name.into(), value.into()));
    }
    let hash = spec.method.unwrap_or(SignatureMethod::HmacSha1);
    let mut signed = sign_v1(spec.http_method, HOST, "/", params, &spec.key, hash);
    if spec.omit.contains(&"Signature") {
        signed.params.retain(|(n, _)| n != "Signature");
    }
    let encoded = signed.encoded();
    let mut headers = http::HeaderMap::new();
    headers.insert("host", http::HeaderValue::from_static(HOST));
    headers.insert(
        "content-type",
        http::HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let (query, body) = if spec.http_method == "GET" {
        (encoded, Vec::new())
    } else {
        (String::new(), encoded.into_bytes())
    };
    Built {
        method: spec.http_method.to_owned(),
        query,
        headers,
        body,
    }
}

fn gateway_with(config: MockConfig) -> Gateway {
    Gateway::new(&config, Checks::all())
}

fn run(gateway: &Gateway, built: &Built) -> Result<Checked, ApiError> {
    gateway.check(&built.incoming(), NOW, Instant::now())
}

fn code(spec: Spec) -> String {
    match run(&gateway_with(MockConfig::default()), &build(spec)) {
        Ok(_) => "ok".to_owned(),
        Err(error) => error.code,
    }
}

#[test]
fn get_and_form_post_pass_with_both_methods() {
    let gateway = gateway_with(MockConfig::default());
    for http_method in ["GET", "POST"] {
        for method in [
            None,
            Some(SignatureMethod::HmacSha1),
            Some(SignatureMethod::HmacSha256),
        ] {
            let built = build(Spec {
                http_method,
                method,
                ..Spec::default()
            });
            let checked = run(&gateway, &built)
                .unwrap_or_else(|e| panic!("{http_method} {method:?}: {}", e.code));
            assert_eq!(checked.action, Action::DestroySession);
            assert_eq!(checked.secret_id, crate::mock::TEST_SECRET_ID);
            // Only the action's own parameters reach the business layer.
            assert_eq!(
                serde_json::Value::Object(checked.params),
                serde_json::json!({"UserId": "u1"})
            );
        }
    }
}

#[test]
fn a_wrong_key_is_a_signature_failure() {
    let spec = Spec {
        key: "not-the-key".into(),
        ..Spec::default()
    };
    assert_eq!(code(spec), "AuthFailure.SignatureFailure");
}

#[test]
fn an_expired_or_future_timestamp_is_refused() {
    for timestamp in [NOW - 301, NOW + 301] {
        let spec = Spec {
            timestamp,
            ..Spec::default()
        };
        assert_eq!(code(spec), "AuthFailure.SignatureExpire");
    }
}

#[test]
fn an_unknown_secret_id_is_refused() {
    let spec = Spec {
        credentials: Credentials::new("AKIDnobodyknowsthisone", crate::mock::TEST_SECRET_KEY),
        ..Spec::default()
    };
    assert_eq!(code(spec), "AuthFailure.SecretIdNotFound");
}

#[test]
fn each_required_common_parameter_missing_is_named() {
    for name in [
        "Action",
        "Version",
        "Timestamp",
        "Nonce",
        "SecretId",
        "Signature",
    ] {
        let omit: &'static [&'static str] = Box::leak(Box::new([name]));
        let built = build(Spec {
            omit,
            ..Spec::default()
        });
        let error = run(&gateway_with(MockConfig::default()), &built).unwrap_err();
        assert_eq!(error.code, "MissingParameter", "{name}");
        assert!(
            error.message(crate::mock::Lang::En).contains(name),
            "{name}: {}",
            error.message(crate::mock::Lang::En)
        );
    }
}

#[test]
fn an_unknown_signature_method_verifies_as_hmac_sha1() {
    // Signed with HmacSHA256 under a name the API does not know: verified with HmacSHA1.
    let spec = Spec {
        set: Some(("SignatureMethod", "HmacSHA512")),
        ..Spec::default()
    };
    assert_eq!(code(spec), "AuthFailure.SignatureFailure");
}

#[test]
fn temporary_credentials_need_their_token() {
    let config = MockConfig {
        credentials: vec![
            MockCredential::new("AKIDtemporary00000000", "tempkey").with_token("tok"),
        ],
        ..MockConfig::default()
    };
    let gateway = gateway_with(config);
    let with = |credentials: Credentials| {
        build(Spec {
            credentials,
            key: "tempkey".into(),
            ..Spec::default()
        })
    };
    let good = with(Credentials::new("AKIDtemporary00000000", "tempkey").with_token("tok"));
    assert!(run(&gateway, &good).is_ok());
    let missing = with(Credentials::new("AKIDtemporary00000000", "tempkey"));
    assert_eq!(
        run(&gateway, &missing).unwrap_err().code,
        "AuthFailure.TokenFailure"
    );
    let wrong = with(Credentials::new("AKIDtemporary00000000", "tempkey").with_token("other"));
    assert_eq!(
        run(&gateway, &wrong).unwrap_err().code,
        "AuthFailure.TokenFailure"
    );
}

#[test]
fn the_action_and_version_are_checked_as_for_tc3() {
    let spec = Spec {
        action: "DescribeNothing",
        ..Spec::default()
    };
    assert_eq!(code(spec), "InvalidAction");
    let spec = Spec {
        set: Some(("Version", "2017-03-12")),
        ..Spec::default()
    };
    assert_eq!(code(spec), "NoSuchVersion");
    // The action's own rules still apply: CreateSession without UserIp.
    let spec = Spec {
        action: "CreateSession",
        params: &[("UserId", "u1")],
        ..Spec::default()
    };
    assert_eq!(code(spec), "MissingParameter");
}

#[test]
fn a_v1_post_over_1_mb_is_refused() {
    let big = "x".repeat(V1_MAX_POST_BYTES);
    let params: &'static [(&'static str, &'static str)] = Box::leak(Box::new([(
        "UserId",
        Box::leak(big.into_boxed_str()) as &str,
    )]));
    let error = run(
        &gateway_with(MockConfig::default()),
        &build(Spec {
            params,
            ..Spec::default()
        }),
    )
    .unwrap_err();
    assert_eq!(error.code, "RequestSizeLimitExceeded");
    // Just under the limit it passes the size check (and meets the next one).
    let small = "x".repeat(V1_MAX_POST_BYTES - 400);
    let params: &'static [(&'static str, &'static str)] = Box::leak(Box::new([(
        "UserId",
        Box::leak(small.into_boxed_str()) as &str,
    )]));
    let answer = run(
        &gateway_with(MockConfig::default()),
        &build(Spec {
            params,
            ..Spec::default()
        }),
    );
    assert!(answer.is_ok(), "{:?}", answer.err().map(|e| e.code));
}

#[test]
fn a_json_post_without_authorization_is_not_v1() {
    let mut built = build(Spec::default());
    built.headers.insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    let gateway = gateway_with(MockConfig::default());
    assert!(!applies(&gateway, &built.incoming()));
    let error = run(&gateway, &built).unwrap_err();
    assert_eq!(error.code, "MissingParameter");
}

fn with_defect(name: &str) -> Gateway {
    let config = MockConfig {
        defect: Some(name.to_owned()),
        ..MockConfig::default()
    };
    Gateway::new(
        &config,
        crate::mock::defects::find(name)
            .unwrap()
            .switch_off(Checks::all()),
    )
}

#[test]
fn the_v1_defects_do_what_they_say() {
    let good = build(Spec::default());
    let refused = with_defect("signature-v1-refused");
    assert_eq!(run(&refused, &good).unwrap_err().code, "MissingParameter");

    let wrong_key = build(Spec {
        key: "not-the-key".into(),
        ..Spec::default()
    });
    let unchecked = with_defect("signature-v1-not-verified");
    assert!(run(&unchecked, &wrong_key).is_ok());
    assert!(
        run(
            &with_defect("signature-v1-timestamp-not-checked"),
            &wrong_key
        )
        .is_err()
    );

    let old = build(Spec {
        timestamp: NOW - 3_600,
        ..Spec::default()
    });
    assert!(run(&with_defect("signature-v1-timestamp-not-checked"), &old).is_ok());
    assert!(run(&unchecked, &old).is_ok());
    // TC3 requests are untouched by the v1 defects (the TC3 tests cover that way).
    assert!(run(&gateway_with(MockConfig::default()), &old).is_err());
}

#[test]
fn the_unknown_method_variant_refuses_other_names_and_nothing_else() {
    let config = MockConfig {
        variants: vec!["signature-v1-unknown-method-refused".to_owned()],
        ..MockConfig::default()
    };
    let gateway = gateway_with(config);
    let unknown = build(Spec {
        set: Some(("SignatureMethod", "HmacSHA512")),
        ..Spec::default()
    });
    assert_eq!(
        run(&gateway, &unknown).unwrap_err().code,
        "InvalidParameterValue"
    );
    // Without SignatureMethod, and with either documented name, requests still pass.
    for method in [
        None,
        Some(SignatureMethod::HmacSha1),
        Some(SignatureMethod::HmacSha256),
    ] {
        let built = build(Spec {
            method,
            ..Spec::default()
        });
        assert!(run(&gateway, &built).is_ok(), "{method:?}");
    }
}
