//! Adam's update of one parameter in one pass over its values.
//!
//! burn's `Adam` takes thirteen tensor operations per parameter and step
//! (the two moments' decays and sums, the square, the square root, the
//! bias corrections, the division and the update), each its own pass over
//! memory with a fresh allocation; on flex that was about an eighth of a
//! W5 epoch in the browser. Here each value is read once and its parameter
//! and both moments written once, with the same f32 operations in the same
//! order as burn's `Adam` (so the same values, tested in `crate::ops`).
//!
//! The maths of a value's step is [`crate::adam`]'s.

use crate::adam::AdamStep;

/// Applies one Adam step to every value of a parameter in place: `param`,
/// `moment_1` and `moment_2` updated, `grad` read (four lanes at a time in
/// the wasm, by `lanes`).
///
/// # Panics
/// If the four slices differ in length.
pub fn step(
    adam: &AdamStep,
    param: &mut [f32],
    grad: &[f32],
    moment_1: &mut [f32],
    moment_2: &mut [f32],
) {
    let n = param.len();
    assert!(
        grad.len() == n && moment_1.len() == n && moment_2.len() == n,
        "Adam step: the parameter, its gradient and its moments differ in length"
    );
    let factors = adam.factors();
    #[cfg(target_arch = "wasm32")]
    super::lanes::adam_step(&factors, param, grad, moment_1, moment_2);
    #[cfg(not(target_arch = "wasm32"))]
    for (((p, &g), m), v) in param.iter_mut().zip(grad).zip(moment_1).zip(moment_2) {
        (*p, *m, *v) = crate::adam::update(&factors, *p, g, *m, *v);
    }
}
