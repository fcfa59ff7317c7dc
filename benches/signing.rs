//! Bench (sign): TC3-HMAC-SHA256 throughput of `car_conformance::sign` on CreateSession
//! requests, with and without the derived-key cache. The requests come from
//! `benches/signing-requests.json`, which `benches/python/sdk_signing.py` signs with the official
//! Python SDK in the same run (`benches/compare-signing.sh`), so both sides sign identical bytes;
//! before timing, both check they reproduce each request's `expected_signature`.
//!
//! Run: `cargo bench --bench signing` (criterion times on one thread, so on one core).

use std::collections::BTreeMap;
use std::hint::black_box;

use car_conformance::sign::{Credentials, KeyCache, SignRequest, sign, sign_with_cache};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde::Deserialize;

/// `benches/signing-requests.json`: what every request shares, then the requests by name.
#[derive(Deserialize)]
struct Fixture {
    host: String,
    service: String,
    action: String,
    version: String,
    content_type: String,
    timestamp: i64,
    secret_id: String,
    secret_key: String,
    requests: BTreeMap<String, Body>,
}

#[derive(Deserialize)]
struct Body {
    body: String,
    expected_signature: String,
}

const FIXTURE: &str = include_str!("signing-requests.json");

fn request<'a>(
    fixture: &'a Fixture,
    body: &'a [u8],
    credentials: &'a Credentials,
) -> SignRequest<'a> {
    SignRequest {
        method: "POST",
        host: &fixture.host,
        content_type: &fixture.content_type,
        query: "",
        body,
        timestamp: fixture.timestamp,
        service: &fixture.service,
        action: &fixture.action,
        version: &fixture.version,
        region: None,
        language: None,
        credentials,
        extra_signed_headers: &[],
        unsigned_payload: false,
    }
}

fn bench_signing(c: &mut Criterion) {
    let fixture: Fixture =
        serde_json::from_str(FIXTURE).expect("benches/signing-requests.json parses");
    let credentials = Credentials::new(fixture.secret_id.clone(), fixture.secret_key.clone());

    let mut group = c.benchmark_group("signing");
    group.throughput(Throughput::Elements(1));
    for (name, body) in &fixture.requests {
        let signed = request(&fixture, body.body.as_bytes(), &credentials);
        // Same bytes, same signature as the Python SDK, or the comparison means nothing. The
        // values are never printed: a signature is derived from the secret.
        let cache = KeyCache::new();
        let plain = sign(&signed).map(|s| s.signature);
        let cached = sign_with_cache(&signed, &cache).map(|s| s.signature);
        assert!(
            plain.as_deref() == Some(body.expected_signature.as_str())
                && cached.as_deref() == Some(body.expected_signature.as_str()),
            "{name}: car_conformance::sign disagrees with the fixture's expected_signature"
        );
        group.bench_function(format!("{name}/uncached"), |b| {
            b.iter(|| sign(black_box(&signed)))
        });
        group.bench_function(format!("{name}/cached"), |b| {
            b.iter(|| sign_with_cache(black_box(&signed), &cache))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_signing);
criterion_main!(benches);
