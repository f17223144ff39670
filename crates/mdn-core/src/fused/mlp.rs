//! A stack of dense layers y_l = act_l(y_{l−1} W_l + b_l) (an MLP: an MDN's
//! tanh trunk and its head's linear layer) on `f32` slices, forward and
//! backward, with the batch cut into one block of rows per thread.
//!
//! flex runs a layer as separate passes: a zero-filled output buffer, one
//! matrix product that gemm spreads over the threads itself, a bias add and
//! the activation; backward, three more products and a column sum. For
//! the workloads' shapes (1024 rows, 128 wide) gemm's own split gains only
//! 1.3× on two cores, where two independent half-batch products gain 1.9×.
//! Here each thread takes a block of rows through every layer of the stack
//! while it is in cache: forward, bias rows, x·W accumulated onto them by
//! gemm, tanh; backward, from the last layer to the first, tanh's
//! derivative, the block's bias and weight gradients (summed over blocks at
//! the end) and its input gradient. The whole stack is one pass each way,
//! not one per layer, because every pass over the pool is a hand-off to
//! its other threads, which in the browser's threaded module cost more
//! than the smaller layers' work (docs/PERFORMANCE.md, "Threads").
//!
//! The matrices are row-major: x `[rows, fan_in]`, W `[fan_in, fan_out]`
//! (burn's `Linear` layout), b `[fan_out]`, y `[rows, fan_out]`. The
//! parameters come packed in one slice, layer by layer, each W then its b
//! ([`Layer::params`]).

use std::mem::MaybeUninit;

use gemm::{Parallelism, gemm};

use super::{kernels, split};
use crate::spec::Activation;

/// Rows below which a block is not split further: smaller products cost
/// less than handing them to another thread.
const MIN_ROWS_PER_TASK: usize = 64;

/// Rows that go through the stack together in a pass that keeps no
/// layer's output ([`infer`], a repaint's pass over every pixel): each
/// chunk's outputs go in buffers of their own (256 kB for a 128-wide
/// layer), not a whole painting's. Training passes keep every layer's
/// output anyway, and take each task's block whole: chunks of 256 rows
/// there measured no faster in the wasm, within this machine's noise
/// (docs/PERFORMANCE.md, "Threads").
const INFER_CHUNK_ROWS: usize = 512;

/// The rows per task of a pass over `rows` rows: one block per thread.
fn block_rows(rows: usize) -> usize {
    split::rows_per_task(rows, MIN_ROWS_PER_TASK)
}

/// One dense layer's sizes and activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layer {
    /// Input width (≥ 1).
    pub fan_in: usize,
    /// Output width (≥ 1).
    pub fan_out: usize,
    /// Applied to x W + b.
    pub activation: Activation,
}

impl Layer {
    /// The layer's parameters in the packed slice: W's fan_in · fan_out
    /// values, then b's fan_out.
    pub fn params(&self) -> usize {
        (self.fan_in + 1) * self.fan_out
    }
}

/// The gradients of a stack's loss with respect to its inputs and
/// parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Grads {
    /// ∂L/∂x, `[rows, fan_in]` of the first layer, where asked for.
    pub x: Option<Vec<f32>>,
    /// ∂L/∂θ, packed as the parameters are.
    pub params: Vec<f32>,
}

/// The outputs of every layer, `[rows, fan_out]` each, first layer first,
/// from the stack `layers` on inputs x (`[rows, fan_in]` of the first
/// layer) with the packed parameters `params`: what [`backward`] needs.
///
/// # Panics
/// If `layers` is empty, a width is zero, consecutive widths differ, or a
/// slice's length does not match.
pub fn forward(layers: &[Layer], x: &[f32], params: &[f32]) -> Vec<Vec<f32>> {
    let rows = check(layers, x, params);
    forward_in_blocks(layers, rows, block_rows(rows), x, params)
}

/// [`forward`] with the batch cut into blocks of `block` rows (≥ 1).
fn forward_in_blocks(
    layers: &[Layer],
    rows: usize,
    block: usize,
    x: &[f32],
    params: &[f32],
) -> Vec<Vec<f32>> {
    let block = block.max(1);
    let mut outputs: Vec<Vec<f32>> = layers
        .iter()
        .map(|layer| Vec::with_capacity(rows * layer.fan_out))
        .collect();
    let mut blocks: Vec<_> = outputs
        .iter_mut()
        .zip(layers)
        .map(|(y, layer)| {
            y.spare_capacity_mut()[..rows * layer.fan_out].chunks_mut(block * layer.fan_out)
        })
        .collect();
    let fan_in = layers[0].fan_in;
    let tasks: Vec<_> = x
        .chunks(block * fan_in)
        .map(|x| {
            let ys: Vec<_> = blocks.iter_mut().filter_map(Iterator::next).collect();
            (x, ys)
        })
        .collect();
    split::run(tasks, |(x, mut ys)| {
        let mut input = x;
        for ((layer, (weight, bias)), y) in
            layers.iter().zip(layer_params(layers, params)).zip(&mut ys)
        {
            input = layer_forward(*layer, input, weight, bias, y);
        }
    });
    for (y, layer) in outputs.iter_mut().zip(layers) {
        // SAFETY: the blocks cover all rows · fan_out elements of every
        // layer's output (x holds rows · fan_in values, checked, so zip
        // cut none), each element written by `layer_forward`.
        unsafe { y.set_len(rows * layer.fan_out) };
    }
    outputs
}

/// The last layer's output of [`forward`], `[rows, fan_out]`, keeping no
/// other layer's: each chunk of rows goes through the stack in buffers of
/// its own, freed with it.
///
/// # Panics
/// As [`forward`].
pub fn infer(layers: &[Layer], x: &[f32], params: &[f32]) -> Vec<f32> {
    let rows = check(layers, x, params);
    infer_in_blocks(
        layers,
        rows,
        (block_rows(rows), INFER_CHUNK_ROWS),
        x,
        params,
    )
}

/// [`infer`] with the batch cut into blocks of `block` rows, each taken
/// through the stack `chunk` rows at a time (both ≥ 1).
fn infer_in_blocks(
    layers: &[Layer],
    rows: usize,
    (block, chunk): (usize, usize),
    x: &[f32],
    params: &[f32],
) -> Vec<f32> {
    let (block, chunk) = (block.max(1), chunk.max(1));
    let fan_in = layers[0].fan_in;
    let (hidden, last) = layers.split_at(layers.len() - 1);
    let fan_out = last[0].fan_out;
    let mut y = Vec::with_capacity(rows * fan_out);
    let tasks: Vec<_> = y.spare_capacity_mut()[..rows * fan_out]
        .chunks_mut(block * fan_out)
        .zip(x.chunks(block * fan_in))
        .collect();
    split::run(tasks, |(y, x)| {
        // Two buffers per task, each hidden layer reading one and writing
        // the other, reused from chunk to chunk.
        let (mut read, mut write) = (Vec::new(), Vec::new());
        let block_rows = x.len() / fan_in;
        for start in (0..block_rows).step_by(chunk) {
            let rows = start..(start + chunk).min(block_rows);
            let mut params = layer_params(layers, params);
            let mut input = &x[rows.start * fan_in..rows.end * fan_in];
            for layer in hidden {
                let (weight, bias) = params.next().expect("a layer's parameters");
                let values = rows.len() * layer.fan_out;
                write.clear();
                write.reserve(values);
                layer_forward(
                    *layer,
                    input,
                    weight,
                    bias,
                    &mut write.spare_capacity_mut()[..values],
                );
                // SAFETY: `layer_forward` wrote every element.
                unsafe { write.set_len(values) };
                std::mem::swap(&mut read, &mut write);
                input = &read;
            }
            let (weight, bias) = params.next().expect("the last layer's parameters");
            let y = &mut y[rows.start * fan_out..rows.end * fan_out];
            layer_forward(last[0], input, weight, bias, y);
        }
    });
    // SAFETY: as in `forward_in_blocks`, for the last layer, whose every
    // block the chunks cover.
    unsafe { y.set_len(rows * fan_out) };
    y
}

/// The backward pass from ∂L/∂y of the last layer (`grad`, `[rows,
/// fan_out]`), given the forward pass's input x and every layer's output
/// ([`forward`]); ∂L/∂x only where `want_x` (the first layer's input is
/// often data, which needs none).
///
/// # Panics
/// As [`forward`], or if `outputs` or `grad` do not match.
pub fn backward(
    layers: &[Layer],
    x: &[f32],
    params: &[f32],
    outputs: &[&[f32]],
    grad: &[f32],
    want_x: bool,
) -> Grads {
    let rows = check(layers, x, params);
    backward_in_blocks(
        layers,
        rows,
        block_rows(rows),
        (x, params, outputs),
        grad,
        want_x,
    )
}

/// [`backward`] with the batch cut into blocks of `block` rows (≥ 1);
/// `forward` is x, the packed parameters and every layer's output. The
/// blocks' parameter gradients are added at the end.
fn backward_in_blocks(
    layers: &[Layer],
    rows: usize,
    block: usize,
    forward: (&[f32], &[f32], &[&[f32]]),
    grad: &[f32],
    want_x: bool,
) -> Grads {
    let (_, params, outputs) = forward;
    assert_eq!(outputs.len(), layers.len(), "dense stack: outputs");
    for (y, layer) in outputs.iter().zip(layers) {
        assert_eq!(y.len(), rows * layer.fan_out, "dense stack: output length");
    }
    let fan_in = layers[0].fan_in;
    let fan_out = layers[layers.len() - 1].fan_out;
    assert_eq!(grad.len(), rows * fan_out, "dense stack: gradient length");
    let block = block.max(1);
    let mut grad_x = Vec::with_capacity(if want_x { rows * fan_in } else { 0 });
    let mut grad_x_blocks =
        want_x.then(|| grad_x.spare_capacity_mut()[..rows * fan_in].chunks_mut(block * fan_in));
    let tasks: Vec<_> = (0..rows.div_ceil(block))
        .map(|task| {
            let grad_x = grad_x_blocks.as_mut().and_then(Iterator::next);
            (task * block..((task + 1) * block).min(rows), grad_x)
        })
        .collect();
    let partials = split::run(tasks, |(rows, grad_x)| {
        let mut partial = vec![0.0; params.len()];
        block_backward(layers, rows, forward, grad, grad_x, &mut partial);
        partial
    });
    if want_x {
        // SAFETY: the blocks cover all rows · fan_in elements of grad_x,
        // each written by `matmul_uninit` in the first layer's step.
        unsafe { grad_x.set_len(rows * fan_in) };
    }
    let mut partials = partials.into_iter();
    let mut grad_params = partials.next().unwrap_or_else(|| vec![0.0; params.len()]);
    for partial in partials {
        kernels::add_assign(&mut grad_params, &partial);
    }
    Grads {
        x: want_x.then_some(grad_x),
        params: grad_params,
    }
}

/// The backward pass of the batch's rows `rows` from the last layer to the
/// first: their parameter gradients written to `grad_params` (zeros
/// before; the bias's are added to them), their ∂L/∂x to `grad_x` where
/// given.
fn block_backward<'a>(
    layers: &[Layer],
    rows: std::ops::Range<usize>,
    (x, params, outputs): (&'a [f32], &[f32], &[&'a [f32]]),
    grad: &'a [f32],
    grad_x: Option<&mut [MaybeUninit<f32>]>,
    grad_params: &mut [f32],
) {
    let n = rows.len();
    let of = |values: &'a [f32], width: usize| &values[rows.start * width..rows.end * width];
    let fan_out = layers[layers.len() - 1].fan_out;
    let mut g = of(grad, fan_out).to_vec();
    let mut offset = params.len();
    for (l, layer) in layers.iter().enumerate().rev() {
        offset -= layer.params();
        let weights = layer.fan_in * layer.fan_out;
        if layer.activation == Activation::Tanh {
            kernels::tanh_backward_in_place(of(outputs[l], layer.fan_out), &mut g);
        }
        let (grad_weight, grad_bias) =
            grad_params[offset..offset + layer.params()].split_at_mut(weights);
        for row in g.chunks_exact(layer.fan_out) {
            kernels::add_assign(grad_bias, row);
        }
        let input = match l {
            0 => of(x, layer.fan_in),
            _ => of(outputs[l - 1], layer.fan_in),
        };
        let g_view = View::row_major(&g, n, layer.fan_out);
        let input = View::row_major(input, n, layer.fan_in).transposed();
        matmul(grad_weight, false, input, g_view);
        let weight = View::row_major(
            &params[offset..offset + weights],
            layer.fan_in,
            layer.fan_out,
        );
        if l > 0 {
            let mut next = Vec::with_capacity(n * layer.fan_in);
            matmul_uninit(
                &mut next.spare_capacity_mut()[..n * layer.fan_in],
                g_view,
                weight.transposed(),
            );
            // SAFETY: `matmul_uninit` wrote all n · fan_in elements.
            unsafe { next.set_len(n * layer.fan_in) };
            g = next;
        } else if let Some(grad_x) = grad_x {
            // The first layer, the last step: the return ends the loop
            // where the borrow checker sees `grad_x` moved.
            matmul_uninit(grad_x, g_view, weight.transposed());
            return;
        }
    }
}

/// One layer on one block: bias rows written to `y` (`[block rows,
/// fan_out]`), x·W accumulated onto them, then the activation; `y`,
/// initialised, is returned for the next layer to read.
fn layer_forward<'y>(
    layer: Layer,
    x: &[f32],
    weight: &[f32],
    bias: &[f32],
    y: &'y mut [MaybeUninit<f32>],
) -> &'y [f32] {
    for row in y.chunks_exact_mut(layer.fan_out) {
        for (y, &b) in row.iter_mut().zip(bias) {
            y.write(b);
        }
    }
    // SAFETY: every element was written just above (y's length is a
    // multiple of fan_out: the callers cut it in whole rows).
    let y = unsafe { assume_init(y) };
    let block_rows = y.len() / layer.fan_out;
    matmul(
        y,
        true,
        View::row_major(x, block_rows, layer.fan_in),
        View::row_major(weight, layer.fan_in, layer.fan_out),
    );
    if layer.activation == Activation::Tanh {
        kernels::tanh_in_place(y);
    }
    y
}

/// Each layer's W and b in the packed parameters.
fn layer_params<'p>(
    layers: &'p [Layer],
    params: &'p [f32],
) -> impl Iterator<Item = (&'p [f32], &'p [f32])> + 'p {
    let mut rest = params;
    layers.iter().map(move |layer| {
        let (this, next) = rest.split_at(layer.params());
        rest = next;
        this.split_at(layer.fan_in * layer.fan_out)
    })
}

/// The batch's rows, after checking that the stack and the slices agree.
fn check(layers: &[Layer], x: &[f32], params: &[f32]) -> usize {
    assert!(!layers.is_empty(), "dense stack: no layer");
    for layer in layers {
        assert!(
            layer.fan_in > 0 && layer.fan_out > 0,
            "dense stack: zero width ({layer:?})"
        );
    }
    for pair in layers.windows(2) {
        assert_eq!(pair[0].fan_out, pair[1].fan_in, "dense stack: widths");
    }
    let total: usize = layers.iter().map(Layer::params).sum();
    assert_eq!(params.len(), total, "dense stack: parameter length");
    let fan_in = layers[0].fan_in;
    assert_eq!(x.len() % fan_in, 0, "dense stack: input length");
    x.len() / fan_in
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

    /// Three layers, 7 → 6 tanh → 4 tanh → 5: widths that differ, both
    /// activations.
    fn stack() -> Vec<Layer> {
        let layer = |fan_in, fan_out, activation| Layer {
            fan_in,
            fan_out,
            activation,
        };
        vec![
            layer(7, 6, Activation::Tanh),
            layer(6, 4, Activation::Tanh),
            layer(4, 5, Activation::Identity),
        ]
    }

    /// Every layer's output by the definition, in f64.
    fn reference_forward(layers: &[Layer], x: &[f32], params: &[f32]) -> Vec<Vec<f64>> {
        let rows = x.len() / layers[0].fan_in;
        let mut input: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let mut outputs = Vec::new();
        for (layer, (w, b)) in layers.iter().zip(layer_params(layers, params)) {
            let (fan_in, fan_out) = (layer.fan_in, layer.fan_out);
            let mut y = vec![0.0; rows * fan_out];
            for r in 0..rows {
                for j in 0..fan_out {
                    let mut z = f64::from(b[j]);
                    for i in 0..fan_in {
                        z += input[r * fan_in + i] * f64::from(w[i * fan_out + j]);
                    }
                    y[r * fan_out + j] = match layer.activation {
                        Activation::Tanh => z.tanh(),
                        Activation::Identity => z,
                    };
                }
            }
            outputs.push(y.clone());
            input = y;
        }
        outputs
    }

    /// ∂L/∂x and ∂L/∂θ by the definition, in f64, for ∂L/∂y of the last
    /// layer `c`, from the reference outputs.
    fn reference_backward(
        layers: &[Layer],
        x: &[f32],
        params: &[f32],
        outputs: &[Vec<f64>],
        c: &[f32],
    ) -> (Vec<f64>, Vec<f64>) {
        let rows = x.len() / layers[0].fan_in;
        let x: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let mut grad_params = vec![0.0; params.len()];
        let mut g: Vec<f64> = c.iter().map(|&v| f64::from(v)).collect();
        let mut offset = params.len();
        for (l, layer) in layers.iter().enumerate().rev() {
            let (fan_in, fan_out) = (layer.fan_in, layer.fan_out);
            offset -= layer.params();
            if layer.activation == Activation::Tanh {
                for (g, y) in g.iter_mut().zip(&outputs[l]) {
                    *g *= 1.0 - y * y;
                }
            }
            let input = if l == 0 { &x } else { &outputs[l - 1] };
            let mut grad_input = vec![0.0; rows * fan_in];
            for r in 0..rows {
                for j in 0..fan_out {
                    let gz = g[r * fan_out + j];
                    grad_params[offset + fan_in * fan_out + j] += gz;
                    for i in 0..fan_in {
                        let w = f64::from(params[offset + i * fan_out + j]);
                        grad_input[r * fan_in + i] += gz * w;
                        grad_params[offset + i * fan_out + j] += gz * input[r * fan_in + i];
                    }
                }
            }
            g = grad_input;
        }
        (g, grad_params)
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

    /// Forward, inference and backward against the definitions in f64, in
    /// one block and in several with a short last one (inference in chunks
    /// or not: a block of 100 as chunks of 30, 30, 30 and 10), for the
    /// loss L =
    /// Σ c ⊙ y with fixed weights c (so ∂L/∂y = c), inputs that reach
    /// tanh's saturation.
    #[test]
    fn dense_stack_matches_its_definition() {
        let layers = stack();
        let rows = 203;
        let total: usize = layers.iter().map(Layer::params).sum();
        let x = wave(rows * 7, 0, 6.0);
        let params = wave(total, 3, 0.8);
        let c = wave(rows * 5, 17, 1.0);
        let want = reference_forward(&layers, &x, &params);
        let (want_x, want_params) = reference_backward(&layers, &x, &params, &want, &c);
        for (block, chunk) in [(1000, 1000), (50, 50), (100, 30), (203, 64)] {
            let outputs = forward_in_blocks(&layers, rows, block, &x, &params);
            for (l, (got, want)) in outputs.iter().zip(&want).enumerate() {
                assert_close(got, want, 1e-5, &format!("y[{l}]"));
            }
            let views: Vec<&[f32]> = outputs.iter().map(Vec::as_slice).collect();
            let grads = backward_in_blocks(&layers, rows, block, (&x, &params, &views), &c, true);
            assert_close(
                grads.x.as_deref().unwrap_or_default(),
                &want_x,
                1e-5,
                "grad_x",
            );
            assert_close(&grads.params, &want_params, 1e-5, "grad_params");
            let without_x =
                backward_in_blocks(&layers, rows, block, (&x, &params, &views), &c, false);
            assert_eq!(without_x.x, None);
            assert_eq!(without_x.params, grads.params);
            // Inference gives the training pass's last output, to the bit.
            let inferred = infer_in_blocks(&layers, rows, (block, chunk), &x, &params);
            assert_eq!(inferred, outputs[2]);
        }
    }

    /// An empty batch gives empty outputs and zero parameter gradients.
    #[test]
    fn empty_batch() {
        let layers = stack();
        let params = vec![1.0; layers.iter().map(Layer::params).sum()];
        let outputs = forward(&layers, &[], &params);
        assert!(outputs.iter().all(Vec::is_empty));
        assert!(infer(&layers, &[], &params).is_empty());
        let views: Vec<&[f32]> = outputs.iter().map(Vec::as_slice).collect();
        let grads = backward(&layers, &[], &params, &views, &[], true);
        assert_eq!(grads.x, Some(Vec::new()));
        assert_eq!(grads.params, vec![0.0; params.len()]);
    }
}
