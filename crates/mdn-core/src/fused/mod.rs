//! Fused kernels for burn's flex CPU backend: the dense layers (affine map
//! and tanh) and the mixture head's log-density, each one pass forward and
//! one pass backward.
//!
//! flex runs every tensor operation as its own pass over memory, evaluates
//! `exp`, `log` and `tanh` one element at a time with libm, and autodiff
//! records each operation with its own backward step. Written with tensor
//! operations the head (log_softmax, the scale activation, the mixture
//! log-density) takes about fifty such passes, forward and backward, where
//! one loop over the samples suffices (W1 on a Zen 3 core: 5.1 → 1.5 ms
//! per step with the head and tanh fused). A dense layer is a matrix
//! product, a bias add and tanh; fused, each thread takes its block of rows
//! through all three, and through every layer of the stack, while they are
//! in cache (W2 with two threads: see [`mlp`]). This module gives these to
//! flex as a burn backend extension (`#[backend_extension]`) with
//! hand-written backward steps; [`crate::ops`] decides where they run (on
//! flex) and where burn's composed tensor operations run instead (every
//! other backend, where the GPU runs them as fast kernels).
//!
//! - [`kernels`]: the loops on `f32` slices (vectorisable `exp`, `ln` and
//!   `tanh`, the head's log-density and its gradients);
//! - `lanes`: tanh and its backward pass, and the head's transcendental
//!   passes, in explicit 128-bit lanes for the wasm build, where rustc's
//!   opt-level "s" vectorises nothing;
//! - [`mlp`]: a stack of dense layers forward and backward on slices, one
//!   pass each way (gemm for the products);
//! - [`grid`]: the learned multiresolution grid's interpolation and its
//!   backward pass;
//! - [`adam`]: Adam's update of a parameter and its moments, one pass;
//! - `split`: the same over rayon's thread pool (`rayon` feature);
//! - [`FusedOps`]: the extension trait, implemented for `Flex` and for
//!   `Autodiff<Flex>`.

pub mod adam;
pub mod grid;
pub mod kernels;
#[cfg(any(target_arch = "wasm32", test))]
pub mod lanes;
pub mod mlp;
mod split;

use std::borrow::Cow;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Flex, TensorMetadata, backend_extension};
use burn::tensor::TensorData;

use crate::adam::AdamStep;
use crate::spec::{GridLayout, HeadLayout};
use mlp::Layer;

pub use kernels::MAX_DIM;

/// The fused operations as a burn backend extension. Only flex (and
/// autodiff over flex) implement it: calling it on another backend panics,
/// which [`crate::ops`] prevents.
#[backend_extension(Flex, Autodiff)]
pub trait FusedOps: Backend {
    /// The last output `[batch, fan_out]` of the stack of dense layers
    /// `layers` (y_l = act_l(y_{l−1} W_l + b_l), y_0 = x) for x `[batch,
    /// fan_in]` of the first layer, with the parameters `params` packed as
    /// [`mlp`] reads them: each W_l `[fan_in, fan_out]` row-major, then its
    /// b_l `[fan_out]`.
    fn fused_mlp(
        x: FloatTensor<Self>,
        params: FloatTensor<Self>,
        layers: Vec<Layer>,
    ) -> FloatTensor<Self>;

    /// The mixture head's log-density of [`crate::ops::head_log_prob`],
    /// `[batch]`, from raw outputs `[batch, layout.outputs()]` and targets
    /// `[batch, D]` (D ≤ [`MAX_DIM`]).
    fn fused_head_log_prob(
        raw: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        layout: HeadLayout,
    ) -> FloatTensor<Self>;

    /// [`crate::ops::head_readout`] packed as `[batch, 1 + 2D]`: each
    /// sample's log-density, mode, then mean (see [`kernels::head_readout`]).
    /// No gradient: a repaint reads it from the plain model.
    fn fused_head_readout(
        raw: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        layout: HeadLayout,
    ) -> FloatTensor<Self>;

    /// The grid's features `[batch, L · F]` of points `coords` `[batch, 2]`
    /// from the table `[rows, F]` (see [`grid::forward`]); the gradient
    /// reaches the table only.
    fn fused_grid(
        coords: FloatTensor<Self>,
        table: FloatTensor<Self>,
        layout: GridLayout,
    ) -> FloatTensor<Self>;

    /// The rows `rows` (each below n) of `values` `[n, width]`, in that
    /// order: `[rows.len(), width]` (see [`kernels::gather_rows`]). No
    /// gradient: a step's minibatch of data, not a parameter.
    fn fused_gather_rows(values: FloatTensor<Self>, rows: Vec<usize>) -> FloatTensor<Self>;

    /// One Adam step of a parameter (any shape) from its gradient and its
    /// two moments (the parameter's shape; zeros before its first step):
    /// the new parameter, first moment and second moment (see
    /// [`crate::adam::update`]). Plain tensors: an optimiser step is not
    /// differentiated.
    fn fused_adam(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        moment_1: FloatTensor<Self>,
        moment_2: FloatTensor<Self>,
        step: AdamStep,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

impl FusedOps for Flex {
    fn fused_mlp(x: FlexTensor, params: FlexTensor, layers: Vec<Layer>) -> FlexTensor {
        let rows = x.shape()[0];
        let y = mlp::infer(&layers, &f32_slice(&x), &f32_slice(&params));
        from_f32(y, [rows, last_width(&layers)].into())
    }

    fn fused_grid(coords: FlexTensor, table: FlexTensor, layout: GridLayout) -> FlexTensor {
        let batch = coords.shape()[0];
        let features = grid::forward(&layout, &f32_slice(&coords), &f32_slice(&table));
        from_f32(features, [batch, layout.outputs()].into())
    }

    fn fused_head_log_prob(raw: FlexTensor, targets: FlexTensor, layout: HeadLayout) -> FlexTensor {
        let batch = raw.shape()[0];
        let log_prob = split::head_log_prob(&layout, &f32_slice(&raw), &f32_slice(&targets), None);
        from_f32(log_prob, [batch].into())
    }

    fn fused_head_readout(raw: FlexTensor, targets: FlexTensor, layout: HeadLayout) -> FlexTensor {
        let batch = raw.shape()[0];
        let dim = layout.dim;
        let readout = split::head_readout(&layout, &f32_slice(&raw), &f32_slice(&targets));
        let mut packed = vec![0.0; batch * (1 + 2 * dim)];
        // Indexed: in the wasm (opt-level "s") `extend_from_slice` of a
        // few values is a call of its own, twice for every pixel.
        for (i, row) in packed.chunks_exact_mut(1 + 2 * dim).enumerate() {
            row[0] = readout.log_prob[i];
            for d in 0..dim {
                row[1 + d] = readout.mode[i * dim + d];
                row[1 + dim + d] = readout.mean[i * dim + d];
            }
        }
        from_f32(packed, [batch, 1 + 2 * dim].into())
    }

    fn fused_gather_rows(values: FlexTensor, rows: Vec<usize>) -> FlexTensor {
        let width = values.shape()[1];
        let gathered = kernels::gather_rows(&f32_slice(&values), width, &rows);
        from_f32(gathered, [rows.len(), width].into())
    }

    fn fused_adam(
        param: FlexTensor,
        grad: FlexTensor,
        moment_1: FlexTensor,
        moment_2: FlexTensor,
        step: AdamStep,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let (mut param, mut moment_1, mut moment_2) =
            (writable(param), writable(moment_1), writable(moment_2));
        adam::step(
            &step,
            f32_values_mut(&mut param),
            &f32_slice(&grad),
            f32_values_mut(&mut moment_1),
            f32_values_mut(&mut moment_2),
        );
        (param, moment_1, moment_2)
    }
}

impl<C: CheckpointStrategy> FusedOps for Autodiff<Flex, C> {
    fn fused_mlp(
        x: FloatTensor<Self>,
        params: FloatTensor<Self>,
        layers: Vec<Layer>,
    ) -> FloatTensor<Self> {
        /// ∂L/∂x (where x has a gradient to take) and ∂L/∂θ of every layer
        /// from ∂L/∂y of the last, one pass back through the stack.
        #[derive(Debug)]
        struct MlpBackward;

        impl Backward<Flex, 2> for MlpBackward {
            /// The forward pass's input x, packed parameters and every
            /// layer's output.
            type State = (FlexTensor, FlexTensor, Vec<FlexTensor>, Vec<Layer>);

            fn backward(
                self,
                ops: Ops<Self::State, 2>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let upstream = grads.consume::<Flex>(&ops.node);
                let (x, params, outputs, layers) = ops.state;
                let [x_parent, params_parent] = ops.parents;
                let outputs: Vec<_> = outputs.iter().map(f32_slice).collect();
                let outputs: Vec<&[f32]> = outputs.iter().map(AsRef::as_ref).collect();
                let stack_grads = mlp::backward(
                    &layers,
                    &f32_slice(&x),
                    &f32_slice(&params),
                    &outputs,
                    &f32_slice(&upstream),
                    x_parent.is_some(),
                );
                if let (Some(parent), Some(grad_x)) = (x_parent, stack_grads.x) {
                    grads.register::<Flex>(parent.id, from_f32(grad_x, x.shape()));
                }
                if let Some(parent) = params_parent {
                    let grad = from_f32(stack_grads.params, params.shape());
                    grads.register::<Flex>(parent.id, grad);
                }
            }
        }

        let nodes = [x.node(), params.node()];
        let (x, params) = (x.into_primitive(), params.into_primitive());
        match MlpBackward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let rows = x.shape()[0];
                let outputs: Vec<FlexTensor> =
                    mlp::forward(&layers, &f32_slice(&x), &f32_slice(&params))
                        .into_iter()
                        .zip(&layers)
                        .map(|(y, layer)| from_f32(y, [rows, layer.fan_out].into()))
                        .collect();
                let y = outputs[outputs.len() - 1].clone();
                prep.finish((x, params, outputs, layers), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::fused_mlp(x, params, layers)),
        }
    }

    fn fused_grid(
        coords: FloatTensor<Self>,
        table: FloatTensor<Self>,
        layout: GridLayout,
    ) -> FloatTensor<Self> {
        /// ∂L/∂table from ∂L/∂features: each point's gradient added to its
        /// four corners on every level (the coordinates are data: no
        /// gradient).
        #[derive(Debug)]
        struct GridBackward;

        impl Backward<Flex, 1> for GridBackward {
            /// The points and the grid's layout.
            type State = (FlexTensor, GridLayout);

            fn backward(
                self,
                ops: Ops<Self::State, 1>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let upstream = grads.consume::<Flex>(&ops.node);
                let [Some(parent)] = ops.parents else {
                    return;
                };
                let (coords, layout) = ops.state;
                let grad = grid::backward(&layout, &f32_slice(&coords), &f32_slice(&upstream));
                let shape = [layout.total_entries(), layout.features];
                grads.register::<Flex>(parent.id, from_f32(grad, shape.into()));
            }
        }

        let node = table.node();
        let coords = coords.into_primitive();
        let table = table.into_primitive();
        match GridBackward.prepare::<C>([node]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let features = Flex::fused_grid(coords.clone(), table, layout);
                prep.finish((coords, layout), features)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::fused_grid(coords, table, layout)),
        }
    }

    fn fused_head_log_prob(
        raw: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        layout: HeadLayout,
    ) -> FloatTensor<Self> {
        /// ∂ log p_i / ∂ raw_i of every sample, `[batch, outputs]`: the
        /// backward step only scales row i by the incoming gradient of
        /// log p_i.
        #[derive(Debug)]
        struct HeadBackward;

        impl Backward<Flex, 1> for HeadBackward {
            type State = FlexTensor;

            fn backward(
                self,
                ops: Ops<FlexTensor, 1>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let upstream = grads.consume::<Flex>(&ops.node);
                let [Some(parent)] = ops.parents else {
                    return;
                };
                let upstream = f32_slice(&upstream);
                let grad = map_f32(ops.state, |grad| kernels::scale_rows(grad, &upstream));
                grads.register::<Flex>(parent.id, grad);
            }
        }

        let guard = raw.node();
        let raw = raw.into_primitive();
        let targets = targets.into_primitive();
        match HeadBackward
            .prepare::<C>([guard])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let shape = raw.shape();
                let mut grad = vec![0.0; shape.num_elements()];
                let log_prob = split::head_log_prob(
                    &layout,
                    &f32_slice(&raw),
                    &f32_slice(&targets),
                    Some(&mut grad),
                );
                let batch = shape[0];
                prep.finish(from_f32(grad, shape), from_f32(log_prob, [batch].into()))
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(Flex::fused_head_log_prob(raw, targets, layout))
            }
        }
    }

    fn fused_head_readout(
        raw: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        layout: HeadLayout,
    ) -> FloatTensor<Self> {
        // Values only: the result is a constant of the graph.
        Self::from_inner(Flex::fused_head_readout(
            Self::inner(raw),
            Self::inner(targets),
            layout,
        ))
    }

    fn fused_gather_rows(values: FloatTensor<Self>, rows: Vec<usize>) -> FloatTensor<Self> {
        // Data: a constant of the graph.
        Self::from_inner(Flex::fused_gather_rows(Self::inner(values), rows))
    }

    fn fused_adam(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        moment_1: FloatTensor<Self>,
        moment_2: FloatTensor<Self>,
        step: AdamStep,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        // An optimiser step is not differentiated: constants of the graph.
        let (param, moment_1, moment_2) = Flex::fused_adam(
            Self::inner(param),
            Self::inner(grad),
            Self::inner(moment_1),
            Self::inner(moment_2),
            step,
        );
        (
            Self::from_inner(param),
            Self::from_inner(moment_1),
            Self::from_inner(moment_2),
        )
    }
}

/// The output width of a stack of dense layers (its last layer's).
fn last_width(layers: &[Layer]) -> usize {
    layers.last().map_or(0, |layer| layer.fan_out)
}

/// The values of an f32 flex tensor in row-major order: borrowed when the
/// tensor is contiguous, copied otherwise (a narrowed view).
fn f32_slice(tensor: &FlexTensor) -> Cow<'_, [f32]> {
    match tensor.as_slice::<f32>() {
        Some(values) => Cow::Borrowed(values),
        None => {
            let contiguous = tensor.to_contiguous();
            Cow::Owned(contiguous.as_slice::<f32>().unwrap_or_default().to_vec())
        }
    }
}

/// Applies `f` to the values of an f32 flex tensor in row-major order, in
/// place when the tensor is contiguous and not shared (copy-on-write
/// otherwise).
fn map_f32(tensor: FlexTensor, f: impl FnOnce(&mut [f32])) -> FlexTensor {
    let mut tensor = writable(tensor);
    f(f32_values_mut(&mut tensor));
    tensor
}

/// `tensor`, contiguous (copied when it was a strided view).
fn writable(tensor: FlexTensor) -> FlexTensor {
    if tensor.is_contiguous() {
        tensor
    } else {
        tensor.to_contiguous()
    }
}

/// The values of a contiguous f32 flex tensor ([`writable`]) in row-major
/// order, to write: its own storage, copied first if it is shared
/// (copy-on-write).
fn f32_values_mut(tensor: &mut FlexTensor) -> &mut [f32] {
    let (start, end) = tensor
        .layout()
        .contiguous_offsets()
        .unwrap_or((0, tensor.layout().num_elements()));
    &mut tensor.storage_mut::<f32>()[start..end]
}

fn from_f32(values: Vec<f32>, shape: burn::tensor::Shape) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}
