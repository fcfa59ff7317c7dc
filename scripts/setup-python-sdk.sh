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
# shellcheck source=scripts/pinned-venv.sh
source "$root/scripts/pinned-venv.sh"

name=setup-python-sdk
venv="$root/.venv"
requirements="$root/scripts/python-sdk-requirements.txt"
stamp="$venv/.car-conformance-sdk.sha256"
what="the pinned SDK"
broken="the SDK was installed but does not import; remove .venv/ and run again"
works() {
    "$venv/bin/python" -c 'import tencentcloud.common.sign, tencentcloud.car.v20220110.car_client' \
        >/dev/null 2>&1
}
version() {
    echo "$("$venv/bin/python" --version 2>&1), $("$venv/bin/python" -m pip freeze 2>/dev/null | grep -c '==') packages pinned"
}
pinned_venv
