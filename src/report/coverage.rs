//! report: coverage of the catalogue — which cases cover each documented rule and error code,
//! statically (`car-conformance coverage`, nothing sent) or after a run (passed or failed on this
//! target) — with totals per level. Items marked not applicable leave the denominator.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::case::catalogue::{Catalogue, ItemKind};
use crate::case::{Case, Level};
use crate::outcome::{Outcome, Status};

/// What a run showed about one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemState {
    /// At least one covering case passed and none failed.
    Passed,
    /// A covering case failed (or is a known failure).
    Failed,
    /// Covering cases exist, but every one was skipped on this target.
    Skipped,
    /// Covering cases exist but none was selected in this run.
    NotRun,
    /// No case covers it.
    Uncovered,
    /// Excluded from coverage (`not_applicable` in the catalogue).
    NotApplicable,
}

impl ItemState {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Passed => "passed",
            ItemState::Failed => "failed",
            ItemState::Skipped => "skipped",
            ItemState::NotRun => "not run",
            ItemState::Uncovered => "uncovered",
            ItemState::NotApplicable => "n/a",
        }
    }
}

/// One catalogue item and its cases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageItem {
    pub id: String,
    pub kind: ItemKind,
    pub level: Level,
    /// What it rests on: `documented`, `observed` or `inferred`.
    pub evidence: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
    /// Ids of the cases covering it, sorted.
    pub cases: Vec<String>,
    /// After a run only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<ItemState>,
}

/// Totals of one level (or of all, `level: None`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Totals {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// Items counted (not applicable ones excluded).
    pub applicable: usize,
    /// Items with at least one case (static), or whose cases ran to a verdict (run).
    pub covered: usize,
    /// After a run: items whose cases passed / failed.
    pub passed: usize,
    pub failed: usize,
    pub not_applicable: usize,
    /// `covered / applicable`, in percent (100 when nothing is applicable).
    pub percent: f64,
    /// Applicable items by what they rest on: a primary source, an observation, inference.
    pub documented: usize,
    pub observed: usize,
    pub inferred: usize,
}

/// Coverage of the whole catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// `static` (which items have a case) or `run` (what a run exercised).
    pub kind: &'static str,
    pub items: Vec<CoverageItem>,
    pub levels: Vec<Totals>,
    pub total: Totals,
}

fn base_items(catalogue: &Catalogue, covering: &BTreeMap<&str, Vec<String>>) -> Vec<CoverageItem> {
    catalogue
        .items()
        .into_iter()
        .map(|item| CoverageItem {
            id: item.id.to_owned(),
            kind: item.kind,
            level: item.level,
            evidence: item.evidence.kind(),
            not_applicable: item.not_applicable.map(str::to_owned),
            cases: covering.get(item.id).cloned().unwrap_or_default(),
            state: None,
        })
        .collect()
}

/// Which items have any case, without sending anything.
pub fn static_coverage(catalogue: &Catalogue, cases: &[Case]) -> Coverage {
    let mut covering: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for case in cases {
        for id in &case.spec.covers {
            covering
                .entry(id.as_str())
                .or_default()
                .push(case.id.clone());
        }
    }
    let items = base_items(catalogue, &covering);
    finish("static", items, |item| !item.cases.is_empty())
}

/// What a run exercised: each item's state from the outcomes of its covering cases.
/// `known` lists every loaded case id, so an item whose cases were filtered out shows `not run`.
pub fn run_coverage(catalogue: &Catalogue, cases: &[Case], outcomes: &[Outcome]) -> Coverage {
    let mut covering: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for case in cases {
        for id in &case.spec.covers {
            covering
                .entry(id.as_str())
                .or_default()
                .push(case.id.clone());
        }
    }
    let by_id: BTreeMap<&str, &Outcome> = outcomes.iter().map(|o| (o.id.as_str(), o)).collect();
    let mut items = base_items(catalogue, &covering);
    for item in &mut items {
        let statuses: Vec<Status> = item
            .cases
            .iter()
            .filter_map(|id| by_id.get(id.as_str()).map(|o| o.status))
            .collect();
        item.state = Some(if item.not_applicable.is_some() {
            ItemState::NotApplicable
        } else if item.cases.is_empty() {
            ItemState::Uncovered
        } else if statuses
            .iter()
            .any(|s| matches!(s, Status::Failed | Status::KnownFailure))
        {
            ItemState::Failed
        } else if statuses.contains(&Status::Passed) {
            ItemState::Passed
        } else if statuses.contains(&Status::Skipped) {
            ItemState::Skipped
        } else {
            ItemState::NotRun
        });
    }
    finish("run", items, |item| {
        matches!(item.state, Some(ItemState::Passed | ItemState::Failed))
    })
}

fn finish(
    kind: &'static str,
    items: Vec<CoverageItem>,
    covered: impl Fn(&CoverageItem) -> bool,
) -> Coverage {
    let count = |level: Option<Level>| {
        let mut totals = Totals {
            level,
            ..Totals::default()
        };
        for item in items.iter().filter(|i| level.is_none_or(|l| i.level == l)) {
            if item.not_applicable.is_some() {
                totals.not_applicable += 1;
                continue;
            }
            totals.applicable += 1;
            match item.evidence {
                "documented" => totals.documented += 1,
                "observed" => totals.observed += 1,
                _ => totals.inferred += 1,
            }
            if covered(item) {
                totals.covered += 1;
            }
            match item.state {
                Some(ItemState::Passed) => totals.passed += 1,
                Some(ItemState::Failed) => totals.failed += 1,
                _ => {}
            }
        }
        totals.percent = if totals.applicable == 0 {
            100.0
        } else {
            (totals.covered as f64) * 100.0 / (totals.applicable as f64)
        };
        totals
    };
    let levels = Level::ALL.iter().map(|l| count(Some(*l))).collect();
    let total = count(None);
    Coverage {
        kind,
        items,
        levels,
        total,
    }
}

/// The coverage table: one line per item, then totals per level.
pub fn render_table(coverage: &Coverage) -> String {
    let mut out = render_items(coverage);
    out.push('\n');
    out.push_str(&render_totals(coverage));
    out
}

/// One line per catalogue item: id, kind, level, state, covering cases.
pub fn render_items(coverage: &Coverage) -> String {
    let width = coverage
        .items
        .iter()
        .map(|i| i.id.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let run = coverage.kind == "run";
    let mut out = String::new();
    out.push_str(&format!(
        "{:width$}  {:4}  {:6}  {:9}  cases\n",
        "item",
        "kind",
        "level",
        if run { "state" } else { "covered" }
    ));
    for item in &coverage.items {
        let kind = match item.kind {
            ItemKind::Rule => "rule",
            ItemKind::ErrorCode => "code",
        };
        let state = match (item.state, &item.not_applicable) {
            (Some(state), _) => state.as_str(),
            (None, Some(_)) => "n/a",
            (None, None) if item.cases.is_empty() => "no",
            (None, None) => "yes",
        };
        let cases = match &item.not_applicable {
            Some(reason) => format!("not applicable: {}", shorten(reason, 72)),
            None => summarise(&item.cases),
        };
        let line = format!(
            "{:width$}  {kind:4}  {:6}  {state:9}  {cases}",
            item.id,
            item.level.as_str()
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Totals per level and overall.
pub fn render_totals(coverage: &Coverage) -> String {
    let run = coverage.kind == "run";
    let mut out = String::new();
    let outcome_heads = if run { "  passed  failed" } else { "" };
    out.push_str(&format!(
        "level    items  covered  n/a{outcome_heads}  percent  documented  observed  inferred\n"
    ));
    for totals in coverage.levels.iter().chain([&coverage.total]) {
        let name = totals.level.map_or("total", Level::as_str);
        let outcome = if run {
            format!("  {:>6}  {:>6}", totals.passed, totals.failed)
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{name:7} {:>6} {:>8} {:>4}{outcome}  {:>6.1}%  {:>10}  {:>8}  {:>8}\n",
            totals.applicable,
            totals.covered,
            totals.not_applicable,
            totals.percent,
            totals.documented,
            totals.observed,
            totals.inferred
        ));
    }
    out
}

/// The first `max` characters of `text`, with `…` when cut (the JSON keeps the whole text).
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
    }
}

fn summarise(cases: &[String]) -> String {
    const SHOWN: usize = 3;
    if cases.len() <= SHOWN {
        cases.join(", ")
    } else {
        format!(
            "{}, +{} more",
            cases[..SHOWN].join(", "),
            cases.len() - SHOWN
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{CaseSpec, Level};
    use serde_json::json;
    use std::path::PathBuf;
    use std::time::Duration;

    fn catalogue() -> Catalogue {
        serde_json::from_value(json!({
            "rules": [
                {"id": "r.one", "level": "must", "text": "t", "evidence": {"kind": "inferred", "reasoning": "r"}, "source": "s"},
                {"id": "r.two", "level": "should", "text": "t", "evidence": {"kind": "documented", "quote": "q", "url": "u"}, "source": "s"}
            ],
            "error_codes": [
                {"code": "A.B", "origin": "business", "level": "must", "text": "t", "source": "s",
                 "evidence": {"kind": "observed", "observation": "o", "file": "o.json", "case": "c", "date": "2026-11-29", "region": "r"}},
                {"code": "C", "origin": "common", "level": "info", "text": "t", "evidence": {"kind": "inferred", "reasoning": "r"}, "source": "s", "not_applicable": "never"}
            ]
        }))
        .unwrap()
    }

    fn case(id: &str, covers: &[&str]) -> Case {
        let spec: CaseSpec = serde_json::from_value(json!({
            "name": "n", "title": "t", "level": "must", "source": "s", "covers": covers,
            "steps": [{"action": "A", "expect": {"success": true}}]
        }))
        .unwrap();
        Case {
            id: id.into(),
            file: PathBuf::from("x.json"),
            pointer: "/cases/0".into(),
            spec,
            mock: None,
        }
    }

    fn outcome(id: &str, status: Status) -> Outcome {
        Outcome {
            id: id.into(),
            title: "t".into(),
            level: Level::Must,
            source: "s".into(),
            covers: vec![],
            status,
            skip_reason: None,
            failures: vec![],
            exchanges: vec![],
            notes: vec![],
            duration: Duration::ZERO,
        }
    }

    #[test]
    fn static_coverage_counts_items_with_cases_and_excludes_not_applicable() {
        let cases = [case("f/a", &["r.one", "A.B"]), case("f/b", &["r.one"])];
        let coverage = static_coverage(&catalogue(), &cases);
        assert_eq!(coverage.items[0].cases, ["f/a", "f/b"]);
        assert_eq!(coverage.total.applicable, 3);
        assert_eq!(coverage.total.covered, 2);
        assert_eq!(coverage.total.not_applicable, 1);
        assert!((coverage.total.percent - 66.666).abs() < 0.01);
        let must = coverage.levels[0];
        assert_eq!((must.applicable, must.covered), (2, 2));
        let json = serde_json::to_value(&coverage).unwrap();
        assert_eq!(json["items"][0]["kind"], "rule");
        assert_eq!(json["items"][2]["kind"], "error_code");
    }

    #[test]
    fn run_coverage_states_follow_the_outcomes() {
        let cases = [
            case("f/a", &["r.one", "A.B"]),
            case("f/b", &["r.one"]),
            case("f/c", &["r.two"]),
        ];
        let outcomes = [
            outcome("f/a", Status::Passed),
            outcome("f/b", Status::Failed),
        ];
        let coverage = run_coverage(&catalogue(), &cases, &outcomes);
        let states: Vec<ItemState> = coverage.items.iter().map(|i| i.state.unwrap()).collect();
        assert_eq!(
            states,
            [
                ItemState::Failed,
                ItemState::NotRun,
                ItemState::Passed,
                ItemState::NotApplicable
            ]
        );
        assert_eq!(
            (
                coverage.total.covered,
                coverage.total.passed,
                coverage.total.failed
            ),
            (2, 1, 1)
        );
        let skipped = run_coverage(&catalogue(), &cases, &[outcome("f/c", Status::Skipped)]);
        assert_eq!(skipped.items[1].state, Some(ItemState::Skipped));
    }

    #[test]
    fn the_table_lists_items_and_totals() {
        let coverage = static_coverage(&catalogue(), &[case("f/a", &["r.one"])]);
        let table = render_table(&coverage);
        assert!(
            table.contains("r.one  rule  must    yes        f/a\n"),
            "{table}"
        );
        assert!(
            table.contains("C      code  info    n/a        not applicable: never\n"),
            "{table}"
        );
        assert!(table.contains("r.two  rule  should  no\n"), "{table}");
        assert!(
            table.contains(
                "level    items  covered  n/a  percent  documented  observed  inferred\n"
            ),
            "{table}"
        );
        assert!(
            table.contains(
                "total        3        1    1    33.3%           1         1         1\n"
            ),
            "{table}"
        );
        assert!(
            table.contains(
                "should       1        0    0     0.0%           1         0         0\n"
            ),
            "{table}"
        );
    }

    #[test]
    fn totals_count_applicable_items_by_evidence() {
        let coverage = static_coverage(&catalogue(), &[]);
        let per_level: Vec<(usize, usize, usize)> = coverage
            .levels
            .iter()
            .map(|t| (t.documented, t.observed, t.inferred))
            .collect();
        // The not-applicable `C` (info, inferred) leaves every count.
        assert_eq!(per_level, [(0, 1, 1), (1, 0, 0), (0, 0, 0)]);
        let json = serde_json::to_value(&coverage).unwrap();
        assert_eq!(json["items"][2]["evidence"], "observed");
        assert_eq!(json["total"]["inferred"], 1);
    }
}
