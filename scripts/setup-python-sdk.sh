#!/usr/bin/env bash
# Installs the official Tencent Cloud Python SDK (common + car, pinned in
# scripts/python-sdk-requirements.txt) into the git-ignored virtual environment .venv/ at the
# repository root. tests/sdk_interop.rs and benches/compare-signing.sh use .venv/bin/python.
#
# Idempotent: when .venv/ already holds exactly these pins (a stamp records the requirements'
# checksum) and the SDK imports, it returns at once without touching the network.
# Exit status: 0 ready; 1 Python, venv or pip unavailable, or the registry unreachable.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
requirements="$root/scripts/python-sdk-requirements.txt"
stamp="$venv/.car-conformance-sdk.sha256"
python_bin="${PYTHON:-}"

fail() { printf 'setup-python-sdk: %s\n' "$*" >&2; exit 1; }

if [[ -z "$python_bin" ]]; then
    for candidate in python3.11 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1; then python_bin="$candidate"; break; fi
    done
fi
[[ -n "$python_bin" ]] || fail "no python3 found on PATH (set PYTHON=/path/to/python3)"
"$python_bin" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)' \
    || fail "$python_bin is older than Python 3.8"

want="$(sha256sum "$requirements" | cut -d' ' -f1)"
sdk_imports() {
    "$venv/bin/python" -c 'import tencentcloud.common.sign, tencentcloud.car.v20220110.car_client' \
        >/dev/null 2>&1
}
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && sdk_imports; then
    echo "setup-python-sdk: .venv already has the pinned SDK ($("$venv/bin/python" --version 2>&1))"
    exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
    echo "setup-python-sdk: creating $venv with $("$python_bin" --version 2>&1)"
    "$python_bin" -m venv "$venv" \
        || fail "could not create the virtual environment (is the python3-venv package installed?)"
fi
"$venv/bin/python" -m pip --version >/dev/null 2>&1 \
    || fail "pip is not available in $venv (is python3-venv / ensurepip installed?)"

echo "setup-python-sdk: installing pinned packages from scripts/python-sdk-requirements.txt"
rm -f "$stamp"
# --retries/--timeout keep an unreachable registry from hanging CI for long.
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        --retries 2 --timeout 30 -r "$requirements"; then
    fail "pip install failed: the package registry may be unreachable (see pip's message above)"
fi
sdk_imports || fail "the SDK was installed but does not import; remove .venv/ and run again"
printf '%s\n' "$want" >"$stamp"
echo "setup-python-sdk: ready ($("$venv/bin/python" -m pip freeze 2>/dev/null | grep -c '==') packages pinned)"
