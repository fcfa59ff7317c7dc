//! load: the catalogue of documented rules and error codes (schemas/catalogue.json) that
//! cases reference in `covers` and that coverage is counted against.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::case::Level;

/// A documented parameter or protocol rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub level: Level,
    pub text: String,
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
}

/// A documented error code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorCode {
    pub code: String,
    /// `business` (the CreateSession page) or `common` (the Common Error Codes page).
    pub origin: String,
    pub level: Level,
    pub text: String,
    pub source: String,
    /// Why no CreateSession request can produce this code; such codes leave the denominator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
}

/// The kind of a catalogue item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Rule,
    ErrorCode,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Rule => "rule",
            ItemKind::ErrorCode => "error_code",
        }
    }
}

/// A rule or an error code, seen the same way by coverage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item<'a> {
    pub id: &'a str,
    pub kind: ItemKind,
    pub level: Level,
    pub text: &'a str,
    pub not_applicable: Option<&'a str>,
}

/// Everything coverage is counted against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    pub rules: Vec<Rule>,
    pub error_codes: Vec<ErrorCode>,
}

/// Why the catalogue cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("cannot read the catalogue {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the catalogue {} is not valid: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("the catalogue {} lists `{id}` twice", path.display())]
    Duplicate { path: PathBuf, id: String },
}

impl Catalogue {
    /// Reads and checks `path` (usually schemas/catalogue.json).
    pub fn load(path: &Path) -> Result<Self, CatalogueError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogueError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses catalogue text; `path` only names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, CatalogueError> {
        let catalogue: Catalogue =
            serde_json::from_str(text).map_err(|source| CatalogueError::Parse {
                path: path.to_path_buf(),
                source,
            })?;
        let mut seen = BTreeSet::new();
        for item in catalogue.items() {
            if !seen.insert(item.id) {
                return Err(CatalogueError::Duplicate {
                    path: path.to_path_buf(),
                    id: item.id.to_owned(),
                });
            }
        }
        Ok(catalogue)
    }

    /// Every item, rules first then error codes, each in file order.
    pub fn items(&self) -> Vec<Item<'_>> {
        let rules = self.rules.iter().map(|r| Item {
            id: &r.id,
            kind: ItemKind::Rule,
            level: r.level,
            text: &r.text,
            not_applicable: r.not_applicable.as_deref(),
        });
        let codes = self.error_codes.iter().map(|c| Item {
            id: &c.code,
            kind: ItemKind::ErrorCode,
            level: c.level,
            text: &c.text,
            not_applicable: c.not_applicable.as_deref(),
        });
        rules.chain(codes).collect()
    }

    pub fn item(&self, id: &str) -> Option<Item<'_>> {
        self.items().into_iter().find(|item| item.id == id)
    }

    pub fn is_error_code(&self, code: &str) -> bool {
        self.error_codes.iter().any(|c| c.code == code)
    }

    /// Ids of every item, for "did you mean".
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.rules
            .iter()
            .map(|r| r.id.as_str())
            .chain(self.error_codes.iter().map(|c| c.code.as_str()))
    }

    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.error_codes.iter().map(|c| c.code.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"{
      "rules": [{"id": "param.user-id.required", "level": "must", "text": "UserId is required.", "source": "s"}],
      "error_codes": [
        {"code": "FailedOperation.LockTimeout", "origin": "business", "level": "must", "text": "t", "source": "s"},
        {"code": "AuthFailure.MFAFailure", "origin": "common", "level": "info", "text": "t", "source": "s",
         "not_applicable": "no MFA"}
      ]
    }"#;

    #[test]
    fn parses_items_in_order_with_kinds() {
        let catalogue = Catalogue::parse(TEXT, Path::new("c.json")).unwrap();
        let items = catalogue.items();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].kind, ItemKind::Rule);
        assert_eq!(items[2].not_applicable, Some("no MFA"));
        assert!(catalogue.is_error_code("FailedOperation.LockTimeout"));
        assert!(!catalogue.is_error_code("param.user-id.required"));
        assert_eq!(
            catalogue.item("AuthFailure.MFAFailure").unwrap().level,
            Level::Info
        );
    }

    #[test]
    fn duplicates_are_refused() {
        let text = TEXT.replace("AuthFailure.MFAFailure", "FailedOperation.LockTimeout");
        let error = Catalogue::parse(&text, Path::new("c.json")).unwrap_err();
        assert!(
            matches!(error, CatalogueError::Duplicate { id, .. } if id == "FailedOperation.LockTimeout")
        );
    }

    #[test]
    fn the_shipped_catalogue_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/catalogue.json");
        let catalogue = Catalogue::load(&path).unwrap();
        assert!(catalogue.error_codes.len() >= 14);
    }
}
