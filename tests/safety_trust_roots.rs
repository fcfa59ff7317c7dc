//! TLS trusts the system's roots besides the bundled web roots (issue 15): a private CA the
//! system trusts — given here through `SSL_CERT_FILE`, which the system-store loader honours —
//! is trusted without `--cacert`; `--cacert FILE` still works on its own; and a certificate
//! nothing trusts ends the run with a sentence that names both ways to trust it, not the TLS
//! library's error chain. The target is `car-conformance mock --tls`, whose CA is generated.

mod common;

use std::path::Path;
use std::process::Output;

use common::cases::one_case_dir;
use common::mock::Process;
use common::{bin, shown, temp_dir, text};

/// `car-conformance --target URL --cases CASES EXTRA…`, with neither `SSL_CERT_FILE` nor
/// `SSL_CERT_DIR` from the caller's environment unless `cert_file` is given.
fn run(url: &str, cases: &Path, cert_file: Option<&Path>, extra: &[&str]) -> Output {
    let mut command = bin();
    command
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR");
    if let Some(file) = cert_file {
        command.env("SSL_CERT_FILE", file);
    }
    command
        .args(["--target", url, "--cases"])
        .arg(cases)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_ca_the_system_trusts_is_trusted_and_an_unknown_one_is_named_plainly() {
    let dir = temp_dir("trust-roots");
    let ca = dir.join("mock-ca.pem");
    let ca_arg = ca.to_str().unwrap();
    let mock = Process::start(&["--tls", "--tls-ca-out", ca_arg]);
    assert!(mock.url.starts_with("https://127.0.0.1:"), "{}", mock.url);
    let cases = one_case_dir("trust-roots-cases");

    // Trusted by nothing: the run stops with a sentence, and the chain is not shown.
    let output = run(&mock.url, &cases, None, &[]);
    let both = shown(&output);
    assert_ne!(output.status.code(), Some(0), "{both}");
    let port = mock
        .url
        .trim_start_matches("https://")
        .trim_end_matches('/');
    assert!(
        both.contains(&format!(
            "the TLS certificate of {port} is not trusted by this system's roots (or SSL_CERT_FILE) nor the bundled web roots; if a private CA signed it, give that CA with --cacert FILE or add it to the system's store ("
        )),
        "{both}"
    );
    assert!(!both.contains("client error (Connect)"), "{both}");

    // The system's store (here SSL_CERT_FILE) holding the CA is enough.
    let output = run(&mock.url, &cases, Some(&ca), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    assert!(
        text(&output.stdout).contains("verdict: PASS"),
        "{}",
        shown(&output)
    );

    // --cacert alone, as before.
    let output = run(&mock.url, &cases, None, &["--cacert", ca_arg]);
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));

    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&cases);
}
