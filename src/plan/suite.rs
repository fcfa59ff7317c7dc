//! plan: which suite a run reads — `--cases` / `--schemas` / `--snapshots` (or `CAR_CASES`,
//! `CAR_SCHEMAS`, `CAR_SNAPSHOTS`) when given, else the suite built into the binary; never the
//! source tree the binary was built from, so an installed binary behaves the same everywhere.

use std::path::{Path, PathBuf};

use crate::case::suite::{self, SuiteError};

/// The directories a run reads its cases, schemas and snapshots from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuiteDirs {
    pub cases: PathBuf,
    pub schemas: PathBuf,
    pub snapshots: PathBuf,
}

impl SuiteDirs {
    /// The parts of the suite directory `root` (`root/cases`, `root/schemas`, `root/snapshots`).
    pub fn under(root: &Path) -> Self {
        SuiteDirs {
            cases: root.join("cases"),
            schemas: root.join("schemas"),
            snapshots: root.join("snapshots"),
        }
    }

    /// The suite built into the binary.
    pub fn builtin() -> Result<Self, SuiteError> {
        resolve(SuiteFlags::default())
    }
}

/// The flags (or their environment variables) as given; empty values count as absent.
#[derive(Debug, Clone, Default)]
pub struct SuiteFlags {
    pub cases: Option<PathBuf>,
    pub schemas: Option<PathBuf>,
    pub snapshots: Option<PathBuf>,
}

/// Where a run reads its suite, each part on its own:
///
/// 1. the flag (`--cases DIR`, `--schemas DIR`, `--snapshots DIR`) or its variable;
/// 2. for schemas and snapshots, the suite `--cases` belongs to: `--cases DIR` naming a suite
///    directory (`DIR/cases/`, as `init` writes it) or its `cases/` directory takes that suite's
///    `schemas/` (when present) and `snapshots/` (created when a snapshot is recorded);
/// 3. the suite built into the binary (its snapshots read-only).
///
/// The built-in suite is written to the cache directory only when some part needs it.
pub fn resolve(flags: SuiteFlags) -> Result<SuiteDirs, SuiteError> {
    resolve_with(flags, suite::materialize)
}

fn resolve_with(
    flags: SuiteFlags,
    builtin: impl FnOnce() -> Result<PathBuf, SuiteError>,
) -> Result<SuiteDirs, SuiteError> {
    let given = |p: Option<PathBuf>| p.filter(|p| !p.as_os_str().is_empty());
    let (cases, root) = match given(flags.cases) {
        Some(dir) => {
            let root = suite_root(&dir);
            let cases = if root.as_ref() == Some(&dir) {
                dir.join("cases")
            } else {
                dir
            };
            (Some(cases), root)
        }
        None => (None, None),
    };
    let schemas = given(flags.schemas).or_else(|| {
        root.as_ref()
            .map(|r| r.join("schemas"))
            .filter(|s| s.is_dir())
    });
    let snapshots = given(flags.snapshots).or_else(|| root.as_ref().map(|r| r.join("snapshots")));
    let copy = match (&cases, &schemas, &snapshots) {
        (Some(_), Some(_), Some(_)) => PathBuf::new(),
        _ => builtin()?,
    };
    Ok(SuiteDirs {
        cases: cases.unwrap_or_else(|| copy.join("cases")),
        schemas: schemas.unwrap_or_else(|| copy.join("schemas")),
        snapshots: snapshots.unwrap_or_else(|| copy.join("snapshots")),
    })
}

/// The suite directory `dir` belongs to: `dir` itself when it holds `cases/`, its parent when
/// it is a directory named `cases`; a directory of case files elsewhere belongs to none.
fn suite_root(dir: &Path) -> Option<PathBuf> {
    if dir.join("cases").is_dir() {
        return Some(dir.to_path_buf());
    }
    if dir.file_name().is_some_and(|n| n == "cases") {
        let parent = dir.parent().unwrap_or(Path::new(""));
        return Some(if parent.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            parent.to_path_buf()
        });
    }
    None
}

/// Whether `dir` is the built-in suite's: its snapshots are compared with, never written.
pub fn is_builtin(dir: &Path) -> bool {
    suite::is_builtin_copy(dir)
}

/// `the built-in suite (…)` or the directory, as a run's header names where cases came from.
pub fn describe(dir: &Path) -> String {
    if is_builtin(dir) {
        format!(
            "the built-in suite ({} case files of car-conformance {})",
            suite::case_file_count(),
            env!("CARGO_PKG_VERSION")
        )
    } else {
        dir.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("car-plan-suite-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn resolved(flags: SuiteFlags) -> (SuiteDirs, bool) {
        let mut used = false;
        let dirs = resolve_with(flags, || {
            used = true;
            Ok(PathBuf::from("/builtin"))
        })
        .unwrap();
        (dirs, used)
    }

    #[test]
    fn nothing_given_reads_the_built_in_suite() {
        let (dirs, used) = resolved(SuiteFlags::default());
        assert!(used);
        assert_eq!(dirs.cases, Path::new("/builtin/cases"));
        assert_eq!(dirs.schemas, Path::new("/builtin/schemas"));
        assert_eq!(dirs.snapshots, Path::new("/builtin/snapshots"));
    }

    #[test]
    fn every_part_given_never_writes_the_built_in_copy() {
        let (dirs, used) = resolved(SuiteFlags {
            cases: Some("c".into()),
            schemas: Some("s".into()),
            snapshots: Some("n".into()),
        });
        assert!(!used);
        assert_eq!(
            dirs,
            SuiteDirs {
                cases: "c".into(),
                schemas: "s".into(),
                snapshots: "n".into()
            }
        );
    }

    #[test]
    fn a_suite_directory_brings_its_schemas_and_snapshots() {
        let root = temp_dir("root");
        std::fs::create_dir_all(root.join("cases/auth")).unwrap();
        std::fs::create_dir_all(root.join("schemas")).unwrap();
        for given in [root.clone(), root.join("cases")] {
            let (dirs, used) = resolved(SuiteFlags {
                cases: Some(given),
                ..SuiteFlags::default()
            });
            assert!(!used);
            assert_eq!(dirs.cases, root.join("cases"));
            assert_eq!(dirs.schemas, root.join("schemas"));
            assert_eq!(dirs.snapshots, root.join("snapshots"));
        }
        // Without schemas/ there, the built-in schemas; a flag still wins.
        std::fs::remove_dir_all(root.join("schemas")).unwrap();
        let (dirs, _) = resolved(SuiteFlags {
            cases: Some(root.clone()),
            snapshots: Some("n".into()),
            ..SuiteFlags::default()
        });
        assert_eq!(dirs.schemas, Path::new("/builtin/schemas"));
        assert_eq!(dirs.snapshots, Path::new("n"));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_loose_case_directory_uses_the_built_in_schemas_and_snapshots() {
        let loose = temp_dir("loose");
        let (dirs, _) = resolved(SuiteFlags {
            cases: Some(loose.clone()),
            ..SuiteFlags::default()
        });
        assert_eq!(dirs.cases, loose);
        assert_eq!(dirs.schemas, Path::new("/builtin/schemas"));
        assert_eq!(dirs.snapshots, Path::new("/builtin/snapshots"));
        std::fs::remove_dir_all(&loose).unwrap();
    }

    #[test]
    fn a_relative_cases_directory_finds_its_siblings() {
        assert_eq!(suite_root(Path::new("cases")), Some(PathBuf::from(".")));
        assert_eq!(suite_root(Path::new("x/cases")), Some(PathBuf::from("x")));
        assert_eq!(suite_root(Path::new("/nonexistent/other")), None);
    }

    #[test]
    fn only_the_built_in_copy_is_read_only() {
        assert!(is_builtin(&suite::builtin_dirs()[0].join("snapshots")));
        assert!(!is_builtin(Path::new("snapshots")));
        assert!(
            describe(&suite::builtin_dirs()[0].join("cases")).starts_with("the built-in suite")
        );
    }
}
