#!/usr/bin/env bash
# `npm run serve`: builds the release page into dist/ (scripts/build.sh,
# compiled as `npm test` compiles it, so that after a test run only what
# changed since is built again) and serves dist/ as it is on
# http://127.0.0.1:8080 ($PORT to change it): what is served is what gets
# published.
# `npm run dev` (--watch): Trunk rebuilds on change and reloads the page,
# serving its own build from target/trunk-serve/, never from dist/ (Trunk
# puts a live-reload script into what it serves, which fails anywhere
# else).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if [ "${1:-}" = --watch ]; then
  bash scripts/setup.sh rust node tools
  exec trunk serve --release --dist target/trunk-serve
fi
bash scripts/setup.sh rust
# The same compiler as the test run's build (clippy-driver for the
# workspace's crates), or Cargo would build them all again.
source scripts/lints.sh
bash scripts/build.sh
exec node scripts/serve-dist.mjs
