//! mock: the answer envelope, exactly as the cloud writes it — HTTP 200, `Content-Type:
//! application/json`, `{"Response": {..., "RequestId"}}` with a fresh lower-case UUID, errors as
//! `Error.Code` + `Error.Message` — because official SDKs parse nothing else.

use bytes::Bytes;
use serde_json::{Map, Value};

use super::messages::{ApiError, Lang};

/// The one Content-Type of every answer (the Python SDK ignores error bodies under any other).
pub const CONTENT_TYPE: &str = "application/json";

/// A fresh RequestId: a random (v4) UUID, lower-case and hyphenated like the cloud's.
pub fn request_id() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// `{"Response": {fields..., "RequestId": id}}`.
pub fn success_body(fields: Map<String, Value>, request_id: &str) -> Bytes {
    let mut response = fields;
    response.insert("RequestId".to_owned(), Value::String(request_id.to_owned()));
    envelope(response)
}

/// `{"Response": {"Error": {"Code", "Message"}, "RequestId": id}}`.
pub fn error_body(error: &ApiError, lang: Lang, request_id: &str) -> Bytes {
    let mut detail = Map::new();
    detail.insert("Code".to_owned(), Value::String(error.code.clone()));
    detail.insert(
        "Message".to_owned(),
        Value::String(error.message(lang).to_owned()),
    );
    let mut response = Map::new();
    response.insert("Error".to_owned(), Value::Object(detail));
    response.insert("RequestId".to_owned(), Value::String(request_id.to_owned()));
    envelope(response)
}

fn envelope(response: Map<String, Value>) -> Bytes {
    let mut outer = Map::new();
    outer.insert("Response".to_owned(), Value::Object(response));
    // Serialising a map of strings and numbers cannot fail; an empty object is the fallback.
    Bytes::from(serde_json::to_vec(&Value::Object(outer)).unwrap_or_else(|_| b"{}".to_vec()))
}

/// An HTTP 200 answer carrying `body`; `close` asks the client to drop the connection (when
/// part of its body was left unread).
pub fn http_response(body: Bytes, close: bool) -> http::Response<Bytes> {
    let mut response = http::Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(CONTENT_TYPE),
    );
    if close {
        headers.insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_fresh_lower_case_uuids() {
        let a = request_id();
        let b = request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a, a.to_lowercase());
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }

    #[test]
    fn an_error_body_has_code_message_and_request_id() {
        let body = error_body(&ApiError::code("InternalError"), Lang::En, "rid");
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["Response"]["Error"]["Code"], "InternalError");
        assert_eq!(value["Response"]["Error"]["Message"], "Internal error.");
        assert_eq!(value["Response"]["RequestId"], "rid");
    }

    #[test]
    fn a_success_body_puts_request_id_last() {
        let mut fields = Map::new();
        fields.insert("ServerSession".into(), Value::String("eyJ9".into()));
        let body = success_body(fields, "rid");
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"Response":{"ServerSession":"eyJ9","RequestId":"rid"}}"#
        );
    }

    #[test]
    fn every_answer_is_200_with_the_exact_content_type() {
        let response = http_response(Bytes::from_static(b"{}"), false);
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert!(response.headers().get("connection").is_none());
        let response = http_response(Bytes::from_static(b"{}"), true);
        assert_eq!(response.headers()["connection"], "close");
    }
}
