/* The toy demo's part of the worker: its model (the wasm ToyDemo), its
 * commands and its training slice. Registered in globalThis.MdnKinds under
 * the demo kind's name; www/worker.js calls it with a context `ctx` of
 * {bindings, memory, post, randomSeed, enqueue, level, fail}
 * (www/worker.js, `context`).
 */
'use strict';

(function define(global) {
  const P = global.MdnProtocol;

  // A new model with a new seed on the demo's options: new data of a
  // built-in set, or the reader's points (`demo.points`) when the data set
  // is "draw". Always answered by TOY_DATA (with no points when there is no
  // model to train: none drawn yet, or refused, which TOY_ERROR explains),
  // so the page can tell the old model's snapshots from the new one's.
  function start(demo, ctx) {
    if (demo.model) demo.model.free();
    demo.model = null;
    const seed = ctx.randomSeed();
    const options = { ...demo.options };
    const drawn = options.data === 'draw';
    const empty = new Float32Array(0);
    const answer = (fields) => ctx.post({ type: P.TOY_DATA, id: demo.id, seed, options: demo.options, ...fields });
    if (drawn) {
      const points = demo.points;
      if (!points || points.x.length === 0) {
        answer({ x: empty, y: empty, bounds: points ? points.bounds : null });
        return;
      }
      Object.assign(options, { x: Array.from(points.x), y: Array.from(points.y), bounds: points.bounds });
    }
    let next;
    try {
      next = new ctx.bindings.ToyDemo(seed, options);
    } catch (e) {
      ctx.post({ type: P.TOY_ERROR, id: demo.id, message: global.MdnBackend.messageOf(e) });
      answer({ x: empty, y: empty, bounds: drawn ? demo.points.bounds : null });
      return;
    }
    install(demo, next, ctx, () => ({ seed }));
  }

  // Makes `next` (a wasm ToyDemo) the demo's model, in place of any other,
  // and posts its data (TOY_DATA, the contract's ToyDataset) with the
  // fields `fields(data)` adds; called before the message reads
  // `demo.options`, it may set them.
  function install(demo, next, ctx, fields) {
    if (demo.model) demo.model.free();
    demo.model = next;
    if (demo.probe !== null) next.set_probe(demo.probe);
    demo.steps = 1;
    demo.shownAt = -Infinity;
    demo.untrained = next.steps === 0;
    ctx.level(demo);
    const data = next.data();
    const extra = fields(data);
    ctx.post({ type: P.TOY_DATA, id: demo.id, options: demo.options, ...data, ...extra });
  }

  // A model file's run replaces the running one once it loads; one the wasm
  // refuses leaves the running model as it was. Its points are shown as
  // its data; its settings become the demo's (a restart draws new data of
  // its set), unless it is one of the demo's own checkpoints.
  function load(demo, { bytes, name, checkpoint }, ctx) {
    let next;
    try {
      next = ctx.bindings.ToyDemo.load(new Uint8Array(bytes));
    } catch (e) {
      ctx.post({ type: P.TOY_ERROR, id: demo.id, message: `Could not use “${name}”: ${global.MdnBackend.messageOf(e)}` });
      return false;
    }
    install(demo, next, ctx, (data) => {
      // A checkpoint of this demo: its settings (and drawn points) stay.
      if (!checkpoint) {
        const { set, components, hidden } = data.model;
        demo.options = { ...demo.options, data: set, components, 'hidden-units': hidden };
      }
      return { seed: null, resumed: { name, step: next.steps, checkpoint: Boolean(checkpoint) } };
    });
    return true;
  }

  // A snapshot (samples, the NLL over all points, the panels) costs several
  // training steps in wasm: a slice ends with one at most this often (and
  // at once after a restart or a probe move), otherwise with a cheap
  // readback of the last loss, which on WebGPU also waits for the queued
  // work. About 10 redraws a second is smooth for curves that change
  // slowly.
  const SNAPSHOT_EVERY_MS = 100;

  (global.MdnKinds ||= {}).toy = {
    // Full-batch steps per slice at most.
    maxSteps: 1000,

    create(demo, msg, ctx) {
      demo.tau = msg.tau || null;
      demo.panels = msg.panels !== false;
      demo.options = msg.options || {};
      demo.points = null;
      demo.probe = null;
      // Created again after a GPU loss: from its checkpoint if it loads.
      if (msg.checkpoint && load(demo, { ...msg.checkpoint, checkpoint: true }, ctx)) return;
      start(demo, ctx);
    },

    command(demo, msg, ctx) {
      if (msg.type === P.TOY_RESTART) {
        if (msg.options) demo.options = msg.options;
        start(demo, ctx);
      } else if (msg.type === P.TOY_POINTS) {
        demo.points = { x: msg.x, y: msg.y, bounds: msg.bounds };
        start(demo, ctx);
      } else if (msg.type === P.LOAD_MODEL) {
        load(demo, msg, ctx);
      } else if (msg.type === P.TOY_PROBE) {
        demo.probe = Number.isFinite(msg.x) ? msg.x : null;
        demo.shownAt = -Infinity;
        if (demo.model) demo.model.set_probe(demo.probe === null ? undefined : demo.probe);
      } else if (msg.type === P.TOY_DISPLAY) {
        demo.tau = msg.tau;
        demo.panels = msg.panels;
      }
      else return false;
      return true;
    },

    // Trains `demo.steps` steps, then posts a snapshot if one is due. The
    // step count adapts to the slices without one, which time training
    // alone.
    async slice(demo, ctx) {
      const model = demo.model;
      const t0 = performance.now();
      // A new model's first slice trains nothing: its snapshot has the
      // guard judge the untrained model, whose loss the first steps are
      // then judged against, so a learning rate far too large is caught
      // from the first step on (else the first model judged, already
      // thrown far off, would become the last good one).
      if (demo.untrained) demo.untrained = false;
      else model.train(demo.steps);
      if (t0 - demo.shownAt < SNAPSHOT_EVERY_MS) {
        await model.loss();
        demo.steps = global.MdnScheduler.adapt(demo.steps, performance.now() - t0, this.maxSteps);
        return;
      }
      demo.shownAt = t0;
      const tau = demo.tau || { pi: 1, sigma: 1 };
      // The contract's ToySnapshot, forwarded as it comes.
      const snapshot = await model.snapshot(tau.pi, tau.sigma, demo.panels);
      ctx.post({ type: P.TOY_SNAPSHOT, id: demo.id, ...snapshot });
    },
  };
})(globalThis);
