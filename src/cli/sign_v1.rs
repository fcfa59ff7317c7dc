//! cli: `car-conformance sign --algorithm HmacSHA1|HmacSHA256` — signature v1 of a request
//! described on the command line: prints the request line, headers and (POST) the form body with
//! every common parameter and the Signature; `--explain` adds the string to sign. A token is
//! shown as `<redacted>`, the SecretKey never.

use serde_json::Value;

use super::{Algorithm, SignArgs, SignError};
use crate::redact::REDACTED;
use crate::sign::Credentials;
use crate::sign::v1::{
    SignatureMethod, V1Common, encode_component, encode_params, flatten_json, sign_v1,
};

pub(super) fn render(
    args: &SignArgs,
    method: &str,
    credentials: &Credentials,
    timestamp: i64,
    body: &[u8],
) -> Result<String, SignError> {
    let signature_method = match args.algorithm {
        Algorithm::HmacSha1 => SignatureMethod::HmacSha1,
        Algorithm::HmacSha256 => SignatureMethod::HmacSha256,
        Algorithm::Tc3 => unreachable!("TC3 is rendered by the caller"),
    };
    if !args.signed_headers.is_empty() {
        return Err(SignError::Tc3Only("--signed-header"));
    }
    if args.unsigned_payload {
        return Err(SignError::Tc3Only("--unsigned-payload"));
    }
    if args.no_signature_method && signature_method != SignatureMethod::HmacSha1 {
        return Err(SignError::SignatureMethodNeeded);
    }
    if method != "GET" && method != "POST" {
        return Err(SignError::V1Method(method.to_owned()));
    }
    let nonce = match args.nonce {
        Some(0) => return Err(SignError::ZeroNonce),
        Some(nonce) => nonce,
        None => rand::random_range(1..=u64::from(u32::MAX)),
    };
    let common = V1Common {
        action: &args.action,
        version: &args.version,
        timestamp,
        nonce,
        region: args.region.as_deref(),
        language: args.language.as_deref(),
        method: (!args.no_signature_method).then_some(signature_method),
        credentials,
    };
    let mut params = common.params();
    let own = if method == "GET" && !args.query.is_empty() {
        args.query.as_bytes()
    } else {
        body
    };
    params.extend(action_params(own)?);
    let signed = sign_v1(
        method,
        &args.host,
        "/",
        params,
        &credentials.secret_key,
        signature_method,
    );

    let token = credentials.token.as_deref().filter(|t| !t.is_empty());
    let shown: Vec<(String, String)> = signed
        .params
        .iter()
        .map(|(name, value)| {
            let value = if name == "Token" { REDACTED } else { value };
            (name.clone(), value.to_owned())
        })
        .collect();
    // `<redacted>` would be percent-encoded like any value; keep it readable.
    let encoded = encode_params(&shown).replace(&encode_component(REDACTED), REDACTED);

    let mut out = String::new();
    if method == "GET" {
        out.push_str(&format!("GET /?{encoded}\n"));
    } else {
        out.push_str("POST /\n");
    }
    out.push_str(&format!("Host: {}\n", args.host));
    out.push_str("Content-Type: application/x-www-form-urlencoded\n");
    for header in &args.headers {
        out.push_str(header.trim());
        out.push('\n');
    }
    if method == "POST" {
        out.push_str(&format!("\n{encoded}\n"));
    }
    if token.is_some() {
        out.push_str("\n# Token is withheld: send your token in its place\n");
    }
    if args.explain {
        let to_sign = match token {
            Some(token) => signed
                .string_to_sign
                .replace(&format!("Token={token}"), &format!("Token={REDACTED}")),
            None => signed.string_to_sign.clone(),
        };
        out.push_str(&format!(
            "\n# string to sign (method + host + path + ? + sorted parameters, values raw)\n{to_sign}\n\n# signature ({}, Base64)\n{}\n\n# Signature as sent (URL-encoded)\n{}\n",
            signature_method.name(),
            signed.signature,
            encode_component(&signed.signature),
        ));
    }
    Ok(out)
}

/// The action's own parameters: a JSON object flattened as the official SDKs flatten it
/// (`Name.0.Field`), else form-encoded pairs.
fn action_params(text: &[u8]) -> Result<Vec<(String, String)>, SignError> {
    let trimmed = text.trim_ascii();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    if trimmed.first() == Some(&b'{') {
        let value: Value = serde_json::from_slice(trimmed)
            .map_err(|error| SignError::V1Params(error.to_string()))?;
        return Ok(flatten_json(&value));
    }
    Ok(url::form_urlencoded::parse(trimmed)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::render as render_any;
    use super::super::tests::{args, with_example_keys};
    use super::*;

    /// The Signature page's example, through the command line.
    const PUBLISHED: &[&str] = &[
        "--algorithm",
        "HmacSHA1",
        "--method",
        "GET",
        "--host",
        "cvm.tencentcloudapi.com",
        "--action",
        "DescribeInstances",
        "--version",
        "2017-03-12",
        "--region",
        "ap-guangzhou",
        "--timestamp",
        "1465185768",
        "--nonce",
        "11886",
        "--query",
        "InstanceIds.0=ins-09dx96dg&Offset=0&Limit=20",
        "--explain",
    ];

    #[test]
    fn without_signature_method_it_prints_the_published_signature() {
        let mut list = with_example_keys(PUBLISHED);
        list.push("--no-signature-method");
        let out = render_any(&args(&list)).unwrap();
        assert!(out.contains("\nGETcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886&Offset=0&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&Timestamp=1465185768&Version=2017-03-12\n"), "{out}");
        assert!(out.contains("\nEliP9YW3pW28FpsEdkXt/+WcGeI=\n"), "{out}");
        assert!(
            out.contains("\nEliP9YW3pW28FpsEdkXt%2F%2BWcGeI%3D\n"),
            "{out}"
        );
        let mut list = with_example_keys(PUBLISHED);
        list[1] = "HmacSHA256";
        list.push("--no-signature-method");
        assert!(matches!(
            render_any(&args(&list)),
            Err(SignError::SignatureMethodNeeded)
        ));
    }

    #[test]
    fn explain_shows_the_v1_string_to_sign_of_the_published_example() {
        let out = render_any(&args(&with_example_keys(PUBLISHED))).unwrap();
        // The page's example carries no SignatureMethod (HmacSHA1 is the default); the command
        // always names it, as the SDKs do, so the string to sign gains that one parameter.
        assert!(out.contains("\nGETcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886&Offset=0&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&SignatureMethod=HmacSHA1&Timestamp=1465185768&Version=2017-03-12\n"), "{out}");
        assert!(out.starts_with("GET /?Action=DescribeInstances&Version=2017-03-12&Timestamp=1465185768&Nonce=11886&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&Region=ap-guangzhou&SignatureMethod=HmacSHA1&InstanceIds.0=ins-09dx96dg&Offset=0&Limit=20&Signature="), "{out}");
        assert!(out.contains("# signature (HmacSHA1, Base64)"));
        assert!(!out.contains("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"));
    }

    #[test]
    fn post_sends_a_form_body_and_json_is_flattened() {
        let list = [
            "--algorithm",
            "HmacSHA256",
            "--body",
            r#"{"UserId":"u 1","UserIp":"1.2.3.4","Tags":[{"Key":"k"}]}"#,
            "--secret-id",
            "AKIDx",
            "--secret-key",
            "SUPERSECRETKEY",
            "--timestamp",
            "1700000000",
            "--nonce",
            "5",
        ];
        let out = render_any(&args(&list)).unwrap();
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some("POST /"));
        assert!(out.contains("Content-Type: application/x-www-form-urlencoded\n"));
        assert!(out.contains("\nAction=CreateSession&Version=2022-01-10&Timestamp=1700000000&Nonce=5&SecretId=AKIDx&SignatureMethod=HmacSHA256&UserId=u%201&UserIp=1.2.3.4&Tags.0.Key=k&Signature="), "{out}");
        assert!(!out.contains("SUPERSECRETKEY"));
    }

    #[test]
    fn neither_the_key_nor_the_token_is_printed() {
        for algorithm in ["HmacSHA1", "HmacSHA256", "TC3-HMAC-SHA256"] {
            for method in ["GET", "POST"] {
                let list = [
                    "--algorithm",
                    algorithm,
                    "--method",
                    method,
                    "--secret-id",
                    "AKIDx",
                    "--secret-key",
                    "SUPERSECRETKEY",
                    "--token",
                    "SECRETTOKENVALUE",
                    "--explain",
                ];
                let out = render_any(&args(&list)).unwrap();
                assert!(
                    !out.contains("SUPERSECRETKEY"),
                    "{algorithm} {method}: {out}"
                );
                assert!(
                    !out.contains("SECRETTOKENVALUE"),
                    "{algorithm} {method}: {out}"
                );
                assert!(out.contains(REDACTED), "{algorithm} {method}: {out}");
            }
        }
    }

    #[test]
    fn the_signature_printed_verifies() {
        let list = [
            "--algorithm",
            "HmacSHA256",
            "--method",
            "GET",
            "--host",
            "127.0.0.1:8080",
            "--query",
            "UserId=u1",
            "--secret-id",
            "AKIDx",
            "--secret-key",
            "k",
            "--timestamp",
            "1700000000",
        ];
        let out = render_any(&args(&list)).unwrap();
        let query = out.lines().next().unwrap().strip_prefix("GET /?").unwrap();
        let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let keys = |id: &str| {
            (id == "AKIDx").then(|| crate::sign::KeyEntry {
                secret_key: "k".into(),
                token: None,
            })
        };
        let received = crate::sign::V1Received {
            method: "GET",
            host: "127.0.0.1:8080",
            path: "/",
            params: &params,
        };
        let policy = crate::sign::V1Policy {
            now: 1_700_000_000,
            window_secs: 300,
        };
        let verified = crate::sign::verify_v1(&received, &keys, &policy).unwrap();
        assert_eq!(verified.method, SignatureMethod::HmacSha256);
    }

    #[test]
    fn tc3_and_v1_options_do_not_mix() {
        let base = ["--secret-id", "AKIDx", "--secret-key", "k"];
        let mut list = base.to_vec();
        list.extend(["--algorithm", "HmacSHA1", "--signed-header", "x-tc-action"]);
        assert!(matches!(
            render_any(&args(&list)),
            Err(SignError::Tc3Only("--signed-header"))
        ));
        let mut list = base.to_vec();
        list.extend(["--nonce", "3"]);
        assert!(matches!(
            render_any(&args(&list)),
            Err(SignError::V1Only("--nonce"))
        ));
        let mut list = base.to_vec();
        list.extend(["--algorithm", "HmacSHA1", "--method", "PUT"]);
        assert!(matches!(
            render_any(&args(&list)),
            Err(SignError::V1Method(_))
        ));
        let mut list = base.to_vec();
        list.extend(["--algorithm", "HmacSHA1", "--nonce", "0"]);
        assert!(matches!(
            render_any(&args(&list)),
            Err(SignError::ZeroNonce)
        ));
    }
}
