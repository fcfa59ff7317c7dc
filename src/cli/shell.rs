//! cli: `completions SHELL` and `man` — shell completions and manual pages generated from the
//! clap definition itself, so they name exactly the subcommands and flags that parse.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use super::Cli;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write car-conformance.1 and a page per subcommand (car-conformance-run.1, …) into DIR
    /// instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Prints the completion script of `shell` (e.g. `car-conformance completions bash >
/// ~/.local/share/bash-completion/completions/car-conformance`).
pub fn completions(args: &CompletionsArgs) -> ExitCode {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "car-conformance", &mut out);
    finish(std::io::stdout().lock().write_all(&out))
}

/// Prints the main manual page, or writes every page into `--dir`.
pub fn man(args: &ManArgs) -> ExitCode {
    match &args.dir {
        Some(dir) => match clap_mangen::generate_to(Cli::command(), dir) {
            Ok(()) => {
                println!("wrote the manual pages into {}", dir.display());
                ExitCode::SUCCESS
            }
            Err(error) => super::usage_error(format!(
                "cannot write the manual pages into {}: {error}",
                dir.display()
            )),
        },
        None => {
            let mut out = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut out) {
                Ok(()) => finish(std::io::stdout().lock().write_all(&out)),
                Err(error) => super::usage_error(format!("cannot render the manual page: {error}")),
            }
        }
    }
}

/// Success, also when the reader went away (`| head`).
fn finish(written: std::io::Result<()>) -> ExitCode {
    match written {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            super::usage_error(format!("cannot write to stdout: {error}"))
        }
        _ => ExitCode::SUCCESS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(shell: Shell) -> String {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "car-conformance", &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn completions_name_the_real_subcommands_and_flags_only() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let script = generated(shell);
            // Fish spells a flag `-l target`: the names are looked for without dashes.
            for word in [
                "mock-ctl",
                "target",
                "show-coverage",
                "include-ignored",
                "completions",
            ] {
                assert!(script.contains(word), "{shell:?} lacks {word}");
            }
            for refused in ["nocapture", "bench", "show-output", "logfile"] {
                assert!(!script.contains(refused), "{shell:?} offers {refused}");
            }
        }
    }

    #[test]
    fn the_manual_pages_describe_every_subcommand() {
        let dir = std::env::temp_dir().join(format!("car-man-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        clap_mangen::generate_to(Cli::command(), &dir).unwrap();
        let page = std::fs::read_to_string(dir.join("car-conformance.1")).unwrap();
        assert!(page.contains("car\\-conformance"), "{page}");
        assert!(page.contains("\\-\\-target"), "{page}");
        assert!(!page.contains("nocapture"), "{page}");
        for sub in [
            "run",
            "sign",
            "mock",
            "mock-ctl",
            "coverage",
            "verify",
            "completions",
            "man",
        ] {
            assert!(
                dir.join(format!("car-conformance-{sub}.1")).exists(),
                "no page for {sub}"
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
