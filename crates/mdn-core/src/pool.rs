//! Where CPU work runs: with the `rayon` feature and more than one thread
//! in rayon's pool, a stretch of it on one of the pool's threads, so that
//! the passes inside it split from there ([`run`]), and chunks of a slice
//! shared among them ([`for_each_chunk`]); otherwise on the calling thread.
//!
//! A pass split from outside the pool (the page's training worker, the
//! command line's main thread) hands its tasks over and sleeps until the
//! last is done: two wake-ups per pass, while the calling thread does none
//! of the work. From a pool thread the caller takes its own share at once,
//! and only the other threads are woken. In the browser's threaded module a
//! wake-up (Atomics.notify to a Web Worker sleeping in Atomics.wait) costs
//! tens of µs, and a minibatch step has a dozen or more split passes, so a
//! slice of training steps crosses into the pool once, not once per pass.

/// `work()`, on a thread of rayon's pool when the `rayon` feature is on,
/// the pool has more than one thread and the caller is not already one of
/// them (the calling thread waits meanwhile); on the calling thread
/// otherwise. A panic in `work` reaches the caller either way.
pub fn run<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    #[cfg(feature = "rayon")]
    if rayon::current_thread_index().is_none() && rayon::current_num_threads() > 1 {
        return rayon::scope(|_| work());
    }
    work()
}

/// `f(i, chunk)` for each `chunk_len`-long chunk of `data` (the last may
/// be shorter), `i` its index: the chunks shared among the threads of
/// rayon's pool with the `rayon` feature and more than one thread, in
/// order on the calling thread otherwise.
///
/// # Panics
/// When `chunk_len` is 0.
pub fn for_each_chunk<T: Send>(
    data: &mut [T],
    chunk_len: usize,
    f: impl Fn(usize, &mut [T]) + Send + Sync,
) {
    #[cfg(feature = "rayon")]
    if rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        data.par_chunks_mut(chunk_len)
            .enumerate()
            .for_each(|(i, chunk)| f(i, chunk));
        return;
    }
    for (i, chunk) in data.chunks_mut(chunk_len).enumerate() {
        f(i, chunk);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn runs_the_work_and_returns_its_result() {
        assert_eq!(super::run(|| 6 * 7), 42);
    }

    #[test]
    fn every_chunk_is_visited_once_with_its_index() {
        let mut data = vec![0usize; 10];
        super::for_each_chunk(&mut data, 3, |i, chunk| {
            chunk.iter_mut().for_each(|v| *v += i + 1)
        });
        assert_eq!(data, [1, 1, 1, 2, 2, 2, 3, 3, 3, 4]);
    }

    #[cfg(feature = "rayon")]
    #[test]
    fn work_from_outside_the_pool_runs_on_a_pool_thread() {
        // The global pool with 2 threads, unless a test built it first
        // (with as many as the machine has cores).
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build_global();
        if rayon::current_num_threads() < 2 {
            return; // a one-core machine: nothing to hand over to
        }
        assert_eq!(
            rayon::current_thread_index(),
            None,
            "the test thread is in no pool"
        );
        assert!(
            super::run(rayon::current_thread_index).is_some(),
            "ran outside the pool"
        );
        // Called from a pool thread, it stays there.
        let (outer, inner) = super::run(|| {
            (
                rayon::current_thread_index(),
                super::run(rayon::current_thread_index),
            )
        });
        assert_eq!(outer, inner);
    }
}
