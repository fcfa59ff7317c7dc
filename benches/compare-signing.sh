#!/usr/bin/env bash
# Signing throughput, Rust beside the official Python SDK, in one run (issue 2 point 6):
#   - `cargo bench --bench signing`: car_conformance::sign, uncached and with the key cache, and
#     the SHA-256 floor TC3 demands;
#   - benches/python/sdk_signing.py with .venv's python: the SDK's own TC3 signing;
# both on the requests of benches/signing-requests.json (each side first checks it reproduces
# the expected signatures). The two alternate for ROUNDS rounds (default 5), so a change in the
# machine's load weighs on both; the summary gives each figure's median over the rounds and the
# median of the per-round Rust/Python ratios (with their range).
#
# Usage: [ROUNDS=5] benches/compare-signing.sh [criterion args; default
#        --warm-up-time 1 --measurement-time 2]
# Needs .venv (scripts/setup-python-sdk.sh). Raw outputs go to target/compare-signing/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python="$root/.venv/bin/python"
if [[ ! -x "$python" ]]; then
    echo "compare-signing: no .venv — run scripts/setup-python-sdk.sh first" >&2
    exit 1
fi
rounds="${ROUNDS:-5}"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "compare-signing: ROUNDS must be a positive integer" >&2; exit 2; }
criterion_args=("$@")
[[ ${#criterion_args[@]} -gt 0 ]] || criterion_args=(--warm-up-time 1 --measurement-time 2)
target="${CARGO_TARGET_DIR:-$root/target}"
out="$target/compare-signing"
rm -rf "$out"
mkdir -p "$out"

echo "compare-signing: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
cargo bench --quiet --bench signing --no-run >"$out/build.log" 2>&1 \
    || { tail -20 "$out/build.log" >&2; exit 1; }
for round in $(seq 1 "$rounds"); do
    echo "compare-signing: round $round/$rounds (load average $(cut -d' ' -f1 /proc/loadavg))"
    "$python" benches/python/sdk_signing.py --json --runs 3 >"$out/python-$round.json"
    # Fresh estimates only: a file from an earlier round must not be read as this one's.
    rm -rf "$target/criterion/signing"
    cargo bench --quiet --bench signing -- --noplot "${criterion_args[@]}" >"$out/rust-$round.log" 2>&1 \
        || { tail -20 "$out/rust-$round.log" >&2; exit 1; }
    mkdir -p "$out/rust-$round"
    cp -r "$target/criterion/signing/." "$out/rust-$round/"
done

"$python" - "$out" "$rounds" <<'PY'
import json, os, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
KINDS = ("uncached", "cached", "hash_floor_uncached", "hash_floor_cached")

def rust_rate(round_no, bench):
    path = os.path.join(out, f"rust-{round_no}", bench, "new", "estimates.json")
    with open(path) as f:
        return 1e9 / json.load(f)["median"]["point_estimate"]  # ns per signature → per second

per_round = []  # [{request: {figure: signatures/s}}]
for r in range(1, rounds + 1):
    with open(os.path.join(out, f"python-{r}.json")) as f:
        py = json.load(f)
    figures = {}
    for name, entry in py["requests"].items():
        row = {kind: rust_rate(r, f"{name}_{kind}") for kind in KINDS}
        row["core"] = entry["core"]["median_per_sec"]
        row["full"] = entry["full"]["median_per_sec"]
        row["body_bytes"] = entry["body_bytes"]
        figures[name] = row
    per_round.append(figures)

print()
print(f"Signatures per second on one core, median over {rounds} alternating rounds "
      f"(Rust: criterion median; Python {py['python']}, {py['sdk']}: median of 3 runs).")
labels = [
    ("uncached", "Rust car_conformance::sign, uncached"),
    ("cached", "Rust car_conformance::sign, key cache"),
    ("hash_floor_uncached", "SHA-256 work TC3 demands, uncached (floor)"),
    ("hash_floor_cached", "SHA-256 work TC3 demands, key cached (floor)"),
    ("core", "Python SDK core: _get_tc3_signature"),
    ("full", "Python SDK full: _build_req_inter"),
]
ratios = [("uncached", "core"), ("cached", "core"), ("uncached", "full"), ("cached", "full"),
          ("hash_floor_uncached", "core"), ("hash_floor_cached", "core")]
for name in per_round[0]:
    rows = [figures[name] for figures in per_round]
    print()
    print(f"{name} ({rows[0]['body_bytes']} B body)")
    for key, label in labels:
        values = [row[key] for row in rows]
        print(f"  {label:46} {statistics.median(values):>11,.0f} /s"
              f"   (rounds: {min(values):,.0f} – {max(values):,.0f})")
    for top, bottom in ratios:
        values = [row[top] / row[bottom] for row in rows]
        print(f"  ratio {top} / SDK {bottom}".ljust(48)
              + f"{statistics.median(values):>10.1f}x   (rounds: {min(values):.1f} – {max(values):.1f})")
print()
print("SDK core: hash, canonical request, key derivation, HMAC (the SDK caches no key).")
print("SDK full: what CarClient.CreateSession runs before sending: json.dumps of the parameters,")
print("          the X-TC-* headers, the signature and Authorization.")
print("hash_floor_*: only the SHA-256/HMAC work TC3 requires, no strings: no signer can beat it.")
PY
