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
    hex32(&Sha256::digest(data).into())
}

/// Lower-case hex of a 32-byte digest. `hex::encode` goes through a char iterator and
/// `String::from_iter`, which profiling shows costs more than the hashing of a small request.
pub fn hex32(bytes: &[u8; 32]) -> String {
    let mut out = [0u8; 64];
    hex::encode_to_slice(bytes, &mut out).expect("64 bytes hold 32 bytes of hex");
    String::from_utf8(out.to_vec()).expect("hex is ASCII")
}

/// The UTC calendar date (`YYYY-MM-DD`) of a Unix timestamp; `None` when it is out of range.
/// The credential scope must carry this date, whatever the local time zone says.
pub fn utc_date(timestamp: i64) -> Option<String> {
    let at = OffsetDateTime::from_unix_timestamp(timestamp).ok()?;
    let (year, month, day) = at.to_calendar_date();
    if (0..=9999).contains(&year) {
        // The common case without the formatter: profiling shows it at a few percent of a sign.
        let year = year as u32;
        let digits = [
            year / 1000,
            year / 100 % 10,
            year / 10 % 10,
            year % 10,
            u32::from(u8::from(month)) / 10,
            u32::from(u8::from(month)) % 10,
            u32::from(day) / 10,
            u32::from(day) % 10,
        ];
        let mut out = String::with_capacity(10);
        for (index, digit) in digits.into_iter().enumerate() {
            if index == 4 || index == 6 {
                out.push('-');
            }
            out.push(char::from(b'0' + digit as u8));
        }
        return Some(out);
    }
    at.format(format_description!("[year]-[month]-[day]")).ok()
}

/// `DATE/SERVICE/tc3_request`.
pub fn credential_scope(date: &str, service: &str) -> String {
    let mut out = String::with_capacity(date.len() + service.len() + 13);
    out.push_str(date);
    out.push('/');
    out.push_str(service);
    out.push_str("/tc3_request");
    out
}

/// The canonical headers block and the signed-headers list for `headers` (name, value) pairs.
/// Names are lower-cased and sorted; values are trimmed and lower-cased, as the SDKs do.
pub fn canonical_headers<'a, I>(headers: I) -> (String, String)
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    use std::borrow::Cow;
    // Lower-case only what is not lower-case already: the usual headers need no copy at all.
    fn lower<'s>(text: &'s str, ascii_only: bool) -> Cow<'s, str> {
        let text = text.trim();
        if text.chars().any(char::is_uppercase) {
            Cow::Owned(if ascii_only {
                text.to_ascii_lowercase()
            } else {
                text.to_lowercase()
            })
        } else {
            Cow::Borrowed(text)
        }
    }
    let mut pairs: Vec<(Cow<'a, str>, Cow<'a, str>)> = headers
        .into_iter()
        .map(|(name, value)| (lower(name, true), lower(value, false)))
        .collect();
    pairs.sort();
    pairs.dedup_by(|a, b| a.0 == b.0);
    let mut block = String::with_capacity(pairs.iter().map(|(n, v)| n.len() + v.len() + 2).sum());
    for (name, value) in &pairs {
        block.push_str(name);
        block.push(':');
        block.push_str(value);
        block.push('\n');
    }
    let mut names = String::with_capacity(pairs.iter().map(|(n, _)| n.len() + 1).sum());
    for (index, (name, _)) in pairs.iter().enumerate() {
        if index > 0 {
            names.push(';');
        }
        names.push_str(name);
    }
    (block, names)
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
    let timestamp = timestamp.to_string();
    let mut out = String::with_capacity(ALGORITHM.len() + timestamp.len() + scope.len() + 67);
    out.push_str(ALGORITHM);
    out.push('\n');
    out.push_str(&timestamp);
    out.push('\n');
    out.push_str(scope);
    out.push('\n');
    let mut hex = [0u8; 64];
    hex::encode_to_slice(Sha256::digest(canonical_request.as_bytes()), &mut hex)
        .expect("64 bytes hold 32 bytes of hex");
    out.push_str(std::str::from_utf8(&hex).expect("hex is ASCII"));
    out
}
