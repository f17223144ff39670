//! The sinusoid inversion demo: an MDN and a least-squares baseline trained
//! side by side on the same data, and snapshots of what each predicts.

use std::future::Future;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::data::{Dataset, TOY_POINTS, ToyData, linspace};
use crate::inference::ReadbackError;
use crate::model::{Mdn, MdnConfig, Regressor};
use crate::training::{Recovery, TrainConfig, Trainer, Verdict, read_checked};

/// Samples drawn from the mixture at each grid x.
pub const SAMPLES_PER_X: usize = 10;
/// Number of x values the predictions are shown at.
pub const GRID_POINTS: usize = 120;

/// A training run of the toy problem (workload W1): the MDN of
/// [`MdnConfig::toy`] and a 1 → 24 tanh → 1 least-squares fit, both full
/// batch with Adam at lr = 1e-3. The MDN's training is guarded (see
/// [`crate::training`]); the least-squares fit cannot diverge at this rate.
pub struct ToyRun {
    data: ToyData,
    dataset: Dataset,
    mdn: Trainer<Mdn>,
    mse: Trainer<Regressor>,
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
    /// The least-squares prediction of y, `[G]`.
    pub mse_y: Vec<f32>,
    /// The MDN's learning rate from now on.
    pub learning_rate: f64,
    /// Set when this snapshot found the MDN diverged: the samples are then
    /// those of the last good model, which training went back to.
    pub recovery: Option<Recovery>,
}

/// A snapshot read back but not yet judged: pass it to [`ToyRun::settle`].
pub struct ToyFrame {
    snapshot: ToySnapshot,
    verdict: Verdict<Mdn>,
}

impl ToyRun {
    /// A fresh run on `device` (a plain device: autodiff is added here):
    /// W1 data and both models drawn from `seed`.
    pub fn new(seed: u64, device: &Device) -> Self {
        let train_device = device.clone().autodiff();
        let data = ToyData::sinusoid_inversion(TOY_POINTS, seed);
        let train_data = data.to_dataset(&train_device);
        let config = MdnConfig::toy();
        let mdn = config.init(seed.wrapping_add(1), &train_device);
        let regressor = Regressor::init(1, &config.hidden, 1, seed.wrapping_add(2), &train_device);
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
            mdn: Trainer::new(mdn, train_data.clone(), TrainConfig::full_batch(seed)),
            mse: Trainer::new(regressor, train_data, TrainConfig::full_batch(seed)),
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
            self.mse.step();
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
    /// then goes to [`ToyRun::settle`].
    pub fn snapshot(
        &mut self,
        tau_pi: f32,
        tau_sigma: f32,
    ) -> impl Future<Output = Result<ToyFrame, ReadbackError>> + 'static {
        let mse_y = self
            .mse
            .model()
            .valid()
            .forward(self.grid.clone())
            .reshape([GRID_POINTS]);
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
            vec![nll, samples, mse_y.clone()]
        };
        let checkpoint = self.mdn.checkpoint();
        let grid_x = self.grid_x.clone();
        let learning_rate = self.learning_rate();
        async move {
            let step = checkpoint.step();
            let (mut values, verdict) = read_checked(checkpoint, view).await?;
            let mse_y = values.pop().unwrap_or_default();
            let samples = values.pop().unwrap_or_default();
            let nll = values.pop().and_then(|v| v.first().copied());
            Ok(ToyFrame {
                snapshot: ToySnapshot {
                    step,
                    nll: nll.unwrap_or(f32::NAN),
                    grid_x,
                    samples,
                    mse_y,
                    learning_rate,
                    recovery: None,
                },
                verdict,
            })
        }
    }

    /// Applies a frame's verdict to the training (going back and lowering
    /// the learning rate if it diverged) and returns its snapshot.
    pub fn settle(&mut self, frame: ToyFrame) -> ToySnapshot {
        let recovery = self.mdn.settle(frame.verdict);
        ToySnapshot {
            learning_rate: self.learning_rate(),
            recovery,
            ..frame.snapshot
        }
    }
}
