//! report.html in a real browser: headless Chromium (Debian's `chromium`, installed for CI by
//! scripts/setup-chromium.sh) renders the report of a run against a mock with a defect, with the
//! defect matrix. The test fails when the page's script did not run cleanly (it marks
//! `#script-status` only then), when a section is missing, or when a screenshot comes out blank;
//! it saves screenshots of the summary and the coverage grid under target/report-browser/.
//! Without Chromium it says it was skipped, unless CAR_REQUIRE_BROWSER=1 (set by .ci/run once the
//! setup succeeded) makes that a failure.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::mock::Process as Mock;
use common::{both, read_json, required, root, run, say};

/// The browser to use: $CHROMIUM, else `chromium` or `chromium-browser` on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM").map(PathBuf::from) {
        return path.is_file().then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Runs headless Chromium on `url` with `extra` flags; returns stdout. Fails the test when it
/// does not finish within a minute or exits with an error. Output goes to files (a DOM of a
/// megabyte would fill a pipe nobody reads while we wait).
fn browse(browser: &Path, profile: &Path, extra: &[String], url: &str) -> String {
    std::fs::create_dir_all(profile).unwrap();
    let (out_path, err_path) = (profile.join("stdout.txt"), profile.join("stderr.txt"));
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1280,1000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            profile.join("data").display()
        ))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within a minute on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    assert!(
        status.success(),
        "chromium failed ({status}) on {url}:\n{stderr}"
    );
    std::fs::read_to_string(&out_path).unwrap()
}

fn dump_dom(browser: &Path, work: &Path, name: &str, page: &Path) -> String {
    browse(
        browser,
        &work.join(format!("profile-{name}")),
        &["--dump-dom".to_owned()],
        &format!("file://{}", page.display()),
    )
}

/// Why a rendered DOM is not a good report page, if it is not.
fn problems(dom: &str, cases: usize, sections: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    let status = dom
        .split("id=\"script-status\"")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or("");
    if !status.contains("data-state=\"ok\"") {
        problems.push(format!("the script did not run cleanly: {status}"));
    }
    if !status.contains(&format!("data-cases=\"{cases}\"")) {
        problems.push(format!("the script did not see {cases} cases: {status}"));
    }
    for section in sections {
        if !dom.contains(&format!("<section id=\"{section}\">")) {
            problems.push(format!("section #{section} is missing"));
        }
    }
    if !dom.contains("<div class=\"toolbar\" id=\"toolbar\">") {
        problems.push("the case toolbar was not shown".to_owned());
    }
    problems
}

/// How many cases a rendered page shows (the script hides the others).
fn shown_cases(dom: &str) -> usize {
    dom.split("<details class=\"case ")
        .skip(1)
        .filter(|tag| !tag.split('>').next().unwrap_or("").contains(" hidden=\"\""))
        .count()
}

fn screenshot(browser: &Path, work: &Path, page: &Path, view: &str, to: &Path) {
    let _ = std::fs::remove_file(to);
    browse(
        browser,
        &work.join(format!("profile-shot-{view}")),
        &[format!("--screenshot={}", to.display())],
        &format!("file://{}#only={view}", page.display()),
    );
    let bytes = std::fs::read(to).unwrap_or_else(|e| panic!("no screenshot {}: {e}", to.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        to.display()
    );
    // A blank 1280×1000 page compresses to a few kilobytes; a rendered section does not.
    assert!(
        bytes.len() > 20_000,
        "{} looks blank ({} bytes)",
        to.display(),
        bytes.len()
    );
}

#[test]
fn report_html_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        if required("CAR_REQUIRE_BROWSER") {
            panic!("CAR_REQUIRE_BROWSER=1 but no chromium on PATH (run scripts/setup-chromium.sh)");
        }
        say(
            "report_browser: skipped — no chromium on PATH (scripts/setup-chromium.sh installs it)",
        );
        return;
    };
    let work = root().join("target/report-browser");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();

    // A run with failures, skips and a defect matrix: every part of the page has content.
    let output = run(&[
        "mutants",
        "--json",
        "--defect",
        "missing-parameter-wrong-code",
    ]);
    assert!(output.status.success(), "{}", both(&output));
    let matrix = work.join("matrix.json");
    std::fs::write(&matrix, &output.stdout).unwrap();
    let mock = Mock::start(&["--defect", "missing-parameter-wrong-code"]);
    let report_dir = work.join("report");
    let output = mock.run(&[
        "--report-dir",
        report_dir.to_str().unwrap(),
        "--defect-matrix",
        matrix.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", both(&output));
    let report = read_json(&report_dir.join("report.json"));
    let cases = report["cases"].as_array().unwrap().len();
    let page = report_dir.join("report.html");

    let dom = dump_dom(&browser, &work, "page", &page);
    let sections = ["summary", "cases", "coverage", "defects"];
    assert_eq!(problems(&dom, cases, &sections), Vec::<String>::new());
    // The script opened on the failures.
    assert!(
        dom.contains("data-status=\"failed\" aria-pressed=\"true\""),
        "failures first"
    );

    // The status filter works: `#filter=skipped` shows exactly the skipped cases.
    let skipped = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "skipped")
        .count();
    assert!(skipped > 0);
    let filtered = browse(
        &browser,
        &work.join("profile-filter"),
        &["--dump-dom".to_owned()],
        &format!("file://{}#filter=skipped", page.display()),
    );
    assert_eq!(shown_cases(&filtered), skipped);
    assert_eq!(
        shown_cases(&dom),
        report["summary"]["failed"].as_u64().unwrap() as usize
    );

    // The checks catch a page whose script breaks, and one that lost a section.
    let html = std::fs::read_to_string(&page).unwrap();
    let broken = work.join("broken.html");
    // The edited script no longer has the hash the page's Content-Security-Policy allows, so
    // the policy goes too: this checks that a script error is caught, not the policy.
    let policy = html
        .lines()
        .find(|l| l.contains("http-equiv=\"Content-Security-Policy\""))
        .expect("report.html has a Content-Security-Policy");
    std::fs::write(
        &broken,
        html.replacen(policy, "", 1).replacen(
            "function main() {",
            "function main() { throw new Error(\"broken on purpose\");",
            1,
        ),
    )
    .unwrap();
    let found = problems(
        &dump_dom(&browser, &work, "broken", &broken),
        cases,
        &sections,
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("script error: broken on purpose")),
        "{found:?}"
    );
    let lost = work.join("lost.html");
    std::fs::write(
        &lost,
        html.replacen("<section id=\"coverage\">", "<section>", 1),
    )
    .unwrap();
    let found = problems(&dump_dom(&browser, &work, "lost", &lost), cases, &sections);
    assert_eq!(found, ["section #coverage is missing"]);

    screenshot(&browser, &work, &page, "summary", &work.join("summary.png"));
    screenshot(
        &browser,
        &work,
        &page,
        "coverage",
        &work.join("coverage.png"),
    );
    say(&format!(
        "report_browser: screenshots in {} and {}",
        work.join("summary.png").display(),
        work.join("coverage.png").display()
    ));
}
