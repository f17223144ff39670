#!/usr/bin/env bash
# Everything CI checks, in order: formatting, lints (clippy on the native
# build, which compiles every crate, mdn-web included), the
# Rust tests (CPU and wgpu over Mesa's lavapipe), the release build of the
# page, and the browser tests against that build in the system Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step setup
bash scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# The browser tests use the distribution's Chromium (never a downloaded one)
# and the wgpu tests need a Vulkan driver (lavapipe runs on the CPU).
missing=()
for pkg in chromium mesa-vulkan-drivers; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [ "$status" != "install ok installed" ]; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  else
    echo "test: missing Debian packages: ${missing[*]} (install them, or run as root with apt)" >&2
    exit 1
  fi
fi

step "cargo fmt"
cargo fmt --all -- --check

step "cargo clippy (native)"
cargo clippy --workspace --all-targets -- -D warnings

# One build and one run: every core test runs on burn's CPU backend and, with
# the wgpu feature, again on wgpu over Mesa's lavapipe.
step "cargo test (CPU and wgpu)"
cargo test --workspace --features mdn-core/wgpu

step "trunk build --release"
trunk build --release

step "browser tests"
# One test file at a time: each drives a real Chromium training real models,
# and running them side by side on a small machine only makes all of them slow.
node --test --test-concurrency=1 tests/*.test.mjs
