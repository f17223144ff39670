#!/usr/bin/env bash
# The fast lane (`npm run check`), and the first thing CI runs: formatting,
# clippy on the native and the wasm32 build, the CPU unit tests and the
# front-end's unit tests (its pure functions, in node: settings, URL state,
# plot ticks, the worker's scheduler and protocol). A few minutes on a warm
# tree, so a slip fails before anything slow starts;
# scripts/test.sh runs the rest (integration tests on CPU and lavapipe, the
# release wasm, the browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/stages.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

stage "setup: Rust toolchain, target and components" bash scripts/setup.sh rust
# Before the unit tests, which run wgpu kernels: without lavapipe wgpu
# falls back to Mesa's GL driver, whose adapter lock times out on a loaded
# CPU (a fresh machine's CI failed so). Chromium comes with it, for
# scripts/test.sh.
stage "setup: Debian packages (chromium, lavapipe)" bash scripts/setup.sh system
stage "cargo fmt" cargo fmt --all -- --check
# Clippy on every native target, linted while they are compiled for the
# tests (scripts/lints.sh): the whole workspace, as scripts/test.sh
# builds it, so that both share one build of the dependencies (features
# are unified per invocation).
source scripts/lints.sh
stage "clippy and the test build (native)" cargo test --workspace --all-targets --no-run
# mdn-web is what the page runs, and mdn-core under it has wasm-only
# paths. test.sh lints them as its `trunk build` compiles them
# (MDN_WASM_LINTS=build); alone, this lane asks clippy. Each module has its
# own backend (features are unified per invocation, so each needs its own):
# the WebGPU module is mdn-web as it is, with mdn-core without its CPU
# backend...
if [ "${MDN_WASM_LINTS:-clippy}" = clippy ]; then
  stage "clippy (wasm32, WebGPU module)" env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS cargo clippy -p mdn-web --target wasm32-unknown-unknown --all-targets -- -D warnings
  # ...and the CPU module mdn-web's `cpu` feature, with mdn-core's default
  # (and the TIFF decoder, which shares none of their features).
  stage "clippy (wasm32, CPU and TIFF modules)" env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS cargo clippy -p mdn-core -p mdn-web-cpu -p mdn-tiff --target wasm32-unknown-unknown --all-targets -- -D warnings
fi
stage "unit tests (CPU)" cargo test --workspace --lib --bins
stage "front-end unit tests (node)" node --test tests/unit/
