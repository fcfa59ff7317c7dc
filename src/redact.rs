//! sign → report: keeps secrets out of everything a run shows — terminal, logs (any `RUST_LOG`
//! level), report files, snapshots and panic messages. Two layers: records redact the
//! `Authorization` signature and `X-TC-Token` by name ([`redact_header`]); and every text that
//! leaves the process can be passed through [`scrub`], which replaces the run's SecretKey and
//! token and every signature the run computed wherever they appear (an echoing target, a log
//! line, a panic payload), plus any `Signature=<hex>`.
//!
//! The run registers its secrets once ([`remember_secret`]) and each signature as it is made
//! ([`remember_signature`]); the registry is process-wide because logs and panics have no other
//! way to reach it.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock, PoisonError};

/// What replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// Secrets shorter than this are not registered: scrubbing a 3-letter "key" would mangle every
/// text while hiding nothing a real SecretKey (32 characters) or token would need hidden.
pub const MIN_SECRET_LEN: usize = 8;

/// Hex digits in a TC3-HMAC-SHA256 signature.
const SIGNATURE_LEN: usize = 64;

#[derive(Default)]
struct Registry {
    /// SecretKeys and tokens, longest first so a secret containing another is replaced whole.
    secrets: Vec<String>,
    signatures: HashSet<String>,
}

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Registers a SecretKey or token: [`scrub`] replaces it from now on.
pub fn remember_secret(secret: &str) {
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    let mut registry = registry();
    if !registry.secrets.iter().any(|s| s == secret) {
        registry.secrets.push(secret.to_owned());
        registry.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// Registers a signature the run computed: [`scrub`] replaces it wherever it appears.
pub fn remember_signature(signature: &str) {
    if signature.len() == SIGNATURE_LEN && signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        registry().signatures.insert(signature.to_ascii_lowercase());
    }
}

/// `text` with every registered secret and signature, and any `Signature=<hex>`, replaced by
/// [`REDACTED`]. Borrowed when nothing had to change (the common case).
pub fn scrub(text: &str) -> Cow<'_, str> {
    let registry = registry();
    let mut out: Cow<'_, str> = Cow::Borrowed(text);
    for secret in &registry.secrets {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
        }
    }
    match scrub_hex(&out, &registry.signatures) {
        Some(changed) => Cow::Owned(changed),
        None => out,
    }
}

/// Replaces 64-hex-digit runs that are known signatures or follow `Signature=`; `None` when
/// there is none.
fn scrub_hex(text: &str, signatures: &HashSet<String>) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_hexdigit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_hexdigit() {
            i += 1;
        }
        let run = &text[start..i];
        let after_label = text[..start].ends_with("Signature=");
        let known = run.len() == SIGNATURE_LEN && signatures.contains(&run.to_ascii_lowercase());
        if known || (after_label && run.len() >= 16) {
            let buffer = out.get_or_insert_with(|| String::with_capacity(text.len()));
            buffer.push_str(&text[copied..start]);
            buffer.push_str(REDACTED);
            copied = i;
        }
    }
    out.map(|mut buffer| {
        buffer.push_str(&text[copied..]);
        buffer
    })
}

/// `text` safe to print on a terminal or to put in a text block: every control character but
/// newline and tab — ESC (colour, cursor moves, title changes), BEL, a lone CR that would let
/// text overwrite its line, DEL and the C1 controls — is shown as `\u{..}` instead of acting.
/// Target text is hostile: a Code carrying `ESC]0;…BEL` must not retitle the user's terminal.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    let acts = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(acts) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if acts(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Most bytes of one target-derived text in a record (a Code, a header, an error message): a
/// target repeating a 1 MB Code must not turn into a report of hundreds of megabytes.
pub const MAX_TEXT: usize = 2048;

/// Cuts `text` to [`MAX_TEXT`] bytes (on a character boundary), saying how much was cut.
pub fn cap(text: &mut String) {
    cap_at(text, MAX_TEXT);
}

/// Cuts `text` to `max` bytes (on a character boundary), saying how much was cut.
pub fn cap_at(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut at = max;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let cut = text.len() - at;
    text.truncate(at);
    text.push_str(&format!("… ({cut} more bytes not kept)"));
}

/// [`scrub`] for a body, also after JSON decoding: a target may echo a secret escaped
/// (`\u0031…`), which a plain search misses and a report's pretty-printing decodes. Such a body
/// is re-serialised with the secret replaced; any other is returned as received.
pub fn scrub_body(text: &str) -> Cow<'_, str> {
    let scrubbed = scrub(text);
    if !scrubbed.contains('\\') {
        return scrubbed;
    }
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&scrubbed) else {
        return scrubbed;
    };
    if scrub_json(&mut value) {
        Cow::Owned(value.to_string())
    } else {
        scrubbed
    }
}

/// Scrubs every key and string of `value`; whether anything changed.
fn scrub_json(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(text) => match scrub(text) {
            Cow::Owned(clean) => {
                *text = clean;
                true
            }
            Cow::Borrowed(_) => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| scrub_json(v) | changed),
        Value::Object(map) => {
            let mut changed = false;
            let entries = std::mem::take(map);
            for (key, mut item) in entries {
                changed |= scrub_json(&mut item);
                let key = match scrub(&key) {
                    Cow::Owned(clean) => {
                        changed = true;
                        clean
                    }
                    Cow::Borrowed(_) => key,
                };
                map.insert(key, item);
            }
            changed
        }
        _ => false,
    }
}

/// [`scrub`] into an owned string, for fields that are rewritten in place.
pub fn scrub_owned(text: &mut String) {
    if let Cow::Owned(clean) = scrub(text) {
        *text = clean;
    }
}

/// The value of a header as reports may show it: no signature, no token.
pub fn redact_header(name: &str, value: &str) -> String {
    if name.eq_ignore_ascii_case("x-tc-token") {
        return REDACTED.to_owned();
    }
    if name.eq_ignore_ascii_case("authorization") {
        return match value.find("Signature=") {
            Some(at) => {
                let end = value[at..].find([',', ' ']).map_or(value.len(), |e| at + e);
                format!("{}Signature={REDACTED}{}", &value[..at], &value[end..])
            }
            None => scrub(value).into_owned(),
        };
    }
    scrub(value).into_owned()
}

/// Replaces the panic hook with one that scrubs the message before the default hook prints it
/// (a panic payload may quote a request or a header).
pub fn install_panic_hook() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = panic_message(info.payload());
            let at = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                .unwrap_or_default();
            if message.is_some() {
                let thread = std::thread::current();
                eprintln!(
                    "\nthread '{}' panicked at {at}:\n{}",
                    thread.name().unwrap_or("<unnamed>"),
                    message.unwrap_or_default()
                );
            } else {
                previous(info);
            }
        }));
    });
}

/// The scrubbed text of a panic payload, when it is a string.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())?;
    Some(scrub(&text).into_owned())
}

/// [`scrub`], [`for_terminal`] and [`cap`] in place.
pub fn clean(text: &mut String) {
    clean_body(text);
    cap(text);
}

/// [`scrub`] and [`for_terminal`] in place.
pub fn clean_body(text: &mut String) {
    scrub_owned(text);
    if let Cow::Owned(safe) = for_terminal(text) {
        *text = safe;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_and_signatures_are_replaced_anywhere() {
        remember_secret("redact-test-secret-key-0001");
        remember_secret("short");
        let signature = "ab".repeat(32);
        remember_signature(&signature);
        let text = format!(
            "key redact-test-secret-key-0001, echo {signature}; short stays; hash {}",
            "cd".repeat(32)
        );
        let clean = scrub(&text);
        assert!(!clean.contains("redact-test-secret-key-0001"), "{clean}");
        assert!(!clean.contains(&signature), "{clean}");
        assert!(clean.contains("short stays"));
        // An unknown 64-hex value (a payload hash) is not a secret: a vendor needs to see it.
        assert!(clean.contains(&"cd".repeat(32)));
    }

    #[test]
    fn a_body_is_scrubbed_whole_before_it_is_cut_and_after_json_decoding() {
        use crate::outcome::BodyRecord;
        remember_secret("bodyStraddleSecret0001");
        let mut body = "x".repeat(BodyRecord::SHOWN - 6);
        body.push_str("bodyStraddleSecret0001 and more");
        let record = BodyRecord::new(body.as_bytes());
        assert!(record.truncated);
        assert!(!record.text.contains("bodySt"), "{}", &record.text[4000..]);
        // The same secret with its first letters JSON-escaped.
        let escaped = r#"{"Response":{"Echo":"\u0062\u006fdyStraddleSecret0001"}}"#;
        let record = BodyRecord::new(escaped.as_bytes());
        let decoded: serde_json::Value = serde_json::from_str(&record.text).unwrap();
        assert_eq!(decoded["Response"]["Echo"], REDACTED, "{}", record.text);
        // Nothing secret: the body as received.
        let plain = r#"{"a": "\u0041"}"#;
        assert_eq!(BodyRecord::new(plain.as_bytes()).text, plain);
        // A body of megabytes: scrubbed in a window past the cut, or whole when it may hold an
        // escape, and the straddling or escaped secret is gone either way.
        let mut large = "x".repeat(BodyRecord::SHOWN - 6);
        large.push_str("bodyStraddleSecret0001 ");
        large.push_str(&"y".repeat(2 << 20));
        let record = BodyRecord::new(large.as_bytes());
        assert!(record.truncated && record.bytes == large.len());
        assert!(!record.text.contains("bodySt"), "{}", &record.text[4000..]);
        let large_escaped = format!(
            r#"{{"Echo":"\u0062\u006fdyStraddleSecret0001","Pad":"{}"}}"#,
            "y".repeat(2 << 20)
        );
        let record = BodyRecord::new(large_escaped.as_bytes());
        assert!(!record.text.contains("dyStraddleSecret"), "{}", record.text);
    }

    #[test]
    fn control_characters_are_shown_not_obeyed_and_texts_are_capped() {
        assert_eq!(
            for_terminal("Code\u{1b}]0;owned\u{7}\u{1b}[2J\rX\tY\nZ\u{9b}"),
            "Code\\u{1b}]0;owned\\u{7}\\u{1b}[2J\\u{d}X\tY\nZ\\u{9b}"
        );
        assert!(matches!(for_terminal("plain\ttext\n"), Cow::Borrowed(_)));
        let mut long = "é".repeat(MAX_TEXT);
        cap(&mut long);
        assert!(long.len() < MAX_TEXT + 40, "{}", long.len());
        assert!(long.ends_with("more bytes not kept)"), "{long}");
    }

    #[test]
    fn any_signature_after_its_label_is_replaced_even_unregistered() {
        let text = format!("Authorization: TC3 ..., Signature={}", "9f".repeat(32));
        assert_eq!(
            scrub(&text),
            "Authorization: TC3 ..., Signature=<redacted>".to_owned()
        );
        assert!(matches!(scrub("nothing secret here"), Cow::Borrowed(_)));
    }

    #[test]
    fn headers_hide_the_signature_and_token() {
        let value = format!(
            "TC3-HMAC-SHA256 Credential=AKID/2024-01-01/car/tc3_request, SignedHeaders=host, Signature={}",
            "0a".repeat(32)
        );
        let shown = redact_header("Authorization", &value);
        assert!(shown.ends_with("Signature=<redacted>"), "{shown}");
        assert!(shown.contains("Credential=AKID/2024-01-01"));
        assert_eq!(redact_header("X-TC-Token", "tok"), REDACTED);
        assert_eq!(
            redact_header("X-TC-Action", "CreateSession"),
            "CreateSession"
        );
    }

    #[test]
    fn panic_payloads_are_scrubbed() {
        remember_secret("redact-test-panic-secret");
        let payload: Box<dyn std::any::Any + Send> =
            Box::new("request with redact-test-panic-secret".to_owned());
        assert_eq!(
            panic_message(payload.as_ref()).as_deref(),
            Some("request with <redacted>")
        );
        let payload: Box<dyn std::any::Any + Send> = Box::new(7_u32);
        assert_eq!(panic_message(payload.as_ref()), None);
    }
}
