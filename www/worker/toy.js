/* The toy demo's part of the worker: its model (the wasm ToyDemo), its
 * commands and its training slice. Registered in globalThis.MdnKinds under
 * the demo kind's name; www/worker.js calls it with a context `ctx` of
 * {bindings, post, owned, randomSeed, level, fail}.
 */
'use strict';

(function define(global) {
  const P = global.MdnProtocol;

  // A new model on new data (also Restart).
  function start(demo, ctx) {
    if (demo.model) demo.model.free();
    demo.model = null;
    try {
      const seed = ctx.randomSeed();
      demo.model = new ctx.bindings.ToyDemo(seed);
      demo.steps = 1;
      ctx.level(demo);
      const data = demo.model.data();
      const x = ctx.owned(data.x);
      const y = ctx.owned(data.y);
      ctx.post({ type: P.TOY_DATA, id: demo.id, seed, x, y }, [x, y]);
    } catch (e) {
      ctx.fail(demo, e);
    }
  }

  (global.MdnKinds ||= {}).toy = {
    // Full-batch steps per slice at most.
    maxSteps: 1000,

    create(demo, msg, ctx) {
      demo.tau = msg.tau || null;
      start(demo, ctx);
    },

    command(demo, msg, ctx) {
      if (msg.type === P.TOY_RESTART) start(demo, ctx);
      else if (msg.type === P.TOY_TAU) demo.tau = msg.tau;
      else return false;
      return true;
    },

    // Trains `demo.steps` steps, then posts a snapshot. The snapshot reads
    // results back, so on WebGPU this also waits for the queued work: the
    // elapsed time is real, not just the time to queue it.
    async slice(demo, ctx) {
      const model = demo.model;
      const t0 = performance.now();
      model.train(demo.steps);
      const tau = demo.tau || { pi: 1, sigma: 1 };
      const s = await model.snapshot(tau.pi, tau.sigma);
      demo.steps = global.MdnScheduler.adapt(demo.steps, performance.now() - t0, this.maxSteps);
      const grid_x = ctx.owned(s.grid_x);
      const samples = ctx.owned(s.samples);
      const mse_y = ctx.owned(s.mse_y);
      ctx.post(
        {
          type: P.TOY_SNAPSHOT,
          id: demo.id,
          step: s.step,
          nll: s.nll,
          grid_x,
          samples,
          mse_y,
          recovery: s.recovery || null,
        },
        [grid_x, samples, mse_y],
      );
    },
  };
})(globalThis);
