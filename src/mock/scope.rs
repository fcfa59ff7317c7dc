//! mock: which service a TC3 credential scope may name — `car`, or the first label of the signed
//! Host — so that a client addressing the mock by IP and port signs in a way the mock accepts.
//!
//! # Why the first label of the Host
//!
//! The official Node.js SDK (`tencentcloud-sdk-nodejs`, `src/common/abstract_client.ts`,
//! `doRequestWithSign3`) does not carry a service name: it signs for
//! `service: this.endpoint.split(".")[0]` and sends `Host: new URL(url).host`. Against the real
//! endpoint `car.tencentcloudapi.com` that is `car`, the service the API 3.0 signature documents;
//! pointed at `127.0.0.1:8080` it is `127`, and at `localhost:8080` it is `localhost:8080`. The
//! mock accepts exactly that: a scope service equal to the text before the first `.` of the Host
//! header the request signed (the verifier refuses a request whose SignedHeaders leave out
//! `host`). For the real Host this is `car` again, so the rule the suite holds vendors to is
//! unchanged; any other service (`cvm` in the suite's scope-service cases) is still
//! `AuthFailure.SignatureFailure`, at any address.

use super::gateway::SERVICE;
use crate::sign::parse_authorization;

/// The service the request's credential scope must name: the first label of its Host when that
/// is what the scope names, else [`SERVICE`] (so a mismatch is reported against `car`).
pub fn accepted_service(headers: &http::HeaderMap) -> &str {
    let named = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| parse_authorization(value).ok())
        .map(|parsed| parsed.service);
    match (named, host_first_label(headers)) {
        (Some(named), Some(label)) if named == label => label,
        _ => SERVICE,
    }
}

/// The Host header's text before its first `.` (all of it, port included, when it has none):
/// the Node.js SDK's `endpoint.split(".")[0]`.
fn host_first_label(headers: &http::HeaderMap) -> Option<&str> {
    let host = headers.get(http::header::HOST)?.to_str().ok()?.trim();
    host.split('.').next().filter(|label| !label.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(host: &str, service: &str) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::HOST, host.parse().unwrap());
        let authorization = format!(
            "TC3-HMAC-SHA256 Credential=AKIDx/2026-01-01/{service}/tc3_request, \
             SignedHeaders=content-type;host, Signature={}",
            "0".repeat(64)
        );
        headers.insert(http::header::AUTHORIZATION, authorization.parse().unwrap());
        headers
    }

    #[test]
    fn the_real_endpoint_needs_car() {
        assert_eq!(
            accepted_service(&headers("car.tencentcloudapi.com", "car")),
            "car"
        );
        assert_eq!(
            accepted_service(&headers("car.tencentcloudapi.com", "cvm")),
            "car"
        );
    }

    #[test]
    fn an_address_may_be_signed_as_the_node_sdk_does() {
        assert_eq!(accepted_service(&headers("127.0.0.1:8080", "127")), "127");
        assert_eq!(
            accepted_service(&headers("localhost:8080", "localhost:8080")),
            "localhost:8080"
        );
        assert_eq!(
            accepted_service(&headers("[::1]:8080", "[::1]:8080")),
            "[::1]:8080"
        );
        // `car` stays accepted at any address: the Python SDK and tccli name it explicitly.
        assert_eq!(accepted_service(&headers("127.0.0.1:8080", "car")), "car");
    }

    #[test]
    fn any_other_service_is_held_to_car() {
        for (host, service) in [
            ("127.0.0.1:8080", "cvm"),
            ("127.0.0.1:8080", "127.0.0.1:8080"),
            ("localhost:8080", "localhost"),
            ("127.0.0.1:8080", ""),
        ] {
            assert_eq!(
                accepted_service(&headers(host, service)),
                "car",
                "{host} {service}"
            );
        }
        let mut no_host = headers("x", "x");
        no_host.remove(http::header::HOST);
        assert_eq!(accepted_service(&no_host), "car");
    }

    /// Through the whole gateway, signed by the suite's signer for a chosen service and Host.
    fn gateway_code(host: &str, service: &str) -> Option<String> {
        use crate::mock::{Checks, MockConfig, gateway::Gateway, gateway::Incoming};
        use crate::sign::{Credentials, SignRequest, sign};
        let now = 1_700_000_000;
        let credentials =
            Credentials::new(crate::mock::TEST_SECRET_ID, crate::mock::TEST_SECRET_KEY);
        let body = br#"{}"#;
        let request = SignRequest {
            service,
            ..SignRequest::post_json(host, "DescribeConcurrentCount", body, now, &credentials)
        };
        let signed = sign(&request).unwrap();
        let mut headers = http::HeaderMap::new();
        for (name, value) in &signed.headers {
            headers.insert(
                http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        let incoming = Incoming {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            body,
            body_len: body.len() as u64,
        };
        Gateway::new(&MockConfig::default(), Checks::all())
            .check(&incoming, now, std::time::Instant::now())
            .err()
            .map(|error| error.code)
    }

    #[test]
    fn the_gateway_applies_the_rule() {
        assert_eq!(gateway_code("127.0.0.1:8080", "car"), None);
        assert_eq!(gateway_code("127.0.0.1:8080", "127"), None);
        assert_eq!(gateway_code("car.tencentcloudapi.com", "car"), None);
        let refused = Some("AuthFailure.SignatureFailure".to_owned());
        assert_eq!(gateway_code("127.0.0.1:8080", "cvm"), refused);
        assert_eq!(gateway_code("car.tencentcloudapi.com", "127"), refused);
        assert_eq!(gateway_code("localhost:8080", "127"), refused);
    }
}
