//! car-conformance: load → plan → sign → send → check → report, for Tencent Cloud CAR's CreateSession.
#![forbid(unsafe_code)]

pub mod case;
pub mod catalogue;
pub mod check;
pub mod cli;
pub mod coverage;
pub mod mock;
pub mod mutants;
pub mod plan;
pub mod report;
pub mod run;
pub mod send;
pub mod sign;
