//! cli: `car-conformance verify DIR` — accepts a certification report (DIR/report.json) only
//! when the suite in use (built in, or `--cases`/`--schemas`) has the case and schema files it
//! was made with and its summary, coverage and record agree with its cases (`report::audit`).
//! Exit 0 accepted, 1 rejected, 2 when the report or the suite cannot be read.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::case::catalogue::Catalogue;
use crate::case::load_dir;
use crate::plan::suite::{self, SuiteFlags};
use crate::report::audit::{Checkout, verify};
use crate::report::fingerprint::Fingerprint;
use crate::report::previous::PreviousReport;
use crate::run::CATALOGUE;

#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    /// The report directory (or its report.json) to verify.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Directory of case files, or a suite directory made by `init` (default: the built-in suite).
    #[arg(long, env = "CAR_CASES", value_name = "DIR")]
    cases: Option<PathBuf>,
    /// Directory of schemas and the catalogue (default: the suite's of --cases, else built in).
    #[arg(long, env = "CAR_SCHEMAS", value_name = "DIR")]
    schemas: Option<PathBuf>,
}

pub fn execute(args: VerifyArgs) -> ExitCode {
    let flags = SuiteFlags {
        cases: args.cases,
        schemas: args.schemas,
        // Not read: snapshots are not part of the fingerprint.
        snapshots: Some(PathBuf::from("-")),
    };
    let (cases_dir, schemas_dir) = match suite::resolve(flags) {
        Ok(dirs) => (dirs.cases, dirs.schemas),
        Err(error) => return super::usage_error(error),
    };
    let report = match PreviousReport::load(&args.dir) {
        Ok(report) => report,
        Err(error) => return super::usage_error(error),
    };
    let fingerprint = match Fingerprint::of_suite(&cases_dir, &schemas_dir) {
        Ok(fingerprint) => fingerprint,
        Err(error) => return super::usage_error(error),
    };
    let catalogue = match Catalogue::load(&schemas_dir.join(CATALOGUE)) {
        Ok(catalogue) => catalogue,
        Err(error) => return super::usage_error(error),
    };
    let cases = match load_dir(&cases_dir, &schemas_dir, &catalogue) {
        Ok(cases) => cases,
        Err(error) => {
            eprintln!("{error}");
            return super::usage_error(format!(
                "the case files of the suite in use ({}) do not load",
                cases_dir.display()
            ));
        }
    };
    let schema_path = schemas_dir.join("report.schema.json");
    let report_schema = match std::fs::read_to_string(&schema_path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()))
    {
        Ok(schema) => schema,
        Err(error) => {
            return super::usage_error(format!("cannot read {}: {error}", schema_path.display()));
        }
    };
    let checkout = Checkout {
        version: env!("CARGO_PKG_VERSION"),
        fingerprint: &fingerprint,
        catalogue: &catalogue,
        cases: &cases,
        report_schema: &report_schema,
    };
    let verification = verify(&report.value, &checkout);
    println!(
        "verify {} against the suite in {} and {}:",
        report.path.display(),
        suite::describe(&cases_dir),
        suite::describe(&schemas_dir)
    );
    // A forged report.json is hostile text: its control characters are shown, not obeyed.
    print!("{}", crate::redact::for_terminal(&verification.render()));
    if verification.accepted() {
        println!("verdict: ACCEPTED");
        ExitCode::SUCCESS
    } else {
        println!("verdict: REJECTED");
        ExitCode::FAILURE
    }
}
