//! The demo's wasm module for the CPU path: every binding of `mdn-web`,
//! built without its `webgpu` feature, so that burn's wgpu backend (wgpu,
//! naga) is not in the download. The worker loads this module unless it has
//! chosen WebGPU (www/worker/backend.js).

pub use mdn_web::*;
