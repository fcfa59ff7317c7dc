//! send: the fourth stage — a case step becomes a signed request ([`request`]), paced under the
//! target's rate ([`pace`]), bounded in time ([`timeout`]) and sent by the run's one HTTP client
//! ([`client`]); whatever a misbehaving target answers is described, never trusted ([`hostile`]).

pub mod client;
pub mod exchange;
pub mod hostile;
pub mod pace;
pub mod request;
pub mod timeout;

pub use client::{Client, ClientConfig, SendError};
pub use exchange::{Prepared, Received};
