//! cli: `car-conformance sign` — signs a request described on the command line and prints the
//! headers to send (and, with `--explain`, every intermediate step), for debugging a mismatch.
//! TC3-HMAC-SHA256 here; signature v1 (`--algorithm HmacSHA1|HmacSHA256`) in [`v1`]. Neither
//! the SecretKey nor the token is ever printed.

#[path = "sign_v1.rs"]
mod v1;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::sign::{Credentials, SignRequest, Signed, sign};

/// The signature algorithm: TC3 (the default) or one of the two v1 methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Algorithm {
    #[value(name = "TC3-HMAC-SHA256")]
    Tc3,
    #[value(name = "HmacSHA1")]
    HmacSha1,
    #[value(name = "HmacSHA256")]
    HmacSha256,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SignArgs {
    /// Signature algorithm: TC3-HMAC-SHA256 (headers) or signature v1, HmacSHA1 / HmacSHA256
    /// (common parameters in the query or a form-encoded body).
    #[arg(long, value_enum, default_value = "TC3-HMAC-SHA256")]
    algorithm: Algorithm,
    /// v1 only: the Nonce, a positive integer (default: random).
    #[arg(long)]
    nonce: Option<u64>,
    /// HmacSHA1 only: leave the SignatureMethod parameter out, as the Signature page's example
    /// does (a server then verifies with HmacSHA1).
    #[arg(long)]
    no_signature_method: bool,
    /// HTTP method: POST (JSON body) or GET (form-encoded query).
    #[arg(long, default_value = "POST")]
    method: String,
    /// The Host header exactly as sent, port included.
    #[arg(long, default_value = "car.tencentcloudapi.com")]
    host: String,
    /// Service name in the credential scope.
    #[arg(long, default_value = "car")]
    service: String,
    /// Value of X-TC-Action.
    #[arg(long, default_value = "CreateSession")]
    action: String,
    /// Value of X-TC-Version.
    #[arg(long, default_value = "2022-01-10")]
    version: String,
    /// Value of X-TC-Region (not sent when absent).
    #[arg(long)]
    region: Option<String>,
    /// Value of X-TC-Language (`zh-CN` or `en-US`; not sent when absent).
    #[arg(long)]
    language: Option<String>,
    /// Unix timestamp in seconds (default: now).
    #[arg(long)]
    timestamp: Option<String>,
    /// Content-Type (default: application/json for POST, application/x-www-form-urlencoded for GET).
    #[arg(long)]
    content_type: Option<String>,
    /// Query string as sent, without `?` (GET). With v1: the action's parameters, form-encoded.
    #[arg(long, default_value = "")]
    query: String,
    /// Request body as sent. With v1: the action's parameters, form-encoded or a JSON object
    /// (flattened as the SDKs do: `A.0.B=…`).
    #[arg(long, conflicts_with = "body_file")]
    body: Option<String>,
    /// Read the request body from this file.
    #[arg(long)]
    body_file: Option<PathBuf>,
    /// SecretId.
    #[arg(long, env = "TENCENTCLOUD_SECRET_ID", hide_env_values = true)]
    secret_id: Option<String>,
    /// SecretKey (prefer the environment variable: a command line can be seen by others).
    #[arg(long, env = "TENCENTCLOUD_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Token of temporary credentials, sent as X-TC-Token.
    #[arg(long, env = "TENCENTCLOUD_SESSION_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Another header to send, `Name: value` (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Sign this header too, with the value the request sends (repeatable), e.g. x-tc-action.
    #[arg(long = "signed-header", value_name = "NAME")]
    signed_headers: Vec<String>,
    /// Sign `UNSIGNED-PAYLOAD` instead of the body's hash (sends X-TC-Content-SHA256).
    #[arg(long)]
    unsigned_payload: bool,
    /// Also print the canonical request, the string to sign and the signature.
    #[arg(long)]
    explain: bool,
}

/// Why a `sign` command line cannot be signed.
#[derive(Debug, thiserror::Error)]
enum SignError {
    #[error("no SecretId: pass --secret-id or set TENCENTCLOUD_SECRET_ID")]
    MissingSecretId,
    #[error("no SecretKey: pass --secret-key or set TENCENTCLOUD_SECRET_KEY")]
    MissingSecretKey,
    #[error("bad --timestamp `{0}`: expected Unix seconds, e.g. 1700000000")]
    BadTimestamp(String),
    #[error("cannot read --body-file {path}: {source}")]
    BodyFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bad --header `{0}`: expected `Name: value`")]
    BadHeader(String),
    #[error("--signed-header {0}: the request sends no such header (add it with --header)")]
    UnknownSignedHeader(String),
    #[error("{0} is a TC3 option; signature v1 has no headers to sign")]
    Tc3Only(&'static str),
    #[error("{0} is a signature v1 option (--algorithm HmacSHA1 or HmacSHA256)")]
    V1Only(&'static str),
    #[error(
        "--no-signature-method needs --algorithm HmacSHA1: without SignatureMethod a server verifies with HmacSHA1"
    )]
    SignatureMethodNeeded,
    #[error("--method {0}: signature v1 signs GET or POST")]
    V1Method(String),
    #[error("the v1 parameters are neither form-encoded nor a JSON object: {0}")]
    V1Params(String),
    #[error("--nonce must be a positive integer")]
    ZeroNonce,
}

pub fn execute(args: SignArgs) -> ExitCode {
    match render(&args) {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (e.g. `| head`) is not an error worth reporting.
            let _ = stdout.write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(error) => super::usage_error(error),
    }
}

fn render(args: &SignArgs) -> Result<String, SignError> {
    let secret_id = args
        .secret_id
        .clone()
        .filter(|v| !v.is_empty())
        .ok_or(SignError::MissingSecretId)?;
    let secret_key = args
        .secret_key
        .clone()
        .filter(|v| !v.is_empty())
        .ok_or(SignError::MissingSecretKey)?;
    let mut credentials = Credentials::new(secret_id, secret_key);
    credentials.token = args.token.clone().filter(|v| !v.is_empty());

    let timestamp = match &args.timestamp {
        None => now(),
        Some(text) => text
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|t| *t >= 0)
            .ok_or_else(|| SignError::BadTimestamp(text.clone()))?,
    };
    let body = match (&args.body, &args.body_file) {
        (Some(body), _) => body.clone().into_bytes(),
        (None, Some(path)) => std::fs::read(path).map_err(|source| SignError::BodyFile {
            path: path.clone(),
            source,
        })?,
        (None, None) => Vec::new(),
    };
    let method = args.method.to_ascii_uppercase();
    if args.algorithm != Algorithm::Tc3 {
        return v1::render(args, &method, &credentials, timestamp, &body);
    }
    if args.nonce.is_some() {
        return Err(SignError::V1Only("--nonce"));
    }
    if args.no_signature_method {
        return Err(SignError::V1Only("--no-signature-method"));
    }
    let content_type = args.content_type.clone().unwrap_or_else(|| {
        if method == "GET" {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        }
        .to_owned()
    });

    let mut extra: Vec<(String, String)> = Vec::new();
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| SignError::BadHeader(header.clone()))?;
        if name.trim().is_empty() {
            return Err(SignError::BadHeader(header.clone()));
        }
        extra.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let standard = [
        ("x-tc-action", Some(args.action.clone())),
        ("x-tc-version", Some(args.version.clone())),
        ("x-tc-timestamp", Some(timestamp.to_string())),
        ("x-tc-region", args.region.clone()),
        ("x-tc-language", args.language.clone()),
        ("x-tc-token", credentials.token.clone()),
        (
            "x-tc-content-sha256",
            args.unsigned_payload
                .then(|| crate::sign::UNSIGNED_PAYLOAD.to_owned()),
        ),
    ];
    let mut signed_extra: Vec<(String, String)> = Vec::new();
    for name in &args.signed_headers {
        let lower = name.trim().to_ascii_lowercase();
        if lower == "content-type" || lower == "host" {
            continue; // always signed
        }
        let value = extra
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&lower))
            .map(|(_, v)| v.clone())
            .or_else(|| {
                standard
                    .iter()
                    .find(|(n, _)| *n == lower)
                    .and_then(|(_, v)| v.clone())
            })
            .ok_or_else(|| SignError::UnknownSignedHeader(name.clone()))?;
        signed_extra.push((lower, value));
    }

    let request = SignRequest {
        method: &method,
        host: &args.host,
        content_type: &content_type,
        query: &args.query,
        body: &body,
        timestamp,
        service: &args.service,
        action: &args.action,
        version: &args.version,
        region: args.region.as_deref(),
        language: args.language.as_deref(),
        credentials: &credentials,
        extra_signed_headers: &signed_extra,
        unsigned_payload: args.unsigned_payload,
    };
    let signed = sign(&request).ok_or_else(|| SignError::BadTimestamp(timestamp.to_string()))?;
    let mut headers = signed.headers.clone();
    for (name, value) in extra {
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            headers.push((name, value));
        }
    }
    Ok(format_output(&headers, &signed, args.explain))
}

fn format_output(headers: &[(String, String)], signed: &Signed, explain: bool) -> String {
    let mut out = String::new();
    for (name, value) in headers {
        // The token is a credential: the caller has it, the terminal need not show it.
        let value = if name.eq_ignore_ascii_case("x-tc-token") {
            crate::redact::REDACTED
        } else {
            value.as_str()
        };
        out.push_str(&format!("{name}: {value}\n"));
    }
    if explain {
        out.push_str(&format!(
            "\n# hashed payload\n{}\n\n# canonical request\n{}\n\n# hash of canonical request\n{}\n\n# string to sign\n{}\n\n# signature\n{}\n",
            signed.hashed_payload,
            signed.canonical_request,
            crate::sign::hex_sha256(signed.canonical_request.as_bytes()),
            signed.string_to_sign,
            signed.signature,
        ));
    }
    out
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: SignArgs,
    }

    /// `sign` arguments as parsed from `list` (the v1 tests use it too).
    pub(super) fn args(list: &[&str]) -> SignArgs {
        let mut argv = vec!["sign"];
        argv.extend_from_slice(list);
        Wrapper::try_parse_from(argv).expect("valid arguments").args
    }

    /// `list` with the key pair of Tencent Cloud's published signing examples (documentation
    /// values, nobody's account), as the TC3 and v1 example tests sign with.
    pub(super) fn with_example_keys<'a>(list: &[&'a str]) -> Vec<&'a str> {
        let keys = [
            "--secret-id",
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            "--secret-key",
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        ];
        [list, &keys].concat()
    }

    const GET_EXAMPLE: &[&str] = &[
        "--method",
        "GET",
        "--host",
        "cvm.tencentcloudapi.com",
        "--service",
        "cvm",
        "--action",
        "DescribeInstances",
        "--version",
        "2017-03-12",
        "--region",
        "ap-guangzhou",
        "--timestamp",
        "1539084154",
        "--query",
        "Limit=10&Offset=0",
    ];

    #[test]
    fn published_get_example_prints_the_published_signature() {
        let mut list = with_example_keys(GET_EXAMPLE);
        list.push("--explain");
        let out = render(&args(&list)).unwrap();
        assert!(out.lines().any(|line| line == "Authorization: TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2018-10-09/cvm/tc3_request, SignedHeaders=content-type;host, Signature=5da7a33f6993f0614b047e5df4582db9e9bf4672ba50567dba16c6ccf174c474"));
        assert!(out.contains("91c9c192c14460df6c1ffc69e34e6c5e90708de2a6d282cccf957dbf1aa7f3a7"));
        assert!(out.contains(
            "GET\n/\nLimit=10&Offset=0\ncontent-type:application/x-www-form-urlencoded\n"
        ));
        assert!(!out.contains("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"));
    }

    #[test]
    fn signed_header_takes_the_value_sent() {
        let mut list = with_example_keys(GET_EXAMPLE);
        list.extend(["--signed-header", "X-TC-Action", "--explain"]);
        let out = render(&args(&list)).unwrap();
        assert!(out.contains("SignedHeaders=content-type;host;x-tc-action,"));
        assert!(out.contains("x-tc-action:describeinstances\n"));
    }

    #[test]
    fn errors_are_one_clear_line() {
        let list = [
            "--secret-id",
            "AKID",
            "--secret-key",
            "k",
            "--timestamp",
            "soon",
        ];
        let error = render(&args(&list)).unwrap_err().to_string();
        assert_eq!(
            error,
            "bad --timestamp `soon`: expected Unix seconds, e.g. 1700000000"
        );
        let list = [
            "--secret-id",
            "AKID",
            "--secret-key",
            "k",
            "--signed-header",
            "x-custom",
        ];
        assert!(matches!(
            render(&args(&list)),
            Err(SignError::UnknownSignedHeader(_))
        ));
    }
}
