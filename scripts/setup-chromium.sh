#!/usr/bin/env bash
# Installs Debian's Chromium (package `chromium`, /usr/bin/chromium) for tests/report_browser.rs,
# which renders report.html headless and fails on script errors or missing sections.
#
# Idempotent: when a working chromium is already on PATH it returns at once, without apt-get.
# Needs root (CI runs as root) and Debian's package archive. Fonts come with the package's
# dependencies (fonts-liberation); the report uses system fonts only.
# Exit status: 0 ready; 1 not root, no apt-get, or the install failed.
set -euo pipefail

fail() { printf 'setup-chromium: %s\n' "$*" >&2; exit 1; }

find_chromium() {
    for candidate in "${CHROMIUM:-}" chromium chromium-browser; do
        if [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

works() { "$1" --headless --no-sandbox --version >/dev/null 2>&1 || "$1" --version >/dev/null 2>&1; }

if bin="$(find_chromium)" && works "$bin"; then
    echo "setup-chromium: already installed: $("$bin" --version 2>/dev/null | head -n1) ($bin)"
    exit 0
fi

[[ "$(id -u)" == 0 ]] || fail "chromium is missing and installing it needs root (apt-get install chromium)"
command -v apt-get >/dev/null 2>&1 || fail "chromium is missing and there is no apt-get to install it"

export DEBIAN_FRONTEND=noninteractive
echo "setup-chromium: installing Debian's chromium"
# A stale or empty package list makes `install` fail to find the package: refresh it first.
apt-get update -qq -o Acquire::Retries=2 || fail "apt-get update failed (is the package archive reachable?)"
apt-get install -y -qq --no-install-recommends -o Acquire::Retries=2 chromium fonts-liberation \
    >/dev/null || fail "apt-get install chromium failed (see apt's message above)"

bin="$(find_chromium)" || fail "chromium was installed but is not on PATH"
works "$bin" || fail "$bin was installed but does not start"
echo "setup-chromium: ready: $("$bin" --version 2>/dev/null | head -n1) ($bin)"
