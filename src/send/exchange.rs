//! send: the data that crosses the wire — a [`Prepared`] request, already built and signed,
//! and the [`Received`] answer as it came — shared by the client, the checks and the reports.

use std::time::Duration;

use bytes::Bytes;

/// A request ready to go: every header is sent exactly as listed, Host included. `Debug` shows
/// the headers redacted (no signature, no token).
#[derive(Clone, PartialEq, Eq)]
pub struct Prepared {
    pub method: String,
    /// Absolute URL, query string included.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), crate::redact::redact_header(n, v)))
            .collect();
        f.debug_struct("Prepared")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// An answer as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// From the start of sending to the end of the body.
    pub latency: Duration,
}

impl Received {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        first_value(&self.headers, name)
    }
}

impl Prepared {
    /// The first value of header `name` (case-insensitive), as it will be sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        first_value(&self.headers, name)
    }
}

fn first_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
