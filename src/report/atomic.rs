//! report: writes a report file whole or not at all — a reader (CI, a browser, `verify`) never
//! sees half a file, even when the run is interrupted while writing.

use std::io::Write as _;
use std::path::Path;

/// Checks, before a run sends anything, that files can be written in `dir` (created when
/// missing, when `create`): a probe file is created and removed. A report that cannot be
/// written after the whole suite was sent wastes the run, and its requests.
pub fn probe_dir(dir: &Path, create: bool) -> std::io::Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if create {
        std::fs::create_dir_all(dir)?;
    }
    let probe = dir.join(format!(
        ".car-conformance-probe.{}-{}.tmp",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    std::fs::remove_file(&probe)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename: the
/// path holds either the old contents or the new, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_under_a_regular_file_is_not_writable() {
        let base = std::env::temp_dir().join(format!("car-probe-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).unwrap();
        probe_dir(&base.join("new/dir"), true).unwrap();
        assert!(base.join("new/dir").is_dir());
        assert_eq!(std::fs::read_dir(base.join("new/dir")).unwrap().count(), 0);
        std::fs::write(base.join("file"), "x").unwrap();
        assert!(probe_dir(&base.join("file/report"), true).is_err());
        assert!(probe_dir(&base.join("missing"), false).is_err());
        let _ = std::fs::remove_dir_all(&base);
    }
}
