//! load: the catalogue of documented rules and error codes (schemas/catalogue.json) that
//! cases reference in `covers` and that coverage is counted against.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::observations::Citation;
use super::observations_citations::{CitationProblem, CitedFiles};
use crate::case::Level;

/// A documented parameter or protocol rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    pub level: Level,
    pub text: String,
    pub source: String,
    pub evidence: Evidence,
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
    pub evidence: Evidence,
    /// Why no CreateSession request can produce this code; such codes leave the denominator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_applicable: Option<String>,
}

/// What an item rests on. `must` and `should` items need [`Evidence::Documented`]; the other
/// kinds can only back `info` items, so a check never fails a vendor on a guess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Evidence {
    /// A sentence of a primary source: a Tencent Cloud documentation page, or an official SDK's or
    /// tccli's API description.
    Documented { quote: String, url: String },
    /// A reading the documentation does not spell out, with the reasoning behind it.
    Inferred { reasoning: String },
    /// An answer recorded by `run --record-observations` (never typed in by hand): the loader
    /// checks that `file` recorded it. Backs `info` items only: an observation shows what one
    /// target answered on one day, not what the API promises.
    Observed {
        /// What was seen, in words.
        observation: String,
        /// The observations file, relative to the catalogue's directory.
        file: String,
        /// The case id, and optionally its step (`step 2`, `cleanup step 1`).
        case: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        /// What it was answered: an error code, `success`, `not-json` or `no-answer`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        answer: Option<String>,
        /// The file's date and region, repeated so a reader of the catalogue sees them.
        date: String,
        region: String,
    },
}

/// Hosts whose pages count as primary sources: Tencent Cloud's documentation sites, and the
/// TencentCloud organisation on GitHub (official SDKs and tccli).
const PRIMARY_PREFIXES: &[&str] = &[
    "https://www.tencentcloud.com/",
    "https://tencentcloud.com/",
    "https://intl.cloud.tencent.com/",
    "https://cloud.tencent.com/",
    "https://github.com/TencentCloud/",
];

impl Evidence {
    pub fn kind(&self) -> &'static str {
        match self {
            Evidence::Documented { .. } => "documented",
            Evidence::Inferred { .. } => "inferred",
            Evidence::Observed { .. } => "observed",
        }
    }

    /// Why this evidence cannot back an item at `level`, if it cannot.
    fn problem(&self, level: Level) -> Option<EvidenceProblem> {
        match self {
            Evidence::Documented { quote, url } => {
                if quote.trim().is_empty() {
                    Some(EvidenceProblem::EmptyQuote)
                } else if !PRIMARY_PREFIXES.iter().any(|p| url.starts_with(p)) {
                    Some(EvidenceProblem::NotPrimary { url: url.clone() })
                } else {
                    None
                }
            }
            _ if level == Level::Info => None,
            other => Some(EvidenceProblem::NotDocumented {
                level,
                kind: other.kind(),
            }),
        }
    }
}

/// Why an item's evidence is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceProblem {
    #[error(
        "it is `{}` but its evidence is {kind}: a must/should item needs \
         {{\"kind\": \"documented\", \"quote\": \"...\", \"url\": \"https://...\"}} quoting a Tencent Cloud \
         documentation page or an official SDK's or tccli's API description; quote one, or lower \
         the item to `info`",
        level.as_str()
    )]
    NotDocumented { level: Level, kind: &'static str },
    #[error(
        "its documented evidence cites {url}, which is not a primary source (a Tencent Cloud \
         documentation page, or github.com/TencentCloud for the official SDKs and tccli)"
    )]
    NotPrimary { url: String },
    #[error("its documented evidence has an empty quote: quote the sentence the item rests on")]
    EmptyQuote,
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
    pub evidence: &'a Evidence,
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
    #[error("the catalogue {}: item `{id}`: {problem}", path.display())]
    Evidence {
        path: PathBuf,
        id: String,
        problem: EvidenceProblem,
    },
    #[error("the catalogue {}: item `{id}`: its observed evidence cites {file}: {problem}", path.display())]
    Citation {
        path: PathBuf,
        id: String,
        file: String,
        /// Boxed: a mismatch carries several texts, and every catalogue result would pay for it.
        problem: Box<CitationProblem>,
    },
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
            if let Some(problem) = item.evidence.problem(item.level) {
                return Err(CatalogueError::Evidence {
                    path: path.to_path_buf(),
                    id: item.id.to_owned(),
                    problem,
                });
            }
        }
        catalogue.check_citations(path)?;
        Ok(catalogue)
    }

    /// Every `observed` item's citation against the file it names, relative to the directory of
    /// the catalogue at `path`, so the catalogue names only answers that were recorded.
    fn check_citations(&self, path: &Path) -> Result<(), CatalogueError> {
        let mut cited = CitedFiles::new(path);
        for item in self.items() {
            let Evidence::Observed {
                file,
                case,
                step,
                answer,
                date,
                region,
                ..
            } = item.evidence
            else {
                continue;
            };
            let citation = Citation {
                case,
                step: step.as_deref(),
                date,
                region,
                answer: answer.as_deref(),
            };
            cited
                .check(file, &citation)
                .map_err(|problem| CatalogueError::Citation {
                    path: path.to_path_buf(),
                    id: item.id.to_owned(),
                    file: file.clone(),
                    problem: Box::new(problem),
                })?;
        }
        Ok(())
    }

    /// Every item, rules first then error codes, each in file order.
    pub fn items(&self) -> Vec<Item<'_>> {
        let rules = self.rules.iter().map(|r| Item {
            id: &r.id,
            kind: ItemKind::Rule,
            level: r.level,
            text: &r.text,
            evidence: &r.evidence,
            not_applicable: r.not_applicable.as_deref(),
        });
        let codes = self.error_codes.iter().map(|c| Item {
            id: &c.code,
            kind: ItemKind::ErrorCode,
            level: c.level,
            text: &c.text,
            evidence: &c.evidence,
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
      "rules": [{"id": "param.user-id.required", "level": "must", "text": "UserId is required.", "source": "s",
                 "evidence": {"kind": "documented", "quote": "UserId Yes String",
                              "url": "https://www.tencentcloud.com/document/api/1158/49968"}}],
      "error_codes": [
        {"code": "FailedOperation.LockTimeout", "origin": "business", "level": "must", "text": "t", "source": "s",
         "evidence": {"kind": "documented", "quote": "FailedOperation.LockTimeout Concurrency quota not requested or request timed out.",
                      "url": "https://github.com/TencentCloud/tencentcloud-cli/blob/master/tccli/services/car/v20220110/api.json"}},
        {"code": "AuthFailure.MFAFailure", "origin": "common", "level": "info", "text": "t", "source": "s",
         "evidence": {"kind": "inferred", "reasoning": "no request carries MFA"},
         "not_applicable": "no MFA"}
      ]
    }"#;

    /// The shipped test catalogue with `param.user-id.required` given `level` and `evidence`.
    fn with_first_rule(level: &str, evidence: &str) -> String {
        let mut value: serde_json::Value = serde_json::from_str(TEXT).unwrap();
        value["rules"][0]["level"] = serde_json::Value::String(level.to_owned());
        value["rules"][0]["evidence"] = serde_json::from_str(evidence).unwrap();
        value.to_string()
    }

    fn refusal(level: &str, evidence: &str) -> String {
        let text = with_first_rule(level, evidence);
        let error = Catalogue::parse(&text, Path::new("schemas/catalogue.json")).unwrap_err();
        assert!(
            matches!(&error, CatalogueError::Evidence { id, .. } if id == "param.user-id.required"),
            "{error:?}"
        );
        error.to_string()
    }

    #[test]
    fn must_and_should_items_without_documented_evidence_are_refused() {
        let inferred = r#"{"kind": "inferred", "reasoning": "it stands to reason"}"#;
        for level in ["must", "should"] {
            let message = refusal(level, inferred);
            assert!(message.contains("schemas/catalogue.json"), "{message}");
            assert!(message.contains("`param.user-id.required`"), "{message}");
            assert!(message.contains(&format!("is `{level}`")), "{message}");
            assert!(message.contains("evidence is inferred"), "{message}");
            assert!(message.contains("lower the item to `info`"), "{message}");
        }
        let observed = r#"{"kind": "observed", "observation": "o", "file": "o.json",
                           "case": "c", "date": "2026-01-01", "region": "ap-guangzhou"}"#;
        assert!(refusal("should", observed).contains("evidence is observed"));
    }

    #[test]
    fn info_items_may_rest_on_inference_or_observation() {
        let inferred = r#"{"kind": "inferred", "reasoning": "it stands to reason"}"#;
        let text = with_first_rule("info", inferred);
        let catalogue = Catalogue::parse(&text, Path::new("c.json")).unwrap();
        assert_eq!(catalogue.rules[0].evidence.kind(), "inferred");
    }

    #[test]
    fn documented_evidence_must_quote_a_primary_source() {
        let own_sheet = r#"{"kind": "documented", "quote": "UserId is required",
                            "url": "https://example.com/reference/tencent-api.md"}"#;
        for level in ["must", "info"] {
            let message = refusal(level, own_sheet);
            assert!(message.contains("not a primary source"), "{message}");
            assert!(message.contains("https://example.com/reference/tencent-api.md"));
        }
        let http =
            r#"{"kind": "documented", "quote": "q", "url": "http://www.tencentcloud.com/x"}"#;
        assert!(refusal("must", http).contains("not a primary source"));
        let empty =
            r#"{"kind": "documented", "quote": " ", "url": "https://www.tencentcloud.com/x"}"#;
        assert!(refusal("should", empty).contains("empty quote"));
    }

    #[test]
    fn evidence_of_an_unknown_kind_does_not_parse() {
        let text = with_first_rule("info", r#"{"kind": "rumoured", "reasoning": "r"}"#);
        assert!(matches!(
            Catalogue::parse(&text, Path::new("c.json")),
            Err(CatalogueError::Parse { .. })
        ));
    }

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
        // Observed evidence of the shipped suite comes from a real target: an answer of this
        // project's own mock would only prove the mock agrees with itself.
        for item in catalogue.items() {
            if let Evidence::Observed { file, .. } = item.evidence {
                let dir = path.parent().unwrap();
                let observations =
                    crate::case::observations::Observations::load(&dir.join(file)).unwrap();
                assert_eq!(
                    (
                        observations.target.kind.as_str(),
                        observations.target.local,
                        item.level
                    ),
                    ("url", false, Level::Info),
                    "{}: cites {file}, recorded from {}",
                    item.id,
                    observations.target.name
                );
            }
        }
    }
}
