//! Adam's step as burn's `Adam` computes it: its per-step constants
//! ([`Factors`]), which the CPU's one-pass step (`crate::fused`) and the
//! GPU's one-kernel step (`crate::cube`, the same arithmetic in cubecl)
//! both take, and the CPU's update of one value.
//!
//! Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization",
//! Algorithm 1, with ε scaled as burn places it (see [`Factors`]).

#[cfg(feature = "flex")]
use std::ops::{Add, Div, Mul, Sub};

/// One Adam step of one parameter: the hyper-parameters and t, the number
/// of this step (1 for a parameter's first).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamStep {
    /// The learning rate α (> 0).
    pub lr: f32,
    /// The first moment's decay β1, in [0, 1).
    pub beta_1: f32,
    /// The second moment's decay β2, in [0, 1).
    pub beta_2: f32,
    /// ε (> 0), added to √v̂.
    pub epsilon: f32,
    /// t ≥ 1.
    pub time: usize,
}

/// The per-step constants of [`update`], computed as burn's `Adam` does.
#[derive(Clone, Copy, Debug)]
pub struct Factors {
    pub beta_1: f32,
    pub one_minus_beta_1: f32,
    pub beta_2: f32,
    pub one_minus_beta_2: f32,
    /// √(1 − β2^t) / (1 − β1^t): both bias corrections in one factor.
    pub combined: f32,
    /// ε √(1 − β2^t): burn divides m by √v + ε √(1 − β2^t), which is
    /// m̂ / (√v̂ + ε) multiplied through by √(1 − β2^t).
    pub epsilon: f32,
    pub lr: f32,
}

impl AdamStep {
    /// The constants of this step (t is clamped to 1 at least, as the
    /// first step).
    pub fn factors(&self) -> Factors {
        let time = self.time.clamp(1, i32::MAX as usize) as i32;
        let correction_2 = (1.0 - self.beta_2.powi(time)).sqrt();
        Factors {
            beta_1: self.beta_1,
            one_minus_beta_1: 1.0 - self.beta_1,
            beta_2: self.beta_2,
            one_minus_beta_2: 1.0 - self.beta_2,
            combined: correction_2 / (1.0 - self.beta_1.powi(time)),
            epsilon: self.epsilon * correction_2,
            lr: self.lr,
        }
    }
}

/// The arithmetic [`update`] needs: `f32` natively, four lanes in the wasm.
#[cfg(feature = "flex")]
pub trait Arithmetic:
    Copy
    + Add<Output = Self>
    + Add<f32, Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Mul<f32, Output = Self>
    + Div<Output = Self>
{
    /// The IEEE square root.
    fn sqrt(self) -> Self;
}

#[cfg(feature = "flex")]
impl Arithmetic for f32 {
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
}

/// One value's step: the parameter p, its gradient g and its moments m and
/// v give the new (p, m, v):
///
/// m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g²,
/// p ← p − α (m c) / (√v + ε'), with c and ε' of [`Factors`].
///
/// A parameter's first step takes m = v = 0, which gives burn's first
/// moments (1 − β1) g and (1 − β2) g² exactly.
#[cfg(feature = "flex")]
#[inline(always)]
pub fn update<T: Arithmetic>(factors: &Factors, param: T, grad: T, m: T, v: T) -> (T, T, T) {
    let m = m * factors.beta_1 + grad * factors.one_minus_beta_1;
    let v = v * factors.beta_2 + (grad * grad) * factors.one_minus_beta_2;
    let step = (m * factors.combined) / (v.sqrt() + factors.epsilon);
    (param - step * factors.lr, m, v)
}
