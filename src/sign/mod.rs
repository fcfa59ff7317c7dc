//! sign: the one TC3-HMAC-SHA256 implementation. The runner and the `sign` command sign with it,
//! the reference mock verifies with it; every function here is pure (no I/O, no clock).

mod canonical;
mod key;
mod signer;
mod verify;

pub use canonical::{
    ALGORITHM, UNSIGNED_PAYLOAD, canonical_headers, canonical_request, credential_scope,
    hex_sha256, string_to_sign, utc_date,
};
pub use key::{KeyCache, SigningKey};
pub use signer::{Credentials, SignRequest, Signed, sign, sign_with_cache};
pub use verify::{
    HeaderSource, KeyEntry, KeyLookup, ParsedAuthorization, Received, Rejection, VerifyPolicy,
    parse_authorization, verify,
};

#[cfg(test)]
mod tests;
