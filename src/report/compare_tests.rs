//! report: the unit tests of `compare`'s matrix (and the fixtures its renderers' tests share):
//! rows, differences, and the oracle's judgment.
use super::*;
use crate::case::catalogue::{Evidence, Rule};
use crate::outcome::{BodyRecord, Exchange, Failure, FailureKind, Status, StepRef};
use crate::report::fixtures::{answered_with, outcome, report};

fn step(index: usize) -> StepRef {
    StepRef {
        phase: "steps",
        index,
        label: format!("s{index}"),
        copy: None,
    }
}

/// An exchange of step `index` answered with `answer`: `success` or an error code.
pub(crate) fn exchange(index: usize, answer: &str) -> Exchange {
    let body = if answer == "success" {
        r#"{"Response":{"RequestId":"r","ServerSession":"s"}}"#.to_owned()
    } else {
        serde_json::json!({"Response": {"Error": {"Code": answer, "Message": "m"}, "RequestId": "r"}})
            .to_string()
    };
    answered_with(step(index), &body)
}

/// A case answered `answers` step by step; failed at `failed` (an outcome check) if given.
pub(crate) fn case(
    id: &str,
    level: Level,
    covers: &[&str],
    answers: &[&str],
    failed: Option<Level>,
) -> Outcome {
    let status = if failed.is_some() {
        Status::Failed
    } else {
        Status::Passed
    };
    let mut o = outcome(id, level, status);
    o.covers = covers.iter().map(|c| (*c).to_owned()).collect();
    o.exchanges = answers
        .iter()
        .enumerate()
        .map(|(i, a)| exchange(i, a))
        .collect();
    if let Some(level) = failed {
        o.failures.push(Failure {
            step: step(answers.len().saturating_sub(1)),
            exchange: None,
            level,
            kind: FailureKind::Outcome {
                expected: "InvalidParameterValue".into(),
                actual: (*answers.last().unwrap_or(&"")).to_owned(),
            },
        });
    }
    o
}

pub(crate) fn catalogue() -> Catalogue {
    let rule = |id: &str, evidence: Evidence| Rule {
        id: id.into(),
        level: Level::Info,
        text: "t".into(),
        source: "s".into(),
        evidence,
        not_applicable: None,
    };
    Catalogue {
        rules: vec![
            rule(
                "doc",
                Evidence::Documented {
                    quote: "q".into(),
                    url: "https://www.tencentcloud.com/".into(),
                },
            ),
            rule(
                "guess",
                Evidence::Inferred {
                    reasoning: "r".into(),
                },
            ),
        ],
        error_codes: vec![],
    }
}

fn row<'a>(c: &'a Comparison, id: &str) -> &'a Row {
    c.rows.iter().find(|r| r.id == id).unwrap()
}

#[test]
fn rows_that_differ_come_first_and_a_skip_is_no_difference() {
    let mut skipped = outcome("c/skipped-on-b", Level::Must, Status::Skipped);
    skipped.covers = vec!["doc".into()];
    let a = report(
        vec![
            case("a/same", Level::Must, &["doc"], &["success"], None),
            case("b/code", Level::Must, &["doc"], &["MissingParameter"], None),
            case("c/skipped-on-b", Level::Must, &["doc"], &["success"], None),
        ],
        100.0,
        None,
    );
    let b = report(
        vec![
            case("a/same", Level::Must, &["doc"], &["success"], None),
            case(
                "b/code",
                Level::Must,
                &["doc"],
                &["success"],
                Some(Level::Must),
            ),
            skipped,
        ],
        100.0,
        None,
    );
    let c = Comparison::build(&[("a", &a), ("b", &b)], None, &catalogue());
    let order: Vec<(&str, bool)> = c.rows.iter().map(|r| (r.id.as_str(), r.differs)).collect();
    assert_eq!(
        order,
        [
            ("b/code", true),
            ("a/same", false),
            ("c/skipped-on-b", false)
        ]
    );
    assert_eq!(c.differing, 1);
    let cell = &row(&c, "b/code").cells[1];
    assert_eq!(
        (cell.verdict, cell.level, cell.answer_line()),
        (CellVerdict::Failed, Some(Level::Must), "success".to_owned())
    );
    assert_eq!(cell.verdict_line(), "failed (must)");
    assert_eq!(c.targets[1].verdict, "FAIL");
    assert!(c.fails());
}

#[test]
fn the_same_answer_judged_differently_is_a_difference_too() {
    let a = report(
        vec![case("x", Level::Should, &["doc"], &["success"], None)],
        100.0,
        None,
    );
    let b = report(
        vec![case(
            "x",
            Level::Should,
            &["doc"],
            &["success"],
            Some(Level::Should),
        )],
        100.0,
        None,
    );
    let c = Comparison::build(&[("a", &a), ("b", &b)], None, &catalogue());
    assert!(c.rows[0].differs);
}

#[test]
fn an_oracle_replaces_the_guess_of_an_inferred_case_and_judges_documented_ones_as_usual() {
    let oracle = report(
        vec![
            // The case guessed a refusal; the oracle accepts: its answer is the reference.
            case(
                "g/accepts",
                Level::Info,
                &["guess", "doc"],
                &["success"],
                Some(Level::Info),
            ),
            case(
                "g/same",
                Level::Info,
                &["guess"],
                &["InvalidParameterValue"],
                None,
            ),
            // The oracle fails a documented rule: a discrepancy.
            case(
                "d/rule",
                Level::Must,
                &["doc"],
                &["success"],
                Some(Level::Must),
            ),
        ],
        100.0,
        None,
    );
    let vendor = report(
        vec![
            case(
                "g/accepts",
                Level::Info,
                &["guess", "doc"],
                &["InvalidParameterValue"],
                None,
            ),
            case(
                "g/same",
                Level::Info,
                &["guess"],
                &["InvalidParameterValue"],
                None,
            ),
            case(
                "d/rule",
                Level::Must,
                &["doc"],
                &["InvalidParameterValue"],
                None,
            ),
        ],
        100.0,
        None,
    );
    let c = Comparison::build(
        &[("cloud", &oracle), ("vendor", &vendor)],
        Some("cloud"),
        &catalogue(),
    );
    let accepts = row(&c, "g/accepts");
    assert_eq!(accepts.evidence, "inferred");
    assert_eq!(accepts.cells[0].verdict, CellVerdict::Oracle);
    assert_eq!(accepts.cells[1].verdict, CellVerdict::Disagrees);
    assert_eq!(accepts.cells[1].level, Some(Level::Info));
    assert_eq!(
        accepts.cells[1].reason.as_deref(),
        Some("answers InvalidParameterValue where the oracle answers success")
    );
    assert_eq!(row(&c, "g/same").cells[1].verdict, CellVerdict::Agrees);
    let documented = row(&c, "d/rule");
    assert_eq!(documented.cells[0].verdict, CellVerdict::Discrepancy);
    assert_eq!(documented.cells[1].verdict, CellVerdict::Passed);
    assert_eq!(
        (c.targets[0].verdict, c.targets[0].discrepancies),
        ("ORACLE", 1)
    );
    assert_eq!(
        (c.targets[1].verdict, c.targets[1].disagreements),
        ("PASS", 1)
    );
    assert!(!c.fails(), "the oracle's discrepancy fails no vendor");
}

#[test]
fn a_success_with_other_fields_disagrees_with_the_oracle_and_says_which() {
    let oracle = report(
        vec![case("g/shape", Level::Info, &["guess"], &["success"], None)],
        100.0,
        None,
    );
    let mut vendor = report(
        vec![case("g/shape", Level::Info, &["guess"], &["success"], None)],
        100.0,
        None,
    );
    let body = r#"{"Response":{"RequestId":"r"}}"#;
    vendor.cases[0].exchanges[0].response.as_mut().unwrap().body = BodyRecord::new(body.as_bytes());
    let c = Comparison::build(&[("o", &oracle), ("v", &vendor)], Some("o"), &catalogue());
    let cell = &c.rows[0].cells[1];
    assert_eq!(cell.verdict, CellVerdict::Disagrees);
    assert_eq!(
        cell.reason.as_deref(),
        Some(
            "answers success {RequestId} where the oracle answers success {RequestId, ServerSession}"
        )
    );
    // Without an oracle the answers are the same: no difference is claimed.
    let plain = Comparison::build(&[("o", &oracle), ("v", &vendor)], None, &catalogue());
    assert!(!plain.rows[0].differs);
}
