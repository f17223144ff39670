//! Adam's step of one parameter as one kernel: burn's `Adam` is thirteen
//! tensor operations per parameter, each its own kernel (burn's fusion is
//! not built, see [`super::CubeOps`]). One invocation per value
//! reads the parameter, its gradient and both moments once and writes the
//! three new values (the maths: [`crate::adam::update`]).

use burn::backend::TensorMetadata;
use burn::backend::ops::FloatTensorOps;
use burn::backend::wgpu::{CubeBackend, CubeTensor};
// The `#[cube]` macros name `cubecl`: burn's re-export.
use burn::cubecl;
use burn::cubecl::prelude::*;
use burn::tensor::FloatDType;

use super::geometry;
use crate::adam::AdamStep;

/// Where value `index` (row-major over the shape) of `tensor` lies.
#[cube]
fn offset(tensor: &Tensor<f32>, index: usize) -> usize {
    let rank = tensor.rank();
    let mut rest = index;
    let mut at = 0;
    for back in 0..rank {
        let dim = rank - 1 - back;
        at += (rest % tensor.shape(dim)) * tensor.stride(dim);
        rest /= tensor.shape(dim);
    }
    at
}

/// `out` `[3, n]` (contiguous): the new parameter, first and second moment
/// of the n values of `param`, `grad`, `moment_1` and `moment_2` (the
/// parameter's shape, any strides). The scalars are [`crate::adam::Factors`].
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn adam_kernel(
    param: &Tensor<f32>,
    grad: &Tensor<f32>,
    moment_1: &Tensor<f32>,
    moment_2: &Tensor<f32>,
    out: &mut Tensor<f32>,
    beta_1: f32,
    one_minus_beta_1: f32,
    beta_2: f32,
    one_minus_beta_2: f32,
    combined: f32,
    epsilon: f32,
    lr: f32,
) {
    let n = out.shape(1);
    let i = ABSOLUTE_POS;
    if i >= n {
        terminate!();
    }
    let g = grad[offset(grad, i)];
    let m = moment_1[offset(moment_1, i)] * beta_1 + g * one_minus_beta_1;
    let v = moment_2[offset(moment_2, i)] * beta_2 + (g * g) * one_minus_beta_2;
    let step = (m * combined) / (v.sqrt() + epsilon);
    out[i] = param[offset(param, i)] - step * lr;
    out[n + i] = m;
    out[2 * n + i] = v;
}

/// Runs [`adam_kernel`]: `[3, n]`, the new parameter, first moment and
/// second moment of a parameter of n values.
pub(super) fn step(
    param: CubeTensor,
    grad: CubeTensor,
    moment_1: CubeTensor,
    moment_2: CubeTensor,
    step: AdamStep,
) -> CubeTensor {
    let n = param.shape().num_elements();
    let out = CubeBackend::float_empty([3, n].into(), &param.device, FloatDType::F32);
    let factors = step.factors();
    let (cube_count, cube_dim) = geometry(&param, n);
    let client = param.client.clone();
    adam_kernel::launch(
        &client,
        cube_count,
        cube_dim,
        param.into_tensor_arg(),
        grad.into_tensor_arg(),
        moment_1.into_tensor_arg(),
        moment_2.into_tensor_arg(),
        out.clone().into_tensor_arg(),
        factors.beta_1,
        factors.one_minus_beta_1,
        factors.beta_2,
        factors.one_minus_beta_2,
        factors.combined,
        factors.epsilon,
        factors.lr,
    );
    out
}
