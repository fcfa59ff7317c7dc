//! report: the fixtures the reporters' unit tests share — a case outcome of any status, a failed
//! one with its failure at the first step, and a run report around a list of outcomes — so each
//! reporter's tests say only what sets their case apart.

use std::time::Duration;

use super::coverage::{Coverage, Totals};
use super::{FORMAT_VERSION, RunReport, SuiteInfo, Summary, TargetInfo, Verdict};
use crate::case::Level;
use crate::outcome::{
    BodyRecord, Exchange, Failure, FailureKind, Outcome, RequestRecord, ResponseRecord, Status,
    StepRef,
};

/// An outcome with no failure, exchange or note; a skipped one says "mock-only".
pub(crate) fn outcome(id: &str, level: Level, status: Status) -> Outcome {
    Outcome {
        id: id.into(),
        title: "t".into(),
        level,
        source: "s".into(),
        covers: vec![],
        status,
        skip_reason: (status == Status::Skipped).then(|| "mock-only".to_owned()),
        failures: vec![],
        exchanges: vec![],
        notes: vec![],
        duration: Duration::from_millis(1),
    }
}

/// Step 1 of the case, a CreateSession sent once.
pub(crate) fn step() -> StepRef {
    StepRef {
        phase: "steps",
        index: 0,
        label: "CreateSession".into(),
        copy: None,
    }
}

/// An exchange at `step`: a POST of `{}` answered 200 with `body`.
pub(crate) fn answered_with(step: StepRef, body: &str) -> Exchange {
    Exchange {
        step,
        request: RequestRecord {
            method: "POST".into(),
            url: "http://127.0.0.1:1/".into(),
            headers: vec![],
            body: BodyRecord::new(b"{}"),
        },
        response: Some(ResponseRecord {
            status: 200,
            headers: vec![],
            body: BodyRecord::new(body.as_bytes()),
            latency_ms: 1,
        }),
        error: None,
    }
}

/// A failed outcome whose one failure, `kind` at the case's level, is at step 1.
pub(crate) fn failed(id: &str, level: Level, kind: FailureKind) -> Outcome {
    let mut failed = outcome(id, level, Status::Failed);
    failed.failures.push(Failure {
        step: step(),
        exchange: None,
        level,
        kind,
    });
    failed
}

/// The commonest failure: an error code expected, success answered.
pub(crate) fn success_instead_of(expected: &str) -> FailureKind {
    FailureKind::Outcome {
        expected: expected.into(),
        actual: "success".into(),
    }
}

/// A run on the embedded mock of `cases`, with `percent` coverage, judged.
pub(crate) fn report(cases: Vec<Outcome>, percent: f64, min: Option<f64>) -> RunReport {
    let mut report = RunReport {
        format_version: FORMAT_VERSION,
        suite: SuiteInfo::default(),
        target: TargetInfo {
            kind: "embedded-mock",
            url: "http://127.0.0.1:1".into(),
            name: "mock".into(),
        },
        started_at: "2024-01-01T00:00:00Z".into(),
        duration: Duration::from_millis(5),
        summary: Summary::of(&cases),
        verdict: Verdict::Pass,
        left_behind: Vec::new(),
        records_cut: 0,
        min_coverage: min,
        cases,
        coverage: Coverage {
            kind: "run",
            items: vec![],
            levels: vec![],
            total: Totals {
                percent,
                applicable: 10,
                ..Totals::default()
            },
        },
        fingerprint: None,
        certification: None,
        baseline: None,
    };
    report.judge(None);
    report
}
