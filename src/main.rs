//! The `car-conformance` binary: parse the command line, hand it to the library, return its exit code.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    car_conformance::cli::main()
}
