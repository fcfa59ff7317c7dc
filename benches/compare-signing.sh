#!/usr/bin/env bash
# Signing throughput, Rust beside the official Python SDK, in one run (issue 2 point 6):
#   1. `cargo bench --bench signing` — car_conformance::sign, uncached and with the key cache;
#   2. benches/python/sdk_signing.py with .venv's python — the SDK's own TC3 signing;
# both on the requests of benches/signing-requests.json (each side first checks it reproduces
# the expected signatures), then prints medians (signatures/s) and the Rust/Python ratios.
# Python runs half its runs before the Rust bench and half after, and its median is taken over
# all of them, so a change in the machine's load during the run weighs on both sides.
#
# Usage: benches/compare-signing.sh [criterion args, e.g. --measurement-time 3]
# Needs .venv (scripts/setup-python-sdk.sh). Writes the raw outputs to target/compare-signing/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python="$root/.venv/bin/python"
if [[ ! -x "$python" ]]; then
    echo "compare-signing: no .venv — run scripts/setup-python-sdk.sh first" >&2
    exit 1
fi
target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/compare-signing"
mkdir -p "$out"
# Fresh estimates only: a stale file from an earlier run must not be read as this run's.
rm -rf "$target/criterion/signing"

echo "compare-signing: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
# Build first, so the compile does not fall between the two Python halves.
cargo bench --quiet --bench signing --no-run >"$out/rust.log" 2>&1 \
    || { tail -20 "$out/rust.log" >&2; exit 1; }
echo "compare-signing: benches/python/sdk_signing.py --runs 4 (first half)"
"$python" benches/python/sdk_signing.py --json --runs 4 >"$out/python-before.json"
echo "compare-signing: cargo bench --bench signing (log: $out/rust.log)"
cargo bench --quiet --bench signing -- --noplot "$@" >"$out/rust.log" 2>&1 \
    || { tail -20 "$out/rust.log" >&2; exit 1; }
echo "compare-signing: benches/python/sdk_signing.py --runs 4 (second half)"
"$python" benches/python/sdk_signing.py --json --runs 4 >"$out/python-after.json"

"$python" - "$target/criterion/signing" "$out/python-before.json" "$out/python-after.json" <<'PY'
import json, statistics, sys, os
criterion_dir = sys.argv[1]
before, after = (json.load(open(path)) for path in sys.argv[2:4])
py = before
py["runs"] = before["runs"] + after["runs"]
for name, entry in py["requests"].items():
    for level in ("core", "full"):
        rates = entry[level]["rates"] + after["requests"][name][level]["rates"]
        entry[level]["median_per_sec"] = round(statistics.median(rates))

def rust_rate(bench):
    path = os.path.join(criterion_dir, bench, "new", "estimates.json")
    nanos = json.load(open(path))["median"]["point_estimate"]  # per signature
    return 1e9 / nanos

print()
print(f"Signatures per second on one core. Rust: criterion median. Python ({py['sdk']}, "
      f"Python {py['python']}): median of {py['runs']} runs, half before and half after the Rust bench.")
for name, entry in py["requests"].items():
    rust = {kind: rust_rate(f"{name}_{kind}") for kind in
            ("uncached", "cached", "hash_floor_uncached", "hash_floor_cached")}
    core, full = entry["core"]["median_per_sec"], entry["full"]["median_per_sec"]
    print()
    print(f"{name} ({entry['body_bytes']} B body)")
    rows = [
        ("Rust car_conformance::sign, uncached", rust["uncached"]),
        ("Rust car_conformance::sign, key cache", rust["cached"]),
        ("SHA-256 work TC3 demands, uncached (floor)", rust["hash_floor_uncached"]),
        ("SHA-256 work TC3 demands, key cached (floor)", rust["hash_floor_cached"]),
        ("Python SDK core: _get_tc3_signature", core),
        ("Python SDK full: _build_req_inter", full),
    ]
    for label, value in rows:
        print(f"  {label:46} {value:>11,.0f} /s")
    print(f"  {'ratio Rust uncached / SDK core':46} {rust['uncached'] / core:>10.1f}x"
          f"   (the floor allows {rust['hash_floor_uncached'] / core:.1f}x)")
    print(f"  {'ratio Rust key cache / SDK core':46} {rust['cached'] / core:>10.1f}x"
          f"   (the floor allows {rust['hash_floor_cached'] / core:.1f}x)")
    print(f"  {'ratio Rust uncached / SDK full':46} {rust['uncached'] / full:>10.1f}x")
    print(f"  {'ratio Rust key cache / SDK full':46} {rust['cached'] / full:>10.1f}x")
print()
print("SDK core: hash, canonical request, key derivation, HMAC (the SDK caches no key).")
print("SDK full: what CarClient.CreateSession runs before sending: json.dumps of the parameters,")
print("          the X-TC-* headers, the signature and Authorization.")
PY
