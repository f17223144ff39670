#!/usr/bin/env bash
# `npm run build`: the release page in dist/, a folder any static host
# serves as it is (the demo page, the iframe view embed.html, the element
# under www/, the sample posts under examples/). README says how to publish
# it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh rust node tools
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
trunk build --release
echo "dist/ is ready: $(du -sh dist | cut -f1); publish the whole folder (see README, 'Embed it')."
