//! The `conformance` test target (`harness = false`): `cargo test` runs every case against the
//! embedded reference mock, or against `CAR_TARGET` when set — the same suite as
//! `car-conformance run`, with libtest's flags.

fn main() -> std::process::ExitCode {
    car_conformance::cli::test_main()
}
