//! mock: the HTTP/1.1 server (hyper on tokio) that carries the mock — keep-alive connections,
//! header and body time limits so slow clients cannot hold it, a bounded body buffer, a cap on
//! open connections, graceful shutdown, and optionally TLS (the handshake bounded by the header
//! time limit). Generic over [`Handler`] so the benchmark can run a constant-body handler on
//! exactly the same stack.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::request_view::RequestView;

/// Open connections at most; further ones are closed at once until some end.
pub const MAX_CONNECTIONS: usize = 1024;
/// Bytes read and thrown away beyond the kept part of an oversized body, so the client still
/// reads the answer; a larger body ends with the connection closed.
const DRAIN_EXTRA: u64 = 16 * 1024 * 1024;
/// How long shutdown waits for requests in flight before it drops them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What the server calls for each request, once its body is read.
pub trait Handler: Send + Sync + 'static {
    /// Body bytes to keep for a request with `method` (more are counted, not kept; a body
    /// announced larger is counted only).
    fn body_limit(&self, method: &http::Method) -> usize;
    /// What to do with a request's body once its head is read: by default, keep
    /// [`Handler::body_limit`] bytes of it.
    fn before_body(&self, head: &http::request::Parts) -> BeforeBody {
        BeforeBody::Keep(self.body_limit(&head.method))
    }
    /// The answer to one request.
    fn handle<'a>(
        &'a self,
        request: RequestView<'a>,
    ) -> impl Future<Output = http::Response<Bytes>> + Send + 'a;
}

/// What the server does with a request's body, decided from its head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeforeBody {
    /// Read it, keeping this many bytes (more are counted, not kept; a body announced larger
    /// is counted only).
    Keep(usize),
    /// Read it, keeping its first bytes up to this many whatever its announced length (the rest
    /// counted): a v1 form POST, whose common parameters come first and decide the answer even
    /// when the whole is too large.
    KeepPrefix(usize),
    /// The head alone decides the answer: the handler is called with an empty body (and the
    /// announced length) before the body is read, and the body is then drained unkept so the
    /// client can read the answer. Without an announced length the body is counted, unkept, first.
    Refused,
}

/// A handler that answers every request with the same JSON body: the floor a benchmark compares
/// the mock against (same server, no gateway, no business layer).
#[derive(Debug, Clone)]
pub struct Constant(pub Bytes);

impl Handler for Constant {
    fn body_limit(&self, _method: &http::Method) -> usize {
        64 * 1024
    }

    fn handle<'a>(
        &'a self,
        _request: RequestView<'a>,
    ) -> impl Future<Output = http::Response<Bytes>> + Send + 'a {
        std::future::ready(super::reply::http_response(self.0.clone(), false))
    }
}

/// Time limits per connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To send a request's head (also how long an idle keep-alive connection stays open).
    pub header: Duration,
    /// To send a request's whole body.
    pub body: Duration,
}

/// Why a request's connection was closed without an answer.
#[derive(Debug, thiserror::Error)]
enum BodyError {
    #[error("the client did not send its body in time")]
    Timeout,
    #[error("reading the body failed: {0}")]
    Read(#[from] hyper::Error),
}

/// A running server; dropping it starts a graceful shutdown.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl ServerHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish (up to a grace period), then returns.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Serves `handler` on `listener` in a background task: plain HTTP, or HTTPS with `tls`.
pub fn spawn<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    timeouts: Timeouts,
    tls: Option<TlsAcceptor>,
) -> std::io::Result<ServerHandle> {
    let addr = listener.local_addr()?;
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, handler, timeouts, tls, stopped));
    Ok(ServerHandle {
        addr,
        stop,
        task: Some(task),
    })
}

async fn accept_loop<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    timeouts: Timeouts,
    tls: Option<TlsAcceptor>,
    mut stopped: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let peers = super::limits::Peers::default();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header)
        .keep_alive(true);
    loop {
        let accepted = tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tracing::warn!(%error, "mock: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(permit) = permits
            .clone()
            .try_acquire_owned()
            .ok()
            .and_then(|permit| peers.admit(peer.ip(), permit))
        else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        let service = service_fn(move |request| serve_one(handler.clone(), request, timeouts.body));
        match &tls {
            None => {
                let connection =
                    graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    let _ = connection.await;
                    drop(permit);
                });
            }
            Some(acceptor) => {
                // The handshake runs in the connection's task, so a client that never finishes
                // it holds only its own connection, and only for the header time limit.
                let handshake = acceptor.accept(stream);
                let watcher = graceful.watcher();
                let builder = builder.clone();
                tokio::spawn(async move {
                    if let Ok(Ok(stream)) = tokio::time::timeout(timeouts.header, handshake).await {
                        let connection = builder.serve_connection(TokioIo::new(stream), service);
                        let _ = watcher.watch(connection).await;
                    }
                    drop(permit);
                });
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}

/// The body as read: the kept bytes, the total length, and whether it was read to its end.
struct ReadBody {
    kept: Bytes,
    len: u64,
    complete: bool,
}

async fn read_body(
    mut body: Incoming,
    keep: usize,
    announced: Option<u64>,
    prefix: bool,
) -> Result<ReadBody, hyper::Error> {
    let cap = (keep as u64).saturating_add(DRAIN_EXTRA);
    if let Some(announced) = announced
        && announced > cap
    {
        return Ok(ReadBody {
            kept: Bytes::new(),
            len: announced,
            complete: false,
        });
    }
    // A body announced larger than `keep` is over the limit before a byte of it is read: it is
    // counted, not kept (a 12 MB upload costs the mock no 10 MB copy). Otherwise the buffer is
    // sized once from the announced length instead of grown through doublings.
    let keep = if !prefix && announced.is_some_and(|n| n > keep as u64) {
        0
    } else {
        keep
    };
    let mut kept = BytesMut::with_capacity(announced.map_or(0, |n| n.min(keep as u64) as usize));
    let mut len: u64 = 0;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        len = len.saturating_add(data.len() as u64);
        let room = keep.saturating_sub(kept.len());
        kept.extend_from_slice(&data[..room.min(data.len())]);
        if len > cap {
            return Ok(ReadBody {
                kept: kept.freeze(),
                len,
                complete: false,
            });
        }
    }
    Ok(ReadBody {
        kept: kept.freeze(),
        len,
        complete: true,
    })
}

async fn serve_one<H: Handler>(
    handler: Arc<H>,
    request: http::Request<Incoming>,
    body_timeout: Duration,
) -> Result<http::Response<Full<Bytes>>, BodyError> {
    let (parts, body) = request.into_parts();
    let announced = announced_length(&parts.headers);
    let (keep, prefix) = match handler.before_body(&parts) {
        BeforeBody::Keep(keep) => (keep, false),
        BeforeBody::KeepPrefix(keep) => (keep, true),
        BeforeBody::Refused => match announced {
            Some(len) => return Ok(refuse_unread(handler, &parts, body, len, body_timeout).await),
            None => (0, false),
        },
    };
    // The body's share of the process-wide budget comes first, within the same time limit.
    let reserved = if prefix {
        keep
    } else {
        super::limits::kept_bytes(keep, announced)
    };
    let (_budget, read) = tokio::time::timeout(body_timeout, async {
        let budget = super::limits::reserve(reserved).await;
        (budget, read_body(body, keep, announced, prefix).await)
    })
    .await
    .map_err(|_| BodyError::Timeout)?;
    let read = read?;
    let view = RequestView {
        method: parts.method.as_str(),
        uri: &parts.uri,
        headers: &parts.headers,
        body: &read.kept,
        body_len: read.len,
    };
    let mut response = handler.handle(view).await;
    if !read.complete {
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
    Ok(response.map(Full::new))
}

/// The request's `Content-Length`, when it announces one.
pub fn announced_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// Answers a request its head refused without reading its body; the body is then drained in
/// the background, kept nowhere, so a client that sends it before reading still gets the answer
/// (closing with unread data would reset the connection under it).
async fn refuse_unread<H: Handler>(
    handler: Arc<H>,
    parts: &http::request::Parts,
    mut body: Incoming,
    announced: u64,
    body_timeout: Duration,
) -> http::Response<Full<Bytes>> {
    let view = RequestView {
        method: parts.method.as_str(),
        uri: &parts.uri,
        headers: &parts.headers,
        body: &[],
        body_len: announced,
    };
    let mut response = handler.handle(view).await;
    response.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    // A body announced beyond what would be drained anyway is not waited for: the connection
    // closes after the answer, as for an oversized body.
    if announced > 0 && announced <= DRAIN_EXTRA {
        tokio::spawn(async move {
            let drain = async {
                let mut len: u64 = 0;
                while let Some(Ok(frame)) = body.frame().await {
                    len = len.saturating_add(frame.data_ref().map_or(0, |d| d.len() as u64));
                    if len > DRAIN_EXTRA {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(body_timeout, drain).await;
        });
    }
    response.map(Full::new)
}
