//! sign: the canonical request and string to sign of TC3-HMAC-SHA256, byte for byte as Tencent
//! documents them (signature v3, steps 1 and 2).

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::macros::format_description;

/// The algorithm name that opens the string to sign and the `Authorization` value.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

/// The value of `X-TC-Content-SHA256` that asks for the payload not to be hashed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Lower-case hex of the SHA-256 of `data`.
pub fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The UTC calendar date (`YYYY-MM-DD`) of a Unix timestamp; `None` when it is out of range.
/// The credential scope must carry this date, whatever the local time zone says.
pub fn utc_date(timestamp: i64) -> Option<String> {
    let at = OffsetDateTime::from_unix_timestamp(timestamp).ok()?;
    at.format(format_description!("[year]-[month]-[day]")).ok()
}

/// `DATE/SERVICE/tc3_request`.
pub fn credential_scope(date: &str, service: &str) -> String {
    format!("{date}/{service}/tc3_request")
}

/// The canonical headers block and the signed-headers list for `headers` (name, value) pairs.
/// Names are lower-cased and sorted; values are trimmed and lower-cased, as the SDKs do.
pub fn canonical_headers<'a, I>(headers: I) -> (String, String)
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut pairs: Vec<(String, String)> = headers
        .into_iter()
        .map(|(name, value)| {
            (
                name.trim().to_ascii_lowercase(),
                value.trim().to_lowercase(),
            )
        })
        .collect();
    pairs.sort();
    pairs.dedup_by(|a, b| a.0 == b.0);
    let mut block = String::new();
    for (name, value) in &pairs {
        block.push_str(name);
        block.push(':');
        block.push_str(value);
        block.push('\n');
    }
    let names: Vec<&str> = pairs.iter().map(|(name, _)| name.as_str()).collect();
    (block, names.join(";"))
}

/// METHOD \n URI \n QUERY \n CANONICAL_HEADERS \n SIGNED_HEADERS \n HASHED_PAYLOAD.
pub fn canonical_request(
    method: &str,
    uri: &str,
    query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    hashed_payload: &str,
) -> String {
    let mut out = String::with_capacity(
        method.len()
            + uri.len()
            + query.len()
            + canonical_headers.len()
            + signed_headers.len()
            + 72,
    );
    out.push_str(&method.to_ascii_uppercase());
    out.push('\n');
    out.push_str(uri);
    out.push('\n');
    out.push_str(query);
    out.push('\n');
    out.push_str(canonical_headers);
    out.push('\n');
    out.push_str(signed_headers);
    out.push('\n');
    out.push_str(hashed_payload);
    out
}

/// `TC3-HMAC-SHA256 \n TIMESTAMP \n SCOPE \n hex(sha256(canonical request))`.
pub fn string_to_sign(timestamp: i64, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{timestamp}\n{scope}\n{}",
        hex_sha256(canonical_request.as_bytes())
    )
}
