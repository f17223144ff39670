//! The distributions the tests' PSNR floors are set from: each painting a
//! test trains, with the page's settings, over many seeds natively on the
//! CPU, and the lowest and highest of what the test asserts. A floor sits
//! below the lowest (the test's comment names the case, the number of seeds
//! and that lowest value).
//!
//! `cargo run -p mdn-core --example floors [SEEDS] [CASE]` (default 40 seeds,
//! every case, the toys' first; seeds run two at a time).

use burn::tensor::Device;
use mdn_core::data::{ToyData, ToySet};
use mdn_core::paint::{PaintConfig, PaintRun, View};
use mdn_core::picture::{Picture, psnr};
use mdn_core::spec::{Covariance, Encoding};
use mdn_core::toy::{Bounds, ToyConfig, ToyRun};
use mdn_core::training::Demo;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

/// One painting a test trains: its photo, training size and settings, and
/// the epochs whose repaints it reads.
struct Case {
    name: &'static str,
    photo: &'static str,
    size: u32,
    encoding: Encoding,
    covariance: Covariance,
    components: usize,
    epochs: usize,
}

const fn case(
    name: &'static str,
    photo: &'static str,
    size: u32,
    encoding: Encoding,
    epochs: usize,
) -> Case {
    Case {
        name,
        photo,
        size,
        encoding,
        covariance: Covariance::Diagonal,
        components: 8,
        epochs,
    }
}

const CASES: &[Case] = &[
    // paint.test.mjs: the default picture, then chelsea uploaded, then the
    // encodings on chelsea.
    case(
        "default",
        "www/assets/astronaut.jpg",
        128,
        Encoding::Grid,
        20,
    ),
    case(
        "chelsea",
        "tests/images/chelsea.png",
        128,
        Encoding::Grid,
        20,
    ),
    case(
        "chelsea-fourier",
        "tests/images/chelsea.png",
        128,
        Encoding::Fourier,
        8,
    ),
    case(
        "chelsea-raw",
        "tests/images/chelsea.png",
        128,
        Encoding::Raw,
        8,
    ),
    // backend.test.mjs: the grid painting at 32 px (on WebGPU there).
    case(
        "default-32",
        "www/assets/astronaut.jpg",
        32,
        Encoding::Grid,
        12,
    ),
    // settings.test.mjs: coffee with each covariance kind.
    Case {
        covariance: Covariance::Isotropic,
        ..case(
            "coffee-isotropic",
            "tests/images/coffee.png",
            128,
            Encoding::Grid,
            20,
        )
    },
    case(
        "coffee-diagonal",
        "tests/images/coffee.png",
        128,
        Encoding::Grid,
        20,
    ),
    Case {
        covariance: Covariance::Full,
        ..case(
            "coffee-full",
            "tests/images/coffee.png",
            128,
            Encoding::Grid,
            20,
        )
    },
];

/// A toy a test trains: its data and model, and the steps after which it
/// reads the NLL.
struct ToyCase {
    name: &'static str,
    set: Option<ToySet>,
    components: usize,
    hidden: usize,
}

/// Steps after which the toy cases read the NLL (the first is where a test
/// takes its "first" NLL from).
const TOY_STEPS: [usize; 7] = [1, 6, 21, 101, 301, 1001, 3001];

const TOYS: &[ToyCase] = &[
    // page.test.mjs (Restart), backend.test.mjs: the demo's toy.
    ToyCase {
        name: "toy-inverse",
        set: Some(ToySet::Inverse),
        components: 24,
        hidden: 24,
    },
    // toy.test.mjs: the data set selector's Bishop.
    ToyCase {
        name: "toy-bishop",
        set: Some(ToySet::Bishop),
        components: 24,
        hidden: 24,
    },
    // toy.test.mjs: an X drawn with the mouse (None: drawn points).
    ToyCase {
        name: "toy-drawn-x",
        set: None,
        components: 24,
        hidden: 24,
    },
];

/// The points toy.test.mjs draws: two strokes of 36 mouse positions across
/// the drawing's 10 × 10 units, an X, three points sprayed around each
/// (www/toy.js: a Gaussian of 1.2 % of the span).
fn drawn_x(seed: u64) -> ToyData {
    let mut rng = StdRng::seed_from_u64(seed);
    let spray = Normal::new(0.0f32, 0.12).expect("a normal");
    let (mut x, mut y) = (vec![], vec![]);
    for (y0, y1) in [(8.0f32, 2.0f32), (2.0, 8.0)] {
        for i in 0..36 {
            let t = i as f32 / 35.0;
            for _ in 0..3 {
                x.push(2.0 + 6.5 * t + spray.sample(&mut rng));
                y.push(y0 + (y1 - y0) * t + spray.sample(&mut rng));
            }
        }
    }
    ToyData::from_points(x, y).expect("finite points")
}

/// The NLL after each of [`TOY_STEPS`] of one seed.
fn toy_curve(case: &ToyCase, seed: u64) -> Vec<f32> {
    let config = ToyConfig {
        set: case.set.unwrap_or_default(),
        components: case.components,
        hidden: case.hidden,
        ..ToyConfig::demo(seed)
    };
    let device = Device::flex();
    let mut run = match case.set {
        Some(_) => ToyRun::new(config, &device),
        None => {
            let data = drawn_x(seed);
            let bounds = Bounds::around(&data);
            ToyRun::on_data(config, data, bounds, &device)
        }
    };
    let mut done = 0;
    TOY_STEPS
        .iter()
        .map(|&steps| {
            run.train(steps - done);
            done = steps;
            let frame = pollster::block_on(run.snapshot_of(1.0, 1.0, false)).expect("a snapshot");
            run.settle(frame).nll
        })
        .collect()
}

/// One epoch's repaint: the mode's and the mean's PSNR (dB) and the NLL
/// over all pixels.
#[derive(Clone, Copy)]
struct Epoch {
    psnr: f32,
    psnr_mean: f32,
    nll: f32,
}

/// Every epoch's [`Epoch`] of one seed.
fn curve(case: &Case, picture: &Picture, seed: u64) -> Result<Vec<Epoch>, Error> {
    let config = PaintConfig {
        covariance: case.covariance,
        components: case.components,
        seed,
        ..PaintConfig::for_encoding(case.encoding)
    };
    let mut run = PaintRun::new(picture.clone(), config, &Device::flex())?;
    let mut out = Vec::with_capacity(case.epochs);
    while run.epochs() < case.epochs {
        run.train(run.steps_per_epoch());
        let frame = pollster::block_on(run.repaint(View::Mode))?;
        let repaint = run.settle(frame);
        out.push(Epoch {
            psnr: repaint.psnr,
            psnr_mean: repaint.psnr_mean,
            nll: repaint.nll,
        });
    }
    Ok(out)
}

/// The PSNR of the flat image of `picture`'s mean colour, dB.
fn flat_psnr(picture: &Picture) -> f32 {
    let n = picture.pixels() as f32;
    let mut mean = [0.0f32; 3];
    for pixel in picture.rgb.chunks(3) {
        for (m, v) in mean.iter_mut().zip(pixel) {
            *m += v / n;
        }
    }
    let flat: Vec<f32> = (0..picture.pixels()).flat_map(|_| mean).collect();
    psnr(&picture.rgb, &flat)
}

type Error = Box<dyn std::error::Error + Send + Sync>;

/// `run` for seeds 0 to `seeds` − 1, on two threads, in seed order.
fn split_seeds<T: Send>(
    seeds: u64,
    run: impl Fn(u64) -> Result<T, Error> + Sync,
) -> Result<Vec<T>, Error> {
    let mut out: Vec<(u64, T)> = std::thread::scope(|scope| {
        let halves: Vec<_> = (0..2u64)
            .map(|half| {
                let run = &run;
                scope.spawn(move || {
                    (0..seeds)
                        .filter(|s| s % 2 == half)
                        .map(|seed| run(seed).map(|v| (seed, v)))
                        .collect::<Result<Vec<_>, Error>>()
                })
            })
            .collect();
        halves
            .into_iter()
            .map(|h| h.join().expect("a seed's thread"))
            .collect::<Result<Vec<_>, Error>>()
            .map(|v| v.into_iter().flatten().collect())
    })?;
    out.sort_by_key(|(seed, _)| *seed);
    Ok(out.into_iter().map(|(_, v)| v).collect())
}

fn summary(values: &mut [f32]) -> String {
    values.sort_by(f32::total_cmp);
    let median = values[values.len() / 2];
    format!(
        "min {:.2}, median {:.2}, max {:.2}",
        values[0],
        median,
        values[values.len() - 1]
    )
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds: u64 = args.first().map_or(Ok(40), |s| s.parse())?;
    let only = args.get(1);
    for case in TOYS.iter().filter(|c| only.is_none_or(|o| o == c.name)) {
        let curves = split_seeds(seeds, |seed| Ok(toy_curve(case, seed)))?;
        println!("{} ({seeds} seeds):", case.name);
        for (i, steps) in TOY_STEPS.iter().enumerate().skip(1) {
            let mut fall: Vec<f32> = curves.iter().map(|c| c[0] - c[i]).collect();
            println!(
                "  NLL after step 1 less after step {steps}: {}",
                summary(&mut fall)
            );
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for case in CASES.iter().filter(|c| only.is_none_or(|o| o == c.name)) {
        let picture = Picture::decode(&std::fs::read(root.join(case.photo))?, case.size)?;
        let curves = split_seeds(seeds, |seed| curve(case, &picture, seed))?;
        let flat = flat_psnr(&picture);
        println!(
            "{} ({} × {} px, {} seeds; flat image of its mean colour {flat:.2} dB):",
            case.name, picture.width, picture.height, seeds
        );
        let last = case.epochs - 1;
        let mut mode: Vec<f32> = curves.iter().map(|c| c[last].psnr).collect();
        let mut mean: Vec<f32> = curves.iter().map(|c| c[last].psnr_mean - flat).collect();
        println!(
            "  mode PSNR at epoch {}: {}",
            case.epochs,
            summary(&mut mode)
        );
        println!(
            "  mean PSNR above flat at epoch {}: {}",
            case.epochs,
            summary(&mut mean)
        );
        for epoch in 2..=case.epochs {
            let gain = |f: fn(&Epoch) -> f32| -> Vec<f32> {
                curves.iter().map(|c| f(&c[epoch - 1]) - f(&c[0])).collect()
            };
            println!("  epoch {epoch} less epoch 1:");
            println!("    mode PSNR {}", summary(&mut gain(|e| e.psnr)));
            println!("    mean PSNR {}", summary(&mut gain(|e| e.psnr_mean)));
            println!("    NLL {}", summary(&mut gain(|e| e.nll)));
        }
    }
    Ok(())
}
