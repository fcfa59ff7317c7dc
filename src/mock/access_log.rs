//! mock: the mock's log — one line per request (action, UserId, outcome, time taken) and, for a
//! refused signature, what the mock computed (canonical request and string to sign, never a key
//! or a signature), so a team whose own signer is wrong can diff its `--explain`-style output
//! against the mock's. Events go through `tracing` (stderr, scrubbed by `crate::cli::logs`); every
//! piece of request text in them is sanitised first (control characters escaped, length cut),
//! because the request comes from a client the mock does not trust.
//!
//! `car-conformance mock` shows both at `info` by default; elsewhere (the mock embedded in a run)
//! they appear with `RUST_LOG=car_conformance::mock=info`.

use std::time::Duration;

use serde_json::Value;

use super::action::Action;
use super::request_view::RequestView;
use crate::sign::v1::{V1Received, V1Rejection, string_to_sign as v1_string_to_sign};
use crate::sign::{
    HeaderSource, Received, Rejection, VerifyPolicy, canonical_headers, canonical_request,
    credential_scope, hex_sha256, parse_authorization, string_to_sign,
};

/// The target of the per-request lines.
pub const ACCESS_TARGET: &str = "car_conformance::mock::access";
/// The target of the refused-signature explanations.
pub const EXPLAIN_TARGET: &str = "car_conformance::mock::explain";

/// Characters of one piece of request text kept in a log line.
const MAX_FIELD_CHARS: usize = 96;
/// Bytes of a refused request's body searched for its UserId (larger bodies are not parsed).
const MAX_PARSED_BODY: usize = 64 * 1024;

/// What the gateway learnt of a request before it answered (empty when it refused early).
#[derive(Debug, Default, Clone)]
pub struct Seen {
    pub action: Option<Action>,
    pub user_id: Option<String>,
}

/// `text` fit for one log line: control characters (newlines, escapes, NUL, bidi overrides
/// are not control characters but are escaped too) written as `\u{..}`, cut to
/// [`MAX_FIELD_CHARS`] with `…`.
pub fn sanitise(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_FIELD_CHARS + 8));
    for (index, c) in text.chars().enumerate() {
        if index == MAX_FIELD_CHARS {
            out.push('…');
            break;
        }
        let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || bidi {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether the per-request lines are wanted (so a quiet mock does not copy UserIds for them).
pub fn enabled() -> bool {
    tracing::enabled!(target: ACCESS_TARGET, tracing::Level::INFO)
}

/// Logs one answered request.
pub fn request(request: &RequestView<'_>, seen: &Seen, code: Option<&str>, elapsed: Duration) {
    if !enabled() {
        return;
    }
    let action = match seen.action {
        Some(action) => action.name().to_owned(),
        None => request.headers.get("x-tc-action").map_or_else(
            || "-".to_owned(),
            |v| sanitise(&String::from_utf8_lossy(v.as_bytes())),
        ),
    };
    let user_id = seen
        .user_id
        .clone()
        .or_else(|| user_id_of(request))
        .map_or_else(|| "-".to_owned(), |id| sanitise(&id));
    tracing::info!(
        target: ACCESS_TARGET,
        method = %sanitise(request.method),
        action = %action,
        user_id = %user_id,
        outcome = code.unwrap_or("ok"),
        ms = %format_args!("{:.3}", elapsed.as_secs_f64() * 1000.0),
        "request"
    );
}

/// The UserId of a request the gateway refused before reading its parameters, if it is easy to
/// find: a GET's query, or a JSON body of modest size.
fn user_id_of(request: &RequestView<'_>) -> Option<String> {
    if request.method == "GET" {
        let query = request.uri.query()?;
        return url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "UserId")
            .map(|(_, value)| value.into_owned());
    }
    if request.body.len() > MAX_PARSED_BODY {
        return None;
    }
    match serde_json::from_slice::<Value>(request.body).ok()? {
        Value::Object(map) => map.get("UserId")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// Logs why a signature was refused and, when the Authorization could be read, the canonical
/// request and string to sign the mock computed from what it received.
pub fn signature_refused<H: HeaderSource + ?Sized>(
    received: &Received<'_, H>,
    policy: &VerifyPolicy<'_>,
    rejection: &Rejection,
) {
    if !tracing::enabled!(target: EXPLAIN_TARGET, tracing::Level::INFO) {
        return;
    }
    let reason = sanitise(&rejection.to_string());
    // The mock also accepts the Host signed without its port (see `address`); say so, since a
    // signer that drops the port then differs from the canonical request shown only there.
    let also_accepted = received
        .headers
        .header("host")
        .and_then(super::address::strip_port)
        .map(|host| format!("host:{}", sanitise(host)));
    match computed(received) {
        Some(computed) => tracing::info!(
            target: EXPLAIN_TARGET,
            reason = %reason,
            expected_service = %sanitise(policy.service),
            also_accepted = also_accepted.as_deref(),
            canonical_request = ?computed.canonical_request,
            string_to_sign = ?computed.string_to_sign,
            "signature refused; the mock computed"
        ),
        None => tracing::info!(target: EXPLAIN_TARGET, reason = %reason, "signature refused"),
    }
}

/// Logs why a signature v1 request was refused and the string to sign the mock computed from
/// its parameters (`Signature` left out, as signed; a `Token` value shown as `<redacted>`).
pub fn v1_signature_refused(received: &V1Received<'_>, rejection: &V1Rejection) {
    if !tracing::enabled!(target: EXPLAIN_TARGET, tracing::Level::INFO) {
        return;
    }
    let params: Vec<(String, String)> = received
        .params
        .iter()
        .map(|(name, value)| {
            let value = if name == "Token" {
                crate::redact::REDACTED.to_owned()
            } else {
                value.clone()
            };
            (name.clone(), value)
        })
        .collect();
    let to_sign = v1_string_to_sign(received.method, received.host, received.path, &params);
    tracing::info!(
        target: EXPLAIN_TARGET,
        reason = %sanitise(&rejection.to_string()),
        // v1 has no canonical request; the empty field keeps the event shaped like the runner's
        // signed-request event, so the two logs line up field by field.
        canonical_request = ?"",
        string_to_sign = ?to_sign,
        "signature v1 refused; the mock computed"
    );
}

/// The mock's side of a TC3 signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Computed {
    pub canonical_request: String,
    pub string_to_sign: String,
}

/// The canonical request and string to sign for `received`, built the way `crate::sign::verify`
/// builds them: the signed headers with the values received, the body's hash (or
/// UNSIGNED-PAYLOAD), the scope the Authorization names. A signed `X-TC-Token` or
/// `Authorization` value is replaced by `<redacted>`: a token is a secret. `None` when there is
/// no readable Authorization or timestamp.
pub fn computed<H: HeaderSource + ?Sized>(received: &Received<'_, H>) -> Option<Computed> {
    let parsed = parse_authorization(received.headers.header("authorization")?).ok()?;
    let timestamp: i64 = received
        .headers
        .header("x-tc-timestamp")?
        .trim()
        .parse()
        .ok()?;
    let pairs: Vec<(&str, &str)> = parsed
        .signed_headers
        .split(';')
        .map(|name| {
            let value = match name {
                "x-tc-token" | "authorization" => crate::redact::REDACTED,
                _ => received.headers.header(name).unwrap_or(""),
            };
            (name, value)
        })
        .collect();
    let (header_block, _) = canonical_headers(pairs);
    let unsigned = received
        .headers
        .header("x-tc-content-sha256")
        .is_some_and(|value| value.trim() == crate::sign::UNSIGNED_PAYLOAD);
    let hashed_payload = if unsigned {
        hex_sha256(crate::sign::UNSIGNED_PAYLOAD.as_bytes())
    } else {
        hex_sha256(received.body)
    };
    let canonical_request = canonical_request(
        received.method,
        received.path,
        received.query,
        &header_block,
        parsed.signed_headers,
        &hashed_payload,
    );
    let scope = credential_scope(parsed.date, parsed.service);
    let string_to_sign = string_to_sign(timestamp, &scope, &canonical_request);
    Some(Computed {
        canonical_request,
        string_to_sign,
    })
}

#[cfg(test)]
#[path = "access_log_tests.rs"]
mod tests;
