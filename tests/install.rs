//! An installed binary runs from anywhere: copied out of the build tree to an empty directory
//! and run from another empty one (no `CAR_*`, a private cache), it runs the suite built into it
//! and passes, naming no path of the checkout; `init` writes an editable copy that `--cases`
//! runs, and refuses to overwrite it unless told.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{BIN, clean_env, root, shown, temp_dir, text};

/// The binary copied to `home/bin`, run from `home/work` with its cache in `home/cache`.
struct Installed {
    home: PathBuf,
    bin: PathBuf,
}

impl Installed {
    fn new(name: &str) -> Self {
        let home = temp_dir(name);
        assert!(
            !home.starts_with(root()),
            "the temporary directory must lie outside the checkout"
        );
        let bin = home.join("bin/car-conformance");
        std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
        std::fs::copy(BIN, &bin).unwrap();
        std::fs::create_dir_all(home.join("work")).unwrap();
        Installed { home, bin }
    }

    fn work(&self) -> PathBuf {
        self.home.join("work")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.bin);
        clean_env(&mut command);
        command
            .current_dir(self.work())
            .env("XDG_CACHE_HOME", self.home.join("cache"))
            .env("INSTA_UPDATE", "no")
            .env_remove("CARGO_MANIFEST_DIR")
            .args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the copied binary runs")
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// Every file under `dir`, relative.
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(&next).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap();
                out.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_copied_binary_runs_its_built_in_suite_from_an_empty_directory() {
    let installed = Installed::new("install-empty");
    let reports = installed.home.join("reports");
    let output = installed.run(&[
        "--progress",
        "plain",
        "--report-dir",
        reports.to_str().unwrap(),
    ]);
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    assert!(all.contains("verdict: PASS"), "{}", shown(&output));
    assert!(
        all.contains("suite: the built-in suite ("),
        "{}",
        shown(&output)
    );
    // A fallback to the source tree would name it: in the output or in any report.
    let checkout = root().display().to_string();
    assert!(!all.contains(&checkout), "{}", shown(&output));
    for report in ["report.json", "junit.xml", "summary.md", "report.html"] {
        let written = std::fs::read_to_string(reports.join(report)).unwrap();
        assert!(!written.contains(&checkout), "{report} names {checkout}");
    }
    assert_eq!(listing(&installed.work()), Vec::<String>::new());
    let report = common::read_json(&reports.join("report.json"));
    let ran = report["cases"].as_array().map_or(0, Vec::len);
    let checkout_cases = common::corpus::load_cases(&common::corpus::catalogue()).len();
    assert_eq!(
        ran, checkout_cases,
        "every case of the checkout is built in"
    );
}

#[test]
fn init_writes_an_editable_copy_that_cases_runs_and_keeps_it_unless_forced() {
    let installed = Installed::new("install-init");
    let output = installed.run(&["init", "suite"]);
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    let copy = installed.work().join("suite");
    let files = listing(&copy);
    assert!(
        files.contains(&"schemas/catalogue.json".to_owned()),
        "{files:?}"
    );
    let sources = listing(&root().join("cases"));
    let copied: Vec<&String> = files.iter().filter(|f| f.starts_with("cases/")).collect();
    assert_eq!(copied.len(), sources.len(), "{copied:?}");

    // Edited, the copy is what runs: a case expecting the wrong answer fails the run.
    let file = copy.join("cases/flow/session.json");
    let original = std::fs::read_to_string(&file).unwrap();
    let edited = original.replacen("\"success\": true", "\"code\": \"InvalidParameter\"", 1);
    assert_ne!(edited, original, "the edit must change a case");
    std::fs::write(&file, &edited).unwrap();
    let run = installed.run(&["--cases", "suite", "--progress", "plain", "-q"]);
    assert_eq!(run.status.code(), Some(1), "{}", shown(&run));
    assert!(
        text(&run.stdout).contains("suite: suite/cases"),
        "{}",
        shown(&run)
    );

    let again = installed.run(&["init", "suite"]);
    assert_eq!(again.status.code(), Some(2), "{}", shown(&again));
    assert!(text(&again.stderr).contains("--force"), "{}", shown(&again));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);

    let forced = installed.run(&["init", "suite", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", shown(&forced));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    let restored = installed.run(&["--cases", "suite/cases", "--progress", "plain", "-q"]);
    assert_eq!(restored.status.code(), Some(0), "{}", shown(&restored));

    // The copy's snapshots are its own: a new target's are recorded there, and nowhere else.
    let recorded = installed
        .command(&[
            "--cases",
            "suite",
            "--target-name",
            "staging",
            "flow/session/",
        ])
        .env("INSTA_UPDATE", "always")
        .env_remove("CI")
        .output()
        .unwrap();
    assert_eq!(recorded.status.code(), Some(0), "{}", shown(&recorded));
    let snapshots = listing(&copy.join("snapshots"));
    assert!(
        snapshots.iter().any(|name| name.ends_with("@staging.snap")),
        "{snapshots:?}\n{}",
        shown(&recorded)
    );
    assert_eq!(listing(&installed.work()).len(), files.len() + 1);
}

#[test]
fn a_cache_that_cannot_be_written_falls_back_to_the_temporary_directory() {
    let installed = Installed::new("install-readonly-cache");
    // A file where the cache directory should be: nothing can be created under it.
    let blocked = installed.home.join("cache-is-a-file");
    std::fs::write(&blocked, "").unwrap();
    let output = installed
        .command(&["coverage"])
        .env("XDG_CACHE_HOME", &blocked)
        .env("HOME", &blocked)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    assert!(
        text(&output.stdout).contains("cases in the built-in suite ("),
        "{}",
        shown(&output)
    );
}

#[test]
fn certification_of_the_built_in_suite_ignores_a_home_kept_in_git() {
    let installed = Installed::new("install-home-in-git");
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(&installed.home)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .status()
            .is_ok_and(|status| status.success())
    };
    // A home with a commit: the cache's copy is then an untracked file of that repository.
    if !(git(&["init", "-q"]) && git(&["commit", "-q", "--allow-empty", "-m", "home"])) {
        common::say("install: git unavailable, the home-in-git case is not checked");
        return;
    }
    let output = installed.run(&[
        "--certify",
        "--report-dir",
        "cert",
        "--progress",
        "plain",
        "-q",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", shown(&output));
    assert!(
        text(&output.stdout).contains("(no git: fingerprint only)"),
        "{}",
        shown(&output)
    );
    let verified = installed.run(&["verify", "cert"]);
    assert_eq!(verified.status.code(), Some(0), "{}", shown(&verified));
}
