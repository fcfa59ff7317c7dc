//! sign: builds the signed header set of one API 3.0 request (TC3-HMAC-SHA256, steps 1–4).

use super::canonical::{
    ALGORITHM, UNSIGNED_PAYLOAD, canonical_headers, canonical_request, credential_scope,
    hex_sha256, string_to_sign, utc_date,
};
use super::key::{KeyCache, SigningKey};

/// A SecretId / SecretKey pair, with the token of temporary credentials. `Debug` never shows the
/// key or the token.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Credentials {
    pub secret_id: String,
    pub secret_key: String,
    pub token: Option<String>,
}

impl Credentials {
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            token: None,
        }
    }

    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Everything that goes into one signature.
#[derive(Debug, Clone)]
pub struct SignRequest<'a> {
    /// `GET` or `POST` (any other method is signed as given, for negative cases).
    pub method: &'a str,
    /// The Host header exactly as sent, port included.
    pub host: &'a str,
    pub content_type: &'a str,
    /// The query string as sent (GET); empty for POST.
    pub query: &'a str,
    /// The body as sent (empty for GET).
    pub body: &'a [u8],
    pub timestamp: i64,
    pub service: &'a str,
    pub action: &'a str,
    pub version: &'a str,
    pub region: Option<&'a str>,
    pub language: Option<&'a str>,
    pub credentials: &'a Credentials,
    /// Further headers to sign, (name, value) as they will be sent; they are sent too.
    pub extra_signed_headers: &'a [(String, String)],
    /// Sign the literal `UNSIGNED-PAYLOAD` instead of the body's hash (and send
    /// `X-TC-Content-SHA256: UNSIGNED-PAYLOAD`).
    pub unsigned_payload: bool,
}

impl<'a> SignRequest<'a> {
    /// A CreateSession-style POST with `application/json`, no region, no extra headers.
    pub fn post_json(
        host: &'a str,
        action: &'a str,
        body: &'a [u8],
        timestamp: i64,
        credentials: &'a Credentials,
    ) -> Self {
        Self {
            method: "POST",
            host,
            content_type: "application/json",
            query: "",
            body,
            timestamp,
            service: "car",
            action,
            version: "2022-01-10",
            region: None,
            language: None,
            credentials,
            extra_signed_headers: &[],
            unsigned_payload: false,
        }
    }
}

/// The result of signing: every intermediate step (to explain a mismatch) and the headers to
/// send. `Debug` leaves the signature and `Authorization` out.
#[derive(Clone, PartialEq, Eq)]
pub struct Signed {
    pub hashed_payload: String,
    pub canonical_request: String,
    pub string_to_sign: String,
    pub credential_scope: String,
    pub signed_headers: String,
    pub signature: String,
    pub authorization: String,
    /// Headers to send, in a fixed order: Authorization, Content-Type, Host, X-TC-Action,
    /// X-TC-Timestamp, X-TC-Version, then region, token, language, payload marker, extra headers.
    pub headers: Vec<(String, String)>,
}

impl std::fmt::Debug for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signed")
            .field("canonical_request", &self.canonical_request)
            .field("string_to_sign", &self.string_to_sign)
            .field("signature", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Signs `request`; `None` only when the timestamp has no calendar date.
pub fn sign(request: &SignRequest<'_>) -> Option<Signed> {
    sign_inner(request, None)
}

/// Like [`sign`], reusing derived keys from `cache`.
pub fn sign_with_cache(request: &SignRequest<'_>, cache: &KeyCache) -> Option<Signed> {
    sign_inner(request, Some(cache))
}

fn sign_inner(request: &SignRequest<'_>, cache: Option<&KeyCache>) -> Option<Signed> {
    let date = utc_date(request.timestamp)?;
    let hashed_payload = if request.unsigned_payload {
        hex_sha256(UNSIGNED_PAYLOAD.as_bytes())
    } else {
        hex_sha256(request.body)
    };
    let mut headers = vec![
        ("Authorization".to_owned(), String::new()),
        ("Content-Type".to_owned(), request.content_type.to_owned()),
        ("Host".to_owned(), request.host.to_owned()),
        ("X-TC-Action".to_owned(), request.action.to_owned()),
        ("X-TC-Timestamp".to_owned(), request.timestamp.to_string()),
        ("X-TC-Version".to_owned(), request.version.to_owned()),
    ];
    let optional = [
        ("X-TC-Region", request.region),
        ("X-TC-Token", request.credentials.token.as_deref()),
        ("X-TC-Language", request.language),
        (
            "X-TC-Content-SHA256",
            request.unsigned_payload.then_some(UNSIGNED_PAYLOAD),
        ),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    // An extra signed header is sent with the value it is signed with, replacing a standard one
    // of the same name, so what is signed is always what is sent.
    for (name, value) in request.extra_signed_headers {
        match headers
            .iter_mut()
            .find(|(sent, _)| sent.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1.clone_from(value),
            None => headers.push((name.clone(), value.clone())),
        }
    }
    let sent_value = |name: &str| {
        headers
            .iter()
            .find(|(sent, _)| sent.eq_ignore_ascii_case(name))
            .map_or("", |(_, value)| value.as_str())
    };
    let signed_pairs = ["content-type", "host"]
        .into_iter()
        .chain(
            request
                .extra_signed_headers
                .iter()
                .map(|(name, _)| name.as_str()),
        )
        .map(|name| (name, sent_value(name)));
    let (header_block, signed_headers) = canonical_headers(signed_pairs);
    let canonical = canonical_request(
        request.method,
        "/",
        request.query,
        &header_block,
        &signed_headers,
        &hashed_payload,
    );
    let scope = credential_scope(&date, request.service);
    let to_sign = string_to_sign(request.timestamp, &scope, &canonical);
    let secret_key = request.credentials.secret_key.as_str();
    let signature = match cache {
        Some(cache) => cache.get(secret_key, &date, request.service).sign(&to_sign),
        None => SigningKey::derive(secret_key, &date, request.service).sign(&to_sign),
    };
    let secret_id = request.credentials.secret_id.as_str();
    let mut authorization = String::with_capacity(
        ALGORITHM.len()
            + secret_id.len()
            + scope.len()
            + signed_headers.len()
            + signature.len()
            + 48,
    );
    for part in [
        ALGORITHM,
        " Credential=",
        secret_id,
        "/",
        &scope,
        ", SignedHeaders=",
        &signed_headers,
        ", Signature=",
        &signature,
    ] {
        authorization.push_str(part);
    }
    headers[0].1.clone_from(&authorization);

    Some(Signed {
        hashed_payload,
        canonical_request: canonical,
        string_to_sign: to_sign,
        credential_scope: scope,
        signed_headers,
        signature,
        authorization,
        headers,
    })
}
