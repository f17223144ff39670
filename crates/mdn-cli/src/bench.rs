//! `mdn bench`: a standard workload, timed, as one JSON object on stdout.
//!
//! Every timed step (W1) or epoch (W2–W5) ends with a device sync, so the
//! wall time covers the device's work, not only its queueing; reading the
//! loss for the progress bar happens outside the timed spans.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
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
    for step in 0..steps {
        let start = Instant::now();
        run.train(1);
        backend.sync()?;
        let elapsed = start.elapsed().as_secs_f64() * 1e3;
        if window.contains(&step) {
            ms.push(elapsed);
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
    for epoch in 1..=epochs {
        let start = Instant::now();
        while !run.train(run.steps_per_epoch()) {}
        backend.sync()?;
        let elapsed = start.elapsed().as_secs_f64() * 1e3;
        if window.contains(&epoch) {
            ms.push(elapsed);
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
    for _ in 0..REPAINTS {
        let start = Instant::now();
        // The workloads train unguarded: settling only unwraps the repaint.
        let frame = pollster::block_on(run.repaint(View::Mode))?;
        let painted = run.settle(frame).value;
        let rgba = rgb_to_rgba8(&painted.rgb);
        repaint_ms.push(start.elapsed().as_secs_f64() * 1e3);
        debug_assert_eq!(rgba.len(), samples * 4);
        repaint = Some(painted);
    }
    let repaint = repaint.context("no repaint was made")?;
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
    report.insert("nll".into(), json!(repaint.nll));
    report.insert("psnr".into(), json!(repaint.psnr));
    report.insert("psnr_10".into(), json!(psnr_10));
    Ok(Value::Object(report))
}
