//! The training loop: Adam on full batches or shuffled minibatches.
//!
//! A step only queues device work and returns the loss as a device tensor:
//! nothing here waits for a GPU readback, so a caller can run many steps and
//! read the loss back asynchronously when it wants to show it.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::data::Dataset;
use crate::model::{Mdn, Regressor};

/// A model with a scalar training loss.
pub trait Objective: Module {
    /// The loss on a batch, `[1]`: inputs `[batch, in]`, targets `[batch, out]`.
    fn loss(&self, inputs: Tensor<2>, targets: Tensor<2>) -> Tensor<1>;
}

impl Objective for Mdn {
    /// Mixture negative log-likelihood in nats (Bishop 1994, eq. 29).
    fn loss(&self, inputs: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        self.forward(inputs).nll(targets)
    }
}

impl Objective for Regressor {
    /// Mean squared error, in target units squared.
    fn loss(&self, inputs: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        (self.forward(inputs) - targets).square().mean()
    }
}

/// Optimiser settings of a training run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainConfig {
    /// Adam's learning rate (workloads W1–W4: 1e-3).
    pub learning_rate: f64,
    /// Samples per step; `None` trains on the whole dataset every step.
    pub batch_size: Option<usize>,
    /// Seed of the minibatch shuffles.
    pub seed: u64,
}

impl TrainConfig {
    /// Full-batch Adam at lr = 1e-3, as in workload W1.
    pub fn full_batch(seed: u64) -> Self {
        Self {
            learning_rate: 1e-3,
            batch_size: None,
            seed,
        }
    }

    /// Minibatches of `batch_size` from a fresh shuffle each epoch, Adam at
    /// lr = 1e-3, as in workloads W2–W4.
    pub fn minibatch(batch_size: usize, seed: u64) -> Self {
        Self {
            learning_rate: 1e-3,
            batch_size: Some(batch_size),
            seed,
        }
    }
}

/// Trains a model on a dataset resident on its (autodiff) device with Adam
/// (Kingma & Ba 2015; β1 = 0.9, β2 = 0.999, ε = 1e-8, no weight decay).
pub struct Trainer<M: Objective> {
    model: M,
    optim: ModuleOptimizer,
    data: Dataset,
    config: TrainConfig,
    rng: StdRng,
    order: Vec<i32>,
    cursor: usize,
    steps: usize,
    epochs: usize,
}

impl<M: Objective> Trainer<M> {
    /// A trainer for `model` on `data`; both must live on the same autodiff
    /// device.
    pub fn new(model: M, data: Dataset, config: TrainConfig) -> Self {
        let optim = AdamConfig::new()
            .with_beta_1(0.9)
            .with_beta_2(0.999)
            .with_epsilon(1e-8)
            .init();
        let n = data.len();
        Self {
            model,
            optim,
            data,
            config,
            rng: StdRng::seed_from_u64(config.seed),
            order: (0..n as i32).collect(),
            cursor: n,
            steps: 0,
            epochs: 0,
        }
    }

    /// One optimiser step. Returns the step's loss, `[1]`, still on the
    /// device but without autodiff (so it can be read back together with
    /// inference results), and whether the step finished an epoch (a pass
    /// over every sample).
    pub fn step(&mut self) -> (Tensor<1>, bool) {
        let n = self.data.len();
        let batch = self.config.batch_size.unwrap_or(n).clamp(1, n.max(1));
        let (inputs, targets) = if batch >= n {
            self.cursor = n;
            (self.data.inputs.clone(), self.data.targets.clone())
        } else {
            if self.cursor >= n {
                self.order.shuffle(&mut self.rng);
                self.cursor = 0;
            }
            let end = (self.cursor + batch).min(n);
            let rows = self.order[self.cursor..end].to_vec();
            let len = rows.len();
            self.cursor = end;
            let device = self.data.inputs.device();
            let index = Tensor::<1, Int>::from_data(TensorData::new(rows, [len]), &device);
            (
                self.data.inputs.clone().select(0, index.clone()),
                self.data.targets.clone().select(0, index),
            )
        };
        let loss = self.model.loss(inputs, targets);
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        self.model = self
            .optim
            .step(self.config.learning_rate, self.model.clone(), grads);
        self.steps += 1;
        let epoch_done = self.cursor >= n;
        if epoch_done {
            self.epochs += 1;
        }
        (loss.without_autodiff(), epoch_done)
    }

    /// The model as trained so far.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The training data.
    pub fn data(&self) -> &Dataset {
        &self.data
    }

    /// Steps taken.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Epochs completed.
    pub fn epochs(&self) -> usize {
        self.epochs
    }

    /// Steps in one epoch: ⌈n / batch⌉.
    pub fn steps_per_epoch(&self) -> usize {
        let n = self.data.len().max(1);
        n.div_ceil(self.config.batch_size.unwrap_or(n).clamp(1, n))
    }
}
