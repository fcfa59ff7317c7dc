//! run: how one invocation ends — [`Ending`] when it ran (or had nothing to do), [`RunError`]
//! when it could not start or could not write its report — as typed values that `cli` prints
//! and maps onto exit codes; the runner itself decides no exit code.

use std::path::PathBuf;

use crate::case::LoadError;
use crate::case::catalogue::CatalogueError;
use crate::check::schema::SchemaError;
use crate::mock::MockError;
use crate::send::SendError;
use crate::send::timeout::Stop;

/// How an invocation that did not fail to start ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Nothing was to be sent: `--list`, `--rerun-failed` with no failure to rerun.
    Nothing,
    /// `cargo test FILTER` selected no case (libtest's leniency: not an error there).
    NoCaseMatched,
    /// `--dry-run` printed the requests; `problems` of them could not be built.
    DryRun { problems: usize },
    /// The cases ran.
    Ran {
        /// A `must` or `should` case failed, or coverage fell below `--min-coverage`.
        failed: bool,
        /// A UserId may still hold a lock or session on the target.
        left_behind: bool,
        /// What stopped the run early, if anything did.
        stop: Option<Stop>,
        /// Why the report directory, certification record or baseline could not be written.
        unwritten: Option<String>,
    },
}

/// Why an invocation could not run its cases, or could not complete its report: nothing was
/// sent, or the report the user asked for is missing.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("--test-threads and --concurrency must be at least 1")]
    NoThreads,
    #[error("{0}")]
    Catalogue(#[from] CatalogueError),
    /// The case files: for `Invalid`, every diagnostic with its file and place.
    #[error("{0}")]
    Cases(#[from] LoadError),
    /// `suite`: where the cases came from, as the run's header names it.
    #[error("no case selected: {loaded} cases loaded from {suite}, none matches the filter{}", if *ignored { " and --ignored" } else { "" })]
    NoCaseSelected {
        loaded: usize,
        suite: String,
        ignored: bool,
    },
    /// The report options contradict each other, or an input or output cannot be used.
    #[error("{0}")]
    Reporting(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot start the embedded mock: {0}")]
    SharedMock(MockError),
    #[error("bad target URL: {0}")]
    TargetUrl(url::ParseError),
    #[error("cannot read --cacert {}: {source}", path.display())]
    ReadCacert {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--cacert {}: {source}", path.display())]
    Cacert { path: PathBuf, source: SendError },
    #[error("cannot build the HTTP client: {0}")]
    Client(SendError),
    #[error("{0}")]
    Schemas(#[from] SchemaError),
    /// A case's task panicked or was cancelled outside the case's own panic guard.
    #[error("a case's task ended abnormally: {0}")]
    CaseTask(tokio::task::JoinError),
}

impl RunError {
    /// Whether the message is a list of case-file diagnostics, shown as it is rather than as
    /// one `error:` line.
    pub fn is_diagnostics(&self) -> bool {
        matches!(self, RunError::Cases(LoadError::Invalid(_)))
    }
}
