//! load: an observations file (schemas/observations.schema.json) — what one target answered, case
//! by case and step by step, normalised (the error code, or the field names and JSON types of a
//! success) with every value dropped — as `run --record-observations` writes it and as the
//! catalogue's `observed` evidence cites it. The recorder is `report::observations`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::case::did_you_mean;

/// The observations format written by this build.
pub const FORMAT_VERSION: u32 = 1;

/// Everything one run saw, normalised for committing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observations {
    /// Editors' schema hint (`observations.schema.json`); ignored by the loader.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub format_version: u32,
    pub target: ObservedTarget,
    /// The day the run started, `YYYY-MM-DD` (UTC).
    pub date: String,
    pub suite: ObservedSuite,
    /// Sorted by case id; cases that sent nothing are left out.
    pub cases: Vec<CaseObservation>,
}

/// Which target answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedTarget {
    /// The run's target name (`mock`, the URL's host, or `--target-name`).
    pub name: String,
    /// `embedded-mock` or `url`.
    pub kind: String,
    /// Whether the target was on this machine (a loopback address): a mock or a local build,
    /// never the cloud.
    pub local: bool,
    /// The X-TC-Region sent (`--region` / `TENCENTCLOUD_REGION`); `null` when none was.
    pub region: Option<String>,
}

/// The suite that asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedSuite {
    pub version: String,
    /// SHA-256 of the suite's case and schema files (as in report.json), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// The answers of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseObservation {
    pub case: String,
    /// Steps, then cleanup steps, each in order.
    pub steps: Vec<StepObservation>,
}

/// The answers to one step: one, or one per copy (sorted: which copy won a race is chance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepObservation {
    /// `step N` or `cleanup step N` (1-based, as the console names steps).
    pub step: String,
    /// The step's name, else its action.
    pub label: String,
    /// The action sent (X-TC-Action, or v1's Action parameter); absent when none was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    pub answers: Vec<Answer>,
}

/// One answer, normalised: nothing a run or a target makes up per request survives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Answer {
    /// An error answer: its Code (the Message is dropped: it may quote a UserId).
    Error { status: u16, code: String },
    /// A success: the field names and JSON types of `Response` (values dropped).
    Success {
        status: u16,
        shape: BTreeMap<String, Shape>,
    },
    /// An answer that is not the API's JSON envelope `{"Response": {...}}`.
    NotJson { status: u16 },
    /// An answer the run did not keep whole (longer than a record keeps, or past the run's
    /// records cap): neither its code nor its shape is known.
    Cut { status: u16 },
    /// No answer: a refused or reset connection, a timeout.
    NoAnswer,
}

impl Answer {
    /// What a citation's `answer` names: the code, `success`, `not-json`, `cut` or `no-answer`.
    pub fn summary(&self) -> &str {
        match self {
            Answer::Error { code, .. } => code,
            Answer::Success { .. } => "success",
            Answer::NotJson { .. } => "not-json",
            Answer::Cut { .. } => "cut",
            Answer::NoAnswer => "no-answer",
        }
    }
}

/// The shape of a JSON value: its type name (`string`, `integer`, `number`, `boolean`,
/// `null`), an object's fields, or an array's distinct element shapes (sorted).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Shape {
    Type(String),
    Object(BTreeMap<String, Shape>),
    Array(Vec<Shape>),
}

/// Why an observations file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ObservationsError {
    #[error("cannot read the observations file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the observations file {} is not valid (schemas/observations.schema.json): {source}",
        path.display()
    )]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "the observations file {} has format_version {found}; this build reads {FORMAT_VERSION}",
        path.display()
    )]
    Version { path: PathBuf, found: u32 },
}

/// Why a citation does not match its observations file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    NoCase {
        case: String,
        help: Option<String>,
    },
    NoStep {
        case: String,
        step: String,
        recorded: Vec<String>,
    },
    Date {
        cited: String,
        recorded: String,
    },
    Region {
        cited: String,
        recorded: Option<String>,
    },
    Answer {
        at: String,
        cited: String,
        recorded: Vec<String>,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::NoCase { case, help } => {
                write!(f, "it records no case `{case}`")?;
                match help {
                    Some(help) => write!(f, " ({help})"),
                    None => write!(f, " (cite a case id as the run named it)"),
                }
            }
            Mismatch::NoStep {
                case,
                step,
                recorded,
            } => write!(
                f,
                "case `{case}` has no `{step}` (it records: {})",
                recorded.join(", ")
            ),
            Mismatch::Date { cited, recorded } => write!(
                f,
                "it was recorded on {recorded}, the evidence says {cited}: set `date` to {recorded}"
            ),
            Mismatch::Region { cited, recorded } => match recorded {
                Some(recorded) => write!(
                    f,
                    "it was recorded in region {recorded}, the evidence says {cited}: set `region` to {recorded}"
                ),
                None => write!(
                    f,
                    "it was recorded without a region, the evidence says {cited}: record again with --region {cited}"
                ),
            },
            Mismatch::Answer {
                at,
                cited,
                recorded,
            } => write!(
                f,
                "{at} was answered {}, the evidence says `{cited}`: cite what was recorded",
                recorded
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// What a catalogue item cites in an observations file.
#[derive(Debug, Clone, Copy)]
pub struct Citation<'a> {
    pub case: &'a str,
    pub step: Option<&'a str>,
    pub date: &'a str,
    pub region: &'a str,
    pub answer: Option<&'a str>,
}

impl Observations {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ObservationsError> {
        let text = std::fs::read_to_string(path).map_err(|source| ObservationsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses observations text; `path` only names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ObservationsError> {
        let observations: Observations =
            serde_json::from_str(text).map_err(|source| ObservationsError::Parse {
                path: path.to_path_buf(),
                source,
            })?;
        if observations.format_version != FORMAT_VERSION {
            return Err(ObservationsError::Version {
                path: path.to_path_buf(),
                found: observations.format_version,
            });
        }
        Ok(observations)
    }

    pub fn case(&self, id: &str) -> Option<&CaseObservation> {
        self.cases.iter().find(|c| c.case == id)
    }

    /// Whether `citation` names what this file recorded: the case, the step (when given), the
    /// date, the region and the answer (when given; one of a step's answers, or of any step
    /// of the case without a step).
    pub fn check(&self, citation: &Citation<'_>) -> Result<(), Mismatch> {
        let Some(case) = self.case(citation.case) else {
            return Err(Mismatch::NoCase {
                case: citation.case.to_owned(),
                help: did_you_mean(citation.case, self.cases.iter().map(|c| c.case.as_str())),
            });
        };
        let steps: Vec<&StepObservation> = match citation.step {
            Some(step) => match case.steps.iter().find(|s| s.step == step) {
                Some(found) => vec![found],
                None => {
                    return Err(Mismatch::NoStep {
                        case: case.case.clone(),
                        step: step.to_owned(),
                        recorded: case.steps.iter().map(|s| s.step.clone()).collect(),
                    });
                }
            },
            None => case.steps.iter().collect(),
        };
        if citation.date != self.date {
            return Err(Mismatch::Date {
                cited: citation.date.to_owned(),
                recorded: self.date.clone(),
            });
        }
        if self.target.region.as_deref() != Some(citation.region) {
            return Err(Mismatch::Region {
                cited: citation.region.to_owned(),
                recorded: self.target.region.clone(),
            });
        }
        if let Some(cited) = citation.answer {
            let recorded: Vec<String> = steps
                .iter()
                .flat_map(|s| s.answers.iter().map(|a| a.summary().to_owned()))
                .collect();
            if !recorded.iter().any(|a| a == cited) {
                let mut shown = recorded;
                shown.dedup();
                return Err(Mismatch::Answer {
                    at: match citation.step {
                        Some(step) => format!("`{step}` of case `{}`", case.case),
                        None => format!("case `{}`", case.case),
                    },
                    cited: cited.to_owned(),
                    recorded: shown,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"{
      "$schema": "../observations.schema.json",
      "format_version": 1,
      "target": {"name": "car.tencentcloudapi.com", "kind": "url", "local": false, "region": "ap-guangzhou"},
      "date": "2026-11-29",
      "suite": {"version": "0.1.0", "fingerprint": "ab"},
      "cases": [
        {"case": "params/role/role-without-host", "steps": [
          {"step": "step 1", "label": "apply", "action": "ApplyConcurrent",
           "answers": [{"outcome": "success", "status": 200, "shape": {"RequestId": "string"}}]},
          {"step": "step 2", "label": "create", "action": "CreateSession",
           "answers": [{"outcome": "error", "status": 200, "code": "MissingParameter"}]},
          {"step": "cleanup step 1", "label": "DestroySession", "action": "DestroySession",
           "answers": [{"outcome": "no-answer"}]}
        ]}
      ]
    }"#;

    fn file() -> Observations {
        Observations::parse(TEXT, Path::new("o.json")).unwrap()
    }

    fn citation<'a>(step: Option<&'a str>, answer: Option<&'a str>) -> Citation<'a> {
        Citation {
            case: "params/role/role-without-host",
            step,
            date: "2026-11-29",
            region: "ap-guangzhou",
            answer,
        }
    }

    #[test]
    fn a_citation_of_what_was_recorded_holds() {
        let file = file();
        assert_eq!(file.check(&citation(None, None)), Ok(()));
        assert_eq!(
            file.check(&citation(Some("step 2"), Some("MissingParameter"))),
            Ok(())
        );
        assert_eq!(file.check(&citation(None, Some("success"))), Ok(()));
        assert_eq!(
            file.check(&citation(Some("cleanup step 1"), Some("no-answer"))),
            Ok(())
        );
    }

    #[test]
    fn each_wrong_part_of_a_citation_is_named() {
        let file = file();
        let mut wrong_case = citation(None, None);
        wrong_case.case = "params/role/role-without-hots";
        let shown = file.check(&wrong_case).unwrap_err().to_string();
        assert!(
            shown.contains("no case `params/role/role-without-hots`")
                && shown.contains("did you mean `params/role/role-without-host`?"),
            "{shown}"
        );
        let shown = file
            .check(&citation(Some("step 3"), None))
            .unwrap_err()
            .to_string();
        assert!(
            shown.contains("has no `step 3` (it records: step 1, step 2, cleanup step 1)"),
            "{shown}"
        );
        let mut wrong_date = citation(None, None);
        wrong_date.date = "2026-11-28";
        let shown = file.check(&wrong_date).unwrap_err().to_string();
        assert!(shown.contains("set `date` to 2026-11-29"), "{shown}");
        let mut wrong_region = citation(None, None);
        wrong_region.region = "ap-shanghai";
        let shown = file.check(&wrong_region).unwrap_err().to_string();
        assert!(shown.contains("set `region` to ap-guangzhou"), "{shown}");
        let shown = file
            .check(&citation(Some("step 2"), Some("InvalidParameter")))
            .unwrap_err()
            .to_string();
        assert!(
            shown.contains("`step 2` of case `params/role/role-without-host` was answered `MissingParameter`, the evidence says `InvalidParameter`"),
            "{shown}"
        );
    }

    #[test]
    fn unknown_fields_and_other_versions_are_refused() {
        let extra = TEXT.replace("\"date\"", "\"message\": \"m\", \"date\"");
        assert!(matches!(
            Observations::parse(&extra, Path::new("o.json")),
            Err(ObservationsError::Parse { .. })
        ));
        let future = TEXT.replace("\"format_version\": 1", "\"format_version\": 2");
        let error = Observations::parse(&future, Path::new("o.json")).unwrap_err();
        assert!(error.to_string().contains("format_version 2"), "{error}");
    }

    #[test]
    fn shapes_read_back_as_written() {
        let file = file();
        let again = serde_json::to_string(&file).unwrap();
        assert_eq!(
            Observations::parse(&again, Path::new("o.json")).unwrap(),
            file
        );
        let shape: Shape = serde_json::from_str(r#"{"A": ["string", {"B": "null"}]}"#).unwrap();
        let Shape::Object(fields) = shape else {
            panic!("an object")
        };
        assert!(matches!(&fields["A"], Shape::Array(items) if items.len() == 2));
    }
}
