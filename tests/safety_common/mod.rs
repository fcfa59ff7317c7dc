//! The old name of tests/common for the `safety_*` tests: a thin module that re-exports
//! tests/common's items under the names those tests (and test files written against it) use.
//! New tests say `mod common;` instead; this stays so that such files keep compiling.
#![allow(dead_code, unused_imports)]

// A test file may also say `mod common;` (or include both old names): the same file loaded
// twice is then intended.
#[allow(clippy::duplicate_mod)]
#[path = "../common/mod.rs"]
mod common;

pub use common::cases::{apply, case, create, destroy, one_case_dir, write_cases};
pub use common::misbehaving::{Misbehaving, Misbehaviour, Script};
pub use common::mock::InProcess as Mock;
pub use common::report::{failure_text, report, report_case};
pub use common::{bin, shown, temp_dir, text};
