//! report: `verify DIR` — is this report.json a certification this checkout of the suite stands
//! behind? It must match the report schema, come from this suite version, carry the fingerprint of
//! exactly these case and schema files, list every case of the suite with verdicts consistent with
//! their failures, and its summary, coverage and certification record must be what its cases
//! give (recomputed with the same code the run used). Any edit to a case or schema file, or to
//! the report's verdicts without its evidence, is a rejection.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::Summary;
use super::certify::{Certification, GitState};
use super::fingerprint::Fingerprint;
use super::verdict::Verdict;
use crate::case::catalogue::Catalogue;
use crate::case::{Case, Level};
use crate::outcome::{Failure, FailureKind, Outcome, Status, StepRef};
use crate::report::coverage::run_coverage;

/// This checkout: what a report is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Checkout<'a> {
    /// This build's suite version.
    pub version: &'a str,
    pub fingerprint: &'a Fingerprint,
    pub catalogue: &'a Catalogue,
    pub cases: &'a [Case],
    /// schemas/report.schema.json of this checkout.
    pub report_schema: &'a Value,
}

/// One check and its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub ok: bool,
    pub text: String,
}

/// Every check of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    pub checks: Vec<Check>,
}

impl Verification {
    fn check(&mut self, ok: bool, text: impl Into<String>) {
        self.checks.push(Check {
            ok,
            text: text.into(),
        });
    }

    /// Every check passed.
    pub fn accepted(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.ok)
    }

    /// One line per check, then the verdict.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for check in &self.checks {
            out.push_str(&format!(
                "  {}  {}\n",
                if check.ok { "ok  " } else { "FAIL" },
                check.text
            ));
        }
        out
    }
}

fn parse_status(text: &str) -> Option<Status> {
    Some(match text {
        "passed" => Status::Passed,
        "failed" => Status::Failed,
        "skipped" => Status::Skipped,
        "known-failure" => Status::KnownFailure,
        _ => return None,
    })
}

/// The report's cases as outcomes (what summary, coverage and certification are computed from);
/// cases too broken to read are left out (the schema check reports them).
fn outcomes(report: &Value) -> Vec<Outcome> {
    let cases = report.get("cases").and_then(Value::as_array);
    cases
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let text = |key: &str| c.get(key).and_then(Value::as_str).map(str::to_owned);
            let level = serde_json::from_value::<Level>(c.get("level")?.clone()).ok()?;
            Some(Outcome {
                id: text("id")?,
                title: text("title").unwrap_or_default(),
                level,
                source: text("source").unwrap_or_default(),
                covers: vec![],
                status: parse_status(c.get("status")?.as_str()?)?,
                skip_reason: text("skip_reason"),
                failures: failure_levels(c, level),
                exchanges: vec![],
                notes: vec![],
                duration: Duration::ZERO,
            })
        })
        .collect()
}

/// A case's failures as far as the summary needs them: the level each counts at (the case's
/// when a failure does not say).
fn failure_levels(case: &Value, case_level: Level) -> Vec<Failure> {
    let failures = case.get("failures").and_then(Value::as_array);
    failures
        .into_iter()
        .flatten()
        .map(|failure| Failure {
            step: StepRef {
                phase: "steps",
                index: 0,
                label: String::new(),
                copy: None,
            },
            exchange: None,
            level: failure
                .get("level")
                .and_then(|l| serde_json::from_value::<Level>(l.clone()).ok())
                .unwrap_or(case_level),
            kind: FailureKind::NotSent {
                reason: String::new(),
            },
        })
        .collect()
}

fn failure_count(case: &Value) -> usize {
    case.get("failures")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

/// Checks `report` (a report.json's value) against this checkout.
pub fn verify(report: &Value, checkout: &Checkout<'_>) -> Verification {
    let mut v = Verification::default();

    // The report's shape, by this checkout's schema.
    match jsonschema::validator_for(checkout.report_schema) {
        Ok(validator) => {
            let errors: Vec<String> = validator
                .iter_errors(report)
                .take(5)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            v.check(
                errors.is_empty(),
                if errors.is_empty() {
                    "report.json matches schemas/report.schema.json".to_owned()
                } else {
                    format!(
                        "report.json does not match its schema: {}",
                        errors.join("; ")
                    )
                },
            );
        }
        Err(error) => v.check(
            false,
            format!("this checkout's report schema is broken: {error}"),
        ),
    }

    let certification = report.get("certification");
    v.check(
        certification.is_some(),
        if certification.is_some() {
            "a certification run (--certify)"
        } else {
            "not a certification run: the report has no certification record (run with --certify)"
        },
    );

    let version = report.pointer("/suite/version").and_then(Value::as_str);
    v.check(
        version == Some(checkout.version),
        format!(
            "suite version {} (this checkout: {})",
            version.unwrap_or("missing"),
            checkout.version
        ),
    );

    fingerprint(&mut v, report, checkout);
    cases(&mut v, report, checkout);

    let outcomes = outcomes(report);
    let summary = serde_json::to_value(Summary::of(&outcomes)).unwrap_or_default();
    let recorded = report.get("summary").cloned().unwrap_or_default();
    v.check(
        summary == recorded,
        if summary == recorded {
            format!("the summary agrees with the {} cases", outcomes.len())
        } else {
            format!("the summary disagrees with the cases: the cases give {summary}, the report says {recorded}")
        },
    );

    let coverage =
        serde_json::to_value(run_coverage(checkout.catalogue, checkout.cases, &outcomes))
            .unwrap_or_default();
    let agrees = report.get("coverage") == Some(&coverage);
    v.check(
        agrees,
        if agrees {
            "the coverage agrees with the cases"
        } else {
            "the coverage disagrees with the cases' verdicts"
        },
    );

    let verdict = completed(&mut v, report, &outcomes, &coverage);

    if let Some(recorded) = certification {
        let computed =
            Certification::of(&outcomes, &GitState::Unavailable(String::new()), &verdict);
        let same = |key: &str, value: Value| recorded.get(key) == Some(&value);
        let agrees = same("passed", Value::from(computed.passed))
            && same(
                "must",
                serde_json::to_value(computed.must).unwrap_or_default(),
            )
            && same(
                "should",
                serde_json::to_value(computed.should).unwrap_or_default(),
            );
        v.check(
            agrees,
            if agrees {
                format!(
                    "the certification record agrees with the cases: {}",
                    if computed.passed {
                        "every must case passed"
                    } else {
                        "must cases FAILED"
                    }
                )
            } else {
                "the certification record disagrees with the cases".to_owned()
            },
        );
        request_ids(&mut v, report, recorded);
    }
    v
}

/// Checks that the run completed: its recorded verdict is not INCOMPLETE and agrees with what
/// its cases give (a run that ran nothing, or skipped every must case, is incomplete whatever it
/// says). Returns the recorded verdict, which the certification record is computed with.
fn completed(
    v: &mut Verification,
    report: &Value,
    outcomes: &[Outcome],
    coverage: &Value,
) -> Verdict {
    let recorded = report
        .get("verdict")
        .and_then(|value| serde_json::from_value::<Verdict>(value.clone()).ok());
    let Some(recorded) = recorded else {
        v.check(
            false,
            "the report records no verdict (PASS, FAIL or INCOMPLETE)",
        );
        // Judged as incomplete: a record without a verdict certifies nothing.
        return Verdict::Incomplete {
            why: super::verdict::Incomplete::NoCaseRan,
            reason: "no verdict recorded".to_owned(),
        };
    };
    if let Some((why, reason)) = recorded.incomplete() {
        v.check(
            false,
            format!(
                "the run did not complete ({}): {reason} — an incomplete run is no certification",
                why.as_str()
            ),
        );
        return recorded;
    }
    let below_min = report
        .get("min_coverage")
        .and_then(Value::as_f64)
        .zip(coverage.pointer("/total/percent").and_then(Value::as_f64))
        .is_some_and(|(min, percent)| percent + 1e-9 < min);
    let fails = Summary::of(outcomes).fails_run() || below_min;
    let computed = Verdict::of(None, outcomes, fails);
    v.check(
        computed == recorded,
        if computed == recorded {
            format!(
                "the run completed; its verdict {} agrees with the cases",
                recorded.label()
            )
        } else {
            format!(
                "the verdict {} disagrees with the cases, which give {}",
                recorded.label(),
                computed.line()
            )
        },
    );
    recorded
}

fn fingerprint(v: &mut Verification, report: &Value, checkout: &Checkout<'_>) {
    let recorded: Option<Fingerprint> = report
        .get("fingerprint")
        .and_then(|f| serde_json::from_value(f.clone()).ok());
    let Some(recorded) = recorded else {
        v.check(false, "the report records no fingerprint of the suite");
        return;
    };
    let consistent = Fingerprint::of(recorded.files.clone()).sha256 == recorded.sha256;
    if !consistent {
        v.check(
            false,
            "the recorded fingerprint does not match its own file list",
        );
        return;
    }
    let difference = checkout.fingerprint.difference_from(&recorded);
    let same = difference.is_empty() && checkout.fingerprint.sha256 == recorded.sha256;
    v.check(
        same,
        if same {
            format!(
                "fingerprint sha256:{} matches this checkout's {} case and schema files",
                recorded.short(),
                recorded.files.len()
            )
        } else {
            format!(
                "fingerprint sha256:{} differs from this checkout's sha256:{} — {difference}",
                recorded.short(),
                checkout.fingerprint.short()
            )
        },
    );
}

fn cases(v: &mut Verification, report: &Value, checkout: &Checkout<'_>) {
    let suite: BTreeMap<&str, &Case> = checkout.cases.iter().map(|c| (c.id.as_str(), c)).collect();
    let listed = report.get("cases").and_then(Value::as_array);
    let listed: BTreeMap<&str, &Value> = listed
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c.get("id")?.as_str()?, c)))
        .collect();
    let missing: Vec<&str> = suite
        .keys()
        .filter(|id| !listed.contains_key(*id))
        .copied()
        .collect();
    let extra: Vec<&str> = listed
        .keys()
        .filter(|id| !suite.contains_key(*id))
        .copied()
        .collect();
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("missing {}", missing.join(", ")));
    }
    if !extra.is_empty() {
        problems.push(format!("not in this suite: {}", extra.join(", ")));
    }
    let url_target = report.pointer("/target/kind").and_then(Value::as_str) == Some("url");
    for (id, value) in &listed {
        let Some(case) = suite.get(id) else { continue };
        let level = value.get("level").and_then(Value::as_str);
        if level != Some(case.level().as_str()) {
            problems.push(format!(
                "{id}: level {} (the suite says {})",
                level.unwrap_or("missing"),
                case.level()
            ));
        }
        let failures = failure_count(value);
        match value.get("status").and_then(Value::as_str) {
            Some("passed") if failures > 0 => {
                problems.push(format!("{id}: passed with {failures} failure(s)"))
            }
            Some("failed") if failures == 0 => {
                problems.push(format!("{id}: failed without a failure"))
            }
            Some("known-failure") => problems.push(format!(
                "{id}: a known failure (certification takes no baseline)"
            )),
            // Only the target may impose a skip: mock-only cases against a URL target.
            Some("skipped")
                if case.level().fails_run() && !(url_target && case.mock_config().is_some()) =>
            {
                problems.push(format!("{id}: a {} case skipped by choice", case.level()))
            }
            _ => {}
        }
    }
    v.check(
        problems.is_empty(),
        if problems.is_empty() {
            format!(
                "every case of the suite ran ({}), each verdict backed by its failures",
                listed.len()
            )
        } else {
            format!(
                "the cases are not this suite's full run: {}",
                problems.join("; ")
            )
        },
    );
}

fn request_ids(v: &mut Verification, report: &Value, certification: &Value) {
    let samples = certification.get("request_ids").and_then(Value::as_array);
    let samples: Vec<(&str, &str)> = samples
        .into_iter()
        .flatten()
        .filter_map(|s| Some((s.get("case")?.as_str()?, s.get("request_id")?.as_str()?)))
        .collect();
    let bodies = |case: &str| -> Vec<String> {
        let found = report
            .get("cases")
            .and_then(Value::as_array)
            .and_then(|cases| {
                cases
                    .iter()
                    .find(|c| c.get("id").and_then(Value::as_str) == Some(case))
            });
        found
            .and_then(|c| c.get("exchanges"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| {
                e.pointer("/response/body/text")?
                    .as_str()
                    .map(str::to_owned)
            })
            .collect()
    };
    let unseen: Vec<&str> = samples
        .iter()
        .filter(|(case, id)| !bodies(case).iter().any(|b| b.contains(id)))
        .map(|(_, id)| *id)
        .collect();
    v.check(
        unseen.is_empty(),
        if unseen.is_empty() {
            format!(
                "{} sampled RequestIds appear in the recorded answers",
                samples.len()
            )
        } else {
            format!(
                "sampled RequestIds not in the recorded answers: {}",
                unseen.join(", ")
            )
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fingerprint::FileHash;
    use crate::report::fixtures::report;

    fn schema() -> Value {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/report.schema.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn catalogue() -> Catalogue {
        serde_json::from_value(serde_json::json!({
            "rules": [{"id": "r", "level": "must", "text": "t", "evidence": {"kind": "inferred", "reasoning": "r"}, "source": "s"}],
            "error_codes": []
        }))
        .unwrap()
    }

    /// A suite of one must case.
    fn suite() -> Vec<Case> {
        let spec: crate::case::CaseSpec = serde_json::from_value(serde_json::json!({
            "name": "a", "title": "t", "level": "must", "source": "s", "covers": ["r"], "steps": []
        }))
        .unwrap();
        vec![Case {
            id: "x/a".into(),
            file: std::path::PathBuf::new(),
            pointer: "/cases/0".into(),
            spec,
            mock: None,
        }]
    }

    /// A certification of `suite()` with the case's `status`: every check can be recomputed.
    fn certified(fingerprint: &Fingerprint, catalogue: &Catalogue, status: Status) -> Value {
        let outcomes = vec![crate::report::fixtures::outcome("x/a", Level::Must, status)];
        let mut r = report(outcomes.clone(), 0.0, None);
        r.coverage = run_coverage(catalogue, &suite(), &outcomes);
        r.fingerprint = Some(fingerprint.clone());
        r.certification = Some(Certification::of(
            &outcomes,
            &GitState::Unavailable("no git".into()),
            &r.verdict,
        ));
        serde_json::to_value(&r).unwrap()
    }

    #[test]
    fn a_consistent_certificate_is_accepted_and_each_tampering_named() {
        let fingerprint = Fingerprint::of(vec![FileHash {
            path: "cases/a.json".into(),
            sha256: "0".repeat(64),
        }]);
        let (catalogue, schema, cases) = (catalogue(), schema(), suite());
        let checkout = Checkout {
            version: env!("CARGO_PKG_VERSION"),
            fingerprint: &fingerprint,
            catalogue: &catalogue,
            cases: &cases,
            report_schema: &schema,
        };
        let good = certified(&fingerprint, &catalogue, Status::Passed);
        let verification = verify(&good, &checkout);
        assert!(verification.accepted(), "{}", verification.render());

        let failing = |value: &Value| -> Vec<String> {
            verify(value, &checkout)
                .checks
                .into_iter()
                .filter(|c| !c.ok)
                .map(|c| c.text)
                .collect()
        };
        let mut edited = good.clone();
        edited["fingerprint"]["files"][0]["sha256"] = Value::from("1".repeat(64));
        let found = failing(&edited);
        assert_eq!(
            found,
            ["the recorded fingerprint does not match its own file list"]
        );

        let other = Fingerprint::of(vec![FileHash {
            path: "cases/a.json".into(),
            sha256: "1".repeat(64),
        }]);
        let mut edited = good.clone();
        edited["fingerprint"] = serde_json::to_value(&other).unwrap();
        let found = failing(&edited);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].ends_with("— changed: cases/a.json"), "{found:?}");

        let mut edited = good.clone();
        edited["suite"]["version"] = Value::from("0.0.0-other");
        assert!(failing(&edited)[0].starts_with("suite version 0.0.0-other"));

        let mut edited = good.clone();
        edited["certification"]["passed"] = Value::from(false);
        assert_eq!(
            failing(&edited),
            ["the certification record disagrees with the cases"]
        );

        let mut edited = good.clone();
        edited.as_object_mut().unwrap().remove("certification");
        assert_eq!(
            failing(&edited),
            [
                "not a certification run: the report has no certification record (run with --certify)"
            ]
        );
        assert!(
            !Verification::default().accepted(),
            "no check, no acceptance"
        );

        // A verdict edited to PASS over a failed case is caught.
        let mut edited = certified(&fingerprint, &catalogue, Status::Failed);
        edited["verdict"] = serde_json::json!({"result": "PASS"});
        let found = failing(&edited);
        assert!(
            found
                .contains(&"the verdict PASS disagrees with the cases, which give FAIL".to_owned()),
            "{found:?}"
        );
    }

    #[test]
    fn an_incomplete_run_is_rejected_as_a_certification() {
        let fingerprint = Fingerprint::of(vec![]);
        let (catalogue, schema, cases) = (catalogue(), schema(), suite());
        let checkout = Checkout {
            version: env!("CARGO_PKG_VERSION"),
            fingerprint: &fingerprint,
            catalogue: &catalogue,
            cases: &cases,
            report_schema: &schema,
        };
        let rejected = |value: &Value| -> Vec<String> {
            verify(value, &checkout)
                .checks
                .into_iter()
                .filter(|c| !c.ok)
                .map(|c| c.text)
                .collect()
        };
        // Stopped early: the recorded verdict says so, and the record is not passed.
        let mut stopped = certified(&fingerprint, &catalogue, Status::Passed);
        stopped["verdict"] = serde_json::json!({
            "result": "INCOMPLETE", "incomplete": "interrupted",
            "reason": "the run was interrupted (Ctrl-C or SIGTERM)"
        });
        let found = rejected(&stopped);
        assert!(
            found[0].starts_with("the run did not complete (interrupted): the run was interrupted"),
            "{found:?}"
        );
        assert!(
            found.contains(&"the certification record disagrees with the cases".to_owned()),
            "{found:?}"
        );
        // Nothing ran, though the report claims PASS: the cases give INCOMPLETE.
        let mut skipped = certified(&fingerprint, &catalogue, Status::Skipped);
        skipped["verdict"] = serde_json::json!({"result": "PASS"});
        skipped["certification"]["passed"] = Value::from(true);
        skipped["certification"]
            .as_object_mut()
            .unwrap()
            .remove("incomplete");
        let found = rejected(&skipped);
        assert!(
            found.iter().any(|f| f
                == "the verdict PASS disagrees with the cases, which give INCOMPLETE — no case ran: all 1 selected cases were skipped"),
            "{found:?}"
        );
        // Without a verdict at all.
        let mut bare = certified(&fingerprint, &catalogue, Status::Passed);
        bare.as_object_mut().unwrap().remove("verdict");
        assert!(
            rejected(&bare)
                .contains(&"the report records no verdict (PASS, FAIL or INCOMPLETE)".to_owned())
        );
    }
}
