//! cli: `car-conformance coverage` — static coverage of the catalogue (which rules and error codes
//! have a case), computed from the case files without sending anything; a table, or `--json`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::plan::suite::{self, SuiteFlags};
use crate::plan::{self, Settings, Target};
use crate::report::coverage::{render_table, static_coverage};

#[derive(Debug, Clone, Default, clap::Args)]
pub struct CoverageArgs {
    /// Directory of case files, or a suite directory made by `init` (default: the built-in suite).
    #[arg(long, env = "CAR_CASES", value_name = "DIR")]
    cases: Option<PathBuf>,
    /// Directory of schemas and the catalogue (default: the suite's of --cases, else built in).
    #[arg(long, env = "CAR_SCHEMAS", value_name = "DIR")]
    schemas: Option<PathBuf>,
    /// Print JSON (each item: id, kind, level, evidence, covering case ids; then totals per level,
    /// with the items resting on documentation, observation and inference).
    #[arg(long)]
    json: bool,
}

pub fn execute(args: CoverageArgs) -> ExitCode {
    let flags = SuiteFlags {
        cases: args.cases,
        schemas: args.schemas,
        // Not read: no answer is compared.
        snapshots: Some(PathBuf::from("-")),
    };
    let dirs = match suite::resolve(flags) {
        Ok(dirs) => dirs,
        Err(error) => return super::usage_error(error),
    };
    let settings = Settings {
        cases_dir: dirs.cases,
        schemas_dir: dirs.schemas,
        snapshots_dir: PathBuf::new(),
        target: Target::Embedded,
        target_name: None,
        credentials: crate::sign::Credentials::new("", ""),
        credential_source: plan::CredentialSource::TestPair,
        region: None,
        project_id: String::new(),
        client_session: String::new(),
        client_ip: String::new(),
        timeout: std::time::Duration::from_secs(1),
        max_response_bytes: 0,
        report_dir: None,
        min_coverage: None,
        cacert: None,
        safety: Default::default(),
    };
    let (catalogue, cases) = match crate::run::load(&settings) {
        Ok(loaded) => loaded,
        Err(error) => return super::exit::run_error(&error),
    };
    let coverage = static_coverage(&catalogue, &cases);
    let text = if args.json {
        serde_json::to_string_pretty(&coverage).unwrap_or_default() + "\n"
    } else {
        format!(
            "static coverage of the catalogue by {} cases in {}:\n{}",
            cases.len(),
            plan::suite::describe(&settings.cases_dir),
            render_table(&coverage)
        )
    };
    // A closed pipe (e.g. `| head`) is not an error worth reporting.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    ExitCode::SUCCESS
}
