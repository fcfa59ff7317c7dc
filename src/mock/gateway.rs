//! mock: the API 3.0 gateway in front of CAR — the checks a real gateway applies before the
//! service sees a request, in its order: method, required headers, action, version, size,
//! signature and clock (through `crate::sign::verify`), body, parameters, rate limit. Each check is
//! a named step in [`STEPS`], so a later defect can bypass exactly one. Signature v1 requests
//! (common parameters in the query or form body) take the same checks in [`v1`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::Instant;

use serde_json::{Map, Value};

use super::access_log;
use super::action::Action;
use super::address;
use super::config::MockConfig;
use super::decisions::{Check, Checks};
use super::defects::{self, Flaw};
use super::messages;
use super::messages::ApiError;
use super::params;
use super::ratelimit::RateLimiter;
use crate::sign::{KeyCache, KeyEntry, Received, VerifyPolicy, parse_authorization};

/// A request as the server read it. `body` holds at most the size limit; `body_len` counts every
/// byte the client sent (or announced), so an oversized request is still measured.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a http::HeaderMap,
    pub body: &'a [u8],
    pub body_len: u64,
}

impl Incoming<'_> {
    /// A header's value as text (invalid UTF-8 replaced), `None` when absent.
    fn header(&self, name: &str) -> Option<Cow<'_, str>> {
        self.headers
            .get(name)
            .map(|value| String::from_utf8_lossy(value.as_bytes()))
    }
}

/// A request the gateway let through.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub action: Action,
    pub secret_id: String,
    pub params: Map<String, Value>,
}

/// The gateway's fixed configuration: keys, limits and the per-key rate windows.
#[derive(Debug)]
pub struct Gateway {
    keys: HashMap<String, KeyEntry>,
    cache: KeyCache,
    limiter: RateLimiter,
    window_secs: i64,
    max_get_bytes: usize,
    max_post_bytes: usize,
    rate_limit_per_second: Option<u32>,
    checks: Checks,
    /// The signature flaw of `config.defect`, and the key it may fall back to.
    signature_flaw: Option<Flaw>,
    own_key: Option<KeyEntry>,
    /// The signature-v1 flaw of `config.defect` (see [`v1`]).
    v1_flaw: Option<Flaw>,
    /// The `signature-v1-unknown-method-refused` variant is on.
    v1_refuses_unknown_method: bool,
}

/// One check's working state: what earlier steps found.
struct Pass<'a> {
    gateway: &'a Gateway,
    request: &'a Incoming<'a>,
    now_unix: i64,
    now: Instant,
    action: Option<Action>,
    secret_id: Option<String>,
    params: Option<Map<String, Value>>,
}

/// A named gateway check; a step whose `check` is switched off is skipped (the steps that
/// find the action, key and parameters handle their own checks, as they must still run).
pub struct Step {
    pub name: &'static str,
    pub check: Option<Check>,
    run: fn(&mut Pass<'_>) -> Result<(), ApiError>,
}

/// The only version of CAR's API.
pub const VERSION: &str = "2022-01-10";
/// The gateway's checks in the order they run.
pub const STEPS: &[Step] = &[
    Step {
        name: "method",
        check: Some(Check::Method),
        run: check_method,
    },
    Step {
        name: "required-headers",
        check: Some(Check::RequiredHeaders),
        run: check_required_headers,
    },
    Step {
        name: "action",
        check: None,
        run: check_action,
    },
    Step {
        name: "version",
        check: Some(Check::Version),
        run: check_version,
    },
    Step {
        name: "size",
        check: Some(Check::Size),
        run: check_size,
    },
    Step {
        name: "signature",
        check: None,
        run: check_signature,
    },
    Step {
        name: "body",
        check: None,
        run: parse_body,
    },
    Step {
        name: "params",
        check: None,
        run: check_params,
    },
    Step {
        name: "rate-limit",
        check: Some(Check::RateLimit),
        run: check_rate_limit,
    },
];

impl Gateway {
    pub fn new(config: &MockConfig, checks: Checks) -> Self {
        let v1_refuses_unknown_method =
            super::variants::Variants::new(&config.variants, None, &checks)
                .refuses_unknown_signature_method();
        let credentials = config.effective_credentials();
        let own_key = credentials.first().map(|c| KeyEntry {
            secret_key: c.secret_key.clone(),
            token: c.token.clone(),
        });
        let keys = credentials
            .into_iter()
            .map(|c| {
                (
                    c.secret_id,
                    KeyEntry {
                        secret_key: c.secret_key,
                        token: c.token,
                    },
                )
            })
            .collect();
        Self {
            keys,
            cache: KeyCache::new(),
            limiter: RateLimiter::new(),
            window_secs: config.timestamp_window_secs,
            max_get_bytes: config.max_get_bytes,
            max_post_bytes: config.max_post_bytes,
            rate_limit_per_second: config.rate_limit_per_second,
            checks,
            signature_flaw: config
                .defect
                .as_deref()
                .and_then(defects::find)
                .and_then(|d| d.flaw)
                .filter(|f| f.is_signature()),
            own_key,
            v1_flaw: config
                .defect
                .as_deref()
                .and_then(defects::find)
                .and_then(|d| d.flaw)
                .filter(|f| f.is_v1()),
            v1_refuses_unknown_method,
        }
    }

    /// Runs every step in order; the first failure is the answer.
    pub fn check(
        &self,
        request: &Incoming<'_>,
        now_unix: i64,
        now: Instant,
    ) -> Result<Checked, ApiError> {
        if v1::applies(self, request) {
            return v1::check(self, request, now_unix, now);
        }
        let mut pass = Pass {
            gateway: self,
            request,
            now_unix,
            now,
            action: None,
            secret_id: None,
            params: None,
        };
        for step in STEPS {
            if step.check.is_none_or(|check| self.checks.on(check)) {
                (step.run)(&mut pass)?;
            }
        }
        match (pass.action, pass.secret_id, pass.params) {
            (Some(action), Some(secret_id), Some(params)) => Ok(Checked {
                action,
                secret_id,
                params,
            }),
            // Unreachable while every step runs; a clear error rather than a panic otherwise.
            _ => Err(ApiError::code("InternalError")),
        }
    }
}

/// GET and POST only: anything else is `UnsupportedProtocol`.
fn check_method(pass: &mut Pass<'_>) -> Result<(), ApiError> {
    match pass.request.method {
        "GET" | "POST" => Ok(()),
        other => Err(messages::unsupported_protocol(other)),
    }
}

/// The common parameters carried as headers: `MissingParameter` names the first one absent.
fn check_required_headers(pass: &mut Pass<'_>) -> Result<(), ApiError> {
    for (header, parameter) in [
        ("x-tc-action", "Action"),
        ("x-tc-version", "Version"),
        ("x-tc-timestamp", "Timestamp"),
    ] {
        let present = pass
            .request
            .header(header)
            .is_some_and(|value| !value.trim().is_empty());
        if !present {
            return Err(messages::missing_parameter(parameter));
        }
    }
    Ok(())
}

fn check_action(pass: &mut Pass<'_>) -> Result<(), ApiError> {
    let name = pass.request.header("x-tc-action").unwrap_or_default();
    let name = name.trim();
    match Action::from_name(name) {
        Some(action) => {
            pass.action = Some(action);
            Ok(())
        }
        None => Err(messages::invalid_action(name)),
    }
}

fn check_version(pass: &mut Pass<'_>) -> Result<(), ApiError> {
    let version = pass.request.header("x-tc-version").unwrap_or_default();
    let version = version.trim();
    if version == VERSION {
        return Ok(());
    }
    let action = pass.action.map_or("", Action::name);
    Err(messages::no_such_version(version, action))
}

/// GET: query string plus body within `max_get_bytes`; POST: body within `max_post_bytes`.
fn check_size(pass: &mut Pass<'_>) -> Result<(), ApiError> {
    let request = pass.request;
    let (size, limit) = if request.method == "GET" {
        (
            request.body_len + request.query.len() as u64,
            pass.gateway.max_get_bytes,
        )
    } else {
        (request.body_len, pass.gateway.max_post_bytes)
    };
    if size > limit as u64 {
        return Err(messages::request_size_limit(limit));
    }
    Ok(())
}

/// TC3-HMAC-SHA256 and the timestamp window, both decided by `crate::sign::verify`.
fn check_signature(pass: &mut Pass<'_>) -> Result<(), ApiError> {
    let gateway = pass.gateway;
    if !gateway.checks.on(Check::Signature) {
        // Any Authorization goes: the request counts against the SecretId it names, if any.
        let secret_id = pass
            .request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_authorization(v).ok())
            .map_or("", |parsed| parsed.secret_id);
        pass.secret_id = Some(secret_id.to_owned());
        return Ok(());
    }
    let received = Received {
        method: pass.request.method,
        path: pass.request.path,
        query: pass.request.query,
        headers: pass.request.headers,
        body: pass.request.body,
    };
    let lookup = |secret_id: &str| gateway.keys.get(secret_id).cloned();
    let policy = VerifyPolicy {
        now: pass.now_unix,
        window_secs: if gateway.checks.on(Check::TimestampWindow) {
            gateway.window_secs
        } else {
            i64::MAX
        },
        service: address::accepted_service(pass.request.headers),
        scope_date: None,
    };
    let verified = match gateway.signature_flaw {
        Some(flaw) => flaw.verify(
            &received,
            &lookup,
            gateway.own_key.as_ref(),
            &policy,
            &gateway.cache,
        ),
        None => address::verify_at_address(&received, &lookup, &policy, &gateway.cache),
    };
    match verified {
        Ok(secret_id) => {
            pass.secret_id = Some(secret_id);
            Ok(())
        }
        Err(rejection) => {
            access_log::signature_refused(&received, &policy, &rejection);
            Err(ApiError::code(rejection.code()))
        }
    }
}

/// GET: the form-encoded query; POST: a JSON object (or a form-encoded body when the request says
/// so). An empty POST body counts as `{}`; anything else that is not a JSON object is
/// `InvalidParameter.JsonParseError`.
fn parse_body(pass: &mut Pass<'_>) -> Result<(), ApiError> {
    let request = pass.request;
    let form = |bytes: &[u8]| -> Map<String, Value> {
        url::form_urlencoded::parse(bytes)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect()
    };
    let params = if request.method == "GET" {
        form(request.query.as_bytes())
    } else if request.header("content-type").is_some_and(|ct| {
        ct.trim()
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    }) {
        form(request.body)
    } else if request.body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(request.body) {
            Ok(Value::Object(map)) => map,
            _ if !pass.gateway.checks.on(Check::JsonBody) => Map::new(),
            _ => return Err(ApiError::code("InvalidParameter.JsonParseError")),
        }
    };
    pass.params = Some(params);
    Ok(())
}

fn check_params(pass: &mut Pass<'_>) -> Result<(), ApiError> {
    let (Some(action), Some(params)) = (pass.action, pass.params.as_ref()) else {
        return Ok(());
    };
    let checks = &pass.gateway.checks;
    params::check(action, params, &|rule, name| checks.param_on(rule, name))
}

fn check_rate_limit(pass: &mut Pass<'_>) -> Result<(), ApiError> {
    let (Some(per_second), Some(action), Some(secret_id)) = (
        pass.gateway.rate_limit_per_second,
        pass.action,
        pass.secret_id.as_deref(),
    ) else {
        return Ok(());
    };
    if pass
        .gateway
        .limiter
        .admit(secret_id, action, per_second, pass.now)
    {
        Ok(())
    } else {
        Err(messages::request_limit(per_second, action.name()))
    }
}

#[path = "gateway_v1.rs"]
mod v1;

#[path = "gateway_head.rs"]
mod head;
pub use head::Head;
pub use v1::V1_MAX_POST_BYTES;

#[cfg(test)]
#[path = "gateway_tests.rs"]
mod tests;
