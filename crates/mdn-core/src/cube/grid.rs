//! The learned multiresolution grid's two kernels: one forward and one
//! backward.
//!
//! Composed from burn's tensor operations, the grid took 4 `select`s and
//! some 25 element-wise kernels per level forward, and backward burn's
//! `select_assign` for each `select`: one invocation per feature column (4)
//! that walks the whole batch serially, so a W5 step spent most of its
//! time in 20 kernels of 4 invocations each. Here every kernel has one
//! invocation per (sample, level, feature), none loops over the batch:
//!
//! - forward, [`grid_forward_kernel`]: the bilinear interpolation of the
//!   four nodes around the sample (Müller et al. 2022, "Instant Neural
//!   Graphics Primitives with a Multiresolution Hash Encoding", §3);
//! - backward, [`grid_backward_kernel`]: ∂L/∂table, each invocation adding
//!   its sample's gradient times each corner's weight to that corner's
//!   row. Samples share rows, so the adds are atomic; WebGPU has no float
//!   atomics, so each f32 lives in an `atomic<u32>` (its bits) and is added
//!   to with two atomic exchanges (take the cell's value leaving 0, put
//!   back the sum; whatever another invocation put there meanwhile comes
//!   back and is carried into the next round, until 0 comes back). A
//!   compare-and-swap loop, which TensorFlow.js's WebGPU scatter uses,
//!   needs `atomicCompareExchangeWeak`'s `exchanged` flag (WGSL lets it
//!   fail spuriously), and cubecl 0.11 returns only the old value. The
//!   order of the adds varies between runs, so the gradient's rounding
//!   does (by an f32 ulp or so).

use burn::backend::TensorMetadata;
use burn::backend::ops::FloatTensorOps;
use burn::backend::wgpu::{CubeBackend, CubeTensor};
// The `#[cube]` macros name `cubecl`: burn's re-export.
use burn::cubecl;
use burn::cubecl::prelude::*;
use burn::tensor::FloatDType;

use super::geometry;
use crate::spec::{GRID_HASH_PRIME, GridLayout};

/// Per level, four `u32`s: side R, the level's first row in the table,
/// whether it is hashed (0 or 1), and the hashed table's size − 1 (a mask:
/// sizes are powers of two). The kernels spell out the 4.
const LEVEL_FIELDS: usize = 4;

/// The row of node (i, j) of `level` (see [`crate::spec::GridLevel::row`]):
/// j·R + i on a dense level, (i ⊕ j·π) mod T on a hashed one, plus the
/// level's offset. u32 arithmetic wraps as the spec's i32 does, and the
/// mask keeps the low bits, which are the same in both.
#[cube]
fn node_row(levels: &[u32], level: usize, i: u32, j: u32) -> usize {
    let base = level * 4;
    let side = levels[base];
    let mut local = j * side + i;
    if levels[base + 2] == 1 {
        local = (i ^ (j * 2_654_435_761u32)) & levels[base + 3];
    }
    usize::cast_from(levels[base + 1] + local)
}

/// The cell of (x, y) on `level` and the offsets in it: the lower corner
/// (i, j), one short of the last node, and (fx, fy) in [0, 1]
/// (as the CPU's fused grid computes them, `fused::grid::corners`).
#[cube]
fn cell(levels: &[u32], level: usize, x: f32, y: f32) -> (u32, u32, f32, f32) {
    let side = levels[level * 4];
    let last = f32::cast_from(side - 1);
    let mut u = (x + f32::new(1.0)) * f32::new(0.5) * last;
    let mut v = (y + f32::new(1.0)) * f32::new(0.5) * last;
    if u < f32::new(0.0) {
        u = f32::new(0.0);
    }
    if u > last {
        u = last;
    }
    if v < f32::new(0.0) {
        v = f32::new(0.0);
    }
    if v > last {
        v = last;
    }
    let mut i = u32::cast_from(u.floor());
    let mut j = u32::cast_from(v.floor());
    if i > side - 2 {
        i = side - 2;
    }
    if j > side - 2 {
        j = side - 2;
    }
    (i, j, u - f32::cast_from(i), v - f32::cast_from(j))
}

/// Forward: `features[s, l·F + f]` = Σ over the four corners of sample s's
/// cell on level l of weight · `table[corner, f]`. One invocation per
/// element of `features` (`[batch, L · F]`); `coords` `[batch, 2]` and
/// `table` `[rows, F]` may be strided.
#[cube(launch)]
fn grid_forward_kernel(
    coords: &Tensor<f32>,
    table: &Tensor<f32>,
    levels: &[u32],
    features: &mut Tensor<f32>,
    #[comptime] level_count: usize,
    #[comptime] feature_count: usize,
) {
    let width = level_count * feature_count;
    let batch = coords.shape(0);
    if ABSOLUTE_POS >= batch * width {
        terminate!();
    }
    let sample = ABSOLUTE_POS / width;
    let column = ABSOLUTE_POS % width;
    let level = column / feature_count;
    let feature = column % feature_count;
    let x = coords[sample * coords.stride(0)];
    let y = coords[sample * coords.stride(0) + coords.stride(1)];
    let (i, j, fx, fy) = cell(levels, level, x, y);
    let (gx, gy) = (f32::new(1.0) - fx, f32::new(1.0) - fy);
    let column_offset = feature * table.stride(1);
    let stride = table.stride(0);
    let value = gx * gy * table[node_row(levels, level, i, j) * stride + column_offset]
        + fx * gy * table[node_row(levels, level, i + 1, j) * stride + column_offset]
        + gx * fy * table[node_row(levels, level, i, j + 1) * stride + column_offset]
        + fx * fy * table[node_row(levels, level, i + 1, j + 1) * stride + column_offset];
    let at = sample * features.stride(0) + column * features.stride(1);
    features[at] = value;
}

/// `cells[index] += value`, the f32 kept as its bits in an atomic u32, by
/// atomic exchanges (see the module's documentation). What it carries is
/// never lost: it is either in the cell or in hand.
#[cube]
fn add_f32(cells: &Tensor<Atomic<u32>>, index: usize, value: f32) {
    let mut carry = value;
    while carry != f32::new(0.0) {
        let taken = f32::reinterpret(cells[index].exchange(0u32));
        let sum = taken + carry;
        carry = f32::reinterpret(cells[index].exchange(u32::reinterpret(sum)));
    }
}

/// Backward: for every element (s, l·F + f) of `grad` (∂L/∂features,
/// `[batch, L · F]`, may be strided), its value times each corner's weight
/// added to `table_grad[corner, f]` (∂L/∂table, `[rows, F]`, zeros on
/// entry, its f32s read as their bits). One invocation per element of
/// `grad`.
#[cube(launch)]
fn grid_backward_kernel(
    coords: &Tensor<f32>,
    grad: &Tensor<f32>,
    levels: &[u32],
    table_grad: &Tensor<Atomic<u32>>,
    #[comptime] level_count: usize,
    #[comptime] feature_count: usize,
) {
    let width = level_count * feature_count;
    let batch = coords.shape(0);
    if ABSOLUTE_POS >= batch * width {
        terminate!();
    }
    let sample = ABSOLUTE_POS / width;
    let column = ABSOLUTE_POS % width;
    let level = column / feature_count;
    let feature = column % feature_count;
    let g = grad[sample * grad.stride(0) + column * grad.stride(1)];
    let x = coords[sample * coords.stride(0)];
    let y = coords[sample * coords.stride(0) + coords.stride(1)];
    let (i, j, fx, fy) = cell(levels, level, x, y);
    let (gx, gy) = (f32::new(1.0) - fx, f32::new(1.0) - fy);
    let stride = table_grad.stride(0);
    let column_offset = feature * table_grad.stride(1);
    add_f32(
        table_grad,
        node_row(levels, level, i, j) * stride + column_offset,
        gx * gy * g,
    );
    add_f32(
        table_grad,
        node_row(levels, level, i + 1, j) * stride + column_offset,
        fx * gy * g,
    );
    add_f32(
        table_grad,
        node_row(levels, level, i, j + 1) * stride + column_offset,
        gx * fy * g,
    );
    add_f32(
        table_grad,
        node_row(levels, level, i + 1, j + 1) * stride + column_offset,
        fx * fy * g,
    );
}

/// The layout's levels as [`LEVEL_FIELDS`] `u32`s each, uploaded to the
/// device of `like` (a few bytes, written with the step's other uploads).
fn level_table(like: &CubeTensor, layout: &GridLayout) -> (burn::cubecl::server::Handle, usize) {
    // The hash constant the kernel spells out is the spec's.
    const _: () = assert!(GRID_HASH_PRIME as u32 == 2_654_435_761);
    let fields: Vec<u32> = (0..layout.levels)
        .flat_map(|l| {
            let level = layout.level(l);
            [
                level.side as u32,
                level.offset as u32,
                u32::from(level.hashed),
                level.table.saturating_sub(1) as u32,
            ]
        })
        .collect();
    debug_assert_eq!(fields.len(), layout.levels * LEVEL_FIELDS);
    let bytes: Vec<u8> = fields.iter().flat_map(|v| v.to_le_bytes()).collect();
    (like.client.create_from_slice(&bytes), fields.len())
}

/// Runs [`grid_forward_kernel`]: features `[batch, L · F]`.
pub(super) fn forward(coords: CubeTensor, table: CubeTensor, layout: &GridLayout) -> CubeTensor {
    let batch = coords.shape()[0];
    let features = CubeBackend::float_empty(
        [batch, layout.outputs()].into(),
        &coords.device,
        FloatDType::F32,
    );
    let (levels, fields) = level_table(&coords, layout);
    let (cube_count, cube_dim) = geometry(&coords, batch * layout.outputs());
    let client = coords.client.clone();
    grid_forward_kernel::launch(
        &client,
        cube_count,
        cube_dim,
        coords.into_tensor_arg(),
        table.into_tensor_arg(),
        // SAFETY: `levels` holds exactly `fields` u32s.
        unsafe { BufferArg::from_raw_parts(levels, fields) },
        features.clone().into_tensor_arg(),
        layout.levels,
        layout.features,
    );
    features
}

/// Runs [`grid_backward_kernel`]: ∂L/∂table `[rows, F]` from ∂L/∂features
/// `grad` `[batch, L · F]`.
pub(super) fn backward(coords: CubeTensor, grad: CubeTensor, layout: &GridLayout) -> CubeTensor {
    let batch = coords.shape()[0];
    let rows = layout.total_entries();
    let table_grad = CubeBackend::float_zeros(
        [rows, layout.features].into(),
        &coords.device,
        FloatDType::F32,
    );
    let (levels, fields) = level_table(&coords, layout);
    let (cube_count, cube_dim) = geometry(&coords, batch * layout.outputs());
    let client = coords.client.clone();
    grid_backward_kernel::launch(
        &client,
        cube_count,
        cube_dim,
        coords.into_tensor_arg(),
        grad.into_tensor_arg(),
        // SAFETY: `levels` holds exactly `fields` u32s.
        unsafe { BufferArg::from_raw_parts(levels, fields) },
        // Fresh zeros, their f32s read as their bits.
        table_grad.clone().into_tensor_arg(),
        layout.levels,
        layout.features,
    );
    table_grad
}
