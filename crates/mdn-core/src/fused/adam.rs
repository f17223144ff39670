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

use crate::adam::{AdamStep, Factors};

use super::split;

/// The fewest values an Adam task updates: for a smaller parameter, handing
/// half of it to another thread would cost about what the half saves (the
/// wasm's hand-offs take tens of µs). W5's grid table (87 296 values)
/// splits on 2 threads; the weights of its dense layers (at most 4 096)
/// and of W2's (16 384) do not (docs/PERFORMANCE.md, "Threads").
const MIN_VALUES_PER_TASK: usize = 16_384;

/// Applies one Adam step to every value of a parameter in place: `param`,
/// `moment_1` and `moment_2` updated, `grad` read (four lanes at a time in
/// the wasm, by `lanes`), split over the pool's threads for a large
/// parameter ([`split`]). Each value's step depends on that value alone,
/// so the split changes no result.
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
    // Whole lanes of four in every task but the last.
    let values = split::rows_per_task(n, MIN_VALUES_PER_TASK).next_multiple_of(4);
    let tasks: Vec<_> = param
        .chunks_mut(values)
        .zip(grad.chunks(values))
        .zip(moment_1.chunks_mut(values))
        .zip(moment_2.chunks_mut(values))
        .collect();
    split::run(tasks, |(((param, grad), moment_1), moment_2)| {
        update_all(&factors, param, grad, moment_1, moment_2)
    });
}

/// [`crate::adam::update`] of every value of equally long slices.
fn update_all(
    factors: &Factors,
    param: &mut [f32],
    grad: &[f32],
    moment_1: &mut [f32],
    moment_2: &mut [f32],
) {
    #[cfg(target_arch = "wasm32")]
    super::lanes::adam_step(factors, param, grad, moment_1, moment_2);
    #[cfg(not(target_arch = "wasm32"))]
    for (((p, &g), m), v) in param.iter_mut().zip(grad).zip(moment_1).zip(moment_2) {
        (*p, *m, *v) = crate::adam::update(factors, *p, g, *m, *v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parameter large enough to split (where the pool has more than one
    /// thread), with a length that leaves a remainder of lanes: every value
    /// as the one-value update gives it, bit for bit.
    #[test]
    fn a_split_step_updates_every_value_as_one_value_s_step() {
        let n = 2 * MIN_VALUES_PER_TASK + 7;
        let adam = AdamStep {
            lr: 1e-2,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-8,
            time: 5,
        };
        let grad: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 2003) as f32 / 1000.0 - 1.0)
            .collect();
        let mut param: Vec<f32> = (0..n).map(|i| (i % 97) as f32 * 0.01).collect();
        let mut moment_1: Vec<f32> = grad.iter().map(|g| g * 0.05).collect();
        let mut moment_2: Vec<f32> = grad.iter().map(|g| g * g * 0.01).collect();
        let factors = adam.factors();
        let want: Vec<_> = (0..n)
            .map(|i| crate::adam::update(&factors, param[i], grad[i], moment_1[i], moment_2[i]))
            .collect();
        step(&adam, &mut param, &grad, &mut moment_1, &mut moment_2);
        for (i, (p, m, v)) in want.into_iter().enumerate() {
            assert_eq!(
                (
                    param[i].to_bits(),
                    moment_1[i].to_bits(),
                    moment_2[i].to_bits()
                ),
                (p.to_bits(), m.to_bits(), v.to_bits()),
                "value {i}"
            );
        }
    }
}
