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
 * Every message to the worker carries the demo's `id` (given by
 * engine.js) but `init`, `test-lose-device` and `test-trap`, which concern
 * the whole worker, and `checkpoint-now`, whose id may be null (every
 * demo). Every message from it carries one too but `backend`, `fatal`,
 * `crashed` (which names its `culprit`), `device-lost` and
 * `webgpu-failed`, which concern the whole worker, and `checkpointed`
 * (the id asked for, or null); `handover` comes from the engine to every
 * demo. Typed arrays are transferred, not copied.
 */
'use strict';

(function define(global) {
  if (global.MdnProtocol) return;

  // Page → worker.
  const TO_WORKER = {
    // {backend: 'webgpu' | 'cpu' | null, reason?: string, testHooks?:
    // boolean, refuseGpuDevice?: boolean, trialSoftware?: boolean}: load
    // the wasm and pick the backend (null: automatic, which starts on the
    // CPU and names a hardware WebGPU adapter as the trial's candidate;
    // `reason`, when given, is why, as the page says it). trialSoftware
    // (tests only, with testHooks): a software adapter is a candidate too.
    // Sent once to each worker, when the first demo starts or after a
    // crash, a GPU loss or a failed WebGPU start.
    // refuseGpuDevice (tests only, with testHooks): every GPU device
    // request is refused, as a browser may refuse one.
    INIT: 'init',
    // {id, kind: 'toy' | 'paint', tau?: {pi, sigma}, options?: the kind's
    // model settings ({data, components, hidden} for a toy; {size,
    // encoding, covariance, components} for a painting), checkpoint?:
    // {bytes: ArrayBuffer, name} (a toy's, after a GPU loss)}: a new demo;
    // a toy starts at once (from `checkpoint` if it loads; of a built-in
    // data set; a drawn one waits for its points, TOY_POINTS), a painting
    // waits for its picture.
    CREATE: 'create',
    // {id}: the demo left the page; its model is freed.
    REMOVE: 'remove',
    // {id, running: boolean}: train (in view, tab visible) or pause.
    RUN: 'run',
    // {id, options?}: a new toy model with a new seed, on new data of its
    // set (or the same drawn points), with `options` if given.
    TOY_RESTART: 'toy-restart',
    // {id, x: Float32Array, y: Float32Array, bounds: {x0, x1, y0, y1}}: the
    // points the reader drew (reader's units) and the plot they were drawn
    // in: a new model trains on them.
    TOY_POINTS: 'toy-points',
    // {id, x: number | null}: the x₀ whose conditional density p(y | x₀)
    // the snapshots carry (null: none).
    TOY_PROBE: 'toy-probe',
    // {id, tau: {pi, sigma}, panels: boolean}: what the snapshots hold
    // from the next on: samples drawn at these temperatures, and the
    // panels' values (density, components, mode, probe) or not.
    TOY_DISPLAY: 'toy-display',
    // {id, bytes: ArrayBuffer, name, options}: paint this picture (the wasm
    // checks its header, the browser decodes it: worker/picture.js). Once
    // decoded, the worker queues {id, decoded} under this type to itself
    // (worker/paint.js), never the page.
    PAINT_IMAGE: 'paint-image',
    // {id, options}: paint the same picture with other options.
    PAINT_OPTIONS: 'paint-options',
    // {id, view: {name: 'mode' | 'mean' | 'sample' | 'uncertainty', tauPi,
    // tauSigma}}: what the repaints show from the next epoch on; training
    // goes on.
    PAINT_VIEW: 'paint-view',
    // {id}: the demo's model as a file (answered by MODEL_FILE), as it is
    // at the next slice boundary: settings, data, weights, Adam's state.
    SAVE_MODEL: 'save-model',
    // {id, bytes: ArrayBuffer, name}: go on training from a model file (the
    // wasm reads and checks it). Answered as a new model is (PAINT_START or
    // TOY_DATA, with `resumed`), a refusal as PAINT_ERROR or TOY_ERROR; the
    // running model then goes on.
    LOAD_MODEL: 'load-model',
    // {id: id | null, stop: boolean}: a CHECKPOINT of this demo's model
    // (every demo's with id null) now, then CHECKPOINTED. For the backend
    // trial (www/backend-trial.js): its copy of the demo's model, and with
    // `stop` the handover, after which this worker trains nothing more.
    CHECKPOINT_NOW: 'checkpoint-now',
    // {}: tests only (honoured when INIT said testHooks): destroy the GPU
    // device, as a driver reset would lose it.
    TEST_LOSE_DEVICE: 'test-lose-device',
    // {kind}: tests only (honoured when INIT said testHooks): the next
    // slice of a demo of this kind traps the wasm, as a crash would.
    TEST_TRAP: 'test-trap',
  };

  // Worker → page.
  const FROM_WORKER = {
    // {kind: 'webgpu' | 'cpu', description?, reason, device, module,
    // wasmMs, candidate?: string}: the backend every demo runs on, why, the
    // wasm file the worker loaded for it ('mdn-web_bg.wasm' or
    // 'mdn-web-cpu_bg.wasm') and the milliseconds it took to fetch, compile
    // and instantiate it; `candidate` (on the CPU, chosen automatically):
    // the WebGPU adapter the engine's trial measures against it.
    BACKEND: 'backend',
    // {message, loading: boolean}: the worker cannot run at all; `loading`:
    // because the wasm module could not be fetched, compiled or
    // instantiated (the page's author can do something about it).
    FATAL: 'fatal',
    // {culprit: id | null, message}: the wasm trapped (a panic, out of
    // memory) in demo `culprit`'s call; this worker stops, and the engine
    // starts a new one in which the demos start again. To every demo,
    // from the engine: {type, message, stopped: boolean} (stopped: this
    // demo crashed twice in a row and is not started again).
    CRASHED: 'crashed',
    // {id, running}: the demo's RUN took effect; results posted before it
    // came from before the pause.
    RUNNING: 'running',
    // {id, epoch, step, bytes: Uint8Array} | {id, message}: the model file
    // SAVE_MODEL asked for (of a painting at `epoch`, a toy at `step`; the
    // other is null), or why there is none.
    MODEL_FILE: 'model-file',
    // {id, bytes: Uint8Array, epoch, step}: on WebGPU, every few seconds,
    // the demo's model as a model file, kept by the page (host memory, which
    // a lost GPU does not take with it) to go on from after DEVICE_LOST;
    // and on either backend whenever CHECKPOINT_NOW asks.
    CHECKPOINT: 'checkpoint',
    // {id: id | null, stop}: every CHECKPOINT that CHECKPOINT_NOW asked
    // for has been posted.
    CHECKPOINTED: 'checkpointed',
    // {message}: from the engine to every demo: the backend trial found
    // WebGPU faster, and the demos move to its worker (`message` says so
    // with both figures), each going on from the checkpoint it was just
    // sent (CHECKPOINT_NOW with stop).
    HANDOVER: 'handover',
    // {message}: the GPU device was lost (GPUDevice.lost; `message` is its
    // reason and message, as "destroyed: ..."); this worker
    // stops, the engine starts one on the CPU backend, and tells every demo
    // (the same message, from the engine), which goes on there from its
    // last CHECKPOINT, or starts again without one.
    DEVICE_LOST: 'device-lost',
    // {message}: WebGPU failed to start ("WebGPU init failed: ..."). The
    // WebGPU module carries no CPU backend, so this worker stops, the
    // engine starts one that loads the CPU module, and tells every demo
    // (the same message, from the engine), which starts again there:
    // nothing had trained yet.
    WEBGPU_FAILED: 'webgpu-failed',
    // {id, message}: the demo's model failed and stopped; a new model
    // (TOY_RESTART, a picture) starts it again.
    DEMO_FAILED: 'demo-failed',
    // {id, seed, options, x: Float32Array, y: Float32Array, bounds: {x0,
    // x1, y0, y1} | null, model?: {components, hidden}, resumed?: {name,
    // step, checkpoint: boolean}}: a new toy model's training points
    // (reader's units), the plot's rectangle and the model's size (no
    // model: no points, no `model`); `resumed` for one loaded from a model
    // file (seed null), whose settings are then the demo's `options`, or
    // from the demo's own checkpoint (its options unchanged).
    TOY_DATA: 'toy-data',
    // {id, step, nll, bounds, grid_x: Float32Array(G), grid_y:
    // Float32Array(H), samples: Float32Array(G·10), mse_y: Float32Array(G),
    // log_density: Float32Array(G·H) (log p(grid_y[h] | grid_x[g]) at
    // g·H + h), components: K, pi, mu, sigma: Float32Array(G·K), mode:
    // Float32Array(G), probe: {x, density: Float32Array(H), components:
    // Float32Array(K·H)} | null, recovery: string | null}: what the toy's
    // models predict now (about 10 a second), with the panels' arrays
    // (log_density, pi, mu, sigma, mode; empty, and probe null, when the
    // panels are off).
    TOY_SNAPSHOT: 'toy-snapshot',
    // {id, message}: the toy's options or drawn points were refused; the
    // running model (if any) goes on.
    TOY_ERROR: 'toy-error',
    // {id, name, model: string | null, options, width, height, notice:
    // string | null, target: Uint8ClampedArray (RGBA), resumed: {epoch} |
    // null}: a new painting started on the picture `name`, or one loaded
    // from the model file `model` going on from its epoch (`name` is then
    // the picture the file keeps, or the file's for a file written before
    // pictures' names were kept).
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
