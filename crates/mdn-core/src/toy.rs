//! The sinusoid inversion demo: an MDN and a least-squares baseline trained
//! side by side on the same data, and snapshots of what each predicts.

use std::future::Future;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::data::{Dataset, TOY_POINTS, ToyData, linspace};
use crate::inference::{ReadbackError, read_f32};
use crate::model::{Mdn, MdnConfig, Regressor};
use crate::training::{Demo, Frame, Guarded, TrainConfig, Trainer, read_checked};

/// Samples drawn from the mixture at each grid x.
pub const SAMPLES_PER_X: usize = 10;
/// Number of x values the predictions are shown at.
pub const GRID_POINTS: usize = 120;

/// Settings of a toy run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToyConfig {
    /// Seed of the data (`seed`), the MDN (`seed + 1`), the least-squares
    /// fit (`seed + 2`) and the samples (`seed + 3`).
    pub seed: u64,
    /// Data points N.
    pub points: usize,
    /// Whether the least-squares fit trains beside the MDN (the demo's
    /// comparison; workload W1 times the MDN alone).
    pub baseline: bool,
    /// Whether the MDN's training is guarded (see [`crate::training`]).
    pub guard: bool,
}

impl ToyConfig {
    /// The demo: W1's 2500 points, the MDN and the least-squares fit, guarded.
    pub fn demo(seed: u64) -> Self {
        Self {
            seed,
            points: TOY_POINTS,
            baseline: true,
            guard: true,
        }
    }
}

/// A training run of the toy problem (workload W1's data and model): the
/// MDN of [`MdnConfig::toy`] and, as a baseline, a 1 → 24 tanh → 1
/// least-squares fit, both full batch with Adam at lr = 1e-3. The MDN's
/// training is guarded (see [`crate::training`]); the least-squares fit
/// cannot diverge at this rate.
pub struct ToyRun {
    data: ToyData,
    dataset: Dataset,
    mdn: Trainer<Mdn>,
    mse: Option<Trainer<Regressor>>,
    grid_x: Vec<f32>,
    grid: Tensor<2>,
    sample_grid: Tensor<2>,
    rng: StdRng,
}

/// What the toy models predict after some training.
#[derive(Clone, Debug, PartialEq)]
pub struct ToySnapshot {
    /// Steps taken.
    pub step: usize,
    /// The shown MDN's NLL over all training points, nats per point.
    pub nll: f32,
    /// The grid of inputs x, `[G]`, spanning the data's x range.
    pub grid_x: Vec<f32>,
    /// Mixture samples of y, `[G, SAMPLES_PER_X]`, drawn at the snapshot's
    /// temperatures.
    pub samples: Vec<f32>,
    /// The least-squares prediction of y, `[G]` (empty without the baseline).
    pub mse_y: Vec<f32>,
}

impl ToyRun {
    /// A fresh run on `device` (a plain device: autodiff is added here):
    /// `config.points` points of W1's data and the models, drawn from
    /// `config.seed`.
    pub fn new(config: ToyConfig, device: &Device) -> Self {
        let seed = config.seed;
        let train_device = device.clone().autodiff();
        let data = ToyData::sinusoid_inversion(config.points, seed);
        let train_data = data.to_dataset(&train_device);
        let model = MdnConfig::toy();
        let mdn = model.init(seed.wrapping_add(1), &train_device);
        let train = TrainConfig {
            guard: config.guard,
            ..TrainConfig::full_batch(seed)
        };
        let mse = config.baseline.then(|| {
            let regressor =
                Regressor::init(1, &model.hidden, 1, seed.wrapping_add(2), &train_device);
            Trainer::new(regressor, train_data.clone(), train)
        });
        let (lo, hi) = data
            .x
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        let grid_x = linspace(lo, hi, GRID_POINTS);
        let grid = Tensor::from_data(TensorData::new(grid_x.clone(), [GRID_POINTS, 1]), device);
        let repeated: Vec<f32> = grid_x.iter().flat_map(|&x| [x; SAMPLES_PER_X]).collect();
        let sample_grid = Tensor::from_data(
            TensorData::new(repeated, [GRID_POINTS * SAMPLES_PER_X, 1]),
            device,
        );
        Self {
            mdn: Trainer::new(mdn, train_data, train),
            mse,
            dataset: data.to_dataset(device),
            data,
            grid_x,
            grid,
            sample_grid,
            rng: StdRng::seed_from_u64(seed.wrapping_add(3)),
        }
    }

    /// The training points.
    pub fn data(&self) -> &ToyData {
        &self.data
    }

    /// Runs `steps` Adam steps on both models; queues device work only.
    pub fn train(&mut self, steps: usize) {
        for _ in 0..steps {
            self.mdn.step();
            if let Some(mse) = &mut self.mse {
                mse.step();
            }
        }
    }

    /// The MDN's NLL on the latest step (nats per point; NaN before the
    /// first). Awaiting it also waits for all training queued so far.
    pub fn loss(&self) -> impl Future<Output = Result<f32, ReadbackError>> + 'static {
        self.mdn.loss()
    }

    /// The MDN's NLL over all points (nats per point), unguarded: what the
    /// benchmark reports.
    pub fn nll(&self) -> impl Future<Output = Result<f32, ReadbackError>> + 'static {
        let nll = self
            .mdn
            .model()
            .valid()
            .nll(self.dataset.inputs.clone(), self.dataset.targets.clone());
        async move {
            let nll = read_f32(vec![nll]).await?.concat();
            Ok(nll.first().copied().unwrap_or(f32::NAN))
        }
    }

    /// Steps taken.
    pub fn steps(&self) -> usize {
        self.mdn.steps()
    }

    /// The MDN being trained.
    pub fn mdn(&self) -> &Mdn {
        self.mdn.model()
    }

    /// The MDN's learning rate (lowered at every recovery).
    pub fn learning_rate(&self) -> f64 {
        self.mdn.learning_rate()
    }

    /// Changes the MDN's learning rate from the next step on.
    pub fn set_learning_rate(&mut self, learning_rate: f64) {
        self.mdn.set_learning_rate(learning_rate);
    }

    /// Reads the current predictions back, with mixture samples drawn at
    /// temperatures `tau_pi` (mixture weights) and `tau_sigma` (covariance;
    /// see [`crate::mixture::Mixture::sample`]). The returned future owns
    /// everything it needs, so training may go on while it waits; its frame
    /// then goes to [`Demo::settle`].
    pub fn snapshot(
        &mut self,
        tau_pi: f32,
        tau_sigma: f32,
    ) -> impl Future<Output = Result<Frame<ToySnapshot>, ReadbackError>> + 'static {
        let mse_y = self.mse.as_ref().map(|mse| {
            mse.model()
                .valid()
                .forward(self.grid.clone())
                .reshape([GRID_POINTS])
        });
        let dataset = self.dataset.clone();
        let sample_grid = self.sample_grid.clone();
        let seed = self.rng.next_u64();
        let view = move |mdn: &Mdn| {
            let mdn = mdn.valid();
            let nll = mdn.nll(dataset.inputs.clone(), dataset.targets.clone());
            let mut rng = StdRng::seed_from_u64(seed);
            let samples = mdn
                .forward(sample_grid.clone())
                .sample(tau_pi, tau_sigma, &mut rng)
                .reshape([GRID_POINTS * SAMPLES_PER_X]);
            vec![nll, samples]
                .into_iter()
                .chain(mse_y.clone())
                .collect()
        };
        let checkpoint = self.mdn.checkpoint();
        let grid_x = self.grid_x.clone();
        async move {
            let step = checkpoint.step();
            let frame = read_checked(checkpoint, view).await?;
            Ok(frame.map(|values| {
                let mut values = values.into_iter();
                let nll = values.next().and_then(|v| v.first().copied());
                ToySnapshot {
                    step,
                    nll: nll.unwrap_or(f32::NAN),
                    grid_x,
                    samples: values.next().unwrap_or_default(),
                    mse_y: values.next().unwrap_or_default(),
                }
            }))
        }
    }
}

impl Demo for ToyRun {
    type View = ToySnapshot;

    /// Applies a snapshot's verdict to the MDN's training (going back and
    /// lowering the learning rate if it diverged).
    fn settle(&mut self, frame: Frame<ToySnapshot>) -> Guarded<ToySnapshot> {
        self.mdn.settle(frame)
    }
}
