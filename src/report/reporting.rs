//! report: what the reporting flags of `run` change about a run, in one place the runner
//! at four points — before anything is sent ([`Reporting::prepare`]: certification refusals,
//! baseline, rerun list, defect matrix, fingerprint), while cases finish ([`CaseHooks`]: known
//! failures, the console's line, progress), after libtest ([`Reporting::finish_progress`]) and at the end
//! ([`Reporting::conclude`]: records, the report directory, a new baseline, the exit code).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use libtest_mimic::Arguments;

use super::RunReport;
use super::baseline::{self, Baseline};
use super::bundle::{self, Extras};
use super::certify::{self, Certification, GitState};
use super::console::{Console, Format};
use super::defect_matrix::DefectMatrix;
use super::fingerprint::Fingerprint;
use super::previous::PreviousReport;
use super::progress::{Progress, ProgressMode};
use crate::case::Case;
use crate::outcome::Outcome;
use crate::plan::{Planned, Settings};

/// The reporting flags of `run`.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// `--certify`: the whole suite, a certification record, exit code = every must case passed.
    pub certify: bool,
    /// `--baseline FILE`: known failures of this target.
    pub baseline: Option<PathBuf>,
    /// `--write-baseline FILE`: a baseline of this run's failures.
    pub write_baseline: Option<PathBuf>,
    /// `--rerun-failed DIR`: only the cases that failed in DIR/report.json.
    pub rerun_failed: Option<PathBuf>,
    /// `--record-observations FILE`: the target's answers, normalised, for citing as evidence.
    pub record_observations: Option<PathBuf>,
    /// `--defect-matrix FILE`: the `mutants` matrix, shown in report.html and summary.md.
    pub defect_matrix: Option<PathBuf>,
    /// `--progress`.
    pub progress: ProgressMode,
}

/// What every case passes through when it finishes (shared with the trials).
#[derive(Debug, Default)]
pub struct CaseHooks {
    baseline: Option<Baseline>,
    progress: Progress,
    /// The console's per-case lines (`None` under `cargo test`, where libtest prints).
    console: Option<Console>,
}

impl CaseHooks {
    /// Applies the baseline (a listed failure becomes a known failure: its reason is returned),
    /// counts the case in the progress display and prints its line.
    pub fn case_done(&self, outcome: &mut Outcome) -> Option<String> {
        let known = self.baseline.as_ref().and_then(|b| b.apply(outcome));
        self.progress.case_done(outcome);
        self.show(outcome, known.as_deref());
        known
    }

    /// Whether the console's reader went away (`| head`): the run should stop.
    pub fn output_closed(&self) -> bool {
        self.console.as_ref().is_some_and(Console::closed)
    }

    /// Prints a case's line without counting it (a case libtest left out as `ignore`d).
    pub fn show(&self, outcome: &Outcome, known: Option<&str>) {
        if let Some(console) = &self.console {
            self.progress.suspend(|| console.case(outcome, known));
        }
    }
}

/// The reporting side of one run.
#[derive(Debug)]
pub struct Reporting {
    options: ReportOptions,
    fingerprint: Option<Fingerprint>,
    git: Option<GitState>,
    defects: Option<DefectMatrix>,
    rerun: Option<BTreeSet<String>>,
    baseline: Option<Baseline>,
    baseline_unknown: Vec<String>,
    hooks: Arc<CaseHooks>,
}

/// Why the reporting side stops a run before or after it is sent; the caller picks the exit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportingError {
    /// The flags contradict each other or an input cannot be read or written.
    #[error("{0}")]
    Usage(String),
    /// `--rerun-failed` found no failure to rerun: a success with nothing to do.
    #[error("nothing to rerun")]
    NothingToRerun,
}

fn usage(message: impl std::fmt::Display) -> ReportingError {
    ReportingError::Usage(message.to_string())
}

/// Whether a file can be written at `path` (its directory created when missing), checked before
/// anything is sent.
fn probe_file(path: &std::path::Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Err(std::io::Error::other("it is a directory"));
    }
    let parent = path.parent().unwrap_or(std::path::Path::new("."));
    super::atomic::probe_dir(parent, true)
}

impl Reporting {
    /// Checks the flags against each other and the suite, and reads every input, before
    /// anything is sent.
    pub fn prepare(
        options: ReportOptions,
        settings: &Settings,
        args: &mut Arguments,
        cases: &[Case],
    ) -> Result<Self, ReportingError> {
        let ids: BTreeSet<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        let mut git = None;
        if options.certify {
            let refused = certify::refusals(
                args,
                &[
                    ("--baseline", options.baseline.is_some()),
                    ("--rerun-failed", options.rerun_failed.is_some()),
                ],
            );
            if !refused.is_empty() {
                return Err(usage(format!(
                    "--certify runs the whole suite; it refuses {}",
                    refused.join(", ")
                )));
            }
            if settings.report_dir.is_none() {
                return Err(usage(
                    "--certify needs --report-dir DIR: the certification is the report",
                ));
            }
            // The built-in suite's copy lives in the user's cache, which may sit in a git work
            // tree of its own (a home kept in git): that repository says nothing about the suite.
            let state = if crate::plan::suite::is_builtin(&settings.cases_dir) {
                GitState::Unavailable("the suite built into the binary".to_owned())
            } else {
                certify::git_state(&settings.cases_dir, &settings.schemas_dir)
            };
            if let GitState::Modified { files, .. } = &state {
                return Err(usage(format!(
                    "--certify refuses modified case or schema files (commit or revert them):\n    {}",
                    files.join("\n    ")
                )));
            }
            // Every must and should case: the ones the suite marks ignored too.
            args.include_ignored = true;
            git = Some(state);
        }
        let fingerprint = if options.certify
            || settings.report_dir.is_some()
            || options.record_observations.is_some()
        {
            Some(Fingerprint::of_suite(&settings.cases_dir, &settings.schemas_dir).map_err(usage)?)
        } else {
            None
        };
        let baseline = match &options.baseline {
            Some(path) => Some(Baseline::load(path).map_err(usage)?),
            None => None,
        };
        let baseline_unknown = baseline
            .as_ref()
            .map(|b| b.unknown(ids.iter().copied()))
            .unwrap_or_default();
        if !baseline_unknown.is_empty() {
            eprintln!(
                "warning: baseline entries naming no case of this suite: {}",
                baseline_unknown.join(", ")
            );
        }
        let rerun = match &options.rerun_failed {
            Some(dir) => {
                let previous = PreviousReport::load(dir).map_err(usage)?;
                let failed = previous.failed_ids();
                let (known, gone): (Vec<String>, Vec<String>) =
                    failed.into_iter().partition(|id| ids.contains(id.as_str()));
                if !gone.is_empty() {
                    eprintln!(
                        "warning: {} names cases this suite no longer has: {}",
                        previous.path.display(),
                        gone.join(", ")
                    );
                }
                if known.is_empty() {
                    println!(
                        "nothing to rerun: no case failed in {}",
                        previous.path.display()
                    );
                    return Err(ReportingError::NothingToRerun);
                }
                println!(
                    "rerunning {} case(s) that failed in {}",
                    known.len(),
                    previous.path.display()
                );
                Some(known.into_iter().collect())
            }
            None => None,
        };
        let defects = match &options.defect_matrix {
            Some(path) => Some(DefectMatrix::load(path).map_err(usage)?),
            None => None,
        };
        // Last of the checks (a refused flag creates nothing), before anything is sent.
        if let Some(dir) = &settings.report_dir {
            super::atomic::probe_dir(dir, true).map_err(|e| {
                usage(format!(
                    "cannot write the report directory {}: {e}; nothing was sent",
                    dir.display()
                ))
            })?;
        }
        for (what, file) in [
            ("the baseline", &options.write_baseline),
            ("the observations", &options.record_observations),
        ] {
            if let Some(path) = file {
                probe_file(path).map_err(|e| {
                    usage(format!(
                        "cannot write {what} {}: {e}; nothing was sent",
                        path.display()
                    ))
                })?;
            }
        }
        Ok(Self {
            options,
            fingerprint,
            git,
            defects,
            rerun,
            hooks: Arc::new(CaseHooks {
                baseline: baseline.clone(),
                progress: Progress::plain(),
                console: None,
            }),
            baseline,
            baseline_unknown,
        })
    }

    /// The planned cases this run keeps (`--rerun-failed` keeps the earlier failures).
    pub fn select(&self, mut planned: Vec<Planned>) -> Vec<Planned> {
        if let Some(ids) = &self.rerun {
            planned.retain(|p| ids.contains(&p.case.id));
        }
        planned
    }

    /// Starts the console (`format`; `None` leaves the printing to libtest) for the `selected`
    /// cases and the progress display for the `running` ones, and returns the hooks the trials
    /// call.
    pub fn start(
        &mut self,
        format: Option<Format>,
        selected: &[&Planned],
        running: usize,
    ) -> Arc<CaseHooks> {
        let console = format.map(|format| {
            let console =
                Console::stdout(format, selected.iter().map(|p| p.case.id.chars().count()));
            console.title(selected.len());
            console
        });
        self.hooks = Arc::new(CaseHooks {
            baseline: self.baseline.clone(),
            progress: Progress::start(self.options.progress, format, running),
            console,
        });
        Arc::clone(&self.hooks)
    }

    /// Clears the progress bar and ends the console's last line.
    pub fn finish_progress(&self) {
        self.hooks.progress.finish();
        if let Some(console) = &self.hooks.console {
            console.end();
        }
    }

    /// Completes the report (fingerprint, certification, baseline), prints what they say,
    /// writes the report directory and the new baseline, and says whether the run failed.
    pub fn conclude(
        &self,
        mut report: RunReport,
        settings: &Settings,
        out: &mut dyn Write,
        libtest_failed: bool,
    ) -> Result<bool, ReportingError> {
        report.fingerprint = self.fingerprint.clone();
        if let Some(git) = &self.git {
            report.certification = Some(Certification::of(&report.cases, git, &report.verdict));
        }
        if let Some(baseline) = &self.baseline {
            report.baseline = Some(baseline.report(&report.cases, self.baseline_unknown.clone()));
        }
        if let Some(console) = &self.hooks.console {
            console.finished(&report);
        }
        if let Some(b) = &report.baseline {
            let _ = write!(out, "{}", b.render());
        }
        if let (Some(c), Some(f)) = (&report.certification, &report.fingerprint) {
            let _ = write!(out, "{}", c.render(&f.sha256));
        }
        let mut code = None;
        if let Some(dir) = &settings.report_dir {
            let credentials = &settings.credentials;
            let extras = Extras {
                defects: self.defects.as_ref(),
                secrets: std::iter::once(credentials.secret_key.clone())
                    .chain(credentials.token.clone())
                    .collect(),
            };
            match bundle::write(dir, &report, &extras) {
                Ok(_) => {
                    let _ = writeln!(
                        out,
                        "report: {} ({})",
                        dir.display(),
                        bundle::FILES.join(", ")
                    );
                }
                Err(error) => code = Some(usage(error)),
            }
        }
        if let Some(path) = &self.options.record_observations {
            let observations = super::observations::record(&report, settings.region.as_deref());
            let secrets = std::iter::once(settings.credentials.secret_key.clone())
                .chain(settings.credentials.token.clone())
                .collect::<Vec<_>>();
            match super::observations::write(path, &observations, &secrets) {
                Ok(()) => {
                    let _ = writeln!(
                        out,
                        "observations: {} cases recorded in {}",
                        observations.cases.len(),
                        path.display()
                    );
                }
                Err(e) => {
                    code = Some(usage(format!(
                        "cannot write the observations {}: {e}",
                        path.display()
                    )))
                }
            }
        }
        if let Some(path) = &self.options.write_baseline {
            match baseline::write(
                path,
                &report.cases,
                self.baseline.as_ref(),
                &report.target.name,
            ) {
                Ok(n) => {
                    let _ = writeln!(
                        out,
                        "baseline: wrote {n} known failure(s) to {}",
                        path.display()
                    );
                }
                Err(error) => code = Some(usage(error)),
            }
        }
        let _ = out.flush();
        if let Some(error) = code {
            return Err(error);
        }
        let failed = match &report.certification {
            // A certification's exit code says whether every must case passed.
            Some(c) => !c.passed || report.below_min_coverage(),
            // Never 0 for a run that did not complete or ran nothing (the verdict says why).
            None => libtest_failed || report.verdict != super::verdict::Verdict::Pass,
        };
        Ok(failed)
    }
}
