//! The sinusoid inversion demo: an MDN and a least-squares baseline trained
//! side by side on the same data, and snapshots of what each predicts.

use std::future::Future;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::data::{TOY_POINTS, ToyData, linspace};
use crate::inference::{MixtureData, ReadbackError, read_f32};
use crate::model::{Mdn, MdnConfig, Regressor};
use crate::training::{TrainConfig, Trainer};

/// Samples drawn from the mixture at each grid x.
pub const SAMPLES_PER_X: usize = 10;
/// Number of x values the predictions are shown at.
pub const GRID_POINTS: usize = 120;

/// A training run of the toy problem (workload W1): the MDN of
/// [`MdnConfig::toy`] and a 1 → 24 tanh → 1 least-squares fit, both full
/// batch with Adam at lr = 1e-3.
pub struct ToyRun {
    data: ToyData,
    mdn: Trainer<Mdn>,
    mse: Trainer<Regressor>,
    nll: Option<Tensor<1>>,
    grid_x: Vec<f32>,
    grid: Tensor<2>,
    rng: StdRng,
}

/// What the toy models predict after some training.
#[derive(Clone, Debug, PartialEq)]
pub struct ToySnapshot {
    /// Steps taken.
    pub step: usize,
    /// The MDN's NLL (nats per point) at the latest step; NaN before the first.
    pub nll: f32,
    /// The grid of inputs x, `[G]`, spanning the data's x range.
    pub grid_x: Vec<f32>,
    /// Mixture samples of y, `[G, SAMPLES_PER_X]`.
    pub samples: Vec<f32>,
    /// The least-squares prediction of y, `[G]`.
    pub mse_y: Vec<f32>,
}

impl ToyRun {
    /// A fresh run on `device` (a plain device: autodiff is added here):
    /// W1 data and both models drawn from `seed`.
    pub fn new(seed: u64, device: &Device) -> Self {
        let train_device = device.clone().autodiff();
        let data = ToyData::sinusoid_inversion(TOY_POINTS, seed);
        let dataset = data.to_dataset(&train_device);
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
        Self {
            mdn: Trainer::new(mdn, dataset.clone(), TrainConfig::full_batch(seed)),
            mse: Trainer::new(regressor, dataset, TrainConfig::full_batch(seed)),
            data,
            nll: None,
            grid_x,
            grid,
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
            self.nll = Some(self.mdn.step().0);
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

    /// Reads the current predictions back. The returned future owns
    /// everything it needs, so training may go on while it waits.
    pub fn snapshot(
        &mut self,
    ) -> impl Future<Output = Result<ToySnapshot, ReadbackError>> + 'static {
        let mixture = self.mdn.model().valid().forward(self.grid.clone());
        let mse_y = self
            .mse
            .model()
            .valid()
            .forward(self.grid.clone())
            .reshape([GRID_POINTS]);
        // Before the first step there is no loss yet: NaN says so.
        let nll = self.nll.clone().unwrap_or_else(|| {
            Tensor::from_data(TensorData::new(vec![f32::NAN], [1]), &self.grid.device())
        });
        let step = self.steps();
        let grid_x = self.grid_x.clone();
        let mut rng = StdRng::seed_from_u64(self.rng.next_u64());
        async move {
            let mixture = MixtureData::read(mixture).await?;
            let mut read = read_f32(vec![nll, mse_y]).await?;
            let mse_y = read.pop().unwrap_or_default();
            let nll = read.pop().and_then(|v| v.first().copied());
            Ok(ToySnapshot {
                step,
                nll: nll.unwrap_or(f32::NAN),
                grid_x,
                samples: mixture.samples(SAMPLES_PER_X, &mut rng),
                mse_y,
            })
        }
    }
}
