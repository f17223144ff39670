//! The fused CPU kernels as plain loops over `f32` slices: no burn here, so
//! each is easy to test against an f64 reference on its own.
//!
//! Everything is branch-free inside the loops (comparisons become selects),
//! so the compiler vectorises the element-wise ones, and every NaN input
//! gives a NaN output: the training guard must see a diverged value, never
//! a clamped one.
//!
//! Each vectorised loop has two SIMD builds: natively an AVX2 copy picked
//! at run time (the binary itself targets plain x86-64), and on wasm32 the
//! 128-bit wasm SIMD build (`+simd128`, `.cargo/config.toml`; a wasm
//! module cannot test for it at run time, and every current engine has
//! it). The wasm is built at opt-level "s", where rustc does not run the
//! loop vectoriser, so there the hot passes (tanh and its backward pass,
//! the head's softmax, scales and log-sum-exp) are written with explicit
//! lanes ([`super::lanes`]) and the rest run scalar.

use crate::spec::{Covariance, HeadLayout, LN_2PI, LOGSUMEXP_FLOOR, RAW_SIGMA_MAX, lower_index};

/// Where [`tanh`] saturates: tanh(±9) is ±1 to within 3e-8, below half an
/// f32 ulp of 1.
pub(super) const TANH_SATURATION: f32 = 9.0;

/// e^x in f32, for x in [−87.3, 88.3] (inputs outside are clamped; NaN
/// stays NaN), within 1e-7 relative of the exact value.
///
/// Cephes' `expf` (Moshier 1984): x = n ln 2 + r with |r| ≤ ½ ln 2, e^r
/// from its degree-7 polynomial, 2^n written into the exponent bits. Unlike
/// libm's `expf` it is inlined and branch-free, so loops over it vectorise.
// In the wasm every exp and tanh pass runs in `lanes`, whose tests hold
// them to these scalar definitions.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    // 1.5 · 2^23: adding it rounds x · log2(e) to the nearest integer n,
    // which then sits in the low mantissa bits of `shifted`.
    const ROUND: f32 = 12_582_912.0;
    let x = if x > 88.3 { 88.3 } else { x };
    let x = if x < -87.3 { -87.3 } else { x };
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    // ln 2 in two parts, the first exact in f32, so that r keeps its bits.
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_2e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 0.166_666_65;
    let p = p * r + 0.5;
    let p = p * r * r + r + 1.0;
    // 2^n: n + 127 in the exponent field. `shifted`'s bits are
    // 0x4B40_0000 + n for |n| < 2^22.
    let n_bits = shifted.to_bits().wrapping_sub(0x4B40_0000);
    let scale = f32::from_bits(n_bits.wrapping_add(127) << 23);
    p * scale
}

/// ln x in f32 for positive normal x, within 1e-7 of the exact value
/// (relative, or absolute near x = 1); 0 gives −∞, +∞ stays +∞, negative
/// values and NaN give NaN.
///
/// Cephes' `logf` (Moshier 1984): x = m 2^e with m in [√½, √2), ln m from
/// its degree-9 polynomial in m − 1, e ln 2 added in two parts. Inlined and
/// branch-free like [`exp`].
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    let bits = x.to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32 - 127;
    // The mantissa in [1, 2), then halved above √2.
    let mantissa = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let big = mantissa > std::f32::consts::SQRT_2;
    let m = if big { 0.5 * mantissa } else { mantissa } - 1.0;
    let e = (if big { exponent + 1 } else { exponent }) as f32;
    let z = m * m;
    let p = 7.037_683_6e-2_f32;
    let p = p * m - 1.151_461e-1;
    let p = p * m + 1.167_699_9e-1;
    let p = p * m - 1.242_014_1e-1;
    let p = p * m + 1.424_932_3e-1;
    let p = p * m - 1.666_805_8e-1;
    let p = p * m + 2.000_071_5e-1;
    let p = p * m - 2.499_999_4e-1;
    let p = p * m + 3.333_333e-1;
    let y = p * m * z - 2.121_944_4e-4 * e - 0.5 * z;
    let result = m + y + 0.693_359_4 * e;
    let result = if x == f32::INFINITY { x } else { result };
    let result = if x == 0.0 { f32::NEG_INFINITY } else { result };
    if x >= 0.0 { result } else { f32::NAN }
}

/// tanh(x) = (e^{2x} − 1) / (e^{2x} + 1) with x clamped to ±9 first,
/// within 1.4e-7 of the exact value; NaN stays NaN.
#[inline(always)]
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub fn tanh(x: f32) -> f32 {
    let x = if x > TANH_SATURATION {
        TANH_SATURATION
    } else {
        x
    };
    let x = if x < -TANH_SATURATION {
        -TANH_SATURATION
    } else {
        x
    };
    let e = exp(2.0 * x);
    (e - 1.0) / (e + 1.0)
}

/// Replaces every value by its tanh (compiled for AVX2 where the CPU has
/// it; in wasm, four lanes at a time by [`super::lanes`]).
pub fn tanh_in_place(values: &mut [f32]) {
    #[cfg(target_arch = "wasm32")]
    super::lanes::tanh_in_place(values);
    #[cfg(not(target_arch = "wasm32"))]
    {
        #[inline(always)]
        fn each(values: &mut [f32]) {
            for v in values {
                *v = tanh(*v);
            }
        }
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            #[target_feature(enable = "avx2")]
            fn avx2(values: &mut [f32]) {
                each(values);
            }
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { avx2(values) };
        }
        each(values);
    }
}

/// Whether this x86-64 CPU has AVX2, so that the kernels can run on 8 f32
/// lanes instead of SSE2's 4 (the crate is compiled for plain x86-64, so
/// that its binaries run on every such CPU).
#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// The backward pass of tanh from its output: `grad[i] *= 1 − y[i]²`.
///
/// # Panics
/// If the slices differ in length.
pub fn tanh_backward_in_place(y: &[f32], grad: &mut [f32]) {
    assert_eq!(
        y.len(),
        grad.len(),
        "tanh backward: output and gradient differ in length"
    );
    #[cfg(target_arch = "wasm32")]
    super::lanes::tanh_backward_in_place(y, grad);
    #[cfg(not(target_arch = "wasm32"))]
    for (g, &y) in grad.iter_mut().zip(y) {
        *g *= 1.0 - y * y;
    }
}

/// `sum[i] += values[i]` for every i: a dense layer's bias gradient, row
/// by row, and the sum of the threads' partial gradients (four lanes at a
/// time in the wasm).
///
/// # Panics
/// If the slices differ in length.
pub fn add_assign(sum: &mut [f32], values: &[f32]) {
    assert_eq!(sum.len(), values.len(), "add_assign: lengths differ");
    #[cfg(target_arch = "wasm32")]
    super::lanes::add_assign(sum, values);
    #[cfg(not(target_arch = "wasm32"))]
    for (sum, &v) in sum.iter_mut().zip(values) {
        *sum += v;
    }
}

/// Multiplies row i of `values` (`[rows, n]`, row-major) by `factors[i]`:
/// the chain rule for a per-row quantity whose gradient arrives per row.
///
/// # Panics
/// If `values`' length is not a multiple of `factors`' length.
pub fn scale_rows(values: &mut [f32], factors: &[f32]) {
    let row = values.len().checked_div(factors.len()).unwrap_or(0);
    assert_eq!(row * factors.len(), values.len(), "scale_rows: ragged rows");
    if row == 0 {
        return;
    }
    for (values, &factor) in values.chunks_exact_mut(row).zip(factors) {
        for v in values {
            *v *= factor;
        }
    }
}

/// Rows `rows` of the row-major `[n, width]` matrix `values`, in that
/// order: `[rows.len(), width]` (a training step's minibatch of inputs or
/// targets).
///
/// Rows of up to four values are assigned as arrays of a size known to the
/// compiler, which become plain loads and stores. burn-flex's `select`
/// copies each row with `copy_from_slice`, a call to `memcpy` for a length
/// known only at run time (and `Vec::extend_from_slice` is a call of its
/// own in the wasm, built at opt-level "s"): 2–4 ms of a W5 epoch in the
/// wasm for its two gathers of 1024 rows a step (`tests/profile.mjs`).
///
/// # Panics
/// If a row is not below n, or `width` is 0 and `values` is not empty.
pub fn gather_rows(values: &[f32], width: usize, rows: &[usize]) -> Vec<f32> {
    match width {
        1 => gather_fixed::<1>(values, rows),
        2 => gather_fixed::<2>(values, rows),
        3 => gather_fixed::<3>(values, rows),
        4 => gather_fixed::<4>(values, rows),
        _ => {
            assert!(width > 0 || values.is_empty(), "gather_rows: zero width");
            let mut out = Vec::with_capacity(rows.len() * width);
            for &row in rows {
                out.extend_from_slice(&values[row * width..(row + 1) * width]);
            }
            out
        }
    }
}

/// [`gather_rows`] for rows of `W` values.
fn gather_fixed<const W: usize>(values: &[f32], rows: &[usize]) -> Vec<f32> {
    let (table, rest) = values.as_chunks::<W>();
    assert!(rest.is_empty(), "gather_rows: ragged rows");
    let mut out = vec![0.0; rows.len() * W];
    for (dst, &row) in out.as_chunks_mut::<W>().0.iter_mut().zip(rows) {
        *dst = table[row];
    }
    out
}

/// Largest target dimension D the fused mixture head takes (RGB is 3).
pub const MAX_DIM: usize = 4;

/// log p(y_i | x_i) of every sample, `[batch]` in nats, straight from the
/// mixture head's raw outputs `raw` (`[batch, layout.outputs()]`, row-major,
/// laid out as [`crate::mixture::MixtureHead::forward`] reads them) at
/// `targets` (`[batch, D]`); when `grad` is given (`[batch, layout.outputs()]`)
/// it is overwritten with ∂ log p_i / ∂ raw_i.
///
/// The forward pass is the head's and the mixture's, per sample:
/// log π = log_softmax(logits); log L_dd = ln(σ_min + e^min(raw, 80)); with
/// L z = y − μ solved by forward substitution,
/// c_k = log π_k − ½‖z‖² − Σ_d log L_dd − (D/2) ln 2π and
/// log p = logsumexp_k c_k (Bishop 1994, eq. 22, 25–27 and 29; no
/// determinant, no inverse).
///
/// The backward pass, with responsibilities γ_k = e^{c_k − log p} (Bishop's
/// posterior, eq. 31) and Lᵀ w = γ_k z solved by back substitution:
/// ∂/∂μ_k = w; ∂/∂ log L_dd = L_dd w_d z_d − γ_k (summed over d for one
/// isotropic scale); ∂/∂L_ab = w_a z_b for a > b (from
/// d(½‖L⁻¹r‖²) = −wᵀ dL z); then through the activations:
/// ∂/∂logit_j = γ_j − π_j Σ_k γ_k and ∂/∂raw scale = ∂/∂ log L_dd ·
/// e^raw / L_dd (zero above the cap). For D = 1 and the diagonal kinds these
/// are Bishop 1994, eq. 33–39.
///
/// As [`crate::mixture::logsumexp`] does, components more than
/// [`LOGSUMEXP_FLOOR`] below the best count as that far below it and get no
/// gradient.
///
/// # Panics
/// If a slice's length disagrees with `layout`, or D is 0 or above
/// [`MAX_DIM`].
pub fn head_log_prob(
    layout: &HeadLayout,
    raw: &[f32],
    targets: &[f32],
    grad: Option<&mut [f32]>,
) -> Vec<f32> {
    head_pass(layout, raw, targets, grad, None)
}

/// What a repaint reads from the mixture head, per sample: the log-density
/// of [`head_log_prob`] and two point predictions of the colour.
#[derive(Clone, Debug, PartialEq)]
pub struct Readout {
    /// log p(y_i | x_i), `[batch]` in nats.
    pub log_prob: Vec<f32>,
    /// The mean of the component with the largest π_k, `[batch, D]` row-major
    /// (the first such component on a tie).
    pub mode: Vec<f32>,
    /// The mixture's expectation Σ_k π_k μ_k, `[batch, D]` row-major
    /// (Bishop 1994, eq. 30).
    pub mean: Vec<f32>,
}

/// [`head_log_prob`] (no gradient) with each sample's mode and mean from the
/// same pass: π is already there, so the two predictions cost an argmax and
/// K · D products per sample, where reading them through a
/// [`crate::mixture::Mixture`] takes a dozen passes over memory.
///
/// # Panics
/// As [`head_log_prob`].
pub fn head_readout(layout: &HeadLayout, raw: &[f32], targets: &[f32]) -> Readout {
    let values = targets.len();
    let mut mode = vec![0.0; values];
    let mut mean = vec![0.0; values];
    let log_prob = head_pass(
        layout,
        raw,
        targets,
        None,
        Some(Predictions {
            mode: &mut mode,
            mean: &mut mean,
        }),
    );
    Readout {
        log_prob,
        mode,
        mean,
    }
}

/// Where [`head_log_prob_in`] writes each sample's mode and mean, `[batch,
/// D]` each.
struct Predictions<'a> {
    mode: &'a mut [f32],
    mean: &'a mut [f32],
}

/// [`head_log_prob_simd`] for the layout's D.
fn head_pass(
    layout: &HeadLayout,
    raw: &[f32],
    targets: &[f32],
    grad: Option<&mut [f32]>,
    predictions: Option<Predictions<'_>>,
) -> Vec<f32> {
    match layout.dim {
        1 => head_log_prob_simd::<1>(layout, raw, targets, grad, predictions),
        2 => head_log_prob_simd::<2>(layout, raw, targets, grad, predictions),
        3 => head_log_prob_simd::<3>(layout, raw, targets, grad, predictions),
        4 => head_log_prob_simd::<4>(layout, raw, targets, grad, predictions),
        dim => panic!("fused mixture head: D = {dim} is outside 1..={MAX_DIM}"),
    }
}

/// [`head_log_prob_in`] compiled for AVX2 where the CPU has it.
fn head_log_prob_simd<const D: usize>(
    layout: &HeadLayout,
    raw: &[f32],
    targets: &[f32],
    grad: Option<&mut [f32]>,
    predictions: Option<Predictions<'_>>,
) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        #[target_feature(enable = "avx2")]
        fn avx2<const D: usize>(
            layout: &HeadLayout,
            raw: &[f32],
            targets: &[f32],
            grad: Option<&mut [f32]>,
            predictions: Option<Predictions<'_>>,
        ) -> Vec<f32> {
            head_log_prob_in::<D>(layout, raw, targets, grad, predictions)
        }
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { avx2::<D>(layout, raw, targets, grad, predictions) };
    }
    head_log_prob_in::<D>(layout, raw, targets, grad, predictions)
}

/// [`head_log_prob`] for D known at compile time. Each stage (commented in
/// the loop: log-softmax, scales, substitution, joint log-density,
/// log-sum-exp, then the gradients) is a loop over all components of one
/// sample with no reduction inside (sums and maxima go through [`sum_of`]
/// and [`max_of`]), so that the compiler vectorises it; only the full kind's
/// substitutions run one component at a time.
///
/// One body on purpose: split into a function per stage (the buffers
/// passed as slices, everything inlined), the same W1 steps ran 5–12 %
/// slower (three splits tried, each measured with `mdn --threads 1 bench
/// W1` against this one).
#[inline(always)]
fn head_log_prob_in<const D: usize>(
    layout: &HeadLayout,
    raw: &[f32],
    targets: &[f32],
    mut grad: Option<&mut [f32]>,
    mut predictions: Option<Predictions<'_>>,
) -> Vec<f32> {
    let k_count = layout.components;
    // Per component: S log-scale outputs, then (full kind) the lower entries.
    let per_component = layout.covariance.scale_outputs(D);
    let scales = match layout.covariance {
        Covariance::Isotropic => 1,
        Covariance::Diagonal | Covariance::Full => D,
    };
    let full = per_component > scales;
    let outputs = layout.outputs();
    let batch = targets.len() / D;
    assert_eq!(
        targets.len(),
        batch * D,
        "fused mixture head: targets shape"
    );
    assert_eq!(raw.len(), batch * outputs, "fused mixture head: raw shape");
    if let Some(grad) = grad.as_deref() {
        assert_eq!(grad.len(), raw.len(), "fused mixture head: gradient shape");
    }
    if let Some(predictions) = &predictions {
        assert_eq!(
            predictions.mode.len(),
            targets.len(),
            "fused mixture head: mode shape"
        );
        assert_eq!(
            predictions.mean.len(),
            targets.len(),
            "fused mixture head: mean shape"
        );
    }
    let constant = 0.5 * D as f32 * LN_2PI;
    let det_weight = (D / scales) as f32;

    // One sample's intermediate values, reused across the batch.
    let mut log_pi = vec![0.0_f32; k_count];
    let mut pi = vec![0.0_f32; k_count];
    // The raw log scales, gathered from between the lower entries (full).
    let mut scale_raw = vec![0.0_f32; k_count * scales];
    let mut log_sigma = vec![0.0_f32; k_count * scales];
    let mut inv_sigma = vec![0.0_f32; k_count * scales];
    // ∂ log L_dd / ∂ raw = e^raw / L_dd, zero above the cap.
    let mut dlog_sigma = vec![0.0_f32; k_count * scales];
    // 1 / L_dd for every (k, d), the isotropic scale repeated.
    let mut inv_diag = vec![0.0_f32; k_count * D];
    let mut z = vec![0.0_f32; k_count * D];
    let mut joint = vec![0.0_f32; k_count];
    let mut gamma = vec![0.0_f32; k_count];
    let mut log_prob = Vec::with_capacity(batch);

    for i in 0..batch {
        let row = &raw[i * outputs..(i + 1) * outputs];
        let (logits, rest) = row.split_at(k_count);
        let (mu, scale) = rest.split_at(k_count * D);
        let y: [f32; D] = std::array::from_fn(|d| targets[i * D + d]);

        // log π = log_softmax(logits).
        let max = max_of(logits);
        // In the wasm the transcendental passes take explicit lanes (see
        // `lanes`); natively the compiler vectorises these loops.
        #[cfg(target_arch = "wasm32")]
        super::lanes::exp_shifted(&mut pi, logits, max, f32::NEG_INFINITY);
        #[cfg(not(target_arch = "wasm32"))]
        for (p, &logit) in pi.iter_mut().zip(logits) {
            *p = exp(logit - max);
        }
        let sum = sum_of(&pi);
        let log_norm = max + ln(sum);
        let inv_sum = 1.0 / sum;
        for ((l, p), &logit) in log_pi.iter_mut().zip(&mut pi).zip(logits) {
            *l = logit - log_norm;
            *p *= inv_sum;
        }
        if let Some(Predictions { mode, mean }) = predictions.as_mut() {
            let best = first_max_index(logits);
            mode[i * D..(i + 1) * D].copy_from_slice(&mu[best * D..(best + 1) * D]);
            let mean = &mut mean[i * D..(i + 1) * D];
            for (mu, &pi) in mu.chunks_exact(D).zip(&pi) {
                for d in 0..D {
                    mean[d] += pi * mu[d];
                }
            }
        }

        // log L_dd = ln(σ_min + e^min(raw, cap)).
        let scale_raw: &[f32] = if full {
            for (gathered, scale) in scale_raw
                .chunks_exact_mut(scales)
                .zip(scale.chunks_exact(per_component))
            {
                gathered.copy_from_slice(&scale[..scales]);
            }
            &scale_raw
        } else {
            scale
        };
        #[cfg(target_arch = "wasm32")]
        super::lanes::scales(
            scale_raw,
            layout.sigma_min,
            RAW_SIGMA_MAX,
            &mut log_sigma,
            &mut inv_sigma,
            &mut dlog_sigma,
        );
        #[cfg(not(target_arch = "wasm32"))]
        for (((&raw, log_sigma), inv), dlog) in scale_raw
            .iter()
            .zip(&mut log_sigma)
            .zip(&mut inv_sigma)
            .zip(&mut dlog_sigma)
        {
            let capped = raw > RAW_SIGMA_MAX;
            let e = exp(if capped { RAW_SIGMA_MAX } else { raw });
            let sigma = layout.sigma_min + e;
            *inv = 1.0 / sigma;
            *log_sigma = ln(sigma);
            *dlog = if capped { 0.0 } else { e * *inv };
        }
        if scales == 1 {
            for (inv_diag, &inv) in inv_diag.chunks_exact_mut(D).zip(&inv_sigma) {
                inv_diag.fill(inv);
            }
        } else {
            inv_diag.copy_from_slice(&inv_sigma);
        }

        // z with L z = y − μ: a product for the diagonal kinds, forward
        // substitution for the full kind.
        for ((z, mu), inv) in z
            .chunks_exact_mut(D)
            .zip(mu.chunks_exact(D))
            .zip(inv_diag.chunks_exact(D))
        {
            for d in 0..D {
                z[d] = (y[d] - mu[d]) * inv[d];
            }
        }
        if full {
            for (((z, mu), scale), inv) in z
                .chunks_exact_mut(D)
                .zip(mu.chunks_exact(D))
                .zip(scale.chunks_exact(per_component))
                .zip(inv_diag.chunks_exact(D))
            {
                let lower = &scale[scales..];
                for d in 1..D {
                    let mut r = y[d] - mu[d];
                    for j in 0..d {
                        r -= lower[lower_index(d, j)] * z[j];
                    }
                    z[d] = r * inv[d];
                }
            }
        }
        // c_k = log π_k − ½‖z‖² − log|L_k| − (D/2) ln 2π.
        for (((c, &log_pi), z), log_sigma) in joint
            .iter_mut()
            .zip(&log_pi)
            .zip(z.chunks_exact(D))
            .zip(log_sigma.chunks_exact(scales))
        {
            let mut square = 0.0;
            for &z in z {
                square += z * z;
            }
            let mut log_det = 0.0;
            for &l in log_sigma {
                log_det += l;
            }
            *c = log_pi - 0.5 * square - det_weight * log_det - constant;
        }

        // log p = logsumexp_k c_k, terms below the floor counted as e^−80;
        // γ holds e^{c − max} meanwhile.
        let max = max_of(&joint);
        #[cfg(target_arch = "wasm32")]
        super::lanes::exp_shifted(&mut gamma, &joint, max, LOGSUMEXP_FLOOR);
        #[cfg(not(target_arch = "wasm32"))]
        for (e, &c) in gamma.iter_mut().zip(&joint) {
            let shifted = c - max;
            *e = exp(if shifted < LOGSUMEXP_FLOOR {
                LOGSUMEXP_FLOOR
            } else {
                shifted
            });
        }
        let sum = sum_of(&gamma);
        log_prob.push(max + ln(sum));

        let Some(grad) = grad.as_deref_mut() else {
            continue;
        };
        let grad = &mut grad[i * outputs..(i + 1) * outputs];
        let (g_logits, rest) = grad.split_at_mut(k_count);
        let (g_mu, g_scale) = rest.split_at_mut(k_count * D);
        let inv_sum = 1.0 / sum;
        for (g, &c) in gamma.iter_mut().zip(&joint) {
            *g = if c - max < LOGSUMEXP_FLOOR {
                0.0
            } else {
                *g * inv_sum
            };
        }
        let gamma_sum = sum_of(&gamma);
        for ((g, &gamma), &pi) in g_logits.iter_mut().zip(&gamma).zip(&pi) {
            *g = gamma - pi * gamma_sum;
        }
        if full {
            full_backward::<D>(&gamma, &z, &inv_diag, &dlog_sigma, scale, g_mu, g_scale);
            continue;
        }
        // Diagonal kinds: w_d = γ z_d / σ_d and ∂/∂ log σ_d = γ (z_d² − 1);
        // a component with no share (γ = 0) gets none, even where z
        // overflowed to infinity.
        for ((g_mu, z), (inv, &gamma)) in g_mu
            .chunks_exact_mut(D)
            .zip(z.chunks_exact(D))
            .zip(inv_diag.chunks_exact(D).zip(&gamma))
        {
            for d in 0..D {
                g_mu[d] = if gamma == 0.0 {
                    0.0
                } else {
                    gamma * z[d] * inv[d]
                };
            }
        }
        for ((g_scale, z), (dlog, &gamma)) in g_scale
            .chunks_exact_mut(scales)
            .zip(z.chunks_exact(D))
            .zip(dlog_sigma.chunks_exact(scales).zip(&gamma))
        {
            if scales == 1 {
                let mut square = 0.0;
                for &z in z {
                    square += z * z;
                }
                let g = gamma * (square - D as f32) * dlog[0];
                g_scale[0] = if gamma == 0.0 { 0.0 } else { g };
            } else {
                for d in 0..D {
                    let g = gamma * (z[d] * z[d] - 1.0) * dlog[d];
                    g_scale[d] = if gamma == 0.0 { 0.0 } else { g };
                }
            }
        }
    }
    log_prob
}

/// The full kind's gradients of one sample, component by component: Lᵀ w =
/// γ z by back substitution (w carries γ, as the composed backward pass
/// does, so that a small γ keeps w finite where w/γ would overflow), with
/// u_d = L_dd w_d; ∂/∂μ = w, ∂/∂ log L_dd = u_d z_d − γ, ∂/∂L_ab = w_a z_b.
/// Slices are one sample's, shaped as in [`head_log_prob_in`].
#[inline(always)]
fn full_backward<const D: usize>(
    gamma: &[f32],
    z: &[f32],
    inv_diag: &[f32],
    dlog_sigma: &[f32],
    scale: &[f32],
    g_mu: &mut [f32],
    g_scale: &mut [f32],
) {
    let per_component = scale.len() / gamma.len();
    for (k, &gamma) in gamma.iter().enumerate() {
        let g_mu = &mut g_mu[k * D..(k + 1) * D];
        let g_scale = &mut g_scale[k * per_component..(k + 1) * per_component];
        if gamma == 0.0 {
            g_mu.fill(0.0);
            g_scale.fill(0.0);
            continue;
        }
        let z = &z[k * D..(k + 1) * D];
        let inv = &inv_diag[k * D..(k + 1) * D];
        let lower = &scale[k * per_component + D..(k + 1) * per_component];
        let mut w = [0.0_f32; D];
        for d in (0..D).rev() {
            let mut u = gamma * z[d];
            for j in d + 1..D {
                u -= lower[lower_index(j, d)] * w[j];
            }
            w[d] = u * inv[d];
            g_scale[d] = (u * z[d] - gamma) * dlog_sigma[k * D + d];
        }
        g_mu.copy_from_slice(&w);
        let g_lower = &mut g_scale[D..];
        for a in 1..D {
            for b in 0..a {
                g_lower[lower_index(a, b)] = w[a] * z[b];
            }
        }
    }
}

/// Lanes of the partial sums and maxima: the widest f32 vector of AVX2.
const LANES: usize = 8;

/// Σ values, in [`LANES`] partial sums (so that the loop vectorises, which
/// a strictly ordered f32 sum cannot).
#[inline(always)]
fn sum_of(values: &[f32]) -> f32 {
    let mut lanes = [0.0_f32; LANES];
    let chunks = values.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// The index of the first largest value (0 when every value is NaN, or for
/// none): the component a mode prediction takes.
fn first_max_index(values: &[f32]) -> usize {
    let mut best = 0;
    for (k, &v) in values.iter().enumerate() {
        if v > values[best] || values[best].is_nan() && !v.is_nan() {
            best = k;
        }
    }
    best
}

/// The largest value (−∞ for none), in [`LANES`] partial maxima; NaN if any
/// value is NaN, so that a diverged input shows in the result.
#[inline(always)]
fn max_of(values: &[f32]) -> f32 {
    let pick = |m: f32, v: f32| if v > m || v.is_nan() { v } else { m };
    let mut lanes = [f32::NEG_INFINITY; LANES];
    let chunks = values.chunks_exact(LANES);
    let tail = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |m, &v| pick(m, v));
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane = pick(*lane, v);
        }
    }
    lanes.iter().fold(tail, |m, &v| pick(m, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_1e7_relative_of_f64_exp() {
        let mut worst = 0.0_f64;
        for i in 0..=200_000 {
            let x = -87.0 + 175.0 * i as f32 / 200_000.0;
            let want = f64::from(x).exp();
            let got = f64::from(exp(x));
            worst = worst.max((got - want).abs() / want);
        }
        assert!(worst < 1.5e-7, "worst relative error {worst}");
        assert!(exp(f32::NAN).is_nan());
        assert!(exp(-1e30) >= 0.0 && exp(-1e30) < 1e-37);
        assert!(exp(1e30).is_finite());
    }

    #[test]
    fn ln_is_within_1e7_of_f64_ln_and_keeps_special_values() {
        let mut worst = 0.0_f64;
        for i in 0..=400_000 {
            // 1e-37 to 1e37, evenly in the exponent, and densely around 1.
            let x = 10f32.powf(-37.0 + 74.0 * i as f32 / 400_000.0);
            for x in [x, 1.0 + (i as f32 - 200_000.0) * 1e-6] {
                let want = f64::from(x).ln();
                let got = f64::from(ln(x));
                worst = worst.max((got - want).abs() / want.abs().max(1.0));
            }
        }
        assert!(worst < 1e-7, "worst error {worst}");
        assert!(ln(f32::NAN).is_nan());
        assert!(ln(-1.0).is_nan());
        assert_eq!(ln(0.0), f32::NEG_INFINITY);
        assert_eq!(ln(f32::INFINITY), f32::INFINITY);
        assert_eq!(ln(1.0), 0.0);
    }

    #[test]
    fn tanh_is_within_1_4e7_of_f64_tanh_and_keeps_nan() {
        let mut worst = 0.0_f64;
        for i in 0..=400_000 {
            let x = -20.0 + 40.0 * i as f32 / 400_000.0;
            worst = worst.max((f64::from(tanh(x)) - f64::from(x).tanh()).abs());
        }
        assert!(worst < 1.5e-7, "worst absolute error {worst}");
        assert!(tanh(f32::NAN).is_nan());
        assert_eq!(tanh(f32::INFINITY), 1.0);
        assert_eq!(tanh(f32::NEG_INFINITY), -1.0);
        assert_eq!(tanh(0.0), 0.0);
    }

    #[test]
    fn gathered_rows_are_the_rows_asked_for_in_order() {
        for width in 1..=6 {
            let values: Vec<f32> = (0..7 * width).map(|i| i as f32).collect();
            let rows = [6, 0, 3, 3, 1];
            let want: Vec<f32> = rows
                .iter()
                .flat_map(|&r| (r * width..(r + 1) * width).map(|i| i as f32))
                .collect();
            assert_eq!(gather_rows(&values, width, &rows), want, "width {width}");
            assert!(gather_rows(&values, width, &[]).is_empty());
        }
        let out_of_range = std::panic::catch_unwind(|| gather_rows(&[0.0; 6], 3, &[2]));
        assert!(out_of_range.is_err());
    }
}
