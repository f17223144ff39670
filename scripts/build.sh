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
# npm's packages first: the page copies its video muxer from node_modules.
stage "setup: npm packages, Trunk and wasm-bindgen" bash scripts/setup.sh rust node tools
# The threaded module compiles beside Trunk's three (another toolchain and
# target folder: they share nothing), so that one build's single-threaded
# link overlaps the other's compiling; its wasm-bindgen step writes into
# dist/ once Trunk, which replaces the folder at its end, is done.
lane bash scripts/build-threads.sh compile
# A failed Trunk stops the lane too (nested in test.sh's own lane, this
# script is not the one whose exit does).
stage "trunk build --release" trunk build --release || { stop_lane; exit 1; }
join_lane
bash scripts/build-threads.sh bindgen
echo "dist/ is ready: $(du -sh dist | cut -f1); publish the whole folder (see README, 'Embed it')."
