# Sourced by check.sh and test.sh, after the toolchain is installed: every
# cargo command of theirs compiles the workspace's own crates with
# clippy-driver, as `cargo clippy` does for `cargo check`, so clippy's lints
# (with -D warnings) come with the builds CI needs anyway, and the
# dependencies are compiled once instead of checked for clippy and then
# compiled again: natively with the tests' build (4.5 of a cold run's
# minutes on 2 cores), and for wasm32 with test.sh's `trunk build`, which
# lints each module of the page with its own features (5 more), and
# scripts/build-threads.sh, which lints the threaded module's crates with
# its nightly's own clippy-driver in place of this one.
# Every native command must see both variables, or cargo builds the
# workspace's crates again; `cargo install` must not (it would lint the
# tools it installs: scripts/setup.sh unsets them).
RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)"
# `cargo clippy -- -D warnings` passes its arguments to clippy-driver so.
CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
export RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
