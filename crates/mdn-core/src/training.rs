//! The training loop: Adam on full batches or shuffled minibatches, with a
//! guard against divergence.
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
use burn::tensor::{Bytes, Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::data::Dataset;
use crate::inference::{ReadbackError, read_f32};
use crate::model::{Mdn, Regressor};
use crate::ops::{self, AdamSettings};
use crate::records::{Reading, adam_flatten, module_record, queue_adam, queue_module};

/// Factor applied to the learning rate each time training diverges.
pub const LR_BACKOFF: f64 = 0.1;

/// A loss this many nats above the last good one counts as divergence, as
/// does any non-finite loss or parameter. Healthy training never moves the
/// loss over the whole data by this much between two checks; a blown-up
/// step (huge but finite weights) does.
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
    generation: usize,
    /// The latest step's loss, still on the device.
    loss: Option<Tensor<1>>,
    /// How the optimiser's record is taken (see [`Trainer::state`]).
    copying: Copying,
}

/// The latest model the guard accepted, and its loss.
#[derive(Clone)]
struct Good<M> {
    model: M,
    step: usize,
    loss: Option<f32>,
}

fn adam(config: &TrainConfig, device: &Device, copying: &Copying) -> ModuleOptimizer {
    let settings = AdamSettings {
        beta_1: 0.9,
        beta_2: config.beta_2 as f32,
        epsilon: 1e-8,
    };
    let clipping = config
        .clip_norm
        .map(|norm| GradientClippingConfig::Norm(norm).init());
    let placed = Placed {
        settings,
        device: device.clone(),
        copying: copying.clone(),
    };
    // The one group (every parameter) holds Adam placed on the model's
    // device; the fallback `init` builds is never used.
    AdamConfig::new()
        .init()
        .with_group(ParamGroup::all(), placed, clipping)
}

/// Adam whose state, when loaded from a record, is rebuilt on the model's
/// device. burn's `ModuleOptimizer::load_record` rebuilds it on the
/// default device (wgpu when the build has it), which would open a GPU for
/// a run on the CPU. Its steps are [`ops::adam_step`] (one pass on the
/// CPU backend), and its record can be taken from the values of its state
/// read back asynchronously ([`Copying`]). The state and its records are
/// burn's `Adam`'s.
struct Placed {
    /// Adam's settings; burn's `Adam` built from them
    /// ([`AdamSettings::adam`]) does everything but the step.
    settings: AdamSettings,
    device: Device,
    copying: Copying,
}

impl Placed {
    /// [`DynOptimizer::step_dyn`] for a parameter of rank `D`.
    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: BridgeTensor,
        grad: BridgeTensor,
        state: Option<DynState>,
    ) -> (BridgeTensor, Option<DynState>) {
        let (tensor, state) = ops::adam_step(
            &self.settings,
            lr,
            Tensor::<D>::from_bridge(tensor),
            Tensor::<D>::from_bridge(grad),
            state.map(DynState::downcast::<AdamState<D>>),
        );
        (
            tensor.into_bridge(),
            state.map(|state| DynState::create(state, D)),
        )
    }
}

/// How [`Placed`] flattens its state into a record, set by
/// [`Trainer::state`] around each `to_record` (both synchronous, so no step
/// comes between): normally (reading each tensor synchronously, which
/// WebGPU in a browser cannot), by only collecting each parameter's state,
/// or from those states already flattened from their values read back
/// (by parameter prefix).
#[derive(Default)]
enum CopyMode {
    #[default]
    Read,
    Collect(Vec<(String, DynState)>),
    FromRead(HashMap<String, StateSink>),
}

/// The mode, shared by a [`Trainer`] and its optimiser's [`Placed`].
type Copying = Arc<Mutex<CopyMode>>;

fn set_mode(copying: &Copying, mode: CopyMode) -> CopyMode {
    let mut guard = copying
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    std::mem::replace(&mut *guard, mode)
}

impl DynOptimizer for Placed {
    fn step_dyn(
        &self,
        rank: usize,
        lr: LearningRate,
        tensor: BridgeTensor,
        grad: BridgeTensor,
        state: Option<DynState>,
    ) -> (BridgeTensor, Option<DynState>) {
        // The model's parameters are vectors and matrices.
        match rank {
            1 => self.step::<1>(lr, tensor, grad, state),
            2 => self.step::<2>(lr, tensor, grad, state),
            _ => self.settings.adam().step_dyn(rank, lr, tensor, grad, state),
        }
    }

    fn to_device_dyn(&self, state: DynState, device: &Device) -> DynState {
        self.settings.adam().to_device_dyn(state, device)
    }

    fn state_flatten(&self, prefix: &str, state: &DynState, out: &mut StateSink) {
        let mut mode = self
            .copying
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match &mut *mode {
            CopyMode::Read => self.settings.adam().state_flatten(prefix, state, out),
            CopyMode::Collect(states) => states.push((prefix.to_owned(), state.clone())),
            // Each parameter's state is flattened once per record: taken
            // out, not copied.
            CopyMode::FromRead(flat) => match flat.remove(prefix) {
                Some(read) => {
                    out.tensors.extend(read.tensors);
                    out.scalars.extend(read.scalars);
                }
                None => self.settings.adam().state_flatten(prefix, state, out),
            },
        }
    }

    fn state_unflatten(
        &self,
        rank: usize,
        prefix: &str,
        src: &mut StateSource,
        _device: &Device,
    ) -> Option<DynState> {
        self.settings
            .adam()
            .state_unflatten(rank, prefix, src, &self.device)
    }
}

/// Checks that an optimiser record (burnpack bytes) fits `model`: every
/// state tensor belongs to one of its float parameters and has that
/// parameter's shape, and every state's rank is its parameter's. burn's
/// `ModuleOptimizer::load_record` trusts its record (a tensor without a
/// parameter id panics there, a state of another rank or shape at the next
/// step), and a model file may be damaged or made by hand.
///
/// # Errors
/// [`RecordError::Validation`] saying what does not fit;
/// [`RecordError::Io`] when the bytes are not a burnpack container.
fn check_optimizer_record<M: Module>(bytes: &[u8], model: &M) -> Result<(), RecordError> {
    struct Shapes(HashMap<u64, Vec<usize>>);
    impl ModuleVisitor for Shapes {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.insert(param.id.val(), param.val().dims().to_vec());
        }
    }
    let mut shapes = Shapes(HashMap::new());
    model.visit(&mut shapes);
    let shapes = shapes.0;
    let bad = |what: String| {
        RecordError::Validation(format!(
            "the optimiser's state does not fit the model ({what})"
        ))
    };
    let reader = burn_pack::Reader::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))?;
    for (key, value) in reader.scalars() {
        let Some(id) = key.strip_suffix(".__rank") else {
            continue;
        };
        let shape = id
            .parse::<u64>()
            .ok()
            .and_then(|id| shapes.get(&id))
            .ok_or_else(|| bad(format!("{key} names no parameter")))?;
        if usize::try_from(*value).ok() != Some(shape.len()) {
            return Err(bad(format!("{key} is {value:?}, not {}", shape.len())));
        }
    }
    for tensor in reader.into_tensors()? {
        let shape = tensor
            .param_id
            .and_then(|id| shapes.get(&id))
            .ok_or_else(|| bad(format!("{} belongs to no parameter", tensor.name)))?;
        if tensor.shape.to_vec() != *shape {
            return Err(bad(format!(
                "{} has shape {:?}, its parameter {shape:?}",
                tensor.name,
                tensor.shape.to_vec()
            )));
        }
    }
    Ok(())
}

/// Why a trainer's state could not be taken: a readback failed (a lost
/// GPU), or burn could not write a record.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The device could not be read.
    #[error(transparent)]
    Readback(#[from] ReadbackError),
    /// burn could not write the model's or the optimiser's record.
    #[error("{0}")]
    Record(RecordError),
}

impl From<RecordError> for StateError {
    fn from(e: RecordError) -> Self {
        StateError::Record(e)
    }
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

/// What a [`Trainer`] needs, besides its settings and data, to go on
/// exactly where it was: the model's and the optimiser's records (burn's
/// burnpack bytes), the step and epoch counts, the position in the epoch
/// and the learning rate. See [`Trainer::state`] and [`Trainer::restore`].
#[derive(Clone, Debug, PartialEq)]
pub struct TrainerState {
    /// The model's parameters: `Module::into_record` as burnpack bytes.
    pub model: Vec<u8>,
    /// Adam's state (moments and step count of every parameter): burn's
    /// `ModuleOptimizer::to_record` as burnpack bytes.
    pub optimizer: Vec<u8>,
    /// Steps taken.
    pub steps: usize,
    /// Epochs completed.
    pub epochs: usize,
    /// Samples of the current epoch already trained on (the data's size
    /// at an epoch's end).
    pub cursor: usize,
    /// The learning rate in use.
    pub learning_rate: f64,
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
                loss: None,
            },
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
            .step(self.learning_rate, self.model.clone(), grads);
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

    /// Everything needed to go on training later (see [`TrainerState`]),
    /// read back asynchronously (see [`crate::records`]): the model's and
    /// Adam's tensors as they are now, whatever steps follow before the
    /// future is awaited. The future owns what it needs.
    pub fn state(&self) -> impl Future<Output = Result<TrainerState, StateError>> + 'static
    where
        M: 'static,
    {
        let model = self.model.clone();
        let optim = self.optim.clone();
        let copying = self.copying.clone();
        set_mode(&copying, CopyMode::Collect(vec![]));
        // Only the states are wanted here; this record is incomplete.
        drop(optim.to_record());
        let CopyMode::Collect(states) = set_mode(&copying, CopyMode::Read) else {
            unreachable!("set just above")
        };
        let mut reading = Reading::default();
        let params = queue_module(&model, &mut reading);
        let queued: Result<Vec<_>, ReadbackError> = states
            .into_iter()
            .map(|(prefix, state)| Ok((prefix, queue_adam(&state, &mut reading)?)))
            .collect();
        let (steps, epochs, learning_rate) = (self.steps, self.epochs, self.learning_rate);
        let cursor = self.cursor.min(self.data.len());
        async move {
            let queued = queued?;
            let data = reading.read().await?;
            let model = module_record(&model, &params, &data)?;
            let mut flat = HashMap::new();
            for (prefix, q) in &queued {
                let mut sink = StateSink::default();
                adam_flatten(q, &data, prefix, &mut sink)?;
                flat.insert(prefix.clone(), sink);
            }
            set_mode(&copying, CopyMode::FromRead(flat));
            let optimizer = optim.to_record();
            set_mode(&copying, CopyMode::Read);
            Ok(TrainerState {
                model,
                optimizer: optimizer.into_bytes()?.to_vec(),
                steps,
                epochs,
                cursor,
                learning_rate,
            })
        }
    }

    /// Goes on from `state`, taken from a trainer of the same model shape
    /// and settings on the same data (of any device): the model's
    /// parameters, Adam's state, the counts, the position in the epoch and
    /// the learning rate are `state`'s, and the next step is the one that
    /// trainer would have taken. The guard's last good model is the
    /// restored one (with no loss known yet).
    ///
    /// # Errors
    /// [`RecordError`] when a record is damaged or does not fit this
    /// model (then nothing has changed).
    pub fn restore(&mut self, state: &TrainerState) -> Result<(), RecordError> {
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(state.model.clone()))?;
        let model = self.model.clone().try_load_record(record)?;
        check_optimizer_record(&state.optimizer, &model)?;
        let optimizer =
            OptimizerRecord::from_bytes(Bytes::from_bytes_vec(state.optimizer.clone()))?;
        let n = self.data.len();
        if state.cursor > n {
            return Err(RecordError::Validation(format!(
                "{} samples into an epoch of {n}",
                state.cursor
            )));
        }
        self.optim = adam(&self.config, &self.device, &self.copying).load_record(optimizer);
        self.model = model;
        self.steps = state.steps;
        self.epochs = state.epochs;
        self.cursor = state.cursor;
        self.learning_rate = state.learning_rate;
        // Mid-epoch, the rest of this epoch's order; at its end the next
        // step draws the next epoch's.
        self.order = if state.cursor < n {
            epoch_order(self.config.seed, state.epochs, n)
        } else {
            (0..n as i32).collect()
        };
        self.last_good = Good {
            model: self.model.clone(),
            step: self.steps,
            loss: None,
        };
        self.generation += 1;
        self.loss = None;
        Ok(())
    }

    /// The current model, to be judged once its loss and parameters are
    /// read back (see [`read_checked`] and [`Trainer::settle`]). Cheap: the
    /// model's tensors are shared, not copied.
    pub fn checkpoint(&self) -> Checkpoint<M> {
        Checkpoint {
            model: self.model.clone(),
            step: self.steps,
            generation: self.generation,
            guard: self.config.guard,
            fallback: self.last_good.model.clone(),
            fallback_loss: self.last_good.loss,
        }
    }

    /// Applies a frame's verdict and returns what the frame shows, guarded:
    /// a healthy checkpoint becomes the last good model; a diverged one
    /// (non-finite loss or parameter, or a loss [`DIVERGENCE_NATS`] above
    /// the last good one) makes the trainer go back to the last good model
    /// with a fresh Adam state and the learning rate lowered by
    /// [`LR_BACKOFF`], and the result says so.
    ///
    /// A verdict on a checkpoint taken before an earlier recovery is
    /// ignored: its model is no longer the one being trained.
    pub fn settle<T>(&mut self, frame: Frame<T, M>) -> Guarded<T> {
        let recovery = self.apply(frame.verdict);
        Guarded {
            value: frame.value,
            learning_rate: self.learning_rate,
            recovery,
        }
    }

    fn apply(&mut self, verdict: Verdict<M>) -> Option<Recovery> {
        let Verdict {
            checkpoint,
            loss,
            healthy,
        } = verdict;
        if !self.judges(&checkpoint) {
            return None;
        }
        if healthy {
            if checkpoint.step >= self.last_good.step {
                self.last_good = Good {
                    model: checkpoint.model,
                    step: checkpoint.step,
                    loss: Some(loss),
                };
            }
            return None;
        }
        self.optim = adam(&self.config, &self.device, &self.copying);
        self.learning_rate *= LR_BACKOFF;
        Some(self.go_back(DIVERGED, checkpoint.step))
    }

    /// Whether a verdict on `checkpoint` applies: unguarded runs keep no
    /// last good model, and a checkpoint taken before a recovery judges a
    /// model no longer trained.
    fn judges(&self, checkpoint: &Checkpoint<M>) -> bool {
        checkpoint.guard && checkpoint.generation == self.generation
    }

    /// Goes back to the last good model from the checkpoint of `step`, with
    /// the learning rate and Adam state the caller has set, and says so.
    fn go_back(&mut self, cause: &'static str, step: usize) -> Recovery {
        self.model = self.last_good.model.clone();
        self.generation += 1;
        Recovery {
            cause,
            step,
            restored_step: self.last_good.step,
            learning_rate: self.learning_rate,
        }
    }

    /// Turns down a frame the guard found healthy but a demo will not show
    /// (`cause` says why, for [`Recovery`]'s sentence): the trainer goes
    /// back to the last good model, keeping Adam's state (the model did
    /// not blow up, so its moments are sound), and multiplies the learning
    /// rate by `factor`, never below the decay's floor
    /// ([`TrainConfig::lr_min`]), so training goes on at a calmer rate and
    /// never stalls. The value to show is then the last good model's, which
    /// the caller holds.
    ///
    /// # Errors
    /// Gives the frame back, doing nothing, for an unguarded run or a frame
    /// taken before an earlier recovery (whose verdicts
    /// [`Trainer::settle`] ignores too).
    pub fn turn_down<T>(
        &mut self,
        frame: Frame<T, M>,
        factor: f64,
        cause: &'static str,
    ) -> Result<Recovery, Frame<T, M>> {
        if !self.judges(&frame.verdict.checkpoint) {
            return Err(frame);
        }
        self.learning_rate = (self.learning_rate * factor).max(self.config.lr_min);
        Ok(self.go_back(cause, frame.verdict.checkpoint.step))
    }
}

/// [`Recovery::cause`] of a diverged model.
pub const DIVERGED: &str = "training diverged";

/// A model taken from a [`Trainer`], with the last model the guard accepted
/// before it (its fallback).
#[derive(Clone)]
pub struct Checkpoint<M> {
    model: M,
    step: usize,
    generation: usize,
    /// Whether the model is judged at all (see [`TrainConfig::guard`]).
    guard: bool,
    fallback: M,
    fallback_loss: Option<f32>,
}

impl<M: Module> Checkpoint<M> {
    /// The model at this checkpoint.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// Steps the model had taken.
    pub fn step(&self) -> usize {
        self.step
    }

    /// Whether a model with this `loss` (nats) and `parameter_sum` (Σ|θ|)
    /// is healthy: both finite, and the loss not [`DIVERGENCE_NATS`] above
    /// the fallback's.
    pub fn judge(&self, loss: f32, parameter_sum: f32) -> bool {
        loss.is_finite()
            && parameter_sum.is_finite()
            && self
                .fallback_loss
                .is_none_or(|good| loss <= good + DIVERGENCE_NATS)
    }
}

/// The guard's finding on a [`Checkpoint`].
pub struct Verdict<M> {
    checkpoint: Checkpoint<M>,
    loss: f32,
    healthy: bool,
}

/// What a demo shows (`value`: a toy snapshot, a repaint), read back for a
/// checkpoint but not yet judged: pass it to [`Trainer::settle`] (through
/// [`Demo::settle`]).
pub struct Frame<T, M = Mdn> {
    value: T,
    verdict: Verdict<M>,
}

impl<T, M> Frame<T, M> {
    /// The same frame showing `f(value)`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Frame<U, M> {
        Frame {
            value: f(self.value),
            verdict: self.verdict,
        }
    }

    /// What the frame shows.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Whether the guard found the checkpoint's model healthy.
    pub fn healthy(&self) -> bool {
        self.verdict.healthy
    }
}

/// What a demo shows once the guard has judged it: the value (of the last
/// good model when training had diverged), the learning rate from now on,
/// and what the guard did, if anything. Derefs to the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Guarded<T> {
    /// What is shown.
    pub value: T,
    /// The learning rate from now on.
    pub learning_rate: f64,
    /// Set when this frame found training diverged: `value` is then that of
    /// the last good model, which training went back to.
    pub recovery: Option<Recovery>,
}

impl<T> Deref for Guarded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// A demo's training run as the page and the command line drive it: frames
/// read back asynchronously, then settled by the guard.
pub trait Demo {
    /// What one frame shows: a toy snapshot, a repaint.
    type View;

    /// Judges a frame of this run (see [`Trainer::settle`]).
    fn settle(&mut self, frame: Frame<Self::View>) -> Guarded<Self::View>;
}

/// What the trainer did after training diverged (or a demo turned a frame
/// down, see [`Trainer::turn_down`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recovery {
    /// Why, as the start of a sentence: [`DIVERGED`], or a demo's reason.
    pub cause: &'static str,
    /// Step at which it was found.
    pub step: usize,
    /// Step of the restored (last good) parameters.
    pub restored_step: usize,
    /// The learning rate from now on.
    pub learning_rate: f64,
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at step {}: went back to the parameters of step {} and lowered the learning rate to {:.1e}",
            self.cause, self.step, self.restored_step, self.learning_rate
        )
    }
}

/// Σ|θ| over every float parameter, `[1]`, without autodiff: finite if
/// and only if every parameter is (barring an overflow of the sum, which is
/// itself a sign of divergence). `None` for a model without parameters.
pub fn parameter_sum<M: Module>(model: &M) -> Option<Tensor<1>> {
    struct AbsSum(Option<Tensor<1>>);
    impl ModuleVisitor for AbsSum {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let sum = param.val().without_autodiff().abs().sum();
            self.0 = Some(match self.0.take() {
                Some(total) => total + sum,
                None => sum,
            });
        }
    }
    let mut visitor = AbsSum(None);
    model.visit(&mut visitor);
    visitor.0
}

/// Reads back `view(model)` for a checkpoint's model, whose first tensor
/// must be the model's loss `[1]` (nats), judging the model by that loss,
/// its parameters (read in the same transaction) and the finiteness of
/// every value read (see [`Checkpoint::judge`]). When the model diverged,
/// `view` runs again on the last good model, so a caller never shows a
/// diverged model's output. Returns the values read (row-major `f32`s, in
/// `view`'s order) as a frame for [`Trainer::settle`]. With the guard off,
/// only `view` is read and the frame counts as healthy.
///
/// # Errors
/// [`ReadbackError`] when the device fails.
pub async fn read_checked<M: Module>(
    checkpoint: Checkpoint<M>,
    view: impl Fn(&M) -> Vec<Tensor<1>>,
) -> Result<Frame<Vec<Vec<f32>>, M>, ReadbackError> {
    if !checkpoint.guard {
        let value = read_f32(view(&checkpoint.model)).await?;
        let loss = value.first().and_then(|v| v.first().copied());
        return Ok(Frame {
            value,
            verdict: Verdict {
                checkpoint,
                loss: loss.unwrap_or(f32::NAN),
                healthy: true,
            },
        });
    }
    let mut tensors = view(&checkpoint.model);
    let viewed = tensors.len();
    tensors.extend(parameter_sum(&checkpoint.model));
    let mut values = read_f32(tensors).await?;
    let parameter_sum = values
        .split_off(viewed.min(values.len()))
        .first()
        .and_then(|v| v.first().copied())
        .unwrap_or(0.0);
    let loss = values
        .first()
        .and_then(|v| v.first().copied())
        .unwrap_or(f32::NAN);
    // What is shown must be finite too: a model can keep a finite loss
    // while one of its components' σ overflows, and its samples with it.
    let shown_finite = values.iter().flatten().all(|v| v.is_finite());
    let healthy = shown_finite && checkpoint.judge(loss, parameter_sum);
    if !healthy {
        values = read_f32(view(&checkpoint.fallback)).await?;
    }
    Ok(Frame {
        value: values,
        verdict: Verdict {
            checkpoint,
            loss,
            healthy,
        },
    })
}
