//! report.html: coverage as a colour grid — one tile per catalogue item, error codes and rules
//! apart, coloured by what the run showed (passed, failed, skipped, not run, uncovered, not
//! applicable); a tile's tooltip lists its cases and links to the first. Totals per level below.

use std::fmt::Write as _;

use super::{case_anchor, esc};
use crate::case::catalogue::ItemKind;
use crate::report::coverage::{Coverage, CoverageItem, ItemState};

/// The CSS class and label of an item's state.
fn state(item: &CoverageItem) -> (&'static str, &'static str) {
    let state = item.state.unwrap_or(if item.not_applicable.is_some() {
        ItemState::NotApplicable
    } else if item.cases.is_empty() {
        ItemState::Uncovered
    } else {
        ItemState::NotRun
    });
    match state {
        ItemState::Passed => ("st-passed", "passed"),
        ItemState::Failed => ("st-failed", "failed"),
        ItemState::Skipped => ("st-skipped", "skipped"),
        ItemState::NotRun => ("st-not-run", "not run"),
        ItemState::Uncovered => ("st-uncovered", "uncovered"),
        ItemState::NotApplicable => ("st-not-applicable", "not applicable"),
    }
}

fn grid(out: &mut String, title: &str, items: &[&CoverageItem]) {
    let _ = write!(
        out,
        "<h3>{title} <small>({})</small></h3>\n<div class=\"grid\">\n",
        items.len()
    );
    for item in items {
        let (class, label) = state(item);
        let mut tip = format!("{} · {} · {label}", item.id, item.level);
        if let Some(why) = &item.not_applicable {
            tip.push_str(&format!("\n{why}"));
        }
        for case in &item.cases {
            tip.push_str(&format!("\n• {case}"));
        }
        let href = item
            .cases
            .first()
            .map(|c| format!(" href=\"#{}\"", esc(&case_anchor(c))))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<a class=\"cell {class} lvl-{}\"{href} title=\"{}\"><code>{}</code><span>{} · {label} · {} case{}</span></a>",
            item.level,
            esc(&tip),
            esc(&item.id),
            item.level,
            item.cases.len(),
            if item.cases.len() == 1 { "" } else { "s" }
        );
    }
    out.push_str("</div>\n");
}

pub(super) fn section(out: &mut String, coverage: &Coverage) {
    let t = &coverage.total;
    let _ = write!(
        out,
        "<section id=\"coverage\">\n<h2>Coverage <small>{:.1}% of {} applicable catalogue items exercised{}</small></h2>\n\
         <p class=\"legend\"><span><i class=\"st-passed\"></i>passed</span><span><i class=\"st-failed\"></i>failed</span>\
         <span><i class=\"st-skipped\"></i>skipped</span><span><i class=\"st-not-run\"></i>not run</span>\
         <span><i class=\"st-uncovered\"></i>uncovered</span><span><i class=\"st-not-applicable\"></i>not applicable</span>\
         <span><i class=\"st-passed lvl-must\"></i><i class=\"st-failed lvl-must\"></i>darker: must items</span></p>\n",
        t.percent,
        t.applicable,
        if coverage.kind == "static" {
            " (static)"
        } else {
            ""
        }
    );
    let codes: Vec<&CoverageItem> = coverage
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::ErrorCode)
        .collect();
    let rules: Vec<&CoverageItem> = coverage
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Rule)
        .collect();
    grid(out, "Error codes", &codes);
    grid(out, "Rules", &rules);
    out.push_str(
        "<h3>Totals</h3><table><tr><th>level</th><th class=\"num\">applicable</th><th class=\"num\">exercised</th>\
         <th class=\"num\">passed</th><th class=\"num\">failed</th><th class=\"num\">not applicable</th><th class=\"num\">coverage</th>\
         <th class=\"num\">documented</th><th class=\"num\">observed</th><th class=\"num\">inferred</th></tr>\n",
    );
    for t in coverage
        .levels
        .iter()
        .chain(std::iter::once(&coverage.total))
    {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}%</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            t.level.map_or("total", |l| l.as_str()),
            t.applicable,
            t.covered,
            t.passed,
            t.failed,
            t.not_applicable,
            t.percent,
            t.documented,
            t.observed,
            t.inferred
        );
    }
    out.push_str("</table>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;

    fn item(id: &str, kind: ItemKind, state: Option<ItemState>, cases: &[&str]) -> CoverageItem {
        CoverageItem {
            id: id.into(),
            kind,
            level: Level::Must,
            evidence: "documented",
            not_applicable: None,
            cases: cases.iter().map(|c| (*c).to_owned()).collect(),
            state,
        }
    }

    #[test]
    fn tiles_are_coloured_by_state_and_grouped_by_kind() {
        let coverage = Coverage {
            kind: "run",
            items: vec![
                item(
                    "A.Code",
                    ItemKind::ErrorCode,
                    Some(ItemState::Failed),
                    &["x/a"],
                ),
                item(
                    "param.x",
                    ItemKind::Rule,
                    Some(ItemState::Passed),
                    &["x/b", "x/c"],
                ),
                item("param.y", ItemKind::Rule, None, &[]),
            ],
            levels: vec![],
            total: crate::report::coverage::Totals::default(),
        };
        let mut out = String::new();
        section(&mut out, &coverage);
        assert!(
            out.contains("<h3>Error codes <small>(1)</small></h3>"),
            "{out}"
        );
        assert!(out.contains("<h3>Rules <small>(2)</small></h3>"), "{out}");
        assert!(
            out.contains("<a class=\"cell st-failed lvl-must\" href=\"#case-x/a\""),
            "{out}"
        );
        assert!(
            out.contains("<span>must · passed · 2 cases</span>"),
            "{out}"
        );
        assert!(
            out.contains("<a class=\"cell st-uncovered lvl-must\" title="),
            "{out}"
        );
    }
}
