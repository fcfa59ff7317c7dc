//! sign: signature v1 (HmacSHA1 / HmacSHA256), the older API 3.0 signature carried as request
//! parameters (`Nonce`, `SecretId`, `Signature`, `SignatureMethod`) in a GET query or a
//! form-encoded POST body. The runner and the `sign` command sign with it, the mock verifies with
//! it; every function here is pure (no I/O, no clock).
//!
//! Per the "Signature" page: sort every parameter but `Signature` by name in ASCII order, join
//! them as `name=value` with `&` (raw values, not URL-encoded), prefix method + host + path + `?`,
//! HMAC that with the SecretKey and Base64 the result; the `Signature` is URL-encoded where it
//! travels in a query or form body.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use subtle::ConstantTimeEq;

use super::signer::Credentials;
use super::verify::{KeyEntry, KeyLookup};

/// The two v1 algorithms, by their `SignatureMethod` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureMethod {
    HmacSha1,
    HmacSha256,
}

impl SignatureMethod {
    /// The `SignatureMethod` value: `HmacSHA1` or `HmacSHA256`.
    pub const fn name(self) -> &'static str {
        match self {
            SignatureMethod::HmacSha1 => "HmacSHA1",
            SignatureMethod::HmacSha256 => "HmacSHA256",
        }
    }

    /// The method named exactly `name`; names are case-sensitive, as the SDKs send them.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "HmacSHA1" => Some(SignatureMethod::HmacSha1),
            "HmacSHA256" => Some(SignatureMethod::HmacSha256),
            _ => None,
        }
    }

    /// The method a server verifies with, given the request's `SignatureMethod` parameter. The
    /// Common Params page: "The HmacSHA256 algorithm is used to verify the signature only when
    /// this parameter is specified as HmacSHA256. In other cases, the signature is verified with
    /// HmacSHA1."
    pub fn for_parameter(value: Option<&str>) -> Self {
        match value {
            Some("HmacSHA256") => SignatureMethod::HmacSha256,
            _ => SignatureMethod::HmacSha1,
        }
    }
}

/// The common parameters of v1 that every request must carry, in the order a missing one is
/// reported (Common Params: all "Required: Yes").
pub const REQUIRED: [&str; 6] = [
    "Action",
    "Version",
    "Timestamp",
    "Nonce",
    "SecretId",
    "Signature",
];

/// Every common parameter of v1: the required ones, the optional `Region`, `SignatureMethod`,
/// `Token` and `Language`, and `RequestClient`, which the official SDKs add to every v1 request.
/// A server takes these out before it checks the action's own parameters.
pub const COMMON: [&str; 11] = [
    "Action",
    "Version",
    "Timestamp",
    "Nonce",
    "SecretId",
    "Signature",
    "SignatureMethod",
    "Region",
    "Token",
    "Language",
    "RequestClient",
];

/// `name=value` pairs sorted by name in byte (ASCII) order, `Signature` left out, joined by `&`,
/// values raw. The sort is stable, so a repeated name keeps its order.
pub fn parameter_string(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params
        .iter()
        .filter(|(name, _)| name != "Signature")
        .collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::with_capacity(sorted.iter().map(|(n, v)| n.len() + v.len() + 2).sum());
    for (i, (name, value)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Request method + host + path + `?` + [`parameter_string`].
pub fn string_to_sign(method: &str, host: &str, path: &str, params: &[(String, String)]) -> String {
    let parameters = parameter_string(params);
    let mut out =
        String::with_capacity(method.len() + host.len() + path.len() + 1 + parameters.len());
    for part in [method, host, path, "?", &parameters] {
        out.push_str(part);
    }
    out
}

/// The raw HMAC of `string_to_sign` keyed with the SecretKey itself (v1 derives no key).
pub fn signature_bytes(secret_key: &str, method: SignatureMethod, string_to_sign: &str) -> Vec<u8> {
    fn mac<M: Mac + KeyInit>(key: &str, data: &str) -> Vec<u8> {
        let mut mac = <M as KeyInit>::new_from_slice(key.as_bytes())
            .expect("HMAC accepts keys of any length");
        mac.update(data.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
    match method {
        SignatureMethod::HmacSha1 => mac::<Hmac<sha1::Sha1>>(secret_key, string_to_sign),
        SignatureMethod::HmacSha256 => mac::<Hmac<sha2::Sha256>>(secret_key, string_to_sign),
    }
}

/// Base64 of [`signature_bytes`]: the value of the `Signature` parameter before URL encoding.
pub fn signature(secret_key: &str, method: SignatureMethod, string_to_sign: &str) -> String {
    BASE64.encode(signature_bytes(secret_key, method, string_to_sign))
}

/// Percent-encodes `value` per RFC 3986: unreserved characters (`A-Z a-z 0-9 - _ . ~`) stay,
/// every other UTF-8 byte becomes `%XY` with upper-case hex, as the Signature page asks.
pub fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + value.len() / 4);
    push_encoded(&mut out, value);
    out
}

/// Appends `value` percent-encoded to `out`, copying runs of unreserved bytes whole (a byte at a
/// time costs more than the HMAC of a long ClientSession).
fn push_encoded(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
    let bytes = value.as_bytes();
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        if unreserved(byte) {
            continue;
        }
        // A run of unreserved bytes is ASCII, so it is UTF-8 whatever surrounds it.
        out.push_str(std::str::from_utf8(&bytes[start..i]).expect("ASCII run"));
        let escape = [
            b'%',
            HEX[usize::from(byte >> 4)],
            HEX[usize::from(byte & 0xF)],
        ];
        out.push_str(std::str::from_utf8(&escape).expect("ASCII"));
        start = i + 1;
    }
    out.push_str(std::str::from_utf8(&bytes[start..]).expect("ASCII run"));
}

/// The query string or form body that carries `params`, in the given order, every name and
/// value encoded with [`encode_component`].
pub fn encode_params(params: &[(String, String)]) -> String {
    let size: usize = params.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
    let mut out = String::with_capacity(size + size / 4);
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(&mut out, name);
        out.push('=');
        push_encoded(&mut out, value);
    }
    out
}

/// A JSON object's fields as v1 parameters, flattened as the official SDKs flatten them:
/// nested objects and arrays as `Name.Field` / `Name.0`, strings as they are, `null` left out,
/// numbers and booleans as their JSON text.
pub fn flatten_json(value: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
        use serde_json::Value;
        let key = |name: &str| {
            if prefix.is_empty() {
                name.to_owned()
            } else {
                format!("{prefix}.{name}")
            }
        };
        match value {
            Value::Object(map) => map.iter().for_each(|(k, v)| walk(&key(k), v, out)),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, v)| walk(&key(&i.to_string()), v, out)),
            Value::String(text) => out.push((prefix.to_owned(), text.clone())),
            Value::Null => {}
            other => out.push((prefix.to_owned(), other.to_string())),
        }
    }
    let mut out = Vec::new();
    walk("", value, &mut out);
    out
}

/// The common parameters of one v1 request, as an SDK sends them.
#[derive(Debug, Clone)]
pub struct V1Common<'a> {
    pub action: &'a str,
    pub version: &'a str,
    pub timestamp: i64,
    /// A random positive integer; with the timestamp it guards against replays.
    pub nonce: u64,
    pub region: Option<&'a str>,
    pub language: Option<&'a str>,
    /// `None` leaves `SignatureMethod` out (the server then verifies with HmacSHA1).
    pub method: Option<SignatureMethod>,
    pub credentials: &'a Credentials,
}

impl V1Common<'_> {
    /// The common parameters as pairs: Action, Version, Timestamp, Nonce, SecretId, then the
    /// optional Region, SignatureMethod, Token and Language.
    pub fn params(&self) -> Vec<(String, String)> {
        let mut params = vec![
            ("Action".to_owned(), self.action.to_owned()),
            ("Version".to_owned(), self.version.to_owned()),
            ("Timestamp".to_owned(), self.timestamp.to_string()),
            ("Nonce".to_owned(), self.nonce.to_string()),
            ("SecretId".to_owned(), self.credentials.secret_id.clone()),
        ];
        let optional = [
            ("Region", self.region),
            ("SignatureMethod", self.method.map(SignatureMethod::name)),
            ("Token", self.credentials.token.as_deref()),
            ("Language", self.language),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                params.push((name.to_owned(), value.to_owned()));
            }
        }
        params
    }
}

/// One v1 signature: the string signed, the Base64 signature and the parameters to send (those
/// given, then `Signature`). `Debug` leaves the signature out.
#[derive(Clone, PartialEq, Eq)]
pub struct V1Signed {
    pub string_to_sign: String,
    pub signature: String,
    pub params: Vec<(String, String)>,
}

impl V1Signed {
    /// The parameters as a query string or `application/x-www-form-urlencoded` body.
    pub fn encoded(&self) -> String {
        encode_params(&self.params)
    }
}

impl std::fmt::Debug for V1Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V1Signed")
            .field("string_to_sign", &self.string_to_sign)
            .field("signature", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Signs `params` (which must not hold a `Signature`) for `http_method` to `host` + `path` with
/// `method`, and appends the `Signature`.
pub fn sign_v1(
    http_method: &str,
    host: &str,
    path: &str,
    params: Vec<(String, String)>,
    secret_key: &str,
    method: SignatureMethod,
) -> V1Signed {
    let to_sign = string_to_sign(http_method, host, path, &params);
    let signature = signature(secret_key, method, &to_sign);
    let mut params = params;
    params.push(("Signature".to_owned(), signature.clone()));
    V1Signed {
        string_to_sign: to_sign,
        signature,
        params,
    }
}

/// A v1 request as the server received it: its parameters already form-decoded.
#[derive(Debug, Clone, Copy)]
pub struct V1Received<'a> {
    pub method: &'a str,
    /// The Host header exactly as received, port included.
    pub host: &'a str,
    pub path: &'a str,
    pub params: &'a [(String, String)],
}

impl V1Received<'_> {
    /// The value of `name`, or an error when it is repeated (a server cannot tell which counts).
    fn single(&self, name: &'static str) -> Result<Option<&str>, V1Rejection> {
        let mut found = self.params.iter().filter(|(n, _)| n == name);
        let first = found.next().map(|(_, v)| v.as_str());
        if found.next().is_some() {
            return Err(V1Rejection::Repeated(name));
        }
        Ok(first)
    }
}

/// The server side of a v1 check: its clock and the allowed skew.
#[derive(Debug, Clone, Copy)]
pub struct V1Policy {
    /// The server's time, Unix seconds.
    pub now: i64,
    /// Largest allowed distance between `Timestamp` and `now`, in seconds (300 on the cloud).
    pub window_secs: i64,
}

/// Why a v1 request is rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum V1Rejection {
    #[error("the common parameter `{0}` is missing")]
    Missing(&'static str),
    #[error("the common parameter `{0}` is given more than once")]
    Repeated(&'static str),
    #[error("Timestamp is not an integer")]
    InvalidTimestamp,
    #[error("Nonce is not a positive integer")]
    InvalidNonce,
    #[error("the SecretId is not known")]
    UnknownSecretId,
    #[error("the signature does not match ({0} was used to verify it)")]
    SignatureMismatch(&'static str),
    #[error("the temporary credentials' token is missing or wrong")]
    TokenMismatch,
    #[error("the timestamp is {skew_secs} s away from server time (allowed: {window_secs} s)")]
    Expired { skew_secs: i64, window_secs: i64 },
}

impl V1Rejection {
    /// The API error code the cloud answers with. The Signature page lists the AuthFailure
    /// codes; a missing common parameter is `MissingParameter` and one of the wrong format
    /// `InvalidParameter` (Common Error Codes).
    pub fn code(&self) -> &'static str {
        match self {
            V1Rejection::Missing(_) => "MissingParameter",
            V1Rejection::Repeated(_)
            | V1Rejection::InvalidTimestamp
            | V1Rejection::InvalidNonce => "InvalidParameter",
            V1Rejection::UnknownSecretId => "AuthFailure.SecretIdNotFound",
            V1Rejection::SignatureMismatch(_) => "AuthFailure.SignatureFailure",
            V1Rejection::TokenMismatch => "AuthFailure.TokenFailure",
            V1Rejection::Expired { .. } => "AuthFailure.SignatureExpire",
        }
    }
}

/// What a verified v1 request showed: its SecretId and the algorithm that verified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V1Verified {
    pub secret_id: String,
    pub method: SignatureMethod,
}

/// Verifies a v1 request. Checks run as the TC3 ones do: shape (every required common parameter
/// present once, Timestamp and Nonce integers), key, signature (constant time), token, clock.
pub fn verify_v1(
    request: &V1Received<'_>,
    keys: &dyn KeyLookup,
    policy: &V1Policy,
) -> Result<V1Verified, V1Rejection> {
    let mut required = [""; REQUIRED.len()];
    for (slot, name) in required.iter_mut().zip(REQUIRED) {
        *slot = request
            .single(name)?
            .filter(|v| !v.is_empty())
            .ok_or(V1Rejection::Missing(name))?;
    }
    let [_, _, timestamp, nonce, secret_id, sent_signature] = required;
    let timestamp: i64 = parse_integer(timestamp).ok_or(V1Rejection::InvalidTimestamp)?;
    let nonce: u64 = parse_integer(nonce).ok_or(V1Rejection::InvalidNonce)?;
    if nonce == 0 {
        return Err(V1Rejection::InvalidNonce);
    }
    let method = SignatureMethod::for_parameter(request.single("SignatureMethod")?);
    let sent_token = request.single("Token")?.filter(|t| !t.is_empty());
    let entry: KeyEntry = keys.lookup(secret_id).ok_or(V1Rejection::UnknownSecretId)?;

    let to_sign = string_to_sign(request.method, request.host, request.path, request.params);
    let expected = signature_bytes(&entry.secret_key, method, &to_sign);
    let matches = BASE64
        .decode(sent_signature.trim())
        .is_ok_and(|sent| bool::from(sent.ct_eq(&expected)));
    if !matches {
        return Err(V1Rejection::SignatureMismatch(method.name()));
    }

    let token_ok = match (entry.token.as_deref(), sent_token) {
        (None, None) => true,
        (Some(expected), Some(sent)) => bool::from(expected.as_bytes().ct_eq(sent.as_bytes())),
        _ => false,
    };
    if !token_ok {
        return Err(V1Rejection::TokenMismatch);
    }

    let skew_secs = policy.now.saturating_sub(timestamp).saturating_abs();
    if skew_secs > policy.window_secs {
        return Err(V1Rejection::Expired {
            skew_secs,
            window_secs: policy.window_secs,
        });
    }
    Ok(V1Verified {
        secret_id: secret_id.to_owned(),
        method,
    })
}

/// Plain ASCII digits only (no sign, no spaces): what an SDK sends for an integer.
fn parse_integer<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
#[path = "v1_tests.rs"]
mod tests;
