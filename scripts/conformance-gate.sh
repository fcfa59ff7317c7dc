#!/usr/bin/env bash
# The regression gate of the CI recipes (examples/ci/): runs car-conformance against a staging
# URL, writes the report directory, appends summary.md to the job summary, and exits with the
# run's own code. .ci/run runs this same script against a mock started locally.
#
# Environment:
#   CAR_TARGET           the staging URL (required)
#   CAR_REPORT_DIR       where the reports go (default: car-conformance-report)
#   CAR_CONFORMANCE      the binary (default: car-conformance on PATH)
#   GITHUB_STEP_SUMMARY  set by GitHub Actions: summary.md is appended to that file
#   TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY (+ _SESSION_TOKEN)  credentials, needed for
#                        any target that is not on this machine; CAR_BASELINE, CAR_PROJECT_ID,
#                        CAR_CLIENT_SESSION… are read by car-conformance itself
# Arguments: passed on to `car-conformance run` (e.g. --target-config staging.toml).
#
# Exit: the run's code — 0 PASS; 1 FAIL or INCOMPLETE; 2 usage error, nothing sent; 3 a UserId
# may be left on the target; 4 the target could not be reached; 130 interrupted.
# report.json, junit.xml, summary.md and report.html are written whenever the run started, also
# when cases fail; reports of an earlier run in the same directory are removed first, so a
# run that could not start never leaves stale ones to be uploaded.
set -uo pipefail

bin=${CAR_CONFORMANCE:-car-conformance}
target=${CAR_TARGET:-}
report_dir=${CAR_REPORT_DIR:-car-conformance-report}

summarise() {
    [[ -n "${GITHUB_STEP_SUMMARY:-}" ]] || return 0
    if [[ -f "$report_dir/summary.md" ]]; then
        cat "$report_dir/summary.md" >>"$GITHUB_STEP_SUMMARY"
    else
        printf '## car-conformance: no report\n\n%s (exit %s); see the job log.\n\n' "$1" "$2" \
            >>"$GITHUB_STEP_SUMMARY"
    fi
}

if [[ -z "$target" ]]; then
    echo "error: set CAR_TARGET to the base URL of the staging server" >&2
    summarise "CAR_TARGET is not set: nothing was sent" 2
    exit 2
fi
if ! mkdir -p "$report_dir"; then
    summarise "the report directory $report_dir cannot be made" 2
    exit 2
fi
rm -f "$report_dir"/report.json "$report_dir"/junit.xml "$report_dir"/summary.md \
    "$report_dir"/report.html

"$bin" run --target "$target" --report-dir "$report_dir" --progress plain "$@"
code=$?
summarise "the run stopped before any report was written" "$code"
echo "car-conformance: exit $code; reports in $report_dir/"
exit "$code"
