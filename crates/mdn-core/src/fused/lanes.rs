//! The wasm build's element-wise kernels, four `f32` lanes at a time.
//!
//! The wasm is built at opt-level "s" (Cargo.toml's `wasm-release`), and
//! at "s" and "z" rustc does not run LLVM's loop vectoriser: the plain
//! loops of [`super::kernels`], which natively become AVX2 code, stayed
//! scalar in the browser (no `f32x4` instruction in them), and tanh alone
//! took a third of a W2 repaint. Building the crate at opt-level 3 instead
//! vectorises them but grows the CPU module by a quarter (789 kB → 1.0 MB
//! gzipped), past the page's 1 MB budget. So the hot element-wise passes
//! are written here with explicit 128-bit lanes: [`F32x4`] is wasm's
//! `v128` in the browser and an array of four `f32` elsewhere, so that the
//! native tests run the very code the wasm runs, lane for lane.
//!
//! Each function gives the same bits as its scalar twin in `kernels` (the
//! same operations in the same order, IEEE f32 without fused multiply-add
//! on both), NaN included (tested below). A pass's last values, fewer than
//! four, take the lanes too, padded with zeros.

use std::ops::{Add, Div, Mul, Sub};

use crate::adam::{self, Arithmetic, Factors};

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
use std::arch::wasm32::{
    f32x4_add, f32x4_convert_i32x4, f32x4_div, f32x4_eq, f32x4_ge, f32x4_gt, f32x4_mul, f32x4_pmax,
    f32x4_pmin, f32x4_splat, f32x4_sqrt, f32x4_sub, i32x4_add, i32x4_shl, i32x4_splat, i32x4_sub,
    u32x4_shr, v128, v128_and, v128_bitselect, v128_load, v128_or, v128_store,
};

/// Four `f32` lanes.
#[derive(Clone, Copy, Debug)]
pub struct F32x4(
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))] v128,
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))] [f32; 4],
);

/// A comparison's result in each of four lanes.
#[derive(Clone, Copy, Debug)]
pub struct Mask(
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))] v128,
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))] [bool; 4],
);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl F32x4 {
    #[inline(always)]
    fn splat(value: f32) -> Self {
        Self(f32x4_splat(value))
    }

    /// The first four values of `values`.
    #[inline(always)]
    fn load(values: &[f32]) -> Self {
        assert!(values.len() >= 4);
        // SAFETY: four f32 are in bounds (checked); v128_load takes any
        // alignment.
        Self(unsafe { v128_load(values.as_ptr().cast()) })
    }

    /// Writes the lanes to the first four elements of `out`.
    #[inline(always)]
    fn store(self, out: &mut [f32]) {
        assert!(out.len() >= 4);
        // SAFETY: as in `load`.
        unsafe { v128_store(out.as_mut_ptr().cast(), self.0) }
    }

    /// `if x > limit { limit } else { x }` in each lane (NaN stays NaN):
    /// pmin(a, b) is `b < a ? b : a`.
    #[inline(always)]
    fn at_most(self, limit: f32) -> Self {
        Self(f32x4_pmin(self.0, f32x4_splat(limit)))
    }

    /// `if x < limit { limit } else { x }` in each lane (NaN stays NaN):
    /// pmax(a, b) is `a < b ? b : a`.
    #[inline(always)]
    fn at_least(self, limit: f32) -> Self {
        Self(f32x4_pmax(self.0, f32x4_splat(limit)))
    }

    /// `f32::from_bits((x.to_bits() − 0x4B40_0000 + 127) << 23)` in each
    /// lane, wrapping: 2^n from the n that [`exp`]'s rounding left in the
    /// low mantissa bits.
    #[inline(always)]
    fn power_of_two_from_rounded(self) -> Self {
        let n = i32x4_sub(self.0, i32x4_splat(0x4B40_0000));
        Self(i32x4_shl(i32x4_add(n, i32x4_splat(127)), 23))
    }

    /// The exponent field less 127, as a float: `((bits >> 23) & 0xff) −
    /// 127`.
    #[inline(always)]
    fn unbiased_exponent(self) -> Self {
        let field = v128_and(u32x4_shr(self.0, 23), i32x4_splat(0xff));
        Self(f32x4_convert_i32x4(i32x4_sub(field, i32x4_splat(127))))
    }

    /// The mantissa as a value in [1, 2): the exponent field set to 127.
    #[inline(always)]
    fn mantissa_in_one_two(self) -> Self {
        let mantissa = v128_and(self.0, i32x4_splat(0x007f_ffff));
        Self(v128_or(mantissa, i32x4_splat(0x3f80_0000)))
    }

    #[inline(always)]
    fn gt(self, limit: f32) -> Mask {
        Mask(f32x4_gt(self.0, f32x4_splat(limit)))
    }

    #[inline(always)]
    fn ge(self, limit: f32) -> Mask {
        Mask(f32x4_ge(self.0, f32x4_splat(limit)))
    }

    #[inline(always)]
    fn eq(self, value: f32) -> Mask {
        Mask(f32x4_eq(self.0, f32x4_splat(value)))
    }

    /// `if mask { if_true } else { if_false }` in each lane.
    #[inline(always)]
    fn select(mask: Mask, if_true: Self, if_false: Self) -> Self {
        Self(v128_bitselect(if_true.0, if_false.0, mask.0))
    }

    #[inline(always)]
    fn sqrt(self) -> Self {
        Self(f32x4_sqrt(self.0))
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl F32x4 {
    fn splat(value: f32) -> Self {
        Self([value; 4])
    }

    fn load(values: &[f32]) -> Self {
        Self([values[0], values[1], values[2], values[3]])
    }

    fn store(self, out: &mut [f32]) {
        out[..4].copy_from_slice(&self.0);
    }

    fn at_most(self, limit: f32) -> Self {
        Self(self.0.map(|x| if x > limit { limit } else { x }))
    }

    fn at_least(self, limit: f32) -> Self {
        Self(self.0.map(|x| if x < limit { limit } else { x }))
    }

    fn power_of_two_from_rounded(self) -> Self {
        Self(self.0.map(|x| {
            let n = x.to_bits().wrapping_sub(0x4B40_0000);
            f32::from_bits(n.wrapping_add(127) << 23)
        }))
    }

    fn unbiased_exponent(self) -> Self {
        Self(
            self.0
                .map(|x| (((x.to_bits() >> 23) & 0xff) as i32 - 127) as f32),
        )
    }

    fn mantissa_in_one_two(self) -> Self {
        Self(
            self.0
                .map(|x| f32::from_bits((x.to_bits() & 0x007f_ffff) | 0x3f80_0000)),
        )
    }

    fn gt(self, limit: f32) -> Mask {
        Mask(self.0.map(|x| x > limit))
    }

    fn ge(self, limit: f32) -> Mask {
        Mask(self.0.map(|x| x >= limit))
    }

    fn eq(self, value: f32) -> Mask {
        Mask(self.0.map(|x| x == value))
    }

    fn select(mask: Mask, if_true: Self, if_false: Self) -> Self {
        Self(std::array::from_fn(|i| {
            if mask.0[i] {
                if_true.0[i]
            } else {
                if_false.0[i]
            }
        }))
    }

    fn sqrt(self) -> Self {
        Self(self.0.map(f32::sqrt))
    }

    fn zip(self, other: Self, f: impl Fn(f32, f32) -> f32) -> Self {
        Self(std::array::from_fn(|i| f(self.0[i], other.0[i])))
    }
}

/// Slices shorter than four lanes (a pass's last values): the missing
/// lanes are zeros, computed and dropped, so a pass needs no scalar copy
/// of its loop for the remainder.
impl F32x4 {
    /// The values of `values` (at most four), zeros after them.
    #[inline(always)]
    fn load_part(values: &[f32]) -> Self {
        if values.len() >= 4 {
            return Self::load(values);
        }
        let mut lanes = [0.0; 4];
        lanes[..values.len()].copy_from_slice(values);
        Self::load(&lanes)
    }

    /// Writes the first `out.len()` lanes (at most four) to `out`.
    #[inline(always)]
    fn store_part(self, out: &mut [f32]) {
        if out.len() >= 4 {
            return self.store(out);
        }
        let mut lanes = [0.0; 4];
        self.store(&mut lanes);
        let n = out.len();
        out.copy_from_slice(&lanes[..n]);
    }
}

/// Lane-wise arithmetic, one wasm instruction each.
macro_rules! lane_op {
    ($trait:ident, $method:ident, $wasm:ident, $op:tt) => {
        impl $trait for F32x4 {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: Self) -> Self {
                #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
                return Self($wasm(self.0, rhs.0));
                #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
                return self.zip(rhs, |a, b| a $op b);
            }
        }
        impl $trait<f32> for F32x4 {
            type Output = Self;
            #[inline(always)]
            fn $method(self, rhs: f32) -> Self {
                self $op F32x4::splat(rhs)
            }
        }
    };
}
lane_op!(Add, add, f32x4_add, +);
lane_op!(Sub, sub, f32x4_sub, -);
lane_op!(Mul, mul, f32x4_mul, *);
lane_op!(Div, div, f32x4_div, /);

/// [`super::kernels::exp`] in four lanes, operation for operation.
#[inline(always)]
pub fn exp(x: F32x4) -> F32x4 {
    const ROUND: f32 = 12_582_912.0;
    let x = x.at_most(88.3).at_least(-87.3);
    let shifted = x * std::f32::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let p = F32x4::splat(1.987_569_1e-4);
    let p = p * r + 1.398_2e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 0.166_666_65;
    let p = p * r + 0.5;
    let p = p * r * r + r + 1.0;
    p * shifted.power_of_two_from_rounded()
}

/// [`super::kernels::ln`] in four lanes, operation for operation.
#[inline(always)]
pub fn ln(x: F32x4) -> F32x4 {
    let exponent = x.unbiased_exponent();
    let mantissa = x.mantissa_in_one_two();
    let big = mantissa.gt(std::f32::consts::SQRT_2);
    let m = F32x4::select(big, mantissa * 0.5, mantissa) - 1.0;
    let e = F32x4::select(big, exponent + 1.0, exponent);
    let z = m * m;
    let p = F32x4::splat(7.037_683_6e-2);
    let p = p * m - 1.151_461e-1;
    let p = p * m + 1.167_699_9e-1;
    let p = p * m - 1.242_014_1e-1;
    let p = p * m + 1.424_932_3e-1;
    let p = p * m - 1.666_805_8e-1;
    let p = p * m + 2.000_071_5e-1;
    let p = p * m - 2.499_999_4e-1;
    let p = p * m + 3.333_333e-1;
    let y = p * m * z - e * 2.121_944_4e-4 - z * 0.5;
    let result = m + y + e * 0.693_359_4;
    let result = F32x4::select(x.eq(f32::INFINITY), x, result);
    let result = F32x4::select(x.eq(0.0), F32x4::splat(f32::NEG_INFINITY), result);
    F32x4::select(x.ge(0.0), result, F32x4::splat(f32::NAN))
}

/// [`super::kernels::tanh`] in four lanes, operation for operation.
#[inline(always)]
pub fn tanh(x: F32x4) -> F32x4 {
    let x = x
        .at_most(super::kernels::TANH_SATURATION)
        .at_least(-super::kernels::TANH_SATURATION);
    let e = exp(x * 2.0);
    (e - 1.0) / (e + 1.0)
}

/// [`super::kernels::tanh_in_place`], four values at a time.
pub fn tanh_in_place(values: &mut [f32]) {
    for chunk in values.chunks_mut(4) {
        tanh(F32x4::load_part(chunk)).store_part(chunk);
    }
}

/// `out[k] = e^max(values[k] − shift, floor)`, four values at a time: the
/// mixture head's softmax (`floor` −∞) and log-sum-exp passes. The slices
/// have the same length.
pub fn exp_shifted(out: &mut [f32], values: &[f32], shift: f32, floor: f32) {
    for (out, values) in out.chunks_mut(4).zip(values.chunks(4)) {
        exp((F32x4::load_part(values) - shift).at_least(floor)).store_part(out);
    }
}

/// The mixture head's scales from their raw outputs, four at a time: σ =
/// σ_min + e^min(raw, cap); `inv` = 1/σ, `log_sigma` = ln σ, and `dlog` =
/// ∂ ln σ / ∂ raw = e^raw / σ (0 above the cap). The slices have the same
/// length.
pub fn scales(
    raw: &[f32],
    sigma_min: f32,
    cap: f32,
    log_sigma: &mut [f32],
    inv: &mut [f32],
    dlog: &mut [f32],
) {
    let outs = log_sigma
        .chunks_mut(4)
        .zip(inv.chunks_mut(4))
        .zip(dlog.chunks_mut(4));
    for (raw, ((log_sigma, inv), dlog)) in raw.chunks(4).zip(outs) {
        let raw = F32x4::load_part(raw);
        let capped = raw.gt(cap);
        let e = exp(raw.at_most(cap));
        let sigma = e + sigma_min;
        let inverse = F32x4::splat(1.0) / sigma;
        inverse.store_part(inv);
        ln(sigma).store_part(log_sigma);
        F32x4::select(capped, F32x4::splat(0.0), e * inverse).store_part(dlog);
    }
}

/// [`super::kernels::tanh_backward_in_place`] (`grad[i] *= 1 − y[i]²`),
/// four values at a time. The slices have the same length (checked by the
/// caller).
pub fn tanh_backward_in_place(y: &[f32], grad: &mut [f32]) {
    for (g, y) in grad.chunks_mut(4).zip(y.chunks(4)) {
        let y = F32x4::load_part(y);
        (F32x4::load_part(g) * (F32x4::splat(1.0) - y * y)).store_part(g);
    }
}

/// [`super::kernels::add_assign`], four values at a time. The slices have
/// the same length (checked by the caller).
pub fn add_assign(sum: &mut [f32], values: &[f32]) {
    for (sum, values) in sum.chunks_mut(4).zip(values.chunks(4)) {
        (F32x4::load_part(sum) + F32x4::load_part(values)).store_part(sum);
    }
}

impl Arithmetic for F32x4 {
    #[inline(always)]
    fn sqrt(self) -> Self {
        F32x4::sqrt(self)
    }
}

/// [`super::adam::step`]'s loop, four values at a time. The slices have
/// the same length (checked by the caller).
pub fn adam_step(
    factors: &Factors,
    param: &mut [f32],
    grad: &[f32],
    moment_1: &mut [f32],
    moment_2: &mut [f32],
) {
    let chunks = param
        .chunks_mut(4)
        .zip(grad.chunks(4))
        .zip(moment_1.chunks_mut(4))
        .zip(moment_2.chunks_mut(4));
    for (((p, g), m), v) in chunks {
        let (new_p, new_m, new_v) = adam::update(
            factors,
            F32x4::load_part(p),
            F32x4::load_part(g),
            F32x4::load_part(m),
            F32x4::load_part(v),
        );
        new_p.store_part(p);
        new_m.store_part(m);
        new_v.store_part(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fused::kernels;

    /// Inputs across every branch: saturation, exp's clamps, zero, tiny,
    /// negative, infinities and NaN; 4097 of them, so a remainder is left.
    fn inputs() -> Vec<f32> {
        let mut values: Vec<f32> = (0..4000).map(|i| (i as f32 - 2000.0) * 0.0123).collect();
        values.extend([
            0.0,
            -0.0,
            1e-30,
            -1e-30,
            8.999,
            9.0,
            9.001,
            -9.0,
            44.0,
            88.3,
            100.0,
            -87.3,
            -100.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MAX,
            f32::MIN,
            f32::MIN_POSITIVE,
        ]);
        values.extend((0..78).map(|i| (i as f32).sin() * 30.0));
        values
    }

    fn same_bits(got: &[f32], want: &[f32], what: &str) {
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                "{what}[{i}]: {g} against the scalar {w}"
            );
        }
    }

    #[test]
    fn exp_tanh_and_ln_lanes_are_the_scalar_functions_bit_for_bit() {
        let x = inputs();
        for (name, lane, scalar) in [
            (
                "exp",
                exp as fn(F32x4) -> F32x4,
                kernels::exp as fn(f32) -> f32,
            ),
            ("tanh", tanh, kernels::tanh),
            ("ln", ln, kernels::ln),
        ] {
            let mut got = vec![0.0; x.len() / 4 * 4];
            for (x, out) in x.chunks_exact(4).zip(got.chunks_exact_mut(4)) {
                lane(F32x4::load(x)).store(out);
            }
            let want: Vec<f32> = x[..got.len()].iter().map(|&v| scalar(v)).collect();
            same_bits(&got, &want, name);
        }
    }

    #[test]
    fn in_place_passes_match_the_scalar_loops_remainder_included() {
        let x = inputs();
        assert_ne!(x.len() % 4, 0, "a remainder to check");
        let mut got = x.clone();
        tanh_in_place(&mut got);
        let want: Vec<f32> = x.iter().map(|&v| kernels::tanh(v)).collect();
        same_bits(&got, &want, "tanh_in_place");

        let y: Vec<f32> = want.clone();
        let mut got: Vec<f32> = x.iter().map(|v| v * 0.5).collect();
        let mut scalar = got.clone();
        tanh_backward_in_place(&y, &mut got);
        for (g, &y) in scalar.iter_mut().zip(&y) {
            *g *= 1.0 - y * y;
        }
        same_bits(&got, &scalar, "tanh_backward_in_place");
    }

    #[test]
    fn add_assign_matches_the_scalar_sum() {
        let x = inputs();
        let mut got: Vec<f32> = x.iter().map(|v| v * 0.5 - 1.0).collect();
        let mut want = got.clone();
        add_assign(&mut got, &x);
        for (w, &v) in want.iter_mut().zip(&x) {
            *w += v;
        }
        same_bits(&got, &want, "add_assign");
    }

    #[test]
    fn adam_step_matches_the_scalar_update_remainder_included() {
        let x = inputs();
        let factors = adam::AdamStep {
            lr: 1e-3,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-8,
            time: 3,
        }
        .factors();
        let grad: Vec<f32> = x.iter().rev().copied().collect();
        let mut param: Vec<f32> = x.iter().map(|v| v * 0.3 + 1.0).collect();
        let mut moment_1: Vec<f32> = x.iter().map(|v| v * 0.01).collect();
        let mut moment_2: Vec<f32> = x.iter().map(|v| v * v * 1e-4).collect();
        let (mut want_param, mut want_m, mut want_v) = (vec![], vec![], vec![]);
        for i in 0..x.len() {
            let (p, m, v) = adam::update(&factors, param[i], grad[i], moment_1[i], moment_2[i]);
            want_param.push(p);
            want_m.push(m);
            want_v.push(v);
        }
        adam_step(&factors, &mut param, &grad, &mut moment_1, &mut moment_2);
        same_bits(&param, &want_param, "param");
        same_bits(&moment_1, &want_m, "moment_1");
        same_bits(&moment_2, &want_v, "moment_2");
    }

    /// The head's passes against its scalar loops (kernels::head_log_prob's
    /// softmax, log-sum-exp and scales stages).
    #[test]
    fn head_passes_match_the_scalar_loops() {
        let x = inputs();
        for (shift, floor) in [(3.0, f32::NEG_INFINITY), (-1.5, -80.0), (f32::NAN, -80.0)] {
            let mut got = vec![0.0; x.len()];
            exp_shifted(&mut got, &x, shift, floor);
            let want: Vec<f32> = x
                .iter()
                .map(|&v| {
                    let shifted = v - shift;
                    kernels::exp(if shifted < floor { floor } else { shifted })
                })
                .collect();
            same_bits(&got, &want, "exp_shifted");
        }

        let (sigma_min, cap) = (1e-3, 80.0);
        let n = x.len();
        let (mut log_sigma, mut inv, mut dlog) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        scales(&x, sigma_min, cap, &mut log_sigma, &mut inv, &mut dlog);
        for (i, &raw) in x.iter().enumerate() {
            let capped = raw > cap;
            let e = kernels::exp(if capped { cap } else { raw });
            let sigma = sigma_min + e;
            let want_inv = 1.0 / sigma;
            let want = [
                kernels::ln(sigma),
                want_inv,
                if capped { 0.0 } else { e * want_inv },
            ];
            same_bits(&[log_sigma[i], inv[i], dlog[i]], &want, "scales");
        }
    }
}
