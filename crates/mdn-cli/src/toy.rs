//! `mdn toy`: train the sinusoid inversion and plot it.

use std::path::Path;

use anyhow::{Context, anyhow, bail};
use mdn_core::toy::{SAMPLES_PER_X, ToyConfig, ToyRun, ToySnapshot};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::ToyArgs;
use crate::backend::{Backend, BackendKind};
use crate::progress;

/// Plot size in pixels.
const WIDTH: u32 = 900;
const HEIGHT: u32 = 600;

/// Runs `mdn toy`.
///
/// # Errors
/// A step count of 0, no wgpu adapter, an unwritable output, a failing
/// device.
pub fn run(backend: BackendKind, args: ToyArgs) -> anyhow::Result<()> {
    if args.steps == 0 {
        bail!("--steps must be at least 1");
    }
    crate::check_out(&args.out)?;
    let backend = Backend::open(backend)?;
    println!("{}", backend.describe());
    let mut run = ToyRun::new(ToyConfig::demo(args.seed), &backend.device);
    let bar = progress::bar(args.steps as u64, "step");
    let mut done = 0;
    while done < args.steps {
        let chunk = (args.steps - done).min(100);
        run.train(chunk);
        done += chunk;
        let frame = pollster::block_on(run.snapshot(1.0, 1.0))?;
        let snapshot = progress::settle(&mut run, frame);
        bar.set_message(format!("nll {:.3}", snapshot.nll));
        bar.set_position(done as u64);
    }
    bar.finish_and_clear();
    let frame = pollster::block_on(run.snapshot(1.0, 1.0))?;
    let snapshot = progress::settle(&mut run, frame);
    plot(&args.out, &run.data().x, &run.data().y, &snapshot)?;
    println!(
        "wrote {} after {} steps: NLL {:.4} nats per point",
        args.out.display(),
        snapshot.step,
        snapshot.nll
    );
    Ok(())
}

/// Draws the data (grey), `SAMPLES_PER_X` mixture samples per grid x (blue)
/// and the least-squares fit (red) into a PNG.
fn plot(path: &Path, x: &[f32], y: &[f32], snapshot: &ToySnapshot) -> anyhow::Result<()> {
    // Text is drawn with an embedded font: no system font libraries needed.
    register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
        .map_err(|_| anyhow!("the embedded font is unreadable"))?;
    let mut buffer = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    draw(&mut buffer, x, y, snapshot).map_err(|e| anyhow!("cannot draw the plot: {e}"))?;
    image::RgbImage::from_raw(WIDTH, HEIGHT, buffer)
        .context("the plot buffer has the wrong size")?
        .save_with_format(path, image::ImageFormat::Png)
        .with_context(|| format!("cannot write {}", path.display()))
}

fn draw(
    buffer: &mut [u8],
    x: &[f32],
    y: &[f32],
    snapshot: &ToySnapshot,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::with_buffer(buffer, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let (x_lo, x_hi) = snapshot
        .grid_x
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "Sinusoid inversion after {} steps: MDN NLL {:.3}",
                snapshot.step, snapshot.nll
            ),
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(48)
        .build_cartesian_2d(x_lo..x_hi, -12f32..12f32)?;
    chart
        .configure_mesh()
        .x_desc("x")
        .y_desc("y")
        .label_style(("sans-serif", 14))
        .light_line_style(WHITE)
        .draw()?;
    let grey = RGBColor(170, 170, 170);
    chart
        .draw_series(
            x.iter()
                .zip(y)
                .map(|(&x, &y)| Circle::new((x, y), 2, grey.filled())),
        )?
        .label("data")
        .legend(move |(x, y)| Circle::new((x + 10, y), 3, grey.filled()));
    let blue = RGBColor(31, 119, 180);
    let samples = snapshot.grid_x.iter().enumerate().flat_map(|(i, &gx)| {
        snapshot.samples[i * SAMPLES_PER_X..][..SAMPLES_PER_X]
            .iter()
            .map(move |&s| (gx, s))
    });
    chart
        .draw_series(samples.map(|p| Circle::new(p, 2, blue.filled())))?
        .label(format!("MDN: {SAMPLES_PER_X} samples per x"))
        .legend(move |(x, y)| Circle::new((x + 10, y), 3, blue.filled()));
    let red = RGBColor(214, 39, 40);
    chart
        .draw_series(LineSeries::new(
            snapshot
                .grid_x
                .iter()
                .zip(&snapshot.mse_y)
                .map(|(&x, &y)| (x, y)),
            red.stroke_width(3),
        ))?
        .label("least squares")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(3)));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()?;
    Ok(())
}
