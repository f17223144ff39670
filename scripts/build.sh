#!/usr/bin/env bash
# `npm run build`: the release page in dist/, a folder any static host
# serves as it is (the demo page, the iframe view embed.html, the element
# under www/, the sample posts under examples/, the wasm modules: Trunk
# builds three, scripts/build-threads.sh the threaded CPU module).
# README ("Embed it") says how to publish it, docs/EMBEDDING.md what it
# holds. scripts/test.sh runs
# it in the background beside the native tests' build, with clippy's lints
# on (scripts/lints.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/stages.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# The threaded module compiles beside all the rest (another toolchain and
# target folder: it shares nothing), from the start: it needs neither
# npm's packages nor Trunk, whose installation on a fresh machine is 9
# CPU-minutes of compiling it overlaps. Its wasm-bindgen step writes into
# dist/ once Trunk, which replaces the folder at its end, is done.
# (The stable toolchain first: two rustup installs at once could race.)
stage "setup: Rust toolchain, target and components" bash scripts/setup.sh rust
lane bash scripts/build-threads.sh compile
# npm's packages before Trunk: the page copies its video muxer from
# node_modules.
stage "setup: npm packages, Trunk and wasm-bindgen" bash scripts/setup.sh node tools || { stop_lanes; exit 1; }
# A failed Trunk stops the lane too (nested in test.sh's own lane, this
# script is not the one whose exit does).
stage "trunk build --release" trunk build --release || { stop_lanes; exit 1; }
join_lane
bash scripts/build-threads.sh bindgen
echo "dist/ is ready: $(du -sh dist | cut -f1); publish the whole folder (see README, 'Embed it')."
