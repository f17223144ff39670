#!/usr/bin/env bash
# Everything CI checks (`npm test`, `.ci/run`), fast to slow: the fast lane
# of scripts/check.sh (formatting, clippy native and wasm32, CPU unit tests),
# then the Rust integration tests (CPU and wgpu over Mesa's lavapipe), the
# release build of the page, and the browser tests against that build in the
# system Chromium. Installs what it needs on a machine that has only Rust,
# Node.js and npm (scripts/setup.sh), and prints how long each stage took.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/stages.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

bash scripts/check.sh

stage "setup: Debian packages (chromium, lavapipe)" bash scripts/setup.sh system
stage "setup: npm packages" bash scripts/setup.sh node
stage "setup: Trunk and wasm-bindgen" bash scripts/setup.sh tools
# As check.sh built them (its clippy-driver), or cargo would build the
# workspace's crates again.
source scripts/native-lints.sh
# Every integration test: the numerical ones on both devices, the long
# training runs on the CPU and a short smoke run on lavapipe.
stage "Rust integration tests (CPU and lavapipe)" cargo test --workspace --test '*'
stage "trunk build --release" env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS trunk build --release
# One test file at a time: each drives a real Chromium training real models,
# and running them side by side on a small machine only makes all of them slow.
stage "browser tests" node --test --test-concurrency=1 tests/*.test.mjs
