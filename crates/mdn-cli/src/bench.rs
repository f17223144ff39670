//! `mdn bench`: a standard workload, timed, as one JSON object on stdout.
//!
//! Every timed step (W1) or epoch (W2–W5) ends with a device sync, so the
//! wall time covers the device's work, not only its queueing; reading the
//! loss for the progress bar happens outside the timed spans.
//!
//! With `--backend wgpu` the report also counts, per timed training step and
//! per repaint, the kernel dispatches (every cubecl launch) and the readbacks
//! (mdn-core's readback transactions, see `mdn_core::counts`): a step's
//! cost on a GPU is as much its number of dispatches as its arithmetic, and
//! in a browser a readback waits for everything queued before it.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use mdn_core::counts;
use mdn_core::paint::{PaintRun, View};
use mdn_core::picture::{Picture, rgb_to_rgba8};
use mdn_core::toy::ToyRun;
use mdn_core::training::Demo;
use mdn_core::workloads::{PaintWorkload, ToyWorkload, Workload};
use serde_json::{Value, json};

use crate::BenchArgs;
use crate::backend::{Backend, BackendKind};
use crate::progress;

/// Repaints timed after training (the median is reported).
const REPAINTS: usize = 5;

/// Runs `mdn bench`.
///
/// # Errors
/// A missing photo, a flag that does not fit the workload, no wgpu adapter,
/// a failing device.
pub fn run(backend: BackendKind, args: BenchArgs) -> anyhow::Result<()> {
    let report = match args.workload.paint() {
        None => {
            if args.epochs.is_some() {
                bail!("--epochs applies to W2–W5; W1 counts --steps");
            }
            let backend = Backend::open(backend)?;
            eprintln!("{}", backend.describe());
            toy(&backend, &args)?
        }
        Some(workload) => {
            if args.steps.is_some() {
                bail!(
                    "--steps applies to W1; {} counts --epochs",
                    args.workload.name()
                );
            }
            let images = match &args.images {
                Some(dir) => dir.clone(),
                None => find_images()?,
            };
            let path = images.join(workload.image);
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let picture = Picture::decode(&bytes, workload.side)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            let backend = Backend::open(backend)?;
            eprintln!("{}", backend.describe());
            paint(&backend, &args, &workload, picture)?
        }
    };
    println!("{report}");
    Ok(())
}

/// The repository's `tests/images`, in the working directory or above it.
fn find_images() -> anyhow::Result<PathBuf> {
    let cwd = std::env::current_dir().context("cannot read the working directory")?;
    cwd.ancestors()
        .map(|dir| dir.join("tests").join("images"))
        .find(|dir| dir.join("astronaut.png").is_file())
        .context("no tests/images folder with astronaut.png in the working directory or above it: pass --images DIR")
}

/// Min, median and max of `ms`, milliseconds, as JSON (null when empty).
fn stats(ms: &[f64]) -> Value {
    if ms.is_empty() {
        return Value::Null;
    }
    let mut sorted = ms.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    };
    json!({"min": round3(sorted[0]), "median": round3(median), "max": round3(sorted[n - 1])})
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn header(backend: &Backend, workload: Workload, exact: bool) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert("workload".into(), json!(workload.name()));
    map.insert("exact".into(), json!(exact));
    map.insert("backend".into(), json!(backend.kind.name()));
    map.insert("adapter".into(), json!(backend.adapter));
    map.insert("threads".into(), json!(backend.threads));
    map
}

/// Dispatches and readbacks counted from one moment on (see the module's
/// documentation). Dispatches are counted on wgpu only.
struct Tally {
    #[cfg(feature = "wgpu")]
    dispatches: Option<counts::DispatchCounter>,
}

/// Dispatches (`None` off wgpu) and readbacks counted at one moment.
#[derive(Clone, Copy)]
struct Counted {
    dispatches: Option<u64>,
    readbacks: u64,
}

impl Tally {
    fn start(backend: &Backend) -> Self {
        #[cfg(feature = "wgpu")]
        return Self {
            dispatches: (backend.kind == crate::backend::BackendKind::Wgpu)
                .then(counts::DispatchCounter::start),
        };
        #[cfg(not(feature = "wgpu"))]
        {
            let _ = backend;
            Self {}
        }
    }

    fn now(&self) -> Counted {
        #[cfg(feature = "wgpu")]
        let dispatches = self.dispatches.as_ref().map(|d| d.total());
        #[cfg(not(feature = "wgpu"))]
        let dispatches = None;
        Counted {
            dispatches,
            readbacks: counts::readbacks(),
        }
    }

    /// Dispatches by kernel name so far (empty off wgpu).
    fn kernels(&self) -> Vec<(String, u64)> {
        #[cfg(feature = "wgpu")]
        if let Some(counter) = &self.dispatches {
            return counter.by_name();
        }
        Vec::new()
    }

    /// Dispatches by kernel name since `before` ([`Tally::kernels`]),
    /// divided by `per`, most frequent first, as JSON `[[name, count],
    /// ...]` (null off wgpu).
    fn kernels_since(&self, before: &[(String, u64)], per: usize) -> Value {
        if self.now().dispatches.is_none() {
            return Value::Null;
        }
        let per = per.max(1) as f64;
        let mut since: Vec<(String, u64)> = self
            .kernels()
            .into_iter()
            .map(|(name, n)| {
                let earlier = before.iter().find(|(b, _)| *b == name).map_or(0, |b| b.1);
                (name, n - earlier)
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        since.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Value::Array(
            since
                .into_iter()
                .map(|(name, n)| json!([name, round3(n as f64 / per)]))
                .collect(),
        )
    }
}

/// Sums of what was counted over several spans, and how many items
/// (steps, repaints) they held.
#[derive(Default)]
struct Spans {
    dispatches: Option<u64>,
    readbacks: u64,
    items: usize,
}

impl Spans {
    /// Adds the span from `start` to `end`, which held `items` items.
    fn add(&mut self, start: Counted, end: Counted, items: usize) {
        if let (Some(a), Some(b)) = (start.dispatches, end.dispatches) {
            *self.dispatches.get_or_insert(0) += b - a;
        }
        self.readbacks += end.readbacks - start.readbacks;
        self.items += items;
    }

    /// Dispatches (null off wgpu) and readbacks per item, as JSON.
    fn per_item(&self) -> Value {
        let per = self.items.max(1) as f64;
        json!({
            "dispatches": self.dispatches.map(|d| round3(d as f64 / per)),
            "readbacks": round3(self.readbacks as f64 / per),
        })
    }
}

fn toy(backend: &Backend, args: &BenchArgs) -> anyhow::Result<Value> {
    let spec = ToyWorkload::W1;
    let steps = args.steps.unwrap_or(spec.steps);
    if steps == 0 {
        bail!("--steps must be at least 1");
    }
    let warmup = spec.warmup_steps.min(steps.saturating_sub(1));
    let window = warmup..(warmup + spec.timed_steps).min(steps);
    let mut run = ToyRun::new(spec.config(args.seed), &backend.device);
    let bar = progress::bar(steps as u64, "step");
    let mut ms = Vec::with_capacity(window.len());
    let tally = Tally::start(backend);
    let mut counted = Spans::default();
    for step in 0..steps {
        let before = tally.now();
        let start = Instant::now();
        run.train(1);
        backend.sync()?;
        let elapsed = start.elapsed().as_secs_f64() * 1e3;
        if window.contains(&step) {
            ms.push(elapsed);
            counted.add(before, tally.now(), 1);
        }
        if (step + 1) % 100 == 0 || step + 1 == steps {
            let loss = pollster::block_on(run.loss())?;
            bar.set_message(format!("nll {loss:.3}"));
            bar.set_position(step as u64 + 1);
        }
    }
    bar.finish_and_clear();
    let nll = pollster::block_on(run.nll())?;
    let mut report = header(backend, Workload::W1, steps == spec.steps);
    report.insert("points".into(), json!(spec.points));
    report.insert("steps".into(), json!(run.steps()));
    report.insert("warmup_steps".into(), json!(window.start));
    report.insert("timed_steps".into(), json!(ms.len()));
    report.insert("ms_per_step".into(), stats(&ms));
    report.insert("per_step".into(), counted.per_item());
    report.insert("nll".into(), json!(nll));
    Ok(Value::Object(report))
}

fn paint(
    backend: &Backend,
    args: &BenchArgs,
    workload: &PaintWorkload,
    picture: Picture,
) -> anyhow::Result<Value> {
    let epochs = args.epochs.unwrap_or(workload.epochs);
    if epochs == 0 {
        bail!("--epochs must be at least 1");
    }
    if picture.width != workload.side || picture.height != workload.side {
        bail!(
            "{} is {} × {} px after downscaling; the workload needs {} × {}",
            workload.image,
            picture.width,
            picture.height,
            workload.side,
            workload.side
        );
    }
    let (first, last) = workload.timed_epochs;
    let window = first.min(epochs)..=last.min(epochs);
    let samples = picture.pixels();
    let mut run = PaintRun::new(picture, workload.config(args.seed), &backend.device)?;
    let bar = progress::bar(epochs as u64, "epoch");
    let mut ms = Vec::new();
    let mut psnr_10 = None;
    let tally = Tally::start(backend);
    let mut counted = Spans::default();
    let mut kernels = Value::Null;
    for epoch in 1..=epochs {
        let before = tally.now();
        let start = Instant::now();
        let steps_before = run.trainer().steps();
        let kernels_before = tally.kernels();
        while !run.train(run.steps_per_epoch()) {}
        backend.sync()?;
        let elapsed = start.elapsed().as_secs_f64() * 1e3;
        if window.contains(&epoch) {
            ms.push(elapsed);
            let steps = run.trainer().steps() - steps_before;
            counted.add(before, tally.now(), steps);
            // The kernels of the first timed epoch, per step.
            if epoch == *window.start() {
                kernels = tally.kernels_since(&kernels_before, steps);
            }
        }
        if epoch == 10 {
            // Outside the timed span: a repaint between epochs.
            let frame = pollster::block_on(run.repaint(View::Mode))?;
            psnr_10 = Some(run.settle(frame).value.psnr);
        }
        let loss = pollster::block_on(run.loss())?;
        bar.set_message(format!("nll {loss:.3}, {elapsed:.0} ms"));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut repaint_ms = Vec::with_capacity(REPAINTS);
    let mut repaint = None;
    let mut repaints = Spans::default();
    // A repaint that fails (on lavapipe W4's forward pass over 262 144
    // pixels needs a 256 MiB buffer, over its limit) still leaves the
    // training figures to report: they are printed, then the error.
    let mut repaint_error = None;
    for _ in 0..REPAINTS {
        let before = tally.now();
        let start = Instant::now();
        // The workloads train unguarded: settling only unwraps the repaint.
        let frame = match pollster::block_on(run.repaint(View::Mode)) {
            Ok(frame) => frame,
            Err(e) => {
                repaint_error = Some(e);
                break;
            }
        };
        let painted = run.settle(frame).value;
        let rgba = rgb_to_rgba8(&painted.rgb);
        repaint_ms.push(start.elapsed().as_secs_f64() * 1e3);
        repaints.add(before, tally.now(), 1);
        debug_assert_eq!(rgba.len(), samples * 4);
        repaint = Some(painted);
    }
    let mut report = header(
        backend,
        args.workload,
        args.epochs.is_none_or(|e| e == workload.epochs),
    );
    report.insert("image".into(), json!(workload.image));
    report.insert("side".into(), json!(workload.side));
    report.insert("samples".into(), json!(samples));
    report.insert("steps_per_epoch".into(), json!(run.steps_per_epoch()));
    report.insert("epochs".into(), json!(run.epochs()));
    report.insert("timed_epochs".into(), json!([window.start(), window.end()]));
    report.insert("ms_per_epoch".into(), stats(&ms));
    report.insert("ms_per_repaint".into(), stats(&repaint_ms));
    report.insert("per_step".into(), counted.per_item());
    report.insert("per_repaint".into(), repaints.per_item());
    report.insert("kernels_per_step".into(), kernels);
    report.insert("nll".into(), json!(repaint.as_ref().map(|r| r.nll)));
    report.insert("psnr".into(), json!(repaint.as_ref().map(|r| r.psnr)));
    report.insert("psnr_10".into(), json!(psnr_10));
    if let Some(e) = repaint_error {
        println!("{}", Value::Object(report));
        bail!("training was measured (above), but a repaint failed: {e}");
    }
    Ok(Value::Object(report))
}
