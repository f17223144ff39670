//! What a step costs a GPU besides its arithmetic: kernel dispatches and
//! readbacks, counted so that a benchmark can report them.
//!
//! - Readbacks: every transaction [`crate::inference::read_f32`] awaits (the
//!   only way mdn-core reads tensors back to the host), counted process-wide
//!   by [`readbacks`]. One transaction may carry several tensors; it costs
//!   one round trip to the device.
//! - Dispatches (the `wgpu` feature): every kernel launch of a cubecl
//!   runtime, through cubecl's launch observer
//!   (`cubecl::logging::LaunchObservation`, which the launch path calls on
//!   the issuing thread before the kernel reaches the device), counted while
//!   a `DispatchCounter` (`wgpu` feature) lives. Buffer copies and fills that are not
//!   kernels are not counted.

use std::sync::atomic::{AtomicU64, Ordering};

static READBACKS: AtomicU64 = AtomicU64::new(0);

/// Readback transactions awaited since the process started (see the
/// module's documentation).
pub fn readbacks() -> u64 {
    READBACKS.load(Ordering::Relaxed)
}

/// Counts one readback transaction.
pub(crate) fn count_readback() {
    READBACKS.fetch_add(1, Ordering::Relaxed);
}

#[cfg(feature = "wgpu")]
pub use dispatch::{DispatchCounter, short_name};

#[cfg(feature = "wgpu")]
mod dispatch {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use burn::cubecl::logging::{LaunchObservation, LaunchObserver};

    /// Counts of the kernels launched, in total and by kernel name.
    #[derive(Default)]
    struct Launches {
        total: AtomicU64,
        by_name: Mutex<HashMap<&'static str, u64>>,
    }

    impl LaunchObserver for Launches {
        fn launched(&self, kernel: &'static str) {
            self.total.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut by_name) = self.by_name.lock() {
                *by_name.entry(kernel).or_default() += 1;
            }
        }
    }

    /// Counts every kernel dispatch of every cubecl runtime (wgpu here)
    /// for as long as it lives. There is one observer slot per process: a
    /// second counter replaces the first until it is dropped.
    pub struct DispatchCounter {
        launches: Arc<Launches>,
        _observation: LaunchObservation,
    }

    impl DispatchCounter {
        /// Starts counting.
        pub fn start() -> Self {
            let launches = Arc::new(Launches::default());
            let observation = LaunchObservation::new(launches.clone());
            Self {
                launches,
                _observation: observation,
            }
        }

        /// Dispatches since [`DispatchCounter::start`].
        pub fn total(&self) -> u64 {
            self.launches.total.load(Ordering::Relaxed)
        }

        /// Dispatches since [`DispatchCounter::start`] by kernel, named
        /// by [`short_name`], most frequent first.
        pub fn by_name(&self) -> Vec<(String, u64)> {
            let mut counts: HashMap<String, u64> = HashMap::new();
            if let Ok(by_name) = self.launches.by_name.lock() {
                for (name, n) in by_name.iter() {
                    *counts.entry(short_name(name)).or_default() += n;
                }
            }
            let mut counts: Vec<(String, u64)> = counts.into_iter().collect();
            counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            counts
        }
    }

    /// A kernel's Rust type path without its modules (`KernelBinop<MulOp>`
    /// for `burn_cubecl::kernel::binary::kernel_binop::KernelBinop<
    /// burn_cubecl::kernel::binary::MulOp>`), its type arguments left out
    /// when they are long (a matrix product's dozen).
    pub fn short_name(name: &str) -> String {
        let mut short = String::with_capacity(name.len());
        let mut segment = String::new();
        for c in name.chars() {
            if c.is_alphanumeric() || c == '_' || c == ':' {
                segment.push(c);
            } else {
                short.push_str(segment.rsplit("::").next().unwrap_or(&segment));
                segment.clear();
                short.push(c);
            }
        }
        short.push_str(segment.rsplit("::").next().unwrap_or(&segment));
        match short.split_once('<') {
            Some((head, _)) if short.len() > 60 => format!("{head}<…>"),
            _ => short,
        }
    }
}
