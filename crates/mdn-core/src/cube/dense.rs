//! A dense layer's element-wise ends, one kernel each: the bias and the
//! activation after the matrix product, and the activation's backward step
//! before the products of the backward pass. burn's matrix products do the
//! rest (`super`'s dense layer, with the weight gradient split over the
//! batch).

use burn::backend::TensorMetadata;
use burn::backend::ops::FloatTensorOps;
use burn::backend::wgpu::{CubeBackend, CubeTensor};
// The `#[cube]` macros name `cubecl`: burn's re-export.
use burn::cubecl;
use burn::cubecl::prelude::*;
use burn::tensor::FloatDType;

use super::geometry;

/// `y[r, c]` = act(`h[r, c]` + `bias[c]`) for `h` `[rows, columns]` (may
/// be strided) and `y` contiguous; act is tanh or the identity.
#[cube(launch)]
fn bias_act_kernel(
    h: &Tensor<f32>,
    bias: &Tensor<f32>,
    y: &mut Tensor<f32>,
    #[comptime] tanh: bool,
) {
    let columns = h.shape(1);
    if ABSOLUTE_POS >= h.shape(0) * columns {
        terminate!();
    }
    let row = ABSOLUTE_POS / columns;
    let column = ABSOLUTE_POS % columns;
    let mut value = h[row * h.stride(0) + column * h.stride(1)] + bias[column * bias.stride(0)];
    if comptime!(tanh) {
        value = value.tanh();
    }
    y[ABSOLUTE_POS] = value;
}

/// ∂L/∂h = `upstream` · (1 − y²), tanh's backward step from its output `y`
/// (contiguous); `upstream` `[rows, columns]` may be strided.
#[cube(launch)]
fn tanh_grad_kernel(y: &Tensor<f32>, upstream: &Tensor<f32>, grad: &mut Tensor<f32>) {
    let columns = y.shape(1);
    if ABSOLUTE_POS >= y.shape(0) * columns {
        terminate!();
    }
    let row = ABSOLUTE_POS / columns;
    let column = ABSOLUTE_POS % columns;
    let out = y[row * y.stride(0) + column * y.stride(1)];
    let g = upstream[row * upstream.stride(0) + column * upstream.stride(1)];
    grad[ABSOLUTE_POS] = g * (f32::new(1.0) - out * out);
}

/// Runs [`bias_act_kernel`]: `[rows, columns]`.
pub(super) fn bias_act(h: CubeTensor, bias: CubeTensor, tanh: bool) -> CubeTensor {
    let [rows, columns] = [h.shape()[0], h.shape()[1]];
    let y = CubeBackend::float_empty([rows, columns].into(), &h.device, FloatDType::F32);
    let (cube_count, cube_dim) = geometry(&h, rows * columns);
    let client = h.client.clone();
    bias_act_kernel::launch(
        &client,
        cube_count,
        cube_dim,
        h.into_tensor_arg(),
        bias.into_tensor_arg(),
        y.clone().into_tensor_arg(),
        tanh,
    );
    y
}

/// Runs [`tanh_grad_kernel`]: ∂L/∂h `[rows, columns]`.
pub(super) fn tanh_grad(y: CubeTensor, upstream: CubeTensor) -> CubeTensor {
    let [rows, columns] = [y.shape()[0], y.shape()[1]];
    let grad = CubeBackend::float_empty([rows, columns].into(), &y.device, FloatDType::F32);
    let (cube_count, cube_dim) = geometry(&y, rows * columns);
    let client = y.client.clone();
    tanh_grad_kernel::launch(
        &client,
        cube_count,
        cube_dim,
        y.into_tensor_arg(),
        upstream.into_tensor_arg(),
        grad.clone().into_tensor_arg(),
    );
    grad
}
