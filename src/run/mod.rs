//! run: execution — one libtest-mimic trial per case, on one tokio runtime and one HTTP client.

pub mod outcome;
pub mod request;
