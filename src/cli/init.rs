//! cli: `car-conformance init DIR` — writes the built-in suite (cases, schemas with the
//! catalogue, snapshots) to DIR as an editable copy, which `--cases DIR` then runs.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::case::suite;

#[derive(Debug, Clone, clap::Args)]
pub struct InitArgs {
    /// Where to write the copy (created when missing): DIR/cases, DIR/schemas, DIR/snapshots.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Overwrite the suite's files already in DIR (other files there are left alone).
    #[arg(long)]
    force: bool,
}

pub fn execute(args: InitArgs) -> ExitCode {
    match suite::export(&args.dir, args.force) {
        Ok(written) => {
            let shown = args.dir.display();
            println!(
                "wrote {} files of the car-conformance {} suite ({} case files) to {shown}",
                written.len(),
                env!("CARGO_PKG_VERSION"),
                suite::case_file_count(),
            );
            println!("run it:      car-conformance run --cases {shown}");
            println!(
                "edit cases:  {shown}/cases/GROUP/NAME.json (the schema is {shown}/schemas/case.schema.json)"
            );
            println!("snapshots:   recorded in {shown}/snapshots");
            ExitCode::SUCCESS
        }
        Err(error) => super::usage_error(error),
    }
}
