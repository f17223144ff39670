#!/usr/bin/env bash
# The threaded CPU module, dist/mdn-web-threads.js and mdn-web-threads_bg.wasm
# (with wasm-bindgen-rayon's worker script under dist/snippets/), which the
# worker loads where the page is cross-origin isolated (docs/EMBEDDING.md,
# "Threads"). scripts/build.sh compiles it beside `trunk build` and runs
# wasm-bindgen after it (Trunk replaces dist/ at its end). Trunk cannot
# build it: it needs the standard library rebuilt with the atomics target
# feature (-Z build-std, on the nightly that
# crates/mdn-web-threads/rust-toolchain.toml pins) and wasm-bindgen's `web`
# target, which wasm-bindgen-rayon's workers import.
#
#   scripts/build-threads.sh [compile] [bindgen]   (no argument: both)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/stages.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
root=$PWD
# Its own folder in the target directory: another toolchain and another
# std, so nothing of the stable builds could be shared anyway.
target_dir="${CARGO_TARGET_DIR:-$root/target}/threads"
# RUSTFLAGS replaces .cargo/config.toml's flags, so simd128 is named again.
features="-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128"
# The module's own link: a shared memory, imported (each of the pool's
# workers instantiates the module on the same memory), with the symbols
# wasm-bindgen's thread set-up calls to give each thread its own
# thread-local storage. Shared memory must declare its maximum: 2 GiB
# (the single-threaded module may grow to 4), which 32-bit browsers can
# still reserve.
link=(--shared-memory --import-memory --max-memory=2147483648
  --export=__wasm_init_tls --export=__tls_size --export=__tls_align --export=__tls_base)
# std is built with panic=abort (the release profile unwinds natively).
# Symbols are kept until wasm-bindgen has read the target_features section
# (strip = true would drop it, and wasm-bindgen would then not see the
# atomics, nor set the threads up); it drops the names itself.
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(compile bindgen)
wasm="$target_dir/wasm32-unknown-unknown/wasm-release/mdn_web_threads.wasm"

compile() {
  stage "setup: the threaded module's nightly toolchain" bash scripts/setup.sh threads
  (cd crates/mdn-web-threads &&
    lint_with_nightly &&
    stage "cargo build (threaded CPU module)" env \
      RUSTFLAGS="$features" CARGO_PROFILE_WASM_RELEASE_PANIC=abort CARGO_PROFILE_WASM_RELEASE_STRIP=debuginfo \
      cargo rustc -Z build-std=std,panic_abort --target wasm32-unknown-unknown \
      --profile wasm-release --target-dir "$target_dir" -- "${link[@]/#/-Clink-arg=}")
}

# Where scripts/lints.sh has turned clippy's lints on (scripts/test.sh),
# this build lints what only it compiles (mdn-core's and mdn-web's wasm
# paths with threads: rayon on wasm32), with the nightly's own
# clippy-driver: the stable one that lints the other builds cannot drive
# another toolchain's rustc. Run in the crate's folder, where rustup picks
# the nightly.
lint_with_nightly() {
  if [ -n "${RUSTC_WORKSPACE_WRAPPER:-}" ]; then
    RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)"
    export RUSTC_WORKSPACE_WRAPPER
  fi
}

bindgen() {
  stage "wasm-bindgen (threaded CPU module)" wasm-bindgen --target web --no-typescript \
    --remove-name-section --remove-producers-section --out-dir dist --out-name mdn-web-threads "$wasm"
  # wasm-bindgen sets threads up only where it finds a shared memory: a
  # module without one would start and then fail in the pool's workers.
  grep -q 'shared:true' dist/mdn-web-threads.js || {
    echo "build-threads: dist/mdn-web-threads.js has no shared memory: wasm-bindgen did not set threads up" >&2
    exit 1
  }
}

for part in "${parts[@]}"; do
  case "$part" in
    compile | bindgen) "$part" ;;
    *)
      echo "build-threads: no part named '$part' (compile, bindgen)" >&2
      exit 2
      ;;
  esac
done
