//! Tests of signature v1: the published example of the "Signature" page byte for byte, the
//! official SDK's way of building v1 requests, a sign → verify round-trip property, and one
//! targeted change per rejection reason.

use proptest::prelude::*;

use super::*;
use crate::sign::tests::keys;

const EXAMPLE_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
const EXAMPLE_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// The parameters of the page's example, deliberately not in sorted order.
fn example_params() -> Vec<(String, String)> {
    pairs(&[
        ("Action", "DescribeInstances"),
        ("SecretId", EXAMPLE_ID),
        ("Timestamp", "1465185768"),
        ("Nonce", "11886"),
        ("Region", "ap-guangzhou"),
        ("InstanceIds.0", "ins-09dx96dg"),
        ("Offset", "0"),
        ("Limit", "20"),
        ("Version", "2017-03-12"),
    ])
}

#[test]
fn published_example_matches_at_every_step() {
    let params = example_params();
    assert_eq!(
        parameter_string(&params),
        "Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886&Offset=0&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&Timestamp=1465185768&Version=2017-03-12"
    );
    let signed = sign_v1(
        "GET",
        "cvm.tencentcloudapi.com",
        "/",
        params,
        EXAMPLE_KEY,
        SignatureMethod::HmacSha1,
    );
    assert_eq!(
        signed.string_to_sign,
        "GETcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886&Offset=0&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&Timestamp=1465185768&Version=2017-03-12"
    );
    assert_eq!(signed.signature, "EliP9YW3pW28FpsEdkXt/+WcGeI=");
    // The page encodes it as `EliP9YW3pW28FpsEdkXt%2f%2bWcGeI%3d` in the text and with upper-case
    // hex in its final URL; RFC 3986 (which the page cites) prefers upper case.
    assert_eq!(
        encode_component(&signed.signature),
        "EliP9YW3pW28FpsEdkXt%2F%2BWcGeI%3D"
    );
    // The page's final URL, with the parameters in its (sorted) order.
    let mut sorted = signed.params.clone();
    sorted.sort();
    assert_eq!(
        encode_params(&sorted),
        "Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886&Offset=0&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&Signature=EliP9YW3pW28FpsEdkXt%2F%2BWcGeI%3D&Timestamp=1465185768&Version=2017-03-12"
    );
}

#[test]
fn hmac_sha256_signs_the_same_string_with_sha256() {
    let to_sign = string_to_sign("GET", "cvm.tencentcloudapi.com", "/", &example_params());
    let sha256 = signature(EXAMPLE_KEY, SignatureMethod::HmacSha256, &to_sign);
    // 32 bytes of HMAC-SHA256 in Base64, and not the SHA-1 one.
    assert_eq!(sha256.len(), 44);
    assert_eq!(sha256, "bR/zQ3QqOmcEYeRv71IzG/NxfisUDgy9cqRMQC+UB5g=");
}

#[test]
fn the_sort_is_by_ascii_code_not_alphabet_or_number() {
    // "InstanceIds.2 should be arranged after InstanceIds.12" (Signature page, 2.1).
    let params = pairs(&[
        ("InstanceIds.2", "b"),
        ("InstanceIds.12", "a"),
        ("action", "x"),
        ("Zone", "z"),
    ]);
    assert_eq!(
        parameter_string(&params),
        "InstanceIds.12=a&InstanceIds.2=b&Zone=z&action=x"
    );
}

#[test]
fn values_are_signed_raw_and_sent_encoded() {
    let params = pairs(&[("UserIp", "1.2.3.4"), ("UserId", "a b&c=d/é")]);
    assert_eq!(parameter_string(&params), "UserId=a b&c=d/é&UserIp=1.2.3.4");
    assert_eq!(
        encode_params(&params),
        "UserIp=1.2.3.4&UserId=a%20b%26c%3Dd%2F%C3%A9"
    );
}

#[test]
fn json_is_flattened_as_the_sdks_do() {
    let value = serde_json::json!({
        "UserId": "u",
        "Tags": [{"Key": "k", "Value": 1}],
        "Flag": true,
        "Gone": null,
    });
    assert_eq!(
        flatten_json(&value),
        pairs(&[
            ("UserId", "u"),
            ("Tags.0.Key", "k"),
            ("Tags.0.Value", "1"),
            ("Flag", "true"),
        ])
    );
}

#[test]
fn signature_method_defaults_to_hmac_sha1_for_any_other_value() {
    assert_eq!(
        SignatureMethod::for_parameter(Some("HmacSHA256")),
        SignatureMethod::HmacSha256
    );
    for other in [
        None,
        Some("HmacSHA1"),
        Some("hmacsha256"),
        Some("HmacSHA512"),
    ] {
        assert_eq!(
            SignatureMethod::for_parameter(other),
            SignatureMethod::HmacSha1
        );
    }
    assert_eq!(
        SignatureMethod::parse("HmacSHA1"),
        Some(SignatureMethod::HmacSha1)
    );
    assert_eq!(SignatureMethod::parse("hmacSHA1"), None);
}

#[test]
fn common_params_are_those_an_sdk_sends() {
    let credentials = Credentials::new("AKIDx", "k").with_token("tok");
    let common = V1Common {
        action: "CreateSession",
        version: "2022-01-10",
        timestamp: 1_700_000_000,
        nonce: 42,
        region: Some("ap-guangzhou"),
        language: Some("en-US"),
        method: Some(SignatureMethod::HmacSha256),
        credentials: &credentials,
    };
    let names: Vec<String> = common.params().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "Action",
            "Version",
            "Timestamp",
            "Nonce",
            "SecretId",
            "Region",
            "SignatureMethod",
            "Token",
            "Language"
        ]
    );
    let bare = V1Common {
        region: None,
        language: None,
        method: None,
        credentials: &Credentials::new("AKIDx", "k"),
        ..common
    };
    assert_eq!(bare.params().len(), 5);
}

#[test]
fn debug_output_hides_the_signature() {
    let signed = sign_v1(
        "POST",
        "h",
        "/",
        example_params(),
        "SUPERSECRETKEY",
        SignatureMethod::HmacSha256,
    );
    let shown = format!("{signed:?}");
    assert!(!shown.contains(&signed.signature));
    assert!(!shown.contains("SUPERSECRETKEY"));
}

// ---- verify: one good request, then one targeted change per rejection reason ----

const NOW: i64 = 1_700_000_000;
const HOST: &str = "127.0.0.1:8080";

fn request(
    credentials: &Credentials,
    method: Option<SignatureMethod>,
    timestamp: i64,
) -> Vec<(String, String)> {
    let common = V1Common {
        action: "CreateSession",
        version: "2022-01-10",
        timestamp,
        nonce: 7,
        region: None,
        language: None,
        method,
        credentials,
    };
    let mut params = common.params();
    params.extend(pairs(&[("UserId", "u1"), ("UserIp", "1.2.3.4")]));
    params
}

fn signed(
    params: Vec<(String, String)>,
    key: &str,
    method: SignatureMethod,
) -> Vec<(String, String)> {
    sign_v1("POST", HOST, "/", params, key, method).params
}

fn good() -> Vec<(String, String)> {
    let credentials = Credentials::new("AKIDgood", "goodkey");
    signed(
        request(&credentials, Some(SignatureMethod::HmacSha256), NOW),
        "goodkey",
        SignatureMethod::HmacSha256,
    )
}

fn check_at(
    params: &[(String, String)],
    http_method: &str,
    now: i64,
) -> Result<V1Verified, V1Rejection> {
    let received = V1Received {
        method: http_method,
        host: HOST,
        path: "/",
        params,
    };
    let policy = V1Policy {
        now,
        window_secs: 300,
    };
    verify_v1(&received, &keys, &policy)
}

fn check(params: &[(String, String)]) -> Result<V1Verified, V1Rejection> {
    check_at(params, "POST", NOW)
}

fn without(params: &[(String, String)], name: &str) -> Vec<(String, String)> {
    params.iter().filter(|(n, _)| n != name).cloned().collect()
}

fn replaced(params: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(n, v)| {
            (
                n.clone(),
                if n == name {
                    value.to_owned()
                } else {
                    v.clone()
                },
            )
        })
        .collect()
}

#[test]
fn a_good_request_verifies_with_both_methods() {
    assert_eq!(
        check(&good()),
        Ok(V1Verified {
            secret_id: "AKIDgood".into(),
            method: SignatureMethod::HmacSha256,
        })
    );
    let credentials = Credentials::new("AKIDgood", "goodkey");
    let sha1 = signed(
        request(&credentials, None, NOW),
        "goodkey",
        SignatureMethod::HmacSha1,
    );
    assert_eq!(check(&sha1).unwrap().method, SignatureMethod::HmacSha1);
}

#[test]
fn each_missing_required_parameter_is_named() {
    for name in REQUIRED {
        // Left out before signing, so only the absence can be the reason.
        let credentials = Credentials::new("AKIDgood", "goodkey");
        let params = without(&request(&credentials, None, NOW), name);
        let params = if name == "Signature" {
            params
        } else {
            signed(params, "goodkey", SignatureMethod::HmacSha1)
        };
        assert_eq!(check(&params), Err(V1Rejection::Missing(name)), "{name}");
        assert_eq!(V1Rejection::Missing(name).code(), "MissingParameter");
    }
}

#[test]
fn an_empty_required_parameter_counts_as_missing() {
    let params = replaced(&good(), "Nonce", "");
    assert_eq!(check(&params), Err(V1Rejection::Missing("Nonce")));
}

#[test]
fn a_repeated_common_parameter_is_refused() {
    let mut params = good();
    params.push(("Signature".into(), "AAAA".into()));
    assert_eq!(check(&params), Err(V1Rejection::Repeated("Signature")));
    assert_eq!(
        V1Rejection::Repeated("Signature").code(),
        "InvalidParameter"
    );
}

#[test]
fn a_timestamp_or_nonce_that_is_not_a_positive_integer_is_refused() {
    assert_eq!(
        check(&replaced(&good(), "Timestamp", "17e8")),
        Err(V1Rejection::InvalidTimestamp)
    );
    assert_eq!(
        check(&replaced(&good(), "Nonce", "-5")),
        Err(V1Rejection::InvalidNonce)
    );
    assert_eq!(
        check(&replaced(&good(), "Nonce", "0")),
        Err(V1Rejection::InvalidNonce)
    );
}

#[test]
fn an_unknown_secret_id_is_refused() {
    let credentials = Credentials::new("AKIDnobody", "goodkey");
    let params = signed(
        request(&credentials, None, NOW),
        "goodkey",
        SignatureMethod::HmacSha1,
    );
    let rejection = check(&params).unwrap_err();
    assert_eq!(rejection, V1Rejection::UnknownSecretId);
    assert_eq!(rejection.code(), "AuthFailure.SecretIdNotFound");
}

#[test]
fn a_wrong_key_is_a_signature_failure() {
    let credentials = Credentials::new("AKIDgood", "goodkey");
    let params = signed(
        request(&credentials, Some(SignatureMethod::HmacSha256), NOW),
        "wrongkey",
        SignatureMethod::HmacSha256,
    );
    let rejection = check(&params).unwrap_err();
    assert_eq!(rejection, V1Rejection::SignatureMismatch("HmacSHA256"));
    assert_eq!(rejection.code(), "AuthFailure.SignatureFailure");
}

#[test]
fn a_parameter_changed_after_signing_is_a_signature_failure() {
    let params = replaced(&good(), "UserId", "u2");
    assert!(matches!(
        check(&params),
        Err(V1Rejection::SignatureMismatch(_))
    ));
    // The method and host are signed too.
    assert!(matches!(
        check_at(&good(), "GET", NOW),
        Err(V1Rejection::SignatureMismatch(_))
    ));
}

#[test]
fn a_signature_that_is_not_base64_is_a_signature_failure() {
    let params = replaced(&good(), "Signature", "not base64!");
    assert!(matches!(
        check(&params),
        Err(V1Rejection::SignatureMismatch(_))
    ));
}

#[test]
fn an_unknown_signature_method_is_verified_with_hmac_sha1() {
    // Signed with HmacSHA256 but naming another method: verified with HmacSHA1, so refused.
    let credentials = Credentials::new("AKIDgood", "goodkey");
    let mut params = request(&credentials, None, NOW);
    params.push(("SignatureMethod".into(), "HmacSHA512".into()));
    let sha256 = signed(params.clone(), "goodkey", SignatureMethod::HmacSha256);
    assert_eq!(
        check(&sha256),
        Err(V1Rejection::SignatureMismatch("HmacSHA1"))
    );
    // The documented rule, taken at its word: an HmacSHA1 signature under that name verifies.
    let sha1 = signed(params, "goodkey", SignatureMethod::HmacSha1);
    assert_eq!(check(&sha1).unwrap().method, SignatureMethod::HmacSha1);
}

#[test]
fn temporary_credentials_need_their_token() {
    let with_token = Credentials::new("AKIDtemp", "tempkey").with_token("tok");
    let params = signed(
        request(&with_token, None, NOW),
        "tempkey",
        SignatureMethod::HmacSha1,
    );
    assert_eq!(check(&params).unwrap().secret_id, "AKIDtemp");

    let no_token = Credentials::new("AKIDtemp", "tempkey");
    let params = signed(
        request(&no_token, None, NOW),
        "tempkey",
        SignatureMethod::HmacSha1,
    );
    let rejection = check(&params).unwrap_err();
    assert_eq!(rejection, V1Rejection::TokenMismatch);
    assert_eq!(rejection.code(), "AuthFailure.TokenFailure");

    let wrong = Credentials::new("AKIDtemp", "tempkey").with_token("other");
    let params = signed(
        request(&wrong, None, NOW),
        "tempkey",
        SignatureMethod::HmacSha1,
    );
    assert_eq!(check(&params), Err(V1Rejection::TokenMismatch));

    // A token sent with a long-term key is refused as well.
    let stray = Credentials::new("AKIDgood", "goodkey").with_token("tok");
    let params = signed(
        request(&stray, None, NOW),
        "goodkey",
        SignatureMethod::HmacSha1,
    );
    assert_eq!(check(&params), Err(V1Rejection::TokenMismatch));
}

#[test]
fn the_clock_window_is_five_minutes_both_ways() {
    assert!(check_at(&good(), "POST", NOW + 300).is_ok());
    assert!(check_at(&good(), "POST", NOW - 300).is_ok());
    let late = check_at(&good(), "POST", NOW + 301).unwrap_err();
    assert_eq!(
        late,
        V1Rejection::Expired {
            skew_secs: 301,
            window_secs: 300
        }
    );
    assert_eq!(late.code(), "AuthFailure.SignatureExpire");
    assert!(matches!(
        check_at(&good(), "POST", NOW - 301),
        Err(V1Rejection::Expired { .. })
    ));
}

fn any_method() -> impl Strategy<Value = SignatureMethod> {
    prop_oneof![
        Just(SignatureMethod::HmacSha1),
        Just(SignatureMethod::HmacSha256)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever the parameters (any names and values, including ones that need encoding), a
    /// request signed here verifies after a trip through its encoded form, and any change to a
    /// value fails it.
    #[test]
    fn sign_encode_decode_verify_round_trip(
        extra in proptest::collection::vec(("[A-Z][A-Za-z0-9.]{0,12}", "\\PC{0,24}"), 0..6),
        method in any_method(),
        http_method in prop_oneof![Just("GET"), Just("POST")],
        skew in -300i64..=300,
    ) {
        let credentials = Credentials::new("AKIDgood", "goodkey");
        let mut params = request(&credentials, Some(method), NOW);
        params.retain(|(n, _)| n != "UserId" && n != "UserIp");
        for (name, value) in extra {
            if !COMMON.contains(&name.as_str()) && !params.iter().any(|(n, _)| *n == name) {
                params.push((name, value));
            }
        }
        let signed = sign_v1(http_method, HOST, "/", params, "goodkey", method);
        let decoded: Vec<(String, String)> =
            url::form_urlencoded::parse(signed.encoded().as_bytes()).into_owned().collect();
        prop_assert_eq!(&decoded, &signed.params);
        let verified = check_at(&decoded, http_method, NOW + skew);
        prop_assert_eq!(verified.map(|v| v.method), Ok(method));

        if let Some(index) = decoded.iter().position(|(n, _)| !COMMON.contains(&n.as_str())) {
            let mut changed = decoded.clone();
            changed[index].1.push('x');
            prop_assert!(matches!(
                check_at(&changed, http_method, NOW + skew),
                Err(V1Rejection::SignatureMismatch(_))
            ));
        }
    }
}
