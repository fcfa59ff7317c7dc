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
# shellcheck source=scripts/pinned-venv.sh
source "$root/scripts/pinned-venv.sh"

name=setup-tccli
venv="$root/.venv-tccli"
requirements="$root/scripts/tccli-requirements.txt"
stamp="$venv/.car-conformance-tccli.sha256"
what="the pinned tccli"
broken="tccli was installed but does not start; remove .venv-tccli/ and run again"
works() { "$venv/bin/tccli" --version >/dev/null 2>&1; }
version() { "$venv/bin/tccli" --version 2>&1; }
pinned_venv
