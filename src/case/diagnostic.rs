//! load: one problem found in a case file, rendered like rustc (title, `-->` location, the source
//! line, a "did you mean"), and the typed error that carries all of them out of the loader.

use std::fmt;
use std::path::{Path, PathBuf};

use super::locate::{Position, line_text, locate};

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user named it (relative to the working directory when possible).
    pub file: PathBuf,
    /// Line and column, when the problem has a place in the text.
    pub position: Option<Position>,
    /// The JSON pointer of the offending value, when known.
    pub pointer: Option<String>,
    pub message: String,
    /// A suggestion, e.g. "did you mean `params`?".
    pub help: Option<String>,
    /// The source line at `position`, shown under the location.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// A problem with the whole file (unreadable, not JSON at all).
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            position: None,
            pointer: None,
            message: message.into(),
            help: None,
            source_line: None,
        }
    }

    /// A problem at a line and column of `text`.
    pub fn at_position(
        file: &Path,
        text: &str,
        position: Position,
        message: impl Into<String>,
    ) -> Self {
        Self {
            position: Some(position),
            source_line: line_text(text, position.line).map(str::to_owned),
            ..Self::file(file, message)
        }
    }

    /// A problem at the value `pointer` names in `text`.
    pub fn at_pointer(file: &Path, text: &str, pointer: &str, message: impl Into<String>) -> Self {
        let position = locate(text, pointer);
        Self {
            position,
            pointer: Some(pointer.to_owned()),
            source_line: position.and_then(|p| line_text(text, p.line).map(str::to_owned)),
            ..Self::file(file, message)
        }
    }

    pub fn with_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// Sort key: file, then position, then message, so output is deterministic.
    fn sort_key(&self) -> (&Path, Option<Position>, &str) {
        (&self.file, self.position, &self.message)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        write!(f, "  --> {}", self.file.display())?;
        if let Some(position) = self.position {
            write!(f, ":{position}")?;
        }
        if let Some(pointer) = &self.pointer {
            write!(
                f,
                " (at {})",
                if pointer.is_empty() { "/" } else { pointer }
            )?;
        }
        writeln!(f)?;
        if let (Some(position), Some(line)) = (self.position, &self.source_line) {
            let number = position.line.to_string();
            let pad = " ".repeat(number.len());
            let shown: String = line.chars().take(160).collect();
            let caret_pad: String = line
                .chars()
                .take(position.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(f, "{pad} |")?;
            writeln!(f, "{number} | {shown}")?;
            writeln!(f, "{pad} | {caret_pad}^")?;
        }
        if let Some(help) = &self.help {
            let width = self.position.map_or(1, |p| p.line.to_string().len());
            writeln!(f, "{}= help: {help}", " ".repeat(width + 1))?;
        }
        Ok(())
    }
}

/// Why the cases cannot be loaded. Nothing is sent when this is returned.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the cases directory {}: {source}", path.display())]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no case files (*.json) under {}", path.display())]
    NoCaseFiles { path: PathBuf },
    #[error("cannot load {}: {message}", path.display())]
    Support { path: PathBuf, message: String },
    #[error("{}", render_all(.0))]
    Invalid(Vec<Diagnostic>),
}

impl LoadError {
    /// The problems in case files, sorted; empty for the other kinds.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            LoadError::Invalid(all) => all,
            _ => &[],
        }
    }

    /// Builds `Invalid` from unsorted diagnostics (deduplicated, sorted by file and position).
    pub fn invalid(mut diagnostics: Vec<Diagnostic>) -> Self {
        diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        diagnostics.dedup();
        LoadError::Invalid(diagnostics)
    }
}

fn render_all(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        out.push_str(&diagnostic.to_string());
        out.push('\n');
    }
    let files = {
        let mut files: Vec<&Path> = diagnostics.iter().map(|d| d.file.as_path()).collect();
        files.dedup();
        files.len()
    };
    out.push_str(&format!(
        "error: the cases could not be loaded: {} problem{} in {} file{}; nothing was sent",
        diagnostics.len(),
        if diagnostics.len() == 1 { "" } else { "s" },
        files,
        if files == 1 { "" } else { "s" },
    ));
    out
}

/// "did you mean `X`?" when one of `candidates` is close to `wrong` (Jaro-Winkler ≥ 0.8 or a
/// case-insensitive match), the closest first.
pub fn did_you_mean<'a, I>(wrong: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = wrong.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            let score = if candidate.eq_ignore_ascii_case(wrong) {
                2.0
            } else {
                strsim::jaro_winkler(&lower, &candidate.to_ascii_lowercase())
            };
            (score, candidate)
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, best)| format!("did you mean `{best}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc_with_the_source_line_and_help() {
        let text = "{\n  \"cases\": [{\"parms\": 1}]\n}";
        let d = Diagnostic::at_pointer(
            Path::new("cases/a.json"),
            text,
            "/cases/0/parms",
            "unknown field `parms`",
        )
        .with_help(did_you_mean("parms", ["params", "body"]));
        let shown = d.to_string();
        assert_eq!(
            shown,
            "error: unknown field `parms`\n  --> cases/a.json:2:14 (at /cases/0/parms)\n  |\n2 |   \"cases\": [{\"parms\": 1}]\n  |              ^\n  = help: did you mean `params`?\n"
        );
    }

    #[test]
    fn suggestions_only_for_close_names() {
        assert_eq!(
            did_you_mean(
                "FailedOperation.LockTimout",
                ["FailedOperation.LockTimeout", "InternalError"]
            ),
            Some("did you mean `FailedOperation.LockTimeout`?".to_owned())
        );
        assert_eq!(
            did_you_mean("USER_ID", ["user_id", "client_ip"]),
            Some("did you mean `user_id`?".to_owned())
        );
        assert_eq!(did_you_mean("zzzz", ["params", "body"]), None);
    }

    #[test]
    fn the_summary_counts_problems_and_files() {
        let a = Diagnostic::file(Path::new("b.json"), "two");
        let b = Diagnostic::file(Path::new("a.json"), "one");
        let error = LoadError::invalid(vec![a.clone(), b, a]);
        assert_eq!(error.diagnostics().len(), 2);
        assert_eq!(error.diagnostics()[0].file, Path::new("a.json"));
        assert!(
            error
                .to_string()
                .ends_with("2 problems in 2 files; nothing was sent")
        );
    }
}
