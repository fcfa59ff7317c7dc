//! check: insta snapshots of normalised answers in `snapshots/` — volatile values (RequestId,
//! ServerSession, the run's UserIds) redacted, one file per snapshotted step named after the case
//! id with a per-target suffix (`@mock`, `@car.tencentcloudapi.com`), so a vendor's snapshots never
//! collide with the mock's. Files are in insta's format (`cargo insta review` works on them);
//! `INSTA_UPDATE` is honoured and nothing is ever written on CI.

use std::path::{Path, PathBuf};

use insta::TextSnapshotKind;
use insta::internals::TextSnapshotContents;
use serde_json::{Map, Value};

/// When snapshot files are written (insta's `INSTA_UPDATE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateMode {
    /// Never write (`no`, and always on CI).
    No,
    /// Write `.snap.new` files for review (`new`; `auto` off CI, insta's default).
    New,
    /// Write `.snap` files for new snapshots and `.snap.new` for changed ones (`unseen`).
    Unseen,
    /// Write `.snap` files (`always`, `1`, `force`).
    Always,
}

impl UpdateMode {
    /// From `INSTA_UPDATE` and `CI`, as insta reads them; CI never writes.
    pub fn from_env() -> Self {
        let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
        Self::from_values(std::env::var("INSTA_UPDATE").ok().as_deref(), ci)
    }

    pub fn from_values(insta_update: Option<&str>, ci: bool) -> Self {
        if ci {
            return UpdateMode::No;
        }
        match insta_update.unwrap_or("auto") {
            "no" => UpdateMode::No,
            "unseen" => UpdateMode::Unseen,
            "always" | "1" | "force" => UpdateMode::Always,
            _ => UpdateMode::New,
        }
    }
}

/// The result of comparing an answer with its snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Matched,
    /// No snapshot yet; written to the path when the mode allows (a note, not a failure: there
    /// is nothing to compare against on a first run).
    New {
        written: Option<PathBuf>,
    },
    /// The snapshot was (re)written as `.snap` (`INSTA_UPDATE=always`).
    Updated {
        path: PathBuf,
    },
    /// The answer differs: a failure. `pending` is the `.snap.new` written for review.
    Differs {
        path: PathBuf,
        diff: String,
        pending: Option<PathBuf>,
    },
}

/// The snapshot directory of a run and its target suffix.
#[derive(Debug, Clone)]
pub struct Snapshots {
    pub dir: PathBuf,
    pub suffix: String,
    pub mode: UpdateMode,
}

/// Replaces what is not a file-name character by `_`.
fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Snapshots {
    /// `snapshots/<case id, / as __>__<phase><n>@<target>.snap`.
    pub fn path(&self, case_id: &str, step: &str) -> PathBuf {
        let name = format!(
            "{}__{}@{}.snap",
            sanitize(&case_id.replace('/', "__")),
            sanitize(step),
            sanitize(&self.suffix)
        );
        self.dir.join(name)
    }

    /// Compares `content` with the snapshot at `path`, writing files as the mode says.
    pub fn check(&self, path: &Path, source: &str, expression: &str, content: &str) -> Verdict {
        let new = TextSnapshotContents::new(content.to_owned(), TextSnapshotKind::File);
        let pending = path.with_extension("snap.new");
        if path.is_file() {
            let old = insta::Snapshot::from_file(path)
                .ok()
                .and_then(|s| s.contents().as_text().cloned());
            if let Some(old) = &old
                && old.matches_latest(&new)
            {
                let _ = std::fs::remove_file(&pending);
                return Verdict::Matched;
            }
            if self.mode == UpdateMode::Always && write(path, source, expression, content) {
                return Verdict::Updated {
                    path: path.to_path_buf(),
                };
            }
            let written = matches!(self.mode, UpdateMode::New | UpdateMode::Unseen)
                && write(&pending, source, expression, content);
            let old_text = old.map(|o| o.to_string()).unwrap_or_default();
            return Verdict::Differs {
                path: path.to_path_buf(),
                diff: diff(&old_text, &new.to_string()),
                pending: written.then_some(pending),
            };
        }
        let target = match self.mode {
            UpdateMode::No => None,
            UpdateMode::New => Some(pending),
            UpdateMode::Unseen | UpdateMode::Always => Some(path.to_path_buf()),
        };
        let written = target.filter(|t| write(t, source, expression, content));
        Verdict::New { written }
    }
}

/// Writes a snapshot in insta's format; `false` when it cannot (reported as not written).
fn write(path: &Path, source: &str, expression: &str, content: &str) -> bool {
    let header = format!(
        "---\nsource: {}\nexpression: {}\n---\n",
        serde_json::to_string(source).unwrap_or_default(),
        serde_json::to_string(expression).unwrap_or_default()
    );
    path.parent()
        .is_some_and(|dir| std::fs::create_dir_all(dir).is_ok())
        && std::fs::write(path, format!("{header}{content}\n")).is_ok()
}

/// The snapshot text of an answer: status, media type and body, volatile values redacted.
/// `volatile` lists (value, placeholder) pairs, e.g. the case's UserIds.
pub fn normalise(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    volatile: &[(String, &str)],
) -> String {
    let mut out = Map::new();
    out.insert("status".into(), Value::from(status));
    out.insert(
        "content_type".into(),
        content_type.map_or(Value::Null, |c| {
            Value::from(c.split(';').next().unwrap_or(c).trim())
        }),
    );
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => {
            out.insert("body".into(), redact(value, volatile));
        }
        Err(_) => {
            let text = replace_volatile(&String::from_utf8_lossy(body), volatile);
            out.insert("body_text".into(), Value::from(text));
        }
    }
    serde_json::to_string_pretty(&Value::Object(out)).unwrap_or_default()
}

/// Keys whose values change on every call.
const VOLATILE_KEYS: [(&str, &str); 2] = [
    ("RequestId", "[request_id]"),
    ("ServerSession", "[server_session]"),
];

fn redact(value: Value, volatile: &[(String, &str)]) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, item)| {
                    let fixed = VOLATILE_KEYS.iter().find(|(k, _)| *k == key);
                    let item = match (fixed, &item) {
                        (Some((_, placeholder)), Value::String(_)) => Value::from(*placeholder),
                        _ => redact(item, volatile),
                    };
                    (key, item)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|i| redact(i, volatile)).collect())
        }
        Value::String(text) => Value::String(replace_volatile(&text, volatile)),
        other => other,
    }
}

fn replace_volatile(text: &str, volatile: &[(String, &str)]) -> String {
    let mut out = text.to_owned();
    // Longest first, so `user-1-guest` is not half-replaced by `user-1`.
    let mut pairs: Vec<&(String, &str)> = volatile.iter().filter(|(v, _)| !v.is_empty()).collect();
    pairs.sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
    for (value, placeholder) in pairs {
        out = out.replace(value.as_str(), placeholder);
    }
    out
}

/// A line diff (`-` old, `+` new), from the longest common subsequence of lines.
pub fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("       {}\n", a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("     - {}\n", a[i]));
            i += 1;
        } else {
            out.push_str(&format!("     + {}\n", b[j]));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("car-snap-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn store(dir: &Path, mode: UpdateMode) -> Snapshots {
        Snapshots {
            dir: dir.to_path_buf(),
            suffix: "mock".into(),
            mode,
        }
    }

    #[test]
    fn volatile_values_are_redacted() {
        let body = br#"{"Response": {"ServerSession": "abc", "RequestId": "r-1", "Error": {"Message": "user u-1-guest and u-1"}}}"#;
        let volatile = vec![
            ("u-1".to_owned(), "[user_id]"),
            ("u-1-guest".to_owned(), "[user_id.guest]"),
        ];
        let text = normalise(
            200,
            Some("application/json; charset=utf-8"),
            body,
            &volatile,
        );
        assert_eq!(
            text,
            "{\n  \"status\": 200,\n  \"content_type\": \"application/json\",\n  \"body\": {\n    \"Response\": {\n      \"ServerSession\": \"[server_session]\",\n      \"RequestId\": \"[request_id]\",\n      \"Error\": {\n        \"Message\": \"user [user_id.guest] and [user_id]\"\n      }\n    }\n  }\n}"
        );
        let raw = normalise(400, None, b"oops u-1", &volatile);
        assert!(raw.contains("\"body_text\": \"oops [user_id]\""));
    }

    #[test]
    fn names_carry_the_case_id_step_and_target() {
        let s = store(Path::new("snapshots"), UpdateMode::No);
        assert_eq!(
            s.path("protocol/basic/ok", "steps1"),
            Path::new("snapshots/protocol__basic__ok__steps1@mock.snap")
        );
        let vendor = Snapshots {
            suffix: "car.example.com:443".into(),
            ..s
        };
        assert_eq!(
            vendor.path("a/b", "steps1"),
            Path::new("snapshots/a__b__steps1@car.example.com_443.snap")
        );
    }

    #[test]
    fn a_new_snapshot_is_written_per_mode_and_then_matches() {
        let dir = temp_dir("new");
        let path = dir.join("a@mock.snap");
        assert_eq!(
            store(&dir, UpdateMode::No).check(&path, "cases/a.json", "a", "{}"),
            Verdict::New { written: None }
        );
        assert!(!dir.exists());
        let pending = store(&dir, UpdateMode::New).check(&path, "cases/a.json", "a", "{}");
        assert_eq!(
            pending,
            Verdict::New {
                written: Some(path.with_extension("snap.new"))
            }
        );
        assert!(!path.exists());
        let written =
            store(&dir, UpdateMode::Always).check(&path, "cases/a.json", "a", "{\n  \"x\": 1\n}");
        assert_eq!(
            written,
            Verdict::New {
                written: Some(path.clone())
            }
        );
        // insta itself reads the file back.
        let read = insta::Snapshot::from_file(&path).unwrap();
        assert_eq!(read.metadata().source(), Some("cases/a.json"));
        assert_eq!(
            store(&dir, UpdateMode::No).check(&path, "cases/a.json", "a", "{\n  \"x\": 1\n}"),
            Verdict::Matched
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_changed_answer_differs_and_is_only_written_for_review() {
        let dir = temp_dir("differs");
        let path = dir.join("a@mock.snap");
        store(&dir, UpdateMode::Always).check(&path, "s", "e", "{\n  \"x\": 1\n}");
        match store(&dir, UpdateMode::No).check(&path, "s", "e", "{\n  \"x\": 2\n}") {
            Verdict::Differs { diff, pending, .. } => {
                assert_eq!(
                    diff,
                    "       {\n     -   \"x\": 1\n     +   \"x\": 2\n       }\n"
                );
                assert_eq!(pending, None);
            }
            other => panic!("{other:?}"),
        }
        let verdict = store(&dir, UpdateMode::New).check(&path, "s", "e", "{\n  \"x\": 2\n}");
        assert!(matches!(
            verdict,
            Verdict::Differs {
                pending: Some(_),
                ..
            }
        ));
        let verdict = store(&dir, UpdateMode::Always).check(&path, "s", "e", "{\n  \"x\": 2\n}");
        assert_eq!(verdict, Verdict::Updated { path: path.clone() });
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ci_never_writes() {
        assert_eq!(
            UpdateMode::from_values(Some("always"), true),
            UpdateMode::No
        );
        assert_eq!(UpdateMode::from_values(None, false), UpdateMode::New);
        assert_eq!(UpdateMode::from_values(Some("no"), false), UpdateMode::No);
        assert_eq!(
            UpdateMode::from_values(Some("unseen"), false),
            UpdateMode::Unseen
        );
        assert_eq!(
            UpdateMode::from_values(Some("1"), false),
            UpdateMode::Always
        );
    }
}
