//! The kernels over slices, split into tasks for rayon's thread pool when
//! the `rayon` feature is on (the command-line program), run in one piece
//! otherwise (the browser, where the wasm has one thread).
//!
//! Without this the fused passes would run on the calling thread while the
//! others wait. With one thread in the pool nothing is split (the hand-off
//! to the pool would cost without gaining).

use crate::spec::HeadLayout;

use super::kernels;

/// Samples per mixture-head task: about 30–100 µs of work.
const HEAD_SAMPLES_PER_TASK: usize = 256;

/// The fewest rows (samples) a pass is split at. In the browser's threaded
/// module a hand-off to the pool costs tens of µs (Atomics.wait and notify
/// between Web Workers), and the page's main thread shares the cores: on 2
/// cores and 2 threads the default painting's minibatches of 256 split
/// trained 0.68 × as many epochs in 60 s as one thread (docs/PERFORMANCE.md,
/// "Threads"; and still 0.78–0.87 × once training slices ran on the pool,
/// [`crate::pool::run`]), so they run in one piece there,
/// while the minibatches of
/// 1024 of larger paintings, the toy's data and every repaint split.
/// Natively every batch splits (an empty one has nothing to split).
#[cfg(target_arch = "wasm32")]
const SPLIT_FROM_ROWS: usize = 512;
#[cfg(not(target_arch = "wasm32"))]
const SPLIT_FROM_ROWS: usize = 1;

/// Threads that [`run`] spreads a pass over `rows` rows: the pool's with
/// the `rayon` feature (from [`SPLIT_FROM_ROWS`] rows on), 1 without.
fn threads(rows: usize) -> usize {
    if rows < SPLIT_FROM_ROWS {
        return 1;
    }
    #[cfg(feature = "rayon")]
    return rayon::current_num_threads();
    #[cfg(not(feature = "rayon"))]
    1
}

/// Rows per task when `rows` rows are cut into one block per thread of
/// the pool (one block without the `rayon` feature, or below
/// [`SPLIT_FROM_ROWS`]), blocks of at least `min_rows` rows; always ≥ 1.
pub fn rows_per_task(rows: usize, min_rows: usize) -> usize {
    rows.div_ceil(threads(rows)).max(min_rows).max(1)
}

/// `f` applied to every task, over the pool with the `rayon` feature (on
/// the calling thread without it, when there is only one task, or when the
/// pool has one thread: handing the tasks to it would only put the caller
/// to sleep meanwhile, at the cost of two wake-ups); the results in the
/// tasks' order.
pub fn run<T: Send, R: Send>(tasks: Vec<T>, f: impl Fn(T) -> R + Send + Sync) -> Vec<R> {
    #[cfg(feature = "rayon")]
    if tasks.len() > 1 && rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        return tasks.into_par_iter().map(f).collect();
    }
    tasks.into_iter().map(f).collect()
}

/// [`run`] for a pass over `rows` rows cut into tasks some other way than
/// by rows (the grid's backward pass, by level): the tasks run in order on
/// the calling thread where [`rows_per_task`] would not split the rows
/// (below [`SPLIT_FROM_ROWS`]), so that a small batch's pass hands nothing
/// over, whatever its cut.
pub fn run_over<T: Send, R: Send>(
    rows: usize,
    tasks: Vec<T>,
    f: impl Fn(T) -> R + Send + Sync,
) -> Vec<R> {
    if threads(rows) > 1 {
        run(tasks, f)
    } else {
        tasks.into_iter().map(f).collect()
    }
}

/// The values of raw outputs and of targets in one mixture-head task, or
/// `None` for one piece: no samples, or a head the kernel rejects with its
/// own message.
fn head_task_rows(layout: &HeadLayout, targets: &[f32]) -> Option<(usize, usize)> {
    let batch = targets.len() / layout.dim.max(1);
    let samples = if threads(batch) > 1 {
        HEAD_SAMPLES_PER_TASK
    } else {
        batch
    };
    let rows = (samples * layout.outputs(), samples * layout.dim);
    (rows.0 > 0 && rows.1 > 0).then_some(rows)
}

/// [`kernels::head_log_prob`] over a batch (same arguments, shapes and
/// panics).
pub fn head_log_prob(
    layout: &HeadLayout,
    raw: &[f32],
    targets: &[f32],
    grad: Option<&mut [f32]>,
) -> Vec<f32> {
    let Some((raw_rows, target_rows)) = head_task_rows(layout, targets) else {
        return kernels::head_log_prob(layout, raw, targets, grad);
    };
    let mut grads = grad.map(|grad| grad.chunks_mut(raw_rows));
    let tasks: Vec<_> = raw
        .chunks(raw_rows)
        .zip(targets.chunks(target_rows))
        .map(|(raw, targets)| (raw, targets, grads.as_mut().and_then(Iterator::next)))
        .collect();
    run(tasks, |(raw, targets, grad)| {
        kernels::head_log_prob(layout, raw, targets, grad)
    })
    .concat()
}

/// [`kernels::head_readout`] over a batch (same arguments, shapes and
/// panics).
pub fn head_readout(layout: &HeadLayout, raw: &[f32], targets: &[f32]) -> kernels::Readout {
    let Some((raw_rows, target_rows)) = head_task_rows(layout, targets) else {
        return kernels::head_readout(layout, raw, targets);
    };
    let tasks: Vec<_> = raw
        .chunks(raw_rows)
        .zip(targets.chunks(target_rows))
        .collect();
    let parts = run(tasks, |(raw, targets)| {
        kernels::head_readout(layout, raw, targets)
    });
    // Each part appended whole (a value-by-value `flat_map` is a loop of
    // calls in the wasm, built at opt-level "s").
    let mut readout = kernels::Readout {
        log_prob: Vec::with_capacity(targets.len() / layout.dim),
        mode: Vec::with_capacity(targets.len()),
        mean: Vec::with_capacity(targets.len()),
    };
    for part in &parts {
        readout.log_prob.extend_from_slice(&part.log_prob);
        readout.mode.extend_from_slice(&part.mode);
        readout.mean.extend_from_slice(&part.mean);
    }
    readout
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Covariance;

    /// Split or not, every sample's log-density and gradient is the same
    /// (a batch of several tasks with a short last one).
    #[test]
    fn split_head_equals_one_piece() {
        let layout = HeadLayout {
            components: 5,
            dim: 3,
            covariance: Covariance::Full,
            sigma_min: 1e-4,
        };
        let batch = 1000;
        let wave = |i: usize, scale: f32| (i as f32 * 0.618).sin() * scale;
        let raw: Vec<f32> = (0..batch * layout.outputs())
            .map(|i| wave(i, 2.0))
            .collect();
        let targets: Vec<f32> = (0..batch * layout.dim).map(|i| wave(i + 7, 1.5)).collect();
        let mut split_grad = vec![0.0; raw.len()];
        let mut whole_grad = vec![0.0; raw.len()];
        let split = head_log_prob(&layout, &raw, &targets, Some(&mut split_grad));
        let whole = kernels::head_log_prob(&layout, &raw, &targets, Some(&mut whole_grad));
        assert_eq!(split.len(), batch);
        assert_eq!(split, whole);
        assert_eq!(split_grad, whole_grad);
        assert_eq!(head_log_prob(&layout, &raw, &targets, None), whole);
        let readout = head_readout(&layout, &raw, &targets);
        assert_eq!(readout, kernels::head_readout(&layout, &raw, &targets));
        assert_eq!(readout.log_prob, whole);
    }
}
