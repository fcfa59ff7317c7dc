//! mock: the control interface for tests — read the state, reset it, switch faults, the defect,
//! allowed variants (the `variants` field of `MockConfig`) and limits at run time. Off unless
//! asked for (`mock --control ADDR`, [`super::ServeOptions::control`]), and served on its own
//! listener, never on the API's:
//!
//! - the API answers every path (the cloud routes on `X-TC-Action`, not the path), so a control
//!   path on the API port would change how the mock answers some requests, which a conformance
//!   target must not do, and a request from the client under test could reach it;
//! - on its own port it can be bound to loopback while the API listens wider, and a test's
//!   client never holds its address by accident.
//!
//! JSON over plain HTTP/1.1 (the same server stack as the API):
//!
//! - `GET /state`: locks (ms left), sessions (phase, room, role), rooms, concurrency used/quota;
//! - `POST /reset`: no locks, sessions or rooms; faults re-armed; rate windows empty;
//! - `GET /config`: the configuration in force (never the keys);
//! - `PATCH /config` `{"field": value, ...}`: any `MockConfig` field (`defect`, `faults`,
//!   `variants`, `concurrency_quota`…), keeping the state;
//! - `PUT /faults` `["CreateSession=InternalError:1", {...}]`, `DELETE /faults`: replace, clear;
//! - `PUT /defect` `{"name": "lock-not-required"}`, `DELETE /defect`: a named defect on, off.
//!
//! Success is `200` with the resulting state or configuration; a refused change is `400`
//! `{"error": "..."}` and changes nothing; an unknown path `404`, a wrong method `405`.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::config::{Fault, MockConfig};
use super::request_view::RequestView;
use super::server::Handler;
use super::switch::{SwitchError, Switchable};

/// The routes, for the answer to an unknown path.
const ROUTES: &str =
    "GET /state, POST /reset, GET|PATCH /config, PUT|DELETE /faults, PUT|DELETE /defect";

/// Largest control request body.
const MAX_BODY: usize = 64 * 1024;

/// The control interface of one running mock.
#[derive(Debug, Clone)]
pub struct Control {
    mock: Arc<Switchable>,
}

/// A control request's failure: its status and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum ControlError {
    #[error("{0}")]
    BadRequest(String),
    #[error("no such control path `{0}`; see {ROUTES}")]
    NotFound(String),
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: &'static str },
}

impl From<SwitchError> for ControlError {
    fn from(error: SwitchError) -> Self {
        ControlError::BadRequest(error.to_string())
    }
}

impl ControlError {
    fn status(&self) -> http::StatusCode {
        match self {
            ControlError::BadRequest(_) => http::StatusCode::BAD_REQUEST,
            ControlError::NotFound(_) => http::StatusCode::NOT_FOUND,
            ControlError::MethodNotAllowed { .. } => http::StatusCode::METHOD_NOT_ALLOWED,
        }
    }
}

impl Control {
    pub fn new(mock: Arc<Switchable>) -> Self {
        Self { mock }
    }

    /// The answer to one control request: status and JSON body.
    pub fn answer(&self, method: &str, path: &str, body: &[u8]) -> (http::StatusCode, Value) {
        match self.route(method, path, body) {
            Ok(value) => (http::StatusCode::OK, value),
            Err(error) => (error.status(), json!({ "error": error.to_string() })),
        }
    }

    fn route(&self, method: &str, path: &str, body: &[u8]) -> Result<Value, ControlError> {
        let path = path.trim_end_matches('/');
        let wrong = |path: &'static str| ControlError::MethodNotAllowed {
            method: method.chars().take(16).collect(),
            path,
        };
        match (path, method) {
            ("/state", "GET") => Ok(self.state()),
            ("/state", _) => Err(wrong("/state")),
            ("/reset", "POST") => {
                self.mock.reset();
                Ok(self.state())
            }
            ("/reset", _) => Err(wrong("/reset")),
            ("/config", "GET") => Ok(self.config()),
            ("/config", "PATCH") => {
                let patch = parse_object(body)?;
                self.switch(|config| merge(config, patch))
            }
            ("/config", _) => Err(wrong("/config")),
            ("/faults", "PUT") => {
                let faults = parse_faults(body)?;
                self.switch(|config| {
                    config.faults = faults;
                    Ok(())
                })
            }
            ("/faults", "DELETE") => self.switch(|config| {
                config.faults.clear();
                Ok(())
            }),
            ("/faults", _) => Err(wrong("/faults")),
            ("/defect", "PUT") => {
                let name = parse_object(body)?
                    .remove("name")
                    .and_then(|name| name.as_str().map(str::to_owned))
                    .ok_or_else(|| bad("expected {\"name\": \"DEFECT\"}"))?;
                self.switch(|config| {
                    config.defect = Some(name);
                    Ok(())
                })
            }
            ("/defect", "DELETE") => self.switch(|config| {
                config.defect = None;
                Ok(())
            }),
            ("/defect", _) => Err(wrong("/defect")),
            _ => Err(ControlError::NotFound(path.chars().take(64).collect())),
        }
    }

    fn state(&self) -> Value {
        serde_json::to_value(self.mock.view()).unwrap_or(Value::Null)
    }

    fn config(&self) -> Value {
        serde_json::to_value(self.mock.config()).unwrap_or(Value::Null)
    }

    /// Applies `change` to a copy of the configuration and switches to it; the configuration in
    /// force is the answer.
    fn switch(
        &self,
        change: impl FnOnce(&mut MockConfig) -> Result<(), ControlError>,
    ) -> Result<Value, ControlError> {
        let mut next = self.mock.config();
        change(&mut next)?;
        self.mock.reconfigure(next)?;
        Ok(self.config())
    }
}

fn bad(message: impl Into<String>) -> ControlError {
    ControlError::BadRequest(message.into())
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ControlError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad("the body must be a JSON object")),
        Err(error) => Err(bad(format!("the body is not JSON: {error}"))),
    }
}

/// Faults as a JSON array of `ACTION=CODE[:TIMES][@P]` strings or `Fault` objects.
fn parse_faults(body: &[u8]) -> Result<Vec<Fault>, ControlError> {
    let Ok(Value::Array(items)) = serde_json::from_slice::<Value>(body) else {
        return Err(bad(
            "expected a JSON array of faults (\"ACTION=CODE[:TIMES][@P]\" or objects)",
        ));
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(text) => Fault::parse(&text).map_err(|e| bad(e.to_string())),
            other => {
                let fault: Fault = serde_json::from_value(other)
                    .map_err(|error| bad(format!("invalid fault: {error}")))?;
                fault.validate().map_err(|e| bad(e.to_string()))?;
                Ok(fault)
            }
        })
        .collect()
}

/// `config` with each field of `patch` replaced (unknown fields are refused by the config's own
/// deserialiser, so a misspelt knob is an error, not a silent no-op).
fn merge(config: &mut MockConfig, patch: Map<String, Value>) -> Result<(), ControlError> {
    let Ok(Value::Object(mut fields)) = serde_json::to_value(&*config) else {
        return Err(bad("the configuration cannot be shown as JSON"));
    };
    fields.extend(patch);
    let credentials = std::mem::take(&mut config.credentials);
    *config = serde_json::from_value(Value::Object(fields))
        .map_err(|error| bad(format!("invalid configuration: {error}")))?;
    config.credentials = credentials;
    Ok(())
}

impl Handler for Control {
    fn body_limit(&self, _method: &http::Method) -> usize {
        MAX_BODY
    }

    fn handle<'a>(
        &'a self,
        request: RequestView<'a>,
    ) -> impl Future<Output = http::Response<Bytes>> + Send + 'a {
        let (status, value) = if request.body_len > MAX_BODY as u64 {
            let error = format!("the body is over {MAX_BODY} bytes");
            (
                http::StatusCode::PAYLOAD_TOO_LARGE,
                json!({ "error": error }),
            )
        } else {
            self.answer(request.method, request.uri.path(), request.body)
        };
        if status.is_success() {
            let path = super::access_log::sanitise(request.uri.path());
            tracing::info!(
                target: "car_conformance::mock::control",
                method = %request.method,
                path = %path,
                "control"
            );
        }
        let body = serde_json::to_vec_pretty(&value).unwrap_or_default();
        let mut response = super::reply::http_response(Bytes::from(body), false);
        *response.status_mut() = status;
        std::future::ready(response)
    }
}

#[cfg(test)]
#[path = "control_tests.rs"]
mod tests;
