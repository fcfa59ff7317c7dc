//! load: the suite built into the binary — the cases, the schemas (with the catalogue) and the
//! reference snapshots, compiled in so an installed binary runs from any directory. `init` writes
//! an editable copy of it; a run reads it from a verified copy in the user's cache directory, so
//! the loader, the fingerprint and `verify` see ordinary files and never the source tree.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use include_dir::{Dir, DirEntry, include_dir};
use sha2::{Digest, Sha256};

// Paths are resolved when the binary is compiled; nothing reads the source tree at run time.
// build.rs makes cargo rebuild when a file is added to or removed from these directories (an
// edit of an existing file is tracked by the compiler through `include_bytes!`).
static CASES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/cases");
static SCHEMAS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");
static SNAPSHOTS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/snapshots");

/// The parts of a suite directory, as `init` writes them and `--cases DIR` reads them.
pub const PARTS: [&str; 3] = ["cases", "schemas", "snapshots"];

/// One file of the built-in suite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedFile {
    /// `cases/auth/x.json`: `/`-separated, under the suite directory.
    pub path: String,
    pub contents: &'static [u8],
}

/// Why the built-in suite could not be written out.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    #[error(
        "{}: {} of the suite's files already exist there ({}{}); nothing was written. Give --force to overwrite them, or name an empty or new directory",
        dir.display(),
        existing.len(),
        existing.first().map(|p| p.display().to_string()).unwrap_or_default(),
        if existing.len() > 1 { ", …" } else { "" }
    )]
    WouldOverwrite {
        dir: PathBuf,
        existing: Vec<PathBuf>,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> SuiteError {
    let path = path.to_path_buf();
    move |source| SuiteError::Write { path, source }
}

/// Whether a file left in the source tree by an editor or a snapshot review belongs to the suite.
fn is_suite_file(path: &str) -> bool {
    !path.split('/').any(|part| part.starts_with('.'))
        && !path.ends_with(".snap.new")
        && !path.ends_with(".pending-snap")
}

fn walk(dir: &'static Dir<'static>, part: &str, out: &mut Vec<EmbeddedFile>) {
    for entry in dir.entries() {
        match entry {
            DirEntry::Dir(sub) => walk(sub, part, out),
            DirEntry::File(file) => {
                let Some(relative) = file.path().to_str() else {
                    continue;
                };
                let path = format!("{part}/{}", relative.replace('\\', "/"));
                if is_suite_file(&path) {
                    out.push(EmbeddedFile {
                        path,
                        contents: file.contents(),
                    });
                }
            }
        }
    }
}

/// Every file of the built-in suite, sorted by path.
pub fn files() -> &'static [EmbeddedFile] {
    static FILES: std::sync::OnceLock<Vec<EmbeddedFile>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        let mut files = Vec::new();
        for (dir, part) in [
            (&CASES, "cases"),
            (&SCHEMAS, "schemas"),
            (&SNAPSHOTS, "snapshots"),
        ] {
            walk(dir, part, &mut files);
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    })
}

/// The number of case files built in.
pub fn case_file_count() -> usize {
    files()
        .iter()
        .filter(|f| f.path.starts_with("cases/") && f.path.ends_with(".json"))
        .count()
}

/// A short hash of every built-in file and its path: names the cached copy, so two builds with
/// different cases never share one.
pub fn content_key() -> String {
    let mut hash = Sha256::new();
    for file in files() {
        hash.update(file.path.as_bytes());
        hash.update([0]);
        hash.update((file.contents.len() as u64).to_le_bytes());
        hash.update(file.contents);
    }
    hex::encode(&hash.finalize()[..8])
}

/// Writes the built-in suite to `dest` (`cases/`, `schemas/`, `snapshots/`): an editable copy
/// that runs with `--cases DEST`. Refuses, writing nothing, when any of its files exists unless
/// `overwrite`; files of `dest` that are not the suite's are left alone. Returns the files written.
pub fn export(dest: &Path, overwrite: bool) -> Result<Vec<PathBuf>, SuiteError> {
    let targets: Vec<(PathBuf, &EmbeddedFile)> =
        files().iter().map(|f| (dest.join(&f.path), f)).collect();
    if !overwrite {
        let existing: Vec<PathBuf> = targets
            .iter()
            .filter(|(path, _)| path.symlink_metadata().is_ok())
            .map(|(path, _)| path.clone())
            .collect();
        if !existing.is_empty() {
            return Err(SuiteError::WouldOverwrite {
                dir: dest.to_path_buf(),
                existing,
            });
        }
    }
    write_all(&targets)?;
    // The snapshot directory exists even when no snapshot is built in: a run of the copy records
    // there.
    let snapshots = dest.join("snapshots");
    std::fs::create_dir_all(&snapshots).map_err(write_error(&snapshots))?;
    Ok(targets.into_iter().map(|(path, _)| path).collect())
}

fn write_all(targets: &[(PathBuf, &EmbeddedFile)]) -> Result<(), SuiteError> {
    for (path, file) in targets {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(write_error(parent))?;
        }
        std::fs::write(path, file.contents).map_err(write_error(path))?;
    }
    Ok(())
}

/// A copy of another build that no run has used for this long is removed.
const UNUSED_COPY_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where the built-in suite of this binary may be read from, in order:
/// `$XDG_CACHE_HOME/car-conformance/suite-VERSION-KEY`, else under `$HOME/.cache`; then under the
/// system's temporary directory (a home that cannot be written).
pub fn builtin_dirs() -> Vec<PathBuf> {
    let absolute = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let name = format!("suite-{}-{}", env!("CARGO_PKG_VERSION"), content_key());
    let cache = absolute("XDG_CACHE_HOME").or_else(|| absolute("HOME").map(|h| h.join(".cache")));
    cache
        .into_iter()
        .chain([std::env::temp_dir()])
        .map(|root| root.join("car-conformance").join(&name))
        .collect()
}

/// Whether `path` lies in a copy of the built-in suite (whose snapshots are never written).
pub fn is_builtin_copy(path: &Path) -> bool {
    builtin_dirs().iter().any(|dir| path.starts_with(dir))
}

/// Writes the built-in suite to the first of [`builtin_dirs`] that can hold it, unless an exact
/// copy is there already, and returns that directory. Copies of other builds unused for a week
/// are removed on the way.
pub fn materialize() -> Result<PathBuf, SuiteError> {
    let mut failed = None;
    for dir in builtin_dirs() {
        match materialize_at(&dir) {
            Ok(dir) => {
                remove_unused_copies(&dir, UNUSED_COPY_LIFETIME);
                return Ok(dir);
            }
            Err(error) => failed = Some(error),
        }
    }
    Err(failed.expect("builtin_dirs is never empty"))
}

/// Marks `current` as used now and removes its siblings (other builds' copies, staging
/// directories of runs that died) not used for `lifetime`. Best effort: a copy that cannot be
/// removed stays.
fn remove_unused_copies(current: &Path, lifetime: Duration) {
    if let Ok(dir) = std::fs::File::open(current) {
        let _ = dir.set_modified(SystemTime::now());
    }
    let Some(parent) = current.parent() else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with("suite-") || name.starts_with(".suite-");
        let unused = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|at| at.elapsed().ok())
            .is_some_and(|age| age > lifetime);
        if ours && unused && path != current && path.is_dir() {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// Makes `dir` hold exactly the built-in suite: kept when it does (every file, nothing more),
/// otherwise written anew in a sibling and renamed into place, so a run never reads a copy that
/// is partial, edited or from another build, and concurrent runs never see one half written.
pub fn materialize_at(dir: &Path) -> Result<PathBuf, SuiteError> {
    if holds_exactly(dir, files()) {
        return Ok(dir.to_path_buf());
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(write_error(parent))?;
    let nanos = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let name = dir.file_name().unwrap_or_default().to_string_lossy();
    let staging = parent.join(format!(".{name}.{}.{nanos}", std::process::id()));
    let targets: Vec<(PathBuf, &EmbeddedFile)> =
        files().iter().map(|f| (staging.join(&f.path), f)).collect();
    let written = write_all(&targets).and_then(|()| {
        for part in PARTS {
            let path = staging.join(part);
            std::fs::create_dir_all(&path).map_err(write_error(&path))?;
        }
        Ok(())
    });
    if let Err(error) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(error);
    }
    if dir.exists() {
        if holds_exactly(dir, files()) {
            // Another run put a good copy there meanwhile: it may be reading it already.
            let _ = std::fs::remove_dir_all(&staging);
            return Ok(dir.to_path_buf());
        }
        // Edited or partial: replaced whole.
        let _ = std::fs::remove_dir_all(dir);
    }
    let renamed = std::fs::rename(&staging, dir);
    let _ = std::fs::remove_dir_all(&staging);
    match renamed {
        Ok(()) => Ok(dir.to_path_buf()),
        Err(_) if holds_exactly(dir, files()) => Ok(dir.to_path_buf()),
        Err(source) => Err(SuiteError::Write {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// Whether `dir` holds `expected` and no other file, byte for byte.
fn holds_exactly(dir: &Path, expected: &[EmbeddedFile]) -> bool {
    let mut found = BTreeMap::new();
    if !list(dir, "", &mut found) || found.len() != expected.len() {
        return false;
    }
    expected.iter().all(|file| {
        found
            .get(file.path.as_str())
            .is_some_and(|path| std::fs::read(path).is_ok_and(|bytes| bytes == file.contents))
    })
}

fn list(dir: &Path, prefix: &str, out: &mut BTreeMap<String, PathBuf>) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    for entry in entries {
        let Ok(entry) = entry else { return false };
        let name = entry.file_name().to_string_lossy().into_owned();
        let label = format!("{prefix}{name}");
        let path = entry.path();
        if path.is_dir() {
            if !list(&path, &format!("{label}/"), out) {
                return false;
            }
        } else {
            out.insert(label, path);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("car-suite-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn the_built_in_suite_holds_cases_schemas_and_the_catalogue() {
        let paths: Vec<&str> = files().iter().map(|f| f.path.as_str()).collect();
        assert!(case_file_count() > 20, "{paths:?}");
        for needed in [
            "schemas/catalogue.json",
            "schemas/case.schema.json",
            "schemas/report.schema.json",
        ] {
            assert!(paths.contains(&needed), "{needed} missing: {paths:?}");
        }
        assert!(paths.iter().all(|p| is_suite_file(p)), "{paths:?}");
        assert!(paths.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn editor_and_review_leftovers_are_not_suite_files() {
        assert!(is_suite_file("cases/auth/a.json"));
        assert!(!is_suite_file("cases/auth/.a.json.swp"));
        assert!(!is_suite_file("snapshots/x__create1@mock.snap.new"));
        assert!(!is_suite_file("snapshots/x.pending-snap"));
    }

    #[test]
    fn export_writes_every_file_and_refuses_to_overwrite_unless_told() {
        let dir = temp_dir("export");
        let written = export(&dir, false).unwrap();
        assert_eq!(written.len(), files().len());
        let catalogue = dir.join("schemas/catalogue.json");
        assert!(catalogue.is_file() && dir.join("snapshots").is_dir());

        std::fs::write(&catalogue, "edited").unwrap();
        let refused = export(&dir, false).unwrap_err();
        assert!(
            matches!(&refused, SuiteError::WouldOverwrite { existing, .. } if existing.len() == files().len()),
            "{refused}"
        );
        assert!(refused.to_string().contains("--force"), "{refused}");
        assert_eq!(std::fs::read_to_string(&catalogue).unwrap(), "edited");

        export(&dir, true).unwrap();
        assert_ne!(std::fs::read_to_string(&catalogue).unwrap(), "edited");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_partial_or_edited_copy_is_replaced_and_an_exact_one_kept() {
        let dir = temp_dir("materialize").join("suite-x");
        assert_eq!(materialize_at(&dir).unwrap(), dir);
        assert!(holds_exactly(&dir, files()));

        let case = dir.join(&files()[0].path);
        std::fs::write(&case, "{}").unwrap();
        assert!(!holds_exactly(&dir, files()));
        materialize_at(&dir).unwrap();
        assert!(holds_exactly(&dir, files()));

        let extra = dir.join("cases/extra.json");
        std::fs::write(&extra, "{}").unwrap();
        materialize_at(&dir).unwrap();
        assert!(!extra.exists());

        std::fs::remove_file(&case).unwrap();
        materialize_at(&dir).unwrap();
        assert!(holds_exactly(&dir, files()));
        let leftovers = std::fs::read_dir(dir.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "staging directories are removed");
        std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
    }

    #[test]
    fn the_cached_copy_is_named_by_version_and_contents() {
        assert_eq!(content_key(), content_key());
        assert_eq!(content_key().len(), 16);
        let name = format!("suite-{}-{}", env!("CARGO_PKG_VERSION"), content_key());
        let dirs = builtin_dirs();
        assert!(dirs.iter().all(|d| d.ends_with(&name)), "{dirs:?}");
        assert!(dirs.last().unwrap().starts_with(std::env::temp_dir()));
        assert!(is_builtin_copy(&dirs[0].join("snapshots/a.snap")));
        assert!(!is_builtin_copy(Path::new("snapshots")));
    }

    #[test]
    fn copies_unused_for_the_lifetime_are_removed_and_the_current_one_kept() {
        let root = temp_dir("prune");
        let current = root.join("suite-current");
        let names = ["suite-current", "suite-old", ".suite-old.1.2", "unrelated"];
        // Ages are set, not waited for, so a loaded machine cannot age the current copy too.
        let lifetime = Duration::from_secs(3600);
        let long_ago = SystemTime::now() - 2 * lifetime;
        for name in names {
            std::fs::create_dir_all(root.join(name)).unwrap();
            let dir = std::fs::File::open(root.join(name)).unwrap();
            dir.set_modified(long_ago).unwrap();
        }
        remove_unused_copies(&current, lifetime);
        let left = || {
            let mut left: Vec<String> = std::fs::read_dir(&root)
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            left.sort();
            left
        };
        assert_eq!(left(), ["suite-current", "unrelated"]);
        // Another build's run right after: the copy just used is not old.
        std::fs::create_dir_all(root.join("suite-other")).unwrap();
        remove_unused_copies(&root.join("suite-other"), lifetime);
        assert_eq!(left(), ["suite-current", "suite-other", "unrelated"]);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
