#!/usr/bin/env bash
# Installs what the build and the tests need on a machine that has only Rust
# (rustup), Node.js and npm. Idempotent: each part is installed only when
# missing or at another version, so running it before every build or test
# costs a few seconds.
#
#   scripts/setup.sh [rust] [node] [system] [tools] [threads]   (no argument: all)
#
#   rust    the toolchain rust-toolchain.toml pins, with the wasm32 target,
#           rustfmt and clippy (seconds; a minute or two to download it)
#   node    checks Node.js against package.json's engines, then the npm
#           packages (npm ci): the page's video muxer, the browser tests' tools
#   system  Debian's chromium and Mesa's Vulkan driver (lavapipe), as root
#   tools   Trunk and wasm-bindgen-cli (cargo install: 4 minutes the first time)
#   threads the pinned nightly with rust-src and clippy that the threaded
#           CPU module is built and linted with
#           (crates/mdn-web-threads/rust-toolchain.toml; a download, a
#           minute or two)
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# Must equal the wasm-bindgen crate version in Cargo.lock (and Trunk.toml):
# the CLI refuses to process a module built by another version.
WASM_BINDGEN_VERSION=0.2.130

if [ -d "${CARGO_HOME:-$HOME/.cargo}/bin" ]; then
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(rust node system tools threads)

setup_rust() {
  local targets components component
  # rust-toolchain.toml's toolchain, its components and target (rustup
  # 1.28 and later no longer install it on first use by default).
  rustup toolchain install --no-self-update
  targets=$(rustup target list --installed)
  if ! grep -qx wasm32-unknown-unknown <<<"$targets"; then
    rustup target add wasm32-unknown-unknown
  fi
  # The checks in scripts/check.sh; rustup's minimal profile lacks them.
  components=$(rustup component list --installed)
  for component in rustfmt clippy; do
    if ! grep -q "^$component" <<<"$components"; then
      rustup component add "$component"
    fi
  done
}

setup_node() {
  # The Node.js versions package.json's engines names (">=MAJOR.MINOR").
  node -e '
    const wanted = require("./package.json").engines.node;
    const [major, minor] = wanted.match(/>=(\d+)\.(\d+)/).slice(1).map(Number);
    const [m, n] = process.versions.node.split(".").map(Number);
    if (m < major || (m === major && n < minor)) {
      console.error(`setup: Node.js ${process.versions.node} is too old: package.json asks for ${wanted}`);
      process.exit(1);
    }'
  # playwright-core never downloads browsers; the variable makes sure
  # nothing in the tree tries to.
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund
  else
    npm install --no-audit --no-fund
  fi
}

# The browser tests use the distribution's Chromium (never a downloaded one)
# and the wgpu tests need a Vulkan driver (lavapipe runs on the CPU).
setup_system() {
  local missing=() pkg status
  for pkg in chromium mesa-vulkan-drivers; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "setup: missing Debian packages: ${missing[*]} (install them, or run as root with apt)" >&2
    return 1
  fi
}

# Trunk and wasm-bindgen only copy, hash and rewrite files: built without
# optimisation and without Trunk's TLS stack (Trunk.toml keeps it offline,
# so it never downloads) they compile in about a third of the time of a
# release build (Trunk 9 -> 3 minutes on two cores), and take a second or
# two longer per page build. Cargo's 16 codegen units: 256 cost Trunk 7 %
# more CPU time (333 against 309 CPU-seconds; one unit 315), which on a
# fresh machine's two busy cores is wall time. Their own temporary target
# folder, not the project's, and no clippy (scripts/lints.sh is for this
# project's crates).
cargo_install() {
  env -u CARGO_TARGET_DIR -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS \
    CARGO_PROFILE_RELEASE_OPT_LEVEL=0 \
    CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_INCREMENTAL=false \
    cargo install "$@"
}

# rustup installs the toolchain a rust-toolchain.toml names, with its
# components, when asked in its folder.
setup_threads() {
  (cd crates/mdn-web-threads && rustup toolchain install --no-self-update)
}

setup_tools() {
  local locked
  locked=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
  if [ -n "$locked" ] && [ "$locked" != "$WASM_BINDGEN_VERSION" ]; then
    echo "setup: Cargo.lock has wasm-bindgen $locked but the tools are pinned to $WASM_BINDGEN_VERSION;" >&2
    echo "setup: update WASM_BINDGEN_VERSION here and wasm_bindgen in Trunk.toml." >&2
    return 1
  fi
  if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
    cargo_install trunk --version "$TRUNK_VERSION" --locked --no-default-features
  fi
  # Deliberately without --locked: the CLI is resolved against today's
  # crates.io, as this project pins only its version. Without its default
  # TLS stack (rustls and ring, for its test runner's downloads; the
  # wasm-bindgen binary reads and writes local files only): 110 against
  # 124 CPU-seconds.
  if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
    cargo_install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --no-default-features
  fi
}

for part in "${parts[@]}"; do
  case "$part" in
    rust | node | system | tools | threads) "setup_$part" ;;
    *)
      echo "setup: unknown part '$part': use rust, node, system, tools or threads" >&2
      exit 2
      ;;
  esac
done
