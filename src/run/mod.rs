//! run: drives load → plan → send → check → report for one invocation — each case a
//! libtest-mimic trial (so filters, `--exact`, `--ignored` and `--test-threads` behave as in
//! `cargo test`; the console prints the cases, libtest's printer only under `cargo test`), on ONE
//! tokio runtime and ONE HTTP client built here (libtest-mimic may run a trial on the main
//! thread), then the summary, coverage and report.

pub mod cleanup;
pub mod compare;
pub mod dry_run;
pub mod embedded;
pub mod ending;
pub mod execute;
pub mod guard;
pub mod mutants;
pub mod scrub;
mod steps;
pub mod text_budget;

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Completion, Failed, FormatSetting, Trial};

pub use self::ending::{Ending, RunError};
use self::execute::{Shared, execute};
use crate::case::catalogue::Catalogue;
use crate::case::{Case, load_dir};
use crate::check::SchemaSet;
use crate::check::levels::CheckLevels;
use crate::check::snapshot::{Snapshots, UpdateMode};
use crate::mock::{self, MockConfig, MockCredential};
use crate::outcome::{Outcome, Status, render_failures};
use crate::plan::{Planned, Settings, plan};
use crate::report::RunReport;
use crate::report::console::Format;
use crate::report::reporting::{CaseHooks, ReportOptions, Reporting, ReportingError};
use crate::send::SendError;
use crate::send::request::Endpoint;
use crate::send::timeout::{Cancel, Stop};
use crate::send::{Client, ClientConfig};

/// The catalogue's file name in the schemas directory.
pub const CATALOGUE: &str = "catalogue.json";

/// One invocation: where and what to run, and libtest's arguments.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub settings: Settings,
    pub args: Arguments,
    /// `cargo test FILTER` passes FILTER to every test target: there a filter that selects no
    /// case is not an error (libtest's behaviour); from the command line it is.
    pub empty_filter_ok: bool,
    /// Report directory contents, certification, baselines, reruns, progress.
    pub reports: ReportOptions,
    /// How the console shows the cases; `None` leaves it to libtest's printer (`cargo test`,
    /// whose callers read libtest's words).
    pub console: Option<Format>,
    /// `--show-coverage`: every catalogue item after the run, not only the totals.
    pub show_coverage: bool,
}

/// Loads the catalogue and the cases: an error (nothing sent) when either is wrong.
pub fn load(settings: &Settings) -> Result<(Catalogue, Vec<Case>), RunError> {
    let catalogue = Catalogue::load(&settings.schemas_dir.join(CATALOGUE))?;
    let cases = load_dir(&settings.cases_dir, &settings.schemas_dir, &catalogue)?;
    Ok((catalogue, cases))
}

/// A trial that stands for `planned` while selecting (filters, ignored flags, `--list`).
fn placeholder(planned: &Planned) -> Trial {
    Trial::test(planned.case.id.clone(), || Ok(()))
        .with_kind(planned.case.spec.level.as_str())
        .with_ignored_flag(planned.case.spec.ignore.is_some())
}

/// Runs an invocation: how it ended (a failed case, a stop, a UserId left behind), or why it
/// could not run; `cli` maps both onto the exit code.
pub fn run(invocation: Invocation) -> Result<Ending, RunError> {
    run_to_report(invocation, &|_| {}).map(|ran| ran.ending)
}

/// How one invocation ended, and its report when its cases ran.
#[derive(Debug)]
pub struct Ran {
    pub ending: Ending,
    pub report: Option<RunReport>,
}

impl From<Ending> for Ran {
    fn from(ending: Ending) -> Self {
        Self {
            ending,
            report: None,
        }
    }
}

/// [`run`], keeping the report as data, with `overlay` applied to every embedded mock the run
/// starts (the shared one and each case's own): `compare` runs the mock with a defect or a
/// variant as one of its targets through this same machinery.
pub fn run_to_report(
    invocation: Invocation,
    overlay: embedded::Overlay<'_>,
) -> Result<Ran, RunError> {
    let Invocation {
        settings,
        mut args,
        empty_filter_ok,
        reports,
        console,
        show_coverage,
    } = invocation;
    settle_threads(&mut args, &settings)?;
    quiet_on_closed_output();
    let (catalogue, cases) = load(&settings)?;
    let mut reporting = match Reporting::prepare(reports, &settings, &mut args, &cases) {
        Ok(reporting) => reporting,
        Err(ReportingError::NothingToRerun) => return Ok(Ending::Nothing.into()),
        Err(ReportingError::Usage(message)) => return Err(RunError::Reporting(message)),
    };
    let planned = plan_cases(&cases, &settings, &reporting, overlay);
    let (selected, to_run) =
        match steps::select(&planned, &args, empty_filter_ok, &settings, console)? {
            steps::Selection::Run { selected, to_run } => (selected, to_run),
            steps::Selection::Done(ending) => return Ok(ending.into()),
        };
    if settings.safety.dry_run {
        let problems = dry_run::print(&settings, &selected, &mut std::io::stdout());
        return Ok(Ending::DryRun { problems }.into());
    }
    let mut started = steps::start(&settings, &cases, &selected, overlay)?;
    let mut out = console_stream(&args);
    let target_info = steps::header(
        &mut out,
        &settings,
        &started.base_url,
        to_run,
        planned.len(),
    );
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::default();
    let (has_failed, hooks) = steps::run_trials(
        &mut args,
        console,
        &planned,
        &selected,
        &started,
        &mut reporting,
        &outcomes,
    );
    steps::record_ignored(&selected, &args, &outcomes, &hooks);
    reporting.finish_progress();
    let leftovers = steps::leftovers_on_shared_mock(&mut started);
    let outcomes = std::mem::take(&mut *lock(&outcomes));
    let report = steps::build_report(
        &catalogue,
        &cases,
        outcomes,
        target_info,
        &started,
        &settings,
    );
    steps::print_closing(
        &mut out,
        &report,
        show_coverage,
        &leftovers,
        &started.shared,
    );
    // Report directory, certification record, baseline.
    let kept = report.clone();
    let concluded = reporting.conclude(report, &settings, &mut out, has_failed);
    Ok(Ran {
        ending: ran(concluded, &started.shared.guard),
        report: Some(kept),
    })
}

/// libtest's threads: `--concurrency N` also runs N cases at once unless `--test-threads` says
/// otherwise; 0 is refused here (libtest would wait forever).
fn settle_threads(args: &mut Arguments, settings: &Settings) -> Result<(), RunError> {
    if args.test_threads == Some(0) || settings.safety.concurrency == Some(0) {
        return Err(RunError::NoThreads);
    }
    args.test_threads = args.test_threads.or(settings.safety.concurrency);
    Ok(())
}

/// Every case planned for the target (skipped where it cannot run, or not selected for a
/// rerun), each case's own mock changed by `overlay`.
fn plan_cases(
    cases: &[Case],
    settings: &Settings,
    reporting: &Reporting,
    overlay: embedded::Overlay<'_>,
) -> Vec<Planned> {
    let mut planned = reporting.select(crate::plan::profile::skip_missing_capabilities(
        plan(cases.to_vec(), &settings.target),
        settings.safety.capabilities.as_ref(),
    ));
    for own in planned.iter_mut().filter_map(|p| p.case.mock.as_mut()) {
        overlay(own);
    }
    planned
}

/// Where the run's console lines go: stderr when libtest streams JSON (it keeps stdout to
/// itself); styled only where `--color`, `NO_COLOR` and the terminal allow.
fn console_stream(args: &Arguments) -> Box<dyn Write> {
    if args.format == Some(FormatSetting::Json) {
        Box::new(anstream::AutoStream::auto(std::io::stderr()))
    } else {
        Box::new(anstream::AutoStream::auto(std::io::stdout()))
    }
}

/// How a run that sent its cases ended, once its report is concluded (written, or why not).
fn ran(concluded: Result<bool, ReportingError>, guard: &guard::Guard) -> Ending {
    Ending::Ran {
        failed: concluded.as_ref().is_ok_and(|failed| *failed),
        unwritten: concluded.err().map(|error| error.to_string()),
        left_behind: guard.left_behind(),
        stop: guard.stopped(),
    }
}

/// The stop signal of the run in progress, for the panic hook to pull when output is closed.
static ON_CLOSED_OUTPUT: Mutex<Option<Arc<Cancel>>> = Mutex::new(None);

/// Whether a panic is a write to a closed stdout (libtest's printing, `println!`).
fn is_broken_pipe(payload: &(dyn std::any::Any + Send)) -> bool {
    crate::redact::panic_message(payload)
        .is_some_and(|m| m.contains("Broken pipe") || m.contains("BrokenPipe"))
}

/// Installs (once) a panic hook that turns a write to a closed stdout into a quiet stop of the
/// run in progress instead of a panic message; every other panic goes to the previous hook.
fn quiet_on_closed_output() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if is_broken_pipe(info.payload()) {
                if let Some(cancel) = lock(&ON_CLOSED_OUTPUT).as_ref() {
                    cancel.stop(Stop::OutputClosed);
                }
                return;
            }
            previous(info);
        }));
    });
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn start_shared_mock(
    settings: &Settings,
    overlay: embedded::Overlay<'_>,
) -> Result<mock::MockHandle, RunError> {
    let mut config = shared_mock_config(settings);
    overlay(&mut config);
    mock::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .map_err(RunError::SharedMock)
}

/// The configuration of the embedded mock that cases without `requires.mock` share.
fn shared_mock_config(settings: &Settings) -> MockConfig {
    let credentials = &settings.credentials;
    MockConfig {
        credentials: vec![MockCredential {
            secret_id: credentials.secret_id.clone(),
            secret_key: credentials.secret_key.clone(),
            token: credentials.token.clone(),
        }],
        // Off unless the run is paced (`--rate`): see `guard::shared_mock_rate_limit`.
        rate_limit_per_second: crate::plan::safety::shared_mock_rate_limit(settings),
        ..MockConfig::default()
    }
}

fn build_shared(settings: &Settings, cases: &[Case], url: url::Url) -> Result<Shared, RunError> {
    let pem = match &settings.cacert {
        Some(path) => std::fs::read(path).map_err(|source| RunError::ReadCacert {
            path: path.clone(),
            source,
        })?,
        None => Vec::new(),
    };
    let client = Client::with_roots(
        ClientConfig {
            timeout: settings.timeout,
            max_response_bytes: settings.max_response_bytes,
            // A proxy would see the signed requests to a mock on this machine: never used for one.
            direct: crate::plan::is_loopback(&url),
        },
        &pem,
    )
    .map_err(|source: SendError| match &settings.cacert {
        Some(path) => RunError::Cacert {
            path: path.clone(),
            source,
        },
        None => RunError::Client(source),
    })?;
    let named = cases
        .iter()
        .flat_map(|c| c.spec.steps.iter().chain(&c.spec.cleanup))
        .filter_map(|s| s.expect.as_ref()?.schema.as_deref())
        .filter(|s| *s != "auto" && *s != "none");
    let schemas = SchemaSet::load(&settings.schemas_dir, named)?;
    let catalogue = Catalogue::load(&settings.schemas_dir.join(CATALOGUE))?;
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    crate::redact::remember_secret(&settings.credentials.secret_key);
    if let Some(token) = &settings.credentials.token {
        crate::redact::remember_secret(token);
    }
    Ok(Shared {
        client,
        schemas,
        check_levels: CheckLevels::from_catalogue(&catalogue),
        snapshots: Snapshots {
            dir: settings.snapshots_dir.clone(),
            suffix: settings.target_name(),
            mode: UpdateMode::from_env(),
        },
        endpoint: Endpoint {
            url,
            credentials: settings.credentials.clone(),
            region: settings.region.clone(),
        },
        project_id: settings.project_id.clone(),
        client_session: settings.client_session.clone(),
        client_ip: settings.client_ip.clone(),
        run_id,
        guard: guard::Guard::for_run(settings),
    })
}

fn trial(
    planned: Planned,
    shared: &Arc<Shared>,
    runtime: &Arc<tokio::runtime::Runtime>,
    outcomes: &Arc<Mutex<Vec<Outcome>>>,
    hooks: &Arc<CaseHooks>,
) -> Trial {
    let hooks = Arc::clone(hooks);
    let shared = Arc::clone(shared);
    let runtime = Arc::clone(runtime);
    let outcomes = Arc::clone(outcomes);
    let name = planned.case.id.clone();
    let kind = planned.case.spec.level.as_str();
    let ignored = planned.case.spec.ignore.is_some();
    Trial::ignorable_test(name, move || {
        let not_run = planned
            .skip
            .clone()
            .or_else(|| shared.guard.stopped().map(|stop| stop.not_started()));
        if let Some(reason) = not_run {
            let mut outcome = Outcome::skipped(&planned.case, reason.clone());
            hooks.case_done(&mut outcome);
            lock(&outcomes).push(outcome);
            return Ok(Completion::ignored_with(reason));
        }
        let mut outcome = match run_on_runtime(&runtime, &shared, &planned) {
            Ok(outcome) => outcome,
            Err(panicked) => {
                let mut outcome = *panicked;
                hooks.case_done(&mut outcome);
                let message = render_failures(&outcome);
                lock(&outcomes).push(outcome);
                return Err(Failed::from(message));
            }
        };
        let known = hooks.case_done(&mut outcome);
        if hooks.output_closed() {
            shared.guard.cancel.stop(Stop::OutputClosed);
        }
        let verdict = verdict(&outcome, known);
        lock(&outcomes).push(outcome);
        verdict
    })
    .with_kind(kind)
    .with_ignored_flag(ignored)
}

/// Runs the case as a task on the runtime's workers, beside the requests it spawns and the
/// embedded mock, instead of polling it from the libtest thread: no cross-thread wake-up at
/// every await (a whole run takes about a fifth less time). A panic comes back as the task's
/// error with its payload, which libtest would print as it is: it becomes a scrubbed outcome.
fn run_on_runtime(
    runtime: &tokio::runtime::Runtime,
    shared: &Arc<Shared>,
    planned: &Planned,
) -> Result<Outcome, Box<Outcome>> {
    let task = {
        let (shared, planned) = (Arc::clone(shared), planned.clone());
        runtime.spawn(async move { execute(&shared, &planned).await })
    };
    runtime
        .block_on(task)
        .map_err(|error| match error.try_into_panic() {
            Ok(payload) => payload,
            Err(error) => Box::new(format!("the case's task ended: {error}")),
        })
        .map_err(|payload| Box::new(guard::panicked(&planned.case, payload.as_ref())))
}

/// What libtest is told of a case that ran: a known failure, a skip or an info-only failure is
/// "ignored" with its reason; only a failure that fails the run fails the trial.
fn verdict(outcome: &Outcome, known: Option<String>) -> Result<Completion, Failed> {
    match outcome.status {
        Status::KnownFailure => Ok(Completion::ignored_with(format!(
            "known failure: {}",
            known.unwrap_or_default()
        ))),
        Status::Skipped => Ok(Completion::ignored_with(
            outcome.skip_reason.clone().unwrap_or_default(),
        )),
        Status::Failed if outcome.fails_run() => Err(Failed::from(render_failures(outcome))),
        Status::Failed => {
            let first = outcome
                .failures
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            let first = first.lines().next().unwrap_or_default().to_owned();
            Ok(Completion::ignored_with(format!(
                "failed at info only, which does not fail the run: {first}"
            )))
        }
        _ => Ok(Completion::Completed),
    }
}
