//! Bench (sign): TC3-HMAC-SHA256 throughput of `car_conformance::sign` on CreateSession
//! requests, with and without the derived-key cache. The requests come from
//! `benches/signing-requests.json`, which `benches/python/sdk_signing.py` signs with the official
//! Python SDK in the same run (`benches/compare-signing.sh`), so both sides sign identical bytes;
//! before timing, both check they reproduce each request's `expected_signature`.
//!
//! Beside each, `hash_floor_*` times only the SHA-256 work TC3 itself demands for that request
//! (payload hash, canonical-request hash, key derivation when uncached, the final HMAC) with no
//! strings built: no implementation on this CPU can sign faster, which bounds any ratio.
//!
//! Time is the bench thread's on-CPU time (`CLOCK_THREAD_CPUTIME_ID`), not wall time: the
//! figure is signatures per second of one core's work, and it stays true when other jobs share
//! the machine (they lengthen wall time, not the CPU time a signature takes). On an idle
//! machine the two agree. The Python side times with `time.thread_time()`, the same clock.
//!
//! Signature v1 beside it (`{request}/v1_hmac_sha1`, `{request}/v1_hmac_sha256`): the same
//! request's fields as form parameters with the v1 common parameters, sorted, signed and
//! form-encoded — everything a v1 sender does — checked first to verify with
//! `sign::verify_v1`.
//!
//! Run: `cargo bench --bench signing`.

use std::collections::BTreeMap;
use std::hint::black_box;

use car_conformance::sign::v1::{SignatureMethod, V1Common, V1Policy, V1Received, verify_v1};
use car_conformance::sign::{
    Credentials, KeyCache, KeyEntry, SignRequest, Signed, sign, sign_v1, sign_with_cache,
};
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

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

/// Criterion measurement: the calling thread's CPU time, in nanoseconds like [`WallTime`].
struct ThreadCpuTime {
    /// Only lends its nanosecond formatter.
    wall: WallTime,
}

fn thread_cpu_now() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_now()
    }
    fn end(&self, started: Duration) -> Duration {
        thread_cpu_now().saturating_sub(started)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}

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

/// The hashing TC3 cannot do without, on inputs of the real lengths; `keyed` is the derived key
/// (cached case) or `None` (derive it, as an uncached signer must).
fn hash_floor(
    body: &[u8],
    signed: &Signed,
    secret: &[u8],
    date: &[u8],
    keyed: Option<&HmacSha256>,
) -> [u8; 32] {
    black_box(Sha256::digest(body));
    black_box(Sha256::digest(signed.canonical_request.as_bytes()));
    let mut mac = match keyed {
        Some(keyed) => keyed.clone(),
        None => derive(secret, date),
    };
    mac.update(signed.string_to_sign.as_bytes());
    mac.finalize().into_bytes().into()
}

/// kDate → kService → kSigning, returned as a keyed HMAC; `secret` is "TC3" + SecretKey.
fn derive(secret: &[u8], date: &[u8]) -> HmacSha256 {
    let step = |key: &[u8], data: &[u8]| {
        let mut mac = HmacSha256::new_from_slice(key).expect("any key length");
        mac.update(data);
        mac.finalize().into_bytes()
    };
    let k_date = step(secret, date);
    let k_service = step(&k_date, b"car");
    let k_signing = step(&k_service, b"tc3_request");
    HmacSha256::new_from_slice(&k_signing).expect("any key length")
}

/// The request's JSON fields as v1 form parameters after the common ones (every CreateSession
/// field is a string).
fn v1_params(
    fixture: &Fixture,
    body: &str,
    credentials: &Credentials,
    method: SignatureMethod,
) -> Vec<(String, String)> {
    let common = V1Common {
        action: &fixture.action,
        version: &fixture.version,
        timestamp: fixture.timestamp,
        nonce: 1_234_567_890,
        region: None,
        language: None,
        method: Some(method),
        credentials,
    };
    let mut params = common.params();
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(body).expect("fixture bodies are JSON objects");
    for (name, value) in fields {
        let value = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned);
        params.push((name, value));
    }
    params
}

/// Signs with v1 and encodes the form body, as a v1 sender must before it can send.
fn sign_v1_form(
    fixture: &Fixture,
    params: &[(String, String)],
    key: &str,
    method: SignatureMethod,
) -> String {
    sign_v1("POST", &fixture.host, "/", params.to_vec(), key, method).encoded()
}

fn bench_signing(c: &mut Criterion<ThreadCpuTime>) {
    let fixture: Fixture =
        serde_json::from_str(FIXTURE).expect("benches/signing-requests.json parses");
    let credentials = Credentials::new(fixture.secret_id.clone(), fixture.secret_key.clone());

    let mut group = c.benchmark_group("signing");
    group.throughput(Throughput::Elements(1));
    for (name, body) in &fixture.requests {
        let to_sign = request(&fixture, body.body.as_bytes(), &credentials);
        // Same bytes, same signature as the Python SDK, or the comparison means nothing. The
        // values are never printed: a signature is derived from the secret.
        let cache = KeyCache::new();
        let plain = sign(&to_sign).map(|s| s.signature);
        let cached = sign_with_cache(&to_sign, &cache).map(|s| s.signature);
        assert!(
            plain.as_deref() == Some(body.expected_signature.as_str())
                && cached.as_deref() == Some(body.expected_signature.as_str()),
            "{name}: car_conformance::sign disagrees with the fixture's expected_signature"
        );
        group.bench_function(format!("{name}/uncached"), |b| {
            b.iter(|| sign(black_box(&to_sign)))
        });
        group.bench_function(format!("{name}/cached"), |b| {
            b.iter(|| sign_with_cache(black_box(&to_sign), &cache))
        });
        let reference = sign(&to_sign).expect("fixture timestamp has a date");
        let secret = format!("TC3{}", fixture.secret_key).into_bytes();
        let date = reference.credential_scope.split('/').next().unwrap_or("");
        let date = date.as_bytes().to_vec();
        let keyed = derive(&secret, &date);
        let body_bytes = body.body.as_bytes();
        // The floor computes the real signature, or it would not be a floor of this work.
        for keyed in [None, Some(&keyed)] {
            let floor = hash_floor(body_bytes, &reference, &secret, &date, keyed);
            assert!(
                hex::encode(floor) == body.expected_signature,
                "{name}: the hash floor does not compute the signature"
            );
        }
        for (label, method) in [
            ("v1_hmac_sha1", SignatureMethod::HmacSha1),
            ("v1_hmac_sha256", SignatureMethod::HmacSha256),
        ] {
            let params = v1_params(&fixture, &body.body, &credentials, method);
            let form = sign_v1_form(&fixture, &params, &fixture.secret_key, method);
            let decoded: Vec<(String, String)> = url::form_urlencoded::parse(form.as_bytes())
                .into_owned()
                .collect();
            let keys = |id: &str| {
                (id == fixture.secret_id).then(|| KeyEntry {
                    secret_key: fixture.secret_key.clone(),
                    token: None,
                })
            };
            let received = V1Received {
                method: "POST",
                host: &fixture.host,
                path: "/",
                params: &decoded,
            };
            let policy = V1Policy {
                now: fixture.timestamp,
                window_secs: 300,
            };
            assert!(
                verify_v1(&received, &keys, &policy).is_ok_and(|v| v.method == method),
                "{name}: the v1 form does not verify"
            );
            group.bench_function(format!("{name}/{label}"), |b| {
                b.iter(|| sign_v1_form(&fixture, black_box(&params), &fixture.secret_key, method))
            });
        }
        group.bench_function(format!("{name}/hash_floor_uncached"), |b| {
            b.iter(|| hash_floor(black_box(body_bytes), &reference, &secret, &date, None))
        });
        group.bench_function(format!("{name}/hash_floor_cached"), |b| {
            b.iter(|| {
                hash_floor(
                    black_box(body_bytes),
                    &reference,
                    &secret,
                    &date,
                    Some(&keyed),
                )
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime { wall: WallTime });
    targets = bench_signing
}
criterion_main!(benches);
