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
//! through all three while they are in cache (W2 with two threads: see
//! [`linear`]). This module gives these to flex as a burn backend extension
//! (`#[backend_extension]`) with hand-written backward steps; on every
//! other backend (wgpu) the callers keep composing tensor operations, which
//! the GPU runs as fast kernels.
//!
//! - [`kernels`]: the loops on `f32` slices (vectorisable `exp`, `ln` and
//!   `tanh`, the head's log-density and its gradients);
//! - [`linear`]: a dense layer's forward and backward on slices (gemm for
//!   the products);
//! - `split`: the same over rayon's thread pool (`rayon` feature);
//! - [`FusedOps`]: the extension trait, implemented for `Flex` and for
//!   `Autodiff<Flex>`;
//! - [`applies`], [`dense`], [`head_log_prob`]: what the model calls.

pub mod kernels;
pub mod linear;
mod split;

use std::borrow::Cow;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, Flex, TensorMetadata, backend_extension};
use burn::nn::Linear;
use burn::tensor::{DType, Device, Tensor, TensorData};

use crate::mixture::MixtureHeadConfig;
use linear::{Activation, Dense};

/// Whether `tensor` takes the fused path: an f32 tensor on the flex device
/// (with or without autodiff).
pub fn applies<const D: usize>(tensor: &Tensor<D>) -> bool {
    tensor.dtype() == DType::F32 && tensor.device().without_autodiff() == Device::flex()
}

/// act(x W + b), `[batch, fan_out]`, of a burn `Linear` layer for inputs
/// x `[batch, fan_in]`: on flex (where [`applies`] holds and the layer
/// has a bias) the fused layer of [`linear`], one pass forward and one
/// backward; elsewhere `layer.forward` then, for [`Activation::Tanh`], the
/// backend's tanh. The fused tanh is within 1.4e-7 of the exact value.
pub fn dense(layer: &Linear, x: Tensor<2>, activation: Activation) -> Tensor<2> {
    match &layer.bias {
        Some(bias) if applies(&x) => Tensor::from_dispatch(<Dispatch as FusedOps>::fused_linear(
            x.into_dispatch(),
            layer.weight.val().into_dispatch(),
            bias.val().into_dispatch(),
            activation,
        )),
        _ => {
            let z = layer.forward(x);
            match activation {
                Activation::Identity => z,
                Activation::Tanh => z.tanh(),
            }
        }
    }
}

/// log p(y_i | x_i), `[batch]` in nats, of the mixtures a head described by
/// `head` reads from its raw outputs `raw` (`[batch, head.outputs()]`), at
/// `targets` (`[batch, D]`): what `head.forward` then
/// [`crate::mixture::Mixture::log_prob`] compute, in one pass forward and
/// one backward ([`kernels::head_log_prob`]; no gradient reaches the
/// targets).
///
/// Only for tensors where [`applies`] holds, and D ≤ [`kernels::MAX_DIM`].
pub fn head_log_prob(raw: Tensor<2>, targets: Tensor<2>, head: MixtureHeadConfig) -> Tensor<1> {
    Tensor::from_dispatch(<Dispatch as FusedOps>::fused_head_log_prob(
        raw.into_dispatch(),
        targets.into_dispatch(),
        head,
    ))
}

/// The fused operations as a burn backend extension. Only flex (and
/// autodiff over flex) implement it: calling it on another backend panics,
/// which [`applies`] prevents.
#[backend_extension(Flex, Autodiff)]
pub trait FusedOps: Backend {
    /// act(x W + b) for x `[batch, fan_in]`, W `[fan_in, fan_out]`, b
    /// `[fan_out]`: `[batch, fan_out]`.
    fn fused_linear(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        activation: Activation,
    ) -> FloatTensor<Self>;

    /// The mixture head's log-density of [`head_log_prob`], `[batch]`.
    fn fused_head_log_prob(
        raw: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        head: MixtureHeadConfig,
    ) -> FloatTensor<Self>;
}

impl FusedOps for Flex {
    fn fused_linear(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        activation: Activation,
    ) -> FlexTensor {
        let dense = dense_shape(&x, &weight);
        let y = linear::forward(
            dense,
            &f32_slice(&x),
            &f32_slice(&weight),
            &f32_slice(&bias),
            activation,
        );
        from_f32(y, [dense.rows, dense.fan_out].into())
    }

    fn fused_head_log_prob(
        raw: FlexTensor,
        targets: FlexTensor,
        head: MixtureHeadConfig,
    ) -> FlexTensor {
        let batch = raw.shape()[0];
        let log_prob = split::head_log_prob(&head, &f32_slice(&raw), &f32_slice(&targets), None);
        from_f32(log_prob, [batch].into())
    }
}

impl<C: CheckpointStrategy> FusedOps for Autodiff<Flex, C> {
    fn fused_linear(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        activation: Activation,
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct LinearBackward;

        impl Backward<Flex, 3> for LinearBackward {
            /// The forward pass's input x, weight W and output y.
            type State = (FlexTensor, FlexTensor, FlexTensor, Activation);

            fn backward(
                self,
                ops: Ops<Self::State, 3>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let upstream = grads.consume::<Flex>(&ops.node);
                let (x, weight, y, activation) = ops.state;
                let dense = dense_shape(&x, &weight);
                let mut layer_grads = None;
                map_f32(upstream, |grad| {
                    layer_grads = Some(linear::backward(
                        dense,
                        &f32_slice(&x),
                        &f32_slice(&weight),
                        &f32_slice(&y),
                        activation,
                        grad,
                    ));
                });
                let Some(layer_grads) = layer_grads else {
                    return;
                };
                let [x_parent, weight_parent, bias_parent] = ops.parents;
                let Dense {
                    rows,
                    fan_in,
                    fan_out,
                } = dense;
                if let Some(parent) = x_parent {
                    grads.register::<Flex>(
                        parent.id,
                        from_f32(layer_grads.x, [rows, fan_in].into()),
                    );
                }
                if let Some(parent) = weight_parent {
                    let grad = from_f32(layer_grads.weight, [fan_in, fan_out].into());
                    grads.register::<Flex>(parent.id, grad);
                }
                if let Some(parent) = bias_parent {
                    grads.register::<Flex>(parent.id, from_f32(layer_grads.bias, [fan_out].into()));
                }
            }
        }

        let nodes = [x.node(), weight.node(), bias.node()];
        let (x, weight, bias) = (
            x.into_primitive(),
            weight.into_primitive(),
            bias.into_primitive(),
        );
        match LinearBackward
            .prepare::<C>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let y = Flex::fused_linear(x.clone(), weight.clone(), bias, activation);
                prep.finish((x, weight, y.clone(), activation), y)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(Flex::fused_linear(x, weight, bias, activation))
            }
        }
    }

    fn fused_head_log_prob(
        raw: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        head: MixtureHeadConfig,
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
                    &head,
                    &f32_slice(&raw),
                    &f32_slice(&targets),
                    Some(&mut grad),
                );
                let batch = shape[0];
                prep.finish(from_f32(grad, shape), from_f32(log_prob, [batch].into()))
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::fused_head_log_prob(raw, targets, head)),
        }
    }
}

/// The sizes of a dense layer with input `x` `[rows, fan_in]` and weight
/// `[fan_in, fan_out]`.
fn dense_shape(x: &FlexTensor, weight: &FlexTensor) -> Dense {
    let (x, weight) = (x.shape(), weight.shape());
    Dense {
        rows: x[0],
        fan_in: x[1],
        fan_out: weight[1],
    }
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
    let mut tensor = if tensor.is_contiguous() {
        tensor
    } else {
        tensor.to_contiguous()
    };
    let (start, end) = tensor
        .layout()
        .contiguous_offsets()
        .unwrap_or((0, tensor.layout().num_elements()));
    f(&mut tensor.storage_mut::<f32>()[start..end]);
    tensor
}

fn from_f32(values: Vec<f32>, shape: burn::tensor::Shape) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}
