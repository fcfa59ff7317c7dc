//! cli: the command line of `car-conformance` — one subcommand per file, `run` by default.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod audit;
mod compare;
mod coverage;
mod exit;
mod init;
pub mod logs;
mod mock;
mod mock_ctl;
mod mock_tls;
mod mutants;
mod run;
mod shell;
mod sign;

pub use run::test_main;

/// Conformance suite for Tencent Cloud CAR's CreateSession API (2022-01-10).
///
/// With no subcommand, `run`: every case against the embedded reference mock, or against
/// --target URL.
#[derive(Debug, Parser)]
#[command(
    name = "car-conformance",
    version,
    about,
    args_conflicts_with_subcommands = true,
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// Colours: on a terminal without NO_COLOR (auto; CLICOLOR_FORCE=1 forces them), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    color: ColorWhen,
    #[command(subcommand)]
    command: Option<Command>,
    /// Arguments of `run`, the default command.
    #[command(flatten)]
    run: run::RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the cases against a target (the embedded mock by default).
    Run(Box<run::RunArgs>),
    /// Sign a request with TC3-HMAC-SHA256 and print the headers to send.
    Sign(Box<sign::SignArgs>),
    /// Serve the reference mock of the CAR API.
    Mock(Box<mock::MockArgs>),
    /// Read, reset or switch a running mock through its control interface (`mock --control`).
    MockCtl(Box<mock_ctl::MockCtlArgs>),
    /// Run the same cases against two or more targets and show where they differ.
    Compare(Box<compare::CompareArgs>),
    /// Show which catalogue items the cases cover, without sending anything.
    Coverage(coverage::CoverageArgs),
    /// Run the suite against the mock once per named defect: which cases catch which defect.
    Mutants(mutants::MutantsArgs),
    /// Check a certification report (DIR/report.json) against the suite in use.
    Verify(audit::VerifyArgs),
    /// Write an editable copy of the built-in suite to DIR (then run it with --cases DIR).
    Init(init::InitArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(shell::CompletionsArgs),
    /// Print the manual page (roff), or write one per subcommand with --dir.
    Man(shell::ManArgs),
}

/// `--color`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE=1 forces them).
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    /// Sets the choice every `anstream` stream of this process follows.
    fn apply(self) {
        let choice = match self {
            ColorWhen::Auto => anstream::ColorChoice::Auto,
            ColorWhen::Always => anstream::ColorChoice::Always,
            ColorWhen::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
    }
}

/// Exit code for usage and case-file errors.
pub const EXIT_USAGE: u8 = 2;

/// The exit codes of a run, as `--help` shows them (the README has the same table).
const EXIT_CODES: &str = "Exit codes of a run:
  0    verdict PASS: the run completed, every must and should case passed (and
       --min-coverage was met)
  1    verdict FAIL, or INCOMPLETE without a code of its own (--run-timeout, the target
       stopped answering, no case or no must case ran)
  2    usage or case-file error, or a report path that cannot be written: nothing was sent
  3    a UserId may still hold a lock or session on the target (named in the summary and
       on the verdict line); wins over every other code: destroy them with DestroySession
  4    the target could not be reached (no connection); the run stopped early
  130  interrupted (Ctrl-C or SIGTERM); a second signal leaves cleanup and the report
       10 s, a third exits at once
  141  the output was closed (`| head`): the run stopped and cleaned up";

/// Parses the process's arguments and runs the chosen command.
pub fn main() -> ExitCode {
    let words: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let command = <Cli as clap::CommandFactory>::command();
    let others: Vec<&str> = command
        .get_subcommands()
        .map(clap::Command::get_name)
        .filter(|name| *name != "run")
        .chain(["help"])
        .collect();
    if let Some(message) = run::refused_flag(&words, &others) {
        // `--color` is not parsed yet: errors are plain here.
        return usage_error(message);
    }
    let cli = Cli::parse();
    cli.color.apply();
    match &cli.command {
        Some(Command::Mock(_)) => self::logs::init_with_default(mock::DEFAULT_LOG_FILTER),
        _ => self::logs::init(),
    }
    match cli.command {
        None => run::execute(cli.run),
        Some(Command::Run(args)) => run::execute(*args),
        Some(Command::Sign(args)) => sign::execute(*args),
        Some(Command::Mock(args)) => mock::execute(*args),
        Some(Command::MockCtl(args)) => mock_ctl::execute(*args),
        Some(Command::Compare(args)) => compare::execute(*args),
        Some(Command::Coverage(args)) => coverage::execute(args),
        Some(Command::Mutants(args)) => mutants::execute(args),
        Some(Command::Verify(args)) => audit::execute(args),
        Some(Command::Init(args)) => init::execute(args),
        Some(Command::Completions(args)) => shell::completions(&args),
        Some(Command::Man(args)) => shell::man(&args),
    }
}

/// A tokio runtime for a command (`multi_thread`: the mock serving many connections), or the
/// one-line error printed and the exit code to return.
pub(crate) fn runtime(multi_thread: bool) -> Result<tokio::runtime::Runtime, ExitCode> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build().map_err(|error| {
        anstream::eprintln!(
            "{} cannot start the async runtime: {error}",
            crate::report::console::error_label()
        );
        ExitCode::FAILURE
    })
}

/// Prints a one-line error to stderr and returns the usage exit code.
pub(crate) fn usage_error(message: impl std::fmt::Display) -> ExitCode {
    anstream::eprintln!("{} {message}", crate::report::console::error_label());
    ExitCode::from(EXIT_USAGE)
}
