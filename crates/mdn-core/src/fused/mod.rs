//! Fused kernels for burn's flex CPU backend: the trunk's tanh and the
//! mixture head's log-density, each one pass forward and one pass backward.
//!
//! flex runs every tensor operation as its own pass over memory, evaluates
//! `exp`, `log` and `tanh` one element at a time with libm, and autodiff
//! records each operation with its own backward step. Written with tensor
//! operations the head (log_softmax, the scale activation, the mixture
//! log-density) takes about fifty such passes, forward and backward, where
//! one loop over the samples suffices (W1 on a Zen 3 core: 5.1 → 1.5 ms
//! per step with both fused). This module gives the two to flex as a burn backend extension
//! (`#[backend_extension]`) with hand-written backward steps; on every
//! other backend (wgpu) the callers keep composing tensor operations, which
//! the GPU runs as fast kernels.
//!
//! - [`kernels`]: the loops on `f32` slices (vectorisable `exp`, `ln` and
//!   `tanh`, the head's log-density and its gradients);
//! - `split`: the same over rayon's thread pool (`rayon` feature);
//! - [`FusedOps`]: the extension trait, implemented for `Flex` and for
//!   `Autodiff<Flex>`;
//! - [`applies`], [`tanh`], [`head_log_prob`]: what the model calls.

pub mod kernels;
mod split;

use std::borrow::Cow;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, Flex, TensorMetadata, backend_extension};
use burn::tensor::{DType, Device, Tensor, TensorData};

use crate::mixture::MixtureHeadConfig;

/// Whether `tensor` takes the fused path: an f32 tensor on the flex device
/// (with or without autodiff).
pub fn applies<const D: usize>(tensor: &Tensor<D>) -> bool {
    tensor.dtype() == DType::F32 && tensor.device().without_autodiff() == Device::flex()
}

/// tanh, element-wise, in one pass (backward: one pass, from the output).
///
/// Only for tensors where [`applies`] holds; the result is within 1.4e-7 of
/// the exact tanh.
pub fn tanh<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    Tensor::from_dispatch(<Dispatch as FusedOps>::fused_tanh(x.into_dispatch()))
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
    /// tanh, element-wise; any shape.
    fn fused_tanh(x: FloatTensor<Self>) -> FloatTensor<Self>;

    /// The mixture head's log-density of [`head_log_prob`], `[batch]`.
    fn fused_head_log_prob(
        raw: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        head: MixtureHeadConfig,
    ) -> FloatTensor<Self>;
}

impl FusedOps for Flex {
    fn fused_tanh(x: FlexTensor) -> FlexTensor {
        map_f32(x, split::tanh_in_place)
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
    fn fused_tanh(x: FloatTensor<Self>) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct TanhBackward;

        impl Backward<Flex, 1> for TanhBackward {
            /// The forward output y: tanh' = 1 − y².
            type State = FlexTensor;

            fn backward(
                self,
                ops: Ops<FlexTensor, 1>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let [Some(parent)] = ops.parents else {
                    return;
                };
                let y = f32_slice(&ops.state);
                let grad = map_f32(grads.consume::<Flex>(&ops.node), |grad| {
                    kernels::tanh_backward_in_place(&y, grad)
                });
                grads.register::<Flex>(parent.id, grad);
            }
        }

        let guard = x.node();
        let y = Flex::fused_tanh(x.into_primitive());
        match TanhBackward
            .prepare::<C>([guard])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(y.clone(), y),
            OpsKind::UnTracked(prep) => prep.finish(y),
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
