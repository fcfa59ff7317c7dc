//! run: mutation testing of the suite itself — the cases run in-process against the embedded
//! mock once without a defect, once per named defect (`mock::defects`) and once per allowed
//! variant (`mock::variants`). The matrix says which cases caught each defect (sensitivity) and
//! which cases, if any, failed a variant (specificity). A suite that passes a broken
//! implementation, or fails a correct one, is worse than none; this is the proof it does
//! neither, kept current by `cargo test` (tests/mutants.rs).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::case::{Case, Level};
use crate::mock::defects::Flaw;
use crate::mock::variants::UnknownVariant;
use crate::mock::{DEFECTS, Defect, UnknownDefect, VARIANTS, Variant};
use crate::outcome::{Outcome, Status};
use crate::plan::suite::SuiteDirs;
use crate::plan::{self, CredentialSource, Settings, Target};
use crate::run::RunError;
use crate::run::embedded::run_embedded;
use crate::sign::Credentials;

/// What one defect did to the suite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefectRow {
    pub name: &'static str,
    pub area: &'static str,
    pub description: &'static str,
    /// The catchers declared next to the defect.
    pub declared: Vec<&'static str>,
    /// `must` and `should` cases that failed with the defect on: each fails a run.
    pub caught_by: Vec<String>,
    /// `info` cases that failed too (reported, but they never fail a run).
    pub info_failures: Vec<String>,
    /// Declared catchers that did not fail.
    pub missed_catchers: Vec<&'static str>,
    /// Declared catchers that are no case of the corpus, or `info` cases (which cannot catch).
    pub invalid_catchers: Vec<&'static str>,
    /// At least one `must` or `should` case failed.
    pub caught: bool,
    #[serde(rename = "duration_ms", serialize_with = "millis")]
    pub duration: Duration,
}

/// A `must`/`should` case that failed an allowed variant: a false failure of a correct
/// implementation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FalseFailure {
    pub case: String,
    pub level: Level,
    /// The first failed check, as the console shows it.
    pub reason: String,
}

/// What one allowed variant did to the suite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantRow {
    pub name: &'static str,
    pub area: &'static str,
    pub description: &'static str,
    /// The primary source's sentence that allows the variant, and where it is.
    pub quote: &'static str,
    pub source: &'static str,
    /// `must` and `should` cases that failed: there must be none.
    pub failed: Vec<FalseFailure>,
    /// `info` cases that failed (reported, never counted against the suite).
    pub info_failures: Vec<String>,
    /// No `must` or `should` case failed.
    pub passed: bool,
    #[serde(rename = "duration_ms", serialize_with = "millis")]
    pub duration: Duration,
}

/// The whole matrix: defect → cases that caught it, variant → cases that failed it, and the
/// two scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Matrix {
    /// Cases run per defect.
    pub cases: usize,
    /// Cases that fail with no defect on (there must be none: a defect is judged against a clean
    /// baseline).
    pub baseline_failures: Vec<String>,
    pub defects: Vec<DefectRow>,
    /// Defects caught.
    pub caught: usize,
    /// `caught / defects`, in percent.
    pub score_percent: f64,
    pub variants: Vec<VariantRow>,
    /// Variants no `must` or `should` case failed.
    pub variants_passed: usize,
    #[serde(rename = "duration_ms", serialize_with = "millis")]
    pub duration: Duration,
}

fn millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

impl Matrix {
    /// What keeps the matrix from proving the suite: baseline failures, defects no `must` or
    /// `should` case caught, declared catchers that did not fail or cannot catch. Each names
    /// its defect or case; empty when the proof holds.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for id in &self.baseline_failures {
            problems.push(format!(
                "case `{id}` fails without any defect: defects are judged against a clean run"
            ));
        }
        for row in &self.defects {
            if !row.caught {
                problems.push(format!(
                    "defect `{}` is caught by no must/should case ({})",
                    row.name, row.description
                ));
            }
            for id in &row.invalid_catchers {
                problems.push(format!(
                    "defect `{}` declares catcher `{id}`, which is no must/should case of the corpus",
                    row.name
                ));
            }
            for id in &row.missed_catchers {
                problems.push(format!(
                    "defect `{}` declares catcher `{id}`, which did not fail",
                    row.name
                ));
            }
        }
        for row in &self.variants {
            for failure in &row.failed {
                problems.push(format!(
                    "allowed variant `{}` ({}) fails {} case `{}`: {}",
                    row.name, row.description, failure.level, failure.case, failure.reason
                ));
            }
        }
        problems
    }
}

/// Settings for in-process runs: the embedded mock with the built-in test pair, the template
/// defaults, and the suite in `dirs` (`SuiteDirs::builtin()` for the one in the binary).
pub fn settings(dirs: SuiteDirs) -> Settings {
    Settings {
        cases_dir: dirs.cases,
        schemas_dir: dirs.schemas,
        snapshots_dir: dirs.snapshots,
        target: Target::Embedded,
        target_name: None,
        credentials: Credentials::new(crate::mock::TEST_SECRET_ID, crate::mock::TEST_SECRET_KEY),
        credential_source: CredentialSource::TestPair,
        region: None,
        project_id: plan::DEFAULT_PROJECT_ID.to_owned(),
        client_ip: plan::DEFAULT_CLIENT_IP.to_owned(),
        client_session: plan::DEFAULT_CLIENT_SESSION.to_owned(),
        timeout: Duration::from_secs(30),
        max_response_bytes: 1024 * 1024,
        report_dir: None,
        min_coverage: None,
        cacert: None,
        safety: Default::default(),
    }
}

/// Failed cases of a run: (`must`/`should` ids, `info` ids), sorted.
fn failures(outcomes: &[Outcome]) -> (Vec<String>, Vec<String>) {
    let mut caught = Vec::new();
    let mut info = Vec::new();
    for outcome in outcomes.iter().filter(|o| o.status == Status::Failed) {
        if outcome.fails_run() {
            caught.push(outcome.id.clone());
        } else {
            info.push(outcome.id.clone());
        }
    }
    (caught, info)
}

/// How hard [`matrix`] may load the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parallelism {
    /// Runs (baseline or defect) in flight at once.
    pub runs: usize,
    /// Cases in flight at once within one run.
    pub cases: usize,
}

impl Default for Parallelism {
    /// Modest on purpose: timing-dependent cases (bursts, SlowDown windows, the 5 s budget)
    /// keep their margins on a loaded 2-core machine, so the matrix is the same every time.
    fn default() -> Self {
        Self { runs: 6, cases: 4 }
    }
}

/// Cases a waiting run has in flight: enough that its waits overlap (the run takes about as long
/// as the rest of the matrix), few enough that their answers, arriving together, do not delay
/// each other past a budget on a loaded 2-core machine.
const WAITING_CASES: usize = 48;

/// One run of the matrix: the clean baseline, a defect, or an allowed variant.
#[derive(Debug, Clone, Copy)]
enum Mutant {
    Baseline,
    Defect(&'static Defect),
    Variant(&'static Variant),
}

impl Mutant {
    /// A run whose answers are only late: waiting costs no CPU, and a few cases at a time it
    /// would take minutes, so [`WAITING_CASES`] run at once and it starts first.
    fn only_waits(self) -> bool {
        match self {
            Mutant::Baseline => false,
            Mutant::Defect(defect) => defect.flaw == Some(Flaw::SlowCreateSession),
            Mutant::Variant(variant) => variant.only_waits(),
        }
    }

    fn label(self) -> String {
        match self {
            Mutant::Baseline => "baseline".to_owned(),
            Mutant::Defect(defect) => format!("defect `{}`", defect.name),
            Mutant::Variant(variant) => format!("variant `{}`", variant.name),
        }
    }

    /// The settings of this run: a variant is another implementation, so it is its own
    /// snapshot target (nothing recorded for it: its first run, as a vendor's, compares with
    /// nothing); a waiting run has no cap on requests in flight.
    fn settings(self, settings: &Settings, cases: usize) -> Settings {
        let mut settings = settings.clone();
        if let Mutant::Variant(variant) = self {
            settings.target_name = Some(format!("variant-{}", variant.name));
        }
        if self.only_waits() {
            settings.safety.concurrency = Some(cases.max(1) * 8);
        }
        settings
    }

    fn overlay(self, config: &mut crate::mock::MockConfig) {
        match self {
            Mutant::Baseline => {}
            Mutant::Defect(defect) => config.defect = Some(defect.name.to_owned()),
            Mutant::Variant(variant) => config.variants = vec![variant.name.to_owned()],
        }
    }
}

/// Why the matrix could not be built: one of its runs did not complete.
#[derive(Debug, thiserror::Error)]
pub enum MutantsError {
    /// The run of the baseline, a defect or a variant (`label`) could not run its cases.
    #[error("{label}: {source}")]
    Run {
        label: String,
        #[source]
        source: RunError,
    },
    #[error("a run ended abnormally: {0}")]
    Task(#[source] tokio::task::JoinError),
    /// A run's result never came back (a bug in the matrix's bookkeeping).
    #[error("{0} run is missing")]
    Missing(&'static str),
}

/// Runs the baseline, every defect of `defects` and every variant of `variants` on the current
/// tokio runtime, as `parallelism` allows, and builds the matrix.
pub async fn matrix(
    settings: &Settings,
    cases: &[Case],
    defects: &[&'static Defect],
    variants: &[&'static Variant],
    parallelism: Parallelism,
) -> Result<Matrix, MutantsError> {
    let started = Instant::now();
    let cases: Arc<[Case]> = cases.into();
    let permits = Arc::new(Semaphore::new(parallelism.runs.max(1)));
    let mut runs = JoinSet::new();
    let mutants: Vec<Mutant> = std::iter::once(Mutant::Baseline)
        .chain(defects.iter().map(|d| Mutant::Defect(d)))
        .chain(variants.iter().map(|v| Mutant::Variant(v)))
        .collect();
    let mut order: Vec<usize> = (0..mutants.len()).collect();
    order.sort_by_key(|&i| (!mutants[i].only_waits(), i));
    for index in order {
        let mutant = mutants[index];
        let settings = mutant.settings(settings, cases.len());
        let (cases, permits) = (Arc::clone(&cases), Arc::clone(&permits));
        runs.spawn(async move {
            // Waiting runs take no permit: they load nothing while they wait.
            let (_permit, parallel) = if mutant.only_waits() {
                (None, WAITING_CASES)
            } else {
                (permits.acquire_owned().await.ok(), parallelism.cases)
            };
            let began = Instant::now();
            let overlay = move |config: &mut crate::mock::MockConfig| mutant.overlay(config);
            let outcomes = run_embedded(&settings, &cases, &overlay, parallel).await;
            (index, outcomes, began.elapsed())
        });
    }
    let mut results = vec![None; mutants.len()];
    while let Some(done) = runs.join_next().await {
        let (index, outcomes, took) = done.map_err(MutantsError::Task)?;
        let outcomes = outcomes.map_err(|source| MutantsError::Run {
            label: mutants[index].label(),
            source,
        })?;
        results[index] = Some((outcomes, took));
    }
    let mut results = results.into_iter().flatten();
    let (baseline, _) = results
        .next()
        .ok_or(MutantsError::Missing("the baseline"))?;
    let (baseline_failures, baseline_info) = failures(&baseline);
    let baseline_failures: Vec<String> =
        baseline_failures.into_iter().chain(baseline_info).collect();
    let level_of = |id: &str| cases.iter().find(|c| c.id == id).map(|c| c.spec.level);

    let mut rows = Vec::with_capacity(defects.len());
    for defect in defects {
        let (outcomes, duration) = results.next().ok_or(MutantsError::Missing("a defect's"))?;
        let (caught_by, info_failures) = failures(&outcomes);
        let invalid_catchers: Vec<&'static str> = defect
            .catchers
            .iter()
            .copied()
            .filter(|id| level_of(id).is_none_or(|level| level == Level::Info))
            .collect();
        let missed_catchers = defect
            .catchers
            .iter()
            .copied()
            .filter(|id| !invalid_catchers.contains(id) && !caught_by.iter().any(|c| c == id))
            .collect();
        rows.push(DefectRow {
            name: defect.name,
            area: defect.area.as_str(),
            description: defect.description,
            declared: defect.catchers.to_vec(),
            caught: !caught_by.is_empty(),
            caught_by,
            info_failures,
            missed_catchers,
            invalid_catchers,
            duration,
        });
    }
    let mut variant_rows = Vec::with_capacity(variants.len());
    for variant in variants {
        let (outcomes, duration) = results.next().ok_or(MutantsError::Missing("a variant's"))?;
        variant_rows.push(variant_row(variant, &outcomes, duration));
    }
    let caught = rows.iter().filter(|r| r.caught).count();
    let score_percent = if rows.is_empty() {
        100.0
    } else {
        100.0 * caught as f64 / rows.len() as f64
    };
    Ok(Matrix {
        cases: cases.len(),
        baseline_failures,
        defects: rows,
        caught,
        score_percent,
        variants_passed: variant_rows.iter().filter(|r| r.passed).count(),
        variants: variant_rows,
        duration: started.elapsed(),
    })
}

/// What the suite did to a correct implementation: every `must`/`should` failure is a false one.
fn variant_row(variant: &'static Variant, outcomes: &[Outcome], duration: Duration) -> VariantRow {
    let mut failed = Vec::new();
    let mut info_failures = Vec::new();
    for outcome in outcomes.iter().filter(|o| o.status == Status::Failed) {
        if let Some(level) = outcome.failing_level().filter(|l| l.fails_run()) {
            // The failure that fails the run, as the console's first line shows it.
            let reason = outcome
                .failures
                .iter()
                .find(|f| f.level == level)
                .map_or_else(String::new, |f| {
                    let text = format!("{}: {}", f.step, f.kind);
                    text.lines().next().unwrap_or_default().to_owned()
                });
            failed.push(FalseFailure {
                case: outcome.id.clone(),
                level,
                reason,
            });
        } else {
            info_failures.push(outcome.id.clone());
        }
    }
    VariantRow {
        name: variant.name,
        area: variant.area.as_str(),
        description: variant.description,
        quote: variant.quote,
        source: variant.source,
        passed: failed.is_empty(),
        failed,
        info_failures,
        duration,
    }
}

/// Every defect of the catalogue, or those named (each name checked).
pub fn select(names: &[String]) -> Result<Vec<&'static Defect>, UnknownDefect> {
    if names.is_empty() {
        return Ok(DEFECTS.iter().collect());
    }
    names
        .iter()
        .map(|name| crate::mock::defects::lookup(name))
        .collect()
}

/// Every variant of the catalogue, or those named (each name checked).
pub fn select_variants(names: &[String]) -> Result<Vec<&'static Variant>, UnknownVariant> {
    if names.is_empty() {
        return Ok(VARIANTS.iter().collect());
    }
    names
        .iter()
        .map(|name| crate::mock::variants::lookup(name))
        .collect()
}

/// The matrix as Markdown: one row per defect with the cases that caught it (declared catchers
/// in bold; with `full` false, only those and a count of the others), then the score.
pub fn render_markdown(matrix: &Matrix, full: bool) -> String {
    let mut out = String::from("| Defect | Area | Caught by |\n|---|---|---|\n");
    for row in &matrix.defects {
        let declared = |id: &str| row.declared.contains(&id);
        let mut shown: Vec<String> = row
            .caught_by
            .iter()
            .filter(|id| full || declared(id))
            .map(|id| {
                if declared(id) {
                    format!("**`{id}`**")
                } else {
                    format!("`{id}`")
                }
            })
            .collect();
        let others = row.caught_by.len() - shown.len();
        if others > 0 {
            shown.push(format!("and {others} more"));
        }
        let mut cell = if row.caught_by.is_empty() {
            "**NOT CAUGHT**".to_owned()
        } else {
            shown.join(", ")
        };
        for id in &row.missed_catchers {
            cell.push_str(&format!("; declared `{id}` did **not** fail"));
        }
        for id in &row.invalid_catchers {
            cell.push_str(&format!("; declared `{id}` is no must/should case"));
        }
        out.push_str(&format!(
            "| `{}`: {} | {} | {} |\n",
            row.name, row.description, row.area, cell
        ));
    }
    out.push_str(&format!(
        "\nMutation score: {}/{} defects caught ({:.0}%), {} cases per run, declared catchers in bold.\n",
        matrix.caught,
        matrix.defects.len(),
        matrix.score_percent,
        matrix.cases
    ));
    if !matrix.variants.is_empty() {
        out.push_str(&render_variants(matrix));
    }
    out
}

/// The variants as Markdown: one row per variant with the cases that failed it, then the count.
fn render_variants(matrix: &Matrix) -> String {
    let mut out = String::from("\n| Allowed variant | Area | Result |\n|---|---|---|\n");
    for row in &matrix.variants {
        let cell = if row.passed {
            "passes".to_owned()
        } else {
            let failed: Vec<String> = row
                .failed
                .iter()
                .map(|f| format!("`{}` ({})", f.case, f.level))
                .collect();
            format!("**fails** {}", failed.join(", "))
        };
        out.push_str(&format!(
            "| `{}`: {} | {} | {} |\n",
            row.name, row.description, row.area, cell
        ));
    }
    out.push_str(&format!(
        "\nVariants passed: {}/{} (no must/should case fails an implementation that uses room the documentation leaves).\n",
        matrix.variants_passed,
        matrix.variants.len()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &'static str, caught_by: &[&str], declared: &[&'static str]) -> DefectRow {
        let caught_by: Vec<String> = caught_by.iter().map(|s| (*s).to_owned()).collect();
        DefectRow {
            name,
            area: "state",
            description: "d",
            declared: declared.to_vec(),
            missed_catchers: declared
                .iter()
                .copied()
                .filter(|id| !caught_by.iter().any(|c| c == id))
                .collect(),
            invalid_catchers: Vec::new(),
            caught: !caught_by.is_empty(),
            caught_by,
            info_failures: Vec::new(),
            duration: Duration::ZERO,
        }
    }

    fn matrix(rows: Vec<DefectRow>, baseline: &[&str]) -> Matrix {
        Matrix {
            cases: 3,
            baseline_failures: baseline.iter().map(|s| (*s).to_owned()).collect(),
            caught: rows.iter().filter(|r| r.caught).count(),
            score_percent: 0.0,
            defects: rows,
            variants: Vec::new(),
            variants_passed: 0,
            duration: Duration::ZERO,
        }
    }

    fn variant(name: &'static str, failed: &[&str]) -> VariantRow {
        let failed: Vec<FalseFailure> = failed
            .iter()
            .map(|id| FalseFailure {
                case: (*id).to_owned(),
                level: Level::Should,
                reason: "step 1 (CreateSession): outcome: expected success, got X".to_owned(),
            })
            .collect();
        VariantRow {
            name,
            area: "response",
            description: "d",
            quote: "q",
            source: "https://example.invalid/",
            passed: failed.is_empty(),
            failed,
            info_failures: Vec::new(),
            duration: Duration::ZERO,
        }
    }

    #[test]
    fn a_variant_failed_by_a_must_or_should_case_is_a_problem_named_with_the_case() {
        let mut both = matrix(vec![row("a", &["x/y"], &["x/y"])], &[]);
        both.variants = vec![variant("fine", &[]), variant("hurt", &["x/z"])];
        both.variants_passed = 1;
        let problems = both.problems().join("\n");
        assert!(
            problems.contains("allowed variant `hurt` (d) fails should case `x/z`: step 1"),
            "{problems}"
        );
        assert!(!problems.contains("`fine`"));
        let text = render_markdown(&both, false);
        assert!(text.contains("| `fine`: d | response | passes |"), "{text}");
        assert!(text.contains("**fails** `x/z` (should)"), "{text}");
        assert!(text.contains("Variants passed: 1/2"), "{text}");
        assert!(!render_markdown(&matrix(vec![], &[]), false).contains("Variants passed"));
    }

    #[test]
    fn a_clean_matrix_has_no_problems() {
        let clean = matrix(vec![row("a", &["x/y", "x/z"], &["x/y"])], &[]);
        assert!(clean.problems().is_empty());
        let text = render_markdown(&clean, false);
        assert!(text.contains("**`x/y`**, and 1 more"), "{text}");
        assert!(render_markdown(&clean, true).contains("**`x/y`**, `x/z`"));
    }

    #[test]
    fn an_uncaught_defect_a_missed_catcher_and_a_dirty_baseline_are_named() {
        let broken = matrix(
            vec![
                row("never-caught", &[], &["x/y"]),
                row("half", &["x/z"], &["x/y"]),
            ],
            &["x/flaky"],
        );
        let problems = broken.problems().join("\n");
        assert!(problems.contains("defect `never-caught` is caught by no must/should case"));
        assert!(problems.contains("defect `half` declares catcher `x/y`, which did not fail"));
        assert!(problems.contains("case `x/flaky` fails without any defect"));
        assert!(render_markdown(&broken, false).contains("**NOT CAUGHT**"));
    }
}
