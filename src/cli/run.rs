//! cli: `car-conformance run` (the default command) — parses where and what to run, plus the
//! libtest-style flags it keeps (filters, `--list`, `--exact`, `--ignored`, `--test-threads`,
//! `--format`: see `selection`), into a `run::Invocation`. Credentials come only from the
//! environment, never from the command line.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::plan::{self, Settings, Target};
use crate::report::progress::ProgressMode;
use crate::report::reporting::ReportOptions;
use crate::run::{self, Invocation};

mod safety;
mod selection;

pub use selection::refused_flag;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    /// Base URL of the implementation to test (default: the embedded reference mock).
    #[arg(long, env = "CAR_TARGET", value_name = "URL")]
    target: Option<String>,
    /// The target's name in snapshot files and reports (default: `mock`, or the URL's host).
    #[arg(long, env = "CAR_TARGET_NAME", value_name = "NAME")]
    target_name: Option<String>,
    /// Directory of case files, or a suite directory made by `init` (default: the suite built
    /// into this binary).
    #[arg(long, env = "CAR_CASES", value_name = "DIR")]
    cases: Option<PathBuf>,
    /// Directory of schemas and the catalogue (default: the schemas/ of the suite --cases names,
    /// else the built-in ones).
    #[arg(long, env = "CAR_SCHEMAS", value_name = "DIR")]
    schemas: Option<PathBuf>,
    /// Directory of snapshots, read and recorded (default: the snapshots/ of the suite --cases
    /// names, else the built-in ones, read-only).
    #[arg(long, env = "CAR_SNAPSHOTS", value_name = "DIR")]
    snapshots: Option<PathBuf>,
    /// Value of {{project_id}} in cases.
    #[arg(long, env = "CAR_PROJECT_ID", value_name = "ID")]
    project_id: Option<String>,
    /// Value of {{client_ip}} in cases.
    #[arg(long, env = "CAR_CLIENT_IP", value_name = "IP")]
    client_ip: Option<String>,
    /// Value of {{client_session}} in cases: a ClientSession the target accepts (default: the
    /// CreateSession page's example).
    #[arg(long, env = "CAR_CLIENT_SESSION", value_name = "SESSION")]
    client_session: Option<String>,
    /// Sent as X-TC-Region (not sent when absent).
    #[arg(long, env = "TENCENTCLOUD_REGION", value_name = "REGION")]
    region: Option<String>,
    /// Write DIR/report.json, junit.xml, summary.md and report.html (even when cases fail).
    #[arg(long, value_name = "DIR")]
    report_dir: Option<PathBuf>,
    /// Certification run: every case, no filter, skip, baseline or modified case file; records
    /// the suite's fingerprint and RequestIds; exit 0 only when every must case passed.
    #[arg(long, requires = "report_dir")]
    certify: bool,
    /// Known failures of this target (JSON: {"known_failures": [{"id", "reason"}]}): shown,
    /// not failing the run; listed cases that pass are reported for removal.
    #[arg(long, env = "CAR_BASELINE", value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write a baseline of this run's failures to FILE (keeping the reasons of --baseline).
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Record the target's answers to FILE (JSON, schemas/observations.schema.json): per case
    /// and step the action and the error code or response shape, every value dropped; for
    /// citing as `observed` evidence in the catalogue.
    #[arg(long, value_name = "FILE")]
    record_observations: Option<PathBuf>,
    /// Run only the cases that failed in DIR/report.json (an earlier --report-dir).
    #[arg(long, value_name = "DIR")]
    rerun_failed: Option<PathBuf>,
    /// The defect matrix (`car-conformance mutants` JSON) to show in report.html and summary.md.
    #[arg(long, value_name = "FILE")]
    defect_matrix: Option<PathBuf>,
    /// Progress bar on stderr: when it is a terminal (auto), always (bar), never (plain).
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto, value_name = "WHEN")]
    progress: ProgressMode,
    /// After the run, every catalogue item with its cases and state (default: the totals).
    #[arg(long)]
    show_coverage: bool,
    /// Fail the run when less than PCT percent of the applicable catalogue is exercised.
    #[arg(long, value_name = "PCT", value_parser = parse_percent)]
    min_coverage: Option<f64>,
    /// Also trust the CA certificates in FILE (PEM), e.g. a staging server's private CA (the
    /// system's roots, or SSL_CERT_FILE, and the bundled web roots are trusted anyway).
    #[arg(long, env = "CAR_CACERT", value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// Pacing, concurrency, time limits, target profile, dry run.
    #[command(flatten)]
    safety: safety::SafetyArgs,
    /// Which cases, and how they are shown.
    #[command(flatten)]
    selection: selection::SelectionArgs,
}

fn parse_percent(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{text}` is not a percentage"))?;
    if (0.0..=100.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not between 0 and 100"))
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Settings from the flags and the environment.
fn settings(args: &RunArgs) -> Result<Settings, String> {
    settings_with(
        args,
        plan::credentials_from(
            env("TENCENTCLOUD_SECRET_ID"),
            env("TENCENTCLOUD_SECRET_KEY"),
            env("TENCENTCLOUD_SESSION_TOKEN"),
        )
        .map_err(|e| e.to_string())?,
    )
}

/// Settings from the flags, with the credentials `found` (`compare` finds each target's own).
pub(super) fn settings_with(
    args: &RunArgs,
    found: (crate::sign::Credentials, plan::CredentialSource),
) -> Result<Settings, String> {
    let (args, safety, request_timeout) = safety::resolve(args)?;
    let args = &args;
    let target = match args.target.as_deref().filter(|t| !t.is_empty()) {
        Some(text) => plan::parse_target(text).map_err(|e| e.to_string())?,
        None => Target::Embedded,
    };
    let (credentials, credential_source) =
        plan::credentials_for(&target, found, safety.dry_run).map_err(|e| e.to_string())?;
    let suite = plan::suite::resolve(plan::suite::SuiteFlags {
        cases: args.cases.clone(),
        schemas: args.schemas.clone(),
        snapshots: args.snapshots.clone(),
    })
    .map_err(|error| error.to_string())?;
    Ok(Settings {
        cases_dir: suite.cases,
        schemas_dir: suite.schemas,
        snapshots_dir: suite.snapshots,
        target,
        target_name: args.target_name.clone().filter(|n| !n.is_empty()),
        credentials,
        credential_source,
        region: args.region.clone().filter(|r| !r.is_empty()),
        project_id: args
            .project_id
            .clone()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| plan::DEFAULT_PROJECT_ID.to_owned()),
        client_ip: args
            .client_ip
            .clone()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| plan::DEFAULT_CLIENT_IP.to_owned()),
        client_session: args
            .client_session
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| plan::DEFAULT_CLIENT_SESSION.to_owned()),
        timeout: request_timeout,
        max_response_bytes: 1024 * 1024,
        report_dir: args.report_dir.clone(),
        min_coverage: args.min_coverage,
        cacert: args.cacert.clone().filter(|p| !p.as_os_str().is_empty()),
        safety,
    })
}

pub(super) fn report_options(args: &RunArgs, settings: &Settings) -> ReportOptions {
    ReportOptions {
        certify: args.certify,
        // The flag, else the target profile's known failures.
        baseline: args
            .baseline
            .clone()
            .filter(|p| !p.as_os_str().is_empty())
            .or_else(|| settings.safety.baseline.clone()),
        write_baseline: args.write_baseline.clone(),
        rerun_failed: args.rerun_failed.clone(),
        record_observations: args
            .record_observations
            .clone()
            .filter(|p| !p.as_os_str().is_empty()),
        defect_matrix: args.defect_matrix.clone(),
        progress: args.progress,
    }
}

pub fn execute(args: RunArgs) -> ExitCode {
    match settings(&args) {
        Ok(settings) => super::exit::finish(run::run(args.into_invocation(settings))),
        Err(message) => super::usage_error(message),
    }
}

/// Entry point of the `conformance` test target (`cargo test`): libtest's arguments from the
/// command line, everything else from the environment (`CAR_TARGET`, `CAR_TARGET_NAME`,
/// `CAR_PROJECT_ID`, `CAR_CLIENT_IP`, `CAR_CLIENT_SESSION`, `CAR_REPORT_DIR`, `CAR_BASELINE`,
/// `CAR_CASES`, `CAR_SCHEMAS`, `CAR_SNAPSHOTS`, `TENCENTCLOUD_*`).
pub fn test_main() -> ExitCode {
    crate::cli::logs::init();
    let safety = match safety::SafetyArgs::from_env() {
        Ok(safety) => safety,
        Err(message) => return super::usage_error(message),
    };
    let args = RunArgs {
        target: env("CAR_TARGET"),
        target_name: env("CAR_TARGET_NAME"),
        cases: env("CAR_CASES").map(PathBuf::from),
        schemas: env("CAR_SCHEMAS").map(PathBuf::from),
        snapshots: env("CAR_SNAPSHOTS").map(PathBuf::from),
        project_id: env("CAR_PROJECT_ID"),
        client_ip: env("CAR_CLIENT_IP"),
        client_session: env("CAR_CLIENT_SESSION"),
        region: env("TENCENTCLOUD_REGION"),
        safety,
        report_dir: env("CAR_REPORT_DIR").map(PathBuf::from),
        baseline: env("CAR_BASELINE").map(PathBuf::from),
        // `cargo test` keeps libtest's own lines.
        progress: ProgressMode::Plain,
        ..RunArgs::default()
    };
    match settings(&args) {
        Ok(settings) => super::exit::finish(run::run(Invocation {
            reports: report_options(&args, &settings),
            settings,
            // libtest's own flags as cargo passes them, and its printer, which callers of
            // `cargo test` read.
            args: libtest_mimic::Arguments::from_args(),
            empty_filter_ok: true,
            console: None,
            show_coverage: false,
        })),
        Err(message) => super::usage_error(message),
    }
}

impl RunArgs {
    /// `compare`: these arguments (the flags every target shares) for one of its targets — its
    /// URL (`None`: the embedded mock, unless its profile names one), its name, its profile,
    /// and its own directory in the report directory; only the oracle records observations.
    pub(super) fn for_target(
        &self,
        url: Option<String>,
        name: &str,
        profile: Option<PathBuf>,
        is_oracle: bool,
    ) -> Self {
        let mut args = self.clone();
        args.target = url;
        args.target_name = Some(name.to_owned());
        args.safety.target_config = profile;
        args.report_dir = self.report_dir.as_ref().map(|dir| dir.join(name));
        if !is_oracle {
            args.record_observations = None;
        }
        args
    }

    /// Whether `--record-observations` was given.
    pub(super) fn records_observations(&self) -> bool {
        self.record_observations.is_some()
    }

    /// `compare`'s report directory: the one `--report-dir` names.
    pub(super) fn report_dir(&self) -> Option<&std::path::Path> {
        self.report_dir.as_deref()
    }

    /// The invocation of `run` with these arguments and `settings`.
    pub(super) fn into_invocation(self, settings: Settings) -> Invocation {
        Invocation {
            reports: report_options(&self, &settings),
            settings,
            args: self.selection.arguments(),
            empty_filter_ok: false,
            console: Some(self.selection.format()),
            show_coverage: self.show_coverage,
        }
    }
}
