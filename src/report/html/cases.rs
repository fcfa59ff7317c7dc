//! report.html: the case list — one `<details>` per case (status, level, id, title, duration),
//! opening to its reason, the documentation sentence, what it covers, every failure and every
//! exchange (request and answer side by side, headers redacted), with the toolbar the page's
//! script brings to life (status buttons, level, search).

use std::fmt::Write as _;

use super::{case_anchor, esc};
use crate::outcome::{Outcome, Status};
use crate::report::RunReport;
use crate::report::text;

pub(super) fn section(out: &mut String, report: &RunReport) {
    let count = |status: Status| report.cases.iter().filter(|o| o.status == status).count();
    let _ = write!(
        out,
        "<section id=\"cases\">\n<h2>Cases <small>({})</small></h2>\n\
         <div class=\"toolbar\" id=\"toolbar\" hidden>\
         <button type=\"button\" data-status=\"all\" aria-pressed=\"true\">All {}</button>\
         <button type=\"button\" data-status=\"failed\">Failed {}</button>\
         <button type=\"button\" data-status=\"known-failure\">Known {}</button>\
         <button type=\"button\" data-status=\"skipped\">Skipped {}</button>\
         <button type=\"button\" data-status=\"passed\">Passed {}</button>\
         <select id=\"filter-level\" aria-label=\"level\"><option value=\"all\">every level</option>\
         <option value=\"must\">must</option><option value=\"should\">should</option><option value=\"info\">info</option></select>\
         <input id=\"filter-text\" type=\"search\" placeholder=\"search id, title, covers…\" aria-label=\"search\">\
         <button type=\"button\" id=\"expand\">expand shown</button><button type=\"button\" id=\"collapse\">collapse all</button>\
         <span class=\"count\" id=\"filter-count\"></span></div>\n<div id=\"case-list\">\n",
        report.cases.len(),
        report.cases.len(),
        count(Status::Failed),
        count(Status::KnownFailure),
        count(Status::Skipped),
        count(Status::Passed)
    );
    for outcome in &report.cases {
        case(out, report, outcome);
    }
    out.push_str("</div>\n<p id=\"no-match\" hidden>No case matches.</p>\n</section>\n");
}

fn case(out: &mut String, report: &RunReport, outcome: &Outcome) {
    let status = outcome.status.as_str();
    let search = format!(
        "{} {} {} {}",
        outcome.id,
        outcome.title,
        outcome.covers.join(" "),
        status
    )
    .to_lowercase();
    let _ = write!(
        out,
        "<details class=\"case s-{status}\" id=\"{}\" data-status=\"{status}\" data-level=\"{}\" data-search=\"{}\">\
         <summary><span class=\"pill {status}\">{}</span><span class=\"lvl\">{}</span><code>{}</code>\
         <span class=\"title\">{}</span><span class=\"dur\">{}</span></summary>\n<div class=\"body\">\n",
        esc(&case_anchor(&outcome.id)),
        outcome.level,
        esc(&search),
        status.replace('-', " "),
        outcome.level,
        esc(&outcome.id),
        esc(&outcome.title),
        text::millis(outcome.duration.as_millis())
    );
    let reason = text::reason(report, outcome);
    if !reason.is_empty() {
        let _ = writeln!(out, "<p class=\"reason\">{}</p>", esc(&reason));
    }
    let _ = writeln!(
        out,
        "<p><b>{}</b></p><blockquote>{}</blockquote>",
        esc(&outcome.title),
        esc(&outcome.source)
    );
    if !outcome.covers.is_empty() {
        out.push_str("<p>covers ");
        for id in &outcome.covers {
            let _ = write!(out, "<span class=\"chip mono\">{}</span>", esc(id));
        }
        out.push_str("</p>\n");
    }
    if !outcome.failures.is_empty() {
        out.push_str("<ol class=\"failures\">");
        for failure in text::failures(outcome) {
            let _ = write!(out, "<li><pre>{}</pre></li>", esc(&failure));
        }
        out.push_str("</ol>\n");
    }
    if !outcome.notes.is_empty() {
        out.push_str("<ul class=\"flat\">");
        for note in &outcome.notes {
            let _ = write!(out, "<li>{}</li>", esc(note));
        }
        out.push_str("</ul>\n");
    }
    // The exchanges that showed a failure are open from the start.
    let showed: Vec<usize> = outcome.failures.iter().filter_map(|f| f.exchange).collect();
    for (index, exchange) in outcome.exchanges.iter().enumerate() {
        let answer = match (&exchange.response, &exchange.error) {
            (Some(r), _) => format!("HTTP {} in {} ms", r.status, r.latency_ms),
            (None, Some(_)) => "no answer".to_owned(),
            (None, None) => "not sent".to_owned(),
        };
        let _ = writeln!(
            out,
            "<details class=\"exchange\"{}><summary>{} — {} {}</summary><div class=\"pair\">\
             <div><h4>request</h4><pre>{}</pre></div><div><h4>answer</h4><pre>{}</pre></div></div></details>",
            if showed.contains(&index) { " open" } else { "" },
            esc(&exchange.step.to_string()),
            esc(&exchange.request.method),
            esc(&answer),
            esc(&text::request_text(exchange)),
            esc(&text::response_text(exchange))
        );
    }
    out.push_str("</div></details>\n");
}
