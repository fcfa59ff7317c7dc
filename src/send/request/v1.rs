//! sign: builds a step signed with signature v1 (HmacSHA1 / HmacSHA256) — the step's parameters
//! and the v1 common parameters in the query (GET) or an `application/x-www-form-urlencoded` body
//! (POST) — bent by the v1 knobs (a common parameter left out, another SignatureMethod named),
//! plus the record reports show (Signature and Token redacted).

use bytes::Bytes;
use serde_json::Value;

use super::{Built, Endpoint, redact_header, set_header};
use crate::case::{Step, V1Method};
use crate::outcome::{BodyRecord, RequestRecord};
use crate::redact::REDACTED;
use crate::send::Prepared;
use crate::sign::Credentials;
use crate::sign::v1::{
    SignatureMethod, V1Common, encode_component, encode_params, flatten_json, sign_v1,
};

/// What the generic part of [`super::build`] settled for this step.
pub(super) struct Settled<'a> {
    pub params: Option<&'a Value>,
    pub credentials: &'a Credentials,
    pub timestamp: i64,
    pub version: &'a str,
    pub content_type: Option<&'a str>,
    /// Header overrides, rendered: a value sets, `None` removes.
    pub overrides: Vec<(String, Option<String>)>,
}

pub(super) fn build(step: &Step, endpoint: &Endpoint, settled: Settled<'_>) -> Built {
    let knobs = &step.sign;
    let method = match knobs.method.unwrap_or(V1Method::HmacSha1) {
        V1Method::HmacSha1 => SignatureMethod::HmacSha1,
        V1Method::HmacSha256 => SignatureMethod::HmacSha256,
    };
    let is_get = step.method.eq_ignore_ascii_case("GET");
    let common = V1Common {
        action: &step.action,
        version: settled.version,
        timestamp: settled.timestamp,
        // A fresh Nonce per request: a server may refuse a repeated one.
        nonce: rand::random_range(1..=u64::from(u32::MAX)),
        region: endpoint.region.as_deref(),
        language: None,
        method: Some(method),
        credentials: settled.credentials,
    };
    let mut params = common.params();
    if let Some(value) = &knobs.signature_method_value {
        params.retain(|(name, _)| name != "SignatureMethod");
        params.push(("SignatureMethod".to_owned(), value.clone()));
    }
    if let Some(own) = settled.params {
        params.extend(flatten_json(own));
    }
    let omitted = |name: &str| knobs.omit_params.iter().any(|o| o == name);
    params.retain(|(name, _)| !omitted(name) || name == "Signature");
    let host = endpoint.host();
    let mut signed = sign_v1(
        &step.method,
        &host,
        "/",
        params,
        &settled.credentials.secret_key,
        method,
    );
    crate::redact::remember_signature(&signed.signature);
    if omitted("Signature") {
        signed.params.retain(|(name, _)| name != "Signature");
    }
    let encoded = signed.encoded();
    // What reports and logs may show: the same parameters, Signature and Token withheld.
    let shown_params: Vec<(String, String)> = signed
        .params
        .iter()
        .map(|(name, value)| match name.as_str() {
            "Signature" | "Token" => (name.clone(), REDACTED.to_owned()),
            _ => (name.clone(), value.clone()),
        })
        .collect();
    // `<redacted>` stays readable, as in every other record (it would be `%3Credacted%3E`).
    let shown = encode_params(&shown_params).replace(&encode_component(REDACTED), REDACTED);
    let token = settled
        .credentials
        .token
        .as_deref()
        .filter(|t| !t.is_empty());
    let shown_to_sign = match token {
        Some(token) => signed
            .string_to_sign
            .replace(&format!("Token={token}"), &format!("Token={REDACTED}")),
        None => signed.string_to_sign.clone(),
    };
    super::log_signed_request(&step.action, &host, "", &shown_to_sign);

    let content_type = settled
        .content_type
        .unwrap_or("application/x-www-form-urlencoded")
        .to_owned();
    let mut headers = vec![
        ("Content-Type".to_owned(), content_type),
        ("Host".to_owned(), host),
    ];
    for (name, value) in settled.overrides {
        set_header(&mut headers, &name, value);
    }
    let (query, body, shown_query, shown_body) = if is_get {
        (encoded, Vec::new(), shown, String::new())
    } else {
        (String::new(), encoded.into_bytes(), String::new(), shown)
    };
    let mut url = endpoint.url.clone();
    url.set_path("/");
    url.set_query((!query.is_empty()).then_some(query.as_str()));
    let mut shown_url = endpoint.url.clone();
    shown_url.set_path("/");
    shown_url.set_query(None);
    let mut shown_url = shown_url.to_string();
    if !shown_query.is_empty() {
        // Appended as text: `Url` would percent-encode the `<redacted>` markers.
        shown_url.push('?');
        shown_url.push_str(&shown_query);
    }
    let record = RequestRecord {
        method: step.method.clone(),
        url: shown_url,
        headers: headers
            .iter()
            .map(|(n, v)| (n.clone(), redact_header(n, v)))
            .collect(),
        body: BodyRecord::new(shown_body.as_bytes()),
    };
    Built {
        prepared: Prepared {
            method: step.method.clone(),
            url: url.to_string(),
            headers,
            body: Bytes::from(body),
        },
        record,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::build as build_step;
    use super::*;
    use crate::sign::KeyEntry;
    use crate::sign::v1::{V1Policy, V1Received, V1Rejection, verify_v1};

    use super::super::tests::{Fixed, ID, KEY, NOW};

    const TOKEN: &str = "test-session-token-0000";

    fn built(method: &str, sign: serde_json::Value, token: Option<&str>) -> Built {
        let step: Step = serde_json::from_value(json!({
            "action": "CreateSession",
            "method": method,
            "params": {"UserId": "{{user_id}}", "UserIp": "{{client_ip}}"},
            "sign": sign,
            "expect": {"success": true}
        }))
        .unwrap();
        let mut credentials = Credentials::new(ID, KEY);
        credentials.token = token.map(str::to_owned);
        let endpoint = Endpoint {
            url: url::Url::parse("http://127.0.0.1:8080").unwrap(),
            credentials,
            region: None,
        };
        build_step(&step, &Fixed, &endpoint, NOW).unwrap()
    }

    /// The parameters the server decodes, and its verdict.
    fn verdict(
        built: &Built,
        server_token: Option<&str>,
    ) -> (Vec<(String, String)>, Result<String, V1Rejection>) {
        let url = url::Url::parse(&built.prepared.url).unwrap();
        let raw = if built.prepared.method == "GET" {
            url.query().unwrap_or("").as_bytes().to_vec()
        } else {
            built.prepared.body.to_vec()
        };
        let params: Vec<(String, String)> =
            url::form_urlencoded::parse(&raw).into_owned().collect();
        let token = server_token.map(str::to_owned);
        let keys = move |id: &str| {
            (id == ID).then(|| KeyEntry {
                secret_key: KEY.to_owned(),
                token: token.clone(),
            })
        };
        let received = V1Received {
            method: &built.prepared.method,
            host: "127.0.0.1:8080",
            path: url.path(),
            params: &params,
        };
        let policy = V1Policy {
            now: NOW,
            window_secs: 300,
        };
        let verdict = verify_v1(&received, &keys, &policy).map(|v| v.secret_id);
        (params, verdict)
    }

    fn header<'a>(built: &'a Built, name: &str) -> Option<&'a str> {
        built.prepared.header(name)
    }

    #[test]
    fn get_and_post_are_signed_as_the_server_verifies() {
        for (method, algorithm) in [("GET", "HmacSHA1"), ("POST", "HmacSHA256")] {
            let b = built(method, json!({"version": "v1", "method": algorithm}), None);
            let (params, verdict) = verdict(&b, None);
            assert_eq!(verdict, Ok(ID.to_owned()), "{method}");
            assert!(params.contains(&("SignatureMethod".into(), algorithm.into())));
            assert!(params.contains(&("UserId".into(), "user-1".into())));
            assert!(header(&b, "authorization").is_none());
            assert!(header(&b, "x-tc-action").is_none());
            assert_eq!(
                header(&b, "content-type"),
                Some("application/x-www-form-urlencoded")
            );
            assert_eq!(b.prepared.body.is_empty(), method == "GET");
        }
    }

    #[test]
    fn each_knob_gets_the_rejection_it_is_named_after() {
        let cases = [
            (
                json!({"omit_params": ["Nonce"]}),
                V1Rejection::Missing("Nonce"),
            ),
            (
                json!({"omit_params": ["Signature"]}),
                V1Rejection::Missing("Signature"),
            ),
            (
                json!({"omit_params": ["SecretId"]}),
                V1Rejection::Missing("SecretId"),
            ),
            (
                json!({"wrong_secret_key": true}),
                V1Rejection::SignatureMismatch("HmacSHA256"),
            ),
            (
                json!({"signature_method_value": "HmacSHA512"}),
                V1Rejection::SignatureMismatch("HmacSHA1"),
            ),
            (
                json!({"unknown_secret_id": true}),
                V1Rejection::UnknownSecretId,
            ),
            (
                json!({"timestamp_offset_secs": -3600}),
                V1Rejection::Expired {
                    skew_secs: 3600,
                    window_secs: 300,
                },
            ),
        ];
        for (mut knobs, expected) in cases {
            knobs["version"] = "v1".into();
            knobs["method"] = "HmacSHA256".into();
            let b = built("POST", knobs.clone(), None);
            assert_eq!(verdict(&b, None).1, Err(expected), "{knobs}");
        }
    }

    #[test]
    fn the_record_shows_neither_signature_nor_token() {
        for method in ["GET", "POST"] {
            let b = built(
                method,
                json!({"version": "v1", "method": "HmacSHA256"}),
                Some(TOKEN),
            );
            let (params, verdict) = verdict(&b, Some(TOKEN));
            assert!(verdict.is_ok(), "{method}: {verdict:?}");
            let signature = &params.iter().find(|(n, _)| n == "Signature").unwrap().1;
            let shown = format!(
                "{} {} {:?}",
                b.record.url, b.record.body.text, b.record.headers
            );
            for secret in [
                signature.as_str(),
                &encode_params(&[("s".into(), signature.clone())])[2..],
                TOKEN,
                KEY,
            ] {
                assert!(
                    !shown.contains(secret),
                    "{method}: {secret} shown in {shown}"
                );
            }
            assert!(shown.contains("Signature=<redacted>"), "{shown}");
            assert!(shown.contains("Token=<redacted>"), "{shown}");
        }
    }
}
