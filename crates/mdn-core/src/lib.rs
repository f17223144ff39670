//! Mixture Density Networks (Bishop 1994) on burn, for any burn device (the
//! CPU backend or wgpu), with no knowledge of the web.
//!
//! - [`mixture`]: the Gaussian mixture head, `log_prob`, `nll`, `logsumexp`;
//! - [`model`]: the MDN (tanh MLP trunk + mixture head) and the
//!   least-squares regressor it is compared with;
//! - [`data`]: the sinusoid inversion data (workload W1) and device datasets;
//! - [`picture`]: photos as training data (decode, downscale, coordinates, PSNR);
//! - [`training`]: the Adam training loop;
//! - [`inference`]: readback, sampling and mode predictions;
//! - [`toy`] and [`paint`]: the two demos as training runs;
//! - [`workloads`]: the standard benchmark workloads W1–W4;
//! - [`fused`]: one-pass tanh and mixture log-density for burn's CPU backend.

pub mod data;
pub mod fused;
pub mod inference;
pub mod mixture;
pub mod model;
pub mod paint;
pub mod picture;
pub mod toy;
pub mod training;
pub mod workloads;
