//! Opening the device a subcommand trains on, and naming it.

use anyhow::{Context, bail};
use burn::tensor::Device;

/// The backends `--backend` offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// burn's flex backend on the CPU (rayon threads, SIMD kernels).
    Cpu,
    /// burn's wgpu backend: Vulkan, Metal or DX12.
    Wgpu,
}

impl BackendKind {
    /// `cpu` or `wgpu`.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Cpu => "cpu",
            BackendKind::Wgpu => "wgpu",
        }
    }
}

impl std::str::FromStr for BackendKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cpu" => Ok(BackendKind::Cpu),
            "wgpu" => Ok(BackendKind::Wgpu),
            other => Err(format!("unknown backend '{other}': expected cpu or wgpu")),
        }
    }
}

/// An opened device and what it runs on.
pub struct Backend {
    /// The device to train on (plain: the runs add autodiff).
    pub device: Device,
    /// Which backend.
    pub kind: BackendKind,
    /// The adapter in use: the GPU's name and graphics API, or the CPU's
    /// model name.
    pub adapter: String,
    /// Threads of the CPU thread pool (the `cpu` backend's compute threads).
    pub threads: usize,
}

impl Backend {
    /// Opens `kind`.
    ///
    /// # Errors
    /// `wgpu` without a usable adapter (no GPU driver, device request
    /// refused), or in a build without the `wgpu` feature.
    pub fn open(kind: BackendKind) -> anyhow::Result<Self> {
        let (device, adapter) = match kind {
            BackendKind::Cpu => (Device::flex(), format!("{} (burn flex)", cpu_name())),
            BackendKind::Wgpu => open_wgpu()?,
        };
        Ok(Self {
            device,
            kind,
            adapter,
            threads: rayon::current_num_threads(),
        })
    }

    /// One line for the user: backend, adapter, threads.
    pub fn describe(&self) -> String {
        format!(
            "backend {}: {}, {} CPU threads",
            self.kind.name(),
            self.adapter,
            self.threads
        )
    }

    /// Waits for every queued operation on the device.
    ///
    /// # Errors
    /// When the device failed (GPU lost, kernel error).
    pub fn sync(&self) -> anyhow::Result<()> {
        self.device
            .sync()
            .map_err(|e| anyhow::anyhow!("the {} device failed: {e:?}", self.kind.name()))
    }
}

#[cfg(feature = "wgpu")]
fn open_wgpu() -> anyhow::Result<(Device, String)> {
    let (device, setup) = Device::wgpu_options()
        .init_with_setup()
        .map_err(|e| anyhow::anyhow!("no usable GPU adapter for --backend wgpu ({e})"))?;
    let info = setup.adapter.get_info();
    Ok((device, format!("{} ({:?})", info.name, info.backend)))
}

#[cfg(not(feature = "wgpu"))]
fn open_wgpu() -> anyhow::Result<(Device, String)> {
    bail!("this build of mdn has no wgpu backend (build it with --features wgpu)")
}

/// Sets the size of the CPU thread pool; call before any tensor work.
///
/// # Errors
/// A count of 0, or a pool that already exists.
pub fn set_threads(threads: usize) -> anyhow::Result<()> {
    if threads == 0 {
        bail!("--threads must be at least 1");
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .context("cannot set the number of CPU threads")
}

/// Keeps freed tensor buffers in the process for reuse.
///
/// Every op of the CPU backend allocates its output afresh (a W2 activation
/// is 1024 × 128 × 4 B = 512 kB). glibc serves blocks that large with `mmap`
/// and trims the heap top on `free`, so each op's output was page-faulted
/// and zeroed by the kernel again: 10–12 % of a W2 epoch in `perf`, gone
/// with these two settings (glibc `mallopt(3)`). Other C libraries: no-op.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // glibc's largest mmap threshold on 64-bit targets (32 MiB).
        const MMAP_THRESHOLD: libc::c_int = 32 << 20;
        const TRIM_THRESHOLD: libc::c_int = 1 << 30;
        // SAFETY: mallopt only sets two of glibc's allocator parameters; it
        // is called before any thread exists. A refusal (return 0) leaves
        // the defaults, which are merely slower.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
            libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        }
    }
}

/// The CPU's model name (Linux: /proc/cpuinfo), or the architecture.
fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}
