#!/usr/bin/env bash
# Verdicts under load (issue 9): the cases whose state depends on time — SlowDown, stopping
# phases, expired locks, rate-limit bursts, the latency budget — and then the whole suite, run
# again and again against the embedded mock while CPU hogs keep both cores busy. Every run must
# pass; the script prints the pass count per group and exits 1 if any run failed.
#
# Usage: [RUNS=10] [HOGS=4] benches/stress-timing.sh
#   RUNS  runs per group (default 10); HOGS  busy loops started beside them (default 4, i.e.
#   two per core on this 2-core machine). Uses the release binary (built if needed).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
runs="${RUNS:-10}"
hogs="${HOGS:-4}"
[[ "$runs" =~ ^[1-9][0-9]*$ && "$hogs" =~ ^[0-9]+$ ]] || { echo "RUNS and HOGS must be whole numbers" >&2; exit 2; }
cargo build --quiet --release
binary="${CARGO_TARGET_DIR:-$root/target}/release/car-conformance"

hog_pids=()
stop_hogs() {
    # Only the hogs this script started, by their ids.
    for pid in "${hog_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${hog_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_hogs EXIT
for _ in $(seq 1 "$hogs"); do
    sha256sum /dev/zero >/dev/null &
    hog_pids+=("$!")
done
sleep 1
echo "stress-timing: $(nproc) cores, $hogs hogs, $runs runs per group, load average $(cut -d' ' -f1-3 /proc/loadavg)"

failed=0
log="$(mktemp)"
group() {
    local name="$1"; shift
    local passed=0 slowest=0
    for _ in $(seq 1 "$runs"); do
        local started ended ms
        started=$(date +%s%N)
        if INSTA_UPDATE=no "$binary" run -q "$@" >"$log" 2>&1; then
            passed=$((passed + 1))
        else
            failed=1
            echo "--- $name failed:"; grep -E 'FAILED|failed|panicked|error' "$log" | head -20
        fi
        ended=$(date +%s%N)
        ms=$(( (ended - started) / 1000000 ))
        (( ms > slowest )) && slowest=$ms
    done
    printf '%-28s %3d/%d passed, slowest run %5d ms (load average %s)\n' \
        "$name" "$passed" "$runs" "$slowest" "$(cut -d' ' -f1 /proc/loadavg)"
}
group "SlowDown" slow-down
group "stopping" stopping
group "lock expiry" lock-
group "rate limit" rate-limit
group "latency budget" latency
group "whole suite" 
rm -f "$log"
exit "$failed"
