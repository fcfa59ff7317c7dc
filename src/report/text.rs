//! report: small texts every reporter shares (JUnit, Markdown, HTML) — a case's one-line reason,
//! the reason of a known failure, the verdict, durations, headers as reports may show them — so
//! the formats agree word for word.

use super::RunReport;
use crate::outcome::{Exchange, Outcome, Status};
use crate::send::request::redact_header;

/// `PASS`, `FAIL` or `INCOMPLETE`, as the console's last line says.
pub fn verdict(report: &RunReport) -> &'static str {
    report.verdict.label()
}

/// Why the run is incomplete, if it is (the console's last line, after the label).
pub fn incomplete_reason(report: &RunReport) -> Option<&str> {
    report.verdict.incomplete().map(|(_, reason)| reason)
}

/// What a run may have left on the target, for the verdict's line: `None` when nothing.
pub fn left_behind(report: &RunReport) -> Option<String> {
    let left = &report.left_behind;
    if left.is_empty() {
        return None;
    }
    const NAMED: usize = 5;
    let mut named = left
        .iter()
        .take(NAMED)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if left.len() > NAMED {
        named.push_str(&format!(" and {} more", left.len() - NAMED));
    }
    Some(format!(
        "{} UserId(s) may still hold a lock or session on the target ({named}): destroy them with DestroySession (exit 3)",
        left.len()
    ))
}

/// The verdict as the console's last line says it: the label, an incomplete run's reason, and
/// what may be left on the target.
pub fn verdict_line(report: &RunReport) -> String {
    match left_behind(report) {
        Some(left) => format!("{}; {left}", report.verdict.line()),
        None => report.verdict.line(),
    }
}

/// The note of a run that reached its cap on kept records: `None` when it did not.
pub fn records_cut(report: &RunReport) -> Option<String> {
    (report.records_cut > 0).then(|| {
        format!(
            "records cut: the run reached its cap on the requests and answers it keeps (--max-records-mib); the records of {} case(s) after that are cut to their first words (their verdicts stand)",
            report.records_cut
        )
    })
}

/// The reason of a known failure, from the run's baseline.
pub fn known_reason<'a>(report: &'a RunReport, id: &str) -> Option<&'a str> {
    report
        .baseline
        .as_ref()?
        .known_failures
        .iter()
        .find(|e| e.id == id)
        .map(|e| e.reason.as_str())
}

/// One line saying why a case did not pass: its first failure (and how many more), its skip
/// reason, or its known-failure reason.
pub fn reason(report: &RunReport, outcome: &Outcome) -> String {
    match outcome.status {
        Status::Passed => String::new(),
        Status::Skipped => outcome
            .skip_reason
            .clone()
            .unwrap_or_else(|| "skipped".to_owned()),
        Status::KnownFailure => format!(
            "known failure: {}",
            known_reason(report, &outcome.id).unwrap_or("listed in the baseline")
        ),
        Status::Failed => {
            // The strictest failure decides the verdict, so it leads.
            let first = outcome
                .failures
                .iter()
                .min_by_key(|f| f.level)
                .map(ToString::to_string)
                .unwrap_or_else(|| "failed".to_owned());
            let mut line = first.lines().next().unwrap_or_default().trim().to_owned();
            if outcome.failures.len() > 1 {
                line.push_str(&format!(" (+{} more)", outcome.failures.len() - 1));
            }
            line
        }
    }
}

/// Every failure of a case, each with all its lines (schema violations, snapshot diffs).
pub fn failures(outcome: &Outcome) -> Vec<String> {
    outcome.failures.iter().map(ToString::to_string).collect()
}

/// A duration in milliseconds, as people read it (`999ms`, `1.2s`, `1m30s`).
pub fn millis(ms: u128) -> String {
    crate::plan::duration::human(std::time::Duration::from_millis(
        u64::try_from(ms).unwrap_or(u64::MAX),
    ))
}

/// The request of an exchange as text: request line, headers (secrets redacted again, in case a
/// record missed one), body.
pub fn request_text(exchange: &Exchange) -> String {
    let r = &exchange.request;
    let mut out = format!("{} {}\n", r.method, r.url);
    for (name, value) in &r.headers {
        out.push_str(&format!("{name}: {}\n", redact_header(name, value)));
    }
    if r.body.bytes > 0 {
        out.push('\n');
        out.push_str(&r.body.text);
        if r.body.truncated {
            out.push_str(&format!(" … ({} bytes)", r.body.bytes));
        }
        out.push('\n');
    }
    out
}

/// The answer of an exchange as text: status line, headers, body (or the transport error).
pub fn response_text(exchange: &Exchange) -> String {
    match (&exchange.response, &exchange.error) {
        (Some(response), _) => {
            let mut out = format!("HTTP {} in {} ms\n", response.status, response.latency_ms);
            for (name, value) in &response.headers {
                out.push_str(&format!("{name}: {}\n", redact_header(name, value)));
            }
            out.push('\n');
            out.push_str(&pretty_json(&response.body.text));
            if response.body.truncated {
                out.push_str(&format!(" … ({} bytes)", response.body.bytes));
            }
            out.push('\n');
            out
        }
        (None, Some(error)) => format!("no answer: {error}\n"),
        (None, None) => "no answer\n".to_owned(),
    }
}

/// `text` pretty-printed when it is JSON, else as it is.
pub fn pretty_json(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::outcome::{BodyRecord, FailureKind, RequestRecord, StepRef};
    use crate::report::fixtures::{failed, outcome, report};

    #[test]
    fn reasons_name_the_first_failure_and_count_the_rest() {
        let status = |actual| FailureKind::Status {
            expected: 200,
            actual,
        };
        let mut failed = failed("a", Level::Must, status(500));
        let mut second = failed.failures[0].clone();
        second.kind = status(502);
        failed.failures.push(second);
        let r = report(vec![], 0.0, None);
        assert_eq!(
            reason(&r, &failed),
            "[must] step 1 (CreateSession): HTTP status: expected 200, got 500 (+1 more)"
        );
        assert_eq!(
            reason(&r, &outcome("b", Level::Info, Status::Skipped)),
            "mock-only"
        );
        assert_eq!(millis(999), "999ms");
        assert_eq!(millis(1250), "1.2s");
    }

    #[test]
    fn requests_never_show_a_signature_or_token() {
        let exchange = Exchange {
            step: StepRef {
                phase: "steps",
                index: 0,
                label: "x".into(),
                copy: None,
            },
            request: RequestRecord {
                method: "POST".into(),
                url: "http://127.0.0.1:1/".into(),
                headers: vec![
                    (
                        "Authorization".into(),
                        "TC3-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=abcdef0123".into(),
                    ),
                    ("X-TC-Token".into(), "tok-secret".into()),
                ],
                body: BodyRecord::new(b"{}"),
            },
            response: None,
            error: Some("refused".into()),
        };
        let text = request_text(&exchange);
        assert!(
            !text.contains("abcdef0123") && !text.contains("tok-secret"),
            "{text}"
        );
        assert!(text.contains("Signature=<redacted>"));
        assert_eq!(response_text(&exchange), "no answer: refused\n");
    }
}
