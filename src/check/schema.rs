//! check: the response schemas of schemas/ compiled once per run, and which one judges an answer
//! (`auto`: the error schema for errors, CreateSession's success schema for its successes, the
//! API 3.0 envelope for other actions' successes).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jsonschema::ValidatorMap;
use serde_json::Value;

use crate::outcome::SchemaViolation;

/// Success envelope of every action; `#/$defs/<Action>` holds each action's own fields.
pub const SUCCESS_SCHEMA: &str = "response.success.schema.json";
pub const ERROR_SCHEMA: &str = "response.error.schema.json";

/// Why a schema cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("cannot use the schema {}: {message}", path.display())]
pub struct SchemaError {
    pub path: PathBuf,
    pub message: String,
}

/// Compiled response schemas: per file, a validator for the root and for every subschema.
#[derive(Debug)]
pub struct SchemaSet {
    files: BTreeMap<String, ValidatorMap>,
}

impl SchemaSet {
    /// Compiles the success and error schemas of `dir` and every file `extra` names (the
    /// `expect.schema` values of the cases, `file.json` or `file.json#/$defs/X`).
    pub fn load<'a>(
        dir: &Path,
        extra: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, SchemaError> {
        let mut names: Vec<&str> = vec![SUCCESS_SCHEMA, ERROR_SCHEMA];
        names.extend(
            extra
                .into_iter()
                .map(|n| crate::case::validate::split_name(n).0),
        );
        names.sort_unstable();
        names.dedup();
        let mut files = BTreeMap::new();
        for name in names {
            let path = dir.join(name);
            let error = |message: String| SchemaError {
                path: path.clone(),
                message,
            };
            let text = std::fs::read_to_string(&path).map_err(|e| error(e.to_string()))?;
            let schema: Value = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
            let map = jsonschema::options()
                .should_validate_formats(true)
                .build_map(&schema)
                .map_err(|e| error(e.to_string()))?;
            files.insert(name.to_owned(), map);
        }
        Ok(Self { files })
    }

    /// The schema `choice` (`auto`, or a name) names for an answer to `action`: for `auto`, the
    /// error schema for errors, else the success schema's `#/$defs/<action>` (its root when the
    /// action has no subschema).
    pub fn pick(&self, choice: &str, action: &str, body: &Value) -> String {
        if choice != "auto" {
            return choice.to_owned();
        }
        if body.pointer("/Response/Error").is_some() {
            return ERROR_SCHEMA.to_owned();
        }
        let fragment = format!("#/$defs/{action}");
        let has_action = self
            .files
            .get(SUCCESS_SCHEMA)
            .is_some_and(|map| map.contains_key(&fragment));
        if has_action {
            format!("{SUCCESS_SCHEMA}{fragment}")
        } else {
            SUCCESS_SCHEMA.to_owned()
        }
    }

    /// Whether `name` is a loaded file and (sub)schema.
    pub fn contains(&self, name: &str) -> bool {
        let (file, fragment) = crate::case::validate::split_name(name);
        self.files
            .get(file)
            .is_some_and(|map| map.contains_key(&fragment))
    }

    /// Validates `body` against the schema `name`; every violation, in the validator's order.
    pub fn validate(&self, name: &str, body: &Value) -> Vec<SchemaViolation> {
        let (file, fragment) = crate::case::validate::split_name(name);
        let Some(validator) = self.files.get(file).and_then(|map| map.get(&fragment)) else {
            return vec![SchemaViolation {
                instance_path: String::new(),
                schema_path: String::new(),
                message: format!("the schema {name} was not loaded"),
            }];
        };
        // Most answers conform: the boolean check skips building error values for them.
        if validator.is_valid(body) {
            return Vec::new();
        }
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
    use serde_json::json;

    fn set() -> SchemaSet {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        SchemaSet::load(&dir, []).unwrap()
    }

    const UUID: &str = "fcf4146f-64d3-496c-88dc-d12f832de313";

    #[test]
    fn auto_picks_by_outcome_and_action() {
        let set = set();
        let error = json!({"Response": {"Error": {"Code": "X", "Message": "m"}, "RequestId": "r"}});
        assert_eq!(set.pick("auto", "CreateSession", &error), ERROR_SCHEMA);
        let ok = json!({"Response": {"RequestId": "r"}});
        assert_eq!(
            set.pick("auto", "CreateSession", &ok),
            "response.success.schema.json#/$defs/CreateSession"
        );
        assert_eq!(set.pick("auto", "NoSuchAction", &ok), SUCCESS_SCHEMA);
        assert_eq!(
            set.pick("x.schema.json", "ApplyConcurrent", &ok),
            "x.schema.json"
        );
        assert!(set.contains("response.success.schema.json#/$defs/ApplyConcurrent"));
        assert!(!set.contains("response.success.schema.json#/$defs/Nope"));
    }

    #[test]
    fn violations_carry_instance_and_schema_paths() {
        let set = set();
        let create = "response.success.schema.json#/$defs/CreateSession";
        let good = json!({"Response": {"ServerSession": "s", "RequestId": UUID}});
        assert_eq!(set.validate(create, &good), vec![]);
        let bad = json!({"Response": {"RequestId": ""}});
        let violations = set.validate(create, &bad);
        let paths: Vec<&str> = violations
            .iter()
            .map(|v| v.instance_path.as_str())
            .collect();
        assert!(paths.contains(&"/Response"), "{violations:?}");
        assert!(paths.contains(&"/Response/RequestId"), "{violations:?}");
        assert!(violations.iter().all(|v| !v.schema_path.is_empty()));
        assert_eq!(set.validate(SUCCESS_SCHEMA, &good), vec![]);
    }

    #[test]
    fn a_missing_schema_file_is_an_error() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        assert!(SchemaSet::load(&dir, ["nope.schema.json"]).is_err());
    }
}
