//! mock: the reference mock's configuration — what a case's `requires.mock` or the `mock` command
//! line may change (quota, lifetimes, limits, injected faults), with the documented defaults.

use serde::{Deserialize, Serialize};

use super::action::Action;
use super::defects::UnknownDefect;
use super::variants::UnknownVariant;

/// What is wrong with a fault or a mock configuration (from a case's `requires.mock`, the
/// command line or the control interface): each names the field and value at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("`{text}`: expected ACTION=CODE[:TIMES][@PROBABILITY]")]
    FaultForm { text: String },
    #[error("`{text}`: probability `{value}` is not a number")]
    FaultProbabilityNotNumber { text: String, value: String },
    #[error("`{text}`: times `{value}` is not a whole number")]
    FaultTimes { text: String, value: String },
    #[error("fault action `{action}` is not one of {} or `*`", Action::ALL.map(Action::name).join(", "))]
    FaultAction { action: String },
    #[error("fault code `{code}` is not an error code like `FailedOperation.ProcessTimeout`")]
    FaultCode { code: String },
    #[error("fault probability {probability} is not between 0 and 1")]
    FaultProbability { probability: f64 },
    #[error("credential #{number}: SecretId and SecretKey must not be empty")]
    EmptyCredential { number: usize },
    #[error("timestamp_window_secs must not be negative")]
    NegativeTimestampWindow,
    #[error("header_timeout_ms and body_timeout_ms must be positive")]
    ZeroTimeout,
    #[error("{0}")]
    Defect(#[from] UnknownDefect),
    #[error("{0}")]
    Variant(#[from] UnknownVariant),
    #[error(
        "slow_apply_concurrent_ms {ms} is beyond ApplyConcurrent's documented {APPLY_CONCURRENT_BUDGET_MS} ms: no longer an allowed variant"
    )]
    SlowApplyConcurrent { ms: u64 },
}

/// One SecretId the mock accepts (the signing module's credentials: `Debug` hides the key and
/// token). Never read from case files. A token makes them temporary credentials: requests must
/// carry it in `X-TC-Token`.
pub use crate::sign::Credentials as MockCredential;

/// An injected error: `code` answers the next `times` calls of `action` (every call when `times`
/// is absent), each with `probability` when given (a seeded RNG keeps runs deterministic).
/// `action` is an action name or `*` for every action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub action: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

impl Fault {
    /// Parses the command-line form `ACTION=CODE[:TIMES][@PROBABILITY]`,
    /// e.g. `CreateSession=InternalError:2` or `*=FailedOperation@0.1`.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let (action, rest) = text.split_once('=').ok_or_else(|| ConfigError::FaultForm {
            text: text.to_owned(),
        })?;
        let (rest, probability) = match rest.split_once('@') {
            Some((rest, p)) => {
                let p: f64 = p
                    .parse()
                    .map_err(|_| ConfigError::FaultProbabilityNotNumber {
                        text: text.to_owned(),
                        value: p.to_owned(),
                    })?;
                (rest, Some(p))
            }
            None => (rest, None),
        };
        let (code, times) = match rest.split_once(':') {
            Some((code, n)) => {
                let n: u32 = n.parse().map_err(|_| ConfigError::FaultTimes {
                    text: text.to_owned(),
                    value: n.to_owned(),
                })?;
                (code, Some(n))
            }
            None => (rest, None),
        };
        let fault = Self {
            action: action.trim().to_owned(),
            code: code.trim().to_owned(),
            message: None,
            times,
            probability,
        };
        fault.validate()?;
        Ok(fault)
    }

    /// Whether this fault applies to `action`.
    pub fn matches(&self, action: Action) -> bool {
        self.action == "*" || self.action == action.name()
    }

    /// Says what is wrong with this fault, if anything.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.action != "*" && Action::from_name(&self.action).is_none() {
            return Err(ConfigError::FaultAction {
                action: self.action.clone(),
            });
        }
        let code_ok = !self.code.is_empty()
            && self.code.split('.').all(|part| {
                !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
        if !code_ok {
            return Err(ConfigError::FaultCode {
                code: self.code.clone(),
            });
        }
        if let Some(p) = self.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(ConfigError::FaultProbability { probability: p });
        }
        Ok(())
    }
}

/// ApplyConcurrent's documented timeout: "The timeout period of the API is 20 seconds."
const APPLY_CONCURRENT_BUDGET_MS: u64 = 20_000;

/// Everything about the mock a case or the command line may set. Unknown fields are errors, so a
/// misspelt knob in a case file is reported instead of silently ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MockConfig {
    /// Accepted keys; empty → the built-in test pair. Never from case files.
    #[serde(skip)]
    pub credentials: Vec<MockCredential>,
    /// Concurrencies available: live locks plus sessions that hold one, across all UserIds.
    pub concurrency_quota: u32,
    /// How long an ApplyConcurrent lock waits for its CreateSession.
    pub lock_lifetime_ms: u64,
    /// How long a CreateSession takes; another request for the same UserId meanwhile is
    /// answered `FailedOperation.SlowDown`.
    pub create_session_ms: u64,
    /// A slow CreateSession ends as soon as another request for its UserId has been answered
    /// `FailedOperation.SlowDown` (`create_session_ms` stays the upper bound). A SlowDown case
    /// then gives its second request the whole of `create_session_ms` to arrive, yet finishes in
    /// milliseconds: a wide margin on a loaded machine without a long run.
    pub create_session_ends_on_slow_down: bool,
    /// Stopping phase after DestroySession (`UnsupportedOperation.Stopping` for that UserId).
    pub stopping_ms: u64,
    /// Players per multi-person room, the host included.
    pub player_limit: u32,
    /// Viewers per multi-person room.
    pub viewer_limit: u32,
    /// Requests per second per SecretId and action; `None` turns the limit off.
    pub rate_limit_per_second: Option<u32>,
    /// Largest allowed distance between X-TC-Timestamp and the mock's clock.
    pub timestamp_window_secs: i64,
    /// Largest GET request (query string plus body), bytes.
    pub max_get_bytes: usize,
    /// Largest POST body, bytes.
    pub max_post_bytes: usize,
    /// Injected errors, checked in order before the business layer.
    pub faults: Vec<Fault>,
    /// A client must send its request headers within this time (also the keep-alive idle limit).
    pub header_timeout_ms: u64,
    /// A client must send its whole body within this time.
    pub body_timeout_ms: u64,
    /// One named defect of [`super::defects::DEFECTS`] switched on (`None`: the documented
    /// behaviour). Only the suite's own tests and `car-conformance mock --defect` set it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub defect: Option<String>,
    /// Named allowed variants of [`super::variants::VARIANTS`] switched on: ways a correct
    /// implementation may differ. Only the suite's own tests and `mock --variant` set them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
    /// How long ApplyConcurrent takes under the `slow-apply-concurrent` variant (default 7000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slow_apply_concurrent_ms: Option<u64>,
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            credentials: Vec::new(),
            concurrency_quota: 1000,
            lock_lifetime_ms: 300_000,
            create_session_ms: 0,
            create_session_ends_on_slow_down: false,
            stopping_ms: 0,
            player_limit: 7,
            viewer_limit: 50,
            rate_limit_per_second: Some(100),
            timestamp_window_secs: 300,
            max_get_bytes: 32 * 1024,
            max_post_bytes: 10 * 1024 * 1024,
            faults: Vec::new(),
            header_timeout_ms: 10_000,
            body_timeout_ms: 10_000,
            defect: None,
            variants: Vec::new(),
            slow_apply_concurrent_ms: None,
        }
    }
}

impl MockConfig {
    /// Says what is wrong with this configuration, if anything.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (index, credential) in self.credentials.iter().enumerate() {
            if credential.secret_id.is_empty() || credential.secret_key.is_empty() {
                return Err(ConfigError::EmptyCredential { number: index + 1 });
            }
        }
        for fault in &self.faults {
            fault.validate()?;
        }
        if self.timestamp_window_secs < 0 {
            return Err(ConfigError::NegativeTimestampWindow);
        }
        if self.header_timeout_ms == 0 || self.body_timeout_ms == 0 {
            return Err(ConfigError::ZeroTimeout);
        }
        if let Some(name) = &self.defect {
            super::defects::lookup(name)?;
        }
        for name in &self.variants {
            super::variants::lookup(name)?;
        }
        if let Some(ms) = self.slow_apply_concurrent_ms
            && ms > APPLY_CONCURRENT_BUDGET_MS
        {
            return Err(ConfigError::SlowApplyConcurrent { ms });
        }
        Ok(())
    }

    /// The keys in force: the configured ones, else the built-in test pair.
    pub fn effective_credentials(&self) -> Vec<MockCredential> {
        if self.credentials.is_empty() {
            vec![MockCredential::new(
                super::TEST_SECRET_ID,
                super::TEST_SECRET_KEY,
            )]
        } else {
            self.credentials.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = MockConfig::default();
        assert_eq!(config.concurrency_quota, 1000);
        assert_eq!(config.rate_limit_per_second, Some(100));
        assert_eq!(config.max_get_bytes, 32768);
        assert_eq!(config.max_post_bytes, 10485760);
        assert_eq!(config.timestamp_window_secs, 300);
        assert_eq!(config.player_limit, 7);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn a_partial_config_deserializes_over_the_defaults() {
        let config: MockConfig =
            serde_json::from_str(r#"{"concurrency_quota": 0, "rate_limit_per_second": null}"#)
                .unwrap();
        assert_eq!(config.concurrency_quota, 0);
        assert_eq!(config.rate_limit_per_second, None);
        assert_eq!(config.lock_lifetime_ms, 300_000);
    }

    #[test]
    fn unknown_fields_and_credentials_are_refused_in_json() {
        assert!(serde_json::from_str::<MockConfig>(r#"{"concurency_quota": 1}"#).is_err());
        assert!(serde_json::from_str::<MockConfig>(r#"{"credentials": []}"#).is_err());
    }

    #[test]
    fn faults_parse_from_the_command_line_form() {
        let fault = Fault::parse("CreateSession=InternalError:2").unwrap();
        assert_eq!(fault.action, "CreateSession");
        assert_eq!(fault.code, "InternalError");
        assert_eq!(fault.times, Some(2));
        let fault = Fault::parse("*=FailedOperation.ProcessTimeout@0.5").unwrap();
        assert_eq!(fault.probability, Some(0.5));
        assert_eq!(fault.times, None);
        assert!(Fault::parse("CreateSesion=InternalError").is_err());
        assert!(Fault::parse("CreateSession").is_err());
        assert!(Fault::parse("CreateSession=Bad Code").is_err());
        assert!(Fault::parse("CreateSession=InternalError:x").is_err());
        assert!(Fault::parse("CreateSession=InternalError@1.5").is_err());
    }

    #[test]
    fn a_defect_is_named_and_checked() {
        let config: MockConfig = serde_json::from_str(r#"{"defect": "no-rate-limit"}"#).unwrap();
        assert_eq!(config.defect.as_deref(), Some("no-rate-limit"));
        assert!(config.validate().is_ok());
        let config = MockConfig {
            defect: Some("no-rate-limimt".into()),
            ..MockConfig::default()
        };
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("no-rate-limit"), "{error}");
        let shown = serde_json::to_value(MockConfig::default()).unwrap();
        assert!(shown.get("defect").is_none());
        assert!(shown.get("variants").is_none());
    }

    #[test]
    fn variants_are_named_and_checked() {
        let config: MockConfig =
            serde_json::from_str(r#"{"variants": ["pretty-json", "request-id-opaque"]}"#).unwrap();
        assert_eq!(config.variants.len(), 2);
        assert!(config.validate().is_ok());
        let config = MockConfig {
            variants: vec!["pretty-jsn".into()],
            ..MockConfig::default()
        };
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("did you mean `pretty-json`"), "{error}");
        let config = MockConfig {
            variants: vec!["slow-apply-concurrent".into()],
            slow_apply_concurrent_ms: Some(20_001),
            ..MockConfig::default()
        };
        assert!(
            config
                .validate()
                .unwrap_err()
                .to_string()
                .contains("20000 ms")
        );
    }

    #[test]
    fn debug_hides_the_secret_key_and_token() {
        let credential = MockCredential::new("AKIDx", "very-secret").with_token("tok-secret");
        let shown = format!("{credential:?}");
        assert!(shown.contains("AKIDx"));
        assert!(!shown.contains("very-secret"));
        assert!(!shown.contains("tok-secret"));
    }
}
