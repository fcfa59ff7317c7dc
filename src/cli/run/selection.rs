//! cli: the libtest-style flags `run` keeps — which cases (FILTER, `--exact`, `--skip`,
//! `--ignored`, `--include-ignored`), `--list`, `--test-threads`, `--format`, `-q` — declared
//! here so that `--help` shows only flags that work, then turned into the
//! `libtest_mimic::Arguments` its scheduler reads. libtest's other flags are refused by name.

use libtest_mimic::{Arguments, ColorSetting, FormatSetting};

use crate::report::console::Format;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct SelectionArgs {
    /// Run only the cases whose id contains FILTER (is FILTER, with --exact).
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    /// FILTER and --skip match whole case ids.
    #[arg(long)]
    pub exact: bool,
    /// Leave out the cases whose id contains PATTERN (repeatable).
    #[arg(long, value_name = "PATTERN")]
    pub skip: Vec<String>,
    /// Run only the cases their file marks `ignore` (kept out of ordinary runs).
    #[arg(long, conflicts_with = "include_ignored")]
    pub ignored: bool,
    /// Also run the cases their file marks `ignore`.
    #[arg(long)]
    pub include_ignored: bool,
    /// List the selected cases and run nothing (`--format json`: one JSON object per case).
    #[arg(long)]
    pub list: bool,
    /// Run N cases at once (default: --concurrency, else one per CPU).
    #[arg(long, value_name = "N")]
    pub test_threads: Option<usize>,
    /// How each case is shown as it ends.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// One character per case (--format terse).
    #[arg(short, long)]
    pub quiet: bool,
}

/// libtest flags that mean nothing here, and why. They are not declared to clap (which would
/// offer them in completions); [`refused_flag`] names them before clap parses.
const REFUSED: [(&str, &str); 6] = [
    ("--bench", "the suite has no benchmarks"),
    ("--test", "every case is a test"),
    (
        "--nocapture",
        "cases print nothing to capture; a failure is shown in full as it happens",
    ),
    (
        "--show-output",
        "cases print nothing to capture; a failure is shown in full as it happens",
    ),
    ("-Z", "--format json needs no unstable option"),
    ("--logfile", "--report-dir DIR writes the results to files"),
];

/// Why the command line (program name first) is refused, when it gives `run` a libtest flag
/// that car-conformance does not take (instead of clap's bare "unexpected argument").
/// `other_commands` are the subcommands other than `run`, whose flags are their own business.
pub fn refused_flag(args: &[String], other_commands: &[&str]) -> Option<String> {
    let args = args.get(1..)?;
    let mut words = args.iter().filter(|a| !a.starts_with('-'));
    if words
        .next()
        .is_some_and(|first| other_commands.contains(&first.as_str()))
    {
        return None;
    }
    args.iter()
        .take_while(|a| *a != "--")
        .find_map(|arg| {
            REFUSED.iter().find(|(flag, _)| {
                arg == flag
                    || arg.strip_prefix(flag).is_some_and(|rest| {
                        rest.starts_with('=') || (*flag == "-Z" && !rest.is_empty())
                    })
            })
        })
        .map(|(flag, reason)| {
            format!("{flag} is a libtest flag that car-conformance does not take: {reason}")
        })
}

impl SelectionArgs {
    /// The console format: `-q` is terse.
    pub fn format(&self) -> Format {
        match self.format {
            Some(format) => format,
            None if self.quiet => Format::Terse,
            None => Format::Pretty,
        }
    }

    /// What libtest's scheduler reads; its printer is silenced by the run (the console prints).
    pub fn arguments(&self) -> Arguments {
        Arguments {
            filter: self.filter.clone(),
            exact: self.exact,
            skip: self.skip.clone(),
            ignored: self.ignored,
            include_ignored: self.include_ignored,
            list: self.list,
            test_threads: self.test_threads,
            quiet: self.quiet,
            format: Some(match self.format() {
                Format::Pretty => FormatSetting::Pretty,
                Format::Terse => FormatSetting::Terse,
                Format::Json => FormatSetting::Json,
            }),
            color: Some(ColorSetting::Never),
            ..Arguments::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(flatten)]
        selection: SelectionArgs,
    }

    fn parse(args: &[&str]) -> SelectionArgs {
        Probe::try_parse_from(std::iter::once("x").chain(args.iter().copied()))
            .unwrap()
            .selection
    }

    #[test]
    fn the_kept_flags_reach_libtest() {
        let args = parse(&[
            "auth/",
            "--exact",
            "--skip",
            "v1",
            "--skip",
            "lock",
            "--include-ignored",
            "--test-threads",
            "3",
            "-q",
        ])
        .arguments();
        assert_eq!(args.filter.as_deref(), Some("auth/"));
        assert!(args.exact && args.include_ignored && !args.ignored && args.quiet);
        assert_eq!(args.skip, ["v1", "lock"]);
        assert_eq!(args.test_threads, Some(3));
        assert_eq!(args.format, Some(FormatSetting::Terse));
        assert_eq!(parse(&["--format", "json"]).format(), Format::Json);
        assert_eq!(parse(&[]).format(), Format::Pretty);
        assert!(
            Probe::try_parse_from(["x", "--ignored", "--include-ignored"]).is_err(),
            "the two ignore flags contradict each other"
        );
    }

    #[test]
    fn libtest_only_flags_are_refused_by_name() {
        let line = |args: &[&str]| {
            let all: Vec<String> = std::iter::once("car-conformance")
                .chain(args.iter().copied())
                .map(str::to_owned)
                .collect();
            refused_flag(&all, &["sign", "help"])
        };
        for (args, said) in [
            (&["--nocapture"][..], "--nocapture is a libtest flag"),
            (
                &["run", "auth/", "--show-output"][..],
                "--show-output is a libtest flag",
            ),
            (&["--bench"][..], "--bench is a libtest flag"),
            (&["-Z", "unstable-options"][..], "-Z is a libtest flag"),
            (&["-Zunstable-options"][..], "-Z is a libtest flag"),
            (&["--logfile=x.log"][..], "--logfile is a libtest flag"),
        ] {
            let error = line(args).unwrap_or_default();
            assert!(error.starts_with(said), "{args:?}: {error}");
        }
        assert_eq!(line(&["--list", "--test-threads", "2"]), None);
        assert_eq!(line(&["--", "--nocapture"]), None, "after --, a filter");
        assert_eq!(line(&["sign", "--test"]), None, "another command's flags");
        assert_eq!(line(&["--testing"]), None);
    }
}
