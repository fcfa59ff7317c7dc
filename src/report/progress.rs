//! report: progress while cases run — a bar on stderr for runs that take more than a moment,
//! nothing more otherwise. The console's lines (one per case) are printed through the bar
//! ([`Progress::suspend`]), which clears it and draws it again below them, so both can share
//! one terminal. Terse and JSON output never get a bar: a JSON stream is for programs, and terse
//! markers share their line with nothing.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::console::Format;
use crate::outcome::{Outcome, Status};

/// A note or warning the run prints as it goes (a snapshot directory it will not write, say):
/// one line on stderr, beside the progress and away from the cases' lines on stdout.
pub fn notice(line: &str) {
    eprintln!("{line}");
}

/// How long a run goes before its bar appears.
pub const MOMENT: Duration = Duration::from_millis(800);

/// `--progress`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal.
    #[default]
    Auto,
    /// A bar on stderr whatever it is (for terminals `auto` misjudges).
    Bar,
    /// No bar: the console's lines only.
    Plain,
}

/// What a run shows while it goes, besides the console's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    /// Nothing.
    Plain,
    /// A bar on stderr.
    Bar,
}

/// The display for a run of `format` (`None`: libtest prints, as under `cargo test`);
/// `stderr_tty` says whether stderr is a terminal.
pub fn choose(mode: ProgressMode, format: Option<Format>, stderr_tty: bool) -> Display {
    match mode {
        _ if format != Some(Format::Pretty) => Display::Plain,
        ProgressMode::Plain => Display::Plain,
        ProgressMode::Bar => Display::Bar,
        ProgressMode::Auto if !stderr_tty || std::env::var("TERM").is_ok_and(|t| t == "dumb") => {
            Display::Plain
        }
        ProgressMode::Auto => Display::Bar,
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
}

impl Progress {
    /// No progress display beyond the console's lines.
    pub fn plain() -> Self {
        Self::default()
    }

    /// Starts the display `mode` asks for, for `total` cases shown in `format`.
    pub fn start(mode: ProgressMode, format: Option<Format>, total: usize) -> Self {
        let display = choose(mode, format, std::io::stderr().is_terminal());
        Self::with_display(display, total, ProgressDrawTarget::stderr)
    }

    /// [`Progress::start`] with the display chosen and the bar's target given.
    pub fn with_display(
        display: Display,
        total: usize,
        target: fn() -> ProgressDrawTarget,
    ) -> Self {
        let mut progress = Self::default();
        if display == Display::Plain || total == 0 {
            return progress;
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

    /// Runs `print` with the bar cleared, then draws the bar again below what it printed.
    pub fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        match &self.bar {
            Some(state) => state.bar.suspend(print),
            None => print(),
        }
    }

    /// Counts one finished case in the bar's position and message.
    pub fn case_done(&self, outcome: &Outcome) {
        let Some(state) = &self.bar else {
            return;
        };
        state.bar.inc(1);
        let failed = if outcome.status == Status::Failed && outcome.fails_run() {
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

    /// Clears the bar for good.
    pub fn finish(&self) {
        if let Some(state) = &self.bar {
            let mut finished = state
                .finished
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *finished = true;
            state.bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::report::fixtures::outcome;

    #[test]
    fn the_display_follows_the_terminal_and_the_format() {
        let pretty = Some(Format::Pretty);
        assert_eq!(choose(ProgressMode::Auto, pretty, true), Display::Bar);
        assert_eq!(choose(ProgressMode::Auto, pretty, false), Display::Plain);
        assert_eq!(choose(ProgressMode::Plain, pretty, true), Display::Plain);
        assert_eq!(choose(ProgressMode::Bar, pretty, false), Display::Bar);
        for other in [Some(Format::Json), Some(Format::Terse), None] {
            assert_eq!(choose(ProgressMode::Bar, other, true), Display::Plain);
        }
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
    fn the_bar_appears_after_a_moment_and_counts_failures() {
        let progress = Progress::with_display(Display::Bar, 3, || {
            ProgressDrawTarget::term_like(Box::new(Screen))
        });
        progress.case_done(&outcome("quick/a", Level::Must, Status::Passed));
        assert_eq!(
            *DRAWN.lock().unwrap(),
            "",
            "nothing is drawn within a moment"
        );
        std::thread::sleep(MOMENT + Duration::from_millis(400));
        progress.case_done(&outcome("slow/b", Level::Should, Status::Failed));
        let printed = progress.suspend(|| "a line above the bar");
        progress.finish();
        assert_eq!(printed, "a line above the bar");
        let drawn = DRAWN.lock().unwrap().clone();
        assert!(drawn.contains("2/3 cases · 1 failed · slow/b"), "{drawn:?}");
    }

    #[test]
    fn a_plain_run_prints_straight_through() {
        let progress = Progress::with_display(Display::Plain, 5, ProgressDrawTarget::hidden);
        assert_eq!(progress.suspend(|| 7), 7);
        progress.case_done(&outcome("a", Level::Must, Status::Passed));
        progress.finish();
    }
}
