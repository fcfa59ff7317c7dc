//! cli: `car-conformance verify DIR` — run in a checkout of the suite, accepts a certification
//! report (DIR/report.json) only when this checkout's case and schema files are the ones it was
//! made with and its summary, coverage and record agree with its cases (`report::audit`).
//! Exit 0 accepted, 1 rejected, 2 when the report or this checkout cannot be read.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::case::catalogue::Catalogue;
use crate::case::load_dir;
use crate::plan;
use crate::report::audit::{Checkout, verify};
use crate::report::fingerprint::Fingerprint;
use crate::report::previous::PreviousReport;
use crate::run::CATALOGUE;

#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    /// The report directory (or its report.json) to verify.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Directory of case files of this checkout (default: ./cases, else the source tree's).
    #[arg(long, value_name = "DIR")]
    cases: Option<PathBuf>,
    /// Directory of schemas and the catalogue (default: ./schemas, else the source tree's).
    #[arg(long, value_name = "DIR")]
    schemas: Option<PathBuf>,
}

pub fn execute(args: VerifyArgs) -> ExitCode {
    let cases_dir = args.cases.unwrap_or_else(|| plan::default_dir("cases"));
    let schemas_dir = args.schemas.unwrap_or_else(|| plan::default_dir("schemas"));
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
                "the case files of this checkout ({}) do not load",
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
        cases_dir.display(),
        schemas_dir.display()
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
