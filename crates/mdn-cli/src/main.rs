//! `mdn`: Mixture Density Networks on the command line.
//!
//! - `mdn paint IMAGE`: trains an MDN from pixel position to colour on a
//!   photo and writes its repaint (and, with `--frames`, one per epoch);
//! - `mdn toy`: trains a toy problem (the sinusoid inversion, its forward
//!   twin, Bishop's toy or a CSV file of points) and plots data, mixture
//!   samples and the least-squares fit, with `--panels` also the density
//!   p(y | x), the conditional mode and every component's π, μ and σ;
//! - `mdn render MODEL.mdn`: repaints a saved painting model at any size;
//! - `mdn bench W1|W2|W3|W4|W5`: runs a standard workload of
//!   `docs/WORKLOADS.md` and prints one JSON object.
//!
//! Every subcommand takes `--backend cpu|wgpu`. The maths and training live in
//! `mdn-core`; this crate parses arguments, shows progress, reads and writes
//! files and prints results. User errors are one line on stderr and exit
//! status 1.

mod backend;
mod bench;
mod paint;
mod plot;
mod points;
mod progress;
mod render;
mod toy;
mod video;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mdn_core::settings;
use mdn_core::spec::{Covariance, Encoding};
use mdn_core::workloads::Workload;

use crate::backend::BackendKind;

/// Mixture Density Networks on burn: paint photos, plot the toy problem,
/// benchmark the standard workloads.
#[derive(Parser, Debug)]
#[command(name = "mdn", version, about)]
struct Cli {
    /// Where to train: `cpu` (burn's flex backend on every core) or `wgpu`
    /// (Vulkan, Metal or DX12, whichever the platform has).
    #[arg(long, global = true, default_value = "cpu", value_parser = parse_backend)]
    backend: BackendKind,
    /// CPU threads of the `cpu` backend (default: one per core).
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train on a photo and write the MDN's repaint (each pixel the mean of
    /// its heaviest component: the mode colour).
    Paint(PaintArgs),
    /// Train a toy problem (by default the sinusoid inversion, workload W1's
    /// data) and plot data, 10 mixture samples per x and the least-squares
    /// fit; with --panels also the density, the conditional mode and each
    /// component's weight, mean and width.
    Toy(ToyArgs),
    /// Repaint a painting model saved with `mdn paint --save` at any size
    /// (a coordinate network is resolution-free).
    Render(RenderArgs),
    /// Run a standard workload exactly as `docs/WORKLOADS.md`
    /// specifies it and print one JSON object on stdout.
    Bench(BenchArgs),
}

/// Arguments of `mdn paint`.
#[derive(clap::Args, Debug)]
struct PaintArgs {
    /// The photo: PNG, JPEG, WebP, GIF, BMP or TIFF (not with --resume).
    #[arg(required_unless_present = "resume")]
    image: Option<PathBuf>,
    /// Go on training a model saved with --save (its settings and picture
    /// come from the file).
    #[arg(long, value_name = "MODEL", conflicts_with_all = ["image", "size", "encoding", "covariance", "components", "seed"])]
    resume: Option<PathBuf>,
    /// After training, save the model (settings, picture, weights and the
    /// optimiser's state) to this file, for --resume and `mdn render`.
    #[arg(long, value_name = "MODEL")]
    save: Option<PathBuf>,
    /// Training size in pixels: the longer side after area downscaling
    /// (8–1024; never upscales).
    #[arg(long, default_value_t = settings::SIZE.default_whole())]
    size: u32,
    /// Training epochs (passes over every pixel); with --resume, more
    /// epochs.
    #[arg(long, default_value_t = 30)]
    epochs: usize,
    /// How the network sees a pixel's position: grid, fourier or raw.
    #[arg(long, default_value_t = Encoding::default(), value_parser = parse_encoding)]
    encoding: Encoding,
    /// Covariance of each colour component: iso, diag or full.
    #[arg(long, default_value_t = Covariance::default(), value_parser = parse_covariance)]
    covariance: Covariance,
    /// Mixture components K (1–32).
    #[arg(long, default_value_t = settings::COMPONENTS.default_whole() as usize)]
    components: usize,
    /// Seed of the initial weights and the shuffles.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The final repaint, PNG.
    #[arg(long, default_value = "painted.png")]
    out: PathBuf,
    /// Also write every epoch's repaint to this folder as frame_0001.png,
    /// frame_0002.png, … (for a video tool).
    #[arg(long)]
    frames: Option<PathBuf>,
    /// Also write the painting forming as an animated GIF (FILE.gif), one
    /// frame per epoch captioned with the epoch and the PSNR.
    #[arg(long)]
    video: Option<PathBuf>,
}

/// Arguments of `mdn toy`.
#[derive(clap::Args, Debug)]
struct ToyArgs {
    /// Full-batch Adam steps; with --resume, more steps.
    #[arg(long, default_value_t = 3000)]
    steps: usize,
    /// Go on training a toy model saved with --save (its settings and
    /// points come from the file).
    #[arg(long, value_name = "MODEL", conflicts_with_all = ["seed", "data", "components", "hidden_units"])]
    resume: Option<PathBuf>,
    /// After training, save the model (settings, points, weights and the
    /// optimiser's state) to this file, for --resume.
    #[arg(long, value_name = "MODEL")]
    save: Option<PathBuf>,
    /// Seed of the data and the initial weights.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The data: inverse (the sinusoid inversion, y from x), forward (the
    /// sinusoid x ↦ y), bishop (Bishop's toy, inverted), or a CSV file of
    /// x, y points (an optional header line; separated by commas,
    /// semicolons, tabs or spaces).
    #[arg(long, default_value = "inverse")]
    data: String,
    /// Mixture components K (1–32).
    #[arg(long, default_value_t = settings::TOY_COMPONENTS.default_text())]
    components: String,
    /// Hidden tanh units of the MDN and the least-squares fit (4–128).
    #[arg(long = "hidden-units", default_value_t = settings::HIDDEN.default_text())]
    hidden_units: String,
    /// Also plot the density p(y | x) behind the data, the conditional
    /// mode, and under it each component's weight π_k(x) and mean μ_k(x)
    /// ± σ_k(x) (as in Bishop's PRML, fig. 5.21).
    #[arg(long)]
    panels: bool,
    /// The plot, PNG.
    #[arg(long, default_value = "toy.png")]
    out: PathBuf,
}

/// Arguments of `mdn render`.
#[derive(clap::Args, Debug)]
struct RenderArgs {
    /// A painting model saved with `mdn paint --save`.
    model: PathBuf,
    /// The longer side of the picture, pixels (1–8192); the training
    /// picture's aspect ratio is kept.
    #[arg(long, default_value_t = 512)]
    size: u32,
    /// The picture, PNG.
    #[arg(long, default_value = "render.png")]
    out: PathBuf,
}

/// Arguments of `mdn bench`.
#[derive(clap::Args, Debug)]
struct BenchArgs {
    /// The workload: W1, W2, W3, W4 or W5.
    #[arg(value_parser = parse_workload)]
    workload: Workload,
    /// W1 only: train this many steps instead of the workload's 10 000 (a
    /// quick check; the timing window shrinks to fit).
    #[arg(long)]
    steps: Option<usize>,
    /// W2–W5 only: train this many epochs instead of the workload's (a quick
    /// check; the timing window shrinks to fit).
    #[arg(long)]
    epochs: Option<usize>,
    /// Folder holding the workloads' photos (default: the repository's
    /// `tests/images`, found from the working directory or above it).
    #[arg(long)]
    images: Option<PathBuf>,
    /// Seed of the data, the initial weights and the shuffles.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn parse_backend(s: &str) -> Result<BackendKind, String> {
    s.parse()
}

fn parse_covariance(s: &str) -> Result<Covariance, String> {
    settings::covariance(s).map_err(|e| e.to_string())
}

fn parse_encoding(s: &str) -> Result<Encoding, String> {
    settings::encoding(s).map_err(|e| e.to_string())
}

fn parse_workload(s: &str) -> Result<Workload, String> {
    s.parse()
}

/// Reads a model file for `--resume` or `mdn render`.
///
/// # Errors
/// The file cannot be read.
fn read_model(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Writes a model file for `--save`.
///
/// # Errors
/// The file cannot be written.
fn write_model(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Fails early, before any training, when `out` cannot be written because
/// its folder does not exist.
///
/// # Errors
/// The folder of `out` is missing.
fn check_out(out: &std::path::Path) -> anyhow::Result<()> {
    match out.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => anyhow::bail!(
            "cannot write {}: the folder {} does not exist",
            out.display(),
            dir.display()
        ),
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            progress::clear();
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    backend::keep_freed_memory();
    if let Some(threads) = cli.threads {
        backend::set_threads(threads)?;
    }
    match cli.command {
        Command::Paint(args) => paint::run(cli.backend, args),
        Command::Toy(args) => toy::run(cli.backend, args),
        Command::Render(args) => render::run(cli.backend, args),
        Command::Bench(args) => bench::run(cli.backend, args),
    }
}
