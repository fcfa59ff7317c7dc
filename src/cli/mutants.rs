//! cli: `car-conformance mutants` — proves the suite catches bugs: runs every case in-process
//! against the embedded mock once without a defect and once per named defect, then prints the
//! matrix defect → cases that caught it and the mutation score (Markdown, or JSON with `--json`).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::run;
use crate::run::mutants::{self, Parallelism};

#[derive(Debug, Clone, clap::Args)]
pub struct MutantsArgs {
    /// Only these defects (repeatable; default: all of `car-conformance mock --list-defects`).
    #[arg(long = "defect", value_name = "NAME")]
    defects: Vec<String>,
    /// Print the matrix as JSON (every failing case, declared catchers, score, problems).
    #[arg(long)]
    json: bool,
    /// List every case that caught a defect, not only its declared catchers.
    #[arg(long)]
    full: bool,
    /// Directory of case files (default: ./cases, else the source tree's cases/).
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
    let defects = match mutants::select(&args.defects) {
        Ok(defects) => defects,
        Err(message) => return super::usage_error(message),
    };
    let mut settings = mutants::settings(None);
    if let Some(dir) = &args.cases {
        settings.cases_dir = dir.clone();
    }
    let cases = match run::load(&settings) {
        Ok((_, cases)) => cases,
        Err(code) => return code,
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
        "running {} cases {} times (no defect, then each of {} defects)…",
        cases.len(),
        defects.len() + 1,
        defects.len()
    );
    let parallelism = Parallelism {
        runs: args.runs.max(1),
        cases: args.cases_at_once.max(1),
    };
    let matrix = match runtime.block_on(mutants::matrix(&settings, &cases, &defects, parallelism)) {
        Ok(matrix) => matrix,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let problems = matrix.problems();
    eprintln!(
        "{} of {} defects caught in {:.1} s",
        matrix.caught,
        matrix.defects.len(),
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
