//! mock: what each allowed variant does — a more lenient reading of the parameters, a stricter
//! but documented lock rule, a slower yet in-budget answer, or an answer written differently
//! where the contract leaves room. Each [`Leeway`] is applied at the hook the mock offers for it
//! (after the gateway, around the business layer, on the finished answer).

use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value};

use super::{VARIANTS, Variant};
use crate::mock::action::Action;
use crate::mock::decisions::Checks;
use crate::mock::messages::ApiError;
use crate::mock::messages::{Lang, invalid_parameter_value};
use crate::mock::params::{self, ParamRule, ROLES, RUN_MODES};
use crate::mock::state::LockRules;

/// How long ApplyConcurrent takes under `slow-apply-concurrent` unless configured: beyond
/// CreateSession's 5 s, well within ApplyConcurrent's own 20 s.
pub const DEFAULT_SLOW_APPLY: Duration = Duration::from_millis(7_000);
/// How long a successful CreateSession takes under `create-session-within-budget`: well past
/// anything a fast server needs, with a margin to the documented 5 s that a loaded machine keeps.
const CREATE_WITHIN_BUDGET: Duration = Duration::from_millis(2_000);
/// How long DestroySession takes under `slow-destroy-session`: more than any documented budget
/// of another action, so a suite that judges it by one is caught.
const SLOW_DESTROY: Duration = Duration::from_millis(6_000);
/// The undocumented output field of `extra-output-field`.
pub const EXTRA_FIELD: &str = "TraceId";

/// One way a correct implementation may differ from the reference mock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leeway {
    /// RequestId `req_` + 32 hex digits.
    OpaqueRequestId,
    /// RequestId an upper-case UUID.
    UpperCaseRequestId,
    /// An undocumented output field in every successful `Response`.
    ExtraOutputField,
    /// RequestId before the action's fields.
    RequestIdFirst,
    /// Indented JSON.
    PrettyJson,
    /// Non-ASCII characters as `\uXXXX`.
    AsciiEscapedJson,
    /// Another Error.Message for the same code.
    MessageWording,
    /// English messages whatever X-TC-Language says.
    LanguageIgnored,
    /// ServerSession `ss-` + 32 hex digits.
    OpaqueServerSession,
    /// `Server`, `Cache-Control` and `X-Content-Type-Options` headers.
    ExtraHeaders,
    /// `Connection: close` on every answer.
    ConnectionClose,
    /// Role and RunMode compared ignoring ASCII case.
    EnumIgnoringCase,
    /// Role and RunMode trimmed before they are compared.
    EnumTrimmed,
    /// Role without HostUserId dropped.
    RoleWithoutHostIgnored,
    /// UserIp any non-empty string.
    UserIpUnchecked,
    /// A reconnect needs a live lock.
    ReconnectNeedsLock,
    /// A guest needs its own lock.
    GuestNeedsLock,
    /// ApplyConcurrent takes [`DEFAULT_SLOW_APPLY`] (or the configured time) before it runs.
    SlowApplyConcurrent,
    /// A successful CreateSession answers after 2 s.
    SlowCreateSession,
    /// DestroySession takes 6 s before it runs.
    SlowDestroySession,
    /// A signature v1 SignatureMethod other than HmacSHA1 / HmacSHA256 is `InvalidParameterValue`.
    V1UnknownMethodRefused,
}

/// The variants switched on in one mock.
#[derive(Debug, Clone, Default)]
pub struct Variants {
    on: Vec<&'static Variant>,
    slow_apply: Option<Duration>,
    /// Whether the ClientSession rule is in force (re-checked after enum values are normalised).
    client_session_rule: bool,
}

impl Variants {
    /// The variants called `names` (unknown names were refused by `MockConfig::validate`; here
    /// they are skipped), with `checks` as the reference rules in force before any variant.
    pub fn new(names: &[String], slow_apply_ms: Option<u64>, checks: &Checks) -> Self {
        let on = VARIANTS
            .iter()
            .filter(|v| names.iter().any(|n| n == v.name))
            .collect();
        Self {
            on,
            slow_apply: slow_apply_ms.map(Duration::from_millis),
            client_session_rule: checks.param_on(ParamRule::ClientSession, "ClientSession"),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.on.is_empty()
    }

    /// The names switched on, in catalogue order.
    pub fn names(&self) -> Vec<&'static str> {
        self.on.iter().map(|v| v.name).collect()
    }

    fn has(&self, leeway: Leeway) -> bool {
        self.on.iter().any(|v| v.leeway == leeway)
    }

    /// `checks`, less the reference rules the variants replace with their own.
    pub fn switch_off(&self, checks: Checks) -> Checks {
        let mut checks = checks;
        for variant in &self.on {
            for check in variant.off {
                checks = checks.without(*check);
            }
        }
        if self.normalises_enums() {
            // Re-checked in `adjust_params` once RunMode is read the variant's way.
            checks = checks.without(crate::mock::Check::ParamOf(
                ParamRule::ClientSession,
                "ClientSession",
            ));
        }
        checks
    }

    fn normalises_enums(&self) -> bool {
        self.has(Leeway::EnumIgnoringCase) || self.has(Leeway::EnumTrimmed)
    }

    /// Whether a signature v1 SignatureMethod other than HmacSHA1 / HmacSHA256 is refused
    /// (the gateway's v1 way asks before it verifies).
    pub fn refuses_unknown_signature_method(&self) -> bool {
        self.has(Leeway::V1UnknownMethodRefused)
    }

    /// The lock rules of the business state.
    pub fn lock_rules(&self) -> LockRules {
        LockRules {
            reconnect: self.has(Leeway::ReconnectNeedsLock),
            guest: self.has(Leeway::GuestNeedsLock),
        }
    }

    /// The language messages are written in.
    pub fn language(&self, asked: Lang) -> Lang {
        if self.has(Leeway::LanguageIgnored) {
            Lang::En
        } else {
            asked
        }
    }

    /// After the gateway: the parameters as the variant reads them, or its own refusal.
    pub fn adjust_params(
        &self,
        action: Action,
        params: &mut Map<String, Value>,
    ) -> Result<(), ApiError> {
        if self.has(Leeway::UserIpUnchecked)
            && params.get("UserIp").and_then(Value::as_str) == Some("")
        {
            return Err(invalid_parameter_value(
                "UserIp",
                "it must not be empty",
                "不能为空",
            ));
        }
        if action != Action::CreateSession {
            return Ok(());
        }
        if self.normalises_enums() {
            for (name, allowed) in [("Role", ROLES), ("RunMode", RUN_MODES)] {
                self.normalise(params, name, allowed)?;
            }
            if self.client_session_rule {
                params::check(action, params, &|rule, _| rule == ParamRule::ClientSession)?;
            }
        }
        let host = params.get("HostUserId").and_then(Value::as_str);
        if self.has(Leeway::RoleWithoutHostIgnored) && host.is_none_or(str::is_empty) {
            params.remove("Role");
        }
        Ok(())
    }

    /// `params[name]` replaced by the documented value it stands for, or refused.
    fn normalise(
        &self,
        params: &mut Map<String, Value>,
        name: &str,
        allowed: &[&str],
    ) -> Result<(), ApiError> {
        let Some(Value::String(value)) = params.get_mut(name) else {
            return Ok(());
        };
        let read = if self.has(Leeway::EnumTrimmed) {
            value.trim()
        } else {
            value.as_str()
        };
        let ignore_case = self.has(Leeway::EnumIgnoringCase);
        let found = allowed.iter().find(|documented| {
            **documented == read || (ignore_case && documented.eq_ignore_ascii_case(read))
        });
        match found {
            Some(documented) => {
                (*documented).clone_into(value);
                Ok(())
            }
            None => {
                let listed: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
                let listed = listed.join(", ");
                Err(invalid_parameter_value(
                    name,
                    &format!("expected one of {listed}"),
                    &format!("应为 {listed} 之一"),
                ))
            }
        }
    }

    /// Time `action` takes before the business layer sees it (the state changes only then).
    pub fn delay_before(&self, action: Action) -> Option<Duration> {
        match action {
            Action::ApplyConcurrent if self.has(Leeway::SlowApplyConcurrent) => {
                Some(self.slow_apply.unwrap_or(DEFAULT_SLOW_APPLY))
            }
            Action::DestroySession if self.has(Leeway::SlowDestroySession) => Some(SLOW_DESTROY),
            _ => None,
        }
    }

    /// Extra time before a successful `action` answers.
    pub fn delay_after(&self, action: Action) -> Option<Duration> {
        (action == Action::CreateSession && self.has(Leeway::SlowCreateSession))
            .then_some(CREATE_WITHIN_BUDGET)
    }

    /// The finished answer, written the variants' way.
    pub fn finish(&self, response: http::Response<Bytes>, lang: Lang) -> http::Response<Bytes> {
        let (mut head, body) = response.into_parts();
        let body = self.rewrite(body, lang);
        if self.has(Leeway::ExtraHeaders) {
            for (name, value) in [
                ("server", "car-vendor/1.0"),
                ("cache-control", "no-store"),
                ("x-content-type-options", "nosniff"),
            ] {
                head.headers
                    .insert(name, http::HeaderValue::from_static(value));
            }
        }
        if self.has(Leeway::ConnectionClose) {
            head.headers.insert(
                http::header::CONNECTION,
                http::HeaderValue::from_static("close"),
            );
        }
        http::Response::from_parts(head, body)
    }

    /// The body with the variants' changes; a body that is not a JSON object stays as it is.
    fn rewrite(&self, body: Bytes, lang: Lang) -> Bytes {
        let Ok(Value::Object(mut outer)) = serde_json::from_slice::<Value>(&body) else {
            return body;
        };
        if let Some(Value::Object(response)) = outer.get_mut("Response") {
            self.rewrite_response(response, lang);
        }
        let outer = Value::Object(outer);
        let written = if self.has(Leeway::PrettyJson) {
            serde_json::to_string_pretty(&outer)
        } else {
            serde_json::to_string(&outer)
        };
        let Ok(mut text) = written else {
            return body;
        };
        if self.has(Leeway::AsciiEscapedJson) {
            text = escape_non_ascii(&text);
        }
        Bytes::from(text)
    }

    fn rewrite_response(&self, response: &mut Map<String, Value>, lang: Lang) {
        if response.contains_key("RequestId") {
            let id = if self.has(Leeway::OpaqueRequestId) {
                Some(format!("req_{}", uuid::Uuid::new_v4().simple()))
            } else if self.has(Leeway::UpperCaseRequestId) {
                Some(uuid::Uuid::new_v4().hyphenated().to_string().to_uppercase())
            } else {
                None
            };
            if let Some(id) = id {
                response.insert("RequestId".into(), Value::String(id));
            }
        }
        if self.has(Leeway::OpaqueServerSession) && response.contains_key("ServerSession") {
            let session = format!("ss-{}", uuid::Uuid::new_v4().simple());
            response.insert("ServerSession".into(), Value::String(session));
        }
        if self.has(Leeway::MessageWording)
            && let Some(Value::Object(error)) = response.get_mut("Error")
        {
            let code = error.get("Code").and_then(Value::as_str).unwrap_or("");
            let message = match lang {
                Lang::En => format!("The request could not be completed ({code})."),
                Lang::Zh => format!("请求未能完成（{code}）。"),
            };
            error.insert("Message".into(), Value::String(message));
        }
        // Output fields are an action's: an error answer has none to add to.
        if self.has(Leeway::ExtraOutputField) && !response.contains_key("Error") {
            let trace = uuid::Uuid::new_v4().simple().to_string();
            response.insert(EXTRA_FIELD.into(), Value::String(trace));
        }
        if self.has(Leeway::RequestIdFirst)
            && let Some(id) = response.shift_remove("RequestId")
        {
            let rest = std::mem::take(response);
            response.insert("RequestId".into(), id);
            response.extend(rest);
        }
    }
}

/// `json` with every non-ASCII character written as a `\uXXXX` escape (two for characters
/// beyond the Basic Multilingual Plane). Serialised JSON has non-ASCII characters only inside
/// strings, where an escape means the same character.
pub(super) fn escape_non_ascii(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}
