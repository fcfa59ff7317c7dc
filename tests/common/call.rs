//! One API call signed as an official client signs it (TC3, POST JSON), sent with reqwest, for
//! the tests that talk to the mock directly.

use car_conformance::sign::{Credentials, SignRequest, Signed, sign};

use super::now;

/// A POST of `body` to `url` for `action`, signed with `credentials`; the signature too.
pub fn signed(
    client: &reqwest::Client,
    url: &str,
    action: &str,
    body: &str,
    credentials: &Credentials,
) -> (Signed, reqwest::RequestBuilder) {
    let host = url
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_end_matches('/');
    let signed = sign(&SignRequest::post_json(
        host,
        action,
        body.as_bytes(),
        now(),
        credentials,
    ))
    .unwrap();
    let mut request = client.post(url).body(body.to_owned());
    // reqwest sets Host from the URL itself.
    for (name, value) in &signed.headers {
        if !name.eq_ignore_ascii_case("host") {
            request = request.header(name, value);
        }
    }
    (signed, request)
}

/// The answer's error code, "" on success.
pub fn error_code(answer: &serde_json::Value) -> String {
    answer["Response"]["Error"]["Code"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// The mock's built-in key pair.
pub fn test_pair() -> Credentials {
    Credentials::new(
        car_conformance::mock::TEST_SECRET_ID,
        car_conformance::mock::TEST_SECRET_KEY,
    )
}
