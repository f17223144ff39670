//! The demo's CPU module with threads: every binding of `mdn-web` with its
//! `cpu` feature (as `mdn-web-cpu`), and rayon's global pool, whose threads
//! are Web Workers sharing this module's memory (`initThreadPool(n)`, from
//! wasm-bindgen-rayon, to be awaited once before the first demo). The
//! worker loads it instead of the single-threaded CPU module where the page
//! is cross-origin isolated (www/worker/backend.js, `threadedModule`):
//! shared memory needs SharedArrayBuffer, which browsers give only to such
//! pages. scripts/build-threads.sh builds it.

pub use mdn_web::*;
#[cfg(target_arch = "wasm32")]
pub use wasm_bindgen_rayon::init_thread_pool;
