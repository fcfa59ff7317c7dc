//! load: the case model — what one case file says, as typed data (the format is described for
//! authors by schemas/case.schema.json; serde here rejects anything the schema would).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::mock::MockConfig;

/// How much a case matters: `must` and `should` failures fail a run, `info` ones never do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    #[default]
    Must,
    Should,
    Info,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Must, Level::Should, Level::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "must",
            Level::Should => "should",
            Level::Info => "info",
        }
    }

    /// Whether a failure at this level fails the run.
    pub fn fails_run(self) -> bool {
        !matches!(self, Level::Info)
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One case file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub cases: Vec<CaseSpec>,
}

/// One case as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    pub name: String,
    pub title: String,
    pub level: Level,
    pub source: String,
    pub covers: Vec<String>,
    #[serde(default)]
    pub requires: Requires,
    /// Ignored unless `--ignored` / `--include-ignored`, with this reason.
    #[serde(default)]
    pub ignore: Option<String>,
    pub steps: Vec<Step>,
    #[serde(default)]
    pub cleanup: Vec<Step>,
}

/// What a case needs from its target.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requires {
    /// A mock configuration: the case is mock-only and gets its own mock instance.
    #[serde(default)]
    pub mock: Option<Value>,
}

/// One request (or `copies` requests sent at once) and its expectations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    #[serde(default)]
    pub name: Option<String>,
    pub action: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default = "default_method")]
    pub method: String,
    /// Templated parameters (see `template`).
    #[serde(default)]
    pub params: Option<Map<String, Value>>,
    /// A templated raw body, sent instead of `params`.
    #[serde(default)]
    pub body: Option<Value>,
    #[serde(default)]
    pub content_type: Option<String>,
    /// Header overrides: a templated string sets, `null` removes.
    #[serde(default)]
    pub headers: Map<String, Value>,
    #[serde(default)]
    pub sign: SignKnobs,
    #[serde(default = "one")]
    pub copies: u32,
    #[serde(default)]
    pub expect: Option<Expect>,
}

fn default_method() -> String {
    "POST".to_owned()
}

fn one() -> u32 {
    1
}

impl Step {
    /// How the step is named in reports: its `name`, else its action.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.action)
    }
}

/// Declarative ways to get the signature wrong.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignKnobs {
    #[serde(default)]
    pub timestamp_offset_secs: i64,
    #[serde(default)]
    pub wrong_secret_key: bool,
    #[serde(default)]
    pub unknown_secret_id: bool,
    #[serde(default)]
    pub secret_id: Option<String>,
    #[serde(default)]
    pub scope_date_offset_days: i64,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub authorization: Option<AuthorizationKnob>,
    #[serde(default)]
    pub body_changed_after_signing: bool,
    #[serde(default)]
    pub extra_signed_headers: Vec<String>,
    /// Always-signed headers (`content-type`, `host`) to leave out of the signature.
    #[serde(default)]
    pub omit_signed_headers: Vec<String>,
    #[serde(default)]
    pub unsigned_payload: bool,
    #[serde(default, deserialize_with = "token_knob")]
    pub token: TokenKnob,
    /// `v3` (TC3-HMAC-SHA256, the default) or `v1` (HmacSHA1 / HmacSHA256 as parameters).
    #[serde(default)]
    pub version: SignVersion,
    /// v1: the algorithm (default HmacSHA1), sent as `SignatureMethod`.
    #[serde(default)]
    pub method: Option<V1Method>,
    /// v1: common parameters to leave out (before signing; `Signature` after).
    #[serde(default)]
    pub omit_params: Vec<String>,
    /// v1: send this `SignatureMethod` instead of `method`'s name (still signed with `method`).
    #[serde(default)]
    pub signature_method_value: Option<String>,
}

/// `sign.version`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum SignVersion {
    #[default]
    #[serde(rename = "v3")]
    V3,
    #[serde(rename = "v1")]
    V1,
}

/// `sign.method`: the signature v1 algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum V1Method {
    #[serde(rename = "HmacSHA1")]
    HmacSha1,
    #[serde(rename = "HmacSHA256")]
    HmacSha256,
}

/// `sign.authorization`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthorizationKnob {
    Missing,
    Malformed,
}

/// `sign.token`: absent → the run's token; `null` → none; a string → that (templated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TokenKnob {
    #[default]
    RunToken,
    NoToken,
    Value(String),
}

fn token_knob<'de, D: Deserializer<'de>>(deserializer: D) -> Result<TokenKnob, D::Error> {
    Ok(match Option::<String>::deserialize(deserializer)? {
        None => TokenKnob::NoToken,
        Some(value) => TokenKnob::Value(value),
    })
}

/// What the answer to a step must be.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    #[serde(default)]
    pub success: Option<bool>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub one_of: Option<Vec<String>>,
    #[serde(default)]
    pub tally: Option<BTreeMap<String, Count>>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub snapshot: bool,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
}

impl Expect {
    /// The outcome expectation, or `None` when none (or more than one) is given.
    pub fn outcome(&self) -> Option<ExpectedOutcome> {
        let mut found = Vec::new();
        if self.success == Some(true) {
            found.push(ExpectedOutcome::Success);
        }
        if let Some(code) = &self.code {
            found.push(ExpectedOutcome::Code(code.clone()));
        }
        if let Some(codes) = &self.one_of {
            found.push(ExpectedOutcome::OneOf(codes.clone()));
        }
        if let Some(tally) = &self.tally {
            found.push(ExpectedOutcome::Tally(tally.clone()));
        }
        (found.len() == 1).then(|| found.remove(0))
    }

    pub fn status(&self) -> u16 {
        self.status.unwrap_or(200)
    }

    pub fn content_type(&self) -> &str {
        self.content_type.as_deref().unwrap_or("application/json")
    }

    pub fn schema(&self) -> &str {
        self.schema.as_deref().unwrap_or("auto")
    }
}

/// Which outcome (success or an error code) is right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedOutcome {
    Success,
    Code(String),
    OneOf(Vec<String>),
    Tally(BTreeMap<String, Count>),
}

/// The outcome key of success in `one_of` and `tally`.
pub const SUCCESS: &str = "success";

impl ExpectedOutcome {
    /// Whether `actual` (an error code, or `success`) satisfies this expectation; a tally is
    /// judged over all copies instead, so any single outcome it names is accepted here.
    pub fn accepts(&self, actual: &str) -> bool {
        match self {
            ExpectedOutcome::Success => actual == SUCCESS,
            ExpectedOutcome::Code(code) => actual == code,
            ExpectedOutcome::OneOf(codes) => codes.iter().any(|c| c == actual),
            ExpectedOutcome::Tally(tally) => tally.contains_key(actual),
        }
    }
}

impl std::fmt::Display for ExpectedOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExpectedOutcome::Success => f.write_str(SUCCESS),
            ExpectedOutcome::Code(code) => f.write_str(code),
            ExpectedOutcome::OneOf(codes) => write!(f, "one of {}", codes.join(", ")),
            ExpectedOutcome::Tally(tally) => {
                let parts: Vec<String> = tally.iter().map(|(k, c)| format!("{k} × {c}")).collect();
                write!(f, "{}", parts.join(", "))
            }
        }
    }
}

/// How many copies must end in one outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Count {
    Exactly(u32),
    Range {
        #[serde(default)]
        min: Option<u32>,
        #[serde(default)]
        max: Option<u32>,
    },
}

impl Count {
    pub fn contains(self, n: u32) -> bool {
        match self {
            Count::Exactly(k) => n == k,
            Count::Range { min, max } => {
                min.is_none_or(|min| n >= min) && max.is_none_or(|max| n <= max)
            }
        }
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Count::Exactly(k) => write!(f, "{k}"),
            Count::Range { min, max } => match (min, max) {
                (Some(min), Some(max)) => write!(f, "{min}..={max}"),
                (Some(min), None) => write!(f, "≥{min}"),
                (None, Some(max)) => write!(f, "≤{max}"),
                (None, None) => f.write_str("any"),
            },
        }
    }
}

/// A loaded case: its spec plus where it came from.
#[derive(Debug, Clone)]
pub struct Case {
    /// `PATH-UNDER-CASES-WITHOUT-.json/NAME`, e.g. `auth/signature-expired`.
    pub id: String,
    /// The file, as shown to the user.
    pub file: PathBuf,
    /// JSON pointer of the case in its file (`/cases/N`).
    pub pointer: String,
    pub spec: CaseSpec,
    /// `requires.mock`, parsed (the loader has checked it).
    pub mock: Option<MockConfig>,
}

impl Case {
    /// Mock-only: the case needs a mock configuration, so it cannot run against a URL target.
    pub fn mock_config(&self) -> Option<&MockConfig> {
        self.mock.as_ref()
    }

    pub fn level(&self) -> Level {
        self.spec.level
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_exact_and_ranges() {
        assert!(Count::Exactly(2).contains(2));
        assert!(!Count::Exactly(2).contains(3));
        let range = Count::Range {
            min: Some(1),
            max: Some(3),
        };
        assert!(range.contains(1) && range.contains(3));
        assert!(!range.contains(0) && !range.contains(4));
        let at_least: Count = serde_json::from_str(r#"{"min": 2}"#).unwrap();
        assert!(at_least.contains(9) && !at_least.contains(1));
        assert!(serde_json::from_str::<Count>(r#"{"mni": 2}"#).is_err());
    }

    #[test]
    fn exactly_one_outcome_is_required() {
        let expect: Expect = serde_json::from_str(r#"{"code": "InternalError"}"#).unwrap();
        assert_eq!(
            expect.outcome(),
            Some(ExpectedOutcome::Code("InternalError".into()))
        );
        let both: Expect =
            serde_json::from_str(r#"{"success": true, "code": "InternalError"}"#).unwrap();
        assert_eq!(both.outcome(), None);
        assert_eq!(Expect::default().outcome(), None);
    }

    #[test]
    fn token_knob_distinguishes_absent_null_and_value() {
        let knobs: SignKnobs = serde_json::from_str("{}").unwrap();
        assert_eq!(knobs.token, TokenKnob::RunToken);
        let knobs: SignKnobs = serde_json::from_str(r#"{"token": null}"#).unwrap();
        assert_eq!(knobs.token, TokenKnob::NoToken);
        let knobs: SignKnobs = serde_json::from_str(r#"{"token": "x"}"#).unwrap();
        assert_eq!(knobs.token, TokenKnob::Value("x".into()));
    }

    #[test]
    fn one_of_accepts_success_when_listed() {
        let outcome = ExpectedOutcome::OneOf(vec!["success".into(), "InternalError".into()]);
        assert!(outcome.accepts("success"));
        assert!(outcome.accepts("InternalError"));
        assert!(!outcome.accepts("FailedOperation"));
    }
}
