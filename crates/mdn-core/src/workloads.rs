//! The standard workloads of `docs/WORKLOADS.md` (W1–W5): their data,
//! models and optimiser settings, as the settings of the demos' own runs
//! ([`crate::toy::ToyRun`], [`crate::paint::PaintRun`]) with the guard off.
//! Timing and reporting are the caller's (the command-line `bench`, the
//! browser benchmark).
//!
//! One deviation from the text, shared with the rest of the project: every
//! scale is floored, σ = σ_min + exp(s) (σ_min = 1e-4 for W1, 2e-3 for the
//! 8-bit colours of W2–W4), so that the likelihood stays bounded. It costs
//! the same element-wise work as σ = exp(s).

use crate::data::TOY_POINTS;
use crate::paint::PaintConfig;
use crate::spec::{Covariance, Encoding};
use crate::toy::ToyConfig;
use crate::training::TrainConfig;

/// One of the standard workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Workload {
    /// W1 toy-inverse: the sinusoid inversion, full batch.
    W1,
    /// W2 paint-128-diag.
    W2,
    /// W3 paint-256-full.
    W3,
    /// W4 paint-512-diag (scale).
    W4,
    /// W5 paint-128-grid (a learned multiresolution grid).
    W5,
}

impl Workload {
    /// Every workload this build can run, in order.
    pub const ALL: [Workload; 5] = [
        Workload::W1,
        Workload::W2,
        Workload::W3,
        Workload::W4,
        Workload::W5,
    ];

    /// The workload's short name: `W1` … `W5`.
    pub fn name(self) -> &'static str {
        match self {
            Workload::W1 => "W1",
            Workload::W2 => "W2",
            Workload::W3 => "W3",
            Workload::W4 => "W4",
            Workload::W5 => "W5",
        }
    }

    /// The painting workload's settings; `None` for W1.
    pub fn paint(self) -> Option<PaintWorkload> {
        match self {
            Workload::W1 => None,
            Workload::W2 => Some(PaintWorkload::w2()),
            Workload::W3 => Some(PaintWorkload::w3()),
            Workload::W4 => Some(PaintWorkload::w4()),
            Workload::W5 => Some(PaintWorkload::w5()),
        }
    }
}

impl std::str::FromStr for Workload {
    type Err = String;

    /// Accepts `W1` … `W5` in either case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = Workload::ALL.iter().map(|w| w.name()).collect();
                format!(
                    "unknown workload '{s}': expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// W1's settings: N = 2500 points, 1 → 24 tanh → K = 24, full batch, Adam at
/// lr = 1e-3; ms per step is the median over steps 51–1050 (50 warm-up
/// steps), the NLL is taken after 10 000 steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToyWorkload {
    /// Data points N.
    pub points: usize,
    /// Untimed steps before the timing window.
    pub warmup_steps: usize,
    /// Steps in the timing window.
    pub timed_steps: usize,
    /// Steps after which the NLL is reported.
    pub steps: usize,
}

impl ToyWorkload {
    /// Exactly W1.
    pub const W1: ToyWorkload = ToyWorkload {
        points: TOY_POINTS,
        warmup_steps: 50,
        timed_steps: 1000,
        steps: 10_000,
    };

    /// The toy run's settings: W1's data and model drawn from `seed`, the
    /// MDN alone (no least-squares twin), unguarded.
    pub fn config(&self, seed: u64) -> ToyConfig {
        ToyConfig {
            points: self.points,
            baseline: false,
            guard: false,
            ..ToyConfig::demo(seed)
        }
    }
}

/// A painting workload (W2–W4): which photo at which size, the run's
/// settings, how many epochs to train and which of them to time.
#[derive(Clone, Debug, PartialEq)]
pub struct PaintWorkload {
    /// File name in the repository's `tests/images`.
    pub image: &'static str,
    /// Training size (both sides), pixels.
    pub side: u32,
    /// The model (2 raw coordinates in, tanh trunk, K Gaussians over RGB)
    /// and its optimiser: minibatches, Adam at lr = 1e-3, no clipping, no
    /// guard; seed 0.
    pub run: PaintConfig,
    /// First and last epoch (1-based, inclusive) of the timing window.
    pub timed_epochs: (usize, usize),
    /// Epochs to train; NLL and PSNR are reported after the last one.
    pub epochs: usize,
}

impl PaintWorkload {
    /// W2 paint-128-diag: astronaut.png at 128 × 128, 4 × 128 tanh, K = 8
    /// diagonal, minibatches of 1024 (16 steps an epoch), epochs 2–21
    /// timed, NLL and PSNR after 100 epochs.
    pub fn w2() -> Self {
        Self {
            image: "astronaut.png",
            side: 128,
            run: paint_run(Covariance::Diagonal, 8, 128, 1024),
            timed_epochs: (2, 21),
            epochs: 100,
        }
    }

    /// W3 paint-256-full: as W2 but at 256 × 256 (64 steps an epoch) with
    /// K = 8 full-covariance Gaussians (Cholesky factor `scale_tril`),
    /// epochs 2–11 timed, NLL and PSNR after 30 epochs.
    pub fn w3() -> Self {
        Self {
            image: "astronaut.png",
            side: 256,
            run: paint_run(Covariance::Full, 8, 128, 1024),
            timed_epochs: (2, 11),
            epochs: 30,
        }
    }

    /// W4 paint-512-diag: astronaut.png at 512 × 512, 4 × 256 tanh, K = 16
    /// diagonal, minibatches of 4096 (64 steps an epoch), epochs 2–6 timed.
    pub fn w4() -> Self {
        Self {
            image: "astronaut.png",
            side: 512,
            run: paint_run(Covariance::Diagonal, 16, 256, 4096),
            timed_epochs: (2, 6),
            epochs: 6,
        }
    }

    /// W5 paint-128-grid: astronaut.png at 128 × 128, a learned grid of five
    /// dense levels (8 to 128 nodes a side, 4 features per node, N(0,
    /// 0.01²)) into 2 × 64 tanh, K = 8 diagonal, minibatches of 1024, Adam
    /// at lr = 1e-2 on every parameter (β2 = 0.999), epochs 2–21 timed,
    /// PSNR after 10 and 100 epochs, NLL after 100.
    pub fn w5() -> Self {
        Self {
            image: "astronaut.png",
            side: 128,
            run: PaintConfig {
                encoding: Encoding::Grid,
                hidden_width: 64,
                hidden_layers: 2,
                learning_rate: 1e-2,
                ..paint_run(Covariance::Diagonal, 8, 64, 1024)
            },
            timed_epochs: (2, 21),
            epochs: 100,
        }
    }

    /// The painting run's settings with weights and shuffles drawn from `seed`.
    pub fn config(&self, seed: u64) -> PaintConfig {
        PaintConfig { seed, ..self.run }
    }
}

/// A workload's painting run: raw (x, y) in, 4 tanh layers of `width`, K
/// Gaussians over (R, G, B), minibatches of `batch_size` with Adam at
/// lr = 1e-3, unguarded.
fn paint_run(
    covariance: Covariance,
    components: usize,
    width: usize,
    batch_size: usize,
) -> PaintConfig {
    let train = TrainConfig::minibatch(batch_size, 0);
    PaintConfig {
        encoding: Encoding::Raw,
        covariance,
        components,
        hidden_width: width,
        hidden_layers: 4,
        batch_size,
        learning_rate: train.learning_rate,
        beta_2: train.beta_2,
        lr_decay: train.lr_decay,
        lr_min: train.lr_min,
        seed: train.seed,
        clip_norm: train.clip_norm,
        guard: train.guard,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::EncodingConfig;

    /// W2's run is the spec's: 2 inputs, 4 × 128 tanh, K = 8 diagonal
    /// Gaussians over RGB (8 · (1 + 3 + 3) = 56 raw outputs),
    /// batches of 1024, lr = 1e-3, nothing clipped or guarded.
    #[test]
    fn w2_is_the_specified_model_and_optimiser() {
        let config = PaintWorkload::w2().config(7);
        let model = config.model(128);
        assert_eq!(model.input_dim, 2);
        assert_eq!(model.encoding, EncodingConfig::Raw);
        assert_eq!(model.hidden, vec![128; 4]);
        assert_eq!(model.head().outputs(), 8 * (1 + 3 + 3));
        let train = config.train();
        assert_eq!(
            train,
            TrainConfig {
                seed: 7,
                ..TrainConfig::minibatch(1024, 0)
            }
        );
        assert_eq!(
            PaintWorkload::w4().config(0).model(512).hidden,
            vec![256; 4]
        );
    }

    /// W5's run is the spec's: five dense levels of 8 to 128 nodes with 4
    /// features, 20 → 64 → 64 tanh, 56 outputs, 96 440 parameters of which
    /// 87 296 in the grid, batches of 1024 at lr = 1e-2.
    #[test]
    fn w5_is_the_specified_grid_model() {
        let config = PaintWorkload::w5().config(0);
        let model = config.model(128);
        let grid = model.encoding.grid().expect("W5 has a grid");
        let sides: Vec<usize> = (0..grid.levels).map(|l| grid.side(l)).collect();
        assert_eq!(sides, [8, 16, 32, 64, 128]);
        assert_eq!((grid.features, grid.outputs()), (4, 20));
        assert_eq!(model.hidden, vec![64, 64]);
        assert_eq!(model.head().outputs(), 56);
        let grid_parameters = grid.total_entries() * grid.features;
        let mlp = 20 * 64 + 64 + 64 * 64 + 64 + 64 * 56 + 56;
        assert_eq!((grid_parameters, grid_parameters + mlp), (87_296, 96_440));
        let train = config.train();
        assert_eq!((train.batch_size, train.learning_rate), (Some(1024), 1e-2));
        assert_eq!(
            (train.beta_2, train.clip_norm, train.guard),
            (0.999, None, false)
        );
    }
}
