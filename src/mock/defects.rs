//! mock: the defect catalogue — named, realistic ways an implementation gets
//! CreateSession's contract wrong, each with the corpus cases that must catch it. Switching one on
//! (`MockConfig.defect`, `car-conformance mock --defect NAME`) proves the suite fails on it; the
//! `mutants` test and command run the suite once per defect.
//!
//! A defect switches named [`Check`]s off where the mock already has one, and otherwise adds one
//! [`Flaw`] (implemented in [`flaws`]) — never a fork of the rules.

mod flaws;

use serde::Serialize;

pub use flaws::{Active, Flaw, SLOW_ANSWER};

use super::decisions::{Check, Checks};
use super::params::ParamRule;

/// Which part of the contract a defect breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    Signature,
    Parameters,
    State,
    Response,
    RateLimit,
}

impl Area {
    pub fn as_str(self) -> &'static str {
        match self {
            Area::Signature => "signature",
            Area::Parameters => "parameters",
            Area::State => "state",
            Area::Response => "response",
            Area::RateLimit => "rate-limit",
        }
    }
}

/// One named defect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Defect {
    /// Kebab-case name, as `--defect` takes it.
    pub name: &'static str,
    pub area: Area,
    /// One line: what the defective implementation does.
    pub description: &'static str,
    /// Ids of corpus cases that must fail while this defect is on (others may fail too).
    pub catchers: &'static [&'static str],
    /// Checks the defect switches off.
    #[serde(skip)]
    pub off: &'static [Check],
    /// What the defect does beyond switching checks off.
    #[serde(skip)]
    pub flaw: Option<Flaw>,
}

impl Defect {
    /// `checks`, less the ones this defect switches off.
    pub fn switch_off(&self, checks: Checks) -> Checks {
        self.off.iter().fold(checks, |checks, c| checks.without(*c))
    }
}

const fn off(
    name: &'static str,
    area: Area,
    description: &'static str,
    checks: &'static [Check],
    catchers: &'static [&'static str],
) -> Defect {
    Defect {
        name,
        area,
        description,
        catchers,
        off: checks,
        flaw: None,
    }
}

const fn flaw(
    name: &'static str,
    area: Area,
    description: &'static str,
    flaw: Flaw,
    catchers: &'static [&'static str],
) -> Defect {
    Defect {
        name,
        area,
        description,
        catchers,
        off: &[],
        flaw: Some(flaw),
    }
}

use Area::{Parameters, RateLimit, Response, Signature, State};
use ParamRule as P;

/// Every defect, grouped by area. Catchers are corpus case ids (`FILE-STEM/NAME` under `cases/`).
pub const DEFECTS: &[Defect] = &[
    // --- signature checking -------------------------------------------------------------------
    off(
        "signature-not-verified",
        Signature,
        "Any Authorization (or none) is accepted: the TC3 signature is never verified.",
        &[Check::Signature],
        &[
            "common/auth/wrong-secret-key",
            "common/auth/authorization-missing",
        ],
    ),
    flaw(
        "body-hash-ignored",
        Signature,
        "The payload hash is computed over the re-serialised JSON, not the bytes received.",
        Flaw::BodyHashOfParsedJson,
        &["common/auth/body-changed-after-signing"],
    ),
    flaw(
        "expired-timestamp-accepted",
        Signature,
        "Timestamps older than the 5-minute window are accepted (only the future is bounded).",
        Flaw::AcceptExpired,
        &["common/auth/timestamp-expired"],
    ),
    flaw(
        "future-timestamp-accepted",
        Signature,
        "Timestamps ahead of the clock are accepted (only the past is bounded).",
        Flaw::AcceptFuture,
        &[
            "common/auth/timestamp-future",
            "common/auth/timestamp-future-past-window",
        ],
    ),
    flaw(
        "scope-date-not-checked",
        Signature,
        "The key is derived from the scope's date, never compared with X-TC-Timestamp's UTC date.",
        Flaw::TrustScopeDate,
        &[
            "common/auth/scope-date-yesterday",
            "common/auth/scope-date-tomorrow",
        ],
    ),
    flaw(
        "scope-service-not-checked",
        Signature,
        "The key is derived from the scope's service, whatever service it names.",
        Flaw::TrustScopeService,
        &["common/auth/scope-service"],
    ),
    flaw(
        "content-type-assumed",
        Signature,
        "The signature is checked against the usual Content-Type, not the one sent.",
        Flaw::AssumedContentType,
        &["common/auth/content-type-differs-from-signed"],
    ),
    flaw(
        "body-hash-ascii-escaped",
        Signature,
        "The payload hash covers the body re-encoded with \\uXXXX escapes, not the UTF-8 bytes sent.",
        Flaw::BodyHashAsciiEscaped,
        &["common/auth/body-utf-8"],
    ),
    flaw(
        "query-signed-decoded",
        Signature,
        "A GET is verified over its percent-decoded query, not the URL-encoded one sent.",
        Flaw::QueryDecoded,
        &["common/gateway/get-query-url-encoded"],
    ),
    flaw(
        "unknown-secret-id-accepted",
        Signature,
        "An unknown SecretId is verified with the server's own key instead of being refused.",
        Flaw::AnyKeyForUnknownSecretId,
        &["common/auth/secret-id-unknown"],
    ),
    flaw(
        "signature-v1-refused",
        Signature,
        "Signature v1 (HmacSHA1 / HmacSHA256 as parameters) is not recognised: only TC3 is served.",
        Flaw::RefuseV1,
        &[
            "auth/signature-v1/accepted-get-hmac-sha1",
            "auth/signature-v1/accepted-post-hmac-sha256",
        ],
    ),
    flaw(
        "signature-v1-not-verified",
        Signature,
        "A signature v1 request is served whatever its Signature.",
        Flaw::V1SignatureUnchecked,
        &["auth/signature-v1/wrong-secret-key"],
    ),
    flaw(
        "signature-v1-timestamp-not-checked",
        Signature,
        "A signature v1 request is served whatever its Timestamp (no 5-minute window).",
        Flaw::V1TimestampUnchecked,
        &["auth/signature-v1/timestamp-expired"],
    ),
    // --- parameter validation -----------------------------------------------------------------
    off(
        "user-id-not-required",
        Parameters,
        "A request without UserId is not refused with MissingParameter.",
        &[Check::ParamOf(P::Required, "UserId")],
        &["params/user-id/missing"],
    ),
    off(
        "user-ip-not-required",
        Parameters,
        "A request without UserIp is not refused with MissingParameter.",
        &[Check::ParamOf(P::Required, "UserIp")],
        &["params/user-ip/missing"],
    ),
    flaw(
        "missing-parameter-wrong-code",
        Parameters,
        "A missing parameter is answered InvalidParameter instead of MissingParameter.",
        Flaw::MissingAsInvalidParameter,
        &[
            "params/user-id/missing",
            "params/user-ip/missing",
            "common/headers/action-missing",
        ],
    ),
    off(
        "unknown-parameters-accepted",
        Parameters,
        "Parameters CreateSession does not have are ignored instead of UnknownParameter.",
        &[Check::Param(P::Unknown)],
        &[
            "common/gateway/unknown-parameter",
            "common/gateway/misspelt-parameter",
        ],
    ),
    off(
        "run-mode-enum-not-enforced",
        Parameters,
        "Any RunMode value is accepted, not only \"\" and RunWithoutClient.",
        &[Check::ParamOf(P::Enum, "RunMode")],
        &["params/run-mode/near-miss-other-word"],
    ),
    Defect {
        name: "role-enum-not-enforced",
        area: Parameters,
        description: "Any Role value is accepted and treated as Player, not only Player and Viewer.",
        catchers: &["params/role/near-miss-other-word"],
        off: &[Check::ParamOf(P::Enum, "Role")],
        flaw: Some(Flaw::UnknownRoleIsPlayer),
    },
    // Serving a ClientSession-less request under the default RunMode, or a Role without
    // HostUserId, is no defect: the documentation allows both (issue 13), so they are allowed
    // behaviours, not defects.
    off(
        "wrong-types-accepted",
        Parameters,
        "Parameters of the wrong JSON type (numbers, arrays, objects) are not refused.",
        &[Check::Param(P::Type)],
        &[
            "params/user-id/wrong-type",
            "params/user-ip/wrong-type",
            "params/run-mode/wrong-type",
            "params/role/wrong-type",
        ],
    ),
    // --- state --------------------------------------------------------------------------------
    off(
        "lock-not-required",
        State,
        "CreateSession succeeds without a live ApplyConcurrent lock (no LockTimeout).",
        &[Check::LockRequired],
        &[
            "business/lock-timeout/never-applied",
            "business/lock-timeout/other-user-lock",
            "business/lock-timeout/expired",
        ],
    ),
    off(
        "slow-down-never-raised",
        State,
        "A second request while CreateSession runs is served instead of FailedOperation.SlowDown.",
        &[Check::SlowDown],
        &["business/slow-down/concurrent-create"],
    ),
    off(
        "quota-not-enforced",
        State,
        "Locks beyond the concurrency quota are granted (no ResourceNotFound.NoIdle).",
        &[Check::Quota],
        &[
            "business/no-idle/quota-used-up",
            "business/no-idle/quota-in-use",
        ],
    ),
    off(
        "stopping-never-raised",
        State,
        "Requests for a UserId being stopped are served (no UnsupportedOperation.Stopping).",
        &[Check::Stopping],
        &[
            "business/stopping/create-while-stopping",
            "business/stopping/apply-while-stopping",
        ],
    ),
    // --- the response contract ----------------------------------------------------------------
    flaw(
        "http-400-for-errors",
        Response,
        "API errors are answered with HTTP 400 instead of 200 (official SDKs then see no code).",
        Flaw::ErrorsAsHttp400,
        &["response/transport/status-error"],
    ),
    flaw(
        "request-id-missing",
        Response,
        "Error answers carry no RequestId.",
        Flaw::NoRequestIdOnErrors,
        &[
            "response/envelope/error-from-gateway",
            "response/envelope/error-from-signature",
            "response/envelope/error-from-business",
        ],
    ),
    flaw(
        "request-id-repeated",
        Response,
        "Every answer carries the same RequestId (generated once at start).",
        Flaw::OneRequestId,
        &["response/request-id/unique"],
    ),
    flaw(
        "message-missing",
        Response,
        "Error answers carry Error.Code without Error.Message.",
        Flaw::NoErrorMessage,
        &[
            "response/envelope/error-from-gateway",
            "response/envelope/error-from-signature",
            "response/envelope/error-from-business",
        ],
    ),
    flaw(
        "server-session-missing",
        Response,
        "A successful CreateSession answers without ServerSession.",
        Flaw::NoServerSession,
        &["response/envelope/success"],
    ),
    flaw(
        "content-type-charset",
        Response,
        "Answers are `application/json; charset=utf-8` instead of exactly `application/json`.",
        Flaw::ContentTypeWithCharset,
        &[
            "response/transport/content-type-success",
            "response/transport/content-type-error",
        ],
    ),
    flaw(
        "content-type-html",
        Response,
        "Answers are served as `text/html`.",
        Flaw::ContentTypeHtml,
        &[
            "response/transport/content-type-success",
            "response/transport/content-type-error",
        ],
    ),
    flaw(
        "fields-outside-response",
        Response,
        "Answers repeat RequestId beside `Response` at the top level of the body.",
        Flaw::FieldsBesideResponse,
        &[
            "response/envelope/success",
            "response/envelope/error-from-gateway",
        ],
    ),
    flaw(
        "slow-create-session",
        Response,
        "A successful CreateSession answers only after 5.5 s, beyond the documented 5 s.",
        Flaw::SlowCreateSession,
        &["response/transport/latency"],
    ),
    // --- rate limit ---------------------------------------------------------------------------
    off(
        "no-rate-limit",
        RateLimit,
        "More than 100 requests per second per SecretId are served (no RequestLimitExceeded).",
        &[Check::RateLimit],
        &["common/rate-limit/burst-over-limit"],
    ),
];

/// The defect called `name`.
pub fn find(name: &str) -> Option<&'static Defect> {
    DEFECTS.iter().find(|d| d.name == name)
}

/// A defect name that is not in the catalogue, with the closest names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe_unknown(.name, .close))]
pub struct UnknownDefect {
    pub name: String,
    pub close: Vec<&'static str>,
}

fn describe_unknown(name: &str, close: &[&str]) -> String {
    let mut text = format!("unknown defect `{name}`");
    if !close.is_empty() {
        let names: Vec<String> = close.iter().map(|n| format!("`{n}`")).collect();
        text.push_str(&format!("; did you mean {}?", names.join(" or ")));
    }
    text.push_str(&format!(
        " (`car-conformance mock --list-defects` lists all {})",
        DEFECTS.len()
    ));
    text
}

/// The defect called `name`, or an error naming up to three close names.
pub fn lookup(name: &str) -> Result<&'static Defect, UnknownDefect> {
    find(name).ok_or_else(|| UnknownDefect {
        name: name.to_owned(),
        close: close_names(name, DEFECTS.iter().map(|d| d.name)),
    })
}

/// Those of `names` that are a plausible misspelling of `name`, or contain it (or are contained
/// in it), closest first (also for the variants' names).
pub(crate) fn close_names(
    name: &str,
    names: impl Iterator<Item = &'static str>,
) -> Vec<&'static str> {
    let wanted = name.trim().to_ascii_lowercase();
    let mut scored: Vec<(f64, &'static str)> = names
        .filter_map(|candidate| {
            let similarity = strsim::jaro_winkler(&wanted, candidate);
            let contains =
                wanted.len() >= 4 && (candidate.contains(&wanted) || wanted.contains(candidate));
            let near = strsim::levenshtein(&wanted, candidate) <= 3;
            (similarity >= 0.85 || contains || near).then_some((similarity, candidate))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

#[cfg(test)]
mod tests;
