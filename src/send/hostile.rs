//! send: says in plain words what a misbehaving target did — refused or reset the
//! connection, cut the answer short, answered nothing, an HTML error page or some other text
//! instead of JSON — so the failure a vendor reads names the problem instead of quoting a
//! library's error chain. The details follow in parentheses.

use super::exchange::Received;

/// How much of a body a description quotes.
const QUOTED: usize = 80;

/// What went wrong with a request that got no answer, from the error's chain of causes.
pub fn transport(url: &str, chain: &str) -> String {
    let lower = chain.to_ascii_lowercase();
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .unwrap_or_else(|| url.to_owned());
    let what = if lower.contains("connection refused") {
        format!("connection refused: nothing accepts connections at {host}")
    } else if lower.contains("connection reset") || lower.contains("reset by peer") {
        "the target reset the connection before answering".to_owned()
    } else if lower.contains("connection closed before message completed")
        || lower.contains("incompletemessage")
    {
        "the target closed the connection without answering".to_owned()
    } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
        format!("cannot resolve the target's host ({host})")
    } else if lower.contains("unknownissuer")
        || lower.contains("invalid peer certificate")
        || lower.contains("certificate verify failed")
    {
        // The client's error chain (request, client, connect, rustls) says nothing a user can
        // act on beyond its last words: only those follow the sentence.
        let reason = chain
            .find("invalid peer certificate: ")
            .map_or(chain, |at| {
                &chain[at + "invalid peer certificate: ".len()..]
            });
        return format!(
            "the TLS certificate of {host} is not trusted by this system's roots (or SSL_CERT_FILE) nor the bundled web roots; if a private CA signed it, give that CA with --cacert FILE or add it to the system's store ({reason})"
        );
    } else if lower.contains("invalid http") || lower.contains("invalid status") {
        "the answer is not HTTP".to_owned()
    } else {
        return chain.to_owned();
    };
    format!("{what} ({chain})")
}

/// An answer whose body stopped before its end.
pub fn truncated(received_bytes: usize, content_length: Option<u64>, chain: &str) -> String {
    let expected = content_length
        .map(|n| format!(" of the {n} its Content-Length announced"))
        .unwrap_or_default();
    format!(
        "the answer is truncated: the connection ended after {received_bytes} bytes{expected} ({chain})"
    )
}

/// Why an answer's body is not the JSON an API 3.0 answer must be (the text after "the answer
/// is not JSON: ").
pub fn not_json(received: &Received, error: &serde_json::Error) -> String {
    let status = received.status;
    if received.body.iter().all(u8::is_ascii_whitespace) {
        return format!(
            "the body is empty (HTTP {status}, {} bytes)",
            received.body.len()
        );
    }
    let text = String::from_utf8_lossy(&received.body);
    let media = received
        .header("content-type")
        .map(|c| c.split(';').next().unwrap_or(c).trim().to_ascii_lowercase());
    let looks_html = media.as_deref() == Some("text/html") || {
        let head = text
            .trim_start()
            .get(..15)
            .unwrap_or("")
            .to_ascii_lowercase();
        head.starts_with("<!doctype html") || head.starts_with("<html")
    };
    if looks_html {
        let title = html_title(&text).map_or_else(String::new, |t| format!(" titled “{t}”"));
        return format!(
            "an HTML page{title} (HTTP {status}, {}) — an error page of a proxy or server in front of the API?",
            media.as_deref().unwrap_or("no Content-Type")
        );
    }
    let cut = if error.is_eof() {
        "the JSON ends early (a truncated answer?): "
    } else {
        ""
    };
    format!("{cut}{error}; it begins `{}`", quote(&text))
}

/// The redirect a target answered with (never followed).
pub fn redirect(status: u16, location: Option<&str>) -> String {
    format!(
        "the target redirected (HTTP {status}) to {}: not followed, so credentials are never sent elsewhere",
        location.unwrap_or("nowhere (no Location)")
    )
}

fn html_title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    let title = text.get(open_end..close)?.trim();
    (!title.is_empty()).then(|| quote(title))
}

/// The first characters of `text`, control characters escaped, on one line.
fn quote(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == QUOTED {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::time::Duration;

    #[test]
    fn an_untrusted_certificate_names_the_fix() {
        let shown = transport(
            "https://staging.example:8443/",
            "error sending request: client error (Connect): invalid peer certificate: UnknownIssuer",
        );
        assert_eq!(
            shown,
            "the TLS certificate of staging.example:8443 is not trusted by this system's roots (or SSL_CERT_FILE) nor the bundled web roots; if a private CA signed it, give that CA with --cacert FILE or add it to the system's store (UnknownIssuer)"
        );
    }

    fn received(status: u16, content_type: &str, body: &str) -> Received {
        Received {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: Bytes::from(body.to_owned()),
            latency: Duration::ZERO,
        }
    }

    fn parse_error(body: &str) -> serde_json::Error {
        serde_json::from_str::<serde_json::Value>(body).unwrap_err()
    }

    #[test]
    fn empty_html_truncated_and_other_bodies_are_named() {
        let empty = received(200, "application/json", "");
        assert_eq!(
            not_json(&empty, &parse_error("")),
            "the body is empty (HTTP 200, 0 bytes)"
        );
        let page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>";
        let html = received(502, "text/html; charset=utf-8", page);
        let shown = not_json(&html, &parse_error(page));
        assert!(
            shown.starts_with("an HTML page titled “502 Bad Gateway” (HTTP 502, text/html)"),
            "{shown}"
        );
        let cut = r#"{"Response": {"RequestId""#;
        let shown = not_json(&received(200, "application/json", cut), &parse_error(cut));
        assert!(shown.starts_with("the JSON ends early"), "{shown}");
        let text = "hello\nworld";
        let shown = not_json(&received(200, "application/json", text), &parse_error(text));
        assert!(shown.ends_with("it begins `hello\\nworld`"), "{shown}");
    }

    #[test]
    fn transport_errors_say_what_happened_and_keep_the_detail() {
        let shown = transport(
            "http://127.0.0.1:9/",
            "error sending request: tcp connect error: Connection refused (os error 111)",
        );
        assert!(
            shown.starts_with("connection refused: nothing accepts connections at 127.0.0.1:9 ("),
            "{shown}"
        );
        let shown = transport(
            "http://h/",
            "connection error: Connection reset by peer (os error 104)",
        );
        assert!(
            shown.starts_with("the target reset the connection"),
            "{shown}"
        );
        assert_eq!(transport("http://h/", "something else"), "something else");
        assert!(truncated(10, Some(100), "eof").contains("after 10 bytes of the 100"));
        assert!(redirect(302, Some("http://elsewhere/")).contains("not followed"));
    }
}
