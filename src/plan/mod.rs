//! plan: the second stage — what a run sends where. Resolves the target (the embedded mock unless
//! `--target URL` / `CAR_TARGET`), the credentials (environment, else the mock's test pair), the
//! template values, the paths of cases, schemas and snapshots, and decides which cases are skipped
//! on this target and why (never silently dropped).

pub mod budget;
pub mod duration;
pub mod errors;
pub mod profile;
pub mod safety;
pub mod suite;

pub use errors::{CredentialsError, TargetError};
pub use safety::Safety;

use std::path::PathBuf;
use std::time::Duration;

use crate::case::Case;
use crate::sign::Credentials;

/// Where requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The reference mock, started in-process on 127.0.0.1 with a free port.
    Embedded,
    /// Any implementation at this base URL (the cloud, a vendor's backend, a separate mock).
    Url(url::Url),
}

/// `text` as an error may show it: what precedes `@` in the authority (a user name and password,
/// or a SecretId and key) and the query and fragment (`?key=…`) masked as `***`.
pub fn shown_target(text: &str) -> String {
    let text = text.trim();
    let (scheme, rest) = match text.find("://") {
        Some(at) => text.split_at(at + 3),
        None => ("", text),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rfind('@') {
        Some(at) => format!("***{}", &authority[at..]),
        None => authority.to_owned(),
    };
    let tail = match tail.find(['?', '#']) {
        Some(at) => format!("{}{}***", &tail[..at], &tail[at..=at]),
        None => tail.to_owned(),
    };
    crate::redact::scrub(&format!("{scheme}{authority}{tail}")).into_owned()
}

/// Parses `--target` / `CAR_TARGET`: an http(s) URL without path, query or credentials. Errors
/// never repeat the credentials or query they complain about.
pub fn parse_target(text: &str) -> Result<Target, TargetError> {
    let shown = shown_target(text);
    let url = match url::Url::parse(text.trim()) {
        Ok(url) => url,
        Err(source) => return Err(TargetError::Unparsable { shown, source }),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TargetError::Scheme { shown });
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(TargetError::NoHost { shown });
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::CredentialsInUrl { shown });
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(TargetError::NotBaseUrl { shown });
    }
    Ok(Target::Url(url))
}

/// Where the credentials came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    Environment,
    /// The mock's built-in test pair (no TENCENTCLOUD_SECRET_ID / _KEY set).
    TestPair,
    /// The test pair although TENCENTCLOUD_* are set: the target is the embedded mock, which
    /// accepts any pair it is given, so the real ones are never used for it.
    TestPairForEmbedded,
}

impl CredentialSource {
    /// How the run's first line names the credentials.
    pub fn describe(self) -> &'static str {
        match self {
            CredentialSource::Environment => "TENCENTCLOUD_SECRET_ID/KEY",
            CredentialSource::TestPair => "the built-in test pair",
            CredentialSource::TestPairForEmbedded => {
                "the built-in test pair (TENCENTCLOUD_* are never used for the embedded mock)"
            }
        }
    }
}

/// Whether `url` names this machine: `localhost` or a loopback address.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The credentials a run signs with on `target`, from those `found` in the environment. The
/// embedded mock gets the test pair, never the user's; a target elsewhere without credentials is
/// refused (unless nothing is sent, `dry_run`): the test pair would only earn AuthFailure on every
/// case, and the user would pay for the requests.
pub fn credentials_for(
    target: &Target,
    found: (Credentials, CredentialSource),
    dry_run: bool,
) -> Result<(Credentials, CredentialSource), CredentialsError> {
    match (target, found.1) {
        (Target::Embedded, CredentialSource::Environment) => Ok((
            Credentials::new(crate::mock::TEST_SECRET_ID, crate::mock::TEST_SECRET_KEY),
            CredentialSource::TestPairForEmbedded,
        )),
        (Target::Url(url), CredentialSource::TestPair) if !is_loopback(url) && !dry_run => {
            Err(CredentialsError::NoneForRemoteTarget {
                host: url.host_str().unwrap_or_default().to_owned(),
            })
        }
        _ => Ok(found),
    }
}

/// Everything a run needs besides the cases.
#[derive(Debug, Clone)]
pub struct Settings {
    pub cases_dir: PathBuf,
    pub schemas_dir: PathBuf,
    pub snapshots_dir: PathBuf,
    pub target: Target,
    /// Snapshot suffix and report name; default `mock`, or the URL's host.
    pub target_name: Option<String>,
    pub credentials: Credentials,
    pub credential_source: CredentialSource,
    pub region: Option<String>,
    pub project_id: String,
    pub client_ip: String,
    pub client_session: String,
    pub timeout: Duration,
    pub max_response_bytes: usize,
    pub report_dir: Option<PathBuf>,
    pub min_coverage: Option<f64>,
    /// A PEM file of CA certificates trusted besides the system's roots and the bundled web roots (`--cacert`): a
    /// vendor's staging server signed by a private CA.
    pub cacert: Option<PathBuf>,
    /// Rate, concurrency, time limits, capabilities, dry run (`run::guard`).
    pub safety: crate::plan::Safety,
}

/// Template value defaults when neither a flag nor the environment gives one.
pub const DEFAULT_PROJECT_ID: &str = "cap-00000000";
/// The ClientSession of the CreateSession page's Input Example (section 4), which the documented
/// flow sends; a target that needs a ClientSession from a real client SDK is given one with
/// `--client-session`.
pub const DEFAULT_CLIENT_SESSION: &str = "eyJhYmMiOjEyM30=";
/// An address of TEST-NET-3 (RFC 5737), public in form, routed nowhere.
pub const DEFAULT_CLIENT_IP: &str = "203.0.113.10";

impl Settings {
    /// The name snapshots and reports use for the target.
    pub fn target_name(&self) -> String {
        if let Some(name) = &self.target_name {
            return name.clone();
        }
        match &self.target {
            Target::Embedded => "mock".to_owned(),
            Target::Url(url) => url.host_str().unwrap_or("target").to_owned(),
        }
    }
}

/// Credentials from the environment's values (`TENCENTCLOUD_SECRET_ID`, `_SECRET_KEY`,
/// `_SESSION_TOKEN`), else the mock's built-in test pair.
pub fn credentials_from(
    secret_id: Option<String>,
    secret_key: Option<String>,
    token: Option<String>,
) -> Result<(Credentials, CredentialSource), CredentialsError> {
    let secret_id = secret_id.filter(|v| !v.is_empty());
    let secret_key = secret_key.filter(|v| !v.is_empty());
    match (secret_id, secret_key) {
        (Some(id), Some(key)) => {
            let mut credentials = Credentials::new(id, key);
            credentials.token = token.filter(|v| !v.is_empty());
            Ok((credentials, CredentialSource::Environment))
        }
        (None, None) => Ok((
            Credentials::new(crate::mock::TEST_SECRET_ID, crate::mock::TEST_SECRET_KEY),
            CredentialSource::TestPair,
        )),
        (Some(_), None) => Err(CredentialsError::NoSecretKey),
        (None, Some(_)) => Err(CredentialsError::NoSecretId),
    }
}

/// A case with the decision whether it runs on this target.
#[derive(Debug, Clone)]
pub struct Planned {
    pub case: Case,
    /// Why the case is skipped on this target (it is still listed and reported).
    pub skip: Option<String>,
    /// Its position in the sorted list; UserIds are derived from it.
    pub ordinal: usize,
}

/// Decides, for each case, whether it can run on `target`.
pub fn plan(cases: Vec<Case>, target: &Target) -> Vec<Planned> {
    cases
        .into_iter()
        .enumerate()
        .map(|(ordinal, case)| {
            let skip = match target {
                Target::Url(_) if case.mock_config().is_some() => Some(
                    "mock-only: needs its own mock configuration (requires.mock); the target is a URL"
                        .to_owned(),
                ),
                _ => None,
            };
            Planned { case, skip, ordinal }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_pair_is_refused_elsewhere_and_real_credentials_never_go_to_the_embedded_mock() {
        let real = (
            Credentials::new("AKIDreal", "realkey"),
            CredentialSource::Environment,
        );
        let test_pair = credentials_from(None, None, None).unwrap();
        let (used, source) = credentials_for(&Target::Embedded, real.clone(), false).unwrap();
        assert_eq!(
            (used.secret_id.as_str(), source),
            (
                crate::mock::TEST_SECRET_ID,
                CredentialSource::TestPairForEmbedded
            )
        );
        let cloud = parse_target("https://car.tencentcloudapi.com").unwrap();
        let refused = credentials_for(&cloud, test_pair.clone(), false)
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("car.tencentcloudapi.com is not this machine")
                && refused.contains("nothing was sent"),
            "{refused}"
        );
        assert!(credentials_for(&cloud, test_pair.clone(), true).is_ok());
        assert_eq!(
            credentials_for(&cloud, real.clone(), false)
                .unwrap()
                .0
                .secret_id,
            "AKIDreal"
        );
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:2",
            "http://127.9.9.9",
        ] {
            let target = parse_target(local).unwrap();
            assert!(
                credentials_for(&target, test_pair.clone(), false).is_ok(),
                "{local}"
            );
        }
        assert!(!is_loopback(&url::Url::parse("http://10.0.0.1/").unwrap()));
        assert!(!is_loopback(
            &url::Url::parse("http://localhost.example.com/").unwrap()
        ));
    }

    #[test]
    fn a_target_error_never_repeats_the_credentials_or_query_it_complains_about() {
        for (bad, secret) in [
            (
                "https://AKIDleak000:leakedKey111@car.example.com",
                "leakedKey111",
            ),
            (
                "https://AKIDleak000:leakedKey111@car.example.com",
                "AKIDleak000",
            ),
            (
                "http://car.example.com/?key=leakedQuery222",
                "leakedQuery222",
            ),
            (
                "http://car.example.com/#leakedFragment333",
                "leakedFragment333",
            ),
            ("http://AKIDx:leaked444@[bad host/", "leaked444"),
        ] {
            let error = parse_target(bad).unwrap_err().to_string();
            assert!(!error.contains(secret), "{error}");
            assert!(error.contains("***"), "{error}");
        }
        assert_eq!(
            shown_target("https://a:b@h.example:8443/p?q=1#f"),
            "https://***@h.example:8443/p?***"
        );
    }

    #[test]
    fn targets_must_be_plain_base_urls() {
        assert_eq!(
            parse_target("http://127.0.0.1:8080").unwrap(),
            Target::Url(url::Url::parse("http://127.0.0.1:8080/").unwrap())
        );
        assert!(parse_target("https://car.tencentcloudapi.com/").is_ok());
        for bad in [
            "ftp://x",
            "http://u:p@host",
            "http://host/path",
            "http://host/?a=1",
            "nonsense",
        ] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credentials_come_in_pairs_or_fall_back_to_the_test_pair() {
        let (c, source) =
            credentials_from(Some("id".into()), Some("key".into()), Some("t".into())).unwrap();
        assert_eq!(
            (c.secret_id.as_str(), c.token.as_deref(), source),
            ("id", Some("t"), CredentialSource::Environment)
        );
        let (c, source) = credentials_from(None, Some(String::new()), None).unwrap();
        assert_eq!(
            (c.secret_id.as_str(), source),
            (crate::mock::TEST_SECRET_ID, CredentialSource::TestPair)
        );
        assert!(credentials_from(Some("id".into()), None, None).is_err());
    }

    #[test]
    fn target_names_default_to_mock_or_the_host() {
        let path = PathBuf::new();
        let mut settings = Settings {
            cases_dir: path.clone(),
            schemas_dir: path.clone(),
            snapshots_dir: path,
            target: Target::Embedded,
            target_name: None,
            credentials: Credentials::new("a", "b"),
            credential_source: CredentialSource::TestPair,
            region: None,
            project_id: DEFAULT_PROJECT_ID.into(),
            client_session: DEFAULT_CLIENT_SESSION.into(),
            client_ip: DEFAULT_CLIENT_IP.into(),
            timeout: Duration::from_secs(1),
            max_response_bytes: 1,
            report_dir: None,
            min_coverage: None,
            cacert: None,
            safety: Default::default(),
        };
        assert_eq!(settings.target_name(), "mock");
        settings.target = parse_target("http://127.0.0.1:9").unwrap();
        assert_eq!(settings.target_name(), "127.0.0.1");
        settings.target_name = Some("vendor".into());
        assert_eq!(settings.target_name(), "vendor");
    }
}
