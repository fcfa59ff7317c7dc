//! car-conformance: load → plan → sign → send → check → report, for Tencent Cloud CAR's CreateSession.
#![forbid(unsafe_code)]

pub mod case;
pub mod check;
pub mod cli;
pub mod mock;
pub mod outcome;
pub mod plan;
pub mod redact;
pub mod report;
pub mod run;
pub mod send;
pub mod sign;
