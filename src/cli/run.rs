//! cli: the `run` subcommand (being built; see CHANGELOG.md).

use std::process::ExitCode;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {}

pub fn execute(_args: RunArgs) -> ExitCode {
    super::usage_error("`run` is not available in this build yet")
}
