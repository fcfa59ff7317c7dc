//! Bench (whole run): the comparison — the suite's own requests made the way a user might
//! otherwise write them, with the official Python SDK one after another
//! (`benches/python/sdk_sequence.py`), against a reference mock this bench serves.
//!
//! The calls file is written from a run of the suite (its exchanges, in order): action, method
//! and parameters exactly as sent where the body was a JSON object (or a GET query); an object of
//! the same size where it was not (a raw body, or one the record cut because it is over 4 KB);
//! CreateSession where the suite sent no action or an empty one.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use car_conformance::mock::{self, MockConfig, MockHandle};
use car_conformance::outcome::Outcome;
use serde_json::{Map, Value, json};

/// `.venv`'s python when `scripts/setup-python-sdk.sh` completed (it leaves a stamp last).
pub fn venv_python(root: &Path) -> Option<PathBuf> {
    let venv = root.join(".venv");
    let python = venv.join("bin").join("python");
    (python.is_file() && venv.join(".car-conformance-sdk.sha256").is_file()).then_some(python)
}

/// A JSON object of about `bytes` bytes once serialised.
pub fn same_size(bytes: usize) -> Value {
    let filler = "x".repeat(bytes.saturating_sub(r#"{"Padding":""}"#.len()));
    json!({ "Padding": filler })
}

pub fn query_params(url: &str) -> Value {
    let parsed = url::Url::parse(url).ok();
    let mut params = Map::new();
    for (name, value) in parsed.iter().flat_map(|u| u.query_pairs()) {
        params.insert(name.into_owned(), Value::String(value.into_owned()));
    }
    Value::Object(params)
}

/// The calls of `outcomes`' exchanges, in order, as `sdk_sequence.py` reads them.
pub fn calls(outcomes: &[Outcome]) -> Vec<Value> {
    let mut calls = Vec::new();
    for exchange in outcomes.iter().flat_map(|o| &o.exchanges) {
        let request = &exchange.request;
        let action = request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-tc-action"))
            .map(|(_, v)| v.as_str())
            // The SDK cannot send a request without an action (the suite can): it sends one.
            .filter(|v| !v.is_empty())
            .unwrap_or("CreateSession");
        let method = if request.method.eq_ignore_ascii_case("GET") {
            "GET"
        } else {
            "POST"
        };
        let params = if method == "GET" {
            query_params(&request.url)
        } else {
            let parsed = (!request.body.truncated)
                .then(|| serde_json::from_str::<Value>(&request.body.text).ok())
                .flatten();
            match parsed {
                Some(object @ Value::Object(_)) => object,
                _ => same_size(request.body.bytes),
            }
        };
        calls.push(json!({"action": action, "method": method, "params": params}));
    }
    calls
}

/// A mock for the Python side: the test pair, no rate limit (like the runner's shared mock).
pub async fn start_mock() -> Result<MockHandle, String> {
    let config = MockConfig {
        rate_limit_per_second: None,
        ..MockConfig::default()
    };
    mock::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| e.to_string())
}

/// What one run of the script reported.
#[derive(Debug, Clone)]
pub struct Reported {
    pub calls: usize,
    /// The calls alone (after imports and client set-up), seconds.
    pub seconds: f64,
    pub codes: Map<String, Value>,
}

/// Parses the script's one-line JSON report.
pub fn parse_report(stdout: &str) -> Result<Reported, String> {
    let line = stdout.lines().last().unwrap_or_default();
    let value: Value = serde_json::from_str(line)
        .map_err(|e| format!("sdk_sequence.py printed `{line}`, not JSON: {e}"))?;
    Ok(Reported {
        calls: value["calls"].as_u64().unwrap_or(0) as usize,
        seconds: value["seconds"].as_f64().unwrap_or(f64::NAN),
        codes: value["codes"].as_object().cloned().unwrap_or_default(),
    })
}
