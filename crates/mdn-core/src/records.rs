//! burn's records of a model and of Adam's state, taken from values read
//! back asynchronously, so that they can be taken on any device.
//!
//! burn's records (`Module::into_record`, `ModuleOptimizer::to_record`)
//! read every tensor synchronously, and a browser's WebGPU cannot: a wasm
//! thread may not block on the GPU (cubecl's `read_sync` panics there). So
//! the tensors are first queued in a [`Reading`] and read in one
//! asynchronous transaction; then the records are written from the values
//! read, in burn's own layout: the module's ([`module_record`]) and each
//! parameter's Adam state ([`adam_flatten`]). No second backend is needed
//! to hold the values, so the WebGPU module carries no CPU backend.

use std::collections::HashMap;

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::optim::{AdamState, DynState, StateSink, join_path};
use burn::store::RecordError;
use burn::tensor::{Bool, Int, Tensor, TensorData};
use burn_pack::Scalar;

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
/// [`module_record`].
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

/// The record of `module` ([`Module::into_record`]'s, as burnpack bytes,
/// which burn's `ModuleRecord::from_bytes` reads) with each float parameter's
/// value the one read back for it (`data`, at the index
/// [`queue_module`] gave): the same bytes burn writes, each tensor named
/// by its path in the module (`trunk.0.weight`) and carrying its
/// parameter's id. No tensor is read here, so this works where burn's own
/// (synchronous) `into_record` cannot: WebGPU in a browser.
///
/// # Errors
/// [`RecordError::Validation`] when a parameter was not queued, or is not
/// a float tensor (the models here have none); [`RecordError::Io`] when
/// burnpack cannot write the container.
pub fn module_record<M: Module>(
    module: &M,
    index: &HashMap<ParamId, usize>,
    data: &[TensorData],
) -> Result<Vec<u8>, RecordError> {
    struct Collect<'a> {
        index: &'a HashMap<ParamId, usize>,
        data: &'a [TensorData],
        path: Vec<String>,
        tensors: Vec<burn_pack::Tensor>,
        missing: Vec<String>,
    }
    impl Collect<'_> {
        fn refuse(&mut self) {
            self.missing.push(self.path.join("."));
        }
    }
    impl ModuleVisitor for Collect<'_> {
        fn enter_module(&mut self, name: &str, _container_type: &str) {
            self.path.push(name.to_owned());
        }
        fn exit_module(&mut self, _name: &str, _container_type: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let Some(data) = self.index.get(&param.id).and_then(|&i| self.data.get(i)) else {
                self.refuse();
                return;
            };
            let (bytes, shape, dtype) = data.clone().into_parts();
            let path = self.path.join(".");
            self.tensors.push(burn_pack::Tensor::new(
                path,
                dtype,
                shape,
                Some(param.id.val()),
                bytes,
            ));
        }
        fn visit_int<const D: usize>(&mut self, _param: &Param<Tensor<D, Int>>) {
            self.refuse();
        }
        fn visit_bool<const D: usize>(&mut self, _param: &Param<Tensor<D, Bool>>) {
            self.refuse();
        }
    }
    let mut collect = Collect {
        index,
        data,
        path: Vec::new(),
        tensors: Vec::new(),
        missing: Vec::new(),
    };
    module.visit(&mut collect);
    if !collect.missing.is_empty() {
        return Err(RecordError::Validation(format!(
            "parameters not read back: {:?}",
            collect.missing
        )));
    }
    Ok(burn_pack::Writer::new(collect.tensors)
        .into_bytes()?
        .to_vec())
}

/// A module's record (burnpack bytes, as [`module_record`] writes them)
/// with each tensor whose path `rename` maps renamed, the rest, their
/// data and their parameter ids kept: what a module whose parameters moved
/// to another field reads a record of its older layout with.
///
/// # Errors
/// [`RecordError::Io`] when the bytes are not a burnpack container.
pub fn rename_tensors(
    record: &[u8],
    rename: impl Fn(&str) -> Option<String>,
) -> Result<Vec<u8>, RecordError> {
    let reader = burn_pack::Reader::from_bytes(burn_pack::Bytes::from_bytes_vec(record.to_vec()))?;
    let mut tensors = reader.into_tensors()?;
    for tensor in &mut tensors {
        if let Some(path) = rename(&tensor.name) {
            tensor.name = path;
        }
    }
    Ok(burn_pack::Writer::new(tensors).into_bytes()?.to_vec())
}

/// Where one parameter's Adam state was queued: the indices of its first
/// and second moments (and AMSGrad's maximum, when present), and its step
/// count.
pub struct AdamQueued {
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
            time: m.time,
            moment_1: reading.push(m.moment_1.clone()),
            moment_2: reading.push(m.moment_2.clone()),
            max_moment_2: m.max_moment_2.clone().map(|t| reading.push(t)),
        })
    }, Err(ReadbackError(format!("an optimiser state of rank {rank}"))))
}

/// Writes the Adam state [`queue_adam`] queued, with the values read back
/// (`data`), into `out` as burn's `AdamState` flattens itself
/// (`RecordState::state_flatten` of its derive: `{prefix}.momentum.time`,
/// `.moment_1`, `.moment_2` and, with AMSGrad, `.max_moment_2`), without
/// reading a tensor. A test below holds this to burn's own flattening.
///
/// # Errors
/// [`RecordError::Validation`] when an index is not in `data`.
pub fn adam_flatten(
    queued: &AdamQueued,
    data: &[TensorData],
    prefix: &str,
    out: &mut StateSink,
) -> Result<(), RecordError> {
    let tensor = |i: usize| {
        data.get(i)
            .cloned()
            .ok_or_else(|| RecordError::Validation(format!("no value read back at {i}")))
    };
    let prefix = join_path(prefix, "momentum");
    out.push_scalar(&prefix, "time", Scalar::from(queued.time));
    out.push_tensor(&prefix, "moment_1", tensor(queued.moment_1)?);
    out.push_tensor(&prefix, "moment_2", tensor(queued.moment_2)?);
    if let Some(i) = queued.max_moment_2 {
        out.push_tensor(&prefix, "max_moment_2", tensor(i)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::{AdamConfig, AdaptiveMomentumState, DynOptimizer};
    use burn::tensor::Device;

    use super::*;

    #[derive(Module, Debug)]
    struct Two {
        first: Linear,
        second: Linear,
    }

    fn read(reading: Reading) -> Vec<TensorData> {
        pollster::block_on(reading.read()).expect("the CPU reads back")
    }

    /// The bytes burn's synchronous `into_record` writes, to the byte.
    #[test]
    fn module_record_is_burns() {
        let device = Device::flex();
        let model = Two {
            first: LinearConfig::new(2, 3).init(&device),
            second: LinearConfig::new(3, 4).with_bias(false).init(&device),
        };
        let mut reading = Reading::default();
        let index = queue_module(&model, &mut reading);
        let ours = module_record(&model, &index, &read(reading)).expect("every parameter read");
        let burns = model.into_record().into_bytes().expect("burn writes");
        assert_eq!(ours, burns.to_vec());
    }

    #[test]
    fn a_parameter_not_read_back_is_refused() {
        let device = Device::flex();
        let model = LinearConfig::new(2, 3).init(&device);
        let mut reading = Reading::default();
        let index = queue_module(&model, &mut reading);
        let data = read(reading);
        let error = module_record(&model, &index, &data[..1]).expect_err("bias missing");
        assert!(matches!(error, RecordError::Validation(m) if m.contains("bias")));
    }

    /// Adam's flattened state, with and without AMSGrad's maximum, named
    /// and valued as burn's derived `state_flatten` gives it.
    #[test]
    fn adam_flatten_is_burns() {
        let device = Device::flex();
        let adam = AdamConfig::new().build();
        for amsgrad in [false, true] {
            let tensor =
                |offset: f32| Tensor::<2>::from_data([[offset, 2.0], [3.0, offset * 4.0]], &device);
            let momentum = AdaptiveMomentumState {
                time: 7,
                moment_1: tensor(1.0),
                moment_2: tensor(5.0),
                max_moment_2: amsgrad.then(|| tensor(9.0)),
            };
            let state = DynState::create(AdamState { momentum }, 2);
            let mut burns = StateSink::default();
            adam.state_flatten("12345", &state, &mut burns);

            let mut reading = Reading::default();
            let queued = queue_adam(&state, &mut reading).expect("rank 2");
            let mut ours = StateSink::default();
            adam_flatten(&queued, &read(reading), "12345", &mut ours).expect("all read");

            let names = |sink: &StateSink| -> Vec<String> {
                sink.tensors.iter().map(|(name, _)| name.clone()).collect()
            };
            assert_eq!(names(&ours), names(&burns));
            assert_eq!(names(&ours).len(), if amsgrad { 3 } else { 2 });
            for ((_, a), (_, b)) in ours.tensors.iter().zip(&burns.tensors) {
                assert_eq!(a.shape(), b.shape());
                assert_eq!(a.as_bytes(), b.as_bytes());
            }
            assert_eq!(
                format!("{:?}", ours.scalars),
                format!("{:?}", burns.scalars)
            );
            assert_eq!(ours.scalars.len(), 1);
        }
    }
}
