//! mock: the reference implementation of CAR's CreateSession API — the embedded default target
//! of `send`, and a local stand-in for the paid service that official SDKs call unchanged.
//!
//! # Layers
//!
//! A request goes through the API 3.0 **gateway** ([`gateway::STEPS`], in this order): method
//! (GET/POST, else `UnsupportedProtocol`); the X-TC-Action / X-TC-Version / X-TC-Timestamp headers
//! (`MissingParameter` naming `Action`, `Version` or `Timestamp`); the action (`InvalidAction`)
//! and version (`NoSuchVersion`); size (`RequestSizeLimitExceeded`: GET 32 KB, POST 10 MB);
//! `Authorization` and the timestamp window through [`crate::sign::verify`] (`AuthFailure.*`;
//! the scope's service is `car` or the signed Host's first label, see [`address`]);
//! the body (`InvalidParameter.JsonParseError`); the parameter table of [`params`]
//! (`MissingParameter`, `InvalidParameter`, `InvalidParameterValue`, `UnknownParameter`); the
//! per-SecretId, per-action rate limit (`RequestLimitExceeded`). A request without `Authorization`
//! and `X-TC-Action` whose parameters are in the query or a form-encoded body is signature v1
//! (HmacSHA1 / HmacSHA256): the same checks, its common parameters read from the parameters
//! (`gateway_v1.rs`). Then configured **faults**, then
//! the **business** layer ([`state`]): ApplyConcurrent locks, CreateSession, DestroySession,
//! DescribeConcurrentCount, multi-person rooms.
//!
//! Every answer is HTTP 200, `Content-Type: application/json`,
//! `{"Response": {..., "RequestId": "<lower-case uuid>"}}`; errors carry `Error.Code` and
//! `Error.Message` (English, or Chinese with `X-TC-Language: zh-CN`).
//!
//! # Command line
//!
//! ```text
//! car-conformance mock [--listen 127.0.0.1:8080]
//!     [--tls [--tls-name NAME]... [--tls-ca-out FILE] | --tls-cert FILE --tls-key FILE]
//!     [--control ADDR]                       the control interface (see [`control`]), off by default
//!     [--secret-id ID --secret-key KEY]...   accepted keys (repeatable pairs)
//!     [--token TOKEN]...                     the i-th pair's X-TC-Token ("" = none)
//!     [--config FILE]                        a JSON MockConfig; the flags below override it
//!     [--concurrency-quota N] [--lock-lifetime-ms MS] [--create-session-ms MS]
//!     [--stopping-ms MS] [--player-limit N] [--viewer-limit N]
//!     [--rate-limit N | --no-rate-limit] [--timestamp-window-secs S]
//!     [--max-get-bytes N] [--max-post-bytes N] [--header-timeout-ms MS] [--body-timeout-ms MS]
//!     [--fault ACTION=CODE[:TIMES][@PROBABILITY]]...
//!     [--defect NAME]                        switch one named defect on (see --list-defects)
//!     [--list-defects]                       print the defects and the cases that catch them
//!     [--variant NAME]...                    switch allowed variants on (see --list-variants)
//!     [--slow-apply-concurrent-ms MS]        ApplyConcurrent's time under slow-apply-concurrent
//!     [--list-variants]                      print the variants and the quotes that allow them
//! ```
//!
//! Keys come from the pairs, else `TENCENTCLOUD_SECRET_ID` / `TENCENTCLOUD_SECRET_KEY` (and
//! `TENCENTCLOUD_SESSION_TOKEN`), else the built-in test pair [`TEST_SECRET_ID`] /
//! [`TEST_SECRET_KEY`]. The first line on stdout is `listening on http://ADDR` (the real port
//! when `:0` was asked for; `https://` with TLS, see [`tls`], then `ca certificate PATH` for a
//! generated CA); the mock serves until Ctrl-C or SIGTERM, then shuts down gracefully.
//!
//! # Choices where the documentation is silent
//!
//! Documented in place: empty ClientSession without `RunWithoutClient` and an empty required
//! string are `InvalidParameterValue`, a Role without HostUserId is `MissingParameter` naming
//! `HostUserId` ([`params::DEPENDENCIES`], [`params::ValueRule`]);
//! `null` counts as absent; an empty POST body counts as `{}`; UserIp must parse as an IPv4 or
//! IPv6 address; parameters are checked for shape (presence, type, unknown names) before values
//! (enumerations, value rules, dependencies); a Role defaults to Player and a host must be a
//! Player; guests of a room need no lock and hold no concurrency; a host's DestroySession ends
//! its room; DestroySession of nothing succeeds; an unknown `X-TC-Language` falls back to English.
//!
//! # Switching decisions off
//!
//! Every refusal is a named [`Check`]; [`App::with_checks`] builds a mock with some switched off,
//! which is how the named defects of [`defects::DEFECTS`] plug in without forking the rules.
//! `MockConfig.defect` (or `--defect NAME`) switches one defect on; `--list-defects` lists them.
//! The allowed variants of [`variants::VARIANTS`] (`MockConfig.variants`, `--variant NAME`) go
//! the other way: each is a documented freedom a correct implementation may use, and the suite
//! must pass it.

mod access_log;
mod action;
mod address;
mod app;
mod business;
mod config;
pub mod control;
pub mod decisions;
pub mod defects;
mod faults;
pub mod gateway;
mod limits;
mod messages;
pub mod params;
mod ratelimit;
mod reply;
mod request_view;
pub mod server;
pub mod state;
mod switch;
pub mod tls;
pub mod variants;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use action::Action;
pub use app::{App, RequestView};
pub use config::{ConfigError, Fault, MockConfig, MockCredential};
pub use decisions::{Check, Checks};
pub use defects::{DEFECTS, Defect, UnknownDefect};
pub use messages::{ApiError, Lang};
pub use reply::CONTENT_TYPE;
pub use server::{BeforeBody, Constant, Handler, ServerHandle, Timeouts};
pub use state::{LiveState, StateView};
pub use switch::{SwitchError, Switchable};
pub use tls::{ServerTls, TlsError};
pub use variants::{UnknownVariant, VARIANTS, Variant};

/// Built-in test pair used when the environment gives no credentials.
pub const TEST_SECRET_ID: &str = "AKIDcarconformanceTESTKEY00000000";
/// Built-in test pair used when the environment gives no credentials.
pub const TEST_SECRET_KEY: &str = "carconformanceTESTsecretKEY000000";

/// Why the mock could not start.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("invalid mock configuration: {0}")]
    Config(ConfigError),
    #[error("cannot set up TLS: {0}")]
    Tls(#[from] TlsError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// A running mock. Dropping it shuts the server down in the background; [`MockHandle::shutdown`]
/// waits for that.
#[derive(Debug)]
pub struct MockHandle {
    mock: Arc<Switchable>,
    server: ServerHandle,
    control: Option<ServerHandle>,
    tls: bool,
}

impl MockHandle {
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// `http://IP:PORT`, or `https://IP:PORT` when serving TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr())
    }

    /// `http://IP:PORT` of the control interface, when it was asked for.
    pub fn control_url(&self) -> Option<String> {
        self.control
            .as_ref()
            .map(|control| format!("http://{}", control.addr()))
    }

    /// Live locks and sessions by UserId, sorted (for cleanup checks).
    pub fn live(&self) -> LiveState {
        self.mock.live()
    }

    /// The running mock, to read or switch in-process what the control interface does.
    pub fn switchable(&self) -> &Switchable {
        &self.mock
    }

    /// Stops accepting, finishes requests in flight, then returns.
    pub async fn shutdown(self) {
        if let Some(control) = self.control {
            control.shutdown().await;
        }
        self.server.shutdown().await;
    }
}

/// How the mock is served, beside what it does ([`MockConfig`]).
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// HTTPS with this certificate; plain HTTP when `None`.
    pub tls: Option<ServerTls>,
    /// Serve the control interface ([`control`]) on this address; off when `None`.
    pub control: Option<SocketAddr>,
}

/// Binds `listen` (port 0 picks a free port) and serves the mock with `config` over plain HTTP
/// in a background task of the current tokio runtime.
pub async fn start(config: MockConfig, listen: SocketAddr) -> Result<MockHandle, MockError> {
    start_with(config, listen, ServeOptions::default()).await
}

/// [`start`] with serving options (TLS, the control interface).
pub async fn start_with(
    config: MockConfig,
    listen: SocketAddr,
    options: ServeOptions,
) -> Result<MockHandle, MockError> {
    config.validate().map_err(MockError::Config)?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| MockError::Bind {
            addr: listen,
            source,
        })?;
    let timeouts = Timeouts {
        header: Duration::from_millis(config.header_timeout_ms),
        body: Duration::from_millis(config.body_timeout_ms),
    };
    let mock = Arc::new(Switchable::new(config));
    let tls = options
        .tls
        .map(|tls| tokio_rustls::TlsAcceptor::from(tls.config));
    let serves_tls = tls.is_some();
    let server =
        server::spawn(listener, mock.clone(), timeouts, tls).map_err(|source| MockError::Bind {
            addr: listen,
            source,
        })?;
    let control = match options.control {
        None => None,
        Some(addr) => {
            let handler = control::Control::new(mock.clone());
            Some(start_handler(handler, addr, timeouts).await?)
        }
    };
    Ok(MockHandle {
        mock,
        server,
        control,
        tls: serves_tls,
    })
}

/// Serves `handler` (e.g. [`Constant`]) on the mock's HTTP stack: the benchmark's floor.
pub async fn start_handler<H: Handler>(
    handler: H,
    listen: SocketAddr,
    timeouts: Timeouts,
) -> Result<ServerHandle, MockError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| MockError::Bind {
            addr: listen,
            source,
        })?;
    server::spawn(listener, Arc::new(handler), timeouts, None).map_err(|source| MockError::Bind {
        addr: listen,
        source,
    })
}
