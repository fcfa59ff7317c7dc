//! report: certification runs (`--certify`) — before anything is sent, refuse what would make the
//! result less than the whole suite (filters, skips by choice, baselines, reruns, modified case or
//! schema files); after the run, the record a vendor hands over: the must/should tallies, the
//! verdict (every `must` case passed), where the suite came from and a sample of RequestIds the
//! target answered with, so its own logs can corroborate the run.

use std::path::Path;
use std::process::Command;

use serde::Serialize;

use crate::case::Level;
use crate::outcome::{Outcome, Status};
use crate::report::verdict::Verdict;

/// How many RequestIds a certification records.
pub const REQUEST_ID_SAMPLE: usize = 12;

/// What `--certify` refuses, given the rest of the command line: every reason, together.
pub fn refusals(args: &libtest_mimic::Arguments, other_flags: &[(&str, bool)]) -> Vec<String> {
    let mut refused = Vec::new();
    if let Some(filter) = &args.filter {
        refused.push(format!("a filter (`{filter}`)"));
    }
    if !args.skip.is_empty() {
        refused.push(format!("--skip {}", args.skip.join(", --skip ")));
    }
    if args.ignored {
        refused.push("--ignored (it runs only the ignored cases)".to_owned());
    }
    for (flag, given) in other_flags {
        if *given {
            refused.push((*flag).to_owned());
        }
    }
    refused
}

/// What git says about the suite's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitState {
    /// No git, or the files are not in a git checkout: only the fingerprint vouches for them.
    Unavailable(String),
    /// Every case and schema file is as committed.
    Clean { commit: String },
    /// Files differ from the commit (or are untracked): `git status --porcelain` lines.
    Modified { commit: String, files: Vec<String> },
}

/// Why git could not say what a directory holds.
#[derive(Debug, thiserror::Error)]
enum GitError {
    #[error("git is not available ({0})")]
    NotAvailable(#[source] std::io::Error),
    #[error("{} is not in a git checkout", dir.display())]
    NotACheckout { dir: std::path::PathBuf },
}

fn git(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .map_err(GitError::NotAvailable)?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(GitError::NotACheckout {
            dir: dir.to_path_buf(),
        })
    }
}

/// Asks git whether the case and schema directories hold exactly what is committed.
pub fn git_state(cases_dir: &Path, schemas_dir: &Path) -> GitState {
    let commit = match git(cases_dir, &["rev-parse", "HEAD"]) {
        Ok(commit) => commit.trim().to_owned(),
        Err(reason) => return GitState::Unavailable(reason.to_string()),
    };
    let mut files = Vec::new();
    for dir in [cases_dir, schemas_dir] {
        match git(
            dir,
            &["status", "--porcelain", "--untracked-files=all", "--", "."],
        ) {
            Ok(text) => files.extend(text.lines().map(str::to_owned)),
            Err(reason) => return GitState::Unavailable(reason.to_string()),
        }
    }
    files.sort();
    files.dedup();
    if files.is_empty() {
        GitState::Clean { commit }
    } else {
        GitState::Modified { commit, files }
    }
}

/// Counts of one level in a certification.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LevelTally {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// Where the certified suite came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuiteSource {
    /// The commit the case and schema files were checked against, when git was available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    /// `git` (files as committed, and fingerprinted) or `fingerprint` (no git: fingerprint only).
    pub checked_by: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A RequestId the target answered with, and the case that got it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestIdSample {
    pub case: String,
    pub request_id: String,
}

/// The certification record of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certification {
    /// The run completed and every `must` case passed or was skipped for a reason the target
    /// imposes (mock-only cases against a URL target); the exit code of the run says the same.
    pub passed: bool,
    /// Why the run is not certified whatever its cases say: it did not complete (the verdict's
    /// reason). An incomplete run is never certified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
    pub must: LevelTally,
    pub should: LevelTally,
    pub source: SuiteSource,
    pub request_ids: Vec<RequestIdSample>,
}

impl Certification {
    /// The record of a certification run's outcomes, judged `verdict`.
    pub fn of(outcomes: &[Outcome], git: &GitState, verdict: &Verdict) -> Self {
        let tally = |level: Level| {
            let mut tally = LevelTally::default();
            for outcome in outcomes.iter().filter(|o| o.level == level) {
                tally.total += 1;
                match outcome.status {
                    // A failure that counts only at info (a default check whose rule is
                    // `info`) does not fail the case's certification.
                    Status::Failed if !outcome.fails_run() => tally.passed += 1,
                    Status::Passed => tally.passed += 1,
                    Status::Failed | Status::KnownFailure => tally.failed += 1,
                    Status::Skipped => tally.skipped += 1,
                }
            }
            tally
        };
        let must = tally(Level::Must);
        let source = match git {
            GitState::Clean { commit } | GitState::Modified { commit, .. } => SuiteSource {
                git_commit: Some(commit.clone()),
                checked_by: "git",
                note: None,
            },
            GitState::Unavailable(reason) => SuiteSource {
                git_commit: None,
                checked_by: "fingerprint",
                note: Some(reason.clone()),
            },
        };
        let incomplete = verdict.incomplete().map(|(_, reason)| reason.to_owned());
        Self {
            passed: must.failed == 0 && incomplete.is_none(),
            incomplete,
            must,
            should: tally(Level::Should),
            source,
            request_ids: sample_request_ids(outcomes, REQUEST_ID_SAMPLE),
        }
    }

    /// The console lines after the summary.
    pub fn render(&self, fingerprint: &str) -> String {
        let m = self.must;
        let refused = match &self.incomplete {
            Some(reason) => format!("certification: refused — the run is incomplete: {reason}\n"),
            None => String::new(),
        };
        format!(
            "certification: {} — must cases: {} passed, {} failed, {} skipped of {}; should cases: {} failed of {}\n\
             certification: suite fingerprint sha256:{fingerprint}{}; {} RequestIds recorded\n",
            if self.passed { "PASSED" } else { "NOT PASSED" },
            m.passed,
            m.failed,
            m.skipped,
            m.total,
            self.should.failed,
            self.should.total,
            match &self.source.git_commit {
                Some(commit) => format!(" (git {})", &commit[..commit.len().min(12)]),
                None => " (no git: fingerprint only)".to_owned(),
            },
            self.request_ids.len()
        ) + &refused
    }
}

/// The RequestId of an answer body (`Response.RequestId`), if it has one.
pub fn request_id(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    value
        .pointer("/Response/RequestId")?
        .as_str()
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// Up to `count` RequestIds, one per case (its first answer carrying one), spread evenly over
/// the cases in id order, so the sample is the same for the same outcomes.
pub fn sample_request_ids(outcomes: &[Outcome], count: usize) -> Vec<RequestIdSample> {
    let all: Vec<RequestIdSample> = outcomes
        .iter()
        .filter_map(|o| {
            o.exchanges
                .iter()
                .filter_map(|e| e.response.as_ref())
                .find_map(|r| request_id(&r.body.text))
                .map(|request_id| RequestIdSample {
                    case: o.id.clone(),
                    request_id,
                })
        })
        .collect();
    if all.len() <= count {
        return all;
    }
    (0..count)
        .map(|i| all[i * all.len() / count].clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{answered_with, outcome, step};

    fn answered(id: &str, body: &str) -> Outcome {
        let mut o = outcome(id, Level::Must, Status::Passed);
        o.exchanges.push(answered_with(step(), body));
        o
    }

    #[test]
    fn refuses_filters_and_skips_together() {
        let mut args = libtest_mimic::Arguments::from_iter(["x", "auth", "--skip", "flow"]);
        args.ignored = true;
        let refused = refusals(&args, &[("--baseline", true), ("--rerun-failed", false)]);
        assert_eq!(
            refused,
            [
                "a filter (`auth`)",
                "--skip flow",
                "--ignored (it runs only the ignored cases)",
                "--baseline"
            ]
        );
        let args = libtest_mimic::Arguments::from_iter(["x", "--test-threads", "2"]);
        assert!(refusals(&args, &[]).is_empty());
    }

    #[test]
    fn the_verdict_is_every_must_case() {
        let outcomes = vec![
            answered("a", r#"{"Response":{"RequestId":"r-1"}}"#),
            outcome("b", Level::Should, Status::Failed),
            outcome("c", Level::Must, Status::Skipped),
            outcome("d", Level::Info, Status::Failed),
        ];
        let git = GitState::Unavailable("no git".into());
        let record = Certification::of(&outcomes, &git, &Verdict::Fail);
        assert!(record.passed);
        assert_eq!(record.must.skipped, 1);
        assert_eq!(record.should.failed, 1);
        assert_eq!(record.source.checked_by, "fingerprint");
        assert_eq!(record.request_ids.len(), 1);
        let failed = vec![outcome("a", Level::Must, Status::Failed)];
        assert!(!Certification::of(&failed, &git, &Verdict::Fail).passed);
        assert!(
            Certification::of(&failed, &git, &Verdict::Fail)
                .render("abc")
                .starts_with("certification: NOT PASSED")
        );
    }

    #[test]
    fn an_incomplete_run_is_never_certified() {
        let git = GitState::Unavailable("no git".into());
        let passed = vec![outcome("a", Level::Must, Status::Passed)];
        assert!(Certification::of(&passed, &git, &Verdict::Pass).passed);
        let verdict = Verdict::Incomplete {
            why: crate::report::verdict::Incomplete::Interrupted,
            reason: "the run was interrupted (Ctrl-C or SIGTERM)".into(),
        };
        let record = Certification::of(&passed, &git, &verdict);
        assert!(!record.passed);
        let shown = record.render("abc");
        assert!(shown.starts_with("certification: NOT PASSED"), "{shown}");
        assert!(
            shown.contains(
                "certification: refused — the run is incomplete: the run was interrupted"
            ),
            "{shown}"
        );
    }

    #[test]
    fn request_ids_are_sampled_evenly_and_deterministically() {
        let outcomes: Vec<Outcome> = (0..30)
            .map(|i| {
                answered(
                    &format!("c{i:02}"),
                    &format!(r#"{{"Response":{{"RequestId":"id-{i}"}}}}"#),
                )
            })
            .chain([answered("z", "not json")])
            .collect();
        let sample = sample_request_ids(&outcomes, 3);
        let ids: Vec<&str> = sample.iter().map(|s| s.request_id.as_str()).collect();
        assert_eq!(ids, ["id-0", "id-10", "id-20"]);
        assert_eq!(request_id(r#"{"Response":{"RequestId":""}}"#), None);
    }

    #[test]
    fn git_state_sees_edits_and_untracked_files() {
        let dir = std::env::temp_dir().join(format!("car-certify-git-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("cases")).unwrap();
        std::fs::create_dir_all(dir.join("schemas")).unwrap();
        std::fs::write(dir.join("cases/a.json"), "{}").unwrap();
        std::fs::write(dir.join("schemas/s.json"), "{}").unwrap();
        let (cases, schemas) = (dir.join("cases"), dir.join("schemas"));
        // Outside any checkout: only the fingerprint can vouch for the files.
        assert!(matches!(
            git_state(&cases, &schemas),
            GitState::Unavailable(_)
        ));
        let ok = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(&dir)
                .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
                .args(args)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !ok(&["init", "-q"]) {
            eprintln!("git unavailable: skipping the git part");
            return;
        }
        assert!(ok(&["add", "."]));
        assert!(ok(&["commit", "-q", "-m", "x"]));
        assert!(matches!(
            git_state(&cases, &schemas),
            GitState::Clean { .. }
        ));
        std::fs::write(dir.join("cases/a.json"), "{ }").unwrap();
        std::fs::write(dir.join("schemas/new.json"), "{}").unwrap();
        match git_state(&cases, &schemas) {
            GitState::Modified { files, .. } => {
                assert_eq!(files, [" M cases/a.json", "?? schemas/new.json"])
            }
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
