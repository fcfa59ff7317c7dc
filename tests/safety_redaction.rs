//! Secrets never show: with a known SecretKey and token in the environment, `RUST_LOG=debug`
//! (and `trace`), a report directory and snapshots being written, nothing the run prints or
//! writes contains the SecretKey, the token, or any signature it sent — even against a target
//! that echoes every request header back. The signatures are recomputed from the strings to
//! sign that the debug log shows (which is also what point 8 asks the log to show).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use car_conformance::send::request::WRONG_SECRET_KEY;
use car_conformance::sign::SigningKey;
use serde_json::json;

use common::cases::{apply, case, destroy, write_cases};
use common::misbehaving::{Misbehaving, Misbehaviour};
use common::{bin, shown, temp_dir, text};

const SECRET_ID: &str = "AKIDsafetyREDACTIONtest00000001";
const SECRET_KEY: &str = "safetyRedactionSecretKey0123456789";
const TOKEN: &str = "safetyRedactionSessionToken-abcdef0123456789";

fn with_secrets(command: &mut std::process::Command, log: &str) {
    command
        .env("TENCENTCLOUD_SECRET_ID", SECRET_ID)
        .env("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
        .env("TENCENTCLOUD_SESSION_TOKEN", TOKEN)
        .env("RUST_LOG", log)
        .env("INSTA_UPDATE", "always")
        .env_remove("CI");
}

/// Every file under `dir`, with its text.
fn files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            out.push((path, text));
        }
    }
    out
}

/// The strings to sign the debug log shows, unescaped.
fn strings_to_sign(log: &str) -> Vec<String> {
    log.split("string_to_sign=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|escaped| escaped.replace("\\n", "\n"))
        .collect()
}

/// The signature of `to_sign` with `key`, derived from the scope the string names.
fn signature(key: &str, to_sign: &str) -> Option<String> {
    let scope = to_sign.lines().nth(2)?;
    let mut parts = scope.split('/');
    let (date, service) = (parts.next()?, parts.next()?);
    Some(SigningKey::derive(key, date, service).sign(to_sign))
}

/// Checks that no output of `runs` and no file under `dirs` shows a secret or a signature.
fn assert_nothing_leaks(runs: &[&Output], dirs: &[&Path]) -> usize {
    let mut texts: Vec<(String, String)> = Vec::new();
    for (i, output) in runs.iter().enumerate() {
        texts.push((format!("run {i} stdout"), text(&output.stdout)));
        texts.push((format!("run {i} stderr"), text(&output.stderr)));
    }
    for dir in dirs {
        for (path, body) in files(dir) {
            texts.push((path.display().to_string(), body));
        }
    }
    let mut signatures = Vec::new();
    for (_, body) in texts.iter().filter(|(name, _)| name.ends_with("stderr")) {
        for to_sign in strings_to_sign(body) {
            for key in [SECRET_KEY, WRONG_SECRET_KEY] {
                signatures.extend(signature(key, &to_sign));
            }
        }
    }
    signatures.sort();
    signatures.dedup();
    for (name, body) in &texts {
        assert!(!body.contains(SECRET_KEY), "the SecretKey shows in {name}");
        assert!(!body.contains(TOKEN), "the token shows in {name}");
        for signature in &signatures {
            assert!(
                !body.contains(signature.as_str()),
                "a signature shows in {name}: {signature}"
            );
        }
        for (at, _) in body.match_indices("Signature=") {
            let after = &body[at + "Signature=".len()..];
            assert!(
                !after.starts_with(|c: char| c.is_ascii_hexdigit()),
                "a signature follows `Signature=` in {name}"
            );
        }
    }
    signatures.len()
}

#[test]
fn the_suite_with_debug_logs_reports_and_snapshots_shows_no_secret() {
    let report_dir = temp_dir("redaction-report");
    let snapshots = temp_dir("redaction-snapshots");
    let mut command = bin();
    with_secrets(&mut command, "debug");
    let output = command
        .arg("--report-dir")
        .arg(&report_dir)
        .arg("--snapshots")
        .arg(&snapshots)
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(2), "{}", shown(&output));
    let stderr = text(&output.stderr);
    // Point 8: each signed request shows its canonical request and string to sign.
    let signed = strings_to_sign(&stderr).len();
    assert!(signed > 500, "{signed} strings to sign in the debug log");
    assert_eq!(stderr.matches("canonical_request=\"").count(), signed);
    assert!(stderr.contains("canonical_request=\"POST\\n/\\n\\ncontent-type:application/json"));
    assert!(stderr.contains("string_to_sign=\"TC3-HMAC-SHA256\\n"));
    assert!(!files(&report_dir).is_empty() && !files(&snapshots).is_empty());
    let checked = assert_nothing_leaks(&[&output], &[&report_dir, &snapshots]);
    assert!(checked > 500, "{checked} signatures checked");
    let _ = std::fs::remove_dir_all(&report_dir);
    let _ = std::fs::remove_dir_all(&snapshots);
}

#[test]
fn a_target_that_echoes_the_request_back_leaks_nothing_even_at_trace() {
    let echo = Misbehaving::start(Misbehaviour::Echo);
    let cases = temp_dir("redaction-echo-cases");
    let mut snapshot_step = apply(json!({"code": "FailedOperation", "snapshot": true}));
    snapshot_step["expect"]["schema"] = json!("none");
    write_cases(
        &cases,
        "echo.json",
        vec![case(
            "echoed",
            &["rule.lock.required"],
            vec![snapshot_step],
            vec![destroy()],
        )],
    );
    let report_dir = temp_dir("redaction-echo-report");
    let snapshots = temp_dir("redaction-echo-snapshots");
    let mut command = bin();
    with_secrets(&mut command, "trace");
    let output = command
        .args(["--target", &echo.url, "--cases"])
        .arg(&cases)
        .arg("--report-dir")
        .arg(&report_dir)
        .arg("--snapshots")
        .arg(&snapshots)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", shown(&output));
    let stdout = text(&output.stdout);
    // The failure shows the answer, and the answer quoted the request's headers.
    assert!(
        stdout.contains("X-TC-Token: <redacted>") || stdout.contains("x-tc-token: <redacted>"),
        "{stdout}"
    );
    assert!(stdout.contains("Signature=<redacted>"), "{stdout}");
    assert!(!files(&snapshots).is_empty(), "the answer was snapshotted");
    let checked = assert_nothing_leaks(&[&output], &[&report_dir, &snapshots]);
    assert!(checked >= 3, "{checked} signatures checked");
    let _ = std::fs::remove_dir_all(&cases);
    let _ = std::fs::remove_dir_all(&report_dir);
    let _ = std::fs::remove_dir_all(&snapshots);
}
