//! The page's painting, epoch by epoch, on the CPU: the PSNR of the mode
//! repaint after every epoch, then the first epoch past 25 dB and the lowest
//! PSNR after it (the optimiser settings of the `grid` encoding were chosen
//! by this: once a painting has passed 25 dB it must never fall below 22).
//!
//! `cargo run --release -p mdn-core --example psnr_curve -- PHOTO [SIZE]
//! [EPOCHS] [LR] [BETA_2] [SEED] [ENCODING] [LR_DECAY] [LR_MIN] [CLIP_NORM] [BATCH]`

use burn::tensor::Device;
use mdn_core::paint::{PaintConfig, PaintRun, View};
use mdn_core::picture::Picture;
use mdn_core::settings;
use mdn_core::training::Demo;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let photo = arg(0).ok_or("usage: psnr_curve PHOTO [SIZE] [EPOCHS] [LR] [BETA_2] [SEED] [ENCODING] [LR_DECAY] [LR_MIN] [CLIP_NORM] [BATCH]")?;
    let size: u32 = arg(1).unwrap_or("128").parse()?;
    let epochs: usize = arg(2).unwrap_or("100").parse()?;
    let encoding = settings::encoding(arg(6).unwrap_or("grid"))?;
    let base = PaintConfig::for_encoding(encoding);
    let config = PaintConfig {
        learning_rate: arg(3).map_or(Ok(base.learning_rate), str::parse)?,
        beta_2: arg(4).map_or(Ok(base.beta_2), str::parse)?,
        seed: arg(5).unwrap_or("0").parse()?,
        lr_decay: arg(7).map_or(Ok(base.lr_decay), str::parse)?,
        lr_min: arg(8).map_or(Ok(base.lr_min), str::parse)?,
        clip_norm: arg(9).map_or(Ok(base.clip_norm), |c| c.parse().map(Some))?,
        batch_size: arg(10).map_or(Ok(base.batch_size), str::parse)?,
        ..base
    };
    let picture = Picture::decode(&std::fs::read(photo)?, size)?;
    let mut run = PaintRun::new(picture, config, &Device::flex())?;
    let (mut passed, mut lowest) = (None, f32::INFINITY);
    let mut curve = Vec::with_capacity(epochs);
    while run.epochs() < epochs {
        run.train(run.steps_per_epoch());
        let frame = pollster::block_on(run.repaint(View::Mode))?;
        let repaint = run.settle(frame);
        curve.push(if std::env::var_os("VERBOSE").is_some() {
            format!(
                "{:.1}/{:.1}/{:.2}\n",
                repaint.psnr, repaint.psnr_mean, repaint.nll
            )
        } else {
            format!("{:.1}", repaint.psnr)
        });
        if passed.is_some() {
            lowest = lowest.min(repaint.psnr);
        } else if repaint.psnr >= 25.0 {
            passed = Some(repaint.epoch);
        }
        if repaint.recovery.is_some() {
            curve.push("(recovered)".into());
        }
    }
    if std::env::var_os("QUIET").is_none() {
        println!("{}", curve.join(" "));
    }
    match passed {
        Some(epoch) => println!("25 dB at epoch {epoch}; lowest after: {lowest:.2} dB"),
        None => println!("never reached 25 dB"),
    }
    Ok(())
}
