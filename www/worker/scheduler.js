/* The worker's scheduler: which running demo trains next and for how many
 * steps, and how the worker yields to its message queue between slices.
 * Pure functions over the demos' records ({model, running, used, steps,
 * decoding}),
 * so that the node unit tests (tests/unit/) run them as they are.
 *
 * A classic script (see www/protocol.js): defines globalThis.MdnScheduler.
 */
'use strict';

(function define(global) {
  // Each demo's slice aims at this many milliseconds: long enough that the
  // per-slice overhead (snapshot, messages) stays small, short enough that
  // commands from the page are picked up quickly and the plots move smoothly.
  const SLICE_MS = 40;

  // Moves the step count towards the one that would have taken SLICE_MS, but
  // by at most a factor of two per slice, so one slow slice (GC, shader
  // compilation) does not whipsaw it; between 1 and `max`.
  function adapt(steps, elapsedMs, max) {
    const ideal = elapsedMs > 0 ? (steps * SLICE_MS) / elapsedMs : steps * 2;
    const bounded = Math.min(steps * 2, Math.max(steps / 2, ideal));
    return Math.max(1, Math.min(max, Math.round(bounded)));
  }

  // The running demo with a model that has had the least worker time (ms,
  // `used`), or null: so one whose shortest slice is long (one step on a
  // slow device) cannot crowd out the others. A painting whose next picture
  // is being decoded waits: its model is about to go, and the browser's
  // decoder needs the cores (a 12-megapixel JPEG decoded in 0.27 s instead
  // of 0.5 s beside it on 2 cores).
  function nextDemo(demos) {
    let best = null;
    for (const demo of demos) {
      if (demo.model && demo.running && !demo.decoding && (!best || demo.used < best.used)) best = demo;
    }
    return best;
  }

  // A demo that gets a new model or resumes starts level with the least
  // served running demo (or keeps its own count, if that is higher), so it
  // neither waits for the others nor hogs the worker to catch up on time it
  // was away.
  function level(demo, demos) {
    let least = Infinity;
    for (const other of demos) {
      if (other !== demo && other.model && other.running) least = Math.min(least, other.used);
    }
    if (Number.isFinite(least)) demo.used = Math.max(demo.used, least);
  }

  // A macrotask boundary: lets queued messages from the page run.
  // setTimeout(0) would be clamped to 4 ms once nested, a MessageChannel is
  // not.
  let channel = null;
  const waiters = [];
  function yieldToEvents() {
    if (!channel) {
      channel = new MessageChannel();
      channel.port1.onmessage = () => waiters.shift()();
    }
    return new Promise((resolve) => {
      waiters.push(resolve);
      channel.port2.postMessage(null);
    });
  }

  global.MdnScheduler = Object.freeze({ SLICE_MS, adapt, nextDemo, level, yieldToEvents });
})(globalThis);
