//! run: `--dry-run` — prints every request the run would send, built and signed exactly
//! as a real run builds them (signature and token redacted), and sends nothing: no connection to
//! the target, no embedded mock. What a vendor reviews before pointing the suite at a paid
//! account. Values only an answer can give (captures) are shown as `<capture.NAME>`.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use super::cleanup;
use super::execute::user_id;
use crate::case::Step;
use crate::case::template::{RenderError, Scope, Var};
use crate::plan::{Planned, Settings, Target};
use crate::send::request::{self, BuildError, Endpoint};

/// Where requests to the embedded mock would go: its address is only chosen when it starts.
const EMBEDDED_PLACEHOLDER: &str = "http://127.0.0.1:0/";
/// Characters of a body shown (a 10 MB body is summarised, not printed).
const SHOWN_BODY: usize = 300;

struct DryScope<'a> {
    user_id: &'a str,
    settings: &'a Settings,
    copy: u32,
}

impl Scope for DryScope<'_> {
    fn value(&self, var: &Var) -> Result<String, RenderError> {
        Ok(match var {
            Var::UserId(None) => self.user_id.to_owned(),
            Var::UserId(Some(name)) => format!("{}-{name}", self.user_id),
            Var::ClientIp => self.settings.client_ip.clone(),
            Var::ProjectId => self.settings.project_id.clone(),
            Var::ClientSession => self.settings.client_session.clone(),
            Var::Copy => self.copy.to_string(),
            Var::Capture(name) => format!("<capture.{name}>"),
        })
    }
}

/// Prints the requests of `selected` to `out`; returns how many could not be built (a real run
/// would report each as a failure).
pub fn print(settings: &Settings, selected: &[&Planned], out: &mut dyn Write) -> usize {
    let url = match &settings.target {
        Target::Url(url) => url.clone(),
        Target::Embedded => match url::Url::parse(EMBEDDED_PLACEHOLDER) {
            Ok(url) => url,
            Err(_) => return 1,
        },
    };
    let endpoint = Endpoint {
        url,
        credentials: settings.credentials.clone(),
        region: settings.region.clone(),
    };
    crate::redact::remember_secret(&settings.credentials.secret_key);
    if let Some(token) = &settings.credentials.token {
        crate::redact::remember_secret(token);
    }
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut text = format!(
        "dry run: nothing is sent. The requests of {} selected cases against {}, as they would be signed now (signatures and tokens redacted):\n",
        selected.len(),
        match settings.target {
            Target::Url(_) => endpoint.url.as_str().trim_end_matches('/').to_owned(),
            Target::Embedded =>
                "the embedded mock (its address is chosen when it starts)".to_owned(),
        }
    );
    text.push_str(&crate::plan::safety::describe(settings));
    let (mut requests, mut cases, mut problems) = (0usize, 0usize, 0usize);
    for planned in selected {
        let case = &planned.case;
        text.push_str(&format!("\ncase {} [{}]\n", case.id, case.spec.level));
        if let Some(reason) = &planned.skip {
            text.push_str(&format!("  skipped: {reason}\n"));
            continue;
        }
        cases += 1;
        if case.mock_config().is_some() {
            text.push_str("  (against its own mock instance, started for the case)\n");
        }
        let user = user_id(&run_id, planned.ordinal);
        let phases = [("steps", &case.spec.steps), ("cleanup", &case.spec.cleanup)];
        for (phase, steps) in phases {
            for (index, step) in steps.iter().enumerate() {
                let label = format!(
                    "{}step {} ({})",
                    if phase == "cleanup" { "cleanup " } else { "" },
                    index + 1,
                    step.label()
                );
                match describe(step, &user, settings, &endpoint, now) {
                    Ok(shown) => {
                        let copies = if step.copies > 1 {
                            format!(" — {} copies at once (copy 1 shown)", step.copies)
                        } else {
                            String::new()
                        };
                        text.push_str(&format!("  {label}{copies}: {shown}"));
                        requests += step.copies as usize;
                    }
                    Err(reason) => {
                        problems += 1;
                        text.push_str(&format!("  {label}: cannot be built: {reason}\n"));
                    }
                }
            }
        }
        let creates = phases
            .iter()
            .flat_map(|(_, steps)| steps.iter())
            .any(|step| cleanup::CREATING.contains(&step.action.as_str()));
        if case.mock_config().is_none() && creates {
            text.push_str(&format!(
                "  then {} for every UserId sent to {} that no step destroyed\n",
                cleanup::DESTROY,
                cleanup::CREATING.join(" or ")
            ));
        }
    }
    text.push_str(&format!(
        "\ndry run: {requests} requests in {cases} cases would be sent (plus the runner's DestroySession cleanup); nothing was sent\n"
    ));
    let _ = out.write_all(crate::redact::scrub(&text).as_bytes());
    let _ = out.flush();
    problems
}

/// One request as it would go out: method, URL, headers (redacted), body.
fn describe(
    step: &Step,
    user: &str,
    settings: &Settings,
    endpoint: &Endpoint,
    now: i64,
) -> Result<String, BuildError> {
    let scope = DryScope {
        user_id: user,
        settings,
        copy: 0,
    };
    let built = request::build(step, &scope, endpoint, now)?;
    let record = &built.record;
    let mut out = format!("{} {}\n", record.method, record.url);
    for (name, value) in &record.headers {
        out.push_str(&format!("      {name}: {value}\n"));
    }
    if record.body.bytes > 0 {
        let shown: String = record.body.text.chars().take(SHOWN_BODY).collect();
        let cut = shown.len() < record.body.bytes;
        out.push_str(&format!(
            "      body ({} bytes): {shown}{}\n",
            record.body.bytes,
            if cut { " …" } else { "" }
        ));
    }
    Ok(out)
}
