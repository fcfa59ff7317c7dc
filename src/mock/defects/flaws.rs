//! mock: what a defect does beyond switching named checks off — a lenient signature check, a
//! different reading of the parameters, or an answer that breaks the response contract. Each
//! [`Flaw`] is one small deviation from the reference path, applied at the hook the mock offers
//! for it (gateway signature step, before the business layer, the answer).

use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value};

use super::Defect;
use crate::mock::action::Action;
use crate::mock::messages::{ApiError, Lang};
use crate::mock::reply::{error_body, http_response, request_id, success_body};
use crate::sign::{
    HeaderSource, KeyCache, KeyEntry, KeyLookup, Received, Rejection, VerifyPolicy,
    parse_authorization, verify,
};

/// How long `slow-create-session` holds a successful CreateSession: beyond the documented 5 s
/// with a margin no scheduler delay can close (a sleep never ends early), short enough that the
/// suite under this defect still runs in seconds when its cases run side by side.
pub const SLOW_ANSWER: Duration = Duration::from_millis(5_500);

/// One deviation from the reference behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// The payload hash covers the re-serialised JSON body, not the bytes received.
    BodyHashOfParsedJson,
    /// Timestamps in the past are never too old.
    AcceptExpired,
    /// Timestamps in the future are never too new.
    AcceptFuture,
    /// The scope's date is used to derive the key, never compared with the timestamp's date.
    TrustScopeDate,
    /// The scope's service is used to derive the key, whatever it is.
    TrustScopeService,
    /// An unknown SecretId is verified with the server's own (first) key.
    AnyKeyForUnknownSecretId,
    /// The signed content-type is taken to be the method's usual one, not the header sent.
    AssumedContentType,
    /// The payload hash covers the body with non-ASCII characters re-encoded as `\uXXXX`.
    BodyHashAsciiEscaped,
    /// The canonical query string is the percent-decoded query, not the one sent.
    QueryDecoded,
    /// `MissingParameter` is answered as `InvalidParameter`.
    MissingAsInvalidParameter,
    /// A Role other than Viewer is read as Player.
    UnknownRoleIsPlayer,
    /// API errors come with HTTP 400.
    ErrorsAsHttp400,
    /// Error answers have no RequestId.
    NoRequestIdOnErrors,
    /// One RequestId for every answer.
    OneRequestId,
    /// Error answers have no Error.Message.
    NoErrorMessage,
    /// Successful answers lose ServerSession.
    NoServerSession,
    /// `Content-Type: application/json; charset=utf-8`.
    ContentTypeWithCharset,
    /// `Content-Type: text/html`.
    ContentTypeHtml,
    /// RequestId repeated beside `Response`.
    FieldsBesideResponse,
    /// A successful CreateSession answers after [`SLOW_ANSWER`].
    SlowCreateSession,
    /// Signature v1 requests are not recognised: they meet the TC3 checks (and fail them).
    RefuseV1,
    /// Signature v1 requests are let through whatever their Signature.
    V1SignatureUnchecked,
    /// Signature v1 requests are let through whatever their Timestamp.
    V1TimestampUnchecked,
}

impl Flaw {
    /// Whether the flaw lives in the gateway's signature step.
    pub fn is_signature(self) -> bool {
        matches!(
            self,
            Flaw::BodyHashOfParsedJson
                | Flaw::AcceptExpired
                | Flaw::AcceptFuture
                | Flaw::TrustScopeDate
                | Flaw::TrustScopeService
                | Flaw::AnyKeyForUnknownSecretId
                | Flaw::AssumedContentType
                | Flaw::BodyHashAsciiEscaped
                | Flaw::QueryDecoded
        )
    }

    /// Whether the flaw lives in the gateway's signature-v1 way.
    pub fn is_v1(self) -> bool {
        matches!(
            self,
            Flaw::RefuseV1 | Flaw::V1SignatureUnchecked | Flaw::V1TimestampUnchecked
        )
    }

    /// The signature check with this flaw: `sign::verify` with a bent input where that is enough,
    /// else the reference steps with one left out. `own_key` is the server's first key.
    pub fn verify(
        self,
        received: &Received<'_, http::HeaderMap>,
        keys: &dyn KeyLookup,
        own_key: Option<&KeyEntry>,
        policy: &VerifyPolicy<'_>,
        cache: &KeyCache,
    ) -> Result<String, Rejection> {
        let header = |name: &str| received.headers.header(name);
        match self {
            Flaw::BodyHashOfParsedJson => {
                let body = reserialised(received.body);
                let bent = Received {
                    method: received.method,
                    path: received.path,
                    query: received.query,
                    headers: received.headers,
                    body: &body,
                };
                verify(&bent, keys, policy, Some(cache))
            }
            Flaw::AcceptExpired | Flaw::AcceptFuture => {
                let mut policy = policy.clone();
                if let Some(timestamp) =
                    header("x-tc-timestamp").and_then(|t| t.trim().parse().ok())
                {
                    let lenient = if self == Flaw::AcceptExpired {
                        timestamp < policy.now
                    } else {
                        timestamp > policy.now
                    };
                    if lenient {
                        // Measured against itself, the timestamp is never out of the window.
                        policy.now = timestamp;
                    }
                }
                verify(received, keys, &policy, Some(cache))
            }
            Flaw::TrustScopeService => {
                let named = header("authorization")
                    .and_then(|a| parse_authorization(a).ok())
                    .map(|parsed| parsed.service);
                let policy = VerifyPolicy {
                    service: named.unwrap_or(policy.service),
                    ..policy.clone()
                };
                verify(received, keys, &policy, Some(cache))
            }
            Flaw::AnyKeyForUnknownSecretId => {
                let lookup = |id: &str| keys.lookup(id).or_else(|| own_key.cloned());
                verify(received, &lookup, policy, Some(cache))
            }
            Flaw::TrustScopeDate => {
                let named = header("authorization")
                    .and_then(|a| parse_authorization(a).ok())
                    .map(|parsed| parsed.date);
                let policy = VerifyPolicy {
                    scope_date: named.or(policy.scope_date),
                    ..policy.clone()
                };
                verify(received, keys, &policy, Some(cache))
            }
            Flaw::AssumedContentType => {
                let mut headers = received.headers.clone();
                let usual = if received.method.eq_ignore_ascii_case("GET") {
                    "application/x-www-form-urlencoded"
                } else {
                    "application/json"
                };
                headers.insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static(usual),
                );
                let bent = Received {
                    headers: &headers,
                    ..*received
                };
                verify(&bent, keys, policy, Some(cache))
            }
            Flaw::BodyHashAsciiEscaped => {
                let body = ascii_escaped(received.body);
                let bent = Received {
                    body: &body,
                    ..*received
                };
                verify(&bent, keys, policy, Some(cache))
            }
            Flaw::QueryDecoded => {
                let query = decoded_query(received.query);
                let bent = Received {
                    query: &query,
                    ..*received
                };
                verify(&bent, keys, policy, Some(cache))
            }
            _ => verify(received, keys, policy, Some(cache)),
        }
    }
}

/// The body as a server that re-encodes text with ASCII-only JSON escapes hashes it (what
/// Python's `json.dumps` does by default); ASCII bodies are unchanged.
fn ascii_escaped(body: &[u8]) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(body) else {
        return body.to_vec();
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out.into_bytes()
}

/// The query with every name and value percent-decoded, as a server that signs what it parsed
/// rebuilds it; a query with nothing encoded is unchanged.
fn decoded_query(query: &str) -> String {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The JSON body as a server that parses first and hashes later sees it; other bodies unchanged.
fn reserialised(body: &[u8]) -> Vec<u8> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|value| serde_json::to_vec(&value).ok())
        .unwrap_or_else(|| body.to_vec())
}

/// A defect switched on in one mock, with what its flaw must remember.
#[derive(Debug)]
pub struct Active {
    defect: &'static Defect,
    /// The one RequestId of `request-id-repeated`.
    request_id: String,
}

impl Active {
    pub fn new(defect: &'static Defect) -> Self {
        Self {
            defect,
            request_id: request_id(),
        }
    }

    pub fn defect(&self) -> &'static Defect {
        self.defect
    }

    fn has(&self, flaw: Flaw) -> bool {
        self.defect.flaw == Some(flaw)
    }

    /// The signature flaw, if this defect has one.
    pub fn signature_flaw(&self) -> Option<Flaw> {
        self.defect.flaw.filter(|f| f.is_signature())
    }

    /// Between gateway and business layer: how the defective implementation reads parameters.
    pub fn adjust_params(&self, action: Action, params: &mut Map<String, Value>) {
        if self.has(Flaw::UnknownRoleIsPlayer)
            && action == Action::CreateSession
            && let Some(Value::String(role)) = params.get_mut("Role")
            && role != "Viewer"
        {
            "Player".clone_into(role);
        }
    }

    /// Extra time before a successful `action` answers.
    pub fn delay(&self, action: Action) -> Option<Duration> {
        (self.has(Flaw::SlowCreateSession) && action == Action::CreateSession)
            .then_some(SLOW_ANSWER)
    }

    /// The answer to a request, as the defective implementation writes it.
    pub fn reply(
        &self,
        result: Result<Map<String, Value>, ApiError>,
        lang: Lang,
    ) -> http::Response<Bytes> {
        let result = match result {
            Err(error)
                if self.has(Flaw::MissingAsInvalidParameter)
                    && error.code == "MissingParameter" =>
            {
                Err(ApiError {
                    code: "InvalidParameter".to_owned(),
                    ..error
                })
            }
            Ok(mut fields) if self.has(Flaw::NoServerSession) => {
                fields.remove("ServerSession");
                Ok(fields)
            }
            other => other,
        };
        let id = if self.has(Flaw::OneRequestId) {
            self.request_id.clone()
        } else {
            request_id()
        };
        let failed = result.is_err();
        let body = match &result {
            Ok(fields) => success_body(fields.clone(), &id),
            Err(error) => error_body(error, lang, &id),
        };
        let body = match self.defect.flaw {
            Some(Flaw::NoRequestIdOnErrors) if failed => edit(&body, |outer| {
                if let Some(Value::Object(response)) = outer.get_mut("Response") {
                    response.remove("RequestId");
                }
            }),
            Some(Flaw::NoErrorMessage) if failed => edit(&body, |outer| {
                if let Some(Value::Object(error)) =
                    outer.get_mut("Response").and_then(|r| r.get_mut("Error"))
                {
                    error.remove("Message");
                }
            }),
            Some(Flaw::FieldsBesideResponse) => edit(&body, |outer| {
                outer.insert("RequestId".to_owned(), Value::String(id.clone()));
            }),
            _ => body,
        };
        let mut response = http_response(body, false);
        let content_type = match self.defect.flaw {
            Some(Flaw::ErrorsAsHttp400) if failed => {
                *response.status_mut() = http::StatusCode::BAD_REQUEST;
                None
            }
            Some(Flaw::ContentTypeWithCharset) => Some("application/json; charset=utf-8"),
            Some(Flaw::ContentTypeHtml) => Some("text/html"),
            _ => None,
        };
        if let Some(content_type) = content_type {
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(content_type),
            );
        }
        response
    }
}

/// `body` (a JSON object the mock wrote) changed by `change`, key order kept.
fn edit(body: &Bytes, change: impl FnOnce(&mut Map<String, Value>)) -> Bytes {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut outer)) => {
            change(&mut outer);
            serde_json::to_vec(&Value::Object(outer)).map_or_else(|_| body.clone(), Bytes::from)
        }
        _ => body.clone(),
    }
}
