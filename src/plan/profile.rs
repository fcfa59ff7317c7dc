//! plan: the target profile — one versioned file (`--target-config FILE`, TOML, or JSON when it
//! ends in `.json`) naming a vendor's target: URL, name, region, project id, application id,
//! client IP, ClientSession, capabilities, rate, concurrency, time limits and known-failure baseline, so those
//! settings are reviewed and versioned rather than retyped. Flags and environment variables
//! override it. Credentials never belong in it: a file with a credential-like key is refused.
//!
//! Capabilities say what the target supports; a case that needs one the profile does not list
//! is skipped with the reason ([`skip_missing_capabilities`]).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::case::{Case, did_you_mean};
use crate::plan::Planned;

/// Multi-person interaction (rooms with a host, players and viewers).
pub const MULTI_PERSON: &str = "multi-person";
/// Every capability a profile may list.
pub const CAPABILITIES: [&str; 1] = [MULTI_PERSON];

/// The fields a profile may have.
pub const FIELDS: [&str; 14] = [
    "url",
    "name",
    "region",
    "project_id",
    "application_id",
    "client_ip",
    "client_session",
    "capabilities",
    "rate",
    "concurrency",
    "request_timeout",
    "case_timeout",
    "run_timeout",
    "baseline",
];

/// Words that make a key a credential (compared lower-case, without `_`, `-` or spaces).
const CREDENTIAL_WORDS: [&str; 9] = [
    "secret",
    "token",
    "password",
    "passwd",
    "credential",
    "privatekey",
    "accesskey",
    "apikey",
    "signature",
];

/// A target profile as read (every field optional; flags fill in or override).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub url: Option<String>,
    pub name: Option<String>,
    pub region: Option<String>,
    pub project_id: Option<String>,
    pub application_id: Option<String>,
    pub client_ip: Option<String>,
    /// A ClientSession the target accepts, for `{{client_session}}`.
    pub client_session: Option<String>,
    /// `None`: the profile does not say, so every capability is assumed.
    pub capabilities: Option<BTreeSet<String>>,
    pub rate: Option<u32>,
    pub concurrency: Option<usize>,
    pub request_timeout: Option<Duration>,
    pub case_timeout: Option<Duration>,
    pub run_timeout: Option<Duration>,
    /// Resolved against the profile's directory.
    pub baseline: Option<PathBuf>,
}

/// The file's shape, before checks.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    url: Option<String>,
    name: Option<String>,
    region: Option<String>,
    project_id: Option<String>,
    application_id: Option<String>,
    client_ip: Option<String>,
    client_session: Option<String>,
    capabilities: Option<Vec<String>>,
    rate: Option<u32>,
    concurrency: Option<usize>,
    request_timeout: Option<String>,
    case_timeout: Option<String>,
    run_timeout: Option<String>,
    baseline: Option<PathBuf>,
}

/// Why a profile cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("cannot read the target profile {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the target profile {} is not valid {format}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        format: &'static str,
        message: String,
    },
    #[error(
        "the target profile {} has `{key}`, which looks like a credential: credentials never go in a target profile; set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (and TENCENTCLOUD_SESSION_TOKEN) in the environment",
        path.display()
    )]
    Credential { path: PathBuf, key: String },
    #[error("the target profile {} has an unknown field `{key}`{help}", path.display())]
    Unknown {
        path: PathBuf,
        key: String,
        help: String,
    },
    #[error("the target profile {}: `{field}` {message}", path.display())]
    Invalid {
        path: PathBuf,
        field: &'static str,
        message: String,
    },
}

/// Reads and checks the profile at `path`.
pub fn load(path: &Path) -> Result<Profile, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// A TOML syntax error without the quoted line toml's own message carries: the line may be the
/// very credential the profile must not hold.
fn toml_error(text: &str, error: &toml::de::Error) -> String {
    let at = error
        .span()
        .and_then(|span| text.get(..span.start))
        .map(|before| {
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!(" at line {line}, column {column}")
        })
        .unwrap_or_default();
    format!(
        "{}{at} (the line is not shown: it may hold a secret)",
        error.message().trim_end()
    )
}

/// Checks a profile's text; `path` names it in errors and anchors a relative baseline.
pub fn parse(path: &Path, text: &str) -> Result<Profile, ProfileError> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let syntax = |format: &'static str, message: String| ProfileError::Syntax {
        path: path.to_path_buf(),
        format,
        message,
    };
    let value: Value = if is_json {
        serde_json::from_str(text).map_err(|e| syntax("JSON", e.to_string()))?
    } else {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| syntax("TOML", toml_error(text, &e)))?;
        serde_json::to_value(table).map_err(|e| syntax("TOML", e.to_string()))?
    };
    // Credentials first: the clearest error for the worst mistake, wherever the key hides.
    if let Some(key) = credential_key(&value, "") {
        return Err(ProfileError::Credential {
            path: path.to_path_buf(),
            key,
        });
    }
    let Value::Object(map) = &value else {
        return Err(syntax(
            if is_json { "JSON" } else { "TOML" },
            "expected a table of settings".to_owned(),
        ));
    };
    if let Some(key) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ProfileError::Unknown {
            path: path.to_path_buf(),
            key: key.clone(),
            help: did_you_mean(key, FIELDS)
                .map(|h| format!(" ({h})"))
                .unwrap_or_else(|| format!(" (fields: {})", FIELDS.join(", "))),
        });
    }
    let raw: Raw = serde_json::from_value(value)
        .map_err(|e| syntax(if is_json { "JSON" } else { "TOML" }, e.to_string()))?;
    check(path, raw)
}

fn check(path: &Path, raw: Raw) -> Result<Profile, ProfileError> {
    let invalid = |field: &'static str, message: String| ProfileError::Invalid {
        path: path.to_path_buf(),
        field,
        message,
    };
    if let Some(url) = &raw.url {
        crate::plan::parse_target(url).map_err(|e| invalid("url", e.to_string()))?;
    }
    if raw.rate == Some(0) {
        return Err(invalid(
            "rate",
            "must be at least 1 request per second".to_owned(),
        ));
    }
    if raw.concurrency == Some(0) {
        return Err(invalid("concurrency", "must be at least 1".to_owned()));
    }
    let capabilities = match raw.capabilities {
        None => None,
        Some(listed) => {
            let mut set = BTreeSet::new();
            for name in listed {
                if !CAPABILITIES.contains(&name.as_str()) {
                    let help = did_you_mean(&name, CAPABILITIES)
                        .unwrap_or_else(|| format!("known: {}", CAPABILITIES.join(", ")));
                    return Err(invalid(
                        "capabilities",
                        format!("names `{name}`, which is not a capability ({help})"),
                    ));
                }
                set.insert(name);
            }
            Some(set)
        }
    };
    let duration = |field: &'static str, text: Option<String>| match text {
        None => Ok(None),
        Some(text) => crate::plan::duration::parse_duration(&text)
            .map(Some)
            .map_err(|e| invalid(field, e.to_string())),
    };
    let base = path.parent().unwrap_or(Path::new(""));
    Ok(Profile {
        url: raw.url,
        name: raw.name,
        region: raw.region,
        project_id: raw.project_id,
        application_id: raw.application_id,
        client_ip: raw.client_ip,
        client_session: raw.client_session,
        capabilities,
        rate: raw.rate,
        concurrency: raw.concurrency,
        request_timeout: duration("request_timeout", raw.request_timeout)?,
        case_timeout: duration("case_timeout", raw.case_timeout)?,
        run_timeout: duration("run_timeout", raw.run_timeout)?,
        baseline: raw.baseline.map(|b| base.join(b)),
    })
}

/// The first key (as a dotted path) that names a credential.
fn credential_key(value: &Value, prefix: &str) -> Option<String> {
    match value {
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            let squashed: String = key
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            let named = CREDENTIAL_WORDS.iter().any(|w| squashed.contains(w))
                || matches!(squashed.as_str(), "key" | "sk" | "ak");
            if named {
                Some(path)
            } else {
                credential_key(item, &path)
            }
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| credential_key(item, &format!("{prefix}[{i}]"))),
        _ => None,
    }
}

/// The capabilities `case` needs from its target, and why.
pub fn needs(case: &Case) -> Vec<(&'static str, &'static str)> {
    let spec = &case.spec;
    // Only a multi-person application has rooms: a step that names a host (a non-empty
    // HostUserId, templated or generated) joins or opens one. An empty, null or mistyped one is
    // refused by parameter checks before any room is involved.
    let names_host = spec.steps.iter().chain(&spec.cleanup).any(|step| {
        step.params
            .as_ref()
            .and_then(|p| p.get("HostUserId"))
            .is_some_and(|value| match value {
                Value::String(text) => !text.is_empty(),
                Value::Object(_) => true,
                _ => false,
            })
    });
    if names_host {
        vec![(
            MULTI_PERSON,
            "a step sends HostUserId (a multi-person room)",
        )]
    } else {
        Vec::new()
    }
}

/// Skips (with the reason) the cases that need a capability `capabilities` does not list;
/// `None` lists everything.
pub fn skip_missing_capabilities(
    mut planned: Vec<Planned>,
    capabilities: Option<&BTreeSet<String>>,
) -> Vec<Planned> {
    let Some(capabilities) = capabilities else {
        return planned;
    };
    for p in planned.iter_mut().filter(|p| p.skip.is_none()) {
        if let Some((name, why)) = needs(&p.case)
            .into_iter()
            .find(|(name, _)| !capabilities.contains(*name))
        {
            p.skip = Some(format!(
                "needs capability `{name}` ({why}), which the target profile does not list"
            ));
        }
    }
    planned
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
url = "https://car.tencentcloudapi.com"
name = "tencent-cloud"
region = "ap-guangzhou"
project_id = "cap-12345678"
application_id = "app-12345678"
client_ip = "203.0.113.10"
client_session = "eyJhYmMiOjEyM30="
capabilities = []
rate = 50
concurrency = 4
request_timeout = "7s"
case_timeout = "90s"
run_timeout = "30m"
baseline = "known-failures.json"
"#;

    #[test]
    fn a_toml_profile_names_every_setting() {
        let profile = parse(Path::new("vendor/cloud.toml"), TOML).unwrap();
        assert_eq!(
            profile.url.as_deref(),
            Some("https://car.tencentcloudapi.com")
        );
        assert_eq!(profile.project_id.as_deref(), Some("cap-12345678"));
        assert_eq!(profile.application_id.as_deref(), Some("app-12345678"));
        assert_eq!(profile.client_session.as_deref(), Some("eyJhYmMiOjEyM30="));
        assert_eq!(profile.capabilities, Some(BTreeSet::new()));
        assert_eq!((profile.rate, profile.concurrency), (Some(50), Some(4)));
        assert_eq!(profile.request_timeout, Some(Duration::from_secs(7)));
        assert_eq!(profile.run_timeout, Some(Duration::from_secs(1800)));
        assert_eq!(
            profile.baseline,
            Some(PathBuf::from("vendor/known-failures.json"))
        );
    }

    #[test]
    fn a_json_profile_is_read_too() {
        let json = r#"{"url": "http://127.0.0.1:8080", "capabilities": ["multi-person"]}"#;
        let profile = parse(Path::new("p.json"), json).unwrap();
        assert!(profile.capabilities.unwrap().contains(MULTI_PERSON));
        assert_eq!(profile.rate, None);
    }

    #[test]
    fn credentials_are_refused_wherever_they_hide() {
        for (file, text, key) in [
            ("p.toml", "SecretKey = \"x\"", "SecretKey"),
            ("p.toml", "[auth]\nsecret_id = \"x\"", "auth.secret_id"),
            ("p.toml", "session-token = \"x\"", "session-token"),
            ("p.json", r#"{"credentials": {"id": "x"}}"#, "credentials"),
        ] {
            let error = parse(Path::new(file), text).unwrap_err();
            assert!(
                matches!(&error, ProfileError::Credential { key: k, .. } if k == key),
                "{error}"
            );
            let shown = error.to_string();
            assert!(shown.contains("never go in a target profile"), "{shown}");
            assert!(
                !shown.contains("\"x\""),
                "the value is never shown: {shown}"
            );
        }
    }

    #[test]
    fn mistakes_are_named_with_a_suggestion() {
        let error = parse(Path::new("p.toml"), "projet_id = \"x\"").unwrap_err();
        assert!(error.to_string().contains("project_id"), "{error}");
        let error = parse(Path::new("p.toml"), "capabilities = [\"multiperson\"]").unwrap_err();
        assert!(error.to_string().contains("multi-person"), "{error}");
        let error = parse(Path::new("p.toml"), "url = \"ftp://x\"").unwrap_err();
        assert!(error.to_string().contains("`url`"), "{error}");
        assert!(parse(Path::new("p.toml"), "rate = 0").is_err());
        assert!(parse(Path::new("p.toml"), "rate = \"fast\"").is_err());
        assert!(parse(Path::new("p.toml"), "case_timeout = \"soon\"").is_err());
        let error = parse(Path::new("p.toml"), "url = ").unwrap_err();
        assert!(
            matches!(error, ProfileError::Syntax { format: "TOML", .. }),
            "{error}"
        );
    }

    #[test]
    fn a_syntax_error_never_quotes_the_line_it_is_on() {
        for text in [
            "url = \"http://h\"\nsecret_key = \"leakedProfileKey555",
            "url = \"http://h\"\nsecret_key = leakedProfileKey555",
            "[target\nsecret_key = \"leakedProfileKey555\"",
        ] {
            let error = parse(Path::new("p.toml"), text).unwrap_err().to_string();
            assert!(!error.contains("leakedProfileKey555"), "{error}");
            assert!(error.contains("at line"), "{error}");
        }
    }
}
