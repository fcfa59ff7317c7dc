//! mock: one request as the server read it, head and (possibly cut) body — what the handler,
//! the control listener and the request log all look at.

/// A request's head and (possibly cut) body as the server read it.
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    pub method: &'a str,
    pub uri: &'a http::Uri,
    pub headers: &'a http::HeaderMap,
    /// The body, at most [`super::App::body_limit`] bytes of it; empty when its announced length
    /// (Content-Length) was already over that.
    pub body: &'a [u8],
    /// Bytes the client sent or announced, including any the server did not keep.
    pub body_len: u64,
}
