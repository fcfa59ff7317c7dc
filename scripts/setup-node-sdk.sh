#!/usr/bin/env bash
# Installs the official Tencent Cloud Node.js SDK (tencentcloud-sdk-nodejs, pinned with every
# transitive dependency in tests/node/package.json and package-lock.json) into the git-ignored
# tests/node/node_modules/. tests/client_interop.rs drives the mock with it through
# tests/node/interop_driver.js.
#
# Idempotent: when node_modules already matches the lock file (a stamp records its checksum) and
# the SDK loads, it returns at once without touching the network.
# Exit status: 0 ready; 1 Node.js or npm missing or too old, or the registry unreachable.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/tests/node"
stamp="$dir/node_modules/.car-conformance-sdk.sha256"

fail() { printf 'setup-node-sdk: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || fail "node is not on PATH (install Node.js 18 or later)"
command -v npm >/dev/null 2>&1 || fail "npm is not on PATH"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' \
    || fail "Node.js $(node --version) is older than 18"

want="$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)"
sdk_loads() {
    (cd "$dir" && node -e 'require("tencentcloud-sdk-nodejs/tencentcloud/services/car")') \
        >/dev/null 2>&1
}
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && sdk_loads; then
    echo "setup-node-sdk: tests/node/node_modules already has the pinned SDK (node $(node --version))"
    exit 0
fi

echo "setup-node-sdk: installing the pinned SDK from tests/node/package-lock.json"
# `npm ci` installs exactly the lock file; --ignore-scripts: nothing of the packages runs here.
if ! (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error \
        --fetch-retries=2 --fetch-timeout=30000); then
    fail "npm ci failed: the package registry may be unreachable (see npm's message above)"
fi
sdk_loads || fail "the SDK was installed but does not load; remove tests/node/node_modules and run again"
printf '%s\n' "$want" >"$stamp"
echo "setup-node-sdk: ready (tencentcloud-sdk-nodejs $(cd "$dir" && node -p 'require("tencentcloud-sdk-nodejs/package.json").version'))"
