//! check → report: the results of a run as plain data — one `Outcome` per case with every failure
//! (expected vs actual) and every exchange (the request, secrets redacted, and the answer). The
//! execution fills them in; reporters (console, report.json, later JUnit/HTML/Markdown) only read.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::case::Level;

/// A case's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
    /// Failed, but listed as a known failure of this target (baselines come with a later issue).
    KnownFailure,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::KnownFailure => "known-failure",
        }
    }
}

/// The result of one case.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub id: String,
    pub title: String,
    pub level: Level,
    /// The documentation sentence the case rests on.
    pub source: String,
    pub covers: Vec<String>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_reason: Option<String>,
    pub failures: Vec<Failure>,
    pub exchanges: Vec<Exchange>,
    /// Things worth knowing that are not failures (e.g. a snapshot recorded for the first time).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(rename = "duration_ms", serialize_with = "millis")]
    pub duration: Duration,
}

impl Outcome {
    /// An outcome that was not run, with the reason.
    pub fn skipped(case: &crate::case::Case, reason: String) -> Self {
        Self {
            id: case.id.clone(),
            title: case.spec.title.clone(),
            level: case.spec.level,
            source: case.spec.source.clone(),
            covers: case.spec.covers.clone(),
            status: Status::Skipped,
            skip_reason: Some(reason),
            failures: Vec::new(),
            exchanges: Vec::new(),
            notes: Vec::new(),
            duration: std::time::Duration::ZERO,
        }
    }

    /// A case that failed before its first step could run (its mock did not start, the runner
    /// panicked): one failure at the case's level, labelled `label`.
    pub fn failed_before_steps(case: &crate::case::Case, label: &str, kind: FailureKind) -> Self {
        let mut outcome = Self::skipped(case, String::new());
        outcome.skip_reason = None;
        outcome.status = Status::Failed;
        outcome.failures.push(Failure {
            step: StepRef {
                phase: "steps",
                index: 0,
                label: label.to_owned(),
                copy: None,
            },
            exchange: None,
            level: case.spec.level,
            kind,
        });
        outcome
    }

    /// Whether this outcome fails the run: a failure at `must` or `should` (each failure counts
    /// at the lower of the case's level and its check's).
    pub fn fails_run(&self) -> bool {
        self.failing_level().is_some_and(Level::fails_run)
    }

    /// The strictest level a failure of this failed case counts at (`None` unless it failed).
    pub fn failing_level(&self) -> Option<Level> {
        if self.status != Status::Failed {
            return None;
        }
        // A failed case always records why; a record without one counts at the case's level.
        Some(
            self.failures
                .iter()
                .map(|f| f.level)
                .min()
                .unwrap_or(self.level),
        )
    }
}

fn millis<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

/// Which request of a case: a step or a cleanup step, and which copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRef {
    /// `steps` or `cleanup`.
    pub phase: &'static str,
    /// 0-based index in its phase.
    pub index: usize,
    /// The step's name, else its action.
    pub label: String,
    /// The copy (0-based) when the step sends several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy: Option<u32>,
}

impl fmt::Display for StepRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = if self.phase == "cleanup" {
            "cleanup "
        } else {
            ""
        };
        write!(f, "{phase}step {} ({})", self.index + 1, self.label)?;
        if let Some(copy) = self.copy {
            write!(f, " copy {}", copy + 1)?;
        }
        Ok(())
    }
}

/// Bytes of records (requests, answers, failures, notes) one run keeps whole, all cases
/// together: past it, a case's records are cut to their first words (see `run::text_budget`).
pub const MAX_RECORDED: usize = 32 * 1024 * 1024;

/// A body as recorded: its size and (the beginning of) its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BodyRecord {
    pub bytes: usize,
    /// Up to [`BodyRecord::SHOWN`] bytes, lossily decoded.
    pub text: String,
    pub truncated: bool,
}

impl BodyRecord {
    /// How much of a body a record keeps.
    pub const SHOWN: usize = 4096;

    /// How much of a body is scrubbed before it is cut, when the body is longer and holds no
    /// escape in that much: far more than any secret (a SecretKey is 32 characters, a token a few
    /// thousand) needs to be whole past [`Self::SHOWN`].
    const SCRUBBED: usize = 64 * 1024;

    /// Secrets are removed before the body is cut (a token straddling the cut would leave its
    /// beginning in every report), and from its JSON-decoded form too. A body longer than
    /// [`Self::SCRUBBED`] (a 10 MB request the suite built: answers are capped at 1 MiB) is
    /// scrubbed only that far, unless a backslash there may be an escape that only decoding the
    /// whole JSON resolves: scrubbing all of it made a third of a run's CPU.
    pub fn new(body: &[u8]) -> Self {
        let window = &body[..body.len().min(Self::SCRUBBED)];
        let scrubbed_part = if window.len() < body.len() && !window.contains(&b'\\') {
            window
        } else {
            body
        };
        let full = String::from_utf8_lossy(scrubbed_part);
        let clean = crate::redact::scrub_body(&full);
        let mut cut = clean.len().min(Self::SHOWN);
        while !clean.is_char_boundary(cut) {
            cut -= 1;
        }
        Self {
            bytes: body.len(),
            text: clean[..cut].to_owned(),
            truncated: cut < clean.len() || scrubbed_part.len() < body.len(),
        }
    }
}

/// A request as sent, secrets redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRecord {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: BodyRecord,
}

/// An answer as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponseRecord {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: BodyRecord,
    pub latency_ms: u64,
}

/// One request and what came back (an answer, or a transport error).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exchange {
    pub step: StepRef,
    pub request: RequestRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One failed check of a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Failure {
    pub step: StepRef,
    /// Index in the outcome's `exchanges` of the request that showed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<usize>,
    /// The level this failure counts at: the lower of the case's level and the failed check's
    /// (a default check carries its catalogue rule's level, see `check::levels`).
    pub level: Level,
    #[serde(flatten)]
    pub kind: FailureKind,
}

impl fmt::Display for Failure {
    /// `[level] step N (label): what failed`, the level being the one the failure counts at.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", self.level, self.step, self.kind)
    }
}

/// A schema violation: where in the answer, which schema keyword, what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaViolation {
    pub instance_path: String,
    pub schema_path: String,
    pub message: String,
}

/// What was wrong, with expected and actual.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "check", rename_all = "snake_case")]
pub enum FailureKind {
    /// No answer: connection refused, timeout, answer too large.
    Transport {
        error: String,
    },
    /// The request could not be built (e.g. a capture an earlier step failed to make).
    NotSent {
        reason: String,
    },
    /// A mock instance for the case could not be started.
    Setup {
        error: String,
    },
    Status {
        expected: u16,
        actual: u16,
    },
    ContentType {
        expected: String,
        actual: Option<String>,
    },
    /// The answer is not JSON.
    Body {
        error: String,
    },
    /// Wrong outcome: `expected` describes success, a code or a set of codes.
    Outcome {
        expected: String,
        actual: String,
    },
    /// Copies ended in the wrong numbers of each outcome.
    Tally {
        expected: String,
        actual: BTreeMap<String, u32>,
    },
    Schema {
        schema: String,
        violations: Vec<SchemaViolation>,
    },
    Latency {
        budget_ms: u64,
        actual_ms: u64,
    },
    Snapshot {
        snapshot: String,
        diff: String,
    },
    Capture {
        name: String,
        pointer: String,
        problem: String,
    },
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Transport { error } => write!(f, "no answer: {error}"),
            FailureKind::NotSent { reason } => write!(f, "not sent: {reason}"),
            FailureKind::Setup { error } => write!(f, "setup failed: {error}"),
            FailureKind::Status { expected, actual } => {
                write!(f, "HTTP status: expected {expected}, got {actual}")
            }
            FailureKind::ContentType { expected, actual } => write!(
                f,
                "Content-Type: expected {expected}, got {}",
                actual.as_deref().unwrap_or("none")
            ),
            FailureKind::Body { error } => write!(f, "the answer is not JSON: {error}"),
            FailureKind::Outcome { expected, actual } => {
                write!(f, "outcome: expected {expected}, got {actual}")
            }
            FailureKind::Tally { expected, actual } => {
                let got: Vec<String> = actual.iter().map(|(k, n)| format!("{k} × {n}")).collect();
                write!(
                    f,
                    "outcomes of the copies: expected {expected}, got {}",
                    got.join(", ")
                )
            }
            FailureKind::Schema { schema, violations } => {
                write!(f, "the answer does not match {schema}:")?;
                for v in violations {
                    write!(
                        f,
                        "\n      at {} (schema {}): {}",
                        if v.instance_path.is_empty() {
                            "/"
                        } else {
                            &v.instance_path
                        },
                        v.schema_path,
                        v.message
                    )?;
                }
                Ok(())
            }
            FailureKind::Latency {
                budget_ms,
                actual_ms,
            } => write!(
                f,
                "latency: expected at most {budget_ms} ms, took {actual_ms} ms"
            ),
            FailureKind::Snapshot { snapshot, diff } => {
                write!(
                    f,
                    "the answer differs from the snapshot {snapshot}:\n{diff}"
                )
            }
            FailureKind::Capture {
                name,
                pointer,
                problem,
            } => write!(f, "capture `{name}` ({pointer}): {problem}"),
        }
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.request;
        writeln!(f, "    request: {} {}", r.method, r.url)?;
        for (name, value) in &r.headers {
            writeln!(f, "      {name}: {value}")?;
        }
        if r.body.bytes > 0 {
            write!(f, "      body ({} bytes): {}", r.body.bytes, r.body.text)?;
            if r.body.truncated {
                f.write_str(" …")?;
            }
            writeln!(f)?;
        }
        match (&self.response, &self.error) {
            (Some(response), _) => {
                writeln!(
                    f,
                    "    answer: HTTP {} in {} ms",
                    response.status, response.latency_ms
                )?;
                write!(f, "      body: {}", response.body.text)?;
                if response.body.truncated {
                    write!(f, " … ({} bytes)", response.body.bytes)?;
                }
                writeln!(f)
            }
            (None, Some(error)) => writeln!(f, "    no answer: {error}"),
            (None, None) => writeln!(f, "    no answer"),
        }
    }
}

/// The text libtest shows for a failed case: every failure, each with its request and answer.
pub fn render_failures(outcome: &Outcome) -> String {
    let mut out = String::new();
    for failure in &outcome.failures {
        out.push_str(&format!("{failure}\n"));
        if let Some(exchange) = failure.exchange.and_then(|i| outcome.exchanges.get(i)) {
            out.push_str(&exchange.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step() -> StepRef {
        StepRef {
            phase: "steps",
            index: 1,
            label: "CreateSession".into(),
            copy: None,
        }
    }

    #[test]
    fn failures_render_expected_actual_and_the_request() {
        let outcome = Outcome {
            id: "a/b".into(),
            title: "t".into(),
            level: Level::Must,
            source: "s".into(),
            covers: vec![],
            status: Status::Failed,
            skip_reason: None,
            failures: vec![Failure {
                step: step(),
                exchange: Some(0),
                level: Level::Must,
                kind: FailureKind::Outcome {
                    expected: "FailedOperation.LockTimeout".into(),
                    actual: "success".into(),
                },
            }],
            exchanges: vec![Exchange {
                step: step(),
                request: RequestRecord {
                    method: "POST".into(),
                    url: "http://127.0.0.1:1/".into(),
                    headers: vec![("X-TC-Action".into(), "CreateSession".into())],
                    body: BodyRecord::new(b"{}"),
                },
                response: None,
                error: Some("connection refused".into()),
            }],
            notes: vec![],
            duration: Duration::from_millis(3),
        };
        let text = render_failures(&outcome);
        assert!(text.starts_with(
            "[must] step 2 (CreateSession): outcome: expected FailedOperation.LockTimeout, got success\n"
        ));
        assert!(text.contains("request: POST http://127.0.0.1:1/"));
        assert!(text.contains("X-TC-Action: CreateSession"));
        assert!(text.contains("no answer: connection refused"));
        let json = serde_json::to_value(&outcome).unwrap();
        assert_eq!(json["status"], "failed");
        assert_eq!(json["duration_ms"], 3);
        assert_eq!(json["failures"][0]["check"], "outcome");
        assert_eq!(json["failures"][0]["level"], "must");
        assert!(outcome.fails_run());
        let mut lowered = outcome.clone();
        lowered.failures[0].level = Level::Info;
        assert_eq!(lowered.failing_level(), Some(Level::Info));
        assert!(!lowered.fails_run(), "a must case failing only at info");
        assert!(render_failures(&lowered).starts_with("[info] step 2"));
        lowered.status = Status::Passed;
        assert_eq!(lowered.failing_level(), None);
    }

    #[test]
    fn bodies_are_truncated_for_records() {
        let body = vec![b'x'; BodyRecord::SHOWN + 10];
        let record = BodyRecord::new(&body);
        assert_eq!(record.bytes, BodyRecord::SHOWN + 10);
        assert_eq!(record.text.len(), BodyRecord::SHOWN);
        assert!(record.truncated);
    }
}
