#!/usr/bin/env bash
# The GPU check, for a Linux machine with a GPU (Vulkan drivers, Chromium
# at /usr/bin/chromium or CHROMIUM_PATH): the native wgpu workloads W1,
# W2, W4 and W5 (shortened), then the page in headless Chromium on the
# GPU's WebGPU with its backend trial's decision, as one table
# (tests/gpu-check.mjs). Without a GPU it runs natively on Mesa's lavapipe,
# and `--software` lets the page's trial run on Chromium's SwiftShader.
#
#   bash scripts/gpu-check.sh [--software] [--no-native] [--no-page]
#
# It builds what is missing first (the release `mdn`, dist/ with `npm run
# build`; MDN_BIN names another `mdn`), which the 8 minutes the check
# itself takes on lavapipe do not count. Put its table in README ("On a
# GPU") whenever it runs on a real GPU, and its detail in
# docs/PERFORMANCE.md ("On a GPU").
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
mdn="${MDN_BIN:-}"
if [ -z "$mdn" ]; then
  cargo build --release -p mdn-cli
  mdn="$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')/release/mdn"
fi
if [ ! -f dist/index.html ] || [ ! -f dist/mdn-web_bg.wasm ]; then
  npm run build
fi
[ -d node_modules/playwright-core ] || npm ci
exec node tests/gpu-check.mjs --mdn "$mdn" "$@"
