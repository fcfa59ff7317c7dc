//! The old name of tests/common for the `report_*` tests: a thin module that re-exports
//! tests/common's items under the names those tests (and test files written against it) use.
//! New tests say `mod common;` instead; this stays so that such files keep compiling.
#![allow(dead_code, unused_imports)]

// A test file may also say `mod common;` (or include both old names): the same file loaded
// twice is then intended.
#[allow(clippy::duplicate_mod)]
#[path = "../common/mod.rs"]
mod common;

pub use common::mock::Process as Mock;
pub use common::report::{assert_bundle, report_schema, schema_errors};
pub use common::{bin, both, copy_tree, read_json, run, source_dir, temp_dir, text};
