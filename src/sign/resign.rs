//! sign: re-signing a TC3 request on purpose, for negative cases — under another credential
//! scope date, and/or with some of the always-signed headers left out of the canonical request —
//! from the public pieces of a [`Signed`] request, with the same primitives as [`super::sign`].

use super::canonical::{
    ALGORITHM, canonical_headers, canonical_request, credential_scope, string_to_sign, utc_date,
};
use super::key::SigningKey;
use super::signer::{Credentials, Signed};

/// How to bend a signature.
#[derive(Debug, Clone, Copy)]
pub struct Bend<'a> {
    /// Days added to the timestamp's UTC date in the credential scope.
    pub scope_date_offset_days: i64,
    /// Signed headers left out of the canonical request (case-insensitive names).
    pub omit_signed_headers: &'a [String],
}

/// A signature made again under a [`Bend`]: what was signed, and the header that carries it.
#[derive(Clone)]
pub struct Resigned {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signature: String,
    pub authorization: String,
}

impl std::fmt::Debug for Resigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resigned")
            .field("canonical_request", &self.canonical_request)
            .field("string_to_sign", &self.string_to_sign)
            .field("signature", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Signs `signed` again under `bend`. `method` and `query` are the request's; `headers` the
/// header values sent (the omitted ones are dropped from the canonical request). `None` when
/// the bent scope date has no calendar date.
pub fn resign(
    signed: &Signed,
    method: &str,
    query: &str,
    timestamp: i64,
    service: &str,
    credentials: &Credentials,
    bend: Bend<'_>,
) -> Option<Resigned> {
    let (canonical, signed_headers) = if bend.omit_signed_headers.is_empty() {
        (
            signed.canonical_request.clone(),
            signed.signed_headers.clone(),
        )
    } else {
        let kept = signed.signed_headers.split(';').filter(|name| {
            !bend
                .omit_signed_headers
                .iter()
                .any(|o| o.eq_ignore_ascii_case(name))
        });
        let pairs = kept.filter_map(|name| {
            let value = signed
                .headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))?;
            Some((name, value.1.as_str()))
        });
        let (block, names) = canonical_headers(pairs);
        let canonical =
            canonical_request(method, "/", query, &block, &names, &signed.hashed_payload);
        (canonical, names)
    };
    let date = utc_date(timestamp + bend.scope_date_offset_days * 86_400)?;
    let scope = credential_scope(&date, service);
    let to_sign = string_to_sign(timestamp, &scope, &canonical);
    let signature = SigningKey::derive(&credentials.secret_key, &date, service).sign(&to_sign);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.secret_id
    );
    Some(Resigned {
        canonical_request: canonical,
        string_to_sign: to_sign,
        signature,
        authorization,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::{SignRequest, sign};

    fn signed(credentials: &Credentials) -> Signed {
        sign(&SignRequest {
            method: "POST",
            host: "car.tencentcloudapi.com",
            content_type: "application/json",
            query: "",
            body: b"{}",
            timestamp: 1_700_000_000,
            service: "car",
            action: "CreateSession",
            version: "2022-01-10",
            region: None,
            language: None,
            credentials,
            extra_signed_headers: &[],
            unsigned_payload: false,
        })
        .unwrap()
    }

    /// The example request signed, and signed again under `days` and `omit`.
    fn bent(days: i64, omit: &[String]) -> (Signed, Resigned) {
        let credentials = Credentials::new("AKIDexample", "secret-key-example");
        let original = signed(&credentials);
        let bend = Bend {
            scope_date_offset_days: days,
            omit_signed_headers: omit,
        };
        let again = resign(
            &original,
            "POST",
            "",
            1_700_000_000,
            "car",
            &credentials,
            bend,
        );
        (original, again.unwrap())
    }

    #[test]
    fn an_unbent_resign_is_the_original_signature() {
        let (original, again) = bent(0, &[]);
        assert_eq!(again.signature, original.signature);
        assert_eq!(again.authorization, original.authorization);
    }

    #[test]
    fn a_bent_scope_date_or_an_omitted_header_changes_what_is_signed() {
        let (original, later) = bent(1, &[]);
        assert!(later.authorization.contains("/2023-11-15/car/tc3_request"));
        assert_ne!(later.signature, original.signature);
        let (_, no_host) = bent(0, &["Host".to_owned()]);
        assert!(
            no_host
                .authorization
                .contains("SignedHeaders=content-type,")
        );
        assert!(!no_host.canonical_request.contains("host:"));
    }
}
