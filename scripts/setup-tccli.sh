#!/usr/bin/env bash
# Installs tccli, Tencent Cloud's command-line client (pinned with every dependency in
# scripts/tccli-requirements.txt), into the git-ignored virtual environment .venv-tccli/ at the
# repository root (apart from .venv/: see the requirements file for why). tests/client_interop.rs
# runs .venv-tccli/bin/tccli against the mock over HTTPS.
#
# Idempotent: when .venv-tccli/ already holds exactly these pins (a stamp records the
# requirements' checksum) and tccli starts, it returns at once without touching the network.
# Exit status: 0 ready; 1 Python, venv or pip unavailable, or the registry unreachable.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-tccli"
requirements="$root/scripts/tccli-requirements.txt"
stamp="$venv/.car-conformance-tccli.sha256"
python_bin="${PYTHON:-}"

fail() { printf 'setup-tccli: %s\n' "$*" >&2; exit 1; }

if [[ -z "$python_bin" ]]; then
    for candidate in python3.11 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1; then python_bin="$candidate"; break; fi
    done
fi
[[ -n "$python_bin" ]] || fail "no python3 found on PATH (set PYTHON=/path/to/python3)"
"$python_bin" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)' \
    || fail "$python_bin is older than Python 3.8"

want="$(sha256sum "$requirements" | cut -d' ' -f1)"
tccli_runs() { "$venv/bin/tccli" --version >/dev/null 2>&1; }
if [[ -x "$venv/bin/tccli" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && tccli_runs; then
    echo "setup-tccli: .venv-tccli already has the pinned tccli ($("$venv/bin/tccli" --version 2>&1))"
    exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
    echo "setup-tccli: creating $venv with $("$python_bin" --version 2>&1)"
    "$python_bin" -m venv "$venv" \
        || fail "could not create the virtual environment (is the python3-venv package installed?)"
fi
"$venv/bin/python" -m pip --version >/dev/null 2>&1 \
    || fail "pip is not available in $venv (is python3-venv / ensurepip installed?)"

echo "setup-tccli: installing pinned packages from scripts/tccli-requirements.txt"
rm -f "$stamp"
# --retries/--timeout keep an unreachable registry from hanging CI for long.
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --retries 2 --timeout 30 -r "$requirements"; then
    fail "pip install failed: the package registry may be unreachable (see pip's message above)"
fi
tccli_runs || fail "tccli was installed but does not start; remove .venv-tccli/ and run again"
printf '%s\n' "$want" >"$stamp"
echo "setup-tccli: ready ($("$venv/bin/tccli" --version 2>&1))"
