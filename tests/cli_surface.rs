//! The command line as a user meets it: `--help` and `--version` like any cargo tool, libtest's
//! dead flags refused by name, a word of its own for every ending, `--list --format json`,
//! `--format json|terse`, shell completions and the manual page, and `--color` with `NO_COLOR`.

mod common;

use std::process::{Command, Output};

use common::{bin, shown, text};
use serde_json::Value;

/// One quick case of the shipped suite.
const ONE: [&str; 2] = ["--exact", "flow/session/lock-required"];

/// The binary with no colour setting inherited from the developer's terminal.
fn plain_bin() -> Command {
    let mut command = bin();
    command
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    command
}

fn run(args: &[&str]) -> Output {
    plain_bin().args(args).output().unwrap()
}

const ESC: char = '\u{1b}';

#[test]
fn help_names_the_program_and_only_flags_that_work() {
    let output = run(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = text(&output.stdout);
    assert!(
        help.starts_with("Conformance suite for Tencent Cloud CAR's CreateSession API"),
        "{help}"
    );
    assert!(
        help.contains("Usage: car-conformance [OPTIONS] [FILTER]"),
        "{help}"
    );
    for kept in [
        "--exact",
        "--skip",
        "--ignored",
        "--include-ignored",
        "--list",
        "--test-threads",
        "--format",
        "--quiet",
        "--color",
        "--show-coverage",
        "completions",
        "Exit codes of a run:",
    ] {
        assert!(help.contains(kept), "`{kept}` missing from --help:\n{help}");
    }
    for dead in [
        "--bench",
        "--nocapture",
        "--show-output",
        "-Z",
        "--logfile",
        "Run ignored tests",
    ] {
        assert!(!help.contains(dead), "`{dead}` shows in --help:\n{help}");
    }
    for flag in ["--version", "-V"] {
        let output = run(&[flag]);
        assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
        assert_eq!(
            text(&output.stdout),
            format!("car-conformance {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn libtest_flags_that_do_nothing_here_are_refused_by_name() {
    for (args, said) in [
        (
            &["--nocapture"][..],
            "error: --nocapture is a libtest flag that car-conformance does not take",
        ),
        (&["run", "--bench"][..], "error: --bench is a libtest flag"),
        (
            &["-Z", "unstable-options"][..],
            "error: -Z is a libtest flag",
        ),
    ] {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{}", shown(&output));
        assert!(text(&output.stderr).starts_with(said), "{}", shown(&output));
        assert!(output.stdout.is_empty(), "nothing ran: {}", shown(&output));
    }
}

#[test]
fn list_as_json_is_one_object_per_case() {
    let output = run(&[
        "--list",
        "--format",
        "json",
        "--target",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    let objects: Vec<Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is a JSON object"))
        .collect();
    let terse = run(&["--list", "--format", "terse"]);
    let ids: Vec<String> = text(&terse.stdout).lines().map(str::to_owned).collect();
    assert_eq!(objects.len(), ids.len());
    assert!(objects.len() > 100, "{}", objects.len());
    for (object, id) in objects.iter().zip(&ids) {
        assert_eq!(object["id"], id.as_str());
        assert!(["must", "should", "info"].contains(&object["level"].as_str().unwrap()));
        assert!(!object["covers"].as_array().unwrap().is_empty(), "{object}");
        assert!(object["title"].is_string() && object.get("ignore").is_some());
    }
    // Against a URL the mock-only cases say why they would be skipped; the others say nothing.
    let skipped: Vec<&Value> = objects.iter().filter(|o| o["skip"].is_string()).collect();
    assert!(!skipped.is_empty() && skipped.len() < objects.len());
    assert!(
        skipped[0]["skip"]
            .as_str()
            .unwrap()
            .starts_with("mock-only"),
        "{}",
        skipped[0]
    );
    let filtered = run(&["--list", "--format", "json", "flow/session/"]);
    assert!(
        text(&filtered.stdout)
            .lines()
            .all(|l| l.contains("\"id\":\"flow/session/")),
        "{}",
        shown(&filtered)
    );
}

#[test]
fn a_run_of_one_case_is_short_and_each_format_has_its_words() {
    let output = run(&ONE);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    assert!(
        stdout.contains("\nPASS      [must]   flow/session/lock-required  "),
        "{stdout}"
    );
    assert!(
        stdout.lines().count() < 25,
        "{} lines:\n{stdout}",
        stdout.lines().count()
    );
    assert!(stdout.ends_with("verdict: PASS\n"), "{stdout}");
    assert!(!stdout.contains(ESC), "no colour into a pipe: {stdout:?}");

    let terse = text(&run(&["-q", "flow/session/"]).stdout);
    assert!(terse.contains("\nrunning "), "{terse}");
    assert!(
        terse
            .lines()
            .any(|l| !l.is_empty() && l.chars().all(|c| c == '.')),
        "{terse}"
    );

    let json = run(&["--format", "json", ONE[0], ONE[1]]);
    let events: Vec<Value> = text(&json.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("stdout holds JSON only"))
        .collect();
    assert_eq!(events.len(), 3, "{}", shown(&json));
    assert_eq!(events[0]["event"], "started");
    assert_eq!(events[1]["result"], "passed");
    assert_eq!(events[1]["id"], "flow/session/lock-required");
    assert_eq!(events[2]["verdict"], "PASS");
    assert!(
        text(&json.stderr).contains("verdict: PASS"),
        "the summary goes to stderr: {}",
        shown(&json)
    );
}

#[test]
fn show_coverage_prints_every_catalogue_item() {
    let short = text(&run(&ONE).stdout);
    let long = text(&run(&[ONE[0], ONE[1], "--show-coverage"]).stdout);
    assert!(!short.contains("rule.lock.required"), "{short}");
    assert!(long.contains("rule.lock.required"), "{long}");
    assert!(long.lines().count() > short.lines().count() + 100);
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let forced = run(&["--color", "always", ONE[0], ONE[1]]);
    let stdout = text(&forced.stdout);
    assert!(
        stdout.contains(&format!("{ESC}[1m{ESC}[32mPASS")),
        "{stdout:?}"
    );
    assert!(
        stdout.contains(&format!("verdict: {ESC}[1m{ESC}[32mPASS")),
        "{stdout:?}"
    );

    let no_color = plain_bin()
        .env("NO_COLOR", "1")
        .env("CLICOLOR_FORCE", "1")
        .args(ONE)
        .output()
        .unwrap();
    assert!(
        !text(&no_color.stdout).contains(ESC),
        "{}",
        shown(&no_color)
    );
    let clicolor = plain_bin()
        .env("CLICOLOR_FORCE", "1")
        .args(ONE)
        .output()
        .unwrap();
    assert!(text(&clicolor.stdout).contains(ESC), "{}", shown(&clicolor));
    let never = plain_bin()
        .env("CLICOLOR_FORCE", "1")
        .args(["--color", "never", ONE[0], ONE[1]])
        .output()
        .unwrap();
    assert!(!text(&never.stdout).contains(ESC), "{}", shown(&never));

    let error = run(&["--color", "always", "--target", "ftp://example.invalid"]);
    assert!(
        text(&error.stderr).starts_with(&format!("{ESC}[1m{ESC}[31merror:")),
        "{}",
        shown(&error)
    );
    let error = run(&["--target", "ftp://example.invalid"]);
    assert!(
        text(&error.stderr).starts_with("error: "),
        "{}",
        shown(&error)
    );
}

#[test]
fn completions_and_the_manual_page_come_from_the_command_line_itself() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = run(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
        let script = text(&output.stdout);
        // Fish spells a flag `-l target`: the names are looked for without dashes.
        for word in ["mock-ctl", "target", "rerun-failed", "include-ignored"] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
        assert!(!script.contains("nocapture"), "{shell}");
    }
    let output = run(&["completions", "tcsh"]);
    assert_eq!(output.status.code(), Some(2), "{}", shown(&output));

    let page = text(&run(&["man"]).stdout);
    assert!(page.contains(".TH car-conformance 1"), "{page}");
    assert!(page.contains("\\-\\-target"), "{page}");
    let dir = common::temp_dir("man-pages");
    let output = run(&["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    for page in [
        "car-conformance.1",
        "car-conformance-run.1",
        "car-conformance-mock-ctl.1",
    ] {
        assert!(dir.join(page).exists(), "{page} not written");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
