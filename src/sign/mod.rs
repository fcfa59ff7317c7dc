//! sign: the one TC3-HMAC-SHA256 implementation, and signature v1 (HmacSHA1 / HmacSHA256) in
//! [`v1`]. The runner and the `sign` command sign with them, the reference mock verifies with
//! them; every function here is pure (no I/O, no clock).

mod canonical;
mod key;
mod resign;
mod signer;
pub mod v1;
mod verify;

pub use canonical::{
    ALGORITHM, UNSIGNED_PAYLOAD, canonical_headers, canonical_request, credential_scope,
    hex_sha256, string_to_sign, utc_date,
};
pub use key::{KeyCache, SigningKey};
pub use resign::{Bend, Resigned, resign};
pub use signer::{Credentials, SignRequest, Signed, sign, sign_with_cache};
pub use v1::{
    SignatureMethod, V1Common, V1Policy, V1Received, V1Rejection, V1Signed, V1Verified, sign_v1,
    verify_v1,
};
pub use verify::{
    HeaderSource, KeyEntry, KeyLookup, ParsedAuthorization, Received, Rejection, VerifyPolicy,
    parse_authorization, verify, verify_head,
};

#[cfg(test)]
mod tests;
