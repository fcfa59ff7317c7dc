//! cli: the `coverage` subcommand (being built; see CHANGELOG.md).

use std::process::ExitCode;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct CoverageArgs {}

pub fn execute(_args: CoverageArgs) -> ExitCode {
    super::usage_error("`coverage` is not available in this build yet")
}
