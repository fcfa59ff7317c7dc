//! send: the one HTTP client of a run — keep-alive, no redirects (a redirect is an error, so
//! credentials are never resent elsewhere), a per-request timeout and a cap on the answer's
//! size. Whatever a
//! misbehaving target does ends in an answer or a [`SendError`] that says what happened.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::exchange::{Prepared, Received};
use super::hostile;

/// How the client behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientConfig {
    /// Longest wait for a whole answer.
    pub timeout: Duration,
    /// Largest answer body read; a larger one is an error.
    pub max_response_bytes: usize,
    /// Never through a proxy (HTTP_PROXY and the like are ignored): for a target on this machine.
    pub direct: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            max_response_bytes: 1024 * 1024,
            direct: false,
        }
    }
}

/// Why no answer came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("the request cannot be sent: {0}")]
    Invalid(String),
    #[error("timed out after {}: no complete answer", crate::plan::duration::human(*.0))]
    Timeout(Duration),
    #[error("the answer is larger than the {limit}-byte cap; not read further")]
    TooLarge { limit: usize },
    #[error("{}", hostile::redirect(*status, location.as_deref()))]
    Redirect {
        status: u16,
        location: Option<String>,
    },
    #[error("{0}")]
    Transport(String),
    /// No connection could be made (refused, unresolvable host, failed TLS handshake): the
    /// request never reached the target, so it had no effect there.
    #[error("{0}")]
    Unreachable(String),
}

/// The run's HTTP client.
#[derive(Debug, Clone)]
pub struct Client {
    inner: reqwest::Client,
    config: ClientConfig,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, SendError> {
        Self::with_roots(config, &[])
    }

    /// [`Client::new`] trusting `pem` (CA certificates, PEM) besides the system's roots (read
    /// from its store, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set) and the bundled web roots.
    pub fn with_roots(config: ClientConfig, pem: &[u8]) -> Result<Self, SendError> {
        let mut builder = reqwest::Client::builder();
        if !pem.is_empty() {
            let roots = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| SendError::Invalid(format!("not PEM certificates: {e}")))?;
            if roots.is_empty() {
                return Err(SendError::Invalid("no PEM certificate in it".to_owned()));
            }
            for root in roots {
                builder = builder.add_root_certificate(root);
            }
        }
        if config.direct {
            builder = builder.no_proxy();
        }
        let inner = builder
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("car-conformance/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SendError::Transport(e.to_string()))?;
        Ok(Self { inner, config })
    }

    pub fn config(&self) -> ClientConfig {
        self.config
    }

    /// Sends `request` and reads the whole answer (up to the size cap).
    pub async fn send(&self, request: &Prepared) -> Result<Received, SendError> {
        self.send_within(request, self.config.timeout).await
    }

    /// [`Client::send`] with its own timeout (e.g. more time to upload a large body).
    pub async fn send_within(
        &self,
        request: &Prepared,
        timeout: Duration,
    ) -> Result<Received, SendError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| SendError::Invalid(format!("bad method `{}`", request.method)))?;
        let mut builder = self.inner.request(method, &request.url);
        for (name, value) in &request.headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| SendError::Invalid(format!("bad header name `{name}`")))?;
            let value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| SendError::Invalid(format!("bad value for header `{name}`")))?;
            builder = builder.header(name, value);
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body.clone());
        }
        let started = Instant::now();
        let url = request.url.as_str();
        let exchange = async {
            let mut response = builder.send().await.map_err(|e| describe(url, &e))?;
            let status = response.status().as_u16();
            if response.status().is_redirection() {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                return Err(SendError::Redirect { status, location });
            }
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let limit = self.config.max_response_bytes;
            if response.content_length().is_some_and(|n| n > limit as u64) {
                return Err(SendError::TooLarge { limit });
            }
            let announced = response.content_length();
            let mut body = Vec::new();
            let cut = |body: &Vec<u8>, e: reqwest::Error| {
                SendError::Transport(hostile::truncated(body.len(), announced, &chain(&e)))
            };
            while let Some(chunk) = response.chunk().await.map_err(|e| cut(&body, e))? {
                if body.len() + chunk.len() > limit {
                    return Err(SendError::TooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Received {
                status,
                headers,
                body: Bytes::from(body),
                latency: started.elapsed(),
            })
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| SendError::Timeout(timeout))?
    }
}

/// The environment variables through which reqwest finds a proxy for `url`'s scheme.
fn proxy_variables(url: &url::Url) -> [&'static str; 4] {
    match url.scheme() {
        "https" => ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"],
        _ => ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"],
    }
}

/// A line for the run's start when a proxy variable is set: that requests to `target` go
/// through it, or that it is ignored for a target on this machine. The proxy's URL is not
/// shown (it may carry a password); only the variable's name.
pub fn proxy_line(target: &url::Url) -> Option<String> {
    let set = proxy_variables(target)
        .into_iter()
        .find(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()))?;
    Some(if crate::plan::is_loopback(target) {
        format!(
            "proxy: {set} is set and ignored: the target is on this machine, and a proxy would see its signed requests"
        )
    } else {
        format!(
            "proxy: requests go through the proxy in {set} (NO_PROXY applies); it sees the signed requests"
        )
    })
}

fn describe(url: &str, error: &reqwest::Error) -> SendError {
    let shown = hostile::transport(url, &chain(error));
    if error.is_connect() {
        SendError::Unreachable(shown)
    } else {
        SendError::Transport(shown)
    }
}

/// reqwest's Display hides the cause ("error sending request"); the chain says what happened.
fn chain(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-shot HTTP server answering `reply` to the first request; returns its URL and the
    /// request it saw.
    async fn serve_once(reply: Vec<u8>) -> (String, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 4096];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            socket.write_all(&reply).await.unwrap();
            let _ = socket.shutdown().await;
            String::from_utf8_lossy(&seen).into_owned()
        });
        (url, task)
    }

    fn get(url: &str) -> Prepared {
        Prepared {
            method: "GET".into(),
            url: url.into(),
            headers: vec![("X-TC-Action".into(), "CreateSession".into())],
            body: Bytes::new(),
        }
    }

    #[tokio::test]
    async fn sends_headers_and_reads_the_answer() {
        let (url, seen) = serve_once(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
                .to_vec(),
        )
        .await;
        let client = Client::new(ClientConfig::default()).unwrap();
        let received = client.send(&get(&url)).await.unwrap();
        assert_eq!(received.status, 200);
        assert_eq!(received.header("Content-Type"), Some("application/json"));
        assert_eq!(&received.body[..], b"{}");
        assert!(
            seen.await
                .unwrap()
                .to_ascii_lowercase()
                .contains("x-tc-action: createsession")
        );
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let (url, _) = serve_once(
            b"HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:9/\r\ncontent-length: 0\r\n\r\n"
                .to_vec(),
        )
        .await;
        let client = Client::new(ClientConfig::default()).unwrap();
        let error = client.send(&get(&url)).await.unwrap_err();
        assert_eq!(
            error,
            SendError::Redirect {
                status: 302,
                location: Some("http://127.0.0.1:9/".into())
            }
        );
        assert!(error.to_string().contains("not followed"), "{error}");
    }

    #[test]
    fn debug_never_shows_the_signature_or_token() {
        let mut request = get("http://127.0.0.1:9/");
        let signature = "5e".repeat(32);
        request.headers.push((
            "Authorization".into(),
            format!("TC3-HMAC-SHA256 Credential=AKID/d/car/tc3_request, SignedHeaders=host, Signature={signature}"),
        ));
        request
            .headers
            .push(("X-TC-Token".into(), "send-test-token-value".into()));
        let shown = format!("{request:?}");
        assert!(!shown.contains(&signature), "{shown}");
        assert!(!shown.contains("send-test-token-value"), "{shown}");
    }

    #[tokio::test]
    async fn answers_over_the_cap_are_errors() {
        let mut reply = b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n".to_vec();
        reply.extend_from_slice(&[b'x'; 100]);
        let (url, _) = serve_once(reply).await;
        let client = Client::new(ClientConfig {
            max_response_bytes: 10,
            ..ClientConfig::default()
        })
        .unwrap();
        assert_eq!(
            client.send(&get(&url)).await.unwrap_err(),
            SendError::TooLarge { limit: 10 }
        );
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let client = Client::new(ClientConfig {
            timeout: Duration::from_millis(200),
            ..ClientConfig::default()
        })
        .unwrap();
        let error = client.send(&get(&url)).await.unwrap_err();
        assert!(matches!(error, SendError::Timeout(_)));
        assert_eq!(
            error.to_string(),
            "timed out after 200ms: no complete answer"
        );
        drop(listener);
    }

    #[tokio::test]
    async fn invalid_methods_and_headers_are_refused_before_sending() {
        let client = Client::new(ClientConfig::default()).unwrap();
        let mut request = get("http://127.0.0.1:9/");
        request.headers.push(("X-Bad".into(), "a\nb".into()));
        assert!(matches!(
            client.send(&request).await,
            Err(SendError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn a_refused_connection_is_unreachable_not_a_transport_failure() {
        // A port that was just free: nothing listens there.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        drop(listener);
        let client = Client::new(ClientConfig::default()).unwrap();
        let error = client.send(&get(&url)).await.unwrap_err();
        assert!(
            matches!(&error, SendError::Unreachable(shown) if shown.contains("connection refused")),
            "{error:?}"
        );
    }
}
