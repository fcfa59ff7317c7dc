//! run: every outcome is made safe before anything reads it — secrets scrubbed, target text made
//! harmless and capped — so the reporters never see raw target text.

use crate::outcome::{FailureKind as K, Outcome};
use crate::redact::{MAX_TEXT, cap_at, clean, clean_body};

/// Scrubs every text of an outcome in place — requests, answers, transport errors, failure
/// details (a schema message or snapshot diff quotes the answer), notes and the skip reason —
/// then makes it harmless wherever it is shown: control characters escaped ([`crate::redact::for_terminal`])
/// and each text capped at [`crate::redact::MAX_TEXT`] (bodies are capped when recorded).
pub fn scrub_outcome(outcome: &mut Outcome) {
    for exchange in &mut outcome.exchanges {
        clean(&mut exchange.request.url);
        for (_, value) in &mut exchange.request.headers {
            clean(value);
        }
        clean_body(&mut exchange.request.body.text);
        if let Some(response) = &mut exchange.response {
            for (_, value) in &mut response.headers {
                clean(value);
            }
            clean_body(&mut response.body.text);
        }
        if let Some(error) = &mut exchange.error {
            clean(error);
        }
    }
    for failure in &mut outcome.failures {
        match &mut failure.kind {
            K::Transport { error: text }
            | K::NotSent { reason: text }
            | K::Setup { error: text }
            | K::Body { error: text } => clean(text),
            K::ContentType { expected, actual } => {
                clean(expected);
                if let Some(actual) = actual {
                    clean(actual);
                }
            }
            K::Outcome { expected, actual } => {
                clean(expected);
                clean(actual);
            }
            K::Tally { actual, .. } => {
                let cleaned = std::mem::take(actual)
                    .into_iter()
                    .map(|(key, count)| {
                        let mut key = key;
                        clean(&mut key);
                        (key, count)
                    })
                    .collect();
                *actual = cleaned;
            }
            K::Schema { violations, .. } => {
                for violation in violations {
                    clean(&mut violation.instance_path);
                    clean(&mut violation.message);
                }
            }
            K::Snapshot { diff, .. } => {
                // A diff is longer than a Code by nature; still bounded.
                clean_body(diff);
                cap_at(diff, 16 * MAX_TEXT);
            }
            K::Capture { problem, .. } => clean(problem),
            K::Status { .. } | K::Latency { .. } => {}
        }
    }
    for note in &mut outcome.notes {
        clean(note);
    }
    if let Some(reason) = &mut outcome.skip_reason {
        clean(reason);
    }
}
