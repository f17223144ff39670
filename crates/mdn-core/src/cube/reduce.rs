//! Sums over the batch, column by column, as a tree in each workgroup:
//! one invocation per element, so that no invocation walks the batch.
//!
//! burn's reductions, without its autotune, give each output one
//! invocation that loops over the reduced axis: a bias's gradient (64
//! columns) was 64 invocations each summing 1024 rows, the loss's mean one
//! invocation summing them all. Here a workgroup of [`WIDTH`] invocations
//! loads [`WIDTH`] rows of one column, halves them in shared memory
//! (log₂ [`WIDTH`] rounds) and writes one partial sum; the partial sums,
//! a [`WIDTH`]th of the rows, go through the same kernel again until one
//! row is left (two launches for a batch of up to 65 536 rows).

use burn::backend::TensorMetadata;
use burn::backend::ops::FloatTensorOps;
use burn::backend::wgpu::{CubeBackend, CubeTensor};
// The `#[cube]` macros name `cubecl`: burn's re-export.
use burn::cubecl;
use burn::cubecl::prelude::*;
use burn::tensor::FloatDType;

/// Invocations per workgroup: WebGPU's guaranteed maximum
/// (`maxComputeInvocationsPerWorkgroup`), a power of two.
const WIDTH: usize = 256;

/// `partial[b, c]` = Σ of `input[r, c]` (`[rows, columns]`, may be
/// strided) over the rows r of block b (`WIDTH` rows). Workgroup (b, c),
/// one invocation per row of the block.
#[cube(launch)]
fn block_sum_kernel(input: &Tensor<f32>, partial: &mut Tensor<f32>, #[comptime] width: usize) {
    let rows = input.shape(0);
    let block = CUBE_POS_X as usize;
    let column = CUBE_POS_Y as usize;
    let unit = UNIT_POS as usize;
    let row = block * width + unit;
    let mut shared = Shared::<[f32]>::new_slice(width);
    let mut value = f32::new(0.0);
    if row < rows {
        value = input[row * input.stride(0) + column * input.stride(1)];
    }
    shared[unit] = value;
    sync_cube();
    let rounds = comptime!(width.trailing_zeros() as usize);
    for round in 0..rounds {
        let half = (width / 2) >> round;
        if unit < half {
            let sum = shared[unit] + shared[unit + half];
            shared[unit] = sum;
        }
        sync_cube();
    }
    if unit == 0 {
        let at = block * partial.stride(0) + column * partial.stride(1);
        partial[at] = shared[0];
    }
}

/// Σ over the rows of `input` `[rows, columns]` (columns < 65 536, the
/// workgroups' second dimension): `[1, columns]`; zeros for no rows.
pub(super) fn batch_sum(input: CubeTensor) -> CubeTensor {
    let mut input = input;
    loop {
        let [rows, columns] = [input.shape()[0], input.shape()[1]];
        if rows == 0 {
            return CubeBackend::float_zeros([1, columns].into(), &input.device, FloatDType::F32);
        }
        let blocks = rows.div_ceil(WIDTH);
        let partial =
            CubeBackend::float_empty([blocks, columns].into(), &input.device, FloatDType::F32);
        let client = input.client.clone();
        block_sum_kernel::launch(
            &client,
            CubeCount::Static(blocks as u32, columns as u32, 1),
            CubeDim::new_1d(WIDTH as u32),
            input.into_tensor_arg(),
            partial.clone().into_tensor_arg(),
            WIDTH,
        );
        if blocks == 1 {
            return partial;
        }
        input = partial;
    }
}
