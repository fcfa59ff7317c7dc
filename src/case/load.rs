//! load: reads every case file under `cases/`, validates it against schemas/case.schema.json and
//! the catalogue, and returns the cases sorted by id — or every problem of every file at once, so
//! an author fixes them in one pass and nothing is sent while any remains.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::diagnostic::{Diagnostic, LoadError, did_you_mean};
use super::model::{Case, CaseSpec};
use super::validate::{self, Context, Problem};
use crate::case::catalogue::Catalogue;

/// The case schema's file name in the schemas directory.
pub const CASE_SCHEMA: &str = "case.schema.json";

/// One case file's text and where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path shown in messages.
    pub path: PathBuf,
    /// The path under the cases directory without `.json`, `/`-separated: the id prefix.
    pub stem: String,
    pub text: String,
}

/// Reads every `*.json` under `dir` (recursively, sorted) and loads the cases.
pub fn load_dir(
    dir: &Path,
    schemas_dir: &Path,
    catalogue: &Catalogue,
) -> Result<Vec<Case>, LoadError> {
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    if files.is_empty() {
        return Err(LoadError::NoCaseFiles {
            path: dir.to_path_buf(),
        });
    }
    files.sort();
    let mut sources = Vec::new();
    let mut diagnostics = Vec::new();
    for (stem, path) in files {
        match std::fs::read_to_string(&path) {
            Ok(text) => sources.push(Source { path, stem, text }),
            Err(error) => {
                diagnostics.push(Diagnostic::file(&path, format!("cannot read: {error}")))
            }
        }
    }
    let loaded = load_sources(&sources, schemas_dir, catalogue);
    match loaded {
        Ok(cases) if diagnostics.is_empty() => Ok(cases),
        Ok(_) => Err(LoadError::invalid(diagnostics)),
        Err(LoadError::Invalid(more)) => {
            diagnostics.extend(more);
            Err(LoadError::invalid(diagnostics))
        }
        Err(other) => Err(other),
    }
}

fn collect_files(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<(), LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Directory {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| LoadError::Directory {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            collect_files(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            let relative = path.strip_prefix(root).unwrap_or(&path).with_extension("");
            let stem: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push((stem.join("/"), path));
        }
    }
    Ok(())
}

/// Loads cases from texts already read (the directory walk aside, this is the whole loader).
pub fn load_sources(
    sources: &[Source],
    schemas_dir: &Path,
    catalogue: &Catalogue,
) -> Result<Vec<Case>, LoadError> {
    let schema_path = schemas_dir.join(CASE_SCHEMA);
    let support = |message: String| LoadError::Support {
        path: schema_path.clone(),
        message,
    };
    let schema_text = std::fs::read_to_string(&schema_path).map_err(|e| support(e.to_string()))?;
    let schema: Value = serde_json::from_str(&schema_text).map_err(|e| support(e.to_string()))?;
    let validator = jsonschema::options()
        .build(&schema)
        .map_err(|e| support(e.to_string()))?;
    let ctx = Context {
        catalogue,
        schemas_dir,
    };

    let mut cases = Vec::new();
    let mut diagnostics = Vec::new();
    for source in sources {
        let document: Value = match serde_json::from_str(&source.text) {
            Ok(value) => value,
            Err(error) => {
                let position = super::locate::Position {
                    line: error.line().max(1),
                    column: error.column().max(1),
                };
                diagnostics.push(Diagnostic::at_position(
                    &source.path,
                    &source.text,
                    position,
                    format!("not valid JSON: {}", strip_position(&error.to_string())),
                ));
                continue;
            }
        };
        let mut problems: Vec<Problem> = validator
            .iter_errors(&document)
            .flat_map(|error| schema_problems(&error, &schema))
            .collect();
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        for (index, case) in document["cases"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let base = format!("/cases/{index}");
            let schema_valid = !problems.iter().any(|p| within(&p.pointer, &base));
            problems.extend(validate::check_references(case, &base, ctx));
            if !schema_valid {
                continue;
            }
            let spec: CaseSpec = match serde_json::from_value(case.clone()) {
                Ok(spec) => spec,
                Err(error) => {
                    problems.push(problem(&base, format!("not a valid case: {error}")));
                    continue;
                }
            };
            problems.extend(validate::check_shape(&spec, &base));
            if let Some(first) = names.get(spec.name.as_str()) {
                problems.push(problem(
                    &format!("{base}/name"),
                    format!(
                        "duplicate case id `{}/{}` (also case #{} of this file)",
                        source.stem,
                        spec.name,
                        first + 1
                    ),
                ));
                continue;
            }
            names.insert(case["name"].as_str().unwrap_or_default(), index);
            let mock = spec
                .requires
                .mock
                .as_ref()
                .and_then(|m| validate::parse_mock(m).ok());
            cases.push(Case {
                id: format!("{}/{}", source.stem, spec.name),
                file: source.path.clone(),
                pointer: base,
                spec,
                mock,
            });
        }
        for p in problems {
            diagnostics.push(
                Diagnostic::at_pointer(&source.path, &source.text, &p.pointer, p.message)
                    .with_help(p.help),
            );
        }
    }
    // Ids from different files cannot collide (the file path is part of the id) unless two paths
    // differ only in ways the id hides; check anyway, ids key snapshots and reports.
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    for pair in cases.windows(2) {
        if pair[0].id == pair[1].id {
            diagnostics.push(Diagnostic::file(
                &pair[1].file,
                format!(
                    "duplicate case id `{}` (also in {})",
                    pair[1].id,
                    pair[0].file.display()
                ),
            ));
        }
    }
    if diagnostics.is_empty() {
        Ok(cases)
    } else {
        Err(LoadError::invalid(diagnostics))
    }
}

fn problem(pointer: &str, message: String) -> Problem {
    Problem {
        pointer: pointer.to_owned(),
        message,
        help: None,
    }
}

fn within(pointer: &str, base: &str) -> bool {
    pointer == base || pointer.starts_with(&format!("{base}/"))
}

/// serde_json ends its messages with " at line L column C"; the diagnostic shows that already.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}

/// Turns one schema error into problems an author can act on.
fn schema_problems(error: &jsonschema::ValidationError<'_>, schema: &Value) -> Vec<Problem> {
    use jsonschema::error::ValidationErrorKind as Kind;

    let at = error.instance_path().as_str().to_owned();
    let schema_path = error.schema_path().as_str();
    // The schema node holding the failing keyword.
    let node = schema_path
        .rfind('/')
        .and_then(|i| schema.pointer(&schema_path[..i]));
    let instance = error.instance();
    match error.kind() {
        Kind::AdditionalProperties { unexpected } => {
            let known: Vec<&str> = node
                .and_then(|n| n.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|key| Problem {
                    pointer: format!("{at}/{}", super::template::escape(key)),
                    message: format!("unknown field `{key}`"),
                    help: did_you_mean(key, known.iter().copied())
                        .or_else(|| Some(format!("expected one of: {}", known.join(", ")))),
                })
                .collect()
        }
        Kind::Required { property } => vec![problem(
            &at,
            format!("missing field `{}`", property.as_str().unwrap_or_default()),
        )],
        Kind::Enum { options } => {
            let options: Vec<&str> = options
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let wrong = instance.as_str().unwrap_or_default();
            vec![Problem {
                pointer: at,
                message: format!("{instance} is not one of: {}", options.join(", ")),
                help: did_you_mean(wrong, options.iter().copied()),
            }]
        }
        Kind::AnyOf { .. } | Kind::OneOfNotValid { .. } | Kind::OneOfMultipleValid { .. } => {
            let custom = node
                .and_then(|n| n.get("x-error"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            vec![problem(
                &at,
                custom.unwrap_or_else(|| format!("{instance} is not an allowed value here")),
            )]
        }
        _ => {
            let description = node
                .and_then(|n| n.get("description"))
                .and_then(Value::as_str);
            vec![Problem {
                pointer: at,
                message: error.to_string(),
                help: description.map(|d| format!("this field: {d}")),
            }]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Catalogue {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/catalogue.json");
        Catalogue::load(&path).unwrap()
    }

    fn load(files: &[(&str, &str)]) -> Result<Vec<Case>, LoadError> {
        let sources: Vec<Source> = files
            .iter()
            .map(|(stem, text)| Source {
                path: PathBuf::from(format!("cases/{stem}.json")),
                stem: (*stem).to_owned(),
                text: (*text).to_owned(),
            })
            .collect();
        let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        load_sources(&sources, &schemas, &catalogue())
    }

    const GOOD: &str = r#"{
  "cases": [
    {
      "name": "ok",
      "title": "t",
      "level": "must",
      "source": "s",
      "covers": ["MissingParameter"],
      "steps": [{"action": "CreateSession", "params": {}, "expect": {"code": "MissingParameter"}}]
    }
  ]
}"#;

    #[test]
    fn good_files_load_with_ids_from_path_and_name() {
        let cases = load(&[("params/basic", GOOD)]).unwrap();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].id, "params/basic/ok");
        assert_eq!(cases[0].pointer, "/cases/0");
    }

    #[test]
    fn every_problem_of_every_file_is_reported_with_its_position() {
        let typo = GOOD.replace("\"params\"", "\"parms\"");
        let bad_level = GOOD.replace("\"must\"", "\"mustt\"");
        let broken = "{\n  \"cases\": [\n";
        let error = load(&[("a", &typo), ("b", &bad_level), ("c", broken)]).unwrap_err();
        let found: Vec<String> = error
            .diagnostics()
            .iter()
            .map(|d| {
                format!(
                    "{}:{} {} | {}",
                    d.file.display(),
                    d.position.map(|p| p.to_string()).unwrap_or_default(),
                    d.message,
                    d.help.clone().unwrap_or_default()
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![
                "cases/a.json:9:45 unknown field `parms` | did you mean `params`?",
                "cases/b.json:6:7 \"mustt\" is not one of: must, should, info | did you mean `must`?",
                "cases/c.json:3:1 not valid JSON: EOF while parsing a list | ",
            ]
        );
    }

    #[test]
    fn duplicate_names_missing_fields_and_catalogue_references_are_errors() {
        let text = r#"{"cases": [
  {"name": "x", "title": "t", "level": "must", "source": "s", "covers": ["MissingParameter"],
   "steps": [{"action": "CreateSession", "expect": {"success": true}}]},
  {"name": "x", "title": "t", "level": "must", "source": "s", "covers": ["MissingParametr"],
   "steps": [{"action": "CreateSession", "expect": {"success": true}}]},
  {"name": "y", "title": "t", "level": "must", "source": "s", "covers": ["MissingParameter"],
   "steps": [{"expect": {"success": true}}]}
]}"#;
        let error = load(&[("dup", text)]).unwrap_err();
        let messages: Vec<&str> = error
            .diagnostics()
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            messages,
            vec![
                "duplicate case id `dup/x` (also case #1 of this file)",
                "`MissingParametr` is not in the catalogue (schemas/catalogue.json)",
                "missing field `action`",
            ]
        );
    }

    #[test]
    fn a_directory_without_case_files_is_an_error() {
        let dir = std::env::temp_dir().join(format!("car-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
        let error = load_dir(&dir, &schemas, &catalogue()).unwrap_err();
        assert!(matches!(error, LoadError::NoCaseFiles { .. }));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn wrong_types_in_headers_use_the_schema_message() {
        let text = GOOD.replace(
            "\"params\": {}",
            "\"params\": {}, \"headers\": {\"X-TC-Language\": 5}",
        );
        let error = load(&[("h", &text)]).unwrap_err();
        assert_eq!(error.diagnostics().len(), 1);
        assert!(
            error.diagnostics()[0]
                .message
                .starts_with("expected a string, a generator"),
            "{}",
            error.diagnostics()[0].message
        );
    }
}
