//! Target text is hostile: a Code carrying terminal escapes (`ESC]0;…BEL` retitles a terminal,
//! `ESC[2J` clears it) and a megabyte long reaches no terminal raw and no report whole — every
//! output escapes the control characters, and each target-derived text is capped.

mod common;

use std::sync::Arc;

use serde_json::json;

use common::cases::{apply, case, destroy, write_cases};
use common::misbehaving::{Misbehaving, Misbehaviour, Script};
use common::{shown, suite, temp_dir, text};

#[test]
fn a_hostile_code_reaches_no_terminal_raw_and_no_report_whole() {
    let code = format!("Bad\u{1b}]0;owned\u{7}\u{1b}[2J\r{}", "A".repeat(1_000_000));
    let script = Arc::new(Script {
        apply_error: Some(code),
        ..Script::default()
    });
    let target = Misbehaving::start(Misbehaviour::Scripted(Arc::clone(&script)));
    let cases = temp_dir("hostile-text-cases");
    let report_dir = temp_dir("hostile-text-report");
    write_cases(
        &cases,
        "one.json",
        vec![case(
            "lock",
            &["rule.lock.required"],
            vec![apply(json!({"success": true}))],
            vec![destroy()],
        )],
    );
    let output = suite(&target.url, &[], &cases, &report_dir)
        .env("RUST_LOG", "car_conformance=debug")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", shown(&output));
    for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        assert!(
            !bytes.iter().any(|b| matches!(b, 0x1b | 0x07 | b'\r')),
            "raw control characters on {name}"
        );
        assert!(bytes.len() < 200_000, "{name}: {} bytes", bytes.len());
    }
    assert!(
        text(&output.stdout).contains("Bad\\u{1b}]0;owned\\u{7}"),
        "{}",
        &text(&output.stdout)[..2000.min(output.stdout.len())]
    );
    for file in ["report.json", "junit.xml", "summary.md", "report.html"] {
        let bytes = std::fs::read(report_dir.join(file)).unwrap();
        assert!(
            bytes.len() < 300_000,
            "{file}: {} bytes for one case",
            bytes.len()
        );
        assert!(
            !bytes.iter().any(|b| matches!(b, 0x1b | 0x07 | b'\r')),
            "raw control characters in {file}"
        );
    }
    let _ = std::fs::remove_dir_all(&cases);
    let _ = std::fs::remove_dir_all(&report_dir);
}
