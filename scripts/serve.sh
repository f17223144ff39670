#!/usr/bin/env bash
# Builds the page and the wasm worker in release mode and serves them on
# http://127.0.0.1:8080 (rebuilding on change).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh rust node tools
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
exec trunk serve --release
