//! `mdn paint`: train on a photo, write the repaint (and every epoch's).

use std::path::Path;

use anyhow::{Context, bail};
use mdn_core::paint::{PaintConfig, PaintRun, Repaint, View};
use mdn_core::picture::{Picture, rgb_to_rgba8};
use mdn_core::settings;

use crate::PaintArgs;
use crate::backend::{Backend, BackendKind};
use crate::progress;

/// Runs `mdn paint`.
///
/// # Errors
/// An unreadable or undecodable image, a bad size, component or epoch
/// count, no wgpu adapter, an unwritable output, a failing device.
pub fn run(backend: BackendKind, args: crate::PaintArgs) -> anyhow::Result<()> {
    check(&args)?;
    let bytes = std::fs::read(&args.image)
        .with_context(|| format!("cannot read {}", args.image.display()))?;
    let picture = Picture::decode(&bytes, args.size)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.image.display()))?;
    if let Some(frames) = &args.frames {
        std::fs::create_dir_all(frames)
            .with_context(|| format!("cannot create the folder {}", frames.display()))?;
    }
    let backend = Backend::open(backend)?;
    println!("{}", backend.describe());
    let (width, height) = (picture.width, picture.height);
    println!(
        "painting {} at {width} × {height} px: {} encoding, K = {} {} Gaussians, {} epochs",
        args.image.display(),
        args.encoding,
        args.components,
        args.covariance.name(),
        args.epochs
    );
    let config = PaintConfig {
        covariance: args.covariance,
        components: args.components,
        seed: args.seed,
        ..PaintConfig::for_encoding(args.encoding)
    };
    let mut run = PaintRun::new(picture, config, &backend.device)?;
    let bar = progress::bar(args.epochs as u64, "epoch");
    for _ in 0..args.epochs {
        while !run.train(run.steps_per_epoch()) {}
        let loss = pollster::block_on(run.loss())?;
        if let Some(frames) = &args.frames {
            let frame = pollster::block_on(run.repaint(View::Mode))?;
            let repaint = progress::settle(&mut run, frame);
            let path = frames.join(format!("frame_{:04}.png", repaint.epoch));
            write_png(&path, width, height, &repaint)?;
            bar.set_message(format!("nll {loss:.3} psnr {:.2} dB", repaint.psnr));
        } else {
            bar.set_message(format!("nll {loss:.3}"));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let frame = pollster::block_on(run.repaint(View::Mode))?;
    let repaint = progress::settle(&mut run, frame);
    write_png(&args.out, width, height, &repaint)?;
    println!(
        "wrote {} ({width} × {height} px) after {} epochs: NLL {:.4} nats per pixel, PSNR {:.2} dB",
        args.out.display(),
        repaint.epoch,
        repaint.nll,
        repaint.psnr
    );
    Ok(())
}

fn check(args: &PaintArgs) -> anyhow::Result<()> {
    let components = &settings::COMPONENTS;
    if let Err(error) = components.whole(&args.components.to_string()) {
        bail!(error.flag_message(components));
    }
    if args.epochs == 0 {
        bail!("--epochs must be at least 1");
    }
    crate::check_out(&args.out)
}

/// Writes a repaint as an RGB PNG of `width` × `height` px.
fn write_png(path: &Path, width: u32, height: u32, repaint: &Repaint) -> anyhow::Result<()> {
    let rgb: Vec<u8> = rgb_to_rgba8(&repaint.rgb)
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let image = image::RgbImage::from_raw(width, height, rgb)
        .context("the repaint does not match the picture's size")?;
    image
        .save_with_format(path, image::ImageFormat::Png)
        .with_context(|| format!("cannot write {}", path.display()))
}
