//! cli: the safety flags of `run` — target profile, rate, concurrency, time limits, dry run —
//! and how a target profile fills in what the flags and the environment leave unset (flags and
//! environment variables always win over the profile).

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use super::RunArgs;
use crate::plan::Safety;
use crate::plan::duration::parse_duration;
use crate::plan::profile;
use crate::send::timeout;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct SafetyArgs {
    /// A target profile (TOML, or JSON for a .json file): url, name, region, project_id,
    /// application_id, client_ip, client_session, capabilities, rate, concurrency, time limits, baseline.
    /// Flags and environment variables override it. Credentials never go in it.
    #[arg(long, env = "CAR_TARGET_CONFIG", value_name = "FILE")]
    pub target_config: Option<PathBuf>,
    /// Requests per second and action (default: the documented 100 against a URL target; the
    /// embedded mock is paced, with its rate limit on, only when this is given).
    #[arg(long, env = "CAR_RATE", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate: Option<u32>,
    /// At most N requests in flight to the target (default 8); also runs N cases at once
    /// unless --test-threads says otherwise.
    #[arg(long, env = "CAR_CONCURRENCY", value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: Option<u16>,
    /// Time limit of one request (default 6s: the documented 5 s plus 1 s; a body over 1 MiB
    /// gets 1 s more per MiB). Accepts 500ms, 6s, 1m30s, or seconds.
    #[arg(long, alias = "timeout-secs", env = "CAR_REQUEST_TIMEOUT", value_name = "DURATION", value_parser = parse_duration)]
    pub request_timeout: Option<Duration>,
    /// Time limit of one case, its cleanup aside (default 60s).
    #[arg(long, env = "CAR_CASE_TIMEOUT", value_name = "DURATION", value_parser = parse_duration)]
    pub case_timeout: Option<Duration>,
    /// Time limit of the whole run: then no new case starts, cases in flight stop and clean up,
    /// and the report is written (default: none).
    #[arg(long, env = "CAR_RUN_TIMEOUT", value_name = "DURATION", value_parser = parse_duration)]
    pub run_timeout: Option<Duration>,
    /// Most MiB of requests and answers the run keeps for its reports, all cases together
    /// (default 32); past it, later cases' records are cut to their first words and the reports
    /// say so. Bounds report size and memory against a target answering huge texts.
    #[arg(long, env = "CAR_MAX_RECORDS_MIB", value_name = "MIB", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_records_mib: Option<u32>,
    /// The target's application id (shown in the run header).
    #[arg(long, env = "CAR_APPLICATION_ID", value_name = "ID")]
    pub application_id: Option<String>,
    /// Print each signed request the run would send (signatures and tokens redacted) and send
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Only the safety flags, read from the environment (`cargo test` passes no flags of ours).
#[derive(Debug, Parser)]
struct FromEnv {
    #[command(flatten)]
    safety: SafetyArgs,
}

impl SafetyArgs {
    /// The settings `CAR_TARGET_CONFIG`, `CAR_RATE`, `CAR_CONCURRENCY`, `CAR_*_TIMEOUT` and
    /// `CAR_APPLICATION_ID` give.
    pub fn from_env() -> Result<Self, String> {
        FromEnv::try_parse_from(["car-conformance"])
            .map(|parsed| parsed.safety)
            .map_err(|e| e.to_string().trim().to_owned())
    }
}

fn fill(slot: &mut Option<String>, from_profile: Option<String>) {
    if slot.as_deref().is_none_or(str::is_empty) {
        *slot = from_profile;
    }
}

/// The arguments with the profile's values where flags and environment left them unset, the
/// safety settings, and the per-request timeout.
pub(super) fn resolve(args: &RunArgs) -> Result<(RunArgs, Safety, Duration), String> {
    let mut args = args.clone();
    let profile = match &args.safety.target_config {
        Some(path) => profile::load(path).map_err(|e| e.to_string())?,
        None => profile::Profile::default(),
    };
    fill(&mut args.target, profile.url);
    fill(&mut args.target_name, profile.name);
    fill(&mut args.region, profile.region);
    fill(&mut args.project_id, profile.project_id);
    fill(&mut args.client_ip, profile.client_ip);
    fill(&mut args.client_session, profile.client_session);
    let flags = &args.safety;
    let safety = Safety {
        rate: flags.rate.or(profile.rate),
        concurrency: flags.concurrency.map(usize::from).or(profile.concurrency),
        request_timeout: flags.request_timeout.or(profile.request_timeout),
        case_timeout: flags.case_timeout.or(profile.case_timeout),
        run_timeout: flags.run_timeout.or(profile.run_timeout),
        dry_run: flags.dry_run,
        max_records: flags.max_records_mib.map(|mib| mib as usize * 1024 * 1024),
        capabilities: profile.capabilities,
        application_id: flags
            .application_id
            .clone()
            .filter(|a| !a.is_empty())
            .or(profile.application_id),
        baseline: profile.baseline,
        profile: flags.target_config.clone(),
    };
    // The client's own limit (requests of no known action, e.g. the runner's cleanup); each
    // step's request gets its action's budget unless --request-timeout says otherwise.
    let request_timeout = safety.request_timeout.unwrap_or(timeout::DEFAULT_REQUEST);
    Ok((args, safety, request_timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile_file(text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!(
            "car-safety-profile-{}-{}.toml",
            std::process::id(),
            text.len()
        ));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn the_profile_fills_in_and_flags_override() {
        let path = profile_file(
            "url = \"http://127.0.0.1:9\"\nregion = \"ap-guangzhou\"\nproject_id = \"cap-profile\"\nclient_session = \"c2Vzc2lvbg==\"\nrate = 40\ncase_timeout = \"90s\"\ncapabilities = []\n",
        );
        let mut args = RunArgs::default();
        args.safety.target_config = Some(path.clone());
        args.project_id = Some("cap-flag".into());
        args.safety.rate = Some(10);
        let (args, safety, request_timeout) = resolve(&args).unwrap();
        assert_eq!(args.target.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(args.region.as_deref(), Some("ap-guangzhou"));
        assert_eq!(args.project_id.as_deref(), Some("cap-flag"));
        assert_eq!(args.client_session.as_deref(), Some("c2Vzc2lvbg=="));
        assert_eq!(safety.rate, Some(10));
        assert_eq!(safety.case_timeout, Some(Duration::from_secs(90)));
        assert_eq!(safety.capabilities, Some(Default::default()));
        assert_eq!(request_timeout, timeout::DEFAULT_REQUEST);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_profile_with_a_credential_is_refused() {
        let path =
            profile_file("url = \"http://127.0.0.1:9\"\nsecret_key = \"abc\"\n# credential\n");
        let mut args = RunArgs::default();
        args.safety.target_config = Some(path.clone());
        let error = resolve(&args).unwrap_err();
        assert!(error.contains("`secret_key`"), "{error}");
        let _ = std::fs::remove_file(path);
    }
}
