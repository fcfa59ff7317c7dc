//! Credentials go only where they belong: a target elsewhere without TENCENTCLOUD_* is refused
//! before anything is sent (the test pair would earn AuthFailure on every case); the embedded
//! mock is never signed with the user's real credentials; a proxy in HTTP_PROXY never sees the
//! requests to a target on this machine, and the run says when a proxy is in use.

mod common;

use serde_json::json;

use common::cases::{apply, case, destroy, one_case_dir, write_cases};
use common::misbehaving::{Misbehaving, Misbehaviour};
use common::mock::InProcess as Mock;
use common::{bin, shown, temp_dir, text};

const REAL_ID: &str = "AKIDcredentialsTESTreal000000001";
const REAL_KEY: &str = "credentialsTestRealSecretKey0123";

#[test]
fn a_target_elsewhere_without_credentials_is_refused_before_sending() {
    let cases = one_case_dir("credentials-elsewhere");
    let output = bin()
        .args(["--target", "https://car.tencentcloudapi.invalid", "--cases"])
        .arg(&cases)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", shown(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("is not this machine and TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY are not set: nothing was sent"),
        "{}",
        shown(&output)
    );
    assert!(text(&output.stdout).is_empty(), "{}", shown(&output));
    let _ = std::fs::remove_dir_all(&cases);
}

#[test]
fn the_embedded_mock_is_never_signed_with_real_credentials() {
    let output = bin()
        .env("TENCENTCLOUD_SECRET_ID", REAL_ID)
        .env("TENCENTCLOUD_SECRET_KEY", REAL_KEY)
        .args(["--dry-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    let stdout = text(&output.stdout);
    assert!(!stdout.contains(REAL_ID), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "Credential={}/",
            car_conformance::mock::TEST_SECRET_ID
        )),
        "{stdout}"
    );
}

#[test]
fn a_proxy_never_sees_requests_to_a_target_on_this_machine() {
    let proxy = Misbehaving::start(Misbehaviour::Empty);
    let mock = Mock::start(car_conformance::mock::MockConfig {
        credentials: vec![car_conformance::mock::MockCredential::new(
            REAL_ID, REAL_KEY,
        )],
        ..car_conformance::mock::MockConfig::default()
    });
    let cases = temp_dir("credentials-proxy");
    write_cases(
        &cases,
        "proxied.json",
        vec![case(
            "apply",
            &["rule.lock.required"],
            vec![apply(json!({"success": true}))],
            vec![destroy()],
        )],
    );
    let output = bin()
        .env("TENCENTCLOUD_SECRET_ID", REAL_ID)
        .env("TENCENTCLOUD_SECRET_KEY", REAL_KEY)
        .env("HTTP_PROXY", &proxy.url)
        .env("http_proxy", &proxy.url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .args(["--target", &mock.url(), "--cases"])
        .arg(&cases)
        .output()
        .unwrap();
    assert_eq!(proxy.connections(), 0, "{}", shown(&output));
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    assert!(
        text(&output.stdout)
            .contains("proxy: HTTP_PROXY is set and ignored: the target is on this machine"),
        "{}",
        shown(&output)
    );
    let _ = std::fs::remove_dir_all(&cases);
}

#[test]
fn a_private_ca_is_trusted_with_cacert_and_a_bad_one_is_refused_before_sending() {
    let cases = one_case_dir("credentials-cacert");
    let mock = Mock::start(car_conformance::mock::MockConfig::default());
    let not_pem = cases.join("target.json");
    for (file, expected) in [
        (cases.join("missing.pem"), "cannot read --cacert"),
        (not_pem, "no PEM certificate in it"),
    ] {
        let output = bin()
            .args(["--target", &mock.url(), "--cases"])
            .arg(&cases)
            .arg("--cacert")
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", shown(&output));
        assert!(
            text(&output.stderr).contains(expected),
            "{}",
            shown(&output)
        );
    }
    let system = std::path::Path::new("/etc/ssl/certs/ca-certificates.crt");
    if system.is_file() {
        let output = bin()
            .args(["--target", &mock.url(), "--cases"])
            .arg(&cases)
            .arg("--cacert")
            .arg(system)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    }
    let _ = std::fs::remove_dir_all(&cases);
}
