//! sign: verifies a received request's TC3 signature and names the precise reason for a
//! rejection, each reason mapped to the API error code the cloud returns for it.

use subtle::ConstantTimeEq;

use super::canonical::{
    ALGORITHM, UNSIGNED_PAYLOAD, canonical_headers, canonical_request, credential_scope,
    hex_sha256, string_to_sign, utc_date,
};
use super::key::KeyCache;

/// Read access to a request's headers by lower-case name.
pub trait HeaderSource {
    fn header(&self, lowercase_name: &str) -> Option<&str>;
}

impl HeaderSource for [(String, String)] {
    fn header(&self, lowercase_name: &str) -> Option<&str> {
        self.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(lowercase_name))
            .map(|(_, value)| value.as_str())
    }
}

impl HeaderSource for Vec<(String, String)> {
    fn header(&self, lowercase_name: &str) -> Option<&str> {
        self.as_slice().header(lowercase_name)
    }
}

impl HeaderSource for http::HeaderMap {
    fn header(&self, lowercase_name: &str) -> Option<&str> {
        self.get(lowercase_name)
            .and_then(|value| value.to_str().ok())
    }
}

/// A request as the server received it.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a, H: HeaderSource + ?Sized> {
    pub method: &'a str,
    /// The path, `/` for every API 3.0 call.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    pub headers: &'a H,
    pub body: &'a [u8],
}

/// What the server knows of a SecretId.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyEntry {
    pub secret_key: String,
    /// Temporary credentials: the token that must accompany the key.
    pub token: Option<String>,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEntry(<redacted>)")
    }
}

/// Finds the key of a SecretId.
pub trait KeyLookup {
    fn lookup(&self, secret_id: &str) -> Option<KeyEntry>;
}

impl<F> KeyLookup for F
where
    F: Fn(&str) -> Option<KeyEntry>,
{
    fn lookup(&self, secret_id: &str) -> Option<KeyEntry> {
        self(secret_id)
    }
}

/// The server side of the check: its clock, the allowed skew and the service name.
#[derive(Debug, Clone)]
pub struct VerifyPolicy<'a> {
    /// The server's time, Unix seconds.
    pub now: i64,
    /// Largest allowed distance between `X-TC-Timestamp` and `now`, in seconds (300 on the cloud).
    pub window_secs: i64,
    /// The service the scope must name (`car`).
    pub service: &'a str,
    /// The date the scope must name; `None` (the rule) means the timestamp's UTC date.
    pub scope_date: Option<&'a str>,
}

impl Default for VerifyPolicy<'_> {
    fn default() -> Self {
        Self {
            now: 0,
            window_secs: 300,
            service: "car",
            scope_date: None,
        }
    }
}

/// Why a request's signature is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the Authorization header is missing")]
    MissingAuthorization,
    #[error("the Authorization header is malformed: {0}")]
    MalformedAuthorization(&'static str),
    #[error("the Authorization algorithm `{0}` is not TC3-HMAC-SHA256")]
    UnsupportedAlgorithm(String),
    #[error("X-TC-Timestamp is missing or not an integer")]
    InvalidTimestamp,
    #[error("the credential scope's service is `{found}`, expected `{expected}`")]
    ScopeServiceMismatch { found: String, expected: String },
    #[error(
        "the credential scope's date is `{found}`, but the timestamp's UTC date is `{expected}`"
    )]
    ScopeDateMismatch { found: String, expected: String },
    #[error("the SecretId is not known")]
    UnknownSecretId,
    #[error("the signed headers do not include `{0}`")]
    RequiredHeaderNotSigned(&'static str),
    #[error("the signed header `{0}` is not in the request")]
    SignedHeaderAbsent(String),
    #[error("the signature does not match")]
    SignatureMismatch,
    #[error("the temporary credentials' token is missing or wrong")]
    TokenMismatch,
    #[error("the timestamp is {skew_secs} s away from server time (allowed: {window_secs} s)")]
    Expired { skew_secs: i64, window_secs: i64 },
}

impl Rejection {
    /// The API error code the cloud answers with.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::MissingAuthorization
            | Rejection::MalformedAuthorization(_)
            | Rejection::UnsupportedAlgorithm(_)
            | Rejection::InvalidTimestamp => "AuthFailure.InvalidAuthorization",
            Rejection::UnknownSecretId => "AuthFailure.SecretIdNotFound",
            Rejection::ScopeServiceMismatch { .. }
            | Rejection::ScopeDateMismatch { .. }
            | Rejection::RequiredHeaderNotSigned(_)
            | Rejection::SignedHeaderAbsent(_)
            | Rejection::SignatureMismatch => "AuthFailure.SignatureFailure",
            Rejection::TokenMismatch => "AuthFailure.TokenFailure",
            Rejection::Expired { .. } => "AuthFailure.SignatureExpire",
        }
    }
}

/// The parts of an `Authorization: TC3-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthorization<'a> {
    pub secret_id: &'a str,
    pub date: &'a str,
    pub service: &'a str,
    pub signed_headers: &'a str,
    pub signature: &'a str,
}

/// Splits an Authorization value into its parts, or says what is wrong with it.
pub fn parse_authorization(value: &str) -> Result<ParsedAuthorization<'_>, Rejection> {
    let value = value.trim();
    let (algorithm, rest) = value
        .split_once(' ')
        .ok_or(Rejection::MalformedAuthorization(
            "expected `TC3-HMAC-SHA256 Credential=…`",
        ))?;
    if algorithm != ALGORITHM {
        return Err(Rejection::UnsupportedAlgorithm(
            algorithm.chars().take(32).collect(),
        ));
    }
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (name, field) = part
            .trim()
            .split_once('=')
            .ok_or(Rejection::MalformedAuthorization("a part has no `=`"))?;
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => return Err(Rejection::MalformedAuthorization("unknown part")),
        };
        if slot.replace(field).is_some() {
            return Err(Rejection::MalformedAuthorization("a part is repeated"));
        }
    }
    let credential = credential.ok_or(Rejection::MalformedAuthorization("no Credential"))?;
    let signed_headers =
        signed_headers.ok_or(Rejection::MalformedAuthorization("no SignedHeaders"))?;
    let signature = signature.ok_or(Rejection::MalformedAuthorization("no Signature"))?;
    let mut scope = credential.split('/');
    let (Some(secret_id), Some(date), Some(service), Some("tc3_request"), None) = (
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
        scope.next(),
    ) else {
        return Err(Rejection::MalformedAuthorization(
            "Credential must be SECRETID/DATE/SERVICE/tc3_request",
        ));
    };
    if secret_id.is_empty() || signed_headers.is_empty() {
        return Err(Rejection::MalformedAuthorization(
            "empty SecretId or SignedHeaders",
        ));
    }
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Rejection::MalformedAuthorization(
            "Signature must be 64 hex digits",
        ));
    }
    Ok(ParsedAuthorization {
        secret_id,
        date,
        service,
        signed_headers,
        signature,
    })
}

/// What [`verify_head`] found in the headers, for the checks that need the body.
struct Head<'a> {
    parsed: ParsedAuthorization<'a>,
    timestamp: i64,
    entry: KeyEntry,
    names: Vec<&'a str>,
}

/// The checks of [`verify`] that read only the headers (shape, scope, key, signed headers,
/// clock), in the same order: a request they refuse is refused with the same code whatever its body, so a
/// server can answer it before reading the body.
pub fn verify_head<H: HeaderSource + ?Sized>(
    headers: &H,
    keys: &dyn KeyLookup,
    policy: &VerifyPolicy<'_>,
) -> Result<(), Rejection> {
    head(headers, keys, policy).map(|_| ())
}

fn head<'a, H: HeaderSource + ?Sized>(
    headers: &'a H,
    keys: &dyn KeyLookup,
    policy: &VerifyPolicy<'_>,
) -> Result<Head<'a>, Rejection> {
    let authorization = headers
        .header("authorization")
        .ok_or(Rejection::MissingAuthorization)?;
    let parsed = parse_authorization(authorization)?;
    let timestamp: i64 = headers
        .header("x-tc-timestamp")
        .and_then(|value| value.trim().parse().ok())
        .ok_or(Rejection::InvalidTimestamp)?;
    let expected_date = match policy.scope_date {
        Some(date) => date.to_owned(),
        None => utc_date(timestamp).ok_or(Rejection::InvalidTimestamp)?,
    };
    if parsed.service != policy.service {
        return Err(Rejection::ScopeServiceMismatch {
            found: parsed.service.chars().take(64).collect(),
            expected: policy.service.to_owned(),
        });
    }
    if parsed.date != expected_date {
        return Err(Rejection::ScopeDateMismatch {
            found: parsed.date.chars().take(64).collect(),
            expected: expected_date,
        });
    }
    let entry = keys
        .lookup(parsed.secret_id)
        .ok_or(Rejection::UnknownSecretId)?;

    let names: Vec<&str> = parsed.signed_headers.split(';').collect();
    for required in ["content-type", "host"] {
        if !names.contains(&required) {
            return Err(Rejection::RequiredHeaderNotSigned(required));
        }
    }
    for name in &names {
        if headers.header(name).is_none() {
            return Err(Rejection::SignedHeaderAbsent(
                name.chars().take(64).collect(),
            ));
        }
    }
    // The clock is a header check too: decided here, a stale request is refused before a
    // server reads its body (no documentation orders it against the signature).
    let skew_secs = (policy.now - timestamp).abs();
    if skew_secs > policy.window_secs {
        return Err(Rejection::Expired {
            skew_secs,
            window_secs: policy.window_secs,
        });
    }
    Ok(Head {
        parsed,
        timestamp,
        entry,
        names,
    })
}

/// Verifies `request`: the verified SecretId, or why it is rejected. Checks run in the order
/// a gateway can afford them: shape, scope, key, clock (all in [`verify_head`]), signature
/// (constant time), token.
pub fn verify<H: HeaderSource + ?Sized>(
    request: &Received<'_, H>,
    keys: &dyn KeyLookup,
    policy: &VerifyPolicy<'_>,
    cache: Option<&KeyCache>,
) -> Result<String, Rejection> {
    let Head {
        parsed,
        timestamp,
        entry,
        names,
    } = head(request.headers, keys, policy)?;
    let pairs: Vec<(&str, &str)> = names
        .iter()
        .filter_map(|name| Some((*name, request.headers.header(name)?)))
        .collect();
    let (header_block, _) = canonical_headers(pairs);
    let unsigned = request
        .headers
        .header("x-tc-content-sha256")
        .is_some_and(|value| value.trim() == UNSIGNED_PAYLOAD);
    let hashed_payload = if unsigned {
        hex_sha256(UNSIGNED_PAYLOAD.as_bytes())
    } else {
        hex_sha256(request.body)
    };
    let canonical = canonical_request(
        request.method,
        request.path,
        request.query,
        &header_block,
        parsed.signed_headers,
        &hashed_payload,
    );
    let scope = credential_scope(parsed.date, parsed.service);
    let to_sign = string_to_sign(timestamp, &scope, &canonical);
    let expected = match cache {
        Some(cache) => cache.get(&entry.secret_key, parsed.date, parsed.service),
        None => super::SigningKey::derive(&entry.secret_key, parsed.date, parsed.service),
    }
    .sign(&to_sign);
    let matches: bool = expected
        .as_bytes()
        .ct_eq(parsed.signature.to_ascii_lowercase().as_bytes())
        .into();
    if !matches {
        return Err(Rejection::SignatureMismatch);
    }

    let sent_token = request
        .headers
        .header("x-tc-token")
        .filter(|t| !t.is_empty());
    let token_ok = match (entry.token.as_deref(), sent_token) {
        (None, None) => true,
        (Some(expected), Some(sent)) => bool::from(expected.as_bytes().ct_eq(sent.as_bytes())),
        _ => false,
    };
    if !token_ok {
        return Err(Rejection::TokenMismatch);
    }
    Ok(parsed.secret_id.to_owned())
}
