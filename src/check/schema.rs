//! check: the response schemas of schemas/ compiled once per run, and which one judges an answer
//! (`auto`: the error schema for errors, CreateSession's success schema for its successes, the
//! API 3.0 envelope for other actions' successes).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use serde_json::{Value, json};

use crate::run::outcome::SchemaViolation;

pub const SUCCESS_SCHEMA: &str = "response.success.schema.json";
pub const ERROR_SCHEMA: &str = "response.error.schema.json";
/// The name the built-in envelope schema is reported under.
pub const ENVELOPE: &str = "API 3.0 response envelope";

/// Why a schema cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("cannot use the schema {}: {message}", path.display())]
pub struct SchemaError {
    pub path: PathBuf,
    pub message: String,
}

/// Compiled response schemas, by file name.
#[derive(Debug)]
pub struct SchemaSet {
    validators: BTreeMap<String, Validator>,
    envelope: Validator,
}

fn compile(schema: &Value) -> Result<Validator, String> {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .map_err(|e| e.to_string())
}

impl SchemaSet {
    /// Compiles the success and error schemas of `dir` and every file in `extra` (names that
    /// cases give in `expect.schema`).
    pub fn load<'a>(
        dir: &Path,
        extra: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, SchemaError> {
        let mut names: Vec<&str> = vec![SUCCESS_SCHEMA, ERROR_SCHEMA];
        names.extend(extra);
        names.sort_unstable();
        names.dedup();
        let mut validators = BTreeMap::new();
        for name in names {
            let path = dir.join(name);
            let error = |message: String| SchemaError {
                path: path.clone(),
                message,
            };
            let text = std::fs::read_to_string(&path).map_err(|e| error(e.to_string()))?;
            let schema: Value = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
            validators.insert(name.to_owned(), compile(&schema).map_err(error)?);
        }
        let envelope = compile(&json!({
            "type": "object",
            "required": ["Response"],
            "properties": {"Response": {
                "type": "object",
                "required": ["RequestId"],
                "properties": {"RequestId": {"type": "string", "format": "uuid"}}
            }}
        }))
        .map_err(|message| SchemaError {
            path: PathBuf::from(ENVELOPE),
            message,
        })?;
        Ok(Self {
            validators,
            envelope,
        })
    }

    /// The schema `choice` (`auto`, or a file name) names for an answer to `action`.
    pub fn pick<'a>(&self, choice: &'a str, action: &str, body: &Value) -> &'a str {
        if choice != "auto" {
            return choice;
        }
        if body.pointer("/Response/Error").is_some() {
            ERROR_SCHEMA
        } else if action == "CreateSession" {
            SUCCESS_SCHEMA
        } else {
            ENVELOPE
        }
    }

    /// Validates `body` against the schema `name`; every violation, in the validator's order.
    pub fn validate(&self, name: &str, body: &Value) -> Vec<SchemaViolation> {
        let validator = if name == ENVELOPE {
            Some(&self.envelope)
        } else {
            self.validators.get(name)
        };
        let Some(validator) = validator else {
            return vec![SchemaViolation {
                instance_path: String::new(),
                schema_path: String::new(),
                message: format!("the schema {name} was not loaded"),
            }];
        };
        validator
            .iter_errors(body)
            .map(|error| SchemaViolation {
                instance_path: error.instance_path().as_str().to_owned(),
                schema_path: error.schema_path().as_str().to_owned(),
                message: error.to_string(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> SchemaSet {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        SchemaSet::load(&dir, []).unwrap()
    }

    #[test]
    fn auto_picks_by_outcome_and_action() {
        let set = set();
        let error = json!({"Response": {"Error": {"Code": "X", "Message": "m"}, "RequestId": "r"}});
        assert_eq!(set.pick("auto", "CreateSession", &error), ERROR_SCHEMA);
        let ok = json!({"Response": {"RequestId": "r"}});
        assert_eq!(set.pick("auto", "CreateSession", &ok), SUCCESS_SCHEMA);
        assert_eq!(set.pick("auto", "ApplyConcurrent", &ok), ENVELOPE);
        assert_eq!(
            set.pick("x.schema.json", "ApplyConcurrent", &ok),
            "x.schema.json"
        );
    }

    #[test]
    fn violations_carry_instance_and_schema_paths() {
        let set = set();
        let good = json!({"Response": {"ServerSession": "s", "RequestId": "fcf4146f-64d3-496c-88dc-d12f832de313"}});
        assert_eq!(set.validate(SUCCESS_SCHEMA, &good), vec![]);
        let bad = json!({"Response": {"RequestId": "not-a-uuid"}});
        let violations = set.validate(SUCCESS_SCHEMA, &bad);
        let paths: Vec<&str> = violations
            .iter()
            .map(|v| v.instance_path.as_str())
            .collect();
        assert!(paths.contains(&"/Response"), "{violations:?}");
        assert!(paths.contains(&"/Response/RequestId"), "{violations:?}");
        assert!(violations.iter().all(|v| !v.schema_path.is_empty()));
        assert_eq!(set.validate(ENVELOPE, &bad).len(), 1);
    }

    #[test]
    fn a_missing_schema_file_is_an_error() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        assert!(SchemaSet::load(&dir, ["nope.schema.json"]).is_err());
    }
}
