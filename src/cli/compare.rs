//! cli: `car-conformance compare` — parses the targets (`--target NAME=SPEC`, repeated), each
//! target's credentials (`CAR_<NAME>_SECRET_ID`…), the oracle and `run`'s shared flags into one
//! `run` invocation per target, then prints the matrix, writes the report directory and maps
//! every target's ending to one exit code.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

use super::run::{RunArgs, settings_with};
use crate::plan::{self, CredentialSource, Target};
use crate::report::compare_bundle;
use crate::run::Ending;
use crate::run::compare::{Compared, MockChange, Side, compare};
use crate::run::guard::{EXIT_INTERRUPTED, EXIT_LEFT_BEHIND, EXIT_OUTPUT_CLOSED, EXIT_UNREACHABLE};
use crate::sign::Credentials;

/// `run`'s flags that name one target's settings, or end a run some other way: refused here.
const REFUSED: [(&str, &str); 8] = [
    (
        "target_name",
        "--target-name (the name is NAME in --target NAME=SPEC)",
    ),
    (
        "target_config",
        "--target-config / CAR_TARGET_CONFIG (give each target's profile as NAME=@FILE)",
    ),
    ("certify", "--certify"),
    (
        "baseline",
        "--baseline / CAR_BASELINE (a target's profile can name its baseline)",
    ),
    ("write_baseline", "--write-baseline"),
    ("rerun_failed", "--rerun-failed"),
    ("defect_matrix", "--defect-matrix"),
    ("dry_run", "--dry-run (use `run --dry-run` per target)"),
];

const TARGET_HELP: &str = "A target, NAME=SPEC, given two or more times. NAME: lower-case letters, digits and `-`. \
SPEC: a base URL (https://car.tencentcloudapi.com), @FILE (a target profile), `mock` (the embedded \
reference mock), `mock:defect=D` or `mock:variant=V[,variant=W]` (the mock with a named defect or \
allowed variants). Each URL target signs with CAR_<NAME>_SECRET_ID, CAR_<NAME>_SECRET_KEY and \
CAR_<NAME>_TOKEN (NAME upper-cased, `-` as `_`); without them only a target on this machine is \
sent to (with the mock's test pair). TENCENTCLOUD_SECRET_ID/_KEY/_SESSION_TOKEN are never used by compare";

/// The arguments of `compare`: its own, then `run`'s (filters, cases, pacing, report directory…)
/// shared by every target.
#[derive(Debug, Clone)]
pub struct CompareArgs {
    targets: Vec<String>,
    oracle: Option<String>,
    differences_only: bool,
    /// `run` flags given that compare refuses.
    refused: Vec<&'static str>,
    run: RunArgs,
}

impl FromArgMatches for CompareArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Self::from_arg_matches_mut(&mut matches.clone())
    }

    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, clap::Error> {
        let targets = matches
            .remove_many::<String>("target")
            .map(Iterator::collect)
            .unwrap_or_default();
        let oracle = matches.remove_one::<String>("oracle");
        let differences_only = matches
            .remove_one::<bool>("differences_only")
            .unwrap_or(false);
        let refused = REFUSED
            .iter()
            .filter(|(id, _)| {
                matches!(
                    matches.value_source(id),
                    Some(ValueSource::CommandLine | ValueSource::EnvVariable)
                )
            })
            .map(|(_, flag)| *flag)
            .collect();
        Ok(Self {
            targets,
            oracle,
            differences_only,
            refused,
            run: RunArgs::from_arg_matches_mut(matches)?,
        })
    }

    fn update_from_arg_matches_mut(&mut self, matches: &mut ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches_mut(matches)?;
        Ok(())
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.update_from_arg_matches_mut(&mut matches.clone())
    }
}

impl Args for CompareArgs {
    fn augment_args(command: Command) -> Command {
        // `run`'s flags, with its one `--target URL` turned into compare's repeated NAME=SPEC.
        RunArgs::augment_args(command)
            .mut_arg("target", |arg| {
                arg.action(ArgAction::Append)
                    .env(None::<&str>)
                    .value_name("NAME=SPEC")
                    .help(TARGET_HELP)
            })
            .mut_arg("target_name", |arg| arg.hide(true))
            .arg(
                Arg::new("oracle")
                    .long("oracle")
                    .value_name("NAME")
                    .help("The target whose answers judge the others where the documentation is silent: cases resting on inference are judged by agreement with it, and a documented rule it fails is reported as a documentation discrepancy"),
            )
            .arg(
                Arg::new("differences_only")
                    .long("differences-only")
                    .action(ArgAction::SetTrue)
                    .help("Print only the rows where the targets differ (the report files keep every row)"),
            )
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}

/// What a target is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Spec {
    Url(String),
    Profile(PathBuf),
    Mock(MockChange),
}

/// Parses `NAME=SPEC`.
fn parse_target(text: &str) -> Result<(String, Spec), String> {
    let (name, spec) = text.split_once('=').ok_or_else(|| {
        format!(
            "--target `{}`: give NAME=SPEC, e.g. cloud=https://car.tencentcloudapi.com",
            plan::shown_target(text)
        )
    })?;
    let valid = !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(format!(
            "--target `{}`: a name is 1 to 32 lower-case letters, digits and `-`, starting with a letter or digit",
            crate::redact::for_terminal(name)
        ));
    }
    let spec = if let Some(path) = spec.strip_prefix('@') {
        Spec::Profile(PathBuf::from(path))
    } else if spec == "mock" {
        Spec::Mock(MockChange::default())
    } else if let Some(changes) = spec.strip_prefix("mock:") {
        Spec::Mock(mock_change(changes)?)
    } else {
        Spec::Url(spec.to_owned())
    };
    Ok((name.to_owned(), spec))
}

/// `defect=D`, `variant=V`, comma-separated; every name checked against the mock's lists.
fn mock_change(text: &str) -> Result<MockChange, String> {
    let mut change = MockChange::default();
    for part in text.split(',') {
        match part.split_once('=') {
            Some(("defect", name)) => {
                crate::mock::defects::lookup(name).map_err(|e| e.to_string())?;
                if change.defect.replace(name.to_owned()).is_some() {
                    return Err("a mock target has at most one defect".to_owned());
                }
            }
            Some(("variant", name)) => {
                crate::mock::variants::lookup(name).map_err(|e| e.to_string())?;
                change.variants.push(name.to_owned());
            }
            _ => {
                return Err(format!(
                    "`mock:{}`: give mock:defect=NAME or mock:variant=NAME[,variant=NAME]",
                    crate::redact::for_terminal(text)
                ));
            }
        }
    }
    Ok(change)
}

/// The environment variable of one of a target's credentials.
fn credential_variable(name: &str, what: &str) -> String {
    format!("CAR_{}_{what}", name.to_ascii_uppercase().replace('-', "_"))
}

/// A target's credentials from `CAR_<NAME>_SECRET_ID`, `_SECRET_KEY` and `_TOKEN`.
fn credentials(name: &str) -> Result<(Credentials, CredentialSource), String> {
    let var = |what| std::env::var(credential_variable(name, what)).ok();
    plan::credentials_from(var("SECRET_ID"), var("SECRET_KEY"), var("TOKEN")).map_err(|_| {
        format!(
            "target `{name}`: set both {} and {} (or neither, for a target on this machine)",
            credential_variable(name, "SECRET_ID"),
            credential_variable(name, "SECRET_KEY")
        )
    })
}

/// The run of one target.
fn side(run: &RunArgs, name: String, spec: Spec, oracle: Option<&str>) -> Result<Side, String> {
    let (url, profile, mock) = match spec.clone() {
        Spec::Url(url) => (Some(url), None, MockChange::default()),
        Spec::Profile(path) => (None, Some(path), MockChange::default()),
        Spec::Mock(change) => (None, None, change),
    };
    let args = run.for_target(url, &name, profile, oracle == Some(name.as_str()));
    let found = credentials(&name)?;
    let hint = match found.1 {
        // `run`'s refusal names TENCENTCLOUD_*: say which variables compare reads instead.
        CredentialSource::TestPair => format!(
            " (compare signs target `{name}` with {} / {}, never with TENCENTCLOUD_SECRET_ID/_KEY)",
            credential_variable(&name, "SECRET_ID"),
            credential_variable(&name, "SECRET_KEY")
        ),
        _ => String::new(),
    };
    let settings =
        settings_with(&args, found).map_err(|error| format!("target `{name}`: {error}{hint}"))?;
    if matches!(spec, Spec::Profile(_)) && settings.target == Target::Embedded {
        return Err(format!("target `{name}`: its profile names no url"));
    }
    Ok(Side {
        name,
        invocation: args.into_invocation(settings),
        mock,
    })
}

fn sides(args: &CompareArgs) -> Result<Vec<Side>, String> {
    if !args.refused.is_empty() {
        return Err(format!("compare refuses {}", args.refused.join(", ")));
    }
    let parsed = args
        .targets
        .iter()
        .map(|t| parse_target(t))
        .collect::<Result<Vec<_>, _>>()?;
    if parsed.len() < 2 {
        return Err(
            "compare needs two or more targets: --target NAME=SPEC --target NAME=SPEC".to_owned(),
        );
    }
    for (i, (name, _)) in parsed.iter().enumerate() {
        if parsed[..i].iter().any(|(other, _)| other == name) {
            return Err(format!("two targets are named `{name}`"));
        }
    }
    if let Some(oracle) = &args.oracle
        && !parsed.iter().any(|(name, _)| name == oracle)
    {
        return Err(format!(
            "--oracle `{}` names no target",
            crate::redact::for_terminal(oracle)
        ));
    }
    if args.run.records_observations() && args.oracle.is_none() {
        return Err(
            "--record-observations records the oracle's answers: name the oracle with --oracle"
                .to_owned(),
        );
    }
    if let Some(dir) = args.run.report_dir() {
        crate::report::atomic::probe_dir(dir, true).map_err(|e| {
            format!(
                "cannot write the report directory {}: {e}; nothing was sent",
                dir.display()
            )
        })?;
    }
    parsed
        .into_iter()
        .map(|(name, spec)| side(&args.run, name, spec, args.oracle.as_deref()))
        .collect()
}

/// One exit code for all targets, in `run`'s order of precedence: a UserId left anywhere (3),
/// an interruption (130, 141), a usage error (2), an unreachable target (4), then whether the
/// comparison fails (1) or passes (0).
fn exit_code(compared: &Compared) -> ExitCode {
    let codes: Vec<u8> = compared
        .targets
        .iter()
        .map(|t| super::exit::code(&t.ended))
        .collect();
    for code in [
        EXIT_LEFT_BEHIND,
        EXIT_INTERRUPTED,
        EXIT_OUTPUT_CLOSED,
        super::EXIT_USAGE,
        EXIT_UNREACHABLE,
    ] {
        if codes.contains(&code) {
            return ExitCode::from(code);
        }
    }
    match &compared.comparison {
        Some(comparison) if !comparison.fails() => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}

/// Says what each target's end needs said (an error, a report that could not be written), as
/// `run` does at its end.
fn print_endings(compared: &Compared) {
    for target in &compared.targets {
        match &target.ended {
            Err(error) => {
                eprint!("target `{}`: ", target.name);
                let _ = super::exit::run_error(error);
            }
            Ok(Ending::Ran {
                unwritten: Some(error),
                ..
            }) => eprintln!("error: target `{}`: {error}", target.name),
            Ok(_) => {}
        }
    }
}

pub fn execute(args: CompareArgs) -> ExitCode {
    let sides = match sides(&args) {
        Ok(sides) => sides,
        Err(message) => return super::usage_error(message),
    };
    let secrets: Vec<String> = sides
        .iter()
        .flat_map(|s| {
            let c = &s.invocation.settings.credentials;
            std::iter::once(c.secret_key.clone()).chain(c.token.clone())
        })
        .collect();
    let mut out = std::io::stdout();
    let compared = compare(sides, args.oracle.as_deref(), &mut out);
    print_endings(&compared);
    // `--list`, or a rerun with nothing to rerun: the first target said so, nothing ran.
    if compared
        .targets
        .iter()
        .all(|t| matches!(t.ended, Ok(Ending::Nothing)))
    {
        return ExitCode::SUCCESS;
    }
    if let Some(why) = &compared.stopped {
        let _ = writeln!(out, "\ncompare stopped: {why}");
    }
    let Some(comparison) = &compared.comparison else {
        let _ = writeln!(
            out,
            "\ncompare verdict: INCOMPLETE — not every target reported"
        );
        return exit_code(&compared);
    };
    let _ = write!(
        out,
        "{}",
        crate::report::compare_render::terminal(comparison, args.differences_only)
    );
    if let (Some(dir), Some(reference)) = (args.run.report_dir(), compared.reference()) {
        match compare_bundle::write(dir, reference, comparison, &secrets) {
            Ok(_) => {
                let _ = writeln!(
                    out,
                    "compare report: {} ({}; each target's own report in NAME/)",
                    dir.display(),
                    compare_bundle::FILES.join(", ")
                );
            }
            Err(error) => return super::usage_error(error),
        }
    }
    exit_code(&compared)
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;
