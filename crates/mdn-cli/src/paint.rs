//! `mdn paint`: train on a photo, write the repaint (and every epoch's).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use mdn_core::paint::{PaintConfig, PaintRun, View};
use mdn_core::picture::{Picture, rgb_to_rgba8};
use mdn_core::settings;

use crate::PaintArgs;
use crate::backend::{Backend, BackendKind};
use crate::progress;
use crate::video::Video;

/// Runs `mdn paint`.
///
/// # Errors
/// An unreadable or undecodable image or model file, a bad size, component or epoch
/// count, no wgpu adapter, an unwritable output, a failing device.
pub fn run(backend: BackendKind, args: crate::PaintArgs) -> anyhow::Result<()> {
    check(&args)?;
    // A new painting: its picture; a resumed one: its model file.
    let start = match (&args.resume, &args.image) {
        (Some(model), _) => Start::Resume(model.clone(), crate::read_model(model)?),
        (None, Some(image)) => {
            let bytes =
                std::fs::read(image).with_context(|| format!("cannot read {}", image.display()))?;
            let picture = Picture::decode(&bytes, args.size)
                .map_err(|e| anyhow::anyhow!("{}: {e}", image.display()))?;
            Start::New(image.clone(), picture)
        }
        (None, None) => bail!("give a photo to paint, or --resume MODEL"),
    };
    if let Some(frames) = &args.frames {
        std::fs::create_dir_all(frames)
            .with_context(|| format!("cannot create the folder {}", frames.display()))?;
    }
    let backend = Backend::open(backend)?;
    println!("{}", backend.describe());
    let (mut run, source) = match start {
        Start::Resume(path, bytes) => {
            let run = PaintRun::load(&bytes, &backend.device)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            println!("resuming {} after {} epochs", path.display(), run.epochs());
            (run, path)
        }
        Start::New(path, picture) => {
            let config = PaintConfig {
                covariance: args.covariance,
                components: args.components,
                seed: args.seed,
                ..PaintConfig::for_encoding(args.encoding)
            }
            .sized_for(picture.width, picture.height);
            let mut run = PaintRun::new(picture, config, &backend.device)?;
            if let Some(name) = path.file_name() {
                run.set_picture_name(&name.to_string_lossy());
            }
            (run, path)
        }
    };
    let config = *run.config();
    let (width, height) = (run.picture().width, run.picture().height);
    println!(
        "painting {} at {width} × {height} px: {} encoding, K = {} {} Gaussians, {} epochs",
        source.display(),
        config.encoding,
        config.components,
        config.covariance.name(),
        args.epochs
    );
    let mut video = args.video.as_deref().map(Video::create).transpose()?;
    let bar = progress::bar(args.epochs as u64, "epoch");
    for _ in 0..args.epochs {
        while !run.train(run.steps_per_epoch()) {}
        let loss = pollster::block_on(run.loss())?;
        if args.frames.is_some() || video.is_some() {
            let frame = pollster::block_on(run.repaint(View::Mode))?;
            let repaint = progress::settle(&mut run, frame);
            if let Some(frames) = &args.frames {
                let path = frames.join(format!("frame_{:04}.png", repaint.epoch));
                write_png(&path, width, height, &repaint.rgb)?;
            }
            if let Some(video) = &mut video {
                let caption = format!("epoch {} · PSNR {:.2} dB", repaint.epoch, repaint.psnr);
                video.push(&repaint.rgb, width, height, &caption)?;
            }
            bar.set_message(format!("nll {loss:.3} psnr {:.2} dB", repaint.psnr));
        } else {
            bar.set_message(format!("nll {loss:.3}"));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let frame = pollster::block_on(run.repaint(View::Mode))?;
    let repaint = progress::settle(&mut run, frame);
    write_png(&args.out, width, height, &repaint.rgb)?;
    println!(
        "wrote {} ({width} × {height} px) after {} epochs: NLL {:.4} nats per pixel, PSNR {:.2} dB",
        args.out.display(),
        repaint.epoch,
        repaint.nll,
        repaint.psnr
    );
    if let (Some(video), Some(path)) = (&video, &args.video) {
        println!("wrote {} ({} frames)", path.display(), video.frames());
    }
    if let Some(save) = &args.save {
        crate::write_model(save, &pollster::block_on(run.save())?)?;
        println!("saved the model to {}", save.display());
    }
    Ok(())
}

/// Where `mdn paint` starts.
enum Start {
    /// A photo (its path and the picture at training size).
    New(PathBuf, Picture),
    /// A model file (its path and bytes).
    Resume(PathBuf, Vec<u8>),
}

fn check(args: &PaintArgs) -> anyhow::Result<()> {
    let components = &settings::COMPONENTS;
    if let Err(error) = components.whole(&args.components.to_string()) {
        bail!(error.flag_message(components));
    }
    if args.epochs == 0 {
        bail!("--epochs must be at least 1");
    }
    crate::check_out(&args.out)?;
    if let Some(video) = &args.video {
        crate::check_out(video)?;
    }
    match &args.save {
        Some(save) => crate::check_out(save),
        None => Ok(()),
    }
}

/// Writes colours (row-major `[height, width, 3]`, in [0, 1], clamped) as
/// an RGB PNG of `width` × `height` px.
pub fn write_png(path: &Path, width: u32, height: u32, colours: &[f32]) -> anyhow::Result<()> {
    let rgb: Vec<u8> = rgb_to_rgba8(colours)
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let image = image::RgbImage::from_raw(width, height, rgb)
        .context("the repaint does not match the picture's size")?;
    image
        .save_with_format(path, image::ImageFormat::Png)
        .with_context(|| format!("cannot write {}", path.display()))
}
