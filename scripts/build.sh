#!/usr/bin/env bash
# `npm run build`: the release page in dist/, a folder any static host
# serves as it is (the demo page, the iframe view embed.html, the element
# under www/, the sample posts under examples/, the wasm modules: Trunk
# builds three, then scripts/build-threads.sh the threaded CPU module).
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
stage "trunk build --release" trunk build --release
bash scripts/build-threads.sh
echo "dist/ is ready: $(du -sh dist | cut -f1); publish the whole folder (see README, 'Embed it')."
