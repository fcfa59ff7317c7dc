//! Mutation testing of the suite (issues 6 and 13): with no defect every case passes; with each
//! named mock defect switched on, some must/should case fails — the catchers declared next to the
//! defect among them; with each allowed variant switched on, no must/should case fails. A defect
//! no case catches, or a variant some case fails, fails this test and is named.

mod common;

use std::sync::Mutex;

use car_conformance::mock::{DEFECTS, VARIANTS};
use car_conformance::plan::suite::SuiteDirs;
use car_conformance::run::mutants::{self, Parallelism};

use common::{bin, root};

/// The matrix run is timing-sensitive (bursts, SlowDown windows, the 5 s budget): the other
/// tests of this file wait for it rather than compete for the CPU.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[test]
fn every_defect_is_caught_every_variant_passes_and_the_baseline_is_clean() {
    let _serial = serial();
    let settings = mutants::settings(SuiteDirs::under(root()));
    let (_, cases) = car_conformance::run::load(&settings)
        .unwrap_or_else(|code| panic!("the corpus does not load ({code:?}); see stderr"));
    let defects = mutants::select(&[]).unwrap();
    assert_eq!(defects.len(), DEFECTS.len());
    let variants = mutants::select_variants(&[]).unwrap();
    assert_eq!(variants.len(), VARIANTS.len());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let matrix = runtime
        .block_on(mutants::matrix(
            &settings,
            &cases,
            &defects,
            &variants,
            Parallelism::default(),
        ))
        .unwrap_or_else(|error| panic!("the mutants run did not complete: {error}"));
    let problems = matrix.problems();
    assert!(
        problems.is_empty(),
        "the suite does not prove itself against the named defects and allowed variants:\n- {}\n\n{}",
        problems.join("\n- "),
        mutants::render_markdown(&matrix, false)
    );
    assert_eq!(matrix.caught, DEFECTS.len());
    assert_eq!(matrix.variants_passed, VARIANTS.len());
    eprintln!(
        "{} defects, all caught; {} allowed variants, all passed; in {:.1} s",
        DEFECTS.len(),
        VARIANTS.len(),
        matrix.duration.as_secs_f64()
    );
}

#[test]
fn the_mock_lists_its_defects_and_refuses_unknown_names_with_close_ones() {
    let _serial = serial();
    let listed = bin().args(["mock", "--list-defects"]).output().unwrap();
    assert!(listed.status.success());
    let text = String::from_utf8_lossy(&listed.stdout);
    for defect in DEFECTS {
        assert!(text.contains(defect.name), "{} not listed", defect.name);
        assert!(
            text.contains(defect.catchers[0]),
            "{} catchers",
            defect.name
        );
    }
    let unknown = bin()
        .args([
            "mock",
            "--listen",
            "127.0.0.1:0",
            "--defect",
            "quota-not-enforce",
        ])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    let error = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        error.contains("unknown defect `quota-not-enforce`")
            && error.contains("did you mean `quota-not-enforced`"),
        "{error}"
    );
    let unknown = bin()
        .args(["mutants", "--defect", "no-rate-limits"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("did you mean `no-rate-limit`"));
}

#[test]
fn the_mock_lists_its_variants_with_their_quotes_and_refuses_unknown_names() {
    let _serial = serial();
    let listed = bin().args(["mock", "--list-variants"]).output().unwrap();
    assert!(listed.status.success());
    let text = String::from_utf8_lossy(&listed.stdout);
    for variant in VARIANTS {
        assert!(text.contains(variant.name), "{} not listed", variant.name);
        assert!(text.contains(variant.source), "{} source", variant.name);
    }
    for command in [
        &["mock", "--listen", "127.0.0.1:0", "--variant", "pretty-jsn"][..],
        &["mutants", "--variant", "pretty-jsn"][..],
    ] {
        let unknown = bin().args(command).output().unwrap();
        assert_eq!(unknown.status.code(), Some(2), "{command:?}");
        let error = String::from_utf8_lossy(&unknown.stderr);
        assert!(
            error.contains("unknown variant `pretty-jsn`")
                && error.contains("did you mean `pretty-json`"),
            "{error}"
        );
    }
}

/// `car-conformance mutants --json FLAGS` over a temporary copy of one case file (so it runs in
/// a second, not a full matrix): the matrix it printed, once it exited 0.
fn mutants_on_one_file(relative: &str, flags: &[&str]) -> serde_json::Value {
    let dir = std::env::temp_dir().join(format!("car-mutants-cli-{}", std::process::id()));
    let source = root().join("cases").join(relative);
    let target = dir.join(relative);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::copy(source, &target).unwrap();
    let output = bin()
        .args(["mutants", "--json"])
        .args(flags)
        .arg("--cases")
        .arg(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn the_mutants_command_prints_the_matrix_as_json() {
    let _serial = serial();
    let matrix = mutants_on_one_file("common/rate-limit.json", &["--defect", "no-rate-limit"]);
    assert_eq!(matrix["score_percent"], 100.0);
    assert_eq!(matrix["problems"], serde_json::json!([]));
    let row = &matrix["defects"][0];
    assert_eq!(row["name"], "no-rate-limit");
    assert_eq!(matrix["variants"], serde_json::json!([]));
    assert!(
        row["caught_by"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("common/rate-limit/burst-over-limit"))
    );
}

#[test]
fn the_mutants_command_runs_a_variant_alone_and_counts_it_passed() {
    let _serial = serial();
    let matrix = mutants_on_one_file("response/envelope.json", &["--variant", "pretty-json"]);
    assert_eq!(matrix["defects"], serde_json::json!([]));
    assert_eq!(matrix["variants_passed"], 1);
    let row = &matrix["variants"][0];
    assert_eq!(row["name"], "pretty-json");
    assert_eq!(row["passed"], true);
    assert!(row["quote"].as_str().unwrap().contains("whitespace"));
}
