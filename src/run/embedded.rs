//! run: the suite in-process for tools that want plain outcomes rather than a console run — the
//! `mutants` test and command run it once per mock defect. Same cases and same execution
//! ([`execute`]) as `car-conformance run`, against the embedded mock, with one mock configuration
//! change applied to every mock the run starts (the shared one and each case's own).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::execute::execute;
use super::{RunError, build_shared, shared_mock_config};
use crate::case::Case;
use crate::check::snapshot::UpdateMode;
use crate::mock::{self, MockConfig};
use crate::outcome::Outcome;
use crate::plan::{Settings, Target, plan};

/// A change to every mock configuration of a run (e.g. switching a defect on).
pub type Overlay<'a> = &'a (dyn Fn(&mut MockConfig) + Sync);

/// Runs `cases` against the embedded mock, `parallel` cases at a time, with `overlay` applied to
/// each mock configuration; returns one outcome per case, sorted by id. Ignored cases come back
/// skipped. Snapshots are compared, never written. Runs on the caller's tokio runtime, so
/// several runs can share one.
pub async fn run_embedded(
    settings: &Settings,
    cases: &[Case],
    overlay: Overlay<'_>,
    parallel: usize,
) -> Result<Vec<Outcome>, RunError> {
    let mut config = shared_mock_config(settings);
    overlay(&mut config);
    let handle = mock::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .map_err(RunError::SharedMock)?;
    let url = url::Url::parse(&handle.url()).map_err(RunError::TargetUrl)?;
    let mut shared = build_shared(settings, cases, url)?;
    shared.snapshots.mode = UpdateMode::No;
    let shared = Arc::new(shared);

    let permits = Arc::new(Semaphore::new(parallel.max(1)));
    let mut outcomes = Vec::with_capacity(cases.len());
    let mut running = JoinSet::new();
    for mut planned in plan(cases.to_vec(), &Target::Embedded) {
        if let Some(reason) = &planned.case.spec.ignore {
            outcomes.push(Outcome::skipped(
                &planned.case,
                format!("ignored: {reason}"),
            ));
            continue;
        }
        if let Some(own) = planned.case.mock.as_mut() {
            overlay(own);
        }
        let (shared, permits) = (Arc::clone(&shared), Arc::clone(&permits));
        running.spawn(async move {
            let _permit = permits.acquire_owned().await;
            execute(&shared, &planned).await
        });
    }
    let mut problem = None;
    while let Some(done) = running.join_next().await {
        match done {
            Ok(outcome) => outcomes.push(outcome),
            Err(error) => problem = Some(RunError::CaseTask(error)),
        }
    }
    handle.shutdown().await;
    if let Some(problem) = problem {
        return Err(problem);
    }
    outcomes.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(outcomes)
}
