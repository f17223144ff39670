//! A trainer's state for a model file: Adam placed on the model's device
//! ([`Placed`], whose steps are [`crate::ops::adam_step`]), its record
//! taken from values read back asynchronously, and a record checked
//! against the model before burn loads it.
//!
//! burn's `ModuleOptimizer` keeps each parameter's Adam state to itself:
//! the only way to it is `to_record`, which calls the optimiser's
//! `state_flatten` per parameter (with the parameter's id as the prefix)
//! and reads every tensor synchronously, which WebGPU in a browser cannot.
//! `step_dyn` is not told which parameter it steps, so the optimiser cannot
//! keep its own map of states either. Hence [`CopyMode`]: one `to_record`
//! collects the states, they are read back asynchronously, and a second
//! `to_record` flattens the values read.

use super::*;

pub(super) fn adam(config: &TrainConfig, device: &Device, copying: &Copying) -> ModuleOptimizer {
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
pub(super) enum CopyMode {
    #[default]
    Read,
    Collect(Vec<(String, DynState)>),
    FromRead(HashMap<String, StateSink>),
}

/// The mode, shared by a [`Trainer`] and its optimiser's [`Placed`].
pub(super) type Copying = Arc<Mutex<CopyMode>>;

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
        };
        self.yardstick = Yardstick::FirstStep(None);
        self.generation += 1;
        self.loss = None;
        Ok(())
    }
}
