//! Every signing knob, checked by verifying the built request with `crate::sign::verify` (the
//! mock's own verifier): each knob must produce exactly the rejection it is named after.

use serde_json::json;

use super::*;
use crate::case::template::{RenderError, Var};
use crate::sign::{KeyEntry, Received, Rejection, VerifyPolicy, verify};

pub(super) const NOW: i64 = 1_700_000_000;
pub(super) const ID: &str = "AKIDtest0000000000000000000000000";
pub(super) const KEY: &str = "test-secret-key";

/// Fixed template values, for the TC3 and v1 request tests alike.
pub(super) struct Fixed;
impl Scope for Fixed {
    fn value(&self, var: &Var) -> Result<String, RenderError> {
        match var {
            Var::UserId(_) => Ok("user-1".into()),
            Var::ClientIp => Ok("203.0.113.7".into()),
            Var::ProjectId => Ok("cap-1".into()),
            Var::ClientSession => Ok("eyJhYmMiOjEyM30=".into()),
            Var::Copy => Ok("0".into()),
            Var::Capture(name) => Err(RenderError::NoCapture { name: name.clone() }),
        }
    }
}

fn endpoint(token: Option<&str>) -> Endpoint {
    let mut credentials = Credentials::new(ID, KEY);
    credentials.token = token.map(str::to_owned);
    Endpoint {
        url: url::Url::parse("http://127.0.0.1:8080").unwrap(),
        credentials,
        region: None,
    }
}

fn step(extra: serde_json::Value) -> Step {
    let mut value = json!({
        "action": "CreateSession",
        "params": {"UserId": "{{user_id}}", "UserIp": "{{client_ip}}"},
        "expect": {"success": true}
    });
    for (k, v) in extra.as_object().unwrap() {
        value[k] = v.clone();
    }
    serde_json::from_value(value).unwrap()
}

fn built(extra: serde_json::Value, token: Option<&str>) -> Built {
    build(&step(extra), &Fixed, &endpoint(token), NOW).unwrap()
}

fn check(built: &Built, server_token: Option<&str>) -> Result<String, Rejection> {
    let url = url::Url::parse(&built.prepared.url).unwrap();
    let received = Received {
        method: &built.prepared.method,
        path: url.path(),
        query: url.query().unwrap_or(""),
        headers: &built.prepared.headers,
        body: &built.prepared.body,
    };
    let token = server_token.map(str::to_owned);
    let keys = move |id: &str| {
        (id == ID).then(|| KeyEntry {
            secret_key: KEY.to_owned(),
            token: token.clone(),
        })
    };
    let policy = VerifyPolicy {
        now: NOW,
        ..VerifyPolicy::default()
    };
    verify(&received, &keys, &policy, None)
}

fn header<'a>(built: &'a Built, name: &str) -> Option<&'a str> {
    built.prepared.header(name)
}

#[test]
fn a_plain_step_is_signed_correctly() {
    let b = built(json!({}), None);
    assert_eq!(check(&b, None), Ok(ID.to_owned()));
    assert_eq!(
        &b.prepared.body[..],
        br#"{"UserId":"user-1","UserIp":"203.0.113.7"}"#
    );
    assert_eq!(header(&b, "host"), Some("127.0.0.1:8080"));
    assert_eq!(header(&b, "content-type"), Some("application/json"));
    assert_eq!(b.prepared.url, "http://127.0.0.1:8080/");
}

#[test]
fn each_knob_gets_the_rejection_it_is_named_after() {
    let cases = [
        (
            json!({"timestamp_offset_secs": -3600}),
            "AuthFailure.SignatureExpire",
        ),
        (
            json!({"wrong_secret_key": true}),
            "AuthFailure.SignatureFailure",
        ),
        (
            json!({"unknown_secret_id": true}),
            "AuthFailure.SecretIdNotFound",
        ),
        (
            json!({"scope_date_offset_days": -1}),
            "AuthFailure.SignatureFailure",
        ),
        (json!({"service": "cvm"}), "AuthFailure.SignatureFailure"),
        (
            json!({"authorization": "missing"}),
            "AuthFailure.InvalidAuthorization",
        ),
        (
            json!({"authorization": "malformed"}),
            "AuthFailure.InvalidAuthorization",
        ),
        (
            json!({"body_changed_after_signing": true}),
            "AuthFailure.SignatureFailure",
        ),
        (json!({"token": "bogus"}), "AuthFailure.TokenFailure"),
    ];
    for (knobs, code) in cases {
        let b = built(json!({ "sign": knobs }), None);
        let rejection = check(&b, None).expect_err(&knobs.to_string());
        assert_eq!(rejection.code(), code, "{knobs}");
    }
}

#[test]
fn scope_and_date_knobs_fail_for_the_named_reason() {
    let b = built(json!({"sign": {"scope_date_offset_days": 1}}), None);
    assert!(matches!(
        check(&b, None),
        Err(Rejection::ScopeDateMismatch { .. })
    ));
    let b = built(json!({"sign": {"service": "cvm"}}), None);
    assert!(matches!(
        check(&b, None),
        Err(Rejection::ScopeServiceMismatch { .. })
    ));
    let b = built(json!({"sign": {"body_changed_after_signing": true}}), None);
    assert_eq!(check(&b, None), Err(Rejection::SignatureMismatch));
    for omitted in ["host", "content-type"] {
        let b = built(json!({"sign": {"omit_signed_headers": [omitted]}}), None);
        assert_eq!(
            check(&b, None),
            Err(Rejection::RequiredHeaderNotSigned(omitted)),
            "{omitted}"
        );
        let signed_headers = header(&b, "authorization").unwrap();
        assert!(
            !signed_headers.contains(&format!("{omitted};")),
            "{signed_headers}"
        );
    }
}

#[test]
fn extra_signed_headers_and_unsigned_payload_still_verify() {
    let b = built(
        json!({"sign": {"extra_signed_headers": ["x-tc-action", "X-Custom"], "unsigned_payload": true},
               "headers": {"X-Custom": "v-{{user_id}}"}}),
        None,
    );
    assert_eq!(check(&b, None), Ok(ID.to_owned()));
    assert!(
        header(&b, "authorization")
            .unwrap()
            .contains("SignedHeaders=content-type;host;x-custom;x-tc-action,")
    );
    assert_eq!(header(&b, "x-tc-content-sha256"), Some("UNSIGNED-PAYLOAD"));
    assert_eq!(header(&b, "x-custom"), Some("v-user-1"));
}

#[test]
fn overrides_after_signing_change_what_is_sent() {
    let b = built(json!({"headers": {"X-TC-Language": "en-US"}}), None);
    assert_eq!(check(&b, None), Ok(ID.to_owned()));
    assert_eq!(header(&b, "x-tc-language"), Some("en-US"));
    let b = built(json!({"headers": {"Content-Type": "text/plain"}}), None);
    assert_eq!(check(&b, None), Err(Rejection::SignatureMismatch));
    let b = built(json!({"headers": {"X-TC-Action": null}}), None);
    assert_eq!(header(&b, "x-tc-action"), None);
}

#[test]
fn tokens_come_from_the_run_or_the_knob() {
    let b = built(json!({}), Some("run-token"));
    assert_eq!(check(&b, Some("run-token")), Ok(ID.to_owned()));
    let b = built(json!({"sign": {"token": null}}), Some("run-token"));
    assert_eq!(check(&b, Some("run-token")), Err(Rejection::TokenMismatch));
    assert_eq!(header(&b, "x-tc-token"), None);
}

#[test]
fn get_steps_send_form_encoded_queries() {
    let b = built(
        json!({"method": "GET", "params": {"UserId": "a b", "N": 5, "Null": null, "Arr": [{"B": "x"}]}}),
        None,
    );
    assert_eq!(check(&b, None), Ok(ID.to_owned()));
    assert_eq!(
        b.prepared.url,
        "http://127.0.0.1:8080/?UserId=a+b&N=5&Null=&Arr.0.B=x"
    );
    assert!(b.prepared.body.is_empty());
    assert_eq!(
        header(&b, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
}

#[test]
fn raw_bodies_and_empty_params_are_sent_as_given() {
    let b = built(
        json!({"params": null, "body": "not json {{user_id}}"}),
        None,
    );
    assert_eq!(&b.prepared.body[..], b"not json user-1");
    assert_eq!(check(&b, None), Ok(ID.to_owned()));
    let mut s = step(json!({}));
    s.params = None;
    let b = build(&s, &Fixed, &endpoint(None), NOW).unwrap();
    assert_eq!(&b.prepared.body[..], b"{}");
}

#[test]
fn records_never_show_the_signature_or_token() {
    let b = built(json!({}), Some("secret-token"));
    let signature = header(&b, "authorization")
        .unwrap()
        .rsplit("Signature=")
        .next()
        .unwrap()
        .to_owned();
    let shown = serde_json::to_string(&b.record).unwrap();
    assert!(!shown.contains(&signature));
    assert!(!shown.contains("secret-token"));
    assert!(!shown.contains(KEY));
    assert!(shown.contains("Signature=<redacted>"));
}

#[test]
fn a_missing_capture_is_an_error_not_a_request() {
    let s = step(json!({"params": {"UserId": "{{capture.nope}}"}}));
    let error = build(&s, &Fixed, &endpoint(None), NOW).unwrap_err();
    assert!(
        matches!(&error, BuildError::Render { field, source: RenderError::NoCapture { name } }
            if field == "params" && name == "nope"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "params: `{{capture.nope}}` has no value: the step that captures it did not"
    );
}
