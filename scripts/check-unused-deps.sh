#!/usr/bin/env bash
# Fails when Cargo.toml declares a dependency that no source file uses (cargo-machete, pinned).
# Installs cargo-machete through cargo from crates.io when it is missing or another version.
set -euo pipefail
cd "$(dirname "$0")/.."
version="0.9.2"
if ! cargo machete --version 2>/dev/null | grep -q "$version"; then
    cargo install --locked --quiet cargo-machete --version "$version"
fi
cargo machete
