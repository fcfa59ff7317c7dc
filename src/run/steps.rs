//! run: the named steps of one invocation, in the order [`super::run`] takes them — choose the
//! cases, start the target, print the header, run the trials, account for what is left, build
//! the report and print its closing lines.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use libtest_mimic::Arguments;

use super::execute::Shared;
use super::{
    Ending, ON_CLOSED_OUTPUT, RunError, build_shared, is_broken_pipe, lock, placeholder,
    start_shared_mock, trial,
};
use crate::case::Case;
use crate::case::catalogue::Catalogue;
use crate::check::snapshot::UpdateMode;
use crate::mock;
use crate::outcome::Outcome;
use crate::plan::{Planned, Settings, Target};
use crate::report::closing::render_closing;
use crate::report::console::Format;
use crate::report::coverage::{self, render_table, render_totals};
use crate::report::listing;
use crate::report::progress;
use crate::report::reporting::CaseHooks;
use crate::report::reporting::Reporting;
use crate::report::{self, RunReport, SuiteInfo, Summary, TargetInfo};
use crate::send::timeout::Stop;

/// What the selection leaves to do.
pub enum Selection<'a> {
    /// Nothing to send: the run ends so (`--list`, an empty selection under `cargo test`).
    Done(Ending),
    /// The selected cases, and how many of them will run (not skipped or ignored).
    Run {
        selected: Vec<&'a Planned>,
        to_run: usize,
    },
}

/// Applies libtest's filters: lists the cases for `--list`, refuses an empty selection from the
/// command line (libtest's `cargo test FILTER` leniency where `empty_filter_ok`).
pub fn select<'a>(
    planned: &'a [Planned],
    args: &Arguments,
    empty_filter_ok: bool,
    settings: &Settings,
    console: Option<Format>,
) -> Result<Selection<'a>, RunError> {
    if args.list
        && let Some(format) = console
    {
        let selected: Vec<&Planned> = planned
            .iter()
            .filter(|p| !args.is_filtered_out(&placeholder(p)))
            .collect();
        // `--list | head -1`: the rest of the list has no reader; that is not an error.
        let _ = listing::write(&mut std::io::stdout().lock(), format, &selected);
        return Ok(Selection::Done(Ending::Nothing));
    }
    if args.list {
        // `--list | head -1`: the rest of the list has no reader; that is not an error.
        let listed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            libtest_mimic::run(args, planned.iter().map(placeholder).collect())
        }));
        if let Err(payload) = listed
            && !is_broken_pipe(payload.as_ref())
        {
            std::panic::resume_unwind(payload);
        }
        return Ok(Selection::Done(Ending::Nothing));
    }
    let selected: Vec<&Planned> = planned
        .iter()
        .filter(|p| !args.is_filtered_out(&placeholder(p)))
        .collect();
    if selected.is_empty() {
        if empty_filter_ok && (args.filter.is_some() || !args.skip.is_empty() || args.ignored) {
            return Ok(Selection::Done(Ending::NoCaseMatched));
        }
        return Err(RunError::NoCaseSelected {
            loaded: planned.len(),
            suite: crate::plan::suite::describe(&settings.cases_dir),
            ignored: args.ignored,
        });
    }
    let to_run = selected
        .iter()
        .filter(|p| p.skip.is_none() && !args.is_ignored(&placeholder(p)))
        .count();
    Ok(Selection::Run { selected, to_run })
}

/// The run's machinery once started: the runtime, the shared embedded mock (if any case needs
/// it), the base URL every shared request goes to, and what every case shares.
pub struct Started {
    pub runtime: Arc<tokio::runtime::Runtime>,
    pub shared_mock: Option<mock::MockHandle>,
    pub base_url: url::Url,
    pub shared: Arc<Shared>,
    pub started_at: time::OffsetDateTime,
    pub started: Instant,
}

/// Builds the runtime, starts the shared embedded mock when a selected case sends to it, and
/// arms the stop signal (Ctrl-C, `--run-timeout`).
pub fn start(
    settings: &Settings,
    cases: &[Case],
    selected: &[&Planned],
    overlay: super::embedded::Overlay<'_>,
) -> Result<Started, RunError> {
    let needs_shared_mock = settings.target == Target::Embedded
        && selected
            .iter()
            .any(|p| p.skip.is_none() && p.case.mock_config().is_none());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map(Arc::new)
        .map_err(RunError::Runtime)?;
    let started_at = time::OffsetDateTime::now_utc();
    let started = Instant::now();
    let shared_mock = if needs_shared_mock {
        Some(runtime.block_on(start_shared_mock(settings, overlay))?)
    } else {
        None
    };
    // Without a shared mock no case sends to the shared target: the discard port stands in.
    let base_url = match (&settings.target, &shared_mock) {
        (Target::Url(url), _) => Ok(url.clone()),
        (Target::Embedded, Some(handle)) => url::Url::parse(&handle.url()),
        (Target::Embedded, None) => url::Url::parse("http://127.0.0.1:9/"),
    }
    .map_err(RunError::TargetUrl)?;
    let mut shared = build_shared(settings, cases, base_url.clone())?;
    settle_snapshot_mode(&mut shared);
    let shared = Arc::new(shared);
    // Ctrl-C and --run-timeout stop the run: no new case, cleanup, report.
    shared.guard.arm(&runtime);
    Ok(Started {
        runtime,
        shared_mock,
        base_url,
        shared,
        started_at,
        started,
    })
}

/// Snapshots are written only where they can be and where the user asked: never into the
/// built-in suite's (read-only) set, and a directory that cannot be written is found now, not
/// after the suite was sent.
fn settle_snapshot_mode(shared: &mut Shared) {
    if shared.snapshots.mode != UpdateMode::No
        && crate::plan::suite::is_builtin(&shared.snapshots.dir)
    {
        progress::notice(
            "note: answers are compared with the built-in snapshots, which are read-only: no snapshot is written (give --snapshots DIR to record, or run an editable copy: car-conformance init DIR, then --cases DIR)",
        );
        shared.snapshots.mode = UpdateMode::No;
    }
    if shared.snapshots.mode != UpdateMode::No
        && let Err(error) = crate::report::atomic::probe_dir(&shared.snapshots.dir, true)
    {
        progress::notice(&format!(
            "warning: cannot write snapshots in {} ({error}): no snapshot file is written this run",
            shared.snapshots.dir.display()
        ));
        shared.snapshots.mode = UpdateMode::No;
    }
}

/// Prints the run's header (what runs against what, the proxy if any, the safety settings) and
/// returns the target as the report names it.
pub fn header(
    out: &mut dyn Write,
    settings: &Settings,
    base_url: &url::Url,
    to_run: usize,
    total: usize,
) -> TargetInfo {
    let target_info = TargetInfo {
        kind: match settings.target {
            Target::Embedded => "embedded-mock",
            Target::Url(_) => "url",
        },
        url: base_url.as_str().trim_end_matches('/').to_owned(),
        name: settings.target_name(),
    };
    let _ = writeln!(
        out,
        "car-conformance {}: {} of {} cases against {} {} ({}), credentials: {}",
        env!("CARGO_PKG_VERSION"),
        to_run,
        total,
        target_info.kind,
        target_info.url,
        target_info.name,
        settings.credential_source.describe()
    );
    let _ = writeln!(
        out,
        "suite: {}",
        crate::plan::suite::describe(&settings.cases_dir)
    );
    if let Some(line) = crate::send::client::proxy_line(base_url) {
        let _ = writeln!(out, "{line}");
    }
    let _ = write!(out, "{}", crate::plan::safety::describe(settings));
    target_info
}

/// Runs every planned case as a libtest trial; whether libtest saw a failure, and the hooks the
/// trials went through. A run piped into `head` ends quietly: no new case starts, cases in
/// flight clean up, the report is written.
pub fn run_trials(
    args: &mut Arguments,
    console: Option<Format>,
    planned: &[Planned],
    selected: &[&Planned],
    started: &Started,
    reporting: &mut Reporting,
    outcomes: &Arc<Mutex<Vec<Outcome>>>,
) -> (bool, Arc<CaseHooks>) {
    let trial_count = selected
        .iter()
        .filter(|p| !args.is_ignored(&placeholder(p)))
        .count();
    let hooks = reporting.start(console, selected, trial_count);
    if console.is_some() {
        // The console prints every case; libtest's printer, which knows only ok, FAILED and
        // ignored, writes to nowhere.
        args.logfile = Some(NOWHERE.to_owned());
    }
    let trials = planned
        .iter()
        .map(|p| {
            trial(
                p.clone(),
                &started.shared,
                &started.runtime,
                outcomes,
                &hooks,
            )
        })
        .collect();
    *lock(&ON_CLOSED_OUTPUT) = Some(Arc::clone(&started.shared.guard.cancel));
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        libtest_mimic::run(args, trials)
    }));
    let has_failed = match ran {
        Ok(conclusion) => conclusion.has_failed(),
        Err(payload) if is_broken_pipe(payload.as_ref()) => {
            started.shared.guard.cancel.stop(Stop::OutputClosed);
            true
        }
        Err(payload) => std::panic::resume_unwind(payload),
    };
    *lock(&ON_CLOSED_OUTPUT) = None;
    (has_failed, hooks)
}

/// The file libtest's printer writes to when the console prints instead.
const NOWHERE: &str = if cfg!(windows) { "NUL" } else { "/dev/null" };

/// Cases libtest did not run because their file marks them `ignore` become skipped outcomes
/// with the reason, shown on the console too.
pub fn record_ignored(
    selected: &[&Planned],
    args: &Arguments,
    outcomes: &Mutex<Vec<Outcome>>,
    hooks: &CaseHooks,
) {
    for p in selected {
        if p.skip.is_none() && args.is_ignored(&placeholder(p)) {
            let reason = format!("ignored: {}", p.case.spec.ignore.as_deref().unwrap_or(""));
            let outcome = Outcome::skipped(&p.case, reason);
            hooks.show(&outcome, None);
            lock(outcomes).push(outcome);
        }
    }
}

/// Every case must clean up after itself (against a real account a leftover session keeps
/// running and billing): the shared mock shows what was left behind. Stops the shared mock.
pub fn leftovers_on_shared_mock(started: &mut Started) -> Vec<String> {
    let mut leftovers = Vec::new();
    if let Some(handle) = started.shared_mock.take() {
        let live = handle.live();
        if !live.locks.is_empty() || !live.sessions.is_empty() {
            leftovers.push(format!(
                "warning: cases left {} lock(s) and {} session(s) on the embedded mock (UserIds {}); a case lacks cleanup",
                live.locks.len(),
                live.sessions.len(),
                live.locks.iter().chain(&live.sessions).cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        started.runtime.block_on(handle.shutdown());
    }
    leftovers
}

/// The run as plain data: outcomes sorted by id, coverage, and the verdict.
pub fn build_report(
    catalogue: &Catalogue,
    cases: &[Case],
    mut outcomes: Vec<Outcome>,
    target: TargetInfo,
    started: &Started,
    settings: &Settings,
) -> RunReport {
    outcomes.sort_by(|a, b| a.id.cmp(&b.id));
    let coverage = coverage::run_coverage(catalogue, cases, &outcomes);
    let mut report = RunReport {
        format_version: report::FORMAT_VERSION,
        suite: SuiteInfo::default(),
        target,
        started_at: started
            .started_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        duration: started.started.elapsed(),
        summary: Summary::of(&outcomes),
        verdict: report::verdict::Verdict::default(),
        left_behind: started
            .shared
            .guard
            .ledger
            .totals()
            .left
            .into_iter()
            .collect(),
        records_cut: started.shared.guard.text.cut(),
        min_coverage: settings.min_coverage,
        cases: outcomes,
        coverage,
        fingerprint: None,
        certification: None,
        baseline: None,
    };
    report.judge(started.shared.guard.early_end());
    report
}

/// The closing lines: coverage (the totals per level; every item with `--show-coverage`), what
/// was left on the shared mock, the sessions ledger and the summary — target text made harmless
/// for the terminal.
pub fn print_closing(
    out: &mut dyn Write,
    report: &RunReport,
    show_coverage: bool,
    leftovers: &[String],
    shared: &Shared,
) {
    let table = if show_coverage {
        render_table(&report.coverage)
    } else {
        render_totals(&report.coverage)
    };
    let _ = writeln!(out, "\ncoverage of the catalogue on this target:\n{table}");
    for line in leftovers {
        let _ = writeln!(out, "{line}");
    }
    let _ = write!(
        out,
        "{}",
        crate::redact::for_terminal(&shared.guard.summary())
    );
    // Target text in the summary is made harmless where it is written in; the styles stay.
    let _ = write!(out, "{}", render_closing(report));
}
