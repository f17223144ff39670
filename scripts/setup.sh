#!/usr/bin/env bash
# Installs the build tools on a machine that has only Rust (rustup), Node.js
# and npm. Idempotent: each tool is installed only when missing or at another
# version, so running it before every build or test costs a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# Must equal the wasm-bindgen crate version in Cargo.lock (and Trunk.toml):
# the CLI refuses to process a module built by another version.
WASM_BINDGEN_VERSION=0.2.130

if [ -d "${CARGO_HOME:-$HOME/.cargo}/bin" ]; then
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

locked=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -n "$locked" ] && [ "$locked" != "$WASM_BINDGEN_VERSION" ]; then
  echo "setup: Cargo.lock has wasm-bindgen $locked but the tools are pinned to $WASM_BINDGEN_VERSION;" >&2
  echo "setup: update WASM_BINDGEN_VERSION here and wasm_bindgen in Trunk.toml." >&2
  exit 1
fi

targets=$(rustup target list --installed)
if ! grep -qx wasm32-unknown-unknown <<<"$targets"; then
  rustup target add wasm32-unknown-unknown
fi
# The checks in scripts/test.sh; rustup's minimal profile lacks them.
components=$(rustup component list --installed)
for component in rustfmt clippy; do
  if ! grep -q "^$component" <<<"$components"; then
    rustup component add "$component"
  fi
done

if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

# Deliberately without --locked: the CLI is resolved against today's
# crates.io, as this project pins only its version.
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# playwright-core never downloads browsers; the variable makes sure nothing
# in the tree tries to.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
