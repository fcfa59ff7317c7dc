//! sign: the derived signing key (kDate → kService → kSigning) and a small cache of it, so a run
//! derives one key per (SecretKey, date, service) instead of one per request.

use std::collections::HashMap;
use std::sync::Mutex;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac
}

/// A derived kSigning key, kept as a ready-keyed HMAC state so each signature costs one HMAC.
#[derive(Clone)]
pub struct SigningKey {
    keyed: HmacSha256,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

impl SigningKey {
    /// kDate = HMAC("TC3"+SecretKey, date); kService = HMAC(kDate, service);
    /// kSigning = HMAC(kService, "tc3_request").
    pub fn derive(secret_key: &str, date: &str, service: &str) -> Self {
        let mut seed = Vec::with_capacity(secret_key.len() + 3);
        seed.extend_from_slice(b"TC3");
        seed.extend_from_slice(secret_key.as_bytes());
        let k_date = hmac(&seed, date.as_bytes()).finalize().into_bytes();
        let k_service = hmac(&k_date, service.as_bytes()).finalize().into_bytes();
        let k_signing = hmac(&k_service, b"tc3_request").finalize().into_bytes();
        let keyed = HmacSha256::new_from_slice(&k_signing).expect("HMAC accepts 32-byte keys");
        Self { keyed }
    }

    /// Raw signature bytes of `string_to_sign`.
    pub fn sign_bytes(&self, string_to_sign: &str) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(string_to_sign.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Lower-case hex signature of `string_to_sign`.
    pub fn sign(&self, string_to_sign: &str) -> String {
        super::canonical::hex32(&self.sign_bytes(string_to_sign))
    }
}

/// SHA-256 of (SecretKey, date, service), NUL-separated.
type CacheKey = [u8; 32];

/// Derived keys by a digest of (SecretKey, date, service). The secret itself is never a map key,
/// so a dump of the cache shows nothing usable. Bounded: it is cleared when it grows past a
/// few hundred entries (dates roll over once a day, so that only happens under odd inputs).
#[derive(Default)]
pub struct KeyCache {
    keys: Mutex<HashMap<CacheKey, SigningKey>>,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyCache")
    }
}

const CACHE_LIMIT: usize = 512;

impl KeyCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The derived key for (secret_key, date, service), derived at most once while cached.
    pub fn get(&self, secret_key: &str, date: &str, service: &str) -> SigningKey {
        // One digest of (key, date, service), NUL-separated: no allocation on a hit.
        let lookup: [u8; 32] = Sha256::new()
            .chain_update(secret_key.as_bytes())
            .chain_update([0])
            .chain_update(date.as_bytes())
            .chain_update([0])
            .chain_update(service.as_bytes())
            .finalize()
            .into();
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(key) = keys.get(&lookup) {
            return key.clone();
        }
        if keys.len() >= CACHE_LIMIT {
            keys.clear();
        }
        let key = SigningKey::derive(secret_key, date, service);
        keys.insert(lookup, key.clone());
        key
    }
}
