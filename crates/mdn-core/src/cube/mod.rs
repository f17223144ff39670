//! Kernels of our own for burn's cubecl backend (wgpu: Vulkan, Metal,
//! DX12, WebGPU), where burn's composed tensor operations launch many
//! small kernels or walk the batch in one invocation. Given to burn as one
//! backend extension (`#[backend_extension]`, [`CubeOps`]) with hand-written
//! backward steps, as [`crate::fused`] does for the CPU; [`crate::ops`]
//! picks them on a cubecl device.
//!
//! - [`grid`]: the learned multiresolution grid, one kernel each way (its
//!   backward adds with atomics instead of `select_assign`'s serial walk);
//! - [`head`]: the mixture head's log-density, one kernel each way instead
//!   of some forty, and a repaint's readout in one;
//! - [`dense`]: a dense layer's bias and tanh after burn's matrix product,
//!   and tanh's backward step;
//! - [`reduce`]: sums over the batch as workgroup trees (the biases'
//!   gradients, the loss's mean);
//! - [`adam`]: Adam's step of a parameter, one kernel instead of thirteen.
//!
//! In a training step no kernel gives one invocation a loop over the
//! batch: besides these, the dense layer's weight gradient Xᵀ·G is split
//! into blocks of rows (`split_rows`), one matrix product per block in one
//! batched launch, then summed over the blocks.

mod adam;
mod dense;
mod grid;
mod head;
mod reduce;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::wgpu::{CubeBackend, CubeTensor};
use burn::backend::{Autodiff, AutodiffBackend, Backend, Cube, TensorMetadata, backend_extension};
use burn::cubecl::prelude::*;
use burn::cubecl::{CubeDim, calculate_cube_count_elemwise};

use crate::adam::AdamStep;
use crate::spec::{Activation, GridLayout, HeadLayout};

/// The kernels as a burn backend extension. Only the cubecl backend (and
/// autodiff over it) implements it; [`crate::ops`] calls it there only.
/// burn's fusion is not built: with these kernels it saves 3 of W5's 45
/// dispatches per step and costs time (docs/PERFORMANCE.md).
#[backend_extension(Cube, Autodiff)]
pub trait CubeOps: Backend {
    /// The grid's features `[batch, L · F]` of points `coords` `[batch, 2]`
    /// (x, y in [−1, 1], clamped onto the grid) from the table `[rows, F]`
    /// laid out as `layout`; the gradient reaches the table only.
    fn grid_features(
        coords: FloatTensor<Self>,
        table: FloatTensor<Self>,
        layout: GridLayout,
    ) -> FloatTensor<Self>;

    /// ∂L/∂table `[rows, F]` from ∂L/∂features `grad` `[batch, L · F]` of
    /// the points `coords` `[batch, 2]`: [`CubeOps::grid_features`]'
    /// backward step.
    fn grid_table_grad(
        coords: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        layout: GridLayout,
    ) -> FloatTensor<Self>;

    /// The mixture head's log-density of [`crate::ops::head_log_prob`],
    /// `[batch]` in nats, from raw outputs `[batch, layout.outputs()]` and
    /// targets `[batch, D]`; the gradient reaches `raw` only.
    fn head_log_prob(
        raw: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        layout: HeadLayout,
    ) -> FloatTensor<Self>;

    /// ∂L/∂raw `[batch, layout.outputs()]` from ∂L/∂ log p `upstream`
    /// `[batch]`: [`CubeOps::head_log_prob`]'s backward step.
    fn head_log_prob_grad(
        raw: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        upstream: FloatTensor<Self>,
        layout: HeadLayout,
    ) -> FloatTensor<Self>;

    /// [`crate::ops::head_readout`] packed as `[batch, 1 + 2D]`: each
    /// sample's log-density, mode, then mean. No gradient: a repaint reads
    /// it from the plain model.
    fn head_readout(
        raw: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        layout: HeadLayout,
    ) -> FloatTensor<Self>;

    /// act(x W + b), `[batch, fan_out]`, for x `[batch, fan_in]`, W
    /// `[fan_in, fan_out]`, b `[fan_out]`: burn's matrix product, then one
    /// kernel for the bias and the activation.
    fn dense(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        activation: Activation,
    ) -> FloatTensor<Self>;

    /// ∂L/∂h = `upstream` · (1 − y²) for y = tanh(h), both `[rows,
    /// columns]`.
    fn tanh_grad(y: FloatTensor<Self>, upstream: FloatTensor<Self>) -> FloatTensor<Self>;

    /// Σ over the rows of `input` `[rows, columns]` (columns < 65 536):
    /// `[1, columns]`, by workgroup trees (see [`reduce`]).
    fn batch_sum(input: FloatTensor<Self>) -> FloatTensor<Self>;

    /// One Adam step of a parameter of n values (any shape) from its
    /// gradient and two moments (the parameter's shape): `[3, n]`, the new
    /// parameter, first moment and second moment, row-major. Plain
    /// tensors: an optimiser step is not differentiated.
    fn adam(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        moment_1: FloatTensor<Self>,
        moment_2: FloatTensor<Self>,
        step: AdamStep,
    ) -> FloatTensor<Self>;
}

/// The launch geometry for `units` invocations, one per unit of work, on
/// `like`'s device.
fn geometry(like: &CubeTensor, units: usize) -> (CubeCount, CubeDim) {
    let cube_dim = CubeDim::new(&like.client, units);
    let cube_count = calculate_cube_count_elemwise(&like.client, units, cube_dim);
    (cube_count, cube_dim)
}

impl CubeOps for CubeBackend {
    fn grid_features(coords: CubeTensor, table: CubeTensor, layout: GridLayout) -> CubeTensor {
        grid::forward(coords, table, &layout)
    }

    fn grid_table_grad(coords: CubeTensor, grad: CubeTensor, layout: GridLayout) -> CubeTensor {
        grid::backward(coords, grad, &layout)
    }

    fn head_log_prob(raw: CubeTensor, targets: CubeTensor, layout: HeadLayout) -> CubeTensor {
        head::log_prob(raw, targets, &layout)
    }

    fn head_log_prob_grad(
        raw: CubeTensor,
        targets: CubeTensor,
        upstream: CubeTensor,
        layout: HeadLayout,
    ) -> CubeTensor {
        head::log_prob_grad(raw, targets, upstream, &layout)
    }

    fn head_readout(raw: CubeTensor, targets: CubeTensor, layout: HeadLayout) -> CubeTensor {
        head::readout(raw, targets, &layout)
    }

    fn dense(
        x: CubeTensor,
        weight: CubeTensor,
        bias: CubeTensor,
        activation: Activation,
    ) -> CubeTensor {
        let h = CubeBackend::float_matmul(x, weight);
        dense::bias_act(h, bias, activation == Activation::Tanh)
    }

    fn tanh_grad(y: CubeTensor, upstream: CubeTensor) -> CubeTensor {
        dense::tanh_grad(y, upstream)
    }

    fn batch_sum(input: CubeTensor) -> CubeTensor {
        reduce::batch_sum(input)
    }

    fn adam(
        param: CubeTensor,
        grad: CubeTensor,
        moment_1: CubeTensor,
        moment_2: CubeTensor,
        step: AdamStep,
    ) -> CubeTensor {
        adam::step(param, grad, moment_1, moment_2, step)
    }
}

/// Rows per block of the weight gradient's split product: the largest
/// divisor of `batch` up to 64, so that each invocation of the product sums
/// at most 64 rows; `None` where no block of at least 16 rows divides the
/// batch (or one block holds it all), and the product is left whole.
fn split_rows(batch: usize) -> Option<usize> {
    if batch <= 64 {
        return None;
    }
    (16..=64).rev().find(|rows| batch.is_multiple_of(*rows))
}

/// ∂L/∂W = Xᵀ G `[fan_in, fan_out]` for x `[batch, fan_in]` and ∂L/∂h
/// `grad` `[batch, fan_out]`: per block of [`split_rows`] rows a product
/// (one batched launch), then their sum over the blocks.
fn weight_grad(x: FloatTensor<Cube>, grad: FloatTensor<Cube>) -> FloatTensor<Cube> {
    let [batch, fan_in] = [x.shape()[0], x.shape()[1]];
    let fan_out = grad.shape()[1];
    let Some(rows) = split_rows(batch) else {
        return Cube::float_matmul(Cube::float_transpose(x), grad);
    };
    let blocks = batch / rows;
    let x = Cube::float_reshape(x, [blocks, rows, fan_in].into());
    let grad = Cube::float_reshape(grad, [blocks, rows, fan_out].into());
    let partial = Cube::float_matmul(Cube::float_swap_dims(x, 1, 2), grad);
    Cube::float_reshape(Cube::float_sum_dim(partial, 0), [fan_in, fan_out].into())
}

impl<C: CheckpointStrategy> CubeOps for Autodiff<Cube, C> {
    fn grid_features(
        coords: FloatTensor<Self>,
        table: FloatTensor<Self>,
        layout: GridLayout,
    ) -> FloatTensor<Self> {
        /// ∂L/∂table from ∂L/∂features (the coordinates are data: no
        /// gradient).
        #[derive(Debug)]
        struct GridBackward;

        impl Backward<Cube, 1> for GridBackward {
            /// The points and the grid's layout.
            type State = (FloatTensor<Cube>, GridLayout);

            fn backward(
                self,
                ops: Ops<Self::State, 1>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let upstream = grads.consume::<Cube>(&ops.node);
                let [Some(parent)] = ops.parents else {
                    return;
                };
                let (coords, layout) = ops.state;
                let grad = Cube::grid_table_grad(coords, upstream, layout);
                grads.register::<Cube>(parent.id, grad);
            }
        }

        let node = table.node();
        let coords = coords.into_primitive();
        let table = table.into_primitive();
        match GridBackward.prepare::<C>([node]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let features = Cube::grid_features(coords.clone(), table, layout);
                prep.finish((coords, layout), features)
            }
            OpsKind::UnTracked(prep) => prep.finish(Cube::grid_features(coords, table, layout)),
        }
    }

    fn grid_table_grad(
        coords: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        layout: GridLayout,
    ) -> FloatTensor<Self> {
        // Not differentiated: a constant of the graph.
        Self::from_inner(Cube::grid_table_grad(
            Self::inner(coords),
            Self::inner(grad),
            layout,
        ))
    }

    fn head_log_prob(
        raw: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        layout: HeadLayout,
    ) -> FloatTensor<Self> {
        /// ∂L/∂raw from ∂L/∂ log p (the targets are data: no gradient).
        #[derive(Debug)]
        struct HeadBackward;

        impl Backward<Cube, 1> for HeadBackward {
            /// The raw outputs, the targets and the head's layout.
            type State = (FloatTensor<Cube>, FloatTensor<Cube>, HeadLayout);

            fn backward(
                self,
                ops: Ops<Self::State, 1>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let upstream = grads.consume::<Cube>(&ops.node);
                let [Some(parent)] = ops.parents else {
                    return;
                };
                let (raw, targets, layout) = ops.state;
                let grad = Cube::head_log_prob_grad(raw, targets, upstream, layout);
                grads.register::<Cube>(parent.id, grad);
            }
        }

        let node = raw.node();
        let raw = raw.into_primitive();
        let targets = targets.into_primitive();
        match HeadBackward.prepare::<C>([node]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let log_prob = Cube::head_log_prob(raw.clone(), targets.clone(), layout);
                prep.finish((raw, targets, layout), log_prob)
            }
            OpsKind::UnTracked(prep) => prep.finish(Cube::head_log_prob(raw, targets, layout)),
        }
    }

    fn head_log_prob_grad(
        raw: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        upstream: FloatTensor<Self>,
        layout: HeadLayout,
    ) -> FloatTensor<Self> {
        // Not differentiated: a constant of the graph.
        Self::from_inner(Cube::head_log_prob_grad(
            Self::inner(raw),
            Self::inner(targets),
            Self::inner(upstream),
            layout,
        ))
    }

    fn head_readout(
        raw: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        layout: HeadLayout,
    ) -> FloatTensor<Self> {
        // Not differentiated: a repaint's values.
        Self::from_inner(Cube::head_readout(
            Self::inner(raw),
            Self::inner(targets),
            layout,
        ))
    }

    fn dense(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        activation: Activation,
    ) -> FloatTensor<Self> {
        /// ∂L/∂x = H' Wᵀ, ∂L/∂W = Xᵀ H' (split over the batch), ∂L/∂b =
        /// Σ_rows H', with H' = ∂L/∂h through the activation.
        #[derive(Debug)]
        struct DenseBackward;

        impl Backward<Cube, 3> for DenseBackward {
            /// The input x, the weight W, the output y and the activation.
            type State = (
                FloatTensor<Cube>,
                FloatTensor<Cube>,
                FloatTensor<Cube>,
                Activation,
            );

            fn backward(
                self,
                ops: Ops<Self::State, 3>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let upstream = grads.consume::<Cube>(&ops.node);
                let (x, weight, y, activation) = ops.state;
                let grad = match activation {
                    Activation::Tanh => Cube::tanh_grad(y, upstream),
                    Activation::Identity => upstream,
                };
                let [x_parent, weight_parent, bias_parent] = ops.parents;
                if let Some(parent) = x_parent {
                    let grad_x = Cube::float_matmul(grad.clone(), Cube::float_transpose(weight));
                    grads.register::<Cube>(parent.id, grad_x);
                }
                if let Some(parent) = weight_parent {
                    grads.register::<Cube>(parent.id, weight_grad(x, grad.clone()));
                }
                if let Some(parent) = bias_parent {
                    let fan_out = grad.shape()[1];
                    let grad_bias = Cube::float_reshape(Cube::batch_sum(grad), [fan_out].into());
                    grads.register::<Cube>(parent.id, grad_bias);
                }
            }
        }

        let nodes = [x.node(), weight.node(), bias.node()];
        let (x, weight, bias) = (
            x.into_primitive(),
            weight.into_primitive(),
            bias.into_primitive(),
        );
        match DenseBackward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let y = Cube::dense(x.clone(), weight.clone(), bias, activation);
                prep.finish((x, weight, y.clone(), activation), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(Cube::dense(x, weight, bias, activation)),
        }
    }

    fn tanh_grad(y: FloatTensor<Self>, upstream: FloatTensor<Self>) -> FloatTensor<Self> {
        // Not differentiated: a constant of the graph.
        Self::from_inner(Cube::tanh_grad(Self::inner(y), Self::inner(upstream)))
    }

    fn batch_sum(input: FloatTensor<Self>) -> FloatTensor<Self> {
        /// ∂L/∂input: ∂L/∂sum broadcast over the rows.
        #[derive(Debug)]
        struct SumBackward;

        impl Backward<Cube, 1> for SumBackward {
            /// The input's shape.
            type State = burn::tensor::Shape;

            fn backward(
                self,
                ops: Ops<Self::State, 1>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let upstream = grads.consume::<Cube>(&ops.node);
                let [Some(parent)] = ops.parents else {
                    return;
                };
                grads.register::<Cube>(parent.id, Cube::float_expand(upstream, ops.state));
            }
        }

        let node = input.node();
        let input = input.into_primitive();
        match SumBackward.prepare::<C>([node]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let shape = input.shape();
                prep.finish(shape, Cube::batch_sum(input))
            }
            OpsKind::UnTracked(prep) => prep.finish(Cube::batch_sum(input)),
        }
    }

    fn adam(
        param: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        moment_1: FloatTensor<Self>,
        moment_2: FloatTensor<Self>,
        step: AdamStep,
    ) -> FloatTensor<Self> {
        // Not differentiated: an optimiser step.
        Self::from_inner(Cube::adam(
            Self::inner(param),
            Self::inner(grad),
            Self::inner(moment_1),
            Self::inner(moment_2),
            step,
        ))
    }
}
