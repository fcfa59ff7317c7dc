#!/usr/bin/env bash
# The README's install and CI recipes, for real (run by .ci/run after `cargo test`):
# 1. `cargo install --path . --debug` into a temporary root, reusing this checkout's target
#    directory so it costs little more than a link; then `cargo install --git` from this
#    checkout's committed HEAD (dependencies reused, the crate itself compiled once more);
# 2. each installed binary, from an empty directory with no CAR_* or TENCENTCLOUD_* variable and
#    a fresh cache, runs the suite built into it: verdict PASS, nothing written where it ran, no
#    path of this checkout in its output;
# 3. scripts/conformance-gate.sh, the script both CI recipes call, with that binary against a
#    mock started here as the "staging" target: exit 0, the four reports, the job summary appended.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$PWD
work=$(mktemp -d)
mock_pid=
cleanup() {
    if [[ -n "$mock_pid" ]]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "error: $*" >&2
    for log in "$work"/*.log; do
        [[ -f "$log" ]] && { echo "--- $(basename "$log")"; tail -n 40 "$log"; }
    done
    exit 1
}

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$checkout/target}
cargo install --path . --root "$work/root" --debug --locked --quiet
bin=$work/root/bin/car-conformance

# Only what the binary carries: no setting of a developer or of CI, no checkout around.
unset_vars=()
while IFS= read -r name; do unset_vars+=(-u "$name"); done \
    < <(compgen -e | grep -E '^(CAR_|TENCENTCLOUD_)' || true)
isolated() { env "${unset_vars[@]}" XDG_CACHE_HOME="$work/cache" "$@"; }

# $1: the binary, $2: how it was installed.
check_binary() {
    local bin=$1 how=$2 dir
    dir=$(mktemp -d "$work/empty.XXXX")
    (cd "$dir" && isolated "$bin" run --progress plain -q) >"$work/run.log" 2>&1 \
        || fail "the binary from $how failed its run from an empty directory"
    grep -q '^verdict: PASS' "$work/run.log" || fail "the binary from $how did not pass"
    grep -q '^suite: the built-in suite' "$work/run.log" \
        || fail "the binary from $how did not run its built-in suite"
    if grep -qF "$checkout" "$work/run.log"; then
        fail "the binary from $how names the checkout ($checkout) in its run"
    fi
    [[ -z "$(ls -A "$dir")" ]] || fail "the binary from $how wrote into the directory it ran from"
    echo "$how: $(isolated "$bin" --version), $(grep '^verdict:' "$work/run.log") from an empty directory"
}

check_binary "$bin" "cargo install --path ."

if rev=$(git -C "$checkout" rev-parse HEAD 2>/dev/null); then
    cargo install --git "file://$checkout" --rev "$rev" --root "$work/git-root" --debug --locked \
        --quiet car-conformance
    check_binary "$work/git-root/bin/car-conformance" "cargo install --git (HEAD $rev)"
else
    echo "warning: not a git checkout: cargo install --git is not checked"
fi

# The CI recipes' gate against a local "staging" server.
# Not through `isolated`: a function run in the background is a subshell, and $! would name it,
# not the mock, which then outlived the script.
env "${unset_vars[@]}" XDG_CACHE_HOME="$work/cache" "$bin" mock --listen 127.0.0.1:0 \
    >"$work/mock.out" 2>"$work/mock.log" &
mock_pid=$!
url=
for _ in $(seq 100); do
    url=$(sed -n 's/^listening on //p' "$work/mock.out")
    [[ -n "$url" ]] && break
    sleep 0.1
done
[[ -n "$url" ]] || fail "the mock did not start"
echo "# an earlier step" >"$work/step-summary.md"
isolated CAR_TARGET="$url" CAR_CONFORMANCE="$bin" CAR_REPORT_DIR="$work/report" \
    GITHUB_STEP_SUMMARY="$work/step-summary.md" \
    bash "$checkout/scripts/conformance-gate.sh" -q >"$work/gate.log" 2>&1 \
    || fail "the gate failed against the local staging mock"
for report in report.json junit.xml summary.md report.html; do
    [[ -s "$work/report/$report" ]] || fail "the gate wrote no $report"
done
[[ "$(head -n 1 "$work/step-summary.md")" == "# an earlier step" ]] \
    || fail "the job summary was overwritten, not appended to"
grep -q 'car-conformance: PASS' "$work/step-summary.md" || fail "summary.md is not in the job summary"
echo "CI gate: exit 0, reports written, job summary appended"
