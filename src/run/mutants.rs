//! run: mutation testing of the suite itself — the cases run in-process against the embedded
//! mock once without a defect and once per named defect (`mock::defects`), and the matrix says
//! which cases caught each defect. A suite that passes a broken implementation is worse than
//! none; this is the proof it does not, kept current by `cargo test` (tests/mutants.rs).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::case::{Case, Level};
use crate::mock::defects::Flaw;
use crate::mock::{DEFECTS, Defect};
use crate::outcome::{Outcome, Status};
use crate::plan::{self, CredentialSource, Settings, Target};
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

/// The whole matrix: defect → cases that caught it, and the mutation score.
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
        problems
    }
}

/// Settings for in-process runs: the embedded mock with the built-in test pair, the template
/// defaults, and the cases, schemas and snapshots of `root` (the source tree by default).
pub fn settings(root: Option<PathBuf>) -> Settings {
    let dir = |name: &str| match &root {
        Some(root) => root.join(name),
        None => plan::default_dir(name),
    };
    Settings {
        cases_dir: dir("cases"),
        schemas_dir: dir("schemas"),
        snapshots_dir: dir("snapshots"),
        target: Target::Embedded,
        target_name: None,
        credentials: Credentials::new(crate::mock::TEST_SECRET_ID, crate::mock::TEST_SECRET_KEY),
        credential_source: CredentialSource::TestPair,
        region: None,
        project_id: plan::DEFAULT_PROJECT_ID.to_owned(),
        client_ip: plan::DEFAULT_CLIENT_IP.to_owned(),
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
        if outcome.level.fails_run() {
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

/// Runs the baseline and every defect of `defects` on the current tokio runtime, as
/// `parallelism` allows, and builds the matrix.
pub async fn matrix(
    settings: &Settings,
    cases: &[Case],
    defects: &[&'static Defect],
    parallelism: Parallelism,
) -> Result<Matrix, String> {
    let started = Instant::now();
    let settings = Arc::new(settings.clone());
    let cases: Arc<[Case]> = cases.into();
    let permits = Arc::new(Semaphore::new(parallelism.runs.max(1)));
    let mut runs = JoinSet::new();
    // The baseline is run index 0; defect i is run i + 1.
    let names: Vec<Option<&'static str>> = std::iter::once(None)
        .chain(defects.iter().map(|d| Some(d.name)))
        .collect();
    // A defect that only waits (its answers are late) runs every case at once: waiting costs no
    // CPU, and one after another its cases would take minutes. It starts first so its waiting
    // overlaps the other runs' work.
    let slow = |index: usize| index > 0 && defects[index - 1].flaw == Some(Flaw::SlowCreateSession);
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by_key(|&i| (!slow(i), i));
    for index in order {
        let name = names[index];
        let parallel = if slow(index) {
            cases.len()
        } else {
            parallelism.cases
        };
        let (settings, cases, permits) = (
            Arc::clone(&settings),
            Arc::clone(&cases),
            Arc::clone(&permits),
        );
        runs.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let began = Instant::now();
            let overlay = move |config: &mut crate::mock::MockConfig| {
                config.defect = name.map(str::to_owned);
            };
            let outcomes = run_embedded(&settings, &cases, &overlay, parallel).await;
            (index, outcomes, began.elapsed())
        });
    }
    let mut results = vec![None; names.len()];
    while let Some(done) = runs.join_next().await {
        let (index, outcomes, took) = done.map_err(|e| format!("a run ended abnormally: {e}"))?;
        let outcomes = outcomes.map_err(|e| match names[index] {
            Some(name) => format!("defect `{name}`: {e}"),
            None => format!("baseline: {e}"),
        })?;
        results[index] = Some((outcomes, took));
    }
    let mut results = results.into_iter().flatten();
    let (baseline, _) = results.next().ok_or("the baseline run is missing")?;
    let (baseline_failures, baseline_info) = failures(&baseline);
    let baseline_failures: Vec<String> =
        baseline_failures.into_iter().chain(baseline_info).collect();
    let level_of = |id: &str| cases.iter().find(|c| c.id == id).map(|c| c.spec.level);

    let mut rows = Vec::with_capacity(defects.len());
    for (defect, (outcomes, duration)) in defects.iter().zip(results) {
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
        duration: started.elapsed(),
    })
}

/// Every defect of the catalogue, or those named (each name checked).
pub fn select(names: &[String]) -> Result<Vec<&'static Defect>, String> {
    if names.is_empty() {
        return Ok(DEFECTS.iter().collect());
    }
    names
        .iter()
        .map(|name| crate::mock::defects::lookup(name).map_err(|e| e.to_string()))
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
            duration: Duration::ZERO,
        }
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
