//! mock: the API error type and its messages in English and Chinese (`X-TC-Language` picks one).
//! Messages are documented as changeable, so cases compare codes; these follow Tencent's public
//! samples where one exists, and the error-code tables' descriptions otherwise. Every layer that
//! refuses a request builds an [`ApiError`] here; `reply` only writes it out, so imports run one
//! way (reply → messages).

/// The language of messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The language an `X-TC-Language` value asks for. Only `zh-CN` gives Chinese; any other value
    /// (or none) gives English, the language of the international site's documentation: the
    /// gateway's answer to an unsupported value is not documented, so the mock tolerates it.
    pub fn from_header(value: Option<&str>) -> Lang {
        match value.map(str::trim) {
            Some(v) if v.eq_ignore_ascii_case("zh-CN") => Lang::Zh,
            _ => Lang::En,
        }
    }
}

/// An API error: its code and its message in both languages (the request picks one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: String,
    pub en: String,
    pub zh: String,
}

impl ApiError {
    /// `code` with its own message in both languages.
    pub fn new(code: &str, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            en: en.into(),
            zh: zh.into(),
        }
    }

    /// `code` with the generic message the error-code tables give it.
    pub fn code(code: &str) -> Self {
        let (en, zh) = generic_message(code);
        Self::new(code, en, zh)
    }

    /// `code` with one message for both languages (an injected fault's own message).
    pub fn with_message(code: &str, message: &str) -> Self {
        Self::new(code, message, message)
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// (code, English, Chinese): the business codes of the CAR pages and the common codes the mock
/// can answer without a parameter in the message.
const GENERIC: &[(&str, &str, &str)] = &[
    ("FailedOperation", "Operation failed.", "操作失败。"),
    (
        "FailedOperation.LockTimeout",
        "Concurrency quota not requested or request timed out.",
        "未申请并发或申请的并发已超时。",
    ),
    (
        "FailedOperation.PathNotFound",
        "Failed to find the path.",
        "找不到路径。",
    ),
    (
        "FailedOperation.ProcessTimeout",
        "Processing timed out.",
        "处理超时。",
    ),
    (
        "FailedOperation.SlowDown",
        "The request of the current UserId is being processed. Try again later.",
        "当前 UserId 的请求正在处理中，请稍后重试。",
    ),
    ("InternalError", "Internal error.", "内部错误。"),
    (
        "InvalidParameter.JsonParseError",
        "JSON parsing error.",
        "JSON 解析错误。",
    ),
    (
        "InvalidParameterValue",
        "Invalid parameter value.",
        "参数取值错误。",
    ),
    (
        "LimitExceeded.Role",
        "[Multi-person Interaction] The number of persons corresponding to a role exceeds the limit.",
        "【多人互动】对应角色的人数超过限制。",
    ),
    ("OperationDenied", "Operation denied.", "操作被拒绝。"),
    (
        "ResourceNotFound.NoIdle",
        "No available concurrency quota.",
        "没有空闲的并发。",
    ),
    (
        "ResourceNotFound.SessionNotFound",
        "Unable to find the session.",
        "找不到会话。",
    ),
    (
        "ResourceUnavailable.Initialization",
        "It is being initialized.",
        "正在初始化中。",
    ),
    (
        "ResourceUnavailable.AccessFailed",
        "Access failed.",
        "访问失败。",
    ),
    (
        "UnsupportedOperation.Stopping",
        "The session is being terminated.",
        "会话正在停止中。",
    ),
    (
        "AuthFailure.SignatureFailure",
        "The provided credentials could not be validated. Please check your signature is correct.",
        "请求签名验证失败，请检查您的签名计算是否正确。",
    ),
    (
        "AuthFailure.SecretIdNotFound",
        "The SecretId is not found, please ensure that your SecretId is correct.",
        "密钥不存在，请确认您的 SecretId 是否正确。",
    ),
    (
        "AuthFailure.SignatureExpire",
        "Signature expired. The timestamp differs from the server time by more than the allowed window.",
        "签名过期，请求时间戳与服务器时间相差超过允许范围。",
    ),
    (
        "AuthFailure.InvalidAuthorization",
        "The Authorization header is missing or malformed.",
        "请求头部的 Authorization 不符合腾讯云标准。",
    ),
    (
        "AuthFailure.TokenFailure",
        "The token of the temporary credentials is missing or invalid.",
        "临时证书 Token 错误或缺失。",
    ),
    (
        "RequestLimitExceeded",
        "Your current request frequency has exceeded the limit of this action.",
        "请求的次数超过了频率限制。",
    ),
    ("InvalidParameter", "Invalid parameter.", "参数错误。"),
    ("MissingParameter", "A parameter is missing.", "缺少参数。"),
    ("UnknownParameter", "Unknown parameter.", "未知参数。"),
];

/// The generic (English, Chinese) message of `code`; a code without one (an injected code the
/// tables do not list) gets a message that names it.
pub fn generic_message(code: &str) -> (String, String) {
    match GENERIC.iter().find(|(known, _, _)| *known == code) {
        Some((_, en, zh)) => ((*en).to_owned(), (*zh).to_owned()),
        None => (
            format!("The request failed with `{code}`."),
            format!("请求失败：`{code}`。"),
        ),
    }
}

/// Parameters and other values quoted in messages are cut short so an answer stays small.
fn quote(value: &str) -> String {
    const MAX: usize = 64;
    let mut out: String = value
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX)
        .collect();
    if value.chars().count() > MAX {
        out.push('…');
    }
    out
}

pub fn unsupported_protocol(method: &str) -> ApiError {
    let m = quote(method);
    ApiError::new(
        "UnsupportedProtocol",
        format!("The HTTP method `{m}` is not supported. Use GET or POST."),
        format!("不支持 HTTP 方法 `{m}`，请使用 GET 或 POST。"),
    )
}

/// The public sample: "The request is missing a required parameter `Version`."
pub fn missing_parameter(name: &str) -> ApiError {
    let n = quote(name);
    ApiError::new(
        "MissingParameter",
        format!("The request is missing a required parameter `{n}`."),
        format!("缺少必填参数 `{n}`。"),
    )
}

/// The public sample: "The parameter `X` is not recognized."
pub fn unknown_parameter(name: &str) -> ApiError {
    let n = quote(name);
    ApiError::new(
        "UnknownParameter",
        format!("The parameter `{n}` is not recognized."),
        format!("参数 `{n}` 无法识别。"),
    )
}

pub fn invalid_parameter_type(name: &str, expected: &str) -> ApiError {
    let n = quote(name);
    ApiError::new(
        "InvalidParameter",
        format!("The parameter `{n}` must be of type {expected}."),
        format!("参数 `{n}` 的类型必须是 {expected}。"),
    )
}

pub fn invalid_parameter_value(name: &str, reason: &str, reason_zh: &str) -> ApiError {
    let n = quote(name);
    ApiError::new(
        "InvalidParameterValue",
        format!("The value of the parameter `{n}` is invalid: {reason}."),
        format!("参数 `{n}` 的取值无效：{reason_zh}。"),
    )
}

pub fn invalid_action(action: &str) -> ApiError {
    let a = quote(action);
    ApiError::new(
        "InvalidAction",
        format!("The requested action `{a}` does not exist."),
        format!("接口 `{a}` 不存在。"),
    )
}

pub fn no_such_version(version: &str, action: &str) -> ApiError {
    let (v, a) = (quote(version), quote(action));
    ApiError::new(
        "NoSuchVersion",
        format!("The requested version `{v}` of action `{a}` does not exist."),
        format!("接口 `{a}` 不存在版本 `{v}`。"),
    )
}

pub fn request_size_limit(limit: usize) -> ApiError {
    ApiError::new(
        "RequestSizeLimitExceeded",
        format!("The request size exceeds the limit of {limit} bytes."),
        format!("请求大小超过了 {limit} 字节的限制。"),
    )
}

pub fn request_limit(per_second: u32, action: &str) -> ApiError {
    let a = quote(action);
    ApiError::new(
        "RequestLimitExceeded",
        format!(
            "Your current request frequency has exceeded the limit of {per_second} requests per second for `{a}`."
        ),
        format!("接口 `{a}` 的请求频率超过了每秒 {per_second} 次的限制。"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_follows_the_header() {
        assert_eq!(Lang::from_header(Some("zh-CN")), Lang::Zh);
        assert_eq!(Lang::from_header(Some("en-US")), Lang::En);
        assert_eq!(Lang::from_header(Some("fr-FR")), Lang::En);
        assert_eq!(Lang::from_header(None), Lang::En);
    }

    #[test]
    fn the_missing_parameter_message_matches_the_public_sample() {
        let error = missing_parameter("UserId");
        assert_eq!(
            error.message(Lang::En),
            "The request is missing a required parameter `UserId`."
        );
        assert!(error.message(Lang::Zh).contains("UserId"));
    }

    #[test]
    fn every_seed_business_code_has_a_message_in_both_languages() {
        for code in [
            "FailedOperation",
            "FailedOperation.LockTimeout",
            "FailedOperation.PathNotFound",
            "FailedOperation.ProcessTimeout",
            "FailedOperation.SlowDown",
            "InternalError",
            "InvalidParameter.JsonParseError",
            "InvalidParameterValue",
            "LimitExceeded.Role",
            "OperationDenied",
            "ResourceNotFound.NoIdle",
            "ResourceNotFound.SessionNotFound",
            "ResourceUnavailable.Initialization",
            "UnsupportedOperation.Stopping",
        ] {
            let (en, zh) = generic_message(code);
            assert!(!en.contains(code), "{code} has no own English message");
            assert_ne!(en, zh);
        }
    }

    #[test]
    fn quoted_values_are_short_and_printable() {
        let error = unknown_parameter(&format!("{}\n", "x".repeat(500)));
        assert!(error.en.len() < 120);
        assert!(!error.en.contains('\n'));
    }
}
