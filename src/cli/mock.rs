//! cli: `car-conformance mock` — serves the reference mock until Ctrl-C or SIGTERM. Resolves the
//! accepted keys (flags, else environment, else the built-in test pair) and the configuration
//! (a JSON file, then one flag per field) and TLS ([`super::mock_tls`]), prints
//! `listening on http(s)://ADDR` first (then `ca certificate PATH` for a generated CA, and
//! `control on http://ADDR` with `--control`).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use super::mock_tls::{TlsArgs, trust_hint};
use crate::mock::{self, Fault, MockConfig, MockCredential, ServeOptions};

/// The mock's log filter when `RUST_LOG` is unset: warnings, plus its request log and the
/// explanation of each refused signature.
pub const DEFAULT_LOG_FILTER: &str = "warn,car_conformance::mock=info";

#[derive(Debug, Clone, clap::Args)]
pub struct MockArgs {
    /// Address to listen on; port 0 picks a free port (printed on the first line).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    tls: TlsArgs,
    /// Serve the control interface (state, reset, faults, defect, variants; see `mock-ctl`) on
    /// this address, apart from the API. Off by default; keep it on loopback.
    #[arg(long, value_name = "ADDR")]
    control: Option<SocketAddr>,
    /// An accepted SecretId (repeatable; pairs with --secret-key in order).
    #[arg(long = "secret-id", value_name = "ID")]
    secret_ids: Vec<String>,
    /// The SecretKey of the SecretId at the same position (prefer the environment variables:
    /// a command line can be seen by other users).
    #[arg(long = "secret-key", value_name = "KEY")]
    secret_keys: Vec<String>,
    /// The X-TC-Token of the pair at the same position ("" for none): temporary credentials.
    #[arg(long = "token", value_name = "TOKEN")]
    tokens: Vec<String>,
    /// A JSON MockConfig (snake_case fields, as in a case's `requires.mock`); flags override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Concurrencies available (locks plus sessions holding one).
    #[arg(long, value_name = "N")]
    concurrency_quota: Option<u32>,
    /// Lifetime of an ApplyConcurrent lock before its CreateSession.
    #[arg(long, value_name = "MS")]
    lock_lifetime_ms: Option<u64>,
    /// How long a CreateSession takes (a second request meanwhile: FailedOperation.SlowDown).
    #[arg(long, value_name = "MS")]
    create_session_ms: Option<u64>,
    /// Stopping phase after DestroySession (UnsupportedOperation.Stopping meanwhile).
    #[arg(long, value_name = "MS")]
    stopping_ms: Option<u64>,
    /// Players per multi-person room, host included.
    #[arg(long, value_name = "N")]
    player_limit: Option<u32>,
    /// Viewers per multi-person room.
    #[arg(long, value_name = "N")]
    viewer_limit: Option<u32>,
    /// Requests per second per SecretId and action.
    #[arg(long, value_name = "N", conflicts_with = "no_rate_limit")]
    rate_limit: Option<u32>,
    /// Turn the rate limit off.
    #[arg(long)]
    no_rate_limit: bool,
    /// Allowed distance between X-TC-Timestamp and the mock's clock.
    #[arg(long, value_name = "S")]
    timestamp_window_secs: Option<i64>,
    /// Largest GET request (query plus body).
    #[arg(long, value_name = "BYTES")]
    max_get_bytes: Option<usize>,
    /// Largest POST body.
    #[arg(long, value_name = "BYTES")]
    max_post_bytes: Option<usize>,
    /// Time a client has to send a request's head (and idle keep-alive limit).
    #[arg(long, value_name = "MS")]
    header_timeout_ms: Option<u64>,
    /// Time a client has to send a request's body.
    #[arg(long, value_name = "MS")]
    body_timeout_ms: Option<u64>,
    /// Inject an error: ACTION=CODE[:TIMES][@PROBABILITY], ACTION may be `*` (repeatable).
    #[arg(long = "fault", value_name = "ACTION=CODE[:TIMES][@P]", value_parser = Fault::parse)]
    faults: Vec<Fault>,
    /// Switch one named defect on (a deliberate contract violation, to see the suite catch it).
    #[arg(long, value_name = "NAME")]
    defect: Option<String>,
    /// Print the named defects (name, area, description, catching cases) and exit.
    #[arg(long)]
    list_defects: bool,
    /// Switch an allowed variant on: a way a correct implementation may differ (repeatable).
    #[arg(long = "variant", value_name = "NAME")]
    variants: Vec<String>,
    /// How long ApplyConcurrent takes under the `slow-apply-concurrent` variant (default 7000).
    #[arg(long, value_name = "MS")]
    slow_apply_concurrent_ms: Option<u64>,
    /// Print the allowed variants (name, area, description, the quote that allows it) and exit.
    #[arg(long)]
    list_variants: bool,
}

/// Why a `mock` command line cannot be served.
#[derive(Debug, thiserror::Error)]
enum MockArgsError {
    #[error("{ids} --secret-id but {keys} --secret-key: give them in pairs")]
    UnpairedKeys { ids: usize, keys: usize },
    #[error("{tokens} --token for {pairs} key pairs: give none, or one per pair (\"\" for none)")]
    UnpairedTokens { tokens: usize, pairs: usize },
    #[error("--secret-id and --secret-key must not be empty")]
    EmptyKey,
    #[error("{set} is set but {unset} is not")]
    HalfEnvironment {
        set: &'static str,
        unset: &'static str,
    },
    #[error("cannot read --config {path}: {source}")]
    ReadConfig {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid --config {path}: {source}")]
    ParseConfig {
        path: PathBuf,
        source: serde_json::Error,
    },
}

const ENV_ID: &str = "TENCENTCLOUD_SECRET_ID";
const ENV_KEY: &str = "TENCENTCLOUD_SECRET_KEY";
const ENV_TOKEN: &str = "TENCENTCLOUD_SESSION_TOKEN";

/// The accepted keys: flag pairs, else the environment, else none (the built-in test pair).
fn credentials(
    args: &MockArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<MockCredential>, MockArgsError> {
    let token_of = |text: &str| Some(text.to_owned()).filter(|t| !t.is_empty());
    if args.secret_ids.len() != args.secret_keys.len() {
        return Err(MockArgsError::UnpairedKeys {
            ids: args.secret_ids.len(),
            keys: args.secret_keys.len(),
        });
    }
    if !args.secret_ids.is_empty() {
        let pairs = args.secret_ids.len();
        if !args.tokens.is_empty() && args.tokens.len() != pairs {
            return Err(MockArgsError::UnpairedTokens {
                tokens: args.tokens.len(),
                pairs,
            });
        }
        let mut out = Vec::with_capacity(pairs);
        for (index, (id, key)) in args.secret_ids.iter().zip(&args.secret_keys).enumerate() {
            if id.is_empty() || key.is_empty() {
                return Err(MockArgsError::EmptyKey);
            }
            let mut credential = MockCredential::new(id.clone(), key.clone());
            credential.token = args.tokens.get(index).and_then(|t| token_of(t));
            out.push(credential);
        }
        return Ok(out);
    }
    let id = env(ENV_ID).filter(|v| !v.is_empty());
    let key = env(ENV_KEY).filter(|v| !v.is_empty());
    match (id, key) {
        (Some(id), Some(key)) => {
            if args.tokens.len() > 1 {
                return Err(MockArgsError::UnpairedTokens {
                    tokens: args.tokens.len(),
                    pairs: 1,
                });
            }
            let mut credential = MockCredential::new(id, key);
            credential.token = match args.tokens.first() {
                Some(token) => token_of(token),
                None => env(ENV_TOKEN).filter(|t| !t.is_empty()),
            };
            Ok(vec![credential])
        }
        (Some(_), None) => Err(MockArgsError::HalfEnvironment {
            set: ENV_ID,
            unset: ENV_KEY,
        }),
        (None, Some(_)) => Err(MockArgsError::HalfEnvironment {
            set: ENV_KEY,
            unset: ENV_ID,
        }),
        (None, None) if !args.tokens.is_empty() => Err(MockArgsError::UnpairedTokens {
            tokens: args.tokens.len(),
            pairs: 0,
        }),
        (None, None) => Ok(Vec::new()),
    }
}

/// The configuration: the `--config` file (or the defaults), then each flag given.
fn config(
    args: &MockArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<MockConfig, MockArgsError> {
    let mut config = match &args.config {
        None => MockConfig::default(),
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|source| MockArgsError::ReadConfig {
                    path: path.clone(),
                    source,
                })?;
            serde_json::from_str(&text).map_err(|source| MockArgsError::ParseConfig {
                path: path.clone(),
                source,
            })?
        }
    };
    config.credentials = credentials(args, env)?;
    macro_rules! set {
        ($($field:ident),*) => {$(
            if let Some(value) = args.$field {
                config.$field = value;
            }
        )*};
    }
    set!(
        concurrency_quota,
        lock_lifetime_ms,
        create_session_ms,
        stopping_ms,
        player_limit,
        viewer_limit,
        timestamp_window_secs,
        max_get_bytes,
        max_post_bytes,
        header_timeout_ms,
        body_timeout_ms
    );
    if args.no_rate_limit {
        config.rate_limit_per_second = None;
    } else if let Some(limit) = args.rate_limit {
        config.rate_limit_per_second = Some(limit);
    }
    config.faults.extend(args.faults.iter().cloned());
    if let Some(name) = &args.defect {
        config.defect = Some(name.clone());
    }
    for name in &args.variants {
        if !config.variants.contains(name) {
            config.variants.push(name.clone());
        }
    }
    if args.slow_apply_concurrent_ms.is_some() {
        config.slow_apply_concurrent_ms = args.slow_apply_concurrent_ms;
    }
    Ok(config)
}

/// `--list-defects`: one block per defect, in catalogue order.
fn list_defects() -> String {
    let mut out = String::new();
    for defect in mock::DEFECTS {
        out.push_str(&format!(
            "{:<34} {:<10} {}\n{:<34} {:<10} caught by: {}\n",
            defect.name,
            defect.area.as_str(),
            defect.description,
            "",
            "",
            defect.catchers.join(", ")
        ));
    }
    out
}

/// `--list-variants`: one block per variant, in catalogue order.
fn list_variants() -> String {
    let mut out = String::new();
    for variant in mock::VARIANTS {
        out.push_str(&format!(
            "{:<30} {:<10} {}\n{:<30} {:<10} allowed by: \"{}\"\n{:<30} {:<10} {}\n",
            variant.name,
            variant.area.as_str(),
            variant.description,
            "",
            "",
            variant.quote,
            "",
            "",
            variant.source
        ));
    }
    out
}

pub fn execute(args: MockArgs) -> ExitCode {
    if args.list_defects {
        print!("{}", list_defects());
        return ExitCode::SUCCESS;
    }
    if args.list_variants {
        print!("{}", list_variants());
        return ExitCode::SUCCESS;
    }
    let config = match config(&args, &|name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(error) => return super::usage_error(error),
    };
    if let Err(problem) = config.validate() {
        return super::usage_error(problem);
    }
    let runtime = match super::runtime(true) {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    runtime.block_on(serve(config, &args))
}

async fn serve(config: MockConfig, args: &MockArgs) -> ExitCode {
    if let Some(defect) = config.defect.as_deref().and_then(mock::defects::find) {
        eprintln!(
            "DEFECT ON: {} — {} (this mock breaks the contract on purpose)",
            defect.name, defect.description
        );
    }
    for variant in config
        .variants
        .iter()
        .filter_map(|n| mock::variants::find(n))
    {
        eprintln!(
            "variant on: {} — {} (allowed by the documentation)",
            variant.name, variant.description
        );
    }
    let credentials = config.effective_credentials();
    // The log scrubber then hides them wherever they might appear (an echoed header, a panic).
    for credential in &credentials {
        crate::redact::remember_secret(&credential.secret_key);
        if let Some(token) = &credential.token {
            crate::redact::remember_secret(token);
        }
    }
    let ids: Vec<String> = credentials.into_iter().map(|c| c.secret_id).collect();
    let tls = match args.tls.server_tls() {
        Ok(tls) => tls,
        Err(error) => return super::usage_error(error),
    };
    let options = ServeOptions {
        tls: tls.clone(),
        control: args.control,
    };
    let stopped = stop_signal();
    let handle = match mock::start_with(config, args.listen, options).await {
        Ok(handle) => handle,
        Err(error) => {
            anstream::eprintln!("{} {error}", crate::report::console::error_label());
            return ExitCode::FAILURE;
        }
    };
    let ca_path = match tls.map(|tls| args.tls.write_ca(&tls, handle.addr())) {
        Some(Err(error)) => {
            anstream::eprintln!("{} {error}", crate::report::console::error_label());
            return ExitCode::FAILURE;
        }
        Some(Ok(path)) => path,
        None => None,
    };
    {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "listening on {}", handle.url());
        if let Some(path) = &ca_path {
            let _ = writeln!(stdout, "ca certificate {}", path.display());
        }
        if let Some(url) = handle.control_url() {
            let _ = writeln!(stdout, "control on {url}");
        }
        let _ = stdout.flush();
    }
    if let Some(path) = &ca_path {
        eprintln!("{}", trust_hint(path));
    }
    eprintln!("accepting SecretId {}", ids.join(", "));
    stopped.await;
    eprintln!("shutting down");
    handle.shutdown().await;
    ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM on Unix — registered when called, so a signal sent as soon as the mock
/// says it is listening is never lost (a script that starts the mock, uses it and stops it at
/// once would otherwise kill it before its handler exists).
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: MockArgs,
    }

    fn parse(line: &[&str]) -> MockArgs {
        let mut argv = vec!["mock"];
        argv.extend_from_slice(line);
        Wrapper::try_parse_from(argv).unwrap().args
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn flags_override_the_defaults() {
        let args = parse(&[
            "--concurrency-quota",
            "3",
            "--no-rate-limit",
            "--fault",
            "CreateSession=InternalError:2",
            "--stopping-ms",
            "50",
        ]);
        let config = config(&args, &no_env).unwrap();
        assert_eq!(config.concurrency_quota, 3);
        assert_eq!(config.rate_limit_per_second, None);
        assert_eq!(config.stopping_ms, 50);
        assert_eq!(config.faults.len(), 1);
        assert!(config.credentials.is_empty());
        assert_eq!(args.listen.port(), 8080);
    }

    #[test]
    fn a_defect_is_set_by_name_and_checked() {
        let config = config(&parse(&["--defect", "no-rate-limit"]), &no_env).unwrap();
        assert_eq!(config.defect.as_deref(), Some("no-rate-limit"));
        assert!(config.validate().is_ok());
        let config = super::config(&parse(&["--defect", "no-rate-limits"]), &no_env).unwrap();
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("did you mean `no-rate-limit`"), "{error}");
        let listed = list_defects();
        for defect in mock::DEFECTS {
            assert!(listed.contains(defect.name));
        }
    }

    #[test]
    fn variants_are_set_by_name_and_checked() {
        let args = parse(&[
            "--variant",
            "pretty-json",
            "--variant",
            "slow-apply-concurrent",
            "--variant",
            "pretty-json",
            "--slow-apply-concurrent-ms",
            "5500",
        ]);
        let config = config(&args, &no_env).unwrap();
        assert_eq!(config.variants, ["pretty-json", "slow-apply-concurrent"]);
        assert_eq!(config.slow_apply_concurrent_ms, Some(5500));
        assert!(config.validate().is_ok());
        let config = super::config(&parse(&["--variant", "prety-json"]), &no_env).unwrap();
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("did you mean `pretty-json`"), "{error}");
        let listed = list_variants();
        for variant in mock::VARIANTS {
            assert!(listed.contains(variant.name) && listed.contains(variant.source));
        }
    }

    #[test]
    fn a_bad_fault_is_a_usage_error() {
        let argv = ["mock", "--fault", "Nope=InternalError"];
        assert!(Wrapper::try_parse_from(argv).is_err());
    }

    #[test]
    fn key_pairs_and_tokens_pair_up_in_order() {
        let args = parse(&[
            "--secret-id",
            "A",
            "--secret-key",
            "ka",
            "--secret-id",
            "B",
            "--secret-key",
            "kb",
            "--token",
            "",
            "--token",
            "tb",
        ]);
        let creds = credentials(&args, &no_env).unwrap();
        assert_eq!(creds.len(), 2);
        assert_eq!(creds[0].token, None);
        assert_eq!(creds[1].token.as_deref(), Some("tb"));
        let args = parse(&["--secret-id", "A"]);
        assert!(credentials(&args, &no_env).is_err());
        let args = parse(&[
            "--secret-id",
            "A",
            "--secret-key",
            "k",
            "--token",
            "1",
            "--token",
            "2",
        ]);
        assert!(credentials(&args, &no_env).is_err());
    }

    #[test]
    fn the_environment_is_the_fallback() {
        let env = |name: &str| match name {
            "TENCENTCLOUD_SECRET_ID" => Some("AKIDenv".to_owned()),
            "TENCENTCLOUD_SECRET_KEY" => Some("envkey".to_owned()),
            "TENCENTCLOUD_SESSION_TOKEN" => Some("envtoken".to_owned()),
            _ => None,
        };
        let creds = credentials(&parse(&[]), &env).unwrap();
        assert_eq!(creds[0].secret_id, "AKIDenv");
        assert_eq!(creds[0].token.as_deref(), Some("envtoken"));
        let flags = parse(&["--secret-id", "F", "--secret-key", "fk"]);
        assert_eq!(credentials(&flags, &env).unwrap()[0].secret_id, "F");
        let half = |name: &str| (name == "TENCENTCLOUD_SECRET_ID").then(|| "A".to_owned());
        assert!(credentials(&parse(&[]), &half).is_err());
    }

    #[test]
    fn a_config_file_is_read_and_flags_win() {
        let dir = std::env::temp_dir().join(format!("car-mock-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mock.json");
        std::fs::write(&path, r#"{"concurrency_quota": 5, "player_limit": 2}"#).unwrap();
        let path_text = path.to_str().unwrap();
        let args = parse(&["--config", path_text, "--player-limit", "4"]);
        let config = config(&args, &no_env).unwrap();
        assert_eq!(config.concurrency_quota, 5);
        assert_eq!(config.player_limit, 4);
        std::fs::write(&path, r#"{"quota": 5}"#).unwrap();
        let error = super::config(&parse(&["--config", path_text]), &no_env).unwrap_err();
        assert!(error.to_string().contains("unknown field"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
