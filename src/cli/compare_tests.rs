//! cli: the unit tests of `compare`'s command line: target specs, credential names, exit codes.
use super::*;
use crate::cli::exit::ran;
use crate::run::RunError;
use crate::send::timeout::Stop;

#[test]
fn targets_are_names_with_a_url_a_profile_or_the_mock() {
    assert_eq!(
        parse_target("cloud=https://car.tencentcloudapi.com").unwrap(),
        (
            "cloud".into(),
            Spec::Url("https://car.tencentcloudapi.com".into())
        )
    );
    assert_eq!(
        parse_target("v-1=@vendor.toml").unwrap().1,
        Spec::Profile("vendor.toml".into())
    );
    assert_eq!(
        parse_target("buggy=mock:defect=lock-not-required")
            .unwrap()
            .1,
        Spec::Mock(MockChange {
            defect: Some("lock-not-required".into()),
            variants: vec![]
        })
    );
    let two = parse_target("v=mock:variant=enum-trimmed,variant=user-ip-unchecked").unwrap();
    assert!(matches!(two.1, Spec::Mock(MockChange { ref variants, .. }) if variants.len() == 2));
    for bad in [
        "nameless",
        "=mock",
        "Upper=mock",
        "a b=mock",
        "-x=mock",
        "x=mock:defect=no-such-defect",
        "x=mock:variant=no-such-variant",
        "x=mock:defect=lock-not-required,defect=request-id-missing",
        "x=mock:colour=red",
    ] {
        assert!(parse_target(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_target_error_never_repeats_a_secret_in_its_url() {
    let error = parse_target("https://AKIDx:leakedKey9@car.example.com").unwrap_err();
    assert!(!error.contains("leakedKey9"), "{error}");
}

#[test]
fn credentials_are_named_after_the_target() {
    assert_eq!(
        credential_variable("vendor-eu", "SECRET_KEY"),
        "CAR_VENDOR_EU_SECRET_KEY"
    );
}

/// A comparison whose targets ended as `ends` say, without a matrix.
fn compared(ends: Vec<Result<Ending, RunError>>) -> Compared {
    Compared {
        targets: ends
            .into_iter()
            .map(|ended| crate::run::compare::TargetRun {
                name: "t".into(),
                ended,
                report: None,
            })
            .collect(),
        comparison: None,
        stopped: None,
    }
}

#[test]
fn a_leftover_anywhere_wins_then_interruptions_then_usage_then_unreachable() {
    let interrupted = || ran(false, false, Some(Stop::Interrupted));
    let unreachable = || ran(true, false, Some(Stop::Unreachable));
    assert_eq!(
        exit_code(&compared(vec![
            ran(false, false, None),
            interrupted(),
            ran(false, true, None)
        ])),
        ExitCode::from(3)
    );
    assert_eq!(
        exit_code(&compared(vec![unreachable(), interrupted()])),
        ExitCode::from(130)
    );
    assert_eq!(
        exit_code(&compared(vec![unreachable(), Err(RunError::NoThreads)])),
        ExitCode::from(2)
    );
    assert_eq!(
        exit_code(&compared(vec![ran(true, false, None), unreachable()])),
        ExitCode::from(4)
    );
    // No matrix (a target did not report): never a pass.
    assert_eq!(
        exit_code(&compared(vec![
            ran(false, false, None),
            ran(false, false, None)
        ])),
        ExitCode::FAILURE
    );
}
