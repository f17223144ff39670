//! The training loop: Adam on full batches or shuffled minibatches, with a
//! guard against divergence, in three parts: the trainer (here), the guard
//! (`guard`) and the trainer's state for a model file (`state`).
//!
//! A step only queues device work and returns the loss as a device tensor:
//! nothing here waits for a GPU readback, so a caller can run many steps and
//! read the loss back asynchronously when it wants to show it. The guard
//! works the same way: [`Trainer::checkpoint`] keeps the current model,
//! [`read_checked`] reads its loss and parameters back together with what
//! the caller wants to show (a [`Frame`]), and [`Trainer::settle`] then
//! either accepts the checkpoint as the new last good model or, when it
//! diverged, restores the last good one and lowers the learning rate; what
//! is shown comes out [`Guarded`]. With [`TrainConfig::guard`] off (the
//! benchmark workloads) nothing is judged and nothing extra is read.

mod guard;
mod state;

pub use guard::{
    Checkpoint, DIVERGED, Demo, Frame, Guarded, LOSS, Recovery, Verdict, parameter_sum,
    read_checked,
};
use state::{Copying, adam};
pub use state::{StateError, TrainerState};

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use burn::module::{Module, ModuleVisitor, Param, ParamGroup};
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{
    AdamConfig, AdamState, DynOptimizer, DynState, GradientsParams, LearningRate, ModuleOptimizer,
    OptimizerRecord, StateSink, StateSource,
};
use burn::store::{ModuleRecord, RecordError};
use burn::tensor::kind::BridgeTensor;
use burn::tensor::{Bytes, Device, Tensor};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::data::Dataset;
use crate::inference::{Read, ReadbackError, Reads, read_f32};
use crate::model::{Mdn, Regressor};
use crate::ops::{self, AdamSettings};
use crate::records::{Reading, adam_flatten, module_record, queue_adam, queue_module};

/// Factor applied to the learning rate each time training diverges.
pub const LR_BACKOFF: f64 = 0.1;

/// A loss this many nats above the lowest the guard has accepted counts as
/// divergence, as does any non-finite loss or parameter. Healthy training
/// never moves the loss over the whole data by this much; a blown-up step
/// (huge but finite weights) does, and so does a rate too large for the
/// model, step after step. Before any frame has been accepted, the
/// yardstick is the loss of the first step, the starting model's.
pub const DIVERGENCE_NATS: f32 = 50.0;

/// A model with a scalar training loss.
pub trait Objective: Module {
    /// The loss on a batch, `[1]`: inputs `[batch, in]`, targets `[batch, out]`.
    fn loss(&self, inputs: Tensor<2>, targets: Tensor<2>) -> Tensor<1>;
}

impl Objective for Mdn {
    /// Mixture negative log-likelihood in nats (Bishop 1994, eq. 29).
    fn loss(&self, inputs: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        self.nll(inputs, targets)
    }
}

impl Objective for Regressor {
    /// Mean squared error, in target units squared.
    fn loss(&self, inputs: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        let squares = (self.forward(inputs) - targets).square();
        let count: usize = squares.dims().iter().product();
        ops::batch_mean(squares.reshape([count]))
    }
}

/// Optimiser settings of a training run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainConfig {
    /// Adam's learning rate (workloads W1–W4: 1e-3; W5: 1e-2).
    pub learning_rate: f64,
    /// Adam's β2 (workloads: 0.999).
    pub beta_2: f64,
    /// Factor the learning rate is multiplied by after every epoch, in
    /// (0, 1]; 1 (the workloads) keeps it constant.
    pub lr_decay: f64,
    /// Where the decay stops: the learning rate never decays below this.
    pub lr_min: f64,
    /// Samples per step; `None` trains on the whole dataset every step.
    pub batch_size: Option<usize>,
    /// Seed of the minibatch shuffles: epoch e's order is drawn afresh
    /// from `seed` and e (see [`epoch_order`]), so a run saved and loaded
    /// again shuffles the next epochs as it would have.
    pub seed: u64,
    /// Gradient clipping: each parameter tensor's gradient is rescaled to
    /// at most this L2 norm before the Adam update (burn's
    /// `GradientClippingConfig::Norm`). `None` (the workloads) clips nothing.
    pub clip_norm: Option<f32>,
    /// Whether frames are judged (see the module's documentation): on for
    /// the demos, off for the benchmark workloads, which time training as
    /// it is.
    pub guard: bool,
}

impl TrainConfig {
    /// Full-batch Adam at lr = 1e-3 with the guard on (the toy demo; W1
    /// turns the guard off).
    pub fn full_batch(seed: u64) -> Self {
        Self {
            learning_rate: 1e-3,
            beta_2: 0.999,
            lr_decay: 1.0,
            lr_min: 0.0,
            batch_size: None,
            seed,
            clip_norm: None,
            guard: true,
        }
    }

    /// Minibatches of `batch_size` from a fresh shuffle each epoch, Adam at
    /// lr = 1e-3, no clipping and no guard, as in workloads W2–W4.
    pub fn minibatch(batch_size: usize, seed: u64) -> Self {
        Self {
            learning_rate: 1e-3,
            beta_2: 0.999,
            lr_decay: 1.0,
            lr_min: 0.0,
            batch_size: Some(batch_size),
            seed,
            clip_norm: None,
            guard: false,
        }
    }
}

/// Trains a model on a dataset resident on its (autodiff) device with Adam
/// (Kingma & Ba 2015; β1 = 0.9, β2 as configured, ε = 1e-8, no weight
/// decay).
pub struct Trainer<M: Objective> {
    model: M,
    optim: ModuleOptimizer,
    data: Dataset,
    config: TrainConfig,
    /// The plain device the model trains on (the optimiser's state lives
    /// there).
    device: Device,
    learning_rate: f64,
    /// This epoch's sample order (see [`epoch_order`]); identity until the
    /// first minibatch epoch.
    order: Vec<i32>,
    cursor: usize,
    steps: usize,
    epochs: usize,
    last_good: Good<M>,
    /// What the guard judges a frame's loss against.
    yardstick: Yardstick,
    generation: usize,
    /// The latest step's loss, still on the device.
    loss: Option<Tensor<1>>,
    /// How the optimiser's record is taken (see [`Trainer::state`]).
    copying: Copying,
}

/// The latest model the guard accepted (or the one training started
/// from).
#[derive(Clone)]
struct Good<M> {
    model: M,
    step: usize,
}

/// What the guard judges a frame's loss against (see
/// [`DIVERGENCE_NATS`]).
#[derive(Clone)]
enum Yardstick {
    /// The lowest loss of the frames the guard accepted since training
    /// started (or was loaded), nats.
    Best(f32),
    /// None accepted yet: the loss of the first step (on its first batch,
    /// `[1]`, still on the device, to be read with the frame), the starting
    /// model's; without it the first frames would accept any finite model,
    /// however far a huge learning rate threw it. `None` before that step.
    FirstStep(Option<Box<Tensor<1>>>),
}

/// The sample order of minibatch epoch `epoch` (0-based) of `n` samples:
/// a permutation of 0..n drawn from `seed` and `epoch` alone, so that any
/// epoch's order can be drawn again after a save and a load.
pub fn epoch_order(seed: u64, epoch: usize, n: usize) -> Vec<i32> {
    let mut order: Vec<i32> = (0..n as i32).collect();
    let stream = seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    order.shuffle(&mut StdRng::seed_from_u64(stream));
    order
}

impl<M: Objective> Trainer<M> {
    /// A trainer for `model` on `data`; both must live on the same autodiff
    /// device.
    pub fn new(model: M, data: Dataset, config: TrainConfig) -> Self {
        let n = data.len();
        let device = data.inputs.device().without_autodiff();
        let copying = Copying::default();
        Self {
            last_good: Good {
                model: model.clone(),
                step: 0,
            },
            yardstick: Yardstick::FirstStep(None),
            model,
            optim: adam(&config, &device, &copying),
            copying,
            data,
            learning_rate: config.learning_rate,
            config,
            device,
            order: (0..n as i32).collect(),
            cursor: n,
            steps: 0,
            epochs: 0,
            generation: 0,
            loss: None,
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
                self.order = epoch_order(self.config.seed, self.epochs, n);
                self.cursor = 0;
            }
            let end = (self.cursor + batch).min(n);
            let rows = &self.order[self.cursor..end];
            self.cursor = end;
            (
                ops::minibatch_rows(self.data.inputs.clone(), rows),
                ops::minibatch_rows(self.data.targets.clone(), rows),
            )
        };
        let loss = self.model.loss(inputs, targets);
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        // The optimiser takes the model by value. Handed a clone, it would
        // find each parameter's storage shared with `self.model` and copy it
        // before updating it in place (copy-on-write): the whole model, every
        // step. The last good model stands in meanwhile, as after a rollback.
        let model = std::mem::replace(&mut self.model, self.last_good.model.clone());
        self.model = self.optim.step(self.learning_rate, model, grads);
        self.steps += 1;
        let epoch_done = self.cursor >= n;
        if epoch_done {
            self.epochs += 1;
            // Only ever down to the floor; a guard's backoff (below it or
            // not) is kept.
            let decayed = self.learning_rate * self.config.lr_decay;
            if decayed >= self.config.lr_min {
                self.learning_rate = decayed;
            }
        }
        let loss = loss.without_autodiff();
        if let Yardstick::FirstStep(first @ None) = &mut self.yardstick {
            *first = Some(Box::new(loss.clone()));
        }
        self.loss = Some(loss.clone());
        (loss, epoch_done)
    }

    /// The latest step's loss (NaN before the first step). Awaiting it also
    /// waits for all training queued so far, so it ends a timed span on
    /// WebGPU, where steps only queue work.
    pub fn loss(&self) -> impl Future<Output = Result<f32, ReadbackError>> + 'static {
        let loss = self.loss.clone();
        async move {
            Ok(match loss {
                Some(loss) => read_f32(vec![loss]).await?.concat()[0],
                None => f32::NAN,
            })
        }
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

    /// The learning rate in use: the configured one, lowered by
    /// [`LR_BACKOFF`] at every recovery.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// Changes the learning rate from the next step on.
    pub fn set_learning_rate(&mut self, learning_rate: f64) {
        self.learning_rate = learning_rate;
    }
}
