//! `--target-config FILE`: a vendor's target settings from a versioned TOML or JSON file —
//! URL, project id, client IP, capabilities (cases needing a missing one are skipped with the
//! reason), rate — overridden by flags; a file holding a credential is refused before anything
//! is sent.

mod common;

use std::net::TcpListener;
use std::path::Path;

use common::cases::{apply, case, write_cases};
use common::mock::InProcess as Mock;
use common::{bin, shown, temp_dir, text};

fn profile(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// A port nothing listens on: a dry run must not care, a real run would be refused.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

#[test]
fn a_toml_profile_sets_the_target_and_its_values_and_flags_override_it() {
    let dir = temp_dir("profile-toml");
    let url = closed_port_url();
    let file = profile(
        &dir,
        "vendor.toml",
        &format!(
            "# a vendor's target, versioned\nurl = \"{url}\"\nname = \"vendor-x\"\nregion = \"ap-guangzhou\"\nproject_id = \"cap-profile0001\"\napplication_id = \"app-profile0001\"\nclient_ip = \"198.51.100.7\"\ncapabilities = []\nrate = 25\nrequest_timeout = \"7s\"\n"
        ),
    );
    let output = bin()
        .args(["--target-config", &file, "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    let stdout = text(&output.stdout);
    assert!(stdout.contains(&format!("against {url}")), "{stdout}");
    assert!(
        stdout.contains("\"ProjectId\":\"cap-profile0001\""),
        "{stdout}"
    );
    assert!(stdout.contains("\"UserIp\":\"198.51.100.7\""), "{stdout}");
    assert!(stdout.contains("X-TC-Region: ap-guangzhou"), "{stdout}");
    assert!(
        stdout.contains("safety: at most 25 requests/s per action, at most 8 requests in flight, time limits 7s per request"),
        "{stdout}"
    );
    assert!(stdout.contains("application app-profile0001"), "{stdout}");
    // No multi-person capability: the room cases are skipped, with the reason.
    assert!(
        stdout.contains(
            "case business/rooms/guest-joins-host [should]\n  skipped: needs capability `multi-person` (a step sends HostUserId (a multi-person room)), which the target profile does not list"
        ),
        "{stdout}"
    );

    // Flags win over the profile.
    let output = bin()
        .args([
            "--target-config",
            &file,
            "--project-id",
            "cap-flag0001",
            "--rate",
            "5",
            "--dry-run",
        ])
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("\"ProjectId\":\"cap-flag0001\""),
        "{stdout}"
    );
    assert!(!stdout.contains("cap-profile0001"), "{stdout}");
    assert!(
        stdout.contains("at most 5 requests/s per action"),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_json_profile_with_the_capability_runs_the_room_cases() {
    let dir = temp_dir("profile-json");
    let file = profile(
        &dir,
        "vendor.json",
        &format!(
            r#"{{"url": "{}", "capabilities": ["multi-person"]}}"#,
            closed_port_url()
        ),
    );
    let output = bin()
        .args([
            "--target-config",
            &file,
            "--dry-run",
            "business/rooms/guest-joins-host",
            "--exact",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("\"HostUserId\""), "{stdout}");
    assert!(!stdout.contains("skipped:"), "{stdout}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_profile_with_a_credential_is_refused_and_nothing_is_sent() {
    let dir = temp_dir("profile-credential");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let file = profile(
        &dir,
        "leaky.toml",
        &format!(
            "url = \"http://{}\"\nSecretKey = \"do-not-put-me-here-0123456789\"\n",
            listener.local_addr().unwrap()
        ),
    );
    let output = bin().args(["--target-config", &file]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", shown(&output));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("has `SecretKey`, which looks like a credential: credentials never go in a target profile; set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY"),
        "{stderr}"
    );
    assert!(!stderr.contains("do-not-put-me-here"), "{stderr}");
    assert!(
        listener.accept().is_err(),
        "something connected to the target"
    );
    let unknown = profile(&dir, "typo.toml", "projet_id = \"x\"\n");
    let output = bin().args(["--target-config", &unknown]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", shown(&output));
    assert!(
        text(&output.stderr).contains("`project_id`"),
        "{}",
        shown(&output)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_profile_names_the_known_failures_of_its_target() {
    let mock = Mock::start(car_conformance::mock::MockConfig::default());
    let dir = temp_dir("profile-baseline");
    let cases = dir.join("cases");
    std::fs::create_dir_all(&cases).unwrap();
    write_cases(
        &cases,
        "known.json",
        vec![case(
            "wrong",
            &["rule.lock.required"],
            vec![apply(
                serde_json::json!({"code": "ResourceNotFound.NoIdle"}),
            )],
            vec![],
        )],
    );
    std::fs::write(
        dir.join("known-failures.json"),
        r#"{"known_failures": [{"id": "known/wrong", "reason": "this target has free concurrency"}]}"#,
    )
    .unwrap();
    // The baseline path is relative to the profile's directory.
    let file = profile(
        &dir,
        "vendor.toml",
        &format!(
            "url = \"{}\"\nbaseline = \"known-failures.json\"\n",
            mock.url()
        ),
    );
    let output = bin()
        .args(["--target-config", &file, "--cases"])
        .arg(&cases)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    assert!(
        text(&output.stdout).contains("known failure: this target has free concurrency"),
        "{}",
        shown(&output)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
