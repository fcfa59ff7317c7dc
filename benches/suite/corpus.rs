//! Bench (whole run): the scaling corpora — N copies of the real corpus, generated at bench time
//! into a temporary directory (never committed). Copy `k` of every case file goes under
//! `cNNNN/<its path>`, so its case ids are the originals prefixed with `cNNNN/`, and every
//! snapshot is copied under the matching name, so a copy does exactly the work of its original:
//! same requests, same checks, same snapshot comparisons.

use std::fs;
use std::path::{Path, PathBuf};

/// A generated corpus: its cases and snapshots directories, removed on drop.
#[derive(Debug)]
pub struct Corpus {
    pub root: PathBuf,
    pub cases: PathBuf,
    pub snapshots: PathBuf,
}

impl Drop for Corpus {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// The prefix of copy `index` (0-based): a directory name and a case-id prefix.
pub fn prefix(index: usize) -> String {
    format!("c{index:04}")
}

/// Writes `copies` copies of the case files under `cases` and of the snapshots under
/// `snapshots` into a fresh directory below `parent`.
pub fn generate(
    cases: &Path,
    snapshots: &Path,
    parent: &Path,
    copies: usize,
) -> Result<Corpus, String> {
    let root = parent.join(format!(
        "car-conformance-corpus-{}-{copies}x",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&root);
    let corpus = Corpus {
        cases: root.join("cases"),
        snapshots: root.join("snapshots"),
        root,
    };
    let files = case_files(cases)?;
    if files.is_empty() {
        return Err(format!("no case file under {}", cases.display()));
    }
    let snaps = snapshot_files(snapshots)?;
    fs::create_dir_all(&corpus.snapshots).map_err(|e| io(&corpus.snapshots, e))?;
    for index in 0..copies {
        let prefix = prefix(index);
        for relative in &files {
            let to = corpus.cases.join(&prefix).join(relative);
            if let Some(dir) = to.parent() {
                fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
            }
            fs::copy(cases.join(relative), &to).map_err(|e| io(&to, e))?;
        }
        // A snapshot is named after its case id, `/` written `__`.
        for name in &snaps {
            let to = corpus.snapshots.join(format!("{prefix}__{name}"));
            fs::copy(snapshots.join(name), &to).map_err(|e| io(&to, e))?;
        }
    }
    Ok(corpus)
}

fn io(path: &Path, error: std::io::Error) -> String {
    format!("{}: {error}", path.display())
}

/// Every `*.json` below `dir`, relative to it, sorted.
pub fn case_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
        for entry in fs::read_dir(dir).map_err(|e| io(dir, e))? {
            let path = entry.map_err(|e| io(dir, e))?.path();
            if path.is_dir() {
                walk(root, &path, out)?;
            } else if path.extension().is_some_and(|e| e == "json") {
                let relative = path.strip_prefix(root).map_err(|e| e.to_string())?;
                out.push(relative.to_path_buf());
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    files.sort();
    Ok(files)
}

/// The file names of the accepted snapshots (`*.snap`) in `dir`, sorted; none when it is absent.
pub fn snapshot_files(dir: &Path) -> Result<Vec<String>, String> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io(dir, e))? {
        let name = entry.map_err(|e| io(dir, e))?.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".snap") {
            names.push(name.into_owned());
        }
    }
    names.sort();
    Ok(names)
}
