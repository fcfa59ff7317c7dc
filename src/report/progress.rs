//! report: progress while cases run — a bar on a terminal for runs that take more than a moment,
//! plain lines otherwise. libtest-mimic prints its own lines to stdout, and a bar redrawn on the
//! same terminal would garble them; so when both streams are one terminal, libtest's output goes
//! to a log file (its `--logfile`) while the bar runs on stderr, and the log is replayed
//! unchanged when the run ends. When stdout is redirected, the bar runs on stderr beside it; when
//! stderr is not a terminal, libtest's own lines are the progress.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use libtest_mimic::{Arguments, ColorSetting, FormatSetting};

use crate::outcome::{Outcome, Status};

/// A note or warning the run prints as it goes (a snapshot directory it will not write, say):
/// one line on stderr, beside the progress and away from libtest's own lines on stdout.
pub fn notice(line: &str) {
    eprintln!("{line}");
}

/// How long a run goes before its bar appears.
pub const MOMENT: Duration = Duration::from_millis(800);

/// `--progress`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal, else libtest's plain lines.
    #[default]
    Auto,
    /// Always route libtest's output through the bar's log (for terminals `auto` misjudges).
    Bar,
    /// libtest's plain lines only.
    Plain,
}

/// What a run shows while it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// libtest's lines, nothing else.
    Plain,
    /// A bar on stderr; libtest's lines go on to stdout (not the same terminal).
    BarBeside,
    /// A bar on stderr; libtest's lines are held in a log and replayed at the end.
    BarWithLog,
}

/// The display for a run: `stdout_tty` / `stderr_tty` say which streams are terminals.
pub fn choose(mode: ProgressMode, args: &Arguments, stdout_tty: bool, stderr_tty: bool) -> Display {
    let machine = args.format == Some(FormatSetting::Json) || args.list || args.logfile.is_some();
    match mode {
        _ if machine => Display::Plain,
        ProgressMode::Plain => Display::Plain,
        ProgressMode::Bar => Display::BarWithLog,
        ProgressMode::Auto if !stderr_tty || std::env::var("TERM").is_ok_and(|t| t == "dumb") => {
            Display::Plain
        }
        ProgressMode::Auto if stdout_tty => Display::BarWithLog,
        ProgressMode::Auto => Display::BarBeside,
    }
}

#[derive(Debug)]
struct Bar {
    bar: ProgressBar,
    /// Set when the run ends; the lock keeps the bar from appearing after it was cleared.
    finished: Arc<Mutex<bool>>,
    failed: AtomicUsize,
}

/// The progress of one run: ticks from the trials, then [`Progress::finish`].
#[derive(Debug, Default)]
pub struct Progress {
    bar: Option<Bar>,
    /// libtest's log file, replayed by `finish`.
    log: Option<PathBuf>,
}

impl Progress {
    /// No progress display beyond libtest's lines.
    pub fn plain() -> Self {
        Self::default()
    }

    /// Starts the display `mode` asks for, for `total` cases; a bar with a log points libtest's
    /// output (`args.logfile`) at the log.
    pub fn start(mode: ProgressMode, args: &mut Arguments, total: usize) -> Self {
        let display = choose(
            mode,
            args,
            std::io::stdout().is_terminal(),
            std::io::stderr().is_terminal(),
        );
        Self::with_display(display, args, total, ProgressDrawTarget::stderr)
    }

    /// [`Progress::start`] with the display chosen and the bar's target given.
    pub fn with_display(
        display: Display,
        args: &mut Arguments,
        total: usize,
        target: fn() -> ProgressDrawTarget,
    ) -> Self {
        let mut progress = Self::default();
        if display == Display::Plain || total == 0 {
            return progress;
        }
        if display == Display::BarWithLog {
            let log = std::env::temp_dir().join(format!(
                "car-conformance-{}-{}.log",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ));
            // libtest-mimic panics when it cannot create its log: make sure it can.
            if std::fs::File::create(&log).is_err() {
                return progress;
            }
            // The log is replayed onto the terminal: keep libtest's colours in it.
            if args.color.is_none_or(|c| c == ColorSetting::Auto) && std::io::stdout().is_terminal()
            {
                args.color = Some(ColorSetting::Always);
            }
            args.logfile = Some(log.to_string_lossy().into_owned());
            progress.log = Some(log);
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            // A fixed bar; the message (failures, the last case) is cut to the terminal's width.
            "{spinner} {elapsed:>4} [{bar:30}] {pos}/{len} cases {wide_msg}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        let finished = Arc::new(Mutex::new(false));
        // Show the bar only once the run has taken more than a moment.
        {
            let (bar, finished) = (bar.clone(), Arc::clone(&finished));
            std::thread::spawn(move || {
                std::thread::sleep(MOMENT);
                let finished = finished.lock().unwrap_or_else(PoisonError::into_inner);
                if !*finished {
                    bar.set_draw_target(target());
                    bar.enable_steady_tick(Duration::from_millis(120));
                }
            });
        }
        progress.bar = Some(Bar {
            bar,
            finished,
            failed: AtomicUsize::new(0),
        });
        progress
    }

    /// Whether libtest's output is being held for replay.
    pub fn holds_output(&self) -> bool {
        self.log.is_some()
    }

    /// Counts one finished case; a failure is printed above the bar as it happens.
    pub fn case_done(&self, outcome: &Outcome) {
        let Some(state) = &self.bar else {
            return;
        };
        state.bar.inc(1);
        let failed = if outcome.status == Status::Failed {
            state.bar.println(format!(
                "FAILED [{}] {}",
                outcome.failing_level().unwrap_or(outcome.level).as_str(),
                outcome.id
            ));
            state.failed.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            state.failed.load(Ordering::SeqCst)
        };
        let failed = if failed > 0 {
            format!("· {failed} failed ")
        } else {
            String::new()
        };
        state.bar.set_message(format!("{failed}· {}", outcome.id));
    }

    /// Clears the bar and replays libtest's log onto `out` (once: the log is removed).
    pub fn finish(&self, out: &mut dyn Write) {
        if let Some(state) = &self.bar {
            let mut finished = state
                .finished
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *finished = true;
            state.bar.finish_and_clear();
        }
        if let Some(log) = &self.log {
            if let Ok(bytes) = std::fs::read(log) {
                let _ = out.write_all(&bytes);
                let _ = out.flush();
            }
            let _ = std::fs::remove_file(log);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::report::fixtures::outcome;

    fn args(list: &[&str]) -> Arguments {
        Arguments::from_iter(std::iter::once("x").chain(list.iter().copied()))
    }

    #[test]
    fn the_display_follows_the_terminals_and_the_format() {
        let plain = args(&[]);
        assert_eq!(
            choose(ProgressMode::Auto, &plain, true, true),
            Display::BarWithLog
        );
        assert_eq!(
            choose(ProgressMode::Auto, &plain, false, true),
            Display::BarBeside
        );
        assert_eq!(
            choose(ProgressMode::Auto, &plain, true, false),
            Display::Plain
        );
        assert_eq!(
            choose(ProgressMode::Auto, &plain, false, false),
            Display::Plain
        );
        assert_eq!(
            choose(ProgressMode::Plain, &plain, true, true),
            Display::Plain
        );
        assert_eq!(
            choose(ProgressMode::Bar, &plain, false, false),
            Display::BarWithLog
        );
        let json = args(&["--format", "json", "-Zunstable-options"]);
        assert_eq!(choose(ProgressMode::Bar, &json, true, true), Display::Plain);
        assert_eq!(
            choose(ProgressMode::Auto, &args(&["--list"]), true, true),
            Display::Plain
        );
    }

    #[test]
    fn a_held_log_is_replayed_unchanged_and_removed() {
        let mut a = args(&[]);
        let progress =
            Progress::with_display(Display::BarWithLog, &mut a, 2, ProgressDrawTarget::hidden);
        let log = PathBuf::from(a.logfile.clone().expect("libtest writes to the log"));
        assert!(progress.holds_output());
        std::fs::write(&log, "\nrunning 2 tests\ntest a ... ok\ntest b ... ok\n").unwrap();
        progress.case_done(&outcome("a", Level::Must, Status::Passed));
        progress.case_done(&outcome("b", Level::Must, Status::Failed));
        let mut out = Vec::new();
        progress.finish(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\nrunning 2 tests\ntest a ... ok\ntest b ... ok\n"
        );
        assert!(!log.exists());
    }

    /// A terminal that keeps what is drawn on it.
    #[derive(Debug)]
    struct Screen;
    static DRAWN: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());
    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            DRAWN.lock().unwrap().push_str(&format!("{s}\n"));
            Ok(())
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            DRAWN.lock().unwrap().push_str(s);
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_bar_appears_after_a_moment_with_failures_above_it() {
        let mut a = args(&[]);
        let progress = Progress::with_display(Display::BarBeside, &mut a, 3, || {
            ProgressDrawTarget::term_like(Box::new(Screen))
        });
        assert!(
            a.logfile.is_none(),
            "stdout is not held when the bar is beside it"
        );
        progress.case_done(&outcome("quick/a", Level::Must, Status::Passed));
        assert_eq!(
            *DRAWN.lock().unwrap(),
            "",
            "nothing is drawn within a moment"
        );
        std::thread::sleep(MOMENT + Duration::from_millis(400));
        progress.case_done(&outcome("slow/b", Level::Should, Status::Failed));
        progress.finish(&mut Vec::new());
        let drawn = DRAWN.lock().unwrap().clone();
        assert!(drawn.contains("FAILED [should] slow/b"), "{drawn:?}");
        assert!(drawn.contains("2/3 cases · 1 failed · slow/b"), "{drawn:?}");
    }

    #[test]
    fn plain_runs_leave_libtest_alone() {
        let mut a = args(&[]);
        let progress =
            Progress::with_display(Display::Plain, &mut a, 5, ProgressDrawTarget::hidden);
        assert!(a.logfile.is_none() && a.color.is_none());
        assert!(!progress.holds_output());
        let mut out = Vec::new();
        progress.finish(&mut out);
        assert!(out.is_empty());
    }
}
