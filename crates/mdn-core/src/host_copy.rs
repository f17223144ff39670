//! A model's and Adam's state copied to the CPU backend, read back
//! asynchronously, so that burn's records can be taken on any device.
//!
//! burn's records (`Module::into_record`, `ModuleOptimizer::to_record`)
//! read every tensor synchronously, and a browser's WebGPU cannot: a wasm
//! thread may not block on the GPU (cubecl's `read_sync` panics there). So
//! the tensors are first queued in a [`Reading`] and read in one
//! asynchronous transaction; then they are put back into copies of the
//! module ([`module_on_host`]) and of Adam's per-parameter state
//! ([`adam_on_host`]) on [`Device::flex`], from which burn takes its
//! records in its own format. On the CPU backend the same path costs one
//! copy of the parameters.

use std::collections::HashMap;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::optim::{AdamState, AdaptiveMomentumState, DynState};
use burn::tensor::{Device, Tensor, TensorData};

use crate::inference::{ReadbackError, read_f32};

/// Tensors queued to be read back together, each flattened, with its
/// shape. [`Reading::push`] gives each one's index into [`Reading::read`]'s
/// result.
#[derive(Default)]
pub struct Reading {
    tensors: Vec<Tensor<1>>,
    shapes: Vec<Vec<usize>>,
}

impl Reading {
    /// Queues `tensor` (any device, autodiff or not); returns its index.
    pub fn push<const D: usize>(&mut self, tensor: Tensor<D>) -> usize {
        let tensor = tensor.without_autodiff();
        let shape = tensor.dims().to_vec();
        let n = shape.iter().product::<usize>();
        self.tensors.push(tensor.reshape([n]));
        self.shapes.push(shape);
        self.tensors.len() - 1
    }

    /// Reads every queued tensor in one transaction: `f32` data of each
    /// one's shape, in queue order.
    ///
    /// # Errors
    /// [`ReadbackError`] when the device cannot be read (a lost GPU).
    pub async fn read(self) -> Result<Vec<TensorData>, ReadbackError> {
        let values = read_f32(self.tensors).await?;
        Ok(values
            .into_iter()
            .zip(self.shapes)
            .map(|(values, shape)| TensorData::new(values, shape))
            .collect())
    }
}

/// Queues every float parameter of `module` (its value, as `Param::val`
/// gives it) on `reading`; returns each parameter's index, for
/// [`module_on_host`].
pub fn queue_module<M: Module>(module: &M, reading: &mut Reading) -> HashMap<ParamId, usize> {
    struct Queue<'a> {
        reading: &'a mut Reading,
        index: HashMap<ParamId, usize>,
    }
    impl ModuleVisitor for Queue<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let i = self.reading.push(param.val());
            self.index.insert(param.id, i);
        }
    }
    let mut queue = Queue {
        reading,
        index: HashMap::new(),
    };
    module.visit(&mut queue);
    queue.index
}

/// `module` with every float parameter queued by [`queue_module`] replaced
/// by its value read back (`data`), on `host`; ids are kept, so the copy's
/// record is the original's. A parameter that was not queued keeps its
/// tensor.
pub fn module_on_host<M: Module>(
    module: M,
    index: &HashMap<ParamId, usize>,
    data: &[TensorData],
    host: &Device,
) -> M {
    struct Put<'a> {
        index: &'a HashMap<ParamId, usize>,
        data: &'a [TensorData],
        host: &'a Device,
    }
    impl ModuleMapper for Put<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let Some(data) = self.index.get(&param.id).and_then(|&i| self.data.get(i)) else {
                return param;
            };
            let value = Tensor::from_data(data.clone(), self.host);
            param.map(|_| value)
        }
    }
    module.map(&mut Put { index, data, host })
}

/// Where one parameter's Adam state was queued: the indices of its first
/// and second moments (and AMSGrad's maximum, when present), and its step
/// count.
pub struct AdamQueued {
    rank: usize,
    time: usize,
    moment_1: usize,
    moment_2: usize,
    max_moment_2: Option<usize>,
}

/// Calls `$body` with the const `$d` set to the runtime rank `$rank` (1–4,
/// the ranks of parameters a model here has); `$other` for any other rank.
macro_rules! with_rank {
    ($rank:expr, $d:ident => $body:expr, $other:expr) => {
        match $rank {
            1 => {
                const $d: usize = 1;
                $body
            }
            2 => {
                const $d: usize = 2;
                $body
            }
            3 => {
                const $d: usize = 3;
                $body
            }
            4 => {
                const $d: usize = 4;
                $body
            }
            _ => $other,
        }
    };
}

/// Queues one parameter's Adam state (burn's [`AdamState`], behind
/// `DynState`) on `reading`.
///
/// # Errors
/// [`ReadbackError`] for a parameter of rank over 4.
pub fn queue_adam(state: &DynState, reading: &mut Reading) -> Result<AdamQueued, ReadbackError> {
    let rank = state.rank();
    with_rank!(rank, D => {
        let m = &state.downcast_ref::<AdamState<D>>().momentum;
        Ok(AdamQueued {
            rank,
            time: m.time,
            moment_1: reading.push(m.moment_1.clone()),
            moment_2: reading.push(m.moment_2.clone()),
            max_moment_2: m.max_moment_2.clone().map(|t| reading.push(t)),
        })
    }, Err(ReadbackError(format!("an optimiser state of rank {rank}"))))
}

/// The Adam state [`queue_adam`] queued, rebuilt on `host` from the values
/// read back (`data`).
pub fn adam_on_host(queued: &AdamQueued, data: &[TensorData], host: &Device) -> DynState {
    let tensor = |i: usize| data[i].clone();
    with_rank!(queued.rank, D => {
        let momentum = AdaptiveMomentumState {
            time: queued.time,
            moment_1: Tensor::<D>::from_data(tensor(queued.moment_1), host),
            moment_2: Tensor::<D>::from_data(tensor(queued.moment_2), host),
            max_moment_2: queued
                .max_moment_2
                .map(|i| Tensor::<D>::from_data(tensor(i), host)),
        };
        DynState::create(AdamState { momentum }, D)
    }, unreachable!("queue_adam accepts ranks 1 to 4 only"))
}
