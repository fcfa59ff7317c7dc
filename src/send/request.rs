//! send: turns one step into the exact request to send — parameters rendered into a JSON body or a
//! query string, signed with `crate::sign`, then bent by the step's signing knobs and header
//! overrides — plus the record of it that reports show (signature and token redacted).

use bytes::Bytes;
use serde_json::Value;

use crate::case::template::{self, RenderError, Scope};
use crate::case::{AuthorizationKnob, SignVersion, Step, TokenKnob};
use crate::outcome::{BodyRecord, RequestRecord};
use crate::send::Prepared;
use crate::sign::{Bend, Credentials, SignRequest, resign, sign};

/// The API version CreateSession and its neighbours belong to.
pub const VERSION: &str = "2022-01-10";
/// The service name in the credential scope.
pub const SERVICE: &str = "car";
/// A well-formed SecretId that no account has (`sign.unknown_secret_id`): 36 characters, the
/// length of a real one, so only its being unknown sets it apart.
pub const UNKNOWN_SECRET_ID: &str = "AKIDcarconformanceUNKNOWN00000000000";
/// A SecretKey that is nobody's (`sign.wrong_secret_key`).
pub const WRONG_SECRET_KEY: &str = "carconformanceWRONGsecretKEY0000";
/// What `sign.authorization: malformed` sends.
pub const MALFORMED_AUTHORIZATION: &str = "TC3-HMAC-SHA256 Credential=malformed";

/// Why a step cannot become a request; the message names the part of the step at fault.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A templated part of the step (`params`, `body`, `headers.NAME`, `sign.token`) that
    /// cannot be expanded.
    #[error("{field}: {source}")]
    Render {
        field: String,
        #[source]
        source: RenderError,
    },
    #[error("params: cannot be written as JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// `sign.timestamp_offset_secs` moved the timestamp off the calendar.
    #[error("timestamp {0} has no calendar date")]
    NoCalendarDate(i64),
    /// `sign.scope_date_offset_days` moved the scope date off the calendar.
    #[error("the scope date has no calendar date")]
    NoScopeDate,
}

/// The error of rendering the step's `field`.
fn at(field: impl Into<String>) -> impl FnOnce(RenderError) -> BuildError {
    let field = field.into();
    move |source| BuildError::Render { field, source }
}

/// Where and as whom requests go.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Base URL, e.g. `http://127.0.0.1:8080` or `https://car.tencentcloudapi.com`.
    pub url: url::Url,
    pub credentials: Credentials,
    /// Sent as X-TC-Region when set.
    pub region: Option<String>,
}

impl Endpoint {
    /// The Host header exactly as sent: host, and port when the URL names a non-default one.
    pub fn host(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }
}

/// A built request and the record reports keep of it.
#[derive(Debug, Clone)]
pub struct Built {
    pub prepared: Prepared,
    pub record: RequestRecord,
}

/// Builds the request of `step` at Unix time `now`, expanding templates with `scope`.
pub fn build(
    step: &Step,
    scope: &dyn Scope,
    endpoint: &Endpoint,
    now: i64,
) -> Result<Built, BuildError> {
    let is_get = step.method.eq_ignore_ascii_case("GET");
    let (params, query, body) = render_payload(step, scope, is_get)?;
    let timestamp = now + step.sign.timestamp_offset_secs;
    let version = step.version.as_deref().unwrap_or(VERSION);
    let credentials = knob_credentials(step, endpoint, scope)?;
    // Header overrides, rendered; a header also listed in extra_signed_headers is signed with it.
    let overrides = render_overrides(step, scope)?;
    if step.sign.version == SignVersion::V1 {
        let settled = v1::Settled {
            params: params.as_ref(),
            credentials: &credentials,
            timestamp,
            version,
            content_type: step.content_type.as_deref(),
            overrides,
        };
        return Ok(v1::build(step, endpoint, settled));
    }
    let settled = Tc3 {
        is_get,
        query,
        body,
        credentials,
        timestamp,
        version,
        overrides,
    };
    build_tc3(step, endpoint, settled)
}

/// What a TC3-signed request is made of once its templates are rendered.
struct Tc3<'a> {
    is_get: bool,
    query: String,
    body: Vec<u8>,
    credentials: Credentials,
    timestamp: i64,
    version: &'a str,
    overrides: Vec<(String, Option<String>)>,
}

/// The TC3 request: signed, its signature bent by the knobs, then the knobs that spoil the
/// request after signing (Authorization, body, header overrides).
fn build_tc3(step: &Step, endpoint: &Endpoint, mut parts: Tc3<'_>) -> Result<Built, BuildError> {
    let host = endpoint.host();
    let (mut headers, shown) = sign_tc3(step, endpoint, &host, &parts)?;
    let knobs = &step.sign;
    match knobs.authorization {
        Some(AuthorizationKnob::Missing) => set_header(&mut headers, "Authorization", None),
        Some(AuthorizationKnob::Malformed) => set_header(
            &mut headers,
            "Authorization",
            Some(MALFORMED_AUTHORIZATION.to_owned()),
        ),
        None => {}
    }
    if knobs.body_changed_after_signing {
        // Trailing whitespace: the same JSON to a parser, another hash to the signature.
        parts.body.push(b' ');
    }
    for (name, value) in parts.overrides {
        if !knobs
            .extra_signed_headers
            .iter()
            .any(|n| n.eq_ignore_ascii_case(&name))
        {
            set_header(&mut headers, &name, value);
        }
    }
    log_signed_request(&step.action, &host, &shown.canonical, &shown.to_sign);
    Ok(finish(step, endpoint, &parts.query, headers, parts.body))
}

/// The signature's inputs as actually used, for `RUST_LOG=debug` (never the signature itself).
struct Shown {
    canonical: String,
    to_sign: String,
}

/// Signs `parts` with TC3, then re-signs with a shifted scope date or fewer signed headers when
/// the knobs ask: the headers to send, and what the signature sent was computed from.
fn sign_tc3(
    step: &Step,
    endpoint: &Endpoint,
    host: &str,
    parts: &Tc3<'_>,
) -> Result<(Vec<(String, String)>, Shown), BuildError> {
    let knobs = &step.sign;
    let content_type = step.content_type.clone().unwrap_or_else(|| {
        if parts.is_get {
            "application/x-www-form-urlencoded".to_owned()
        } else {
            "application/json".to_owned()
        }
    });
    let service = knobs.service.as_deref().unwrap_or(SERVICE);
    let timestamp = parts.timestamp;
    let extra_signed = extra_signed_headers(
        step,
        endpoint,
        &parts.credentials,
        &parts.overrides,
        timestamp,
        parts.version,
    );
    let request = SignRequest {
        method: &step.method,
        host,
        content_type: &content_type,
        query: &parts.query,
        body: &parts.body,
        timestamp,
        service,
        action: &step.action,
        version: parts.version,
        region: endpoint.region.as_deref(),
        language: None,
        credentials: &parts.credentials,
        extra_signed_headers: &extra_signed,
        unsigned_payload: knobs.unsigned_payload,
    };
    let signed = sign(&request).ok_or(BuildError::NoCalendarDate(timestamp))?;
    let mut headers = signed.headers.clone();
    crate::redact::remember_signature(&signed.signature);
    if knobs.scope_date_offset_days == 0 && knobs.omit_signed_headers.is_empty() {
        let shown = Shown {
            canonical: signed.canonical_request,
            to_sign: signed.string_to_sign,
        };
        return Ok((headers, shown));
    }
    let bend = Bend {
        scope_date_offset_days: knobs.scope_date_offset_days,
        omit_signed_headers: &knobs.omit_signed_headers,
    };
    let resigned = resign(
        &signed,
        &step.method,
        &parts.query,
        timestamp,
        service,
        &parts.credentials,
        bend,
    )
    .ok_or(BuildError::NoScopeDate)?;
    crate::redact::remember_signature(&resigned.signature);
    set_header(&mut headers, "Authorization", Some(resigned.authorization));
    let shown = Shown {
        canonical: resigned.canonical_request,
        to_sign: resigned.string_to_sign,
    };
    Ok((headers, shown))
}

/// The step's parameters rendered, and where they travel: the query of a GET, or the body (a
/// raw `body` instead when the step gives one).
fn render_payload(
    step: &Step,
    scope: &dyn Scope,
    is_get: bool,
) -> Result<(Option<Value>, String, Vec<u8>), BuildError> {
    let params = match &step.params {
        Some(params) => Some(
            template::render_value(&Value::Object(params.clone()), scope).map_err(at("params"))?,
        ),
        None => None,
    };
    let (query, body) = match (&step.body, &params) {
        (Some(raw), _) => (
            String::new(),
            template::render_string_value(raw, scope)
                .map_err(at("body"))?
                .into_bytes(),
        ),
        (None, Some(params)) if is_get => (encode_query(params), Vec::new()),
        (None, Some(params)) => (
            String::new(),
            serde_json::to_vec(params).map_err(BuildError::Json)?,
        ),
        (None, None) if is_get => (String::new(), Vec::new()),
        (None, None) => (String::new(), b"{}".to_vec()),
    };
    Ok((params, query, body))
}

/// The credentials the step signs with: the run's, unless a knob asks for another SecretId, a
/// wrong key, or another token.
fn knob_credentials(
    step: &Step,
    endpoint: &Endpoint,
    scope: &dyn Scope,
) -> Result<Credentials, BuildError> {
    let knobs = &step.sign;
    let secret_id = if let Some(id) = &knobs.secret_id {
        id.clone()
    } else if knobs.unknown_secret_id {
        UNKNOWN_SECRET_ID.to_owned()
    } else {
        endpoint.credentials.secret_id.clone()
    };
    let secret_key = if knobs.wrong_secret_key {
        WRONG_SECRET_KEY.to_owned()
    } else {
        endpoint.credentials.secret_key.clone()
    };
    let token = match &knobs.token {
        TokenKnob::RunToken => endpoint.credentials.token.clone(),
        TokenKnob::NoToken => None,
        TokenKnob::Value(text) => Some(
            template::render_string_value(&Value::String(text.clone()), scope)
                .map_err(at("sign.token"))?,
        ),
    };
    Ok(Credentials {
        secret_id,
        secret_key,
        token,
    })
}

/// The step's header overrides, rendered (`None`: remove the header).
fn render_overrides(
    step: &Step,
    scope: &dyn Scope,
) -> Result<Vec<(String, Option<String>)>, BuildError> {
    let mut overrides = Vec::new();
    for (name, value) in &step.headers {
        let value = match value {
            Value::Null => None,
            other => Some(
                template::render_string_value(other, scope)
                    .map_err(at(format!("headers.{name}")))?,
            ),
        };
        overrides.push((name.clone(), value));
    }
    Ok(overrides)
}

/// The further headers the step signs, with the values sent: an override's, else the standard
/// header's own.
fn extra_signed_headers(
    step: &Step,
    endpoint: &Endpoint,
    credentials: &Credentials,
    overrides: &[(String, Option<String>)],
    timestamp: i64,
    version: &str,
) -> Vec<(String, String)> {
    let knobs = &step.sign;
    let standard = |name: &str| -> Option<String> {
        match name.to_ascii_lowercase().as_str() {
            "x-tc-action" => Some(step.action.clone()),
            "x-tc-timestamp" => Some(timestamp.to_string()),
            "x-tc-version" => Some(version.to_owned()),
            "x-tc-region" => endpoint.region.clone(),
            "x-tc-token" => credentials.token.clone(),
            "x-tc-content-sha256" if knobs.unsigned_payload => {
                Some(crate::sign::UNSIGNED_PAYLOAD.to_owned())
            }
            _ => None,
        }
    };
    knobs
        .extra_signed_headers
        .iter()
        .map(|name| {
            let overridden = overrides
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.clone());
            let value = overridden.or_else(|| standard(name)).unwrap_or_default();
            (name.clone(), value)
        })
        .collect()
}

/// The request to send and the record reports keep of it (secrets redacted).
fn finish(
    step: &Step,
    endpoint: &Endpoint,
    query: &str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> Built {
    let mut url = endpoint.url.clone();
    url.set_path("/");
    url.set_query((!query.is_empty()).then_some(query));
    let record = RequestRecord {
        method: step.method.clone(),
        url: url.to_string(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.clone(), redact_header(n, v)))
            .collect(),
        body: BodyRecord::new(&body),
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

/// Sets (or with `None` removes) every header called `name`, keeping its place.
fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: Option<String>) {
    match value {
        None => headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name)),
        Some(value) => match headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value,
            None => headers.push((name.to_owned(), value)),
        },
    }
}

/// The value of a header as reports may show it: no signature, no token.
pub use crate::redact::redact_header;

/// Form-encodes parameters the way the SDKs do for GET: nested values as `A.0.B=...`,
/// `null` as an empty value.
pub fn encode_query(params: &Value) -> String {
    fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                for (key, item) in map {
                    let name = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    flatten(&name, item, out);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    flatten(&format!("{prefix}.{i}"), item, out);
                }
            }
            Value::String(text) => out.push((prefix.to_owned(), text.clone())),
            Value::Null => out.push((prefix.to_owned(), String::new())),
            other => out.push((prefix.to_owned(), other.to_string())),
        }
    }
    let mut pairs = Vec::new();
    flatten("", params, &mut pairs);
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in &pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

/// The target of the signing events, for `RUST_LOG=car_conformance::sign=debug`.
pub const SIGN_TARGET: &str = "car_conformance::sign";

/// Logs one signed request: the pieces a vendor needs to reproduce the signature.
pub(crate) fn log_signed_request(
    action: &str,
    host: &str,
    canonical_request: &str,
    string_to_sign: &str,
) {
    tracing::debug!(
        target: SIGN_TARGET,
        action,
        host,
        canonical_request = ?canonical_request,
        string_to_sign = ?string_to_sign,
        "signed request"
    );
}

mod v1;

#[cfg(test)]
mod tests;
