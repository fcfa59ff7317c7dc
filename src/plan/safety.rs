//! plan: the settings that keep a run safe against a real account ([`Safety`]: rate,
//! concurrency, time limits, capabilities, dry run; from flags and the target profile), and what
//! follows from them for the target at hand (pacing, the shared mock's rate limit, the header line).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use super::budget;
use super::duration::human;
use super::{Settings, Target};

/// Requests per second and action: the documented limit of CreateSession and its neighbours.
pub const DOCUMENTED_RATE: u32 = 100;
/// Requests in flight to the shared target when `--concurrency` is not given.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Default per-case limit: far above any case's steps, low enough to end a stuck case.
pub const DEFAULT_CASE: Duration = Duration::from_secs(60);

/// A run's safety settings (the default: nothing given, every limit at its default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Safety {
    /// Requests per second and action. `None`: the documented 100 against a URL target; no
    /// pacing (and no rate limit on the shared mock) against the embedded mock.
    pub rate: Option<u32>,
    /// Requests in flight at most (default [`DEFAULT_CONCURRENCY`]); when given, also the
    /// number of cases run at once unless `--test-threads` says otherwise.
    pub concurrency: Option<usize>,
    /// `--request-timeout`: every request's time limit. `None`: each request gets its action's
    /// documented budget plus a margin (`plan::budget`).
    pub request_timeout: Option<Duration>,
    /// `--case-timeout`: every case's time limit. `None`: [`DEFAULT_CASE`], raised for a case
    /// whose requests' limits add up to more.
    pub case_timeout: Option<Duration>,
    pub run_timeout: Option<Duration>,
    /// Print the signed requests instead of sending them.
    pub dry_run: bool,
    /// `--max-records-mib`, in bytes: what the run keeps of requests and answers, all cases
    /// together. `None`: `crate::outcome::MAX_RECORDED`.
    pub max_records: Option<usize>,
    /// What the target supports (`None`: everything); cases needing more are skipped.
    pub capabilities: Option<BTreeSet<String>>,
    /// The target's application id (from the profile or `--application-id`), shown in the run
    /// header.
    pub application_id: Option<String>,
    /// Known failures of this target (from the profile), for the baseline option.
    pub baseline: Option<PathBuf>,
    /// The target profile the settings came from.
    pub profile: Option<PathBuf>,
}

/// Requests per second and action the run sends to its shared target, if paced.
pub fn pacing_rate(settings: &Settings) -> Option<u32> {
    match settings.target {
        Target::Url(_) => Some(settings.safety.rate.unwrap_or(DOCUMENTED_RATE)),
        Target::Embedded => settings.safety.rate,
    }
}

/// The rate limit of the shared embedded mock. Off by default: the mock is in-process and
/// free, pacing it only slows every run (the defect matrix runs the suite once per defect), and
/// the limit's own behaviour is checked by cases that bring their own mock. With `--rate` the
/// run is paced, and the mock keeps the documented limit so the pacing is put to the test.
pub fn shared_mock_rate_limit(settings: &Settings) -> Option<u32> {
    pacing_rate(settings)
        .filter(|_| settings.target == Target::Embedded)
        .map(|_| DOCUMENTED_RATE)
}

/// The run header's line about safety: pacing, requests in flight, time limits, profile.
pub fn describe(settings: &Settings) -> String {
    let safety = &settings.safety;
    let pacing = match pacing_rate(settings) {
        Some(rate) => format!("at most {rate} requests/s per action"),
        None => {
            "not paced (the embedded mock's rate limit is off; --rate turns both on)".to_owned()
        }
    };
    let per_request = match safety.request_timeout {
        Some(limit) => human(limit),
        None => format!(
            "each action's documented budget + {} ({}, otherwise {})",
            human(budget::MARGIN),
            budget::BUDGETS
                .iter()
                .map(|b| format!("{} {}", b.action, human(b.budget + budget::MARGIN)))
                .collect::<Vec<_>>()
                .join(", "),
            human(budget::longest() + budget::MARGIN)
        ),
    };
    let mut out = format!(
        "safety: {pacing}, at most {} requests in flight, time limits {per_request} per request and {} per case",
        safety.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
        match safety.case_timeout {
            Some(limit) => human(limit),
            None => format!(
                "{} (more when its requests' limits add up to more)",
                human(DEFAULT_CASE)
            ),
        }
    );
    if let Some(limit) = safety.run_timeout {
        out.push_str(&format!(" and {} per run", human(limit)));
    }
    if let Some(profile) = &safety.profile {
        out.push_str(&format!("; target profile {}", profile.display()));
    }
    if let Some(application) = &safety.application_id {
        out.push_str(&format!("; application {application}"));
    }
    out.push('\n');
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::plan::{CredentialSource, parse_target};
    use crate::sign::Credentials;

    /// Settings for `target` with `rate`, everything else at its default (shared with the
    /// runner's guard tests).
    pub(crate) fn settings(target: Target, rate: Option<u32>) -> Settings {
        Settings {
            cases_dir: PathBuf::new(),
            schemas_dir: PathBuf::new(),
            snapshots_dir: PathBuf::new(),
            target,
            target_name: None,
            credentials: Credentials::new("a", "b"),
            credential_source: CredentialSource::TestPair,
            region: None,
            project_id: String::new(),
            client_ip: String::new(),
            client_session: String::new(),
            timeout: Duration::from_secs(6),
            max_response_bytes: 1,
            report_dir: None,
            min_coverage: None,
            cacert: None,
            safety: Safety {
                rate,
                ..Safety::default()
            },
        }
    }

    #[test]
    fn url_targets_are_paced_at_the_documented_rate_unless_told_otherwise() {
        let url = parse_target("http://127.0.0.1:9").unwrap();
        assert_eq!(pacing_rate(&settings(url.clone(), None)), Some(100));
        assert_eq!(pacing_rate(&settings(url.clone(), Some(20))), Some(20));
        assert_eq!(shared_mock_rate_limit(&settings(url, Some(20))), None);
    }

    #[test]
    fn the_embedded_mock_is_paced_and_limited_only_when_a_rate_is_asked_for() {
        let plain = settings(Target::Embedded, None);
        assert_eq!(
            (pacing_rate(&plain), shared_mock_rate_limit(&plain)),
            (None, None)
        );
        let paced = settings(Target::Embedded, Some(300));
        assert_eq!(
            (pacing_rate(&paced), shared_mock_rate_limit(&paced)),
            (Some(300), Some(100))
        );
    }
}
