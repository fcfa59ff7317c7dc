//! report: `junit.xml` for CI systems (quick-junit writes the XML) — one test suite per case
//! file, one test case per case. A failed `must` or `should` case is a `<failure>` carrying its
//! first failure as the message and every failure, with the request that showed it, as the text.
//! What does not fail a run is `<skipped>` with its reason: skipped cases, known failures of the
//! baseline, and failed `info` cases — the same verdicts the exit code gives.

use std::collections::BTreeMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::RunReport;
use super::text;
use crate::outcome::{Outcome, Status, render_failures};

/// The case file part of an id (`auth/signature/expired` → `auth/signature`) and the name.
fn split_id(id: &str) -> (&str, &str) {
    id.rsplit_once('/').unwrap_or(("", id))
}

fn test_case(report: &RunReport, outcome: &Outcome) -> TestCase {
    let (file, name) = split_id(&outcome.id);
    let status = match outcome.status {
        Status::Passed => TestCaseStatus::success(),
        Status::Failed if outcome.fails_run() => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(text::reason(report, outcome))
                .set_type(
                    outcome
                        .failures
                        .first()
                        .map(|f| check_name(&f.kind))
                        .unwrap_or("failure"),
                )
                .set_description(render_failures(outcome));
            status
        }
        Status::Failed => {
            let mut status = TestCaseStatus::skipped();
            status
                .set_message(format!(
                    "failed at info only, which does not fail the run: {}",
                    text::reason(report, outcome)
                ))
                .set_type("info-failure")
                .set_description(render_failures(outcome));
            status
        }
        Status::KnownFailure => {
            let mut status = TestCaseStatus::skipped();
            status
                .set_message(text::reason(report, outcome))
                .set_type("known-failure")
                .set_description(render_failures(outcome));
            status
        }
        Status::Skipped => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(text::reason(report, outcome));
            status
        }
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(file)
        .set_time(outcome.duration)
        .add_property(Property::new("level", outcome.level.as_str()))
        .add_property(Property::new("title", &outcome.title));
    if let Some(level) = outcome.failing_level() {
        case.add_property(Property::new("failed_at", level.as_str()));
    }
    case
}

/// The `check` name of a failure kind, as report.json spells it.
fn check_name(kind: &crate::outcome::FailureKind) -> &'static str {
    use crate::outcome::FailureKind as K;
    match kind {
        K::Transport { .. } => "transport",
        K::NotSent { .. } => "not_sent",
        K::Setup { .. } => "setup",
        K::Status { .. } => "status",
        K::ContentType { .. } => "content_type",
        K::Body { .. } => "body",
        K::Outcome { .. } => "outcome",
        K::Tally { .. } => "tally",
        K::Schema { .. } => "schema",
        K::Latency { .. } => "latency",
        K::Snapshot { .. } => "snapshot",
        K::Capture { .. } => "capture",
    }
}

/// The JUnit XML of a run.
pub fn render(report: &RunReport) -> String {
    let mut suites: BTreeMap<&str, Vec<&Outcome>> = BTreeMap::new();
    for outcome in &report.cases {
        suites
            .entry(split_id(&outcome.id).0)
            .or_default()
            .push(outcome);
    }
    let mut junit = Report::new(format!(
        "{} {} against {}",
        report.suite.name, report.suite.version, report.target.name
    ));
    junit.set_time(report.duration);
    for (file, outcomes) in suites {
        let mut suite = TestSuite::new(if file.is_empty() { "cases" } else { file });
        suite
            .set_time(outcomes.iter().map(|o| o.duration).sum::<Duration>())
            .add_property(Property::new("target", &report.target.url))
            .add_property(Property::new("suite.version", report.suite.version))
            .add_property(Property::new("verdict", report.verdict.label()));
        if let Some((why, reason)) = report.verdict.incomplete() {
            suite
                .add_property(Property::new("verdict.incomplete", why.as_str()))
                .add_property(Property::new("verdict.reason", reason));
        }
        if let Some(fingerprint) = &report.fingerprint {
            suite.add_property(Property::new("suite.fingerprint", &fingerprint.sha256));
        }
        suite.add_test_cases(outcomes.into_iter().map(|o| test_case(report, o)));
        junit.add_test_suite(suite);
    }
    // Serialising into memory fails only on a writer error, which a String cannot have.
    junit.to_string().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::outcome::FailureKind;
    use crate::report::fixtures::{failed, outcome, report};

    #[test]
    fn verdicts_map_to_failure_or_skipped_like_the_exit_code() {
        let kind = FailureKind::Outcome {
            expected: "AuthFailure.SignatureExpire".into(),
            actual: "success <&>".into(),
        };
        let failed = failed("auth/signature/expired", Level::Must, kind);
        let mut info = failed.clone();
        info.id = "auth/signature/info".into();
        info.level = Level::Info;
        info.failures[0].level = Level::Info;
        // A must case whose only failure is a default check at should still fails the run.
        let mut lowered = failed.clone();
        lowered.id = "auth/signature/lowered".into();
        lowered.failures[0].level = Level::Should;
        let r = report(
            vec![
                failed,
                info,
                lowered,
                outcome("auth/signature/ok", Level::Must, Status::Passed),
                outcome("flow/x", Level::Should, Status::Skipped),
            ],
            50.0,
            None,
        );
        let xml = render(&r);
        assert!(xml.starts_with("<?xml"), "{xml}");
        assert!(
            xml.contains(r#"<testsuites name="car-conformance "#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"tests="5" skipped="2" failures="2" errors="0""#),
            "{xml}"
        );
        assert!(
            xml.contains(
                r#"<testsuite name="auth/signature" tests="4" skipped="1" errors="0" failures="2""#
            ),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<testcase name="expired" classname="auth/signature""#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<failure message="[must] step 1 (CreateSession): outcome: expected AuthFailure.SignatureExpire, got success &lt;&amp;&gt;" type="outcome">"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<skipped message="failed at info only, which does not fail the run: [info] step 1"#),
            "{xml}"
        );
        assert!(xml.contains(r#"<skipped message="mock-only"/>"#), "{xml}");
        assert!(
            xml.contains(r#"<property name="level" value="must"/>"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"<property name="failed_at" value="should"/>"#),
            "{xml}"
        );
    }
}
