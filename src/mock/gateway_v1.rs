//! mock: the gateway's way for signature v1 (HmacSHA1 / HmacSHA256) — a GET, or a POST with an
//! `application/x-www-form-urlencoded` body, that carries its common parameters (Action, Version,
//! Timestamp, Nonce, SecretId, Signature, SignatureMethod, Region, Token) among its parameters
//! instead of `Authorization` and `X-TC-*` headers. The same checks as the TC3 way, in the same
//! order and switched by the same [`Check`]s; the signature through [`crate::sign::verify_v1`].
//!
//! Documented answers: a missing Action, Version, Timestamp, Nonce, SecretId or Signature is
//! `MissingParameter` naming it (Common Params: "Required: Yes"); an unknown SecretId
//! `AuthFailure.SecretIdNotFound`, a wrong signature `AuthFailure.SignatureFailure`, a timestamp
//! over five minutes away `AuthFailure.SignatureExpire`, a wrong or missing temporary-credential
//! Token `AuthFailure.TokenFailure` (the Signature page's list); a SignatureMethod other than
//! `HmacSHA256` verifies with HmacSHA1 (Common Params). A Timestamp or Nonce that is not a
//! positive integer is `InvalidParameter` (Common Error Codes: "wrong format"; inferred). A v1
//! POST is limited to 1 MB (Request Structure: "The size of a POST request is up to 1 MB when the
//! HmacSHA1 or HmacSHA256 signature algorithm is used").

use std::time::Instant;

use serde_json::{Map, Value};

use super::{
    Checked, Gateway, Incoming, Pass, VERSION, check_method, check_params, check_rate_limit,
    check_size,
};
use crate::mock::action::Action;
use crate::mock::address::SERVICE;
use crate::mock::decisions::Check;
use crate::mock::defects::Flaw;
use crate::mock::messages;
use crate::mock::messages::ApiError;
use crate::sign::v1::{COMMON, SignatureMethod, V1Policy, V1Received, V1Rejection, verify_v1};

/// The largest v1 POST body (Request Structure page), under the mock's TC3 limit.
pub const V1_MAX_POST_BYTES: usize = 1024 * 1024;

/// Whether `request` is a v1 request: no `Authorization` and no `X-TC-Action` (the marks of
/// TC3), and its parameters where v1 carries them (a query, or a form-encoded POST body).
pub(super) fn applies(gateway: &Gateway, request: &Incoming<'_>) -> bool {
    if gateway.v1_flaw == Some(Flaw::RefuseV1) {
        return false;
    }
    if request.headers.contains_key("authorization") || request.headers.contains_key("x-tc-action")
    {
        return false;
    }
    match request.method {
        "POST" => is_form(request),
        _ => true,
    }
}

fn is_form(request: &Incoming<'_>) -> bool {
    request.header("content-type").is_some_and(|ct| {
        ct.trim()
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    })
}

/// The parameters as sent: the query (GET), or the form body (POST), decoded.
fn decode(request: &Incoming<'_>) -> Vec<(String, String)> {
    let bytes = if request.method == "GET" {
        request.query.as_bytes()
    } else {
        request.body
    };
    url::form_urlencoded::parse(bytes)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

fn first<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The v1 way through the gateway: method, common parameters, action, version, size,
/// signature and clock, the action's parameters, rate limit.
pub(super) fn check(
    gateway: &Gateway,
    request: &Incoming<'_>,
    now_unix: i64,
    now: Instant,
) -> Result<Checked, ApiError> {
    let checks = &gateway.checks;
    let mut pass = Pass {
        gateway,
        request,
        now_unix,
        now,
        action: None,
        secret_id: None,
        params: None,
    };
    if checks.on(Check::Method) {
        check_method(&mut pass)?;
    }
    let params = decode(request);
    if checks.on(Check::RequiredHeaders) {
        for name in ["Action", "Version", "Timestamp"] {
            if first(&params, name).is_none() {
                return Err(messages::missing_parameter(name));
            }
        }
    }
    let name = first(&params, "Action").unwrap_or_default();
    let action = Action::from_name(name).ok_or_else(|| messages::invalid_action(name))?;
    pass.action = Some(action);
    if checks.on(Check::Version) {
        let version = first(&params, "Version").unwrap_or_default();
        if version != VERSION {
            return Err(messages::no_such_version(version, action.name()));
        }
    }
    if checks.on(Check::Size) {
        check_size(&mut pass)?;
        let limit = V1_MAX_POST_BYTES.min(gateway.max_post_bytes);
        if request.method == "POST" && request.body_len > limit as u64 {
            return Err(messages::request_size_limit(limit));
        }
    }
    pass.secret_id = Some(signature(gateway, request, &params, now_unix)?);

    // The action sees only its own parameters; every value of a form is a string.
    let own: Map<String, Value> = params
        .into_iter()
        .filter(|(name, _)| !COMMON.contains(&name.as_str()))
        .map(|(name, value)| (name, Value::String(value)))
        .collect();
    pass.params = Some(own);
    check_params(&mut pass)?;
    if checks.on(Check::RateLimit) {
        check_rate_limit(&mut pass)?;
    }
    match (pass.action, pass.secret_id, pass.params) {
        (Some(action), Some(secret_id), Some(params)) => Ok(Checked {
            action,
            secret_id,
            params,
        }),
        _ => Err(ApiError::code("InternalError")),
    }
}

/// The verified SecretId, or the documented refusal.
fn signature(
    gateway: &Gateway,
    request: &Incoming<'_>,
    params: &[(String, String)],
    now_unix: i64,
) -> Result<String, ApiError> {
    let checks = &gateway.checks;
    let unchecked =
        !checks.on(Check::Signature) || gateway.v1_flaw == Some(Flaw::V1SignatureUnchecked);
    if unchecked {
        // Any Signature (or none) goes: the request counts against the SecretId it names.
        return Ok(first(params, "SecretId").unwrap_or_default().to_owned());
    }
    if gateway.v1_refuses_unknown_method
        && let Some((_, named)) = params.iter().find(|(n, _)| n == "SignatureMethod")
        && SignatureMethod::parse(named).is_none()
    {
        return Err(messages::invalid_parameter_value(
            "SignatureMethod",
            "only HmacSHA1 and HmacSHA256 are supported",
            "仅支持 HmacSHA1 和 HmacSHA256",
        ));
    }
    let host = request.header("host").unwrap_or_default();
    let received = V1Received {
        method: request.method,
        host: &host,
        path: request.path,
        params,
    };
    let in_window =
        checks.on(Check::TimestampWindow) && gateway.v1_flaw != Some(Flaw::V1TimestampUnchecked);
    let policy = V1Policy {
        now: now_unix,
        window_secs: if in_window {
            gateway.window_secs
        } else {
            i64::MAX
        },
    };
    let lookup = |secret_id: &str| gateway.keys.get(secret_id).cloned();
    match verify_v1(&received, &lookup, &policy) {
        Ok(verified) => Ok(verified.secret_id),
        Err(V1Rejection::Missing(name)) => Err(messages::missing_parameter(name)),
        Err(rejection) => {
            tracing::debug!(service = SERVICE, %rejection, "mock refused a v1 signature");
            crate::mock::access_log::v1_signature_refused(&received, &rejection);
            Err(ApiError::code(rejection.code()))
        }
    }
}

#[cfg(test)]
#[path = "gateway_v1_tests.rs"]
mod tests;
