# Sourced by check.sh and test.sh, after the toolchain is installed: every
# native cargo command of theirs compiles the workspace's own crates with
# clippy-driver, as `cargo clippy` does for `cargo check`, so clippy's
# lints (with -D warnings) come with the build the tests need and the
# dependencies are compiled once, instead of checked for clippy and then
# compiled again for the tests (4.5 of a cold run's minutes on 2 cores).
# Every native command must see both variables, or cargo builds the
# workspace's crates again; the wasm builds (clippy's own, Trunk's) do not.
RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)"
# `cargo clippy -- -D warnings` passes its arguments to clippy-driver so.
CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
export RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS
