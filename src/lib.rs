//! car-conformance: load → plan → sign → send → check → report, for Tencent Cloud CAR's CreateSession.
#![forbid(unsafe_code)]

pub mod cli;
pub mod mock;
pub mod sign;
