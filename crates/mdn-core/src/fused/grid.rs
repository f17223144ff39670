//! The learned multiresolution grid on slices ([`GridLayout`]): every
//! point's bilinear interpolation of its four surrounding nodes on every
//! level, and the backward pass that adds each point's share back to those
//! nodes.
//!
//! The forward pass splits the batch over rayon's threads; the backward
//! pass splits the levels, whose rows of the table are disjoint, so no two
//! threads ever add into the same row. Both split only batches that
//! `split` would split by rows (in the wasm, from 512 rows on).

use super::split;
use crate::spec::{GridLayout, GridLevel};

/// The four nodes around (x, y) on `level` and their bilinear weights:
/// rows of the table, and weights that sum to 1. Points outside [−1, 1]²
/// are clamped onto the grid's edge.
#[inline(always)]
pub fn corners(level: &GridLevel, x: f32, y: f32) -> ([usize; 4], [f32; 4]) {
    let side = level.side;
    let last = (side - 1) as f32;
    let u = ((x + 1.0) * 0.5 * last).clamp(0.0, last);
    let v = ((y + 1.0) * 0.5 * last).clamp(0.0, last);
    // The cell's lower corner, one short of the last node so that the
    // upper one exists.
    let i = (u.floor() as usize).min(side - 2);
    let j = (v.floor() as usize).min(side - 2);
    let (fx, fy) = (u - i as f32, v - j as f32);
    (
        [
            level.row(i, j),
            level.row(i + 1, j),
            level.row(i, j + 1),
            level.row(i + 1, j + 1),
        ],
        [
            (1.0 - fx) * (1.0 - fy),
            fx * (1.0 - fy),
            (1.0 - fx) * fy,
            fx * fy,
        ],
    )
}

/// The grid's features of every point, `[batch, L · F]` (level-major), for
/// points `coords` `[batch, 2]` (x, y in [−1, 1]) and the table `[rows, F]`.
///
/// # Panics
/// If `table`'s length is not `layout.total_entries() · F`, or `coords`'
/// length is odd.
pub fn forward(layout: &GridLayout, coords: &[f32], table: &[f32]) -> Vec<f32> {
    let features = layout.features;
    assert_eq!(
        table.len(),
        layout.total_entries() * features,
        "grid: table shape"
    );
    assert_eq!(coords.len() % 2, 0, "grid: coordinates are not [batch, 2]");
    let batch = coords.len() / 2;
    let width = layout.outputs();
    let levels: Vec<GridLevel> = (0..layout.levels).map(|l| layout.level(l)).collect();
    let rows = split::rows_per_task(batch, 256);
    // Each task writes its rows of one output, so nothing is copied after.
    let mut out = vec![0.0; batch * width];
    let tasks: Vec<_> = coords
        .chunks(2 * rows)
        .zip(out.chunks_mut(rows * width))
        .collect();
    split::run(tasks, |(coords, out)| {
        for (point, out) in coords.chunks_exact(2).zip(out.chunks_exact_mut(width)) {
            for (level, out) in levels.iter().zip(out.chunks_exact_mut(features)) {
                let (rows, weights) = corners(level, point[0], point[1]);
                for (&row, &w) in rows.iter().zip(&weights) {
                    let node = &table[row * features..(row + 1) * features];
                    // Indexed: in the wasm (opt-level "s") a zip of two
                    // slices this deep in the loop is a call of its own.
                    for f in 0..features {
                        out[f] += w * node[f];
                    }
                }
            }
        }
    });
    out
}

/// ∂L/∂table, `[rows, F]`, from ∂L/∂features `grad` (`[batch, L · F]`) of
/// the points `coords`: each point's gradient, times each corner's weight,
/// added to that corner's row.
///
/// # Panics
/// If `grad`'s length disagrees with `coords` and `layout`.
pub fn backward(layout: &GridLayout, coords: &[f32], grad: &[f32]) -> Vec<f32> {
    let features = layout.features;
    let width = layout.outputs();
    let batch = coords.len() / 2;
    assert_eq!(grad.len(), batch * width, "grid: gradient shape");
    // One table, cut into each level's rows for its task, so nothing is
    // copied after.
    let mut table = vec![0.0; layout.total_entries() * features];
    let mut tasks = Vec::with_capacity(layout.levels);
    let mut rest = table.as_mut_slice();
    for l in 0..layout.levels {
        let (rows, tail) = rest.split_at_mut(layout.entries(l) * features);
        tasks.push((l, layout.level(l), rows));
        rest = tail;
    }
    split::run_over(batch, tasks, |(l, level, rows)| {
        for (point, grad) in coords.chunks_exact(2).zip(grad.chunks_exact(width)) {
            let grad = &grad[l * features..(l + 1) * features];
            let (corners, weights) = corners(&level, point[0], point[1]);
            for (&row, &w) in corners.iter().zip(&weights) {
                let local = &mut rows[(row - level.offset) * features..][..features];
                for f in 0..features {
                    local[f] += w * grad[f];
                }
            }
        }
    });
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The interpolation against f64 arithmetic on a small dense and hashed
    /// grid, and its gradient against central differences of it.
    #[test]
    fn interpolation_and_gradient_match_their_definitions() {
        let layout = GridLayout {
            levels: 3,
            base: 3,
            top: 12,
            features: 2,
            hash_above: 64,
            table: 64,
        };
        assert!(layout.hashed(2) && !layout.hashed(1));
        let rows = layout.total_entries();
        let table: Vec<f32> = (0..rows * 2)
            .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
            .collect();
        let coords = [-1.0, -1.0, 0.3, -0.7, 0.999, 0.25, -0.05, 1.0, 0.5, 0.5];
        let out = forward(&layout, &coords, &table);
        let reference = |table: &[f64], x: f64, y: f64, level: usize, f: usize| -> f64 {
            let side = layout.side(level);
            let last = (side - 1) as f64;
            let (u, v) = ((x + 1.0) / 2.0 * last, (y + 1.0) / 2.0 * last);
            let (i, j) = (
                (u.floor() as usize).min(side - 2),
                (v.floor() as usize).min(side - 2),
            );
            let (fx, fy) = (u - i as f64, v - j as f64);
            let at = |a, b| table[layout.row(level, a, b) * 2 + f];
            (1.0 - fx) * (1.0 - fy) * at(i, j)
                + fx * (1.0 - fy) * at(i + 1, j)
                + (1.0 - fx) * fy * at(i, j + 1)
                + fx * fy * at(i + 1, j + 1)
        };
        let table64: Vec<f64> = table.iter().map(|&t| f64::from(t)).collect();
        for (p, point) in coords.chunks_exact(2).enumerate() {
            for level in 0..3 {
                for f in 0..2 {
                    let want = reference(&table64, point[0].into(), point[1].into(), level, f);
                    let got = f64::from(out[p * 6 + level * 2 + f]);
                    assert!(
                        (got - want).abs() < 1e-5,
                        "point {p} level {level}: {got} vs {want}"
                    );
                }
            }
        }

        // L = Σ c ⊙ features: ∂L/∂table by central differences of the f64
        // reference, which is linear in the table.
        let c: Vec<f32> = (0..out.len()).map(|i| (i as f32 * 0.37).sin()).collect();
        let grad = backward(&layout, &coords, &c);
        let loss = |table: &[f64]| -> f64 {
            let mut total = 0.0;
            for (p, point) in coords.chunks_exact(2).enumerate() {
                for level in 0..3 {
                    for f in 0..2 {
                        let value = reference(table, point[0].into(), point[1].into(), level, f);
                        total += f64::from(c[p * 6 + level * 2 + f]) * value;
                    }
                }
            }
            total
        };
        for k in 0..table64.len() {
            let (mut up, mut down) = (table64.clone(), table64.clone());
            up[k] += 1e-3;
            down[k] -= 1e-3;
            let want = (loss(&up) - loss(&down)) / 2e-3;
            assert!(
                (f64::from(grad[k]) - want).abs() < 1e-4,
                "∂table[{k}]: {} vs {want}",
                grad[k]
            );
        }
    }
}
