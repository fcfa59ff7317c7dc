#!/usr/bin/env bash
# Sourced (not run) by scripts/setup-python-sdk.sh and scripts/setup-tccli.sh: installs pinned
# requirements into a git-ignored virtual environment at the repository root, idempotently.
#
# The caller sets
#   name          the prefix of every message (the script's name)
#   venv          the virtual environment's directory
#   requirements  the pins file
#   stamp         a file inside $venv holding the checksum of the pins it was installed from
#   what          what is installed, for "already has ..." (e.g. "the pinned SDK")
#   broken        what to say when the install succeeded but the result does not work
# and defines `works` (status 0 when what was installed runs) and `version` (one line naming it),
# then calls `pinned_venv`. PYTHON chooses the interpreter (default: python3.11, python3, python).
# Exit status: 0 ready; 1 Python, venv or pip unavailable, or the registry unreachable.

fail() { printf '%s: %s\n' "$name" "$*" >&2; exit 1; }

pinned_venv() {
    local python_bin="${PYTHON:-}" candidate want
    if [[ -z "$python_bin" ]]; then
        for candidate in python3.11 python3 python; do
            if command -v "$candidate" >/dev/null 2>&1; then python_bin="$candidate"; break; fi
        done
    fi
    [[ -n "$python_bin" ]] || fail "no python3 found on PATH (set PYTHON=/path/to/python3)"
    "$python_bin" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)' \
        || fail "$python_bin is older than Python 3.8"

    want="$(sha256sum "$requirements" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && works; then
        echo "$name: ${venv##*/} already has $what ($(version))"
        return 0
    fi

    if [[ ! -x "$venv/bin/python" ]]; then
        echo "$name: creating $venv with $("$python_bin" --version 2>&1)"
        "$python_bin" -m venv "$venv" \
            || fail "could not create the virtual environment (is the python3-venv package installed?)"
    fi
    "$venv/bin/python" -m pip --version >/dev/null 2>&1 \
        || fail "pip is not available in $venv (is python3-venv / ensurepip installed?)"

    echo "$name: installing pinned packages from scripts/${requirements##*/}"
    rm -f "$stamp"
    # --retries/--timeout keep an unreachable registry from hanging CI for long.
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            --retries 2 --timeout 30 -r "$requirements"; then
        fail "pip install failed: the package registry may be unreachable (see pip's message above)"
    fi
    works || fail "$broken"
    printf '%s\n' "$want" >"$stamp"
    echo "$name: ready ($(version))"
}
