//! run: the run-wide cap on what outcomes keep. Each target-derived text is capped on its own
//! ([`crate::redact::MAX_TEXT`], bodies at [`crate::outcome::BodyRecord::SHOWN`]), but a target
//! repeating a large Code over many copies and cases still multiplies those caps into reports of
//! hundreds of megabytes and the memory to build them. Every outcome's records are charged
//! against one budget; once it is spent, later outcomes keep their verdicts and failures' first
//! words only, and say so, and the report says how many were cut.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::outcome::{FailureKind as K, Outcome};
use crate::redact::cap_at;

/// What each text of an outcome keeps once the budget is spent.
const THIN: usize = 160;
/// Requests (with their answers) an outcome keeps once the budget is spent: a case of 200
/// copies would otherwise still keep 200 records, however short.
const THIN_EXCHANGES: usize = 2;

/// What a run has kept so far, and how many outcomes it cut.
#[derive(Debug)]
pub struct TextBudget {
    limit: usize,
    kept: AtomicUsize,
    cut: AtomicUsize,
}

impl Default for TextBudget {
    fn default() -> Self {
        Self::new(crate::outcome::MAX_RECORDED)
    }
}

impl TextBudget {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            kept: AtomicUsize::new(0),
            cut: AtomicUsize::new(0),
        }
    }

    /// Charges `outcome`'s records; one that does not fit what is left is cut to its first
    /// words (and charged what it keeps then).
    pub fn charge(&self, outcome: &mut Outcome) {
        let size = recorded_size(outcome);
        let fits = self
            .kept
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |kept| {
                let total = kept.checked_add(size)?;
                (total <= self.limit).then_some(total)
            })
            .is_ok();
        if fits {
            return;
        }
        thin(outcome);
        outcome.notes.push(format!(
            "the records of this case are cut to their first words: the run already keeps {} MiB of requests and answers (its cap)",
            self.limit / (1024 * 1024)
        ));
        self.kept
            .fetch_add(recorded_size(outcome), Ordering::SeqCst);
        self.cut.fetch_add(1, Ordering::SeqCst);
    }

    /// How many outcomes were cut.
    pub fn cut(&self) -> usize {
        self.cut.load(Ordering::SeqCst)
    }

    /// The cap, in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

/// The bytes an outcome's records take in report.json (about what every other format takes).
fn recorded_size(outcome: &Outcome) -> usize {
    serialized_len(&outcome.exchanges)
        + serialized_len(&outcome.failures)
        + outcome.notes.iter().map(String::len).sum::<usize>()
        + outcome.skip_reason.as_ref().map_or(0, String::len)
}

/// `value`'s length as JSON, counted without keeping the text.
fn serialized_len<T: serde::Serialize>(value: &T) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

/// Cuts `outcome` to its first words: its first [`THIN_EXCHANGES`] requests kept, bodies dropped
/// (their sizes kept), headers, errors, failure details and notes cut to [`THIN`] bytes.
fn thin(outcome: &mut Outcome) {
    let short = |text: &mut String| cap_at(text, THIN);
    let dropped = outcome.exchanges.len().saturating_sub(THIN_EXCHANGES);
    if dropped > 0 {
        outcome.exchanges.truncate(THIN_EXCHANGES);
        outcome.notes.push(format!(
            "{dropped} more request(s) and answer(s) of this case are not kept"
        ));
        for failure in &mut outcome.failures {
            failure.exchange = failure.exchange.filter(|&i| i < THIN_EXCHANGES);
        }
    }
    for exchange in &mut outcome.exchanges {
        short(&mut exchange.request.url);
        exchange
            .request
            .headers
            .iter_mut()
            .for_each(|(_, v)| short(v));
        exchange.request.body.text.clear();
        exchange.request.body.truncated = true;
        if let Some(response) = &mut exchange.response {
            response.headers.iter_mut().for_each(|(_, v)| short(v));
            response.body.text.clear();
            response.body.truncated = true;
        }
        if let Some(error) = &mut exchange.error {
            short(error);
        }
    }
    for failure in &mut outcome.failures {
        match &mut failure.kind {
            K::Transport { error: text }
            | K::NotSent { reason: text }
            | K::Setup { error: text }
            | K::Body { error: text }
            | K::Snapshot { diff: text, .. }
            | K::Capture { problem: text, .. } => short(text),
            K::ContentType { expected, actual } => {
                short(expected);
                if let Some(actual) = actual {
                    short(actual);
                }
            }
            K::Outcome { expected, actual } => {
                short(expected);
                short(actual);
            }
            K::Tally { actual, .. } => {
                // Keys cut to the same words add up rather than overwrite each other.
                let mut cut = std::collections::BTreeMap::new();
                for (mut key, count) in std::mem::take(actual) {
                    short(&mut key);
                    *cut.entry(key).or_insert(0) += count;
                }
                *actual = cut;
            }
            K::Schema { violations, .. } => {
                violations.truncate(3);
                for violation in violations {
                    short(&mut violation.instance_path);
                    short(&mut violation.message);
                }
            }
            K::Status { .. } | K::Latency { .. } => {}
        }
    }
    outcome.notes.iter_mut().for_each(short);
    if let Some(reason) = &mut outcome.skip_reason {
        short(reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Level;
    use crate::outcome::{
        BodyRecord, Exchange, Failure, RequestRecord, ResponseRecord, Status, StepRef,
    };

    /// A failed outcome of `copies` requests, each answered with `code` as its Code.
    fn outcome(copies: usize, code: &str) -> Outcome {
        let body = format!(r#"{{"Response":{{"Error":{{"Code":"{code}"}}}}}}"#);
        let mut outcome = Outcome {
            id: "c".into(),
            title: "t".into(),
            level: Level::Must,
            source: "s".into(),
            covers: vec![],
            status: Status::Failed,
            skip_reason: None,
            failures: vec![],
            exchanges: vec![],
            notes: vec![],
            duration: std::time::Duration::ZERO,
        };
        for copy in 0..copies {
            let step = StepRef {
                phase: "steps",
                index: 0,
                label: "ApplyConcurrent".into(),
                copy: Some(copy as u32),
            };
            outcome.exchanges.push(Exchange {
                step: step.clone(),
                request: RequestRecord {
                    method: "POST".into(),
                    url: "http://127.0.0.1:1/".into(),
                    headers: vec![("X-TC-Action".into(), "ApplyConcurrent".into())],
                    body: BodyRecord::new(b"{}"),
                },
                response: Some(ResponseRecord {
                    status: 200,
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: BodyRecord::new(body.as_bytes()),
                    latency_ms: 1,
                }),
                error: None,
            });
            let mut actual = code.to_owned();
            crate::redact::cap(&mut actual);
            outcome.failures.push(Failure {
                step,
                exchange: Some(copy),
                level: Level::Must,
                kind: K::Outcome {
                    expected: "success".into(),
                    actual,
                },
            });
        }
        outcome
    }

    #[test]
    fn outcomes_are_kept_whole_until_the_budget_is_spent_then_cut_and_counted() {
        let code = "A".repeat(1_000_000);
        let whole = recorded_size(&outcome(50, &code));
        let budget = TextBudget::new(whole * 2 + 10);
        let mut kept = Vec::new();
        for _ in 0..10 {
            let mut next = outcome(50, &code);
            budget.charge(&mut next);
            kept.push(next);
        }
        assert_eq!(budget.cut(), 8);
        assert_eq!(recorded_size(&kept[0]), whole);
        assert_eq!(kept[1].exchanges.len(), 50);
        for cut in &kept[2..] {
            assert_eq!(cut.exchanges.len(), THIN_EXCHANGES);
            assert!(
                cut.exchanges
                    .iter()
                    .all(|e| e.response.as_ref().unwrap().body.text.is_empty())
            );
            assert!(
                cut.failures
                    .iter()
                    .all(|f| f.exchange.is_none_or(|i| i < THIN_EXCHANGES))
            );
            assert!(
                cut.notes
                    .iter()
                    .any(|n| n.contains("cut to their first words")),
                "{:?}",
                cut.notes
            );
            assert!(
                recorded_size(cut) < whole / 10,
                "{} of {whole}",
                recorded_size(cut)
            );
        }
        // The verdicts stand: every failure is still there, at its level.
        assert!(
            kept.iter()
                .all(|o| o.failures.len() == 50 && o.status == Status::Failed)
        );
        let total: usize = kept.iter().map(recorded_size).sum();
        assert!(
            total < whole * 3,
            "{total} kept for a budget of {}",
            whole * 2
        );
    }

    #[test]
    fn cut_tally_keys_add_up() {
        let mut outcome = outcome(1, "x");
        let mut actual = std::collections::BTreeMap::new();
        actual.insert(format!("{}1", "B".repeat(THIN)), 2);
        actual.insert(format!("{}2", "B".repeat(THIN)), 3);
        outcome.failures[0].kind = K::Tally {
            expected: "all success".into(),
            actual,
        };
        thin(&mut outcome);
        let K::Tally { actual, .. } = &outcome.failures[0].kind else {
            unreachable!()
        };
        assert_eq!(actual.values().sum::<u32>(), 5);
    }
}
