//! mock: what a client addressing the mock by IP and port signs differently from one calling
//! `car.tencentcloudapi.com`, and the mock accepts so that official clients work unchanged: the
//! credential scope may name the Host's first label, and the signed Host may leave out the port.
//!
//! # Why
//!
//! The official Node.js SDK (`tencentcloud-sdk-nodejs`, `src/common/abstract_client.ts`,
//! `doRequestWithSign3`, and `src/common/sign.ts`, `sign3`) carries no service name: it signs for
//! `service: this.endpoint.split(".")[0]`, sends `Host: new URL(url).host` (port included) and
//! signs `host:${urlObj.hostname}` (port left out). Against the real endpoint both are what the
//! API 3.0 signature documents (`car`, `car.tencentcloudapi.com`); pointed at `127.0.0.1:8080`
//! it signs for service `127` and host `127.0.0.1`. So the mock accepts:
//!
//! - a scope service equal to the text before the first `.` of the Host header (the verifier
//!   refuses a request whose SignedHeaders leave out `host`), else `car` — at the real Host this
//!   is `car` again, so the rule the suite holds vendors to is unchanged, and any other service
//!   (`cvm` in the suite's scope-service cases) is still `AuthFailure.SignatureFailure`;
//! - a signature over the Host header without its port, tried only when the one over the Host as
//!   sent does not match and the Host has a port (the real Host has none, so there the rule is
//!   unchanged too).

use crate::sign::{
    HeaderSource, KeyCache, KeyLookup, Received, Rejection, VerifyPolicy, parse_authorization,
    verify,
};

/// The service name a credential scope carries (or the Host's first label: see `address`).
pub const SERVICE: &str = "car";

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

/// [`verify`], and when only the signature failed and the Host has a port, [`verify`] again
/// with the Host as the Node.js SDK signs it (without the port).
pub fn verify_at_address(
    request: &Received<'_, http::HeaderMap>,
    keys: &dyn KeyLookup,
    policy: &VerifyPolicy<'_>,
    cache: &KeyCache,
) -> Result<String, Rejection> {
    let first = verify(request, keys, policy, Some(cache));
    let Err(Rejection::SignatureMismatch) = first else {
        return first;
    };
    let Some(host) = host_without_port(request.headers) else {
        return first;
    };
    let headers = PortlessHost {
        headers: request.headers,
        host,
    };
    let portless = Received {
        method: request.method,
        path: request.path,
        query: request.query,
        headers: &headers,
        body: request.body,
    };
    match verify(&portless, keys, policy, Some(cache)) {
        Err(Rejection::SignatureMismatch) => first,
        // Matched without the port: the token check after it decides, as it would.
        second => second,
    }
}

/// The Host header without its `:port` (`[::1]` for `[::1]:8080`); `None` when it has no port.
pub fn host_without_port(headers: &http::HeaderMap) -> Option<&str> {
    strip_port(headers.get(http::header::HOST)?.to_str().ok()?)
}

/// `host` without its `:port`; `None` when it has none.
pub fn strip_port(host: &str) -> Option<&str> {
    let (name, port) = host.trim().rsplit_once(':')?;
    let bracketed_v6 = name.starts_with('[') && name.ends_with(']');
    let plain = !name.contains(':');
    let digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    (digits && !name.is_empty() && (plain || bracketed_v6)).then_some(name)
}

/// The received headers with `host` replaced.
struct PortlessHost<'a> {
    headers: &'a http::HeaderMap,
    host: &'a str,
}

impl HeaderSource for PortlessHost<'_> {
    fn header(&self, lowercase_name: &str) -> Option<&str> {
        if lowercase_name == "host" {
            Some(self.host)
        } else {
            self.headers.header(lowercase_name)
        }
    }
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
        gateway_code_sent(host, host, service)
    }

    /// Signed for `signed_host`, sent with `Host: sent_host`.
    fn gateway_code_sent(signed_host: &str, sent_host: &str, service: &str) -> Option<String> {
        use crate::mock::{Checks, MockConfig, gateway::Gateway, gateway::Incoming};
        use crate::sign::{Credentials, SignRequest, sign};
        let now = 1_700_000_000;
        let credentials =
            Credentials::new(crate::mock::TEST_SECRET_ID, crate::mock::TEST_SECRET_KEY);
        let body = br#"{}"#;
        let request = SignRequest {
            service,
            ..SignRequest::post_json(
                signed_host,
                "DescribeConcurrentCount",
                body,
                now,
                &credentials,
            )
        };
        let signed = sign(&request).unwrap();
        let mut headers = http::HeaderMap::new();
        for (name, value) in &signed.headers {
            headers.insert(
                http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        headers.insert(http::header::HOST, sent_host.parse().unwrap());
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

    #[test]
    fn the_port_is_taken_off_the_host_only_when_there_is_one() {
        let host = |value: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert(http::header::HOST, value.parse().unwrap());
            host_without_port(&headers).map(str::to_owned)
        };
        assert_eq!(host("127.0.0.1:8080").as_deref(), Some("127.0.0.1"));
        assert_eq!(host("localhost:1").as_deref(), Some("localhost"));
        assert_eq!(host("[::1]:8080").as_deref(), Some("[::1]"));
        for none in [
            "car.tencentcloudapi.com",
            "127.0.0.1",
            "[::1]",
            "::1",
            "h:",
            ":80",
            "h:x",
        ] {
            assert_eq!(host(none), None, "{none}");
        }
    }

    #[test]
    fn a_host_signed_without_its_port_is_accepted_and_nothing_else() {
        let refused = Some("AuthFailure.SignatureFailure".to_owned());
        // As the Node.js SDK signs at an address: service `127`, host without the port.
        assert_eq!(
            gateway_code_sent("127.0.0.1", "127.0.0.1:8080", "127"),
            None
        );
        assert_eq!(
            gateway_code_sent("127.0.0.1", "127.0.0.1:8080", "car"),
            None
        );
        assert_eq!(gateway_code_sent("[::1]", "[::1]:8080", "[::1]:8080"), None);
        // Another host, another port, or a host that had no port to drop: still refused.
        assert_eq!(
            gateway_code_sent("10.0.0.1", "127.0.0.1:8080", "car"),
            refused
        );
        assert_eq!(
            gateway_code_sent("127.0.0.1:9", "127.0.0.1:8080", "car"),
            refused
        );
        assert_eq!(
            gateway_code_sent("car", "car.tencentcloudapi.com", "car"),
            refused
        );
    }
}
