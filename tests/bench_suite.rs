//! The suite bench's own logic (`benches/suite/`, which CI only compiles): the scaling corpus,
//! statistics and process runs, the Python calls file and the pacing analysis.

mod common;

#[allow(dead_code)]
#[path = "../benches/suite/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "../benches/suite/pacing.rs"]
mod pacing;
#[allow(dead_code)]
#[path = "../benches/suite/process.rs"]
mod process;
#[allow(dead_code)]
#[path = "../benches/suite/python.rs"]
mod python;

mod corpus_tests {
    use super::corpus::*;
    use std::fs;

    #[test]
    fn copies_every_case_file_and_snapshot_under_prefixed_names() {
        let parent = crate::common::temp_dir("corpus");
        let source = parent.join("source");
        fs::create_dir_all(source.join("cases/business")).unwrap();
        fs::create_dir_all(source.join("snapshots")).unwrap();
        fs::write(source.join("cases/business/a.json"), "{}").unwrap();
        fs::write(source.join("cases/b.json"), "[]").unwrap();
        fs::write(source.join("cases/notes.txt"), "x").unwrap();
        fs::write(
            source.join("snapshots/business__a__x__steps1@mock.snap"),
            "s",
        )
        .unwrap();
        fs::write(source.join("snapshots/old.snap.new"), "n").unwrap();

        let corpus =
            generate(&source.join("cases"), &source.join("snapshots"), &parent, 3).unwrap();
        assert_eq!(
            case_files(&corpus.cases).unwrap().len(),
            6,
            "two files, three copies"
        );
        assert!(corpus.cases.join("c0002/business/a.json").is_file());
        assert!(!corpus.cases.join("c0000/notes.txt").exists());
        assert_eq!(
            snapshot_files(&corpus.snapshots).unwrap(),
            [
                "c0000__business__a__x__steps1@mock.snap",
                "c0001__business__a__x__steps1@mock.snap",
                "c0002__business__a__x__steps1@mock.snap"
            ]
        );
        let root = corpus.root.clone();
        drop(corpus);
        assert!(!root.exists(), "the corpus is removed with its handle");
        let _ = fs::remove_dir_all(&parent);
    }
}

mod process_tests {
    use super::process::*;
    use std::path::Path;

    #[test]
    fn medians_quantiles_and_ranges() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.9), 5.0);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.5), 3.0);
        assert_eq!(range(&[2.0, 0.5, 1.25], 1), "0.5–2.0");
    }

    #[test]
    fn a_failing_process_is_an_error_with_its_output() {
        let error = run(
            Path::new("/bin/sh"),
            &["-c".into(), "echo nope; exit 3".into()],
            Path::new("."),
            &[],
            false,
        )
        .unwrap_err();
        assert!(error.contains("nope"), "{error}");
    }

    #[test]
    fn gnu_time_lines_are_read() {
        let (kib, cpu) = parse_gnu_time("noise\n40048 0.07 0.06\n").unwrap();
        assert_eq!(kib, 40048);
        assert_eq!(cpu, std::time::Duration::from_millis(130));
        assert!(parse_gnu_time("Command exited with non-zero status 1").is_err());
        assert!(parse_gnu_time("1 2").is_err());
    }

    #[test]
    fn gnu_time_reports_a_peak_rss() {
        if gnu_time().is_none() {
            return;
        }
        let run = run(
            Path::new("/bin/sh"),
            &["-c".into(), "true".into()],
            Path::new("."),
            &[],
            true,
        )
        .unwrap();
        assert!(run.max_rss_kib.is_some_and(|k| k > 0));
        assert!(run.cpu.is_some());
    }
}

mod python_tests {
    use super::python::*;
    use serde_json::json;

    #[test]
    fn same_size_objects_have_the_size_asked_for() {
        assert_eq!(serde_json::to_string(&same_size(100)).unwrap().len(), 100);
    }

    #[test]
    fn query_strings_become_parameters() {
        assert_eq!(
            query_params("http://h/?UserId=a%20b&UserIp=1.2.3.4"),
            json!({"UserId": "a b", "UserIp": "1.2.3.4"})
        );
    }

    #[test]
    fn the_report_line_is_read() {
        let reported =
            parse_report("noise\n{\"calls\": 3, \"seconds\": 0.5, \"codes\": {\"\": 3}}").unwrap();
        assert_eq!(reported.calls, 3);
        assert_eq!(reported.seconds, 0.5);
        assert!(parse_report("oops").is_err());
    }
}

mod pacing_tests {
    use super::pacing::*;
    use std::time::Duration;

    fn at(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn the_busiest_window_counts_arrivals_less_than_a_window_apart() {
        let times = [at(0), at(100), at(999), at(1000), at(1050), at(2050)];
        assert_eq!(busiest(&times, Duration::from_secs(1)), 4);
        assert_eq!(busiest(&[], Duration::from_secs(1)), 0);
    }

    #[test]
    fn rates_and_refusals_per_action() {
        let arrival = |ms, action: &str, code: &str| Arrival {
            at: at(ms),
            action: action.into(),
            code: code.into(),
        };
        let log = [
            arrival(0, "CreateSession", ""),
            arrival(500, "CreateSession", "RequestLimitExceeded"),
            arrival(1000, "CreateSession", ""),
            arrival(10, "DestroySession", ""),
        ];
        let paces = analyse(&log);
        assert_eq!(paces[0].action, "CreateSession");
        assert_eq!(paces[0].requests, 3);
        assert_eq!(paces[0].busiest_second, 2);
        assert!((paces[0].mean_rate - 2.0).abs() < 1e-9);
        assert_eq!(paces[0].limit_exceeded, 1);
        assert_eq!(paces[1].mean_rate, 0.0);
    }
}
