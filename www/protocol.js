/* The worker protocol: every message between the page and the one Worker
 * that runs the wasm, by name, with its fields. The only place a message
 * type is spelled: www/engine.js, the demo views (toy.js, paint.js,
 * mdn-demo.js), the worker (worker.js and www/worker/) and the tests all
 * read it from here.
 *
 * A classic script, so that the worker can load it with importScripts
 * (wasm-bindgen's `no-modules` bindings need a classic worker); the page and
 * node import it as a module for its side effect. Either way it defines
 * `globalThis.MdnProtocol`.
 *
 * Every message to the worker but `init` carries the demo's `id` (given by
 * engine.js); so does every message from it but `backend` and `fatal`,
 * which concern the whole worker. Typed arrays are transferred, not copied.
 */
'use strict';

(function define(global) {
  if (global.MdnProtocol) return;

  // Page → worker.
  const TO_WORKER = {
    // {backend: 'webgpu' | 'cpu' | null}: load the wasm and pick the
    // backend (null: automatic). Sent once, by the first demo that starts.
    INIT: 'init',
    // {id, kind: 'toy' | 'paint', tau?: {pi, sigma}, options?: {size,
    // covariance, components}}: a new demo; a toy starts at once, a
    // painting waits for its picture.
    CREATE: 'create',
    // {id}: the demo left the page; its model is freed.
    REMOVE: 'remove',
    // {id, running: boolean}: train (in view, tab visible) or pause.
    RUN: 'run',
    // {id}: a new toy model on new data, with a new seed.
    TOY_RESTART: 'toy-restart',
    // {id, tau: {pi, sigma}}: the sampling temperatures from the next
    // snapshot on.
    TOY_TAU: 'toy-tau',
    // {id, bytes: ArrayBuffer, name, options}: paint this picture (the wasm
    // decodes and validates it).
    PAINT_IMAGE: 'paint-image',
    // {id, options}: paint the same picture with other options.
    PAINT_OPTIONS: 'paint-options',
    // {id, view: {name: 'mode' | 'mean' | 'sample' | 'uncertainty', tauPi,
    // tauSigma}}: what the repaints show from the next epoch on; training
    // goes on.
    PAINT_VIEW: 'paint-view',
  };

  // Worker → page.
  const FROM_WORKER = {
    // {kind: 'webgpu' | 'cpu', description?, reason, device}: the backend
    // every demo runs on, and why.
    BACKEND: 'backend',
    // {message}: the worker cannot run at all (the wasm failed to load).
    FATAL: 'fatal',
    // {id, running}: the demo's RUN took effect; results posted before it
    // came from before the pause.
    RUNNING: 'running',
    // {id, message}: the demo's model failed and stopped; a new model
    // (TOY_RESTART, a picture) starts it again.
    DEMO_FAILED: 'demo-failed',
    // {id, seed, x: Float32Array, y: Float32Array}: a new toy model's
    // training points.
    TOY_DATA: 'toy-data',
    // {id, step, nll, grid_x: Float32Array(G), samples: Float32Array(G·10),
    // mse_y: Float32Array(G), recovery: string | null}: what the toy's
    // models predict now.
    TOY_SNAPSHOT: 'toy-snapshot',
    // {id, name, options, width, height, notice: string | null, target:
    // Uint8ClampedArray (RGBA)}: a new painting started on this picture.
    PAINT_START: 'paint-start',
    // {id, epoch, nll, psnr, psnr_mean, psnr_view, view, rgba, mean_rgba:
    // Uint8ClampedArray, view_rgba?: Uint8ClampedArray (sample), spread?:
    // Float32Array (uncertainty, per pixel), recovery: string | null}: the
    // repaint after an epoch: mode and mean colours and what `view` adds.
    PAINT_EPOCH: 'paint-epoch',
    // {id, what, message, options}: a picture or options were refused; the
    // running painting (with `options`) goes on.
    PAINT_ERROR: 'paint-error',
  };

  global.MdnProtocol = Object.freeze({ ...TO_WORKER, ...FROM_WORKER });
})(globalThis);
