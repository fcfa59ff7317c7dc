//! report: the console while a run goes — one line (pretty), one character (terse) or one JSON
//! object (json) per case, with a word of its own for each ending: passed, failed, skipped (with
//! its reason), failed at `info` only, known failure. libtest's scheduler runs the cases, but its
//! printer knows only `ok`, `FAILED` and `ignored`, so it is silenced and this prints instead.
//!
//! Colours are ANSI styles written into the text; the stream they go to (`anstream`) drops them
//! unless `--color`, `NO_COLOR`, `CLICOLOR_FORCE` and the terminal say to keep them. Target text
//! is made harmless for the terminal before any style is added around it.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use anstyle::{AnsiColor, Style};
use serde_json::json;

use crate::outcome::{Outcome, Status, render_failures};
use crate::redact::for_terminal;

/// `--format`: how each case is shown while the run goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A line per case: its word, level, id, time, and why it did not pass.
    #[default]
    Pretty,
    /// A character per case: `.` passed, `F` failed, `s` skipped, `i` failed at info only,
    /// `k` known failure.
    Terse,
    /// A JSON object per line on stdout (the header and summary go to stderr).
    Json,
}

/// How a case ended, as the console names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Passed,
    /// A failure at `must` or `should`: fails the run.
    Failed,
    /// Not run, with the reason (mock-only, a missing capability, `ignore`, a stopped run).
    Skipped,
    /// Failed at `info` only, which never fails a run.
    InfoFailed,
    /// Failed, and listed in the baseline.
    Known,
}

impl Ending {
    pub fn of(outcome: &Outcome) -> Self {
        match outcome.status {
            Status::Passed => Ending::Passed,
            Status::Failed if outcome.fails_run() => Ending::Failed,
            Status::Failed => Ending::InfoFailed,
            Status::Skipped => Ending::Skipped,
            Status::KnownFailure => Ending::Known,
        }
    }

    /// The word of a pretty line.
    pub fn word(self) -> &'static str {
        match self {
            Ending::Passed => "PASS",
            Ending::Failed => "FAIL",
            Ending::Skipped => "SKIP",
            Ending::InfoFailed => "INFO-FAIL",
            Ending::Known => "KNOWN",
        }
    }

    /// The character of a terse run.
    pub fn marker(self) -> char {
        match self {
            Ending::Passed => '.',
            Ending::Failed => 'F',
            Ending::Skipped => 's',
            Ending::InfoFailed => 'i',
            Ending::Known => 'k',
        }
    }

    /// The `result` of a JSON event.
    pub fn name(self) -> &'static str {
        match self {
            Ending::Passed => "passed",
            Ending::Failed => "failed",
            Ending::Skipped => "skipped",
            Ending::InfoFailed => "info-failed",
            Ending::Known => "known-failure",
        }
    }

    pub fn style(self) -> Style {
        let color = match self {
            Ending::Passed => AnsiColor::Green,
            Ending::Failed => AnsiColor::Red,
            Ending::Skipped => AnsiColor::Yellow,
            Ending::InfoFailed => AnsiColor::Cyan,
            Ending::Known => AnsiColor::Magenta,
        };
        Style::new().fg_color(Some(color.into())).bold()
    }
}

/// `text` in `style` (the stream decides whether the style is shown).
pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// `error:` in bold red, as the start of an error line.
pub fn error_label() -> String {
    paint(
        Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
        "error:",
    )
}

/// Width of the widest word, so ids line up.
const WORD_WIDTH: usize = 9;
/// Terse markers per line.
const TERSE_LINE: usize = 80;

/// Why a case did not pass, in one line: the skip reason, the first failure, the known reason.
pub fn one_line_reason(outcome: &Outcome, known: Option<&str>) -> Option<String> {
    let text = match Ending::of(outcome) {
        Ending::Passed => return None,
        Ending::Skipped => outcome.skip_reason.clone().unwrap_or_default(),
        Ending::Known => format!(
            "known failure: {}",
            known.unwrap_or("listed in the baseline")
        ),
        Ending::Failed | Ending::InfoFailed => {
            let first = outcome
                .failures
                .iter()
                .min_by_key(|f| f.level)
                .map(ToString::to_string)
                .unwrap_or_default();
            let mut line = first.lines().next().unwrap_or_default().trim().to_owned();
            if outcome.failures.len() > 1 {
                line.push_str(&format!(" (+{} more)", outcome.failures.len() - 1));
            }
            line
        }
    };
    Some(for_terminal(&text).into_owned())
}

/// The per-case printer of one run.
pub struct Console {
    format: Format,
    out: Mutex<Box<dyn Write + Send>>,
    /// Width of the longest selected id, so the times line up.
    id_width: usize,
    /// Terse markers printed so far.
    printed: Mutex<usize>,
    /// Set when a write found the reader gone (`| head`): the run stops starting cases.
    closed: AtomicBool,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl Console {
    /// A console writing to `out` (a stream that keeps or drops styles), for cases whose longest
    /// id is `id_width` characters.
    pub fn new(format: Format, out: Box<dyn Write + Send>, id_width: usize) -> Self {
        Self {
            format,
            out: Mutex::new(out),
            id_width,
            printed: Mutex::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// The console of a run: stdout through `anstream`, which applies `--color` and `NO_COLOR`.
    pub fn stdout(format: Format, ids: impl Iterator<Item = usize>) -> Self {
        Self::new(
            format,
            Box::new(anstream::AutoStream::auto(std::io::stdout())),
            ids.max().unwrap_or(0),
        )
    }

    fn write(&self, text: &str) {
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
        if written.is_err_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) {
            self.closed.store(true, Ordering::SeqCst);
        }
    }

    /// Whether the reader of the output went away.
    pub fn closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// The line before the first case.
    pub fn title(&self, count: usize) {
        let text = match self.format {
            Format::Json => format!(
                "{}\n",
                json!({"type": "run", "event": "started", "case_count": count})
            ),
            _ => format!(
                "\nrunning {count} case{}\n",
                if count == 1 { "" } else { "s" }
            ),
        };
        self.write(&text);
    }

    /// One finished case (`known`: its baseline reason, for a known failure).
    pub fn case(&self, outcome: &Outcome, known: Option<&str>) {
        let text = match self.format {
            Format::Pretty => self.pretty(outcome, known),
            Format::Terse => self.terse(outcome),
            Format::Json => format!("{}\n", event(outcome, known)),
        };
        self.write(&text);
    }

    /// The last JSON event (`--format json`): the counts and the verdict.
    pub fn finished(&self, report: &super::RunReport) {
        if self.format != Format::Json {
            return;
        }
        let s = report.summary;
        let event = json!({
            "type": "run",
            "event": "finished",
            "verdict": report.verdict.label(),
            "reason": report.verdict.incomplete().map(|(_, reason)| reason),
            "passed": s.passed,
            "failed": s.failed_must + s.failed_should,
            "info_failed": s.failed_info,
            "skipped": s.skipped,
            "known_failures": s.known_failures,
            "duration_ms": u64::try_from(report.duration.as_millis()).unwrap_or(u64::MAX),
        });
        self.write(&format!("{event}\n"));
    }

    /// After the last case (a terse run ends its line).
    pub fn end(&self) {
        let printed = *self
            .printed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.format == Format::Terse && !printed.is_multiple_of(TERSE_LINE) {
            self.write("\n");
        }
    }

    fn pretty(&self, outcome: &Outcome, known: Option<&str>) -> String {
        let ending = Ending::of(outcome);
        let id = for_terminal(&outcome.id);
        let mut line = format!(
            "{} {:<8} {id:<width$}",
            paint(ending.style(), &format!("{:<WORD_WIDTH$}", ending.word())),
            format!("[{}]", outcome.level.as_str()),
            width = self.id_width,
        );
        if ending != Ending::Skipped {
            line.push_str(&format!(
                "  {}",
                crate::plan::duration::human(outcome.duration)
            ));
        }
        if let Some(reason) = one_line_reason(outcome, known)
            && ending != Ending::Failed
        {
            line.push_str(&format!("  {}", paint(Style::new().dimmed(), &reason)));
        }
        line.push('\n');
        // A failure that fails the run shows in full at once: the request and the answer.
        if ending == Ending::Failed {
            for detail in for_terminal(&render_failures(outcome)).lines() {
                line.push_str(&format!("    {detail}\n"));
            }
        }
        line
    }

    fn terse(&self, outcome: &Outcome) -> String {
        let ending = Ending::of(outcome);
        let mut printed = self
            .printed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *printed += 1;
        let mut text = paint(ending.style(), &ending.marker().to_string());
        if printed.is_multiple_of(TERSE_LINE) {
            text.push('\n');
        }
        text
    }
}

/// The JSON event of a finished case (`--format json`): one object, one line.
pub fn event(outcome: &Outcome, known: Option<&str>) -> serde_json::Value {
    let ending = Ending::of(outcome);
    let mut event = json!({
        "type": "case",
        "id": outcome.id,
        "level": outcome.level.as_str(),
        "result": ending.name(),
        "duration_ms": u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
    });
    if let Some(reason) = one_line_reason(outcome, known) {
        event["reason"] = json!(reason);
    }
    if matches!(ending, Ending::Failed | Ending::InfoFailed) {
        event["failures"] = json!(crate::report::text::failures(outcome));
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::outcome::{Failure, FailureKind, StepRef};
    use crate::report::fixtures::outcome;

    /// A console whose output the test reads back, styles kept.
    fn console(format: Format) -> (Console, std::sync::Arc<Mutex<Vec<u8>>>) {
        #[derive(Clone)]
        struct Shared(std::sync::Arc<Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buffer = std::sync::Arc::new(Mutex::new(Vec::new()));
        (
            Console::new(format, Box::new(Shared(buffer.clone())), 6),
            buffer,
        )
    }

    fn failed(level: Level) -> Outcome {
        let mut o = outcome("g/fail", level, Status::Failed);
        o.failures.push(Failure {
            step: StepRef {
                phase: "steps",
                index: 0,
                label: "CreateSession".into(),
                copy: None,
            },
            exchange: None,
            level,
            kind: FailureKind::Status {
                expected: 200,
                actual: 500,
            },
        });
        o
    }

    fn all() -> Vec<Outcome> {
        let mut skipped = outcome("g/skip", Level::Must, Status::Skipped);
        skipped.skip_reason = Some("mock-only: needs its own mock".into());
        vec![
            outcome("g/pass", Level::Must, Status::Passed),
            failed(Level::Must),
            skipped,
            failed(Level::Info),
            outcome("g/known", Level::Should, Status::KnownFailure),
        ]
    }

    fn plain(buffer: &Mutex<Vec<u8>>) -> String {
        anstream::adapter::strip_str(&String::from_utf8(buffer.lock().unwrap().clone()).unwrap())
            .to_string()
    }

    #[test]
    fn every_ending_has_its_own_word_and_marker() {
        let (pretty, out) = console(Format::Pretty);
        for o in all() {
            pretty.case(&o, Some("tracked upstream"));
        }
        let text = plain(&out);
        let words: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with(' '))
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(
            words,
            ["PASS", "FAIL", "SKIP", "INFO-FAIL", "KNOWN"],
            "{text}"
        );
        assert!(
            text.contains("SKIP      [must]   g/skip  mock-only: needs its own mock\n"),
            "{text}"
        );
        assert!(
            text.contains("    [must] step 1 (CreateSession): HTTP status: expected 200, got 500"),
            "a failure shows in full below its line: {text}"
        );
        assert!(text.contains("known failure: tracked upstream"), "{text}");
        let (terse, out) = console(Format::Terse);
        for o in all() {
            terse.case(&o, None);
        }
        terse.end();
        assert_eq!(plain(&out), ".Fsik\n");
    }

    #[test]
    fn styles_are_written_and_target_text_cannot_add_its_own() {
        let (pretty, out) = console(Format::Pretty);
        let mut hostile = outcome("g/skip", Level::Must, Status::Skipped);
        hostile.skip_reason = Some("\u{1b}[2Jcleared".into());
        pretty.case(&outcome("g/pass", Level::Must, Status::Passed), None);
        pretty.case(&hostile, None);
        let raw = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        assert!(
            raw.contains(&paint(Ending::Passed.style(), "PASS     ")),
            "{raw:?}"
        );
        assert!(!raw.contains("\u{1b}[2J"), "{raw:?}");
    }

    #[test]
    fn json_events_name_the_result_and_the_reason() {
        let (json, out) = console(Format::Json);
        json.title(5);
        for o in all() {
            json.case(&o, None);
        }
        let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        let events: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(events[0]["case_count"], 5);
        let results: Vec<&str> = events[1..]
            .iter()
            .map(|e| e["result"].as_str().unwrap())
            .collect();
        assert_eq!(
            results,
            [
                "passed",
                "failed",
                "skipped",
                "info-failed",
                "known-failure"
            ]
        );
        assert_eq!(events[3]["reason"], "mock-only: needs its own mock");
        assert_eq!(events[2]["failures"].as_array().unwrap().len(), 1);
        assert!(events[1].get("reason").is_none());
    }
}
