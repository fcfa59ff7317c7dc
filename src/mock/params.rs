//! mock: the request parameters of each action as a table (name, type, required, allowed values,
//! rule id), and the checks the gateway runs against it. Every check is one named rule, so a later
//! "defect" can switch a single rule off without touching the others.

use serde_json::{Map, Value};

use super::action::Action;
use super::messages::{
    ApiError, invalid_parameter_type, invalid_parameter_value, missing_parameter, unknown_parameter,
};

/// The JSON type a parameter must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::String => "String",
        }
    }

    fn accepts(self, value: &Value) -> bool {
        match self {
            Kind::String => value.is_string(),
        }
    }
}

/// An extra check of a parameter's value, beyond type and enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueRule {
    /// A required string must not be empty. (The cloud's answer to `""` for a required parameter
    /// is undocumented; the mock picks `InvalidParameterValue`, the documented code for a bad value.)
    NonEmpty,
    /// An IPv4 or IPv6 address. (No public rule for UserIp exists; an address is what the
    /// parameter is documented to carry: "Public IP address of the user's client".)
    IpAddress,
}

/// One request parameter of one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// Allowed values, when the documentation enumerates them.
    pub allowed: Option<&'static [&'static str]>,
    pub value_rule: Option<ValueRule>,
}

const fn string(name: &'static str, required: bool) -> ParamSpec {
    ParamSpec {
        name,
        kind: Kind::String,
        required,
        allowed: None,
        value_rule: if required {
            Some(ValueRule::NonEmpty)
        } else {
            None
        },
    }
}

const fn with_rule(spec: ParamSpec, rule: ValueRule) -> ParamSpec {
    ParamSpec {
        value_rule: Some(rule),
        ..spec
    }
}

const fn one_of(spec: ParamSpec, allowed: &'static [&'static str]) -> ParamSpec {
    ParamSpec {
        allowed: Some(allowed),
        ..spec
    }
}

/// RunMode: `RunWithoutClient`, or the empty string (the default).
pub const RUN_MODES: &[&str] = &["", "RunWithoutClient"];
/// Role in a multi-person room (the empty string is not a documented value).
pub const ROLES: &[&str] = &["Player", "Viewer"];
/// ApplicationCategory of DescribeConcurrentCount.
pub const APPLICATION_CATEGORIES: &[&str] = &["DESKTOP", "MOBILE"];

const APPLY_CONCURRENT: &[ParamSpec] = &[
    string("UserId", true),
    with_rule(string("UserIp", true), ValueRule::IpAddress),
    string("ProjectId", true),
    string("ApplicationVersionId", false),
    string("ApplicationId", false),
];

const CREATE_SESSION: &[ParamSpec] = &[
    string("UserId", true),
    with_rule(string("UserIp", true), ValueRule::IpAddress),
    string("ClientSession", false),
    one_of(string("RunMode", false), RUN_MODES),
    string("ApplicationParameters", false),
    string("HostUserId", false),
    one_of(string("Role", false), ROLES),
];

const DESTROY_SESSION: &[ParamSpec] = &[string("UserId", true)];

const DESCRIBE_CONCURRENT_COUNT: &[ParamSpec] = &[
    string("ProjectId", false),
    one_of(string("ApplicationCategory", false), APPLICATION_CATEGORIES),
];

/// The parameter table of `action`.
pub fn specs(action: Action) -> &'static [ParamSpec] {
    match action {
        Action::ApplyConcurrent => APPLY_CONCURRENT,
        Action::CreateSession => CREATE_SESSION,
        Action::DestroySession => DESTROY_SESSION,
        Action::DescribeConcurrentCount => DESCRIBE_CONCURRENT_COUNT,
    }
}

/// A rule between two parameters of one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    /// `param` must be present and non-empty unless `other` equals `value`
    /// (→ `InvalidParameterValue` naming `param`).
    RequiredUnless {
        param: &'static str,
        other: &'static str,
        value: &'static str,
    },
    /// When `param` is given, `needs` must be given and non-empty
    /// (→ `MissingParameter` naming `needs`).
    Requires {
        param: &'static str,
        needs: &'static str,
    },
}

impl Dependency {
    /// The parameter the rule is about (the one a switch for a single parameter names).
    pub fn param(self) -> &'static str {
        match self {
            Dependency::RequiredUnless { param, .. } | Dependency::Requires { param, .. } => param,
        }
    }
}

/// The cross-parameter rules, each under the rule that switches it.
///
/// - ClientSession "can be empty" only with `RunMode=RunWithoutClient`. The code for a missing or
///   empty one is not documented; the mock picks `InvalidParameterValue` (the table marks
///   ClientSession optional, so `MissingParameter` would contradict it).
/// - Role is a "[Multi-person Interaction]" parameter and HostUserId "is required in
///   multi-person interaction mode": a Role without HostUserId is `MissingParameter` naming
///   `HostUserId` (the rule's accepted codes: MissingParameter, InvalidParameter(Value)).
pub const DEPENDENCIES: &[(Action, ParamRule, Dependency)] = &[
    (
        Action::CreateSession,
        ParamRule::ClientSession,
        Dependency::RequiredUnless {
            param: "ClientSession",
            other: "RunMode",
            value: "RunWithoutClient",
        },
    ),
    (
        Action::CreateSession,
        ParamRule::RoleNeedsHost,
        Dependency::Requires {
            param: "Role",
            needs: "HostUserId",
        },
    ),
];

/// The named checks, in the order they run. Ids follow the catalogue's `param.*` naming.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamRule {
    /// A required parameter is absent → `MissingParameter`.
    Required,
    /// A parameter has the wrong JSON type → `InvalidParameter`.
    Type,
    /// A value outside the documented enumeration → `InvalidParameterValue`.
    Enum,
    /// A value failing its [`ValueRule`] → `InvalidParameterValue`.
    Value,
    /// ClientSession required unless RunWithoutClient (see [`DEPENDENCIES`]).
    ClientSession,
    /// Role needs HostUserId (see [`DEPENDENCIES`]).
    RoleNeedsHost,
    /// A parameter the action does not have → `UnknownParameter`.
    Unknown,
}

impl ParamRule {
    pub const ALL: [ParamRule; 7] = [
        ParamRule::Required,
        ParamRule::Type,
        ParamRule::Enum,
        ParamRule::Value,
        ParamRule::ClientSession,
        ParamRule::RoleNeedsHost,
        ParamRule::Unknown,
    ];

    pub fn id(self) -> &'static str {
        match self {
            ParamRule::Required => "param.required",
            ParamRule::Type => "param.type",
            ParamRule::Enum => "param.enum",
            ParamRule::Value => "param.value",
            ParamRule::ClientSession => "rule.client-session.required-with-client",
            ParamRule::RoleNeedsHost => "rule.role.requires-host-user-id",
            ParamRule::Unknown => "param.unknown",
        }
    }
}

/// Checks `params` against the table of `action`: each parameter's presence and type (table
/// order), parameters the table lacks, each value's enumeration and value rule, then the
/// [`DEPENDENCIES`]. An explicit
/// `null` counts as absent (SDKs never send one; a JSON body's null most plausibly means "not
/// given"). Which of several problems the cloud names first is undocumented; this order is stable.
/// `enabled(rule, parameter)` lets a caller switch single rules off, for every parameter or one.
pub fn check(
    action: Action,
    params: &Map<String, Value>,
    enabled: &dyn Fn(ParamRule, &str) -> bool,
) -> Result<(), ApiError> {
    let table = specs(action);
    // The shape first, as a gateway checks a request against the API's definition: presence
    // and type of each parameter, then names the definition lacks.
    for spec in table {
        let value = params.get(spec.name).filter(|v| !v.is_null());
        match value {
            None if spec.required && enabled(ParamRule::Required, spec.name) => {
                return Err(missing_parameter(spec.name));
            }
            Some(value) if !spec.kind.accepts(value) && enabled(ParamRule::Type, spec.name) => {
                return Err(invalid_parameter_type(spec.name, spec.kind.name()));
            }
            _ => {}
        }
    }
    if let Some(name) = params.keys().find(|name| {
        !table.iter().any(|spec| spec.name == name.as_str())
            && enabled(ParamRule::Unknown, name.as_str())
    }) {
        return Err(unknown_parameter(name));
    }
    // Then the values, as the service checks them: enumerations, value rules, dependencies.
    for spec in table {
        let Some(text) = params.get(spec.name).and_then(Value::as_str) else {
            continue;
        };
        if let Some(allowed) = spec.allowed
            && enabled(ParamRule::Enum, spec.name)
            && !allowed.contains(&text)
        {
            let listed: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
            let listed = listed.join(", ");
            return Err(invalid_parameter_value(
                spec.name,
                &format!("expected one of {listed}"),
                &format!("应为 {listed} 之一"),
            ));
        }
        if let Some(rule) = spec.value_rule
            && enabled(ParamRule::Value, spec.name)
        {
            check_value(spec.name, rule, text)?;
        }
    }
    for (_, rule, dependency) in DEPENDENCIES.iter().filter(|(a, _, _)| *a == action) {
        if enabled(*rule, dependency.param()) {
            check_dependency(params, *dependency)?;
        }
    }
    Ok(())
}

fn check_dependency(params: &Map<String, Value>, dependency: Dependency) -> Result<(), ApiError> {
    match dependency {
        Dependency::RequiredUnless {
            param,
            other,
            value,
        } => {
            if get_str(params, other) == Some(value) || get_non_empty(params, param).is_some() {
                return Ok(());
            }
            Err(invalid_parameter_value(
                param,
                &format!("it is required unless {other} is {value}"),
                &format!("{other} 不是 {value} 时必须提供"),
            ))
        }
        Dependency::Requires { param, needs } => {
            let given = params.get(param).is_some_and(|v| !v.is_null());
            if !given || get_non_empty(params, needs).is_some() {
                return Ok(());
            }
            Err(missing_parameter(needs))
        }
    }
}

fn check_value(name: &str, rule: ValueRule, text: &str) -> Result<(), ApiError> {
    match rule {
        ValueRule::NonEmpty if text.is_empty() => Err(invalid_parameter_value(
            name,
            "it must not be empty",
            "不能为空",
        )),
        ValueRule::IpAddress if text.trim().parse::<std::net::IpAddr>().is_err() => Err(
            invalid_parameter_value(name, "it is not an IP address", "不是合法的 IP 地址"),
        ),
        _ => Ok(()),
    }
}

/// A checked parameter's string value; absent, null and non-string values are `None`.
pub fn get_str<'a>(params: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    params.get(name).and_then(Value::as_str)
}

/// A checked parameter's string value, with the empty string counted as absent.
pub fn get_non_empty<'a>(params: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    get_str(params, name).filter(|text| !text.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn all(_: ParamRule, _: &str) -> bool {
        true
    }

    fn run(action: Action, value: Value) -> Result<(), ApiError> {
        let Value::Object(map) = value else {
            panic!("test input must be an object")
        };
        check(action, &map, &all)
    }

    fn code(result: Result<(), ApiError>) -> String {
        result.err().map(|e| e.code).unwrap_or_default()
    }

    #[test]
    fn the_seed_example_passes() {
        let body = json!({"UserIp": "125.127.178.228", "ClientSession": "eyJhYmMiOjEyM30=", "UserId": "cg_user"});
        assert_eq!(run(Action::CreateSession, body), Ok(()));
        let headless = json!({"UserIp": "1.2.3.4", "UserId": "u", "RunMode": "RunWithoutClient"});
        assert_eq!(run(Action::CreateSession, headless), Ok(()));
        let room = json!({"UserIp": "1.2.3.4", "UserId": "u", "ClientSession": "x",
                          "HostUserId": "h", "Role": "Viewer"});
        assert_eq!(run(Action::CreateSession, room), Ok(()));
    }

    #[test]
    fn a_missing_required_parameter_is_named() {
        let error = run(Action::CreateSession, json!({"UserIp": "1.2.3.4"})).unwrap_err();
        assert_eq!(error.code, "MissingParameter");
        assert!(error.en.contains("`UserId`"));
        let error = run(
            Action::CreateSession,
            json!({"UserId": "u", "UserIp": null}),
        );
        assert_eq!(code(error), "MissingParameter");
    }

    #[test]
    fn wrong_types_bad_values_and_unknown_names_have_their_codes() {
        let base = |extra: Value| {
            let mut body = json!({"UserId": "u", "UserIp": "1.2.3.4", "ClientSession": "c"});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            run(Action::CreateSession, body)
        };
        assert_eq!(code(base(json!({"UserId": 5}))), "InvalidParameter");
        assert_eq!(code(base(json!({"Role": ["Player"]}))), "InvalidParameter");
        assert_eq!(
            code(base(json!({"Role": "Admin"}))),
            "InvalidParameterValue"
        );
        assert_eq!(
            code(base(json!({"RunMode": "runwithoutclient"}))),
            "InvalidParameterValue"
        );
        assert_eq!(
            code(base(json!({"UserIp": "not-an-ip"}))),
            "InvalidParameterValue"
        );
        assert_eq!(code(base(json!({"UserId": ""}))), "InvalidParameterValue");
        assert_eq!(code(base(json!({"Nonsense": "x"}))), "UnknownParameter");
        assert_eq!(code(base(json!({"Role": ""}))), "InvalidParameterValue");
        assert_eq!(
            base(json!({"Role": "Viewer", "HostUserId": "h", "RunMode": ""})),
            Ok(())
        );
        assert_eq!(base(json!({"UserIp": "2001:db8::1"})), Ok(()));
    }

    #[test]
    fn cross_parameter_rules_name_the_parameter() {
        let error = run(
            Action::CreateSession,
            json!({"UserId": "u", "UserIp": "1.2.3.4"}),
        )
        .unwrap_err();
        assert_eq!(error.code, "InvalidParameterValue");
        assert!(error.en.contains("`ClientSession`"));
        let empty = json!({"UserId": "u", "UserIp": "1.2.3.4", "ClientSession": "", "RunMode": ""});
        assert_eq!(
            code(run(Action::CreateSession, empty)),
            "InvalidParameterValue"
        );
        let error = run(
            Action::CreateSession,
            json!({"UserId": "u", "UserIp": "1.2.3.4", "ClientSession": "c", "Role": "Player"}),
        )
        .unwrap_err();
        assert_eq!(error.code, "MissingParameter");
        assert!(error.en.contains("`HostUserId`"));
        let Value::Object(no_client) = json!({"UserId": "u", "UserIp": "1.2.3.4"}) else {
            unreachable!()
        };
        let lenient = |rule: ParamRule, _: &str| rule != ParamRule::ClientSession;
        assert_eq!(check(Action::CreateSession, &no_client, &lenient), Ok(()));
    }

    #[test]
    fn a_rule_switched_off_lets_its_problem_through() {
        let Value::Object(body) = json!({"UserIp": "1.2.3.4", "Extra": 1}) else {
            unreachable!()
        };
        let no_required = |rule: ParamRule, _: &str| rule != ParamRule::Required;
        let error = check(Action::CreateSession, &body, &no_required).unwrap_err();
        assert_eq!(error.code, "UnknownParameter");
        let neither = |rule: ParamRule, _: &str| {
            !matches!(
                rule,
                ParamRule::Required | ParamRule::Unknown | ParamRule::ClientSession
            )
        };
        assert_eq!(check(Action::CreateSession, &body, &neither), Ok(()));
    }

    #[test]
    fn every_action_has_a_table_and_rule_ids_are_distinct() {
        for action in Action::ALL {
            let table = specs(action);
            for spec in table {
                assert_eq!(table.iter().filter(|s| s.name == spec.name).count(), 1);
            }
        }
        let mut ids: Vec<&str> = ParamRule::ALL.iter().map(|r| r.id()).collect();
        ids.dedup();
        assert_eq!(ids.len(), ParamRule::ALL.len());
        assert_eq!(
            code(run(Action::DestroySession, json!({}))),
            "MissingParameter"
        );
        assert_eq!(
            code(run(
                Action::DescribeConcurrentCount,
                json!({"ApplicationCategory": "TV"})
            )),
            "InvalidParameterValue"
        );
    }
}
