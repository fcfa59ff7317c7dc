//! cli: `car-conformance mock-ctl` — the mock's control interface (`mock --control ADDR`) from
//! the command line: read the state, reset it, switch faults, the defect, allowed variants or
//! any other configuration field of a running mock. Prints the JSON answer; a refused change
//! is its message on stderr and exit code 1.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Map, Value};

/// How long one control request may take (the mock answers at once; this bounds a wrong address).
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, clap::Args)]
pub struct MockCtlArgs {
    /// The control interface's URL, as `mock --control` printed it (`control on URL`).
    #[arg(long, env = "CAR_MOCK_CONTROL", value_name = "URL")]
    control: String,
    #[command(subcommand)]
    command: CtlCommand,
}

#[derive(Debug, Clone, clap::Subcommand)]
enum CtlCommand {
    /// Print locks, sessions, rooms and concurrency in use.
    State,
    /// Drop every lock, session and room; re-arm faults; empty the rate windows.
    Reset,
    /// Print the configuration in force.
    Config,
    /// Change configuration fields, keeping the state: FIELD=JSON, e.g. `concurrency_quota=2`,
    /// `variants='["NAME"]'`, `defect=null` (a value that is not JSON is taken as a string).
    Set {
        #[arg(value_name = "FIELD=VALUE", required = true)]
        fields: Vec<String>,
    },
    /// Replace the injected faults (ACTION=CODE[:TIMES][@PROBABILITY] each); none clears them.
    Faults {
        #[arg(value_name = "ACTION=CODE[:TIMES][@P]")]
        faults: Vec<String>,
    },
    /// Switch a named defect on (see `mock --list-defects`), or `off`.
    Defect {
        #[arg(value_name = "NAME|off")]
        name: String,
    },
}

/// Why a `mock-ctl` command line cannot be sent.
#[derive(Debug, thiserror::Error)]
enum CtlError {
    #[error("`{0}` is not FIELD=VALUE")]
    NotAField(String),
    #[error("--control `{url}` is not an http:// URL")]
    BadUrl { url: String },
}

/// The HTTP request a subcommand makes: method, path and JSON body.
fn request(
    command: &CtlCommand,
) -> Result<(reqwest::Method, &'static str, Option<Value>), CtlError> {
    use reqwest::Method;
    Ok(match command {
        CtlCommand::State => (Method::GET, "/state", None),
        CtlCommand::Reset => (Method::POST, "/reset", None),
        CtlCommand::Config => (Method::GET, "/config", None),
        CtlCommand::Set { fields } => {
            let mut patch = Map::new();
            for field in fields {
                let (name, value) = field
                    .split_once('=')
                    .filter(|(name, _)| !name.trim().is_empty())
                    .ok_or_else(|| CtlError::NotAField(field.clone()))?;
                let value =
                    serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
                patch.insert(name.trim().to_owned(), value);
            }
            (Method::PATCH, "/config", Some(Value::Object(patch)))
        }
        CtlCommand::Faults { faults } if faults.is_empty() => (Method::DELETE, "/faults", None),
        CtlCommand::Faults { faults } => (
            Method::PUT,
            "/faults",
            Some(Value::Array(
                faults.iter().cloned().map(Value::String).collect(),
            )),
        ),
        CtlCommand::Defect { name } if name == "off" => (Method::DELETE, "/defect", None),
        CtlCommand::Defect { name } => (
            Method::PUT,
            "/defect",
            Some(serde_json::json!({ "name": name })),
        ),
    })
}

pub fn execute(args: MockCtlArgs) -> ExitCode {
    let base = args.control.trim_end_matches('/').to_owned();
    if !base.starts_with("http://") {
        return super::usage_error(CtlError::BadUrl { url: base });
    }
    let (method, path, body) = match request(&args.command) {
        Ok(request) => request,
        Err(error) => return super::usage_error(error),
    };
    let runtime = match super::runtime(false) {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let answer = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let mut request = client.request(method, format!("{base}{path}"));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await?;
        let status = response.status();
        Ok::<_, reqwest::Error>((status, response.text().await?))
    });
    match answer {
        Ok((status, text)) if status.is_success() => {
            println!("{}", text.trim_end());
            ExitCode::SUCCESS
        }
        Ok((status, text)) => {
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["error"].as_str().map(str::to_owned))
                .unwrap_or(text);
            anstream::eprintln!(
                "{} the mock refused ({status}): {message}",
                crate::report::console::error_label()
            );
            ExitCode::FAILURE
        }
        Err(error) => {
            anstream::eprintln!(
                "{} cannot reach the mock's control interface at {base}: {error}",
                crate::report::console::error_label()
            );
            ExitCode::from(super::EXIT_USAGE)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: MockCtlArgs,
    }

    fn parse(line: &[&str]) -> MockCtlArgs {
        let mut argv = vec!["mock-ctl", "--control", "http://127.0.0.1:1"];
        argv.extend_from_slice(line);
        Wrapper::try_parse_from(argv).unwrap().args
    }

    #[test]
    fn each_subcommand_makes_its_request() {
        let (method, path, body) = request(&parse(&["state"]).command).unwrap();
        assert_eq!((method.as_str(), path, body), ("GET", "/state", None));
        let (method, path, _) = request(&parse(&["reset"]).command).unwrap();
        assert_eq!((method.as_str(), path), ("POST", "/reset"));
        let (method, path, body) = request(
            &parse(&["set", "concurrency_quota=2", "variants=[\"a\"]", "defect=x"]).command,
        )
        .unwrap();
        assert_eq!((method.as_str(), path), ("PATCH", "/config"));
        assert_eq!(
            body.unwrap(),
            serde_json::json!({"concurrency_quota": 2, "variants": ["a"], "defect": "x"})
        );
        let (method, _, body) =
            request(&parse(&["faults", "CreateSession=InternalError:1"]).command).unwrap();
        assert_eq!(method.as_str(), "PUT");
        assert_eq!(
            body.unwrap(),
            serde_json::json!(["CreateSession=InternalError:1"])
        );
        let (method, path, _) = request(&parse(&["faults"]).command).unwrap();
        assert_eq!((method.as_str(), path), ("DELETE", "/faults"));
        let (method, path, _) = request(&parse(&["defect", "off"]).command).unwrap();
        assert_eq!((method.as_str(), path), ("DELETE", "/defect"));
        assert!(request(&parse(&["set", "=1"]).command).is_err());
    }
}
