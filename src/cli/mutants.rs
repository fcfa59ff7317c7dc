//! cli: `car-conformance mutants` — proves the suite catches bugs and spares correct vendors:
//! runs every case in-process against the embedded mock once without a defect, once per named
//! defect and once per allowed variant, then prints the matrix (defect → cases that caught it,
//! variant → cases that failed it) and both scores (Markdown, or JSON with `--json`).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::plan::suite::{self, SuiteFlags};
use crate::run;
use crate::run::mutants::{self, Parallelism};

#[derive(Debug, Clone, clap::Args)]
pub struct MutantsArgs {
    /// Only these defects (repeatable). With neither --defect nor --variant, every defect and
    /// every variant runs; with only one of them, only what it names.
    #[arg(long = "defect", value_name = "NAME")]
    defects: Vec<String>,
    /// Only these allowed variants (repeatable; see `car-conformance mock --list-variants`).
    #[arg(long = "variant", value_name = "NAME")]
    variants: Vec<String>,
    /// Print the matrix as JSON (every failing case, declared catchers, score, problems).
    #[arg(long)]
    json: bool,
    /// List every case that caught a defect, not only its declared catchers.
    #[arg(long)]
    full: bool,
    /// Directory of case files, or a suite directory made by `init` (default: the built-in suite).
    #[arg(long, env = "CAR_CASES", value_name = "DIR")]
    cases: Option<PathBuf>,
    /// Runs (the baseline or one defect) in flight at once.
    #[arg(long, default_value_t = Parallelism::default().runs, value_name = "N")]
    runs: usize,
    /// Cases in flight at once within a run.
    #[arg(long, default_value_t = Parallelism::default().cases, value_name = "N")]
    cases_at_once: usize,
}

pub fn execute(args: MutantsArgs) -> ExitCode {
    let everything = args.defects.is_empty() && args.variants.is_empty();
    let defects = match mutants::select(&args.defects) {
        Ok(_) if !everything && args.defects.is_empty() => Vec::new(),
        Ok(defects) => defects,
        Err(message) => return super::usage_error(message),
    };
    let variants = match mutants::select_variants(&args.variants) {
        Ok(_) if !everything && args.variants.is_empty() => Vec::new(),
        Ok(variants) => variants,
        Err(message) => return super::usage_error(message),
    };
    let flags = SuiteFlags {
        cases: args.cases.clone(),
        ..SuiteFlags::default()
    };
    let settings = match suite::resolve(flags) {
        Ok(dirs) => mutants::settings(dirs),
        Err(error) => return super::usage_error(error),
    };
    let cases = match run::load(&settings) {
        Ok((_, cases)) => cases,
        Err(error) => return super::exit::run_error(&error),
    };
    if cases.is_empty() {
        return super::usage_error(format!(
            "no case in {}: nothing can catch a defect",
            settings.cases_dir.display()
        ));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return super::usage_error(format!("cannot start the async runtime: {error}"));
        }
    };
    eprintln!(
        "running {} cases {} times (no defect, then each of {} defects and {} allowed variants)…",
        cases.len(),
        defects.len() + variants.len() + 1,
        defects.len(),
        variants.len()
    );
    let parallelism = Parallelism {
        runs: args.runs.max(1),
        cases: args.cases_at_once.max(1),
    };
    let matrix = match runtime.block_on(mutants::matrix(
        &settings,
        &cases,
        &defects,
        &variants,
        parallelism,
    )) {
        Ok(matrix) => matrix,
        Err(error) => {
            anstream::eprintln!("{} {error}", crate::report::console::error_label());
            return ExitCode::FAILURE;
        }
    };
    let problems = matrix.problems();
    eprintln!(
        "{} of {} defects caught, {} of {} allowed variants passed, in {:.1} s",
        matrix.caught,
        matrix.defects.len(),
        matrix.variants_passed,
        matrix.variants.len(),
        matrix.duration.as_secs_f64()
    );
    if args.json {
        let mut value = serde_json::to_value(&matrix).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.insert(
                "problems".to_owned(),
                serde_json::Value::from(problems.clone()),
            );
        }
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        print!("{}", mutants::render_markdown(&matrix, args.full));
        for problem in &problems {
            println!("problem: {problem}");
        }
    }
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
