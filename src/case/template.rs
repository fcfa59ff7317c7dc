//! load: templated values in case files — `{{user_id}}`, `{{client_ip}}`, `{{project_id}}`,
//! `{{client_session}}`, `{{capture.NAME}}`, `{{copy}}` in strings, and generator objects (`$repeat`, `$concat`,
//! `$literal`) that build long strings or send braces verbatim. The loader checks templates with
//! [`check_value`]; the runner expands them with [`render_value`].

use serde_json::{Map, Value};

use super::diagnostic::did_you_mean;

/// A template variable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Var {
    /// `{{user_id}}` (`None`) or `{{user_id.NAME}}`: fresh per case and run.
    UserId(Option<String>),
    ClientIp,
    ProjectId,
    /// `{{client_session}}`: a ClientSession the target accepts (a real cloud may refuse a
    /// made-up one).
    ClientSession,
    /// `{{capture.NAME}}`: a value an earlier step captured.
    Capture(String),
    /// `{{copy}}`: the copy's index (0, 1, ...) in a step with `copies`.
    Copy,
}

/// The variables an author can use, for "did you mean".
pub const VARIABLE_NAMES: [&str; 6] = [
    "user_id",
    "client_ip",
    "project_id",
    "client_session",
    "copy",
    "capture",
];

/// The largest string a template may build (the API's POST limit is 10 MB; room to exceed it).
pub const MAX_BUILT_BYTES: usize = 32 * 1024 * 1024;

/// A problem with a template, at a JSON pointer of the case file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub pointer: String,
    pub message: String,
    pub help: Option<String>,
}

impl TemplateError {
    fn new(pointer: &str, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.to_owned(),
            message: message.into(),
            help: None,
        }
    }
}

/// A piece of a templated string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Var(Var),
}

fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn parse_var(inner: &str) -> Result<Var, (String, Option<String>)> {
    let name = inner.trim();
    let var = match name {
        "user_id" => Some(Var::UserId(None)),
        "client_ip" => Some(Var::ClientIp),
        "project_id" => Some(Var::ProjectId),
        "client_session" => Some(Var::ClientSession),
        "copy" => Some(Var::Copy),
        _ => match name.split_once('.') {
            Some(("user_id", rest)) if is_name(rest) => Some(Var::UserId(Some(rest.to_owned()))),
            Some(("capture", rest)) if is_name(rest) => Some(Var::Capture(rest.to_owned())),
            _ => None,
        },
    };
    var.ok_or_else(|| {
        let head = name.split('.').next().unwrap_or(name);
        let help = did_you_mean(head, VARIABLE_NAMES).or_else(|| {
            Some(
                "variables: user_id, user_id.NAME, client_ip, project_id, client_session, capture.NAME, copy"
                    .to_owned(),
            )
        });
        (format!("unknown template variable `{{{{{name}}}}}`"), help)
    })
}

fn parse(text: &str) -> Result<Vec<Piece<'_>>, (String, Option<String>)> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or_else(|| {
            (
                "unclosed `{{` in a template".to_owned(),
                Some("use {\"$literal\": \"...\"} to send braces verbatim".to_owned()),
            )
        })?;
        pieces.push(Piece::Var(parse_var(&after[..close])?));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// A generator object: one whose keys start with `$` (plus `times` for `$repeat`).
fn is_generator(map: &Map<String, Value>) -> bool {
    map.keys().any(|k| k.starts_with('$'))
}

/// Checks a templated value (any JSON); records each variable it uses with its pointer.
pub fn check_value(
    value: &Value,
    pointer: &str,
    vars: &mut Vec<(String, Var)>,
    errors: &mut Vec<TemplateError>,
) {
    match value {
        Value::String(text) => check_text(text, pointer, vars, errors),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_value(item, &format!("{pointer}/{i}"), vars, errors);
            }
        }
        Value::Object(map) if is_generator(map) => check_generator(map, pointer, vars, errors),
        Value::Object(map) => {
            for (key, item) in map {
                check_value(item, &format!("{pointer}/{}", escape(key)), vars, errors);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Checks a value that must yield a string: a templated string or a generator.
pub fn check_string_value(
    value: &Value,
    pointer: &str,
    vars: &mut Vec<(String, Var)>,
    errors: &mut Vec<TemplateError>,
) {
    match value {
        Value::String(text) => check_text(text, pointer, vars, errors),
        Value::Object(map) if is_generator(map) => check_generator(map, pointer, vars, errors),
        _ => errors.push(TemplateError::new(
            pointer,
            "expected a string, or a generator object such as {\"$repeat\": \"x\", \"times\": 10}",
        )),
    }
}

fn check_text(
    text: &str,
    pointer: &str,
    vars: &mut Vec<(String, Var)>,
    errors: &mut Vec<TemplateError>,
) {
    match parse(text) {
        Ok(pieces) => {
            for piece in pieces {
                if let Piece::Var(var) = piece {
                    vars.push((pointer.to_owned(), var));
                }
            }
        }
        Err((message, help)) => errors.push(TemplateError {
            pointer: pointer.to_owned(),
            message,
            help,
        }),
    }
}

fn check_generator(
    map: &Map<String, Value>,
    pointer: &str,
    vars: &mut Vec<(String, Var)>,
    errors: &mut Vec<TemplateError>,
) {
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    match keys.as_slice() {
        ["$literal"] => {}
        ["$concat"] => match &map["$concat"] {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    check_string_value(item, &format!("{pointer}/$concat/{i}"), vars, errors);
                }
            }
            _ => errors.push(TemplateError::new(
                &format!("{pointer}/$concat"),
                "`$concat` takes an array of strings and generators",
            )),
        },
        ["$repeat", "times"] | ["times", "$repeat"] => {
            check_string_value(&map["$repeat"], &format!("{pointer}/$repeat"), vars, errors);
            match map["times"].as_u64() {
                None => errors.push(TemplateError::new(
                    &format!("{pointer}/times"),
                    "`times` must be a whole number",
                )),
                Some(times) => {
                    if let Value::String(unit) = &map["$repeat"]
                        && (unit.len() as u64).saturating_mul(times) > MAX_BUILT_BYTES as u64
                    {
                        errors.push(TemplateError::new(
                            &format!("{pointer}/times"),
                            format!("the repeated string would exceed {MAX_BUILT_BYTES} bytes"),
                        ));
                    }
                }
            }
        }
        _ => {
            let unknown = keys
                .iter()
                .find(|k| !matches!(**k, "$literal" | "$concat" | "$repeat" | "times"));
            let mut error = TemplateError::new(
                pointer,
                match unknown {
                    Some(key) => format!("unknown generator `{key}`"),
                    None => format!(
                        "a generator is one of {{\"$repeat\": S, \"times\": N}}, {{\"$concat\": [...]}}, {{\"$literal\": V}}; found keys {}",
                        keys.join(", ")
                    ),
                },
            );
            if let Some(key) = unknown {
                error.help = did_you_mean(key, ["$literal", "$concat", "$repeat", "times"]);
            }
            errors.push(error);
        }
    }
}

/// Escapes a key for a JSON pointer.
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Why a templated value cannot be expanded into what is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// `{{capture.NAME}}` before (or without) the step that captures NAME succeeding.
    #[error("`{{{{capture.{name}}}}}` has no value: the step that captures it did not")]
    NoCapture { name: String },
    /// A template the loader would have refused (a case built in code, not loaded).
    #[error("{0}")]
    Syntax(String),
    #[error("expected a string, found {found}")]
    NotAString { found: String },
    #[error("built string exceeds {MAX_BUILT_BYTES} bytes")]
    TooLong,
    #[error("malformed generator")]
    MalformedGenerator,
}

/// Values of the variables while a step is rendered.
pub trait Scope {
    /// The value of `var`, or why it has none (e.g. a capture that failed).
    fn value(&self, var: &Var) -> Result<String, RenderError>;
}

/// Expands a templated value into what is sent.
pub fn render_value(value: &Value, scope: &dyn Scope) -> Result<Value, RenderError> {
    Ok(match value {
        Value::String(text) => Value::String(render_text(text, scope)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| render_value(item, scope))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) if is_generator(map) => match map.get("$literal") {
            Some(literal) => literal.clone(),
            None => {
                let mut out = String::new();
                render_generator(map, scope, &mut out)?;
                Value::String(out)
            }
        },
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (key, item) in map {
                out.insert(key.clone(), render_value(item, scope)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// Expands a value that yields a string (templated string or generator).
pub fn render_string_value(value: &Value, scope: &dyn Scope) -> Result<String, RenderError> {
    let mut out = String::new();
    render_string_into(value, scope, &mut out)?;
    Ok(out)
}

/// Appends the expansion of `value` to `out`. Generators build into this one buffer: a 12 MB
/// body is written once, not built piece by piece and copied into its concatenation.
fn render_string_into(
    value: &Value,
    scope: &dyn Scope,
    out: &mut String,
) -> Result<(), RenderError> {
    match value {
        Value::String(text) => out.push_str(&render_text(text, scope)?),
        Value::Object(map) if is_generator(map) => match map.get("$literal") {
            Some(Value::String(literal)) => out.push_str(literal),
            Some(other) => out.push_str(&other.to_string()),
            None => render_generator(map, scope, out)?,
        },
        other => {
            return Err(RenderError::NotAString {
                found: other.to_string(),
            });
        }
    }
    Ok(())
}

fn render_generator(
    map: &Map<String, Value>,
    scope: &dyn Scope,
    out: &mut String,
) -> Result<(), RenderError> {
    let start = out.len();
    if let Some(Value::Array(items)) = map.get("$concat") {
        for item in items {
            render_string_into(item, scope, out)?;
            if out.len() - start > MAX_BUILT_BYTES {
                return Err(RenderError::TooLong);
            }
        }
        return Ok(());
    }
    if let (Some(unit), Some(times)) =
        (map.get("$repeat"), map.get("times").and_then(Value::as_u64))
    {
        let unit = render_string_value(unit, scope)?;
        let total = (unit.len() as u64).saturating_mul(times);
        if total > MAX_BUILT_BYTES as u64 {
            return Err(RenderError::TooLong);
        }
        let total = total as usize;
        if total == 0 {
            return Ok(());
        }
        out.reserve(total);
        out.push_str(&unit);
        // Doubling copies within the buffer; every copied range is whole units, so it starts
        // and ends on character boundaries.
        while out.len() - start < total {
            let done = out.len() - start;
            out.extend_from_within(start..start + done.min(total - done));
        }
        return Ok(());
    }
    Err(RenderError::MalformedGenerator)
}

fn render_text(text: &str, scope: &dyn Scope) -> Result<String, RenderError> {
    let pieces = parse(text).map_err(|(message, _)| RenderError::Syntax(message))?;
    let mut out = String::with_capacity(text.len());
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(var) => out.push_str(&scope.value(&var)?),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Fixed;
    impl Scope for Fixed {
        fn value(&self, var: &Var) -> Result<String, RenderError> {
            match var {
                Var::UserId(None) => Ok("u-1".into()),
                Var::UserId(Some(name)) => Ok(format!("u-1-{name}")),
                Var::ClientIp => Ok("203.0.113.7".into()),
                Var::ProjectId => Ok("cap-1".into()),
                Var::ClientSession => Ok("CS".into()),
                Var::Copy => Ok("3".into()),
                Var::Capture(name) if name == "s" => Ok("SESSION".into()),
                Var::Capture(name) => Err(RenderError::NoCapture { name: name.clone() }),
            }
        }
    }

    fn check(value: Value) -> (Vec<(String, Var)>, Vec<TemplateError>) {
        let mut vars = Vec::new();
        let mut errors = Vec::new();
        check_value(&value, "/p", &mut vars, &mut errors);
        (vars, errors)
    }

    #[test]
    fn renders_variables_and_leaves_other_types_alone() {
        let value = json!({
            "UserId": "{{user_id}}", "Guest": "{{ user_id.guest }}-{{copy}}",
            "UserIp": "{{client_ip}}", "N": 5, "Null": null, "B": false,
            "S": "x{{capture.s}}y", "Arr": ["{{project_id}}"], "ClientSession": "{{client_session}}"
        });
        let out = render_value(&value, &Fixed).unwrap();
        assert_eq!(
            out,
            json!({
                "UserId": "u-1", "Guest": "u-1-guest-3", "UserIp": "203.0.113.7", "N": 5,
                "Null": null, "B": false, "S": "xSESSIONy", "Arr": ["cap-1"], "ClientSession": "CS"
            })
        );
    }

    #[test]
    fn generators_build_long_strings_and_literals() {
        let value = json!({
            "Long": {"$repeat": "ab", "times": 3},
            "Joined": {"$concat": ["<", {"$repeat": "{{copy}}", "times": 2}, ">"]},
            "Braces": {"$literal": "{{user_id}}"},
            "Obj": {"$literal": {"$repeat": 1}}
        });
        let out = render_value(&value, &Fixed).unwrap();
        assert_eq!(
            out,
            json!({"Long": "ababab", "Joined": "<33>", "Braces": "{{user_id}}", "Obj": {"$repeat": 1}})
        );
        let big = render_string_value(&json!({"$repeat": "x", "times": 5000}), &Fixed).unwrap();
        assert_eq!(big.len(), 5000);
    }

    #[test]
    fn repeats_build_whole_units_inside_a_concatenation() {
        for times in [0u64, 1, 2, 7, 1000, 1023] {
            let value =
                json!({"$concat": ["<{{copy}}", {"$repeat": "é✓{{copy}}", "times": times}, ">"]});
            let built = render_string_value(&value, &Fixed).unwrap();
            assert_eq!(
                built,
                format!("<3{}>", "é✓3".repeat(times as usize)),
                "times {times}"
            );
        }
    }

    #[test]
    fn check_reports_unknown_variables_with_a_suggestion() {
        let (vars, errors) = check(json!({"A": "{{usr_id}}", "B": "{{client_ip}}"}));
        assert_eq!(vars, vec![("/p/B".to_owned(), Var::ClientIp)]);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].pointer, "/p/A");
        assert_eq!(errors[0].message, "unknown template variable `{{usr_id}}`");
        assert_eq!(errors[0].help.as_deref(), Some("did you mean `user_id`?"));
        let (vars, errors) = check(json!({"C": "{{client_sesion}}", "D": "{{client_session}}"}));
        assert_eq!(vars, vec![("/p/D".to_owned(), Var::ClientSession)]);
        assert_eq!(
            errors[0].help.as_deref(),
            Some("did you mean `client_session`?")
        );
    }

    #[test]
    fn check_reports_malformed_generators_and_unclosed_braces() {
        let (_, errors) = check(json!({
            "A": {"$repeet": "x", "times": 2},
            "B": {"$repeat": "x", "times": "many"},
            "C": "{{user_id",
            "D": {"$concat": "x"},
            "E": {"$repeat": "xx", "times": 20000000}
        }));
        let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/p/A", "/p/B/times", "/p/C", "/p/D/$concat", "/p/E/times"]
        );
        assert_eq!(errors[0].help.as_deref(), Some("did you mean `$repeat`?"));
    }

    #[test]
    fn capture_and_named_user_ids_are_recorded() {
        let (vars, errors) = check(json!(["{{capture.server_session}}", "{{user_id.host}}"]));
        assert!(errors.is_empty());
        assert_eq!(
            vars,
            vec![
                ("/p/0".to_owned(), Var::Capture("server_session".into())),
                ("/p/1".to_owned(), Var::UserId(Some("host".into())))
            ]
        );
    }

    #[test]
    fn render_fails_on_a_missing_capture() {
        let error = render_value(&json!("{{capture.other}}"), &Fixed).unwrap_err();
        assert_eq!(
            error,
            RenderError::NoCapture {
                name: "other".into()
            }
        );
        assert_eq!(
            error.to_string(),
            "`{{capture.other}}` has no value: the step that captures it did not"
        );
    }

    #[test]
    fn string_values_refuse_other_types() {
        let mut vars = Vec::new();
        let mut errors = Vec::new();
        check_string_value(&json!(5), "/b", &mut vars, &mut errors);
        assert_eq!(errors.len(), 1);
        assert!(render_string_value(&json!(5), &Fixed).is_err());
    }
}
