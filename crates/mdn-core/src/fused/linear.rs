//! A dense layer y = act(x W + b) on `f32` slices, forward and backward,
//! with the batch cut into one block of rows per thread.
//!
//! flex runs a layer as separate passes: a zero-filled output buffer, one
//! matrix product that gemm spreads over the threads itself, a bias add and
//! the activation; backward, three more products and a column sum. For
//! the workloads' shapes (1024 rows, 128 wide) gemm's own split gains only
//! 1.3× on two cores, where two independent half-batch products gain 1.9×.
//! Here each thread takes a block of rows through the whole layer while
//! it is in cache: forward, bias rows, x·W accumulated onto them by gemm,
//! tanh; backward, tanh's derivative, the block's bias and weight gradient
//! (summed over blocks at the end) and its input gradient.
//!
//! The matrices are row-major: x `[rows, fan_in]`, W `[fan_in, fan_out]`
//! (burn's `Linear` layout), b `[fan_out]`, y `[rows, fan_out]`.

use std::mem::MaybeUninit;

use gemm::{Parallelism, gemm};

use super::{kernels, split};
use crate::spec::Activation;

/// Rows below which a block is not split further: smaller products cost
/// less than handing them to another thread.
const MIN_ROWS_PER_TASK: usize = 64;

/// A dense layer's sizes: `rows` samples, `fan_in` inputs, `fan_out` outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dense {
    /// Samples in the batch.
    pub rows: usize,
    /// Input width.
    pub fan_in: usize,
    /// Output width.
    pub fan_out: usize,
}

/// The gradients of a layer's loss with respect to its inputs and parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Grads {
    /// ∂L/∂x, `[rows, fan_in]`.
    pub x: Vec<f32>,
    /// ∂L/∂W, `[fan_in, fan_out]`.
    pub weight: Vec<f32>,
    /// ∂L/∂b, `[fan_out]`.
    pub bias: Vec<f32>,
}

/// y = act(x W + b), `[rows, fan_out]`.
///
/// # Panics
/// If a slice's length does not match `dense`, or a width is zero.
pub fn forward(
    dense: Dense,
    x: &[f32],
    weight: &[f32],
    bias: &[f32],
    activation: Activation,
) -> Vec<f32> {
    let block = split::rows_per_task(dense.rows, MIN_ROWS_PER_TASK);
    forward_in_blocks(dense, block, x, weight, bias, activation)
}

/// [`forward`] with the batch cut into blocks of `block` rows (≥ 1).
fn forward_in_blocks(
    dense: Dense,
    block: usize,
    x: &[f32],
    weight: &[f32],
    bias: &[f32],
    activation: Activation,
) -> Vec<f32> {
    dense.check(x, weight);
    assert_eq!(bias.len(), dense.fan_out, "dense layer: bias length");
    let Dense {
        rows,
        fan_in,
        fan_out,
    } = dense;
    let block = block.max(1);
    let mut y = Vec::with_capacity(rows * fan_out);
    let tasks: Vec<_> = y.spare_capacity_mut()[..rows * fan_out]
        .chunks_mut(block * fan_out)
        .zip(x.chunks(block * fan_in))
        .collect();
    split::run(tasks, |(y, x)| {
        for row in y.chunks_exact_mut(fan_out) {
            for (y, &b) in row.iter_mut().zip(bias) {
                y.write(b);
            }
        }
        // SAFETY: every element was written just above.
        let y = unsafe { assume_init(y) };
        let block_rows = y.len() / fan_out;
        matmul(
            y,
            true,
            View::row_major(x, block_rows, fan_in),
            View::row_major(weight, fan_in, fan_out),
        );
        if activation == Activation::Tanh {
            kernels::tanh_in_place(y);
        }
    });
    // SAFETY: the blocks cover all rows · fan_out elements (x holds rows ·
    // fan_in values, checked above, so zip cut none), each initialised.
    unsafe { y.set_len(rows * fan_out) };
    y
}

/// The backward pass from ∂L/∂y (`grad`, `[rows, fan_out]`), given the
/// forward pass's input x and output y (y is only read for tanh).
/// `grad` is overwritten with ∂L/∂(x W + b).
///
/// # Panics
/// If a slice's length does not match `dense`, or a width is zero.
pub fn backward(
    dense: Dense,
    x: &[f32],
    weight: &[f32],
    y: &[f32],
    activation: Activation,
    grad: &mut [f32],
) -> Grads {
    let block = split::rows_per_task(dense.rows, MIN_ROWS_PER_TASK);
    backward_in_blocks(dense, block, x, weight, y, activation, grad)
}

/// [`backward`] with the batch cut into blocks of `block` rows (≥ 1).
fn backward_in_blocks(
    dense: Dense,
    block: usize,
    x: &[f32],
    weight: &[f32],
    y: &[f32],
    activation: Activation,
    grad: &mut [f32],
) -> Grads {
    dense.check(x, weight);
    let Dense {
        rows,
        fan_in,
        fan_out,
    } = dense;
    assert_eq!(grad.len(), rows * fan_out, "dense layer: gradient length");
    if activation == Activation::Tanh {
        assert_eq!(y.len(), rows * fan_out, "dense layer: output length");
    }
    let block = block.max(1);
    let mut grad_x = Vec::with_capacity(rows * fan_in);
    let tasks: Vec<_> = grad
        .chunks_mut(block * fan_out)
        .zip(x.chunks(block * fan_in))
        .zip(grad_x.spare_capacity_mut()[..rows * fan_in].chunks_mut(block * fan_in))
        .enumerate()
        .collect();
    let partials = split::run(tasks, |(task, ((grad, x), grad_x))| {
        let block_rows = grad.len() / fan_out;
        if activation == Activation::Tanh {
            let start = task * block * fan_out;
            kernels::tanh_backward_in_place(&y[start..start + grad.len()], grad);
        }
        let mut grad_bias = vec![0.0; fan_out];
        for row in grad.chunks_exact(fan_out) {
            kernels::add_assign(&mut grad_bias, row);
        }
        let grad = View::row_major(grad, block_rows, fan_out);
        let mut grad_weight = Vec::with_capacity(fan_in * fan_out);
        matmul_uninit(
            &mut grad_weight.spare_capacity_mut()[..fan_in * fan_out],
            View::row_major(x, block_rows, fan_in).transposed(),
            grad,
        );
        // SAFETY: `matmul_uninit` wrote all fan_in · fan_out elements.
        unsafe { grad_weight.set_len(fan_in * fan_out) };
        matmul_uninit(
            grad_x,
            grad,
            View::row_major(weight, fan_in, fan_out).transposed(),
        );
        (grad_weight, grad_bias)
    });
    // SAFETY: the blocks cover all rows · fan_in elements of grad_x, each
    // written by `matmul_uninit`.
    unsafe { grad_x.set_len(rows * fan_in) };
    let mut partials = partials.into_iter();
    let (mut grad_weight, mut grad_bias) = partials
        .next()
        .unwrap_or_else(|| (vec![0.0; fan_in * fan_out], vec![0.0; fan_out]));
    for (weight, bias) in partials {
        kernels::add_assign(&mut grad_weight, &weight);
        kernels::add_assign(&mut grad_bias, &bias);
    }
    Grads {
        x: grad_x,
        weight: grad_weight,
        bias: grad_bias,
    }
}

impl Dense {
    fn check(&self, x: &[f32], weight: &[f32]) {
        assert!(
            self.fan_in > 0 && self.fan_out > 0,
            "dense layer: zero width ({self:?})"
        );
        assert_eq!(
            x.len(),
            self.rows * self.fan_in,
            "dense layer: input length"
        );
        assert_eq!(
            weight.len(),
            self.fan_in * self.fan_out,
            "dense layer: weight length"
        );
    }
}

/// A `[rows, cols]` matrix read from a slice with the given strides.
#[derive(Clone, Copy)]
struct View<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> View<'a> {
    /// `data` as a row-major `[rows, cols]` matrix.
    fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert_eq!(data.len(), rows * cols, "matrix view: length");
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    fn transposed(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }
}

/// `dst` (`[lhs.rows, rhs.cols]`, row-major) = lhs · rhs, added to what
/// `dst` holds when `accumulate`. Single-threaded: the callers split.
fn matmul(dst: &mut [f32], accumulate: bool, lhs: View, rhs: View) {
    assert_eq!(dst.len(), lhs.rows * rhs.cols, "matmul: output length");
    // SAFETY: `dst` holds the initialised output.
    unsafe { gemm_raw(dst.as_mut_ptr(), accumulate, lhs, rhs) }
}

/// `dst` (`[lhs.rows, rhs.cols]`, row-major) = lhs · rhs, written without
/// reading `dst`, so it may start uninitialised; every element is written.
fn matmul_uninit(dst: &mut [MaybeUninit<f32>], lhs: View, rhs: View) {
    assert_eq!(dst.len(), lhs.rows * rhs.cols, "matmul: output length");
    // SAFETY: with `accumulate` false gemm only writes `dst` (gemm's
    // `read_dst`), so uninitialised memory is never read.
    unsafe { gemm_raw(dst.as_mut_ptr().cast(), false, lhs, rhs) }
}

/// # Safety
/// `dst` must be valid for writes of `lhs.rows · rhs.cols` elements (and
/// initialised, for reads, when `accumulate`).
unsafe fn gemm_raw(dst: *mut f32, accumulate: bool, lhs: View, rhs: View) {
    assert_eq!(lhs.cols, rhs.rows, "matmul: inner dimensions");
    if lhs.rows == 0 || rhs.cols == 0 {
        return;
    }
    if lhs.cols == 0 {
        if !accumulate {
            // SAFETY: the caller's contract; an empty product is zero.
            unsafe { dst.write_bytes(0, lhs.rows * rhs.cols) };
        }
        return;
    }
    // The views' last elements lie inside their slices, so every read does.
    for view in [lhs, rhs] {
        let last = (view.rows - 1) * view.row_stride + (view.cols - 1) * view.col_stride;
        assert!(last < view.data.len(), "matmul: view out of bounds");
    }
    // SAFETY: reads stay inside the views (checked above), writes inside
    // `dst` (the caller's contract); gemm reads `dst` only when
    // `read_dst` (accumulate) is set. dst := 1·dst + 1·lhs·rhs.
    unsafe {
        gemm(
            lhs.rows,
            rhs.cols,
            lhs.cols,
            dst,
            1,
            rhs.cols as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// # Safety
/// Every element of `values` must be initialised.
unsafe fn assume_init(values: &mut [MaybeUninit<f32>]) -> &mut [f32] {
    // SAFETY: MaybeUninit<f32> has f32's layout; the caller guarantees
    // initialisation.
    unsafe { &mut *(values as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wave(len: usize, phase: usize, scale: f32) -> Vec<f32> {
        (0..len)
            .map(|i| ((i + phase) as f32 * 0.618).sin() * scale)
            .collect()
    }

    /// act(x W + b) by its definition, in f64.
    fn reference_forward(dense: Dense, x: &[f32], w: &[f32], b: &[f32], tanh: bool) -> Vec<f64> {
        let mut y = vec![0.0; dense.rows * dense.fan_out];
        for r in 0..dense.rows {
            for j in 0..dense.fan_out {
                let mut z = f64::from(b[j]);
                for i in 0..dense.fan_in {
                    z += f64::from(x[r * dense.fan_in + i]) * f64::from(w[i * dense.fan_out + j]);
                }
                y[r * dense.fan_out + j] = if tanh { z.tanh() } else { z };
            }
        }
        y
    }

    fn assert_close(got: &[f32], want: &[f64], tolerance: f64, what: &str) {
        assert_eq!(got.len(), want.len(), "{what}: length");
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            assert!(
                (f64::from(g) - w).abs() <= tolerance * (1.0 + w.abs()),
                "{what}[{i}] = {g}, want {w}"
            );
        }
    }

    /// Forward and backward against the definitions in f64, for both
    /// activations, in one block and in several with a short last one,
    /// for the loss L = Σ c ⊙ y with fixed weights c (so ∂L/∂y = c).
    #[test]
    fn dense_layer_matches_its_definition() {
        for (activation, block) in [
            (Activation::Identity, 1000),
            (Activation::Identity, 50),
            (Activation::Tanh, 1000),
            (Activation::Tanh, 50),
        ] {
            let tanh = activation == Activation::Tanh;
            let dense = Dense {
                rows: 203,
                fan_in: 7,
                fan_out: 5,
            };
            let x = wave(dense.rows * dense.fan_in, 0, 1.5);
            let w = wave(dense.fan_in * dense.fan_out, 3, 0.8);
            let b = wave(dense.fan_out, 11, 0.5);
            let c = wave(dense.rows * dense.fan_out, 17, 1.0);

            let y = forward_in_blocks(dense, block, &x, &w, &b, activation);
            let want_y = reference_forward(dense, &x, &w, &b, tanh);
            assert_close(&y, &want_y, 1e-6, "y");

            // ∂L/∂z = c ⊙ act'(z); then the three products by definition.
            let grad_z: Vec<f64> = c
                .iter()
                .zip(&want_y)
                .map(|(&c, &y)| f64::from(c) * if tanh { 1.0 - y * y } else { 1.0 })
                .collect();
            let (rows, fan_in, fan_out) = (dense.rows, dense.fan_in, dense.fan_out);
            let mut want_x = vec![0.0; rows * fan_in];
            let mut want_w = vec![0.0; fan_in * fan_out];
            let mut want_b = vec![0.0; fan_out];
            for r in 0..rows {
                for j in 0..fan_out {
                    let g = grad_z[r * fan_out + j];
                    want_b[j] += g;
                    for i in 0..fan_in {
                        want_x[r * fan_in + i] += g * f64::from(w[i * fan_out + j]);
                        want_w[i * fan_out + j] += g * f64::from(x[r * fan_in + i]);
                    }
                }
            }

            let mut grad = c.clone();
            let grads = backward_in_blocks(dense, block, &x, &w, &y, activation, &mut grad);
            assert_close(&grad, &grad_z, 1e-6, "grad_z");
            assert_close(&grads.x, &want_x, 1e-5, "grad_x");
            assert_close(&grads.weight, &want_w, 1e-5, "grad_weight");
            assert_close(&grads.bias, &want_b, 1e-5, "grad_bias");
        }
    }

    /// An empty batch gives empty outputs and zero parameter gradients.
    #[test]
    fn empty_batch() {
        let dense = Dense {
            rows: 0,
            fan_in: 3,
            fan_out: 2,
        };
        let (w, b) = (vec![1.0; 6], vec![1.0; 2]);
        assert!(forward(dense, &[], &w, &b, Activation::Tanh).is_empty());
        let grads = backward(dense, &[], &w, &[], Activation::Tanh, &mut []);
        assert!(grads.x.is_empty());
        assert_eq!(grads.weight, vec![0.0; 6]);
        assert_eq!(grads.bias, vec![0.0; 2]);
    }
}
