/* Workload W2 or W5 (docs/WORKLOADS.md) in a Worker, for
 * `node tests/bench.mjs`, which serves this folder at /bench/ beside dist/:
 * trains the painting MDN with the workload's exact settings on the posted
 * image and reports the time of every epoch and repaint.
 *
 * An epoch's time ends with a readback of its last loss: on WebGPU, training
 * calls only queue work, and the readback waits for all of it.
 */
/* global MdnBackend, MdnPicture */
'use strict';

// The page's backend-to-module map (dist/www/, served beside /bench/).
importScripts(
  new URL('../www/worker/backend.js', self.location.href).href,
  new URL('../www/worker-url.js', self.location.href).href,
  new URL('../www/worker/picture.js', self.location.href).href,
);

// `threads`: on the CPU, 1 (the single-threaded module), more (the
// threaded module, on a cross-origin isolated page) or null (the page's
// choice). For tests/profile.mjs: `pool`, the threaded module even for one
// thread; `profile`, a console message where its samples begin (after the
// first epoch) and end (after the last), and no PSNR after 10 epochs.
self.onmessage = async ({ data: { backend, threads, workload, bytes, epochs, repaints, pool, profile } }) => {
  try {
    // The module the page loads for this backend, loaded as the page does.
    const urlOf = (name, suffix) => new URL(`../${name}${suffix}`, self.location.href).href;
    // null: as many as the page would take (MdnBackend.threadsFor).
    const count = threads ?? MdnBackend.threadsFor(null);
    const loaded = await MdnBackend.loadModule(backend, count, urlOf, { pool: pool || count > 1 });
    const bindings = loaded.bindings;
    const device = await bindings.init_backend(backend);
    // Decoded as the page decodes (MdnPicture: the browser's PNG decoder).
    const { width, height, rgba } = await MdnPicture.decode(new Uint8Array(bytes), bindings);
    const paint = new bindings.PaintDemo(width, height, rgba, { size: 128, workload, seed: 1 });
    const epochMs = [];
    let psnr10 = null;
    for (let e = 0; e < epochs; e++) {
      const t0 = performance.now();
      while (!paint.train(1000));
      await paint.loss();
      epochMs.push(performance.now() - t0);
      // Outside the timed span: W5 reports the PSNR after 10 epochs.
      if (e === 9 && !profile) psnr10 = (await paint.repaint('mode')).psnr;
      if (e === 0 && profile) console.debug('mdn-profile: start');
    }
    if (profile) console.debug('mdn-profile: stop');
    const repaintMs = [];
    let last = null;
    for (let i = 0; i < repaints; i++) {
      const t0 = performance.now();
      last = await paint.repaint('mode');
      repaintMs.push(performance.now() - t0);
    }
    self.postMessage({
      ok: true,
      device,
      module: loaded.name,
      threads: loaded.threads,
      width: paint.width,
      height: paint.height,
      stepsPerEpoch: paint.steps_per_epoch,
      epochMs,
      repaintMs,
      nll: last && last.nll,
      psnr: last && last.psnr,
      psnr10,
    });
  } catch (e) {
    self.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
  }
};
