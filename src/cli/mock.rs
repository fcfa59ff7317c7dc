//! cli: the `mock` subcommand (being built; see CHANGELOG.md).

use std::process::ExitCode;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct MockArgs {}

pub fn execute(_args: MockArgs) -> ExitCode {
    super::usage_error("`mock` is not available in this build yet")
}
