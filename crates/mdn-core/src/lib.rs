//! Mixture Density Networks (Bishop 1994) on burn, for any burn device (the
//! CPU backend or wgpu), with no knowledge of the web.
//!
//! The modules, from the leaves up: each imports only modules above it in
//! this list (a unit test below keeps it so; docs/ARCHITECTURE.md has the
//! whole picture).
//!
//! - [`spec`]: the vocabulary without tensors: covariance kinds, the head's
//!   raw output layout, Cholesky indexing, activations, constants;
//! - [`counts`]: kernel dispatches and readbacks, counted for benchmarks;
//! - [`pool`]: where a stretch of CPU work runs (on rayon's pool, with the
//!   `rayon` feature);
//! - [`data`] and [`picture`]: the sinusoid inversion data (W1) and photos
//!   as training data (decode, downscale, pixel positions, PSNR);
//! - [`settings`]: every setting a reader can change, one table per demo;
//! - [`inference`]: asynchronous readback;
//! - [`records`]: burn's records of a model and of Adam's state, written
//!   from values read back asynchronously, so that they can be taken on
//!   WebGPU;
//! - [`mixture`]: a batch of Gaussian mixtures and their maths on tensors:
//!   `log_prob`, `nll`, `logsumexp`, `scale_tril`, `sample`, `mode`, `mean`;
//! - `adam` (private): Adam's update of one value, which both kernel
//!   modules apply;
//! - `fused` (private, with the `flex` feature): the CPU kernels, one pass
//!   forward and backward;
//! - `cube` (private, with the `wgpu` feature): the GPU kernels on cubecl
//!   (wgpu): the grid, the mixture head, a dense layer's ends, sums over
//!   the batch and Adam's step, none looping over the batch;
//! - [`ops`]: the backend choice: each operation the model is built from,
//!   and Adam's step, fused on burn's CPU backend, our own kernels on wgpu,
//!   composed elsewhere; the only module that names `fused` and `cube`;
//! - [`grid`]: the learned multiresolution grid, an input encoding;
//! - [`encoding`]: how a model sees a position: raw, Fourier features or
//!   the grid, one choice the model owns;
//! - [`head`]: the mixture head (a dense layer read as a mixture);
//! - [`model`]: the MDN (tanh MLP trunk + head) and the least-squares
//!   regressor it is compared with;
//! - [`training`]: the Adam loop and the divergence guard (frames, verdicts,
//!   guarded results);
//! - [`model_file`]: one file for a model being trained (settings, data,
//!   weights, Adam's state), burn's records behind a versioned header;
//! - [`toy`] and [`paint`]: the two demos as training runs, for the page,
//!   the command line and the benchmarks alike;
//! - [`workloads`]: the standard benchmark workloads W1–W5 as settings of
//!   those runs.

#[cfg(any(feature = "flex", feature = "wgpu"))]
mod adam;
pub mod counts;
#[cfg(feature = "wgpu")]
mod cube;
pub mod data;
pub mod encoding;
#[cfg(feature = "flex")]
mod fused;
pub mod grid;
pub mod head;
pub mod inference;
pub mod mixture;
pub mod model;
pub mod model_file;
pub mod ops;
pub mod paint;
pub mod picture;
pub mod pool;
pub mod records;
pub mod settings;
pub mod spec;
pub mod toy;
pub mod training;
pub mod workloads;

/// The module order of the crate documentation, kept by the source.
#[cfg(test)]
mod layering {
    /// Each module, leaves first (as the crate documentation lists them).
    const LAYERS: [&str; 23] = [
        "spec",
        "counts",
        "pool",
        "data",
        "picture",
        "settings",
        "inference",
        "records",
        "mixture",
        "adam",
        "fused",
        "cube",
        "ops",
        "grid",
        "encoding",
        "head",
        "model",
        "training",
        "model_file",
        "toy",
        "paint",
        "workloads",
        "lib",
    ];

    /// The `crate::` modules a source file's code names (in `use` lines or
    /// paths; comments, doc links included, do not count).
    fn named_modules(source: &str) -> Vec<&str> {
        let mut found = vec![];
        for line in source.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (start, _) in line.match_indices("crate::") {
                let rest = &line[start + "crate::".len()..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                found.push(&rest[..end]);
            }
        }
        found
    }

    #[test]
    fn modules_import_only_modules_above_them_and_only_ops_names_the_kernels() {
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut files = vec![];
        for entry in std::fs::read_dir(src).expect("src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                for inner in std::fs::read_dir(&path).expect("dir").flatten() {
                    files.push((
                        path.file_name().unwrap_or_default().to_owned(),
                        inner.path(),
                    ));
                }
            } else {
                files.push((path.file_stem().unwrap_or_default().to_owned(), path));
            }
        }
        let rank = |module: &str| LAYERS.iter().position(|m| *m == module);
        for (module, path) in files {
            let module = module.to_string_lossy().into_owned();
            let own = rank(&module).unwrap_or_else(|| panic!("{module} is not in LAYERS"));
            let source = std::fs::read_to_string(&path).expect("source");
            for named in named_modules(&source) {
                let Some(other) = rank(named) else { continue };
                assert!(
                    other <= own,
                    "{} names crate::{named}, which comes after {module}",
                    path.display()
                );
                if named == "fused" || named == "cube" {
                    assert!(
                        ["ops", named, "spec", "lib"].contains(&module.as_str()),
                        "{} names the {named} kernels: only ops chooses them",
                        path.display()
                    );
                }
            }
        }
    }
}
