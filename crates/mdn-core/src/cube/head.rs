//! The mixture head's log-density and its gradient: one invocation per
//! sample, each walking that sample's K components (the maths of
//! [`crate::fused::kernels::head_log_prob`] on the CPU: Bishop 1994, eq.
//! 22, 25–27 and 29 forward, 31 and 33–39 backward, with the full kind's
//! triangular solves).
//!
//! Composed from burn's tensor operations the head is some forty kernels
//! forward and backward (narrows, exps, log-softmax, the log-sum-exp, and
//! in the backward pass a zero fill and a slice-assign per narrow); here it
//! is one kernel each way. Nothing is kept between them: the backward
//! kernel recomputes each component's standardised residual z, which costs
//! a few flops where storing it would cost a `[batch, K, D]` buffer.

use burn::backend::TensorMetadata;
use burn::backend::ops::FloatTensorOps;
use burn::backend::wgpu::{CubeBackend, CubeTensor};
// The `#[cube]` macros name `cubecl`: burn's re-export.
use burn::cubecl;
use burn::cubecl::prelude::*;
use burn::tensor::FloatDType;

use super::geometry;
use crate::spec::{HeadLayout, LN_2PI, LOGSUMEXP_FLOOR, RAW_SIGMA_MAX};

/// The head's layout as the kernels take it, at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Shape {
    components: usize,
    dim: usize,
    /// Diagonal scales per component: 1 (isotropic) or D.
    scales: usize,
    /// Raw scale outputs per component (more than `scales` for the full
    /// kind: its strictly lower entries follow).
    per_component: usize,
}

impl Shape {
    fn of(layout: &HeadLayout) -> Self {
        Self {
            components: layout.components,
            dim: layout.dim,
            scales: layout.diagonal_scales(),
            per_component: layout.scale_outputs(),
        }
    }
}

/// `raw[sample, column]` of a possibly strided `[batch, outputs]` tensor.
#[cube]
fn at(raw: &Tensor<f32>, sample: usize, column: usize) -> f32 {
    raw[sample * raw.stride(0) + column * raw.stride(1)]
}

/// log Σ_k e^{logit_k} of the sample's logits.
#[cube]
fn log_norm(raw: &Tensor<f32>, sample: usize, #[comptime] shape: Shape) -> f32 {
    let mut max = at(raw, sample, 0);
    for k in 1..shape.components {
        let logit = at(raw, sample, k);
        if logit > max {
            max = logit;
        }
    }
    let mut sum = f32::new(0.0);
    for k in 0..shape.components {
        sum += (at(raw, sample, k) - max).exp();
    }
    max + sum.ln()
}

/// σ = σ_min + e^min(raw, cap) of raw scale `column`: (log σ, 1/σ, ∂ log σ
/// / ∂ raw, which is 0 above the cap).
#[cube]
fn scale(raw: &Tensor<f32>, sample: usize, column: usize, sigma_min: f32) -> (f32, f32, f32) {
    let value = at(raw, sample, column);
    let cap = f32::new(RAW_SIGMA_MAX);
    let mut clipped = value;
    if value > cap {
        clipped = cap;
    }
    let e = clipped.exp();
    let sigma = sigma_min + e;
    let inv = f32::new(1.0) / sigma;
    let mut dlog = e * inv;
    if value > cap {
        dlog = f32::new(0.0);
    }
    (sigma.ln(), inv, dlog)
}

/// Component k's log joint c_k = log π_k − ½‖z‖² − log|L_k| − (D/2) ln 2π,
/// filling `z` (L z = y − μ) and `inv` (1/L_dd) with its D values.
#[cube]
fn joint(
    raw: &Tensor<f32>,
    targets: &Tensor<f32>,
    sample: usize,
    k: usize,
    log_norm: f32,
    sigma_min: f32,
    z: &mut Array<f32>,
    inv: &mut Array<f32>,
    #[comptime] shape: Shape,
) -> f32 {
    let dim = shape.dim;
    let mu = shape.components + k * dim;
    let block = shape.components * (1 + dim) + k * shape.per_component;
    let mut log_det = f32::new(0.0);
    for s in 0..shape.scales {
        let (log_sigma, inv_sigma, _dlog) = scale(raw, sample, block + s, sigma_min);
        log_det += log_sigma;
        inv[s] = inv_sigma;
    }
    if comptime!(shape.scales == 1) {
        for d in 1..dim {
            inv[d] = inv[0];
        }
        log_det *= f32::cast_from(dim);
    }
    let mut square = f32::new(0.0);
    for d in 0..dim {
        let mut r = at(targets, sample, d) - at(raw, sample, mu + d);
        if comptime!(shape.per_component > shape.scales) {
            // Forward substitution: row d of L holds L_dj (j < d) at
            // lower_index(d, j) = d(d−1)/2 + j after the D diagonal raws.
            let row = block + dim + d * (d - 1) / 2;
            for j in 0..d {
                r -= at(raw, sample, row + j) * z[j];
            }
        }
        let zd = r * inv[d];
        z[d] = zd;
        square += zd * zd;
    }
    at(raw, sample, k)
        - log_norm
        - f32::new(0.5) * square
        - log_det
        - f32::new(0.5 * LN_2PI) * f32::cast_from(dim)
}

/// log p = logsumexp_k c_k with terms below the floor counted at it (as
/// [`crate::mixture::logsumexp`]), as (max_k c_k, Σ_k e^{c_k − max}): log
/// p = max + ln Σ. The backward step takes γ_k = e^{c_k − max} / Σ, not
/// e^{c_k − log p}: where the max is large (−10⁶ for a far target and a
/// tiny σ) max + ln Σ rounds ln Σ away.
#[cube]
fn log_prob_of(
    raw: &Tensor<f32>,
    targets: &Tensor<f32>,
    sample: usize,
    log_norm: f32,
    sigma_min: f32,
    z: &mut Array<f32>,
    inv: &mut Array<f32>,
    #[comptime] shape: Shape,
) -> (f32, f32) {
    let mut max = joint(raw, targets, sample, 0, log_norm, sigma_min, z, inv, shape);
    for k in 1..shape.components {
        let c = joint(raw, targets, sample, k, log_norm, sigma_min, z, inv, shape);
        if c > max {
            max = c;
        }
    }
    let mut sum = f32::new(0.0);
    for k in 0..shape.components {
        let c = joint(raw, targets, sample, k, log_norm, sigma_min, z, inv, shape);
        let mut shifted = c - max;
        if shifted < f32::new(LOGSUMEXP_FLOOR) {
            shifted = f32::new(LOGSUMEXP_FLOOR);
        }
        sum += shifted.exp();
    }
    (max, sum)
}

/// log p(y_i | x_i) of every sample: `log_prob` `[batch]` from `raw`
/// `[batch, outputs]` and `targets` `[batch, D]` (both may be strided).
#[cube(launch)]
fn head_log_prob_kernel(
    raw: &Tensor<f32>,
    targets: &Tensor<f32>,
    log_prob: &mut Tensor<f32>,
    sigma_min: f32,
    #[comptime] shape: Shape,
) {
    let sample = ABSOLUTE_POS;
    if sample >= targets.shape(0) {
        terminate!();
    }
    let mut z = Array::<f32>::new(shape.dim);
    let mut inv = Array::<f32>::new(shape.dim);
    let norm = log_norm(raw, sample, shape);
    let (max, sum) = log_prob_of(
        raw, targets, sample, norm, sigma_min, &mut z, &mut inv, shape,
    );
    log_prob[sample] = max + sum.ln();
}

/// ∂L/∂raw `[batch, outputs]` (contiguous) = `upstream[i]` (∂L/∂ log p_i,
/// `[batch]`) times ∂ log p_i / ∂ raw_i, the gradients of the CPU's
/// `head_log_prob` (responsibilities γ_k, then through the activations).
#[cube(launch)]
fn head_log_prob_grad_kernel(
    raw: &Tensor<f32>,
    targets: &Tensor<f32>,
    upstream: &Tensor<f32>,
    grad: &mut Tensor<f32>,
    sigma_min: f32,
    #[comptime] shape: Shape,
) {
    let sample = ABSOLUTE_POS;
    if sample >= targets.shape(0) {
        terminate!();
    }
    let dim = shape.dim;
    let outputs = shape.components * (1 + dim + shape.per_component);
    let row = sample * outputs;
    let mut z = Array::<f32>::new(dim);
    let mut inv = Array::<f32>::new(dim);
    let mut w = Array::<f32>::new(dim);
    let norm = log_norm(raw, sample, shape);
    let (max, sum) = log_prob_of(
        raw, targets, sample, norm, sigma_min, &mut z, &mut inv, shape,
    );
    let inv_sum = f32::new(1.0) / sum;
    let g_out = upstream[sample * upstream.stride(0)];

    // Σ_k γ_k: 1 but for the floored terms, which get no share.
    let mut gamma_sum = f32::new(0.0);
    for k in 0..shape.components {
        let c = joint(
            raw, targets, sample, k, norm, sigma_min, &mut z, &mut inv, shape,
        );
        if c - max >= f32::new(LOGSUMEXP_FLOOR) {
            gamma_sum += (c - max).exp() * inv_sum;
        }
    }
    for k in 0..shape.components {
        let c = joint(
            raw, targets, sample, k, norm, sigma_min, &mut z, &mut inv, shape,
        );
        let mut gamma = f32::new(0.0);
        if c - max >= f32::new(LOGSUMEXP_FLOOR) {
            gamma = (c - max).exp() * inv_sum;
        }
        let pi = (at(raw, sample, k) - norm).exp();
        grad[row + k] = g_out * (gamma - pi * gamma_sum);

        let mu = row + shape.components + k * dim;
        let block = shape.components * (1 + dim) + k * shape.per_component;
        let g_scale = row + block;
        if comptime!(shape.per_component > shape.scales) {
            // Lᵀ w = γ z by back substitution; ∂/∂μ = w, ∂/∂ log L_dd =
            // L_dd w_d z_d − γ, ∂/∂L_ab = w_a z_b.
            for back in 0..dim {
                let d = dim - 1 - back;
                let mut u = gamma * z[d];
                for j in d + 1..dim {
                    u -= at(raw, sample, block + dim + j * (j - 1) / 2 + d) * w[j];
                }
                w[d] = u * inv[d];
                let (_log, _inv, dlog) = scale(raw, sample, block + d, sigma_min);
                let mut g = (u * z[d] - gamma) * dlog;
                if gamma == f32::new(0.0) {
                    g = f32::new(0.0);
                    w[d] = f32::new(0.0);
                }
                grad[g_scale + d] = g_out * g;
            }
            for d in 0..dim {
                grad[mu + d] = g_out * w[d];
            }
            for a in 1..dim {
                for b in 0..a {
                    let mut g = w[a] * z[b];
                    if gamma == f32::new(0.0) {
                        g = f32::new(0.0);
                    }
                    grad[g_scale + dim + a * (a - 1) / 2 + b] = g_out * g;
                }
            }
        } else {
            let mut square = f32::new(0.0);
            for d in 0..dim {
                let mut g = gamma * z[d] * inv[d];
                if gamma == f32::new(0.0) {
                    g = f32::new(0.0);
                }
                grad[mu + d] = g_out * g;
                square += z[d] * z[d];
            }
            if comptime!(shape.scales == 1) {
                let (_log, _inv, dlog) = scale(raw, sample, block, sigma_min);
                let mut g = gamma * (square - f32::cast_from(dim)) * dlog;
                if gamma == f32::new(0.0) {
                    g = f32::new(0.0);
                }
                grad[g_scale] = g_out * g;
            } else {
                for d in 0..dim {
                    let (_log, _inv, dlog) = scale(raw, sample, block + d, sigma_min);
                    let mut g = gamma * (z[d] * z[d] - f32::new(1.0)) * dlog;
                    if gamma == f32::new(0.0) {
                        g = f32::new(0.0);
                    }
                    grad[g_scale + d] = g_out * g;
                }
            }
        }
    }
}

/// What a repaint reads, `out` `[batch, 1 + 2D]` (contiguous): per
/// sample its log p, the mean of its first component with the largest
/// logit (the mode prediction), and the mixture's mean Σ_k π_k μ_k (Bishop
/// 1994, eq. 30).
#[cube(launch)]
fn head_readout_kernel(
    raw: &Tensor<f32>,
    targets: &Tensor<f32>,
    out: &mut Tensor<f32>,
    sigma_min: f32,
    #[comptime] shape: Shape,
) {
    let sample = ABSOLUTE_POS;
    if sample >= targets.shape(0) {
        terminate!();
    }
    let dim = shape.dim;
    let row = sample * (1 + 2 * dim);
    let mut z = Array::<f32>::new(dim);
    let mut inv = Array::<f32>::new(dim);
    let norm = log_norm(raw, sample, shape);
    let (max, sum) = log_prob_of(
        raw, targets, sample, norm, sigma_min, &mut z, &mut inv, shape,
    );
    out[row] = max + sum.ln();
    let mut best = 0usize;
    let mut best_logit = at(raw, sample, 0);
    for k in 1..shape.components {
        let logit = at(raw, sample, k);
        if logit > best_logit {
            best_logit = logit;
            best = k;
        }
    }
    for d in 0..dim {
        out[row + 1 + d] = at(raw, sample, shape.components + best * dim + d);
        let mut mean = f32::new(0.0);
        for k in 0..shape.components {
            let pi = (at(raw, sample, k) - norm).exp();
            mean += pi * at(raw, sample, shape.components + k * dim + d);
        }
        out[row + 1 + dim + d] = mean;
    }
}

/// Runs [`head_readout_kernel`]: `[batch, 1 + 2D]`.
pub(super) fn readout(raw: CubeTensor, targets: CubeTensor, layout: &HeadLayout) -> CubeTensor {
    let batch = targets.shape()[0];
    let out = CubeBackend::float_empty(
        [batch, 1 + 2 * layout.dim].into(),
        &raw.device,
        FloatDType::F32,
    );
    let (cube_count, cube_dim) = geometry(&raw, batch);
    let client = raw.client.clone();
    head_readout_kernel::launch(
        &client,
        cube_count,
        cube_dim,
        raw.into_tensor_arg(),
        targets.into_tensor_arg(),
        out.clone().into_tensor_arg(),
        layout.sigma_min,
        Shape::of(layout),
    );
    out
}

/// Runs [`head_log_prob_kernel`]: log p `[batch]`.
pub(super) fn log_prob(raw: CubeTensor, targets: CubeTensor, layout: &HeadLayout) -> CubeTensor {
    let batch = targets.shape()[0];
    let out = CubeBackend::float_empty([batch].into(), &raw.device, FloatDType::F32);
    let (cube_count, cube_dim) = geometry(&raw, batch);
    let client = raw.client.clone();
    head_log_prob_kernel::launch(
        &client,
        cube_count,
        cube_dim,
        raw.into_tensor_arg(),
        targets.into_tensor_arg(),
        out.clone().into_tensor_arg(),
        layout.sigma_min,
        Shape::of(layout),
    );
    out
}

/// Runs [`head_log_prob_grad_kernel`]: ∂L/∂raw `[batch, outputs]` from
/// ∂L/∂ log p `upstream` `[batch]`.
pub(super) fn log_prob_grad(
    raw: CubeTensor,
    targets: CubeTensor,
    upstream: CubeTensor,
    layout: &HeadLayout,
) -> CubeTensor {
    let batch = targets.shape()[0];
    let grad = CubeBackend::float_empty(
        [batch, layout.outputs()].into(),
        &raw.device,
        FloatDType::F32,
    );
    let (cube_count, cube_dim) = geometry(&raw, batch);
    let client = raw.client.clone();
    head_log_prob_grad_kernel::launch(
        &client,
        cube_count,
        cube_dim,
        raw.into_tensor_arg(),
        targets.into_tensor_arg(),
        upstream.into_tensor_arg(),
        grad.clone().into_tensor_arg(),
        layout.sigma_min,
        Shape::of(layout),
    );
    grad
}
