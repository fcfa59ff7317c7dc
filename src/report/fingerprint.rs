//! report: the suite's fingerprint — a SHA-256 over every case and schema file (sorted paths), so a
//! certification report says exactly which suite judged the target and `verify` can tell, file by
//! file, whether this checkout is that suite. Snapshots are left out: they are per target and a
//! first run against a new target records them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The algorithm named in reports.
pub const ALGORITHM: &str = "sha256";

/// One fingerprinted file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileHash {
    /// `cases/…` or `schemas/…`, with `/` separators whatever the platform.
    pub path: String,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
}

/// The fingerprint of a suite's cases and schemas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub algorithm: String,
    /// SHA-256 of the manifest: one `SHA256  PATH\n` line per file (as `sha256sum` prints), in
    /// path order.
    pub sha256: String,
    /// Every file, sorted by path.
    pub files: Vec<FileHash>,
}

/// Why a directory could not be fingerprinted.
#[derive(Debug, thiserror::Error)]
#[error("cannot fingerprint {}: {source}", path.display())]
pub struct FingerprintError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// How two fingerprints differ, file by file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Difference {
    pub changed: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl Difference {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        for (what, paths) in [
            ("changed", &self.changed),
            ("added", &self.added),
            ("removed", &self.removed),
        ] {
            if !paths.is_empty() {
                parts.push(format!("{what}: {}", paths.join(", ")));
            }
        }
        f.write_str(&parts.join("; "))
    }
}

impl Fingerprint {
    /// The fingerprint of `files` (sorted here).
    pub fn of(mut files: Vec<FileHash>) -> Self {
        files.sort();
        let mut manifest = String::new();
        for file in &files {
            let _ = writeln!(manifest, "{}  {}", file.sha256, file.path);
        }
        Self {
            algorithm: ALGORITHM.to_owned(),
            sha256: hex::encode(Sha256::digest(manifest.as_bytes())),
            files,
        }
    }

    /// Fingerprints every file under `cases_dir` (as `cases/…`) and `schemas_dir` (as
    /// `schemas/…`). Names starting with `.` (editor swap files, `.git`) are left out.
    pub fn of_suite(cases_dir: &Path, schemas_dir: &Path) -> Result<Self, FingerprintError> {
        let mut files = Vec::new();
        collect(cases_dir, "cases", &mut files)?;
        collect(schemas_dir, "schemas", &mut files)?;
        Ok(Self::of(files))
    }

    /// The first 12 hex digits, for one-line displays.
    pub fn short(&self) -> &str {
        &self.sha256[..self.sha256.len().min(12)]
    }

    /// What changed from `recorded` (a report's) to `self` (this checkout's).
    pub fn difference_from(&self, recorded: &Fingerprint) -> Difference {
        use std::collections::BTreeMap;
        let old: BTreeMap<&str, &str> = recorded
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.sha256.as_str()))
            .collect();
        let new: BTreeMap<&str, &str> = self
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.sha256.as_str()))
            .collect();
        let mut difference = Difference::default();
        for (path, hash) in &new {
            match old.get(path) {
                None => difference.added.push((*path).to_owned()),
                Some(old_hash) if old_hash != hash => difference.changed.push((*path).to_owned()),
                Some(_) => {}
            }
        }
        for path in old.keys().filter(|p| !new.contains_key(*p)) {
            difference.removed.push((*path).to_owned());
        }
        difference
    }
}

fn collect(dir: &Path, label: &str, files: &mut Vec<FileHash>) -> Result<(), FingerprintError> {
    let error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FingerprintError { path, source }
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(error(dir))?
        .collect::<Result<_, _>>()
        .map_err(error(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let label = format!("{label}/{name}");
        // Follow symbolic links: what the loader reads is what is fingerprinted.
        let meta = std::fs::metadata(&path).map_err(error(&path))?;
        if meta.is_dir() {
            collect(&path, &label, files)?;
        } else if meta.is_file() {
            let bytes = std::fs::read(&path).map_err(error(&path))?;
            files.push(FileHash {
                path: label,
                sha256: hex::encode(Sha256::digest(&bytes)),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("car-fp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("cases/auth")).unwrap();
        std::fs::create_dir_all(dir.join("schemas")).unwrap();
        std::fs::write(dir.join("cases/auth/a.json"), "{}").unwrap();
        std::fs::write(dir.join("cases/b.json"), "[]").unwrap();
        std::fs::write(dir.join("cases/.b.json.swp"), "junk").unwrap();
        std::fs::write(dir.join("schemas/s.json"), "{}").unwrap();
        dir
    }

    #[test]
    fn every_file_counts_and_edits_show_by_name() {
        let dir = temp("edit");
        let before = Fingerprint::of_suite(&dir.join("cases"), &dir.join("schemas")).unwrap();
        let paths: Vec<&str> = before.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["cases/auth/a.json", "cases/b.json", "schemas/s.json"]
        );
        assert_eq!(before.sha256.len(), 64);
        // The same files give the same fingerprint.
        let again = Fingerprint::of_suite(&dir.join("cases"), &dir.join("schemas")).unwrap();
        assert_eq!(before, again);

        std::fs::write(dir.join("cases/auth/a.json"), "{ }").unwrap();
        std::fs::write(dir.join("schemas/new.json"), "{}").unwrap();
        std::fs::remove_file(dir.join("cases/b.json")).unwrap();
        let after = Fingerprint::of_suite(&dir.join("cases"), &dir.join("schemas")).unwrap();
        assert_ne!(after.sha256, before.sha256);
        let difference = after.difference_from(&before);
        assert_eq!(difference.changed, ["cases/auth/a.json"]);
        assert_eq!(difference.added, ["schemas/new.json"]);
        assert_eq!(difference.removed, ["cases/b.json"]);
        assert_eq!(
            difference.to_string(),
            "changed: cases/auth/a.json; added: schemas/new.json; removed: cases/b.json"
        );
        assert!(after.difference_from(&after).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_moved_file_changes_the_fingerprint() {
        let a = Fingerprint::of(vec![FileHash {
            path: "cases/a.json".into(),
            sha256: "00".into(),
        }]);
        let b = Fingerprint::of(vec![FileHash {
            path: "cases/b.json".into(),
            sha256: "00".into(),
        }]);
        assert_ne!(a.sha256, b.sha256);
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_it() {
        let error = Fingerprint::of_suite(Path::new("/nonexistent/cases"), Path::new("/x"))
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("cannot fingerprint /nonexistent/cases"),
            "{error}"
        );
    }
}
