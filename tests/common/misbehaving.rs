//! A local target that misbehaves (resets, non-JSON, truncated, HTML, endless, redirecting,
//! empty, silent, echoing or scripted answers), for the tests of the runner's safety against hostile
//! targets.

use serde_json::json;

/// How a misbehaving target answers every request.
#[derive(Debug, Clone)]
pub enum Misbehaviour {
    /// Reads the request, then resets the connection.
    Reset,
    /// HTTP 200, `application/json`, a body that is not JSON.
    NotJson,
    /// Announces 100 bytes, sends 30, closes.
    Truncated,
    /// HTTP 502 with an HTML error page.
    Html,
    /// HTTP 200 streaming an endless chunked body.
    Huge,
    /// HTTP 307 to this URL.
    Redirect(String),
    /// HTTP 200 with an empty body.
    Empty,
    /// Accepts connections and never answers.
    Silent,
    /// HTTP 200 with an API 3.0 answer that quotes the request's head (headers and all): a
    /// target that would leak the signature and token into every record of its answers.
    Echo,
    /// Answers like the API, as its [`Script`] says, and records the actions it received.
    Scripted(std::sync::Arc<Script>),
}

/// How a scripted target answers each action; every other request succeeds.
#[derive(Debug, Default)]
pub struct Script {
    /// CreateSession is read and never answered.
    pub hang_create: bool,
    /// DestroySession is read and never answered.
    pub hang_destroy: bool,
    /// This many DestroySessions are answered RequestLimitExceeded first.
    pub busy_destroys: std::sync::atomic::AtomicUsize,
    /// Then DestroySession is answered with this error code (else success).
    pub destroy_error: Option<&'static str>,
    /// ApplyConcurrent is answered with this error code (else success).
    pub apply_error: Option<String>,
    /// The X-TC-Action of every request received, in order.
    pub received: std::sync::Mutex<Vec<String>>,
}

impl Script {
    pub fn received(&self, action: &str) -> usize {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|a| *a == action)
            .count()
    }

    /// The reply to a request with `head`; `None` to leave it unanswered.
    fn reply(&self, head: &str) -> Option<Vec<u8>> {
        use std::sync::atomic::Ordering;
        let action = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .starts_with("x-tc-action:")
                    .then(|| l[12..].trim().to_owned())
            })
            .unwrap_or_default();
        self.received.lock().unwrap().push(action.clone());
        let error = match action.as_str() {
            "CreateSession" if self.hang_create => return None,
            "DestroySession" if self.hang_destroy => return None,
            "ApplyConcurrent" if self.apply_error.is_some() => self.apply_error.as_deref(),
            "DestroySession" => {
                let busy = self
                    .busy_destroys
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if busy {
                    Some("RequestLimitExceeded")
                } else {
                    self.destroy_error
                }
            }
            _ => None,
        };
        let body = match error {
            Some(code) => json!({"Response": {"RequestId": "6b3a1f7e-7b1c-4a43-9d7a-0c8e6c1b2a9f",
                "Error": {"Code": code, "Message": "scripted"}}}),
            None => json!({"Response": {"RequestId": "6b3a1f7e-7b1c-4a43-9d7a-0c8e6c1b2a9f"}}),
        }
        .to_string();
        Some(
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    }
}

/// A target scripted by `script`, and a case directory `dir` whose `hang.json` holds one case,
/// `hang`, of `steps` and no cleanup step (so only the runner's cleanup destroys what it made).
pub fn scripted_with_hang_case(
    script: Script,
    dir: &str,
    steps: Vec<serde_json::Value>,
) -> (std::sync::Arc<Script>, Misbehaving, std::path::PathBuf) {
    let script = std::sync::Arc::new(script);
    let target = Misbehaving::start(Misbehaviour::Scripted(std::sync::Arc::clone(&script)));
    let cases = super::temp_dir(dir);
    let hang = super::cases::case("hang", &["rule.lock.required"], steps, vec![]);
    super::cases::write_cases(&cases, "hang.json", vec![hang]);
    (script, target, cases)
}

/// A local server that misbehaves; counts the connections it accepted.
pub struct Misbehaving {
    pub url: String,
    pub connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl Misbehaving {
    pub fn start(behaviour: Misbehaviour) -> Self {
        use std::sync::atomic::Ordering;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = std::sync::Arc::clone(&connections);
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(misbehave(stream, behaviour.clone()));
            }
        });
        Self {
            url,
            connections,
            _runtime: runtime,
        }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Reads one request whole (head and Content-Length body); its head, `None` at end of stream.
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut seen = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    };
    let original = String::from_utf8_lossy(&seen[..head_end]).into_owned();
    let head = original.to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while seen.len() < head_end + length {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    Some(original)
}

async fn misbehave(mut stream: tokio::net::TcpStream, behaviour: Misbehaviour) {
    use tokio::io::AsyncWriteExt;
    loop {
        let Some(head) = read_request(&mut stream).await else {
            return;
        };
        let reply: Vec<u8> = match &behaviour {
            Misbehaviour::Scripted(script) => match script.reply(&head) {
                Some(reply) => reply,
                None => {
                    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                    return;
                }
            },
            Misbehaviour::Echo => {
                let body = json!({"Response": {
                    "RequestId": "6b3a1f7e-7b1c-4a43-9d7a-0c8e6c1b2a9f",
                    "Echo": head,
                }})
                .to_string();
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-echo: {}\r\ncontent-length: {}\r\n\r\n{body}",
                    head.lines()
                        .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
                        .unwrap_or("none"),
                    body.len()
                )
                .into_bytes()
            }
            Misbehaviour::Silent => {
                // Hold the connection open without a word.
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                return;
            }
            Misbehaviour::Reset => {
                let _ = stream.set_zero_linger();
                return;
            }
            Misbehaviour::NotJson => {
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 16\r\n\r\nthis is not json".to_vec()
            }
            Misbehaviour::Truncated => {
                let part = br#"{"Response": {"RequestId": "12"#;
                let mut reply = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n".to_vec();
                reply.extend_from_slice(part);
                let _ = stream.write_all(&reply).await;
                return;
            }
            Misbehaviour::Html => {
                let page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>";
                format!(
                    "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n{page}",
                    page.len()
                )
                .into_bytes()
            }
            Misbehaviour::Huge => {
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
                    .await;
                let chunk = format!("{:x}\r\n{}\r\n", 65536, " ".repeat(65536));
                for _ in 0..1024 {
                    if stream.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
                return;
            }
            Misbehaviour::Redirect(location) => format!(
                "HTTP/1.1 307 Temporary Redirect\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n"
            )
            .into_bytes(),
            Misbehaviour::Empty => {
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n".to_vec()
            }
        };
        if stream.write_all(&reply).await.is_err() {
            return;
        }
    }
}
