#!/usr/bin/env bash
# Everything CI checks (`npm test`, `.ci/run`), in lanes side by side,
# because on two cores neither keeps both busy alone (the page's wasm ends
# in one long single-threaded link):
#   - in the background, the release page (scripts/build.sh: Trunk and
#     wasm-bindgen installed, `trunk build --release`, clippy linting each
#     wasm module as it compiles);
#   - in front, the fast lane of scripts/check.sh (formatting, clippy and
#     the native test build, the CPU and front-end unit tests);
# then the Rust integration tests (CPU, and wgpu over Mesa's lavapipe) in
# the background as soon as the native build is done, and the browser tests
# against the built page in the system Chromium once the page is built too.
# Installs what it needs on a machine that has only Rust, Node.js and npm
# (scripts/setup.sh), and prints when each stage started and how long it
# took.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/stages.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

# The toolchain before either lane runs cargo.
stage "setup: Rust toolchain, target and components" bash scripts/setup.sh rust
source scripts/lints.sh
lane bash scripts/build.sh
MDN_WASM_LINTS=build bash scripts/check.sh
# Every integration test: the numerical ones on both devices, the long
# training runs on the CPU and a short smoke run on lavapipe. They need only
# the native build, so they start at once, beside the page's last minutes
# (its wasm ends in single-threaded links); niced, because the page's build
# and then the browser tests are what the run waits for. Their verdicts,
# like the browser tests', count steps and epochs, not seconds, so sharing
# the cores slows them and changes nothing else.
lane nice -n 10 bash scripts/stages.sh "Rust integration tests (CPU and lavapipe)" cargo test --workspace --test '*'
join_lane
# One test file at a time: each drives a real Chromium training real models,
# and running them side by side on a small machine only makes all of them slow.
stage "browser tests" node --test --test-concurrency=1 tests/*.test.mjs
join_lane
