//! plan: why a target or the credentials for it are refused before anything is sent — each
//! error carries the target as shown (credentials and query masked) or the variable at fault.

/// Why `--target` / `CAR_TARGET` is not a target. `shown` is the text with its credentials,
/// query and fragment masked: the error never repeats what it complains about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("bad target URL `{shown}`: {source}")]
    Unparsable {
        shown: String,
        source: url::ParseError,
    },
    #[error("target `{shown}`: the scheme must be http or https")]
    Scheme { shown: String },
    #[error("target `{shown}` has no host")]
    NoHost { shown: String },
    #[error("target `{shown}`: put credentials in TENCENTCLOUD_SECRET_ID/KEY, not in the URL")]
    CredentialsInUrl { shown: String },
    #[error("target `{shown}`: give the base URL only (API 3.0 requests go to `/`)")]
    NotBaseUrl { shown: String },
}

/// Why the run has no credentials it may sign with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error("TENCENTCLOUD_SECRET_ID is set but TENCENTCLOUD_SECRET_KEY is not")]
    NoSecretKey,
    #[error("TENCENTCLOUD_SECRET_KEY is set but TENCENTCLOUD_SECRET_ID is not")]
    NoSecretId,
    /// The test pair would only earn AuthFailure on every case of a target elsewhere, and the
    /// user would pay for the requests.
    #[error(
        "the target {host} is not this machine and TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY are not set: nothing was sent. Set both (and TENCENTCLOUD_SESSION_TOKEN for temporary credentials) to the account's API key, or point --target at a mock on 127.0.0.1"
    )]
    NoneForRemoteTarget { host: String },
}
