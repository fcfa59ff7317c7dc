//! cli: the one place a run's end becomes the process's exit code — an [`Ending`] or a
//! [`RunError`] from `run`, printed where it needs words, mapped onto the codes `--help` lists.

use std::process::ExitCode;

use crate::run::guard::{EXIT_INTERRUPTED, EXIT_LEFT_BEHIND, EXIT_OUTPUT_CLOSED, EXIT_UNREACHABLE};
use crate::run::{Ending, RunError};
use crate::send::timeout::Stop;

/// Prints what the end of a run needs said, and returns its exit code.
pub fn finish(ended: Result<Ending, RunError>) -> ExitCode {
    match &ended {
        Ok(Ending::NoCaseMatched) => println!("\nrunning 0 cases: no case matches the filter"),
        Ok(Ending::Ran {
            unwritten: Some(error),
            ..
        }) => anstream::eprintln!("{} {error}", crate::report::console::error_label()),
        Err(error) => return run_error(error),
        Ok(_) => {}
    }
    ExitCode::from(code(&ended))
}

/// Prints why the run could not start (case-file diagnostics as they are) and returns the
/// usage exit code: nothing was sent.
pub fn run_error(error: &RunError) -> ExitCode {
    if error.is_diagnostics() {
        eprintln!("{error}");
        ExitCode::from(super::EXIT_USAGE)
    } else {
        super::usage_error(error)
    }
}

/// The exit code of a run's end: a UserId left behind wins over everything, then how the run
/// stopped, then the verdict; an unwritten report is a usage error.
pub(super) fn code(ended: &Result<Ending, RunError>) -> u8 {
    let (failed, stop, unwritten) = match ended {
        Err(_) => return super::EXIT_USAGE,
        Ok(Ending::Nothing | Ending::NoCaseMatched) => return 0,
        Ok(Ending::DryRun { problems }) => return u8::from(*problems > 0),
        Ok(Ending::Ran {
            left_behind: true, ..
        }) => return EXIT_LEFT_BEHIND,
        Ok(Ending::Ran {
            failed,
            stop,
            unwritten,
            ..
        }) => (*failed, *stop, unwritten.is_some()),
    };
    match stop {
        Some(Stop::Interrupted) => EXIT_INTERRUPTED,
        Some(Stop::Unreachable) => EXIT_UNREACHABLE,
        Some(Stop::OutputClosed) => EXIT_OUTPUT_CLOSED,
        _ if unwritten => super::EXIT_USAGE,
        // The run's time limit: not every case ran, so not a pass.
        Some(Stop::RunTimeout(_)) => 1,
        None => u8::from(failed),
    }
}

/// A run that ended normally, as the exit-code tests (here and `compare`'s) build it.
#[cfg(test)]
pub(super) fn ran(failed: bool, left_behind: bool, stop: Option<Stop>) -> Result<Ending, RunError> {
    Ok(Ending::Ran {
        failed,
        left_behind,
        stop,
        unwritten: None,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn exit_codes_say_how_the_run_ended() {
        assert_eq!(code(&ran(false, false, None)), 0);
        assert_eq!(code(&ran(true, false, None)), 1);
        let timed_out = Some(Stop::RunTimeout(Duration::from_secs(1)));
        assert_eq!(code(&ran(false, false, timed_out)), 1);
        assert_eq!(code(&ran(true, false, timed_out)), 1);
        assert_eq!(code(&ran(false, false, Some(Stop::Interrupted))), 130);
        assert_eq!(code(&ran(true, false, Some(Stop::Unreachable))), 4);
        assert_eq!(code(&ran(false, false, Some(Stop::OutputClosed))), 141);
        assert_eq!(code(&Ok(Ending::Nothing)), 0);
        assert_eq!(code(&Ok(Ending::NoCaseMatched)), 0);
        assert_eq!(code(&Ok(Ending::DryRun { problems: 0 })), 0);
        assert_eq!(code(&Ok(Ending::DryRun { problems: 2 })), 1);
        assert_eq!(code(&Err(RunError::NoThreads)), 2);
    }

    #[test]
    fn a_session_left_behind_wins_over_everything_and_an_unwritten_report_over_the_verdict() {
        assert_eq!(code(&ran(true, true, Some(Stop::Interrupted))), 3);
        let unwritten = |stop| {
            Ok(Ending::Ran {
                failed: false,
                left_behind: false,
                stop,
                unwritten: Some("cannot write".into()),
            })
        };
        assert_eq!(code(&unwritten(None)), 2);
        assert_eq!(code(&unwritten(Some(Stop::Interrupted))), 130);
    }
}
