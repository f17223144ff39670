/* The one place where wasm runs.
 *
 * Training is synchronous inside the wasm module, so running it on the main
 * thread would freeze the page. Instead this classic worker (wasm-bindgen's
 * `no-modules` output needs importScripts) owns both demos and interleaves
 * them in short time slices, posting results (typed arrays transferred, not
 * copied) for the main thread to draw. Between slices it yields to the event
 * loop so that Restart and uploads are handled within a slice or two.
 */
/* global wasm_bindgen */
'use strict';

// Trunk puts the bindings at the root of dist/, this file in dist/www/.
importScripts(new URL('../mdn-web.js', self.location.href).href);
const WASM_URL = new URL('../mdn-web_bg.wasm', self.location.href);

// Each demo's slice aims at this many milliseconds: long enough that the
// per-slice overhead (snapshot, messages) stays small, short enough that
// commands from the page are picked up quickly and the plots move smoothly.
const SLICE_MS = 40;
const MAX_TOY_STEPS = 1000;
const MAX_PAINT_STEPS = 500;

const PAINT_OPTIONS = { size: 128, covariance: 'diagonal', components: 8 };

const commands = [];
let wakeUp = null;
let started = false;
let paused = false;

let toy = null;
let toySteps = 1;
let paint = null;
let paintSteps = 1;

// Worker time each demo has had. The one behind runs next, so a demo whose
// shortest slice is long (one step on a slow device) cannot crowd out the
// other; a new demo starts level with the running one.
const used = { toy: 0, paint: 0 };

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'init') {
    if (!started) {
      started = true;
      start(msg.backend).catch((e) => post({ type: 'fatal', message: messageOf(e) }));
    }
    return;
  }
  // Everything else waits for a slice boundary, so a demo is never freed
  // while one of its promises (snapshot, repaint) is still pending.
  commands.push(msg);
  if (wakeUp) wakeUp();
};

function post(msg, arrays = []) {
  self.postMessage(msg, arrays.map((a) => a.buffer));
}

function messageOf(e) {
  if (e instanceof Error) return e.message || String(e);
  return String(e);
}

// Transfer only buffers a typed array owns entirely: a view into wasm memory
// must be copied, or transferring it would detach the module's memory.
function owned(array) {
  return array.byteOffset === 0 && array.byteLength === array.buffer.byteLength ? array : array.slice();
}

function randomSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

// A macrotask boundary: lets queued messages from the page run. setTimeout(0)
// would be clamped to 4 ms once nested, a MessageChannel is not.
const tick = new MessageChannel();
const tickWaiters = [];
tick.port1.onmessage = () => tickWaiters.shift()();
function yieldToEvents() {
  return new Promise((resolve) => {
    tickWaiters.push(resolve);
    tick.port2.postMessage(null);
  });
}

function nextCommand() {
  return new Promise((resolve) => {
    wakeUp = () => {
      wakeUp = null;
      resolve();
    };
  });
}

// Move the step count towards the one that would have taken SLICE_MS, but by
// at most a factor of two per slice, so one slow slice (GC, shader
// compilation) does not whipsaw it.
function adapt(steps, elapsedMs, max) {
  const ideal = elapsedMs > 0 ? (steps * SLICE_MS) / elapsedMs : steps * 2;
  const bounded = Math.min(steps * 2, Math.max(steps / 2, ideal));
  return Math.max(1, Math.min(max, Math.round(bounded)));
}

// ---------------------------------------------------------------- backend

function describeAdapter(adapter) {
  const info = adapter.info || {};
  const parts = info.description ? [info.description] : [info.vendor, info.architecture, info.device];
  const text = parts.filter(Boolean).join(' ');
  return text || 'unnamed adapter';
}

function isSoftwareAdapter(adapter) {
  const info = adapter.info || {};
  if (info.isFallbackAdapter || adapter.isFallbackAdapter) return true;
  return [info.vendor, info.architecture, info.description].some((s) => /swiftshader/i.test(s || ''));
}

// Decides which backend to ask the wasm for, and why, before initialising it.
async function chooseBackend(requested) {
  const cpu = (reason) => ({ kind: 'cpu', reason });
  if (requested === 'cpu') return cpu('requested in the URL');
  if (!self.navigator.gpu) return cpu('WebGPU unavailable (navigator.gpu missing)');
  let adapter;
  try {
    adapter = await self.navigator.gpu.requestAdapter();
  } catch (e) {
    return cpu(`WebGPU unavailable (requestAdapter failed: ${messageOf(e)})`);
  }
  if (!adapter) return cpu('no WebGPU adapter');
  const description = describeAdapter(adapter);
  if (isSoftwareAdapter(adapter) && requested !== 'webgpu') {
    return cpu(`only a software WebGPU adapter: ${description}`);
  }
  return {
    kind: 'webgpu',
    description,
    reason: requested === 'webgpu' ? 'requested in the URL' : null,
  };
}

async function initBackend(requested) {
  const choice = await chooseBackend(requested);
  if (choice.kind === 'webgpu') {
    try {
      const device = await wasm_bindgen.init_backend('webgpu');
      return { ...choice, device };
    } catch (e) {
      choice.kind = 'cpu';
      choice.reason = `WebGPU init failed: ${messageOf(e)}`;
    }
  }
  const device = await wasm_bindgen.init_backend('cpu');
  return { ...choice, device };
}

// ---------------------------------------------------------------- demos

function newToy() {
  if (toy) toy.free();
  toy = null;
  const seed = randomSeed();
  toy = new wasm_bindgen.ToyDemo(seed);
  toySteps = 1;
  used.toy = used.paint;
  const data = toy.data();
  const x = owned(data.x);
  const y = owned(data.y);
  post({ type: 'toy-data', seed, x, y }, [x, y]);
}

function startToy() {
  try {
    newToy();
  } catch (e) {
    toy = null;
    post({ type: 'demo-failed', demo: 'toy', message: messageOf(e) });
  }
}

function loadPainting({ bytes, name }) {
  let next;
  try {
    next = new wasm_bindgen.PaintDemo(new Uint8Array(bytes), { ...PAINT_OPTIONS, seed: randomSeed() });
  } catch (e) {
    // The running painting is left as it was.
    post({ type: 'paint-error', name, message: messageOf(e) });
    return;
  }
  if (paint) paint.free();
  paint = next;
  paintSteps = 1;
  used.paint = used.toy;
  const target = owned(paint.target_rgba());
  post(
    {
      type: 'paint-start',
      name,
      width: paint.width,
      height: paint.height,
      notice: paint.notice || null,
      target,
    },
    [target],
  );
}

function runCommands() {
  while (commands.length > 0) {
    const msg = commands.shift();
    if (msg.type === 'toy-restart') startToy();
    else if (msg.type === 'paint-image') loadPainting(msg);
    else if (msg.type === 'pause') paused = msg.paused;
  }
}

async function toySlice() {
  const t0 = performance.now();
  toy.train(toySteps);
  // The snapshot reads results back, so on WebGPU this also waits for the
  // queued work: the elapsed time is real, not just the time to queue it.
  const s = await toy.snapshot();
  const elapsed = performance.now() - t0;
  toySteps = adapt(toySteps, elapsed, MAX_TOY_STEPS);
  const grid_x = owned(s.grid_x);
  const samples = owned(s.samples);
  const mse_y = owned(s.mse_y);
  post({ type: 'toy-snapshot', step: s.step, nll: s.nll, grid_x, samples, mse_y }, [grid_x, samples, mse_y]);
}

async function paintSlice() {
  const t0 = performance.now();
  const epochDone = paint.train(paintSteps);
  // Like the toy's snapshot, a readback makes the elapsed time include the
  // device work (train only queues it on WebGPU); on the CPU both are instant.
  if (!epochDone) {
    await paint.loss();
    paintSteps = adapt(paintSteps, performance.now() - t0, MAX_PAINT_STEPS);
    return;
  }
  // Not used to adapt: it includes the repaint of every pixel, and the
  // steps stopped early at the end of the epoch.
  const r = await paint.repaint();
  const rgba = owned(r.rgba);
  post({ type: 'paint-epoch', epoch: r.epoch, nll: r.nll, psnr: r.psnr, rgba }, [rgba]);
}

// A demo whose wasm call threw is stopped (and reported) rather than retried
// in a loop; the other demo carries on.
async function guarded(name, slice) {
  try {
    await slice();
  } catch (e) {
    post({ type: 'demo-failed', demo: name, message: messageOf(e) });
    if (name === 'toy') toy = null;
    else paint = null;
  }
}

async function start(requestedBackend) {
  await wasm_bindgen({ module_or_path: WASM_URL });
  const backend = await initBackend(requestedBackend);
  post({ type: 'backend', ...backend });
  startToy();

  for (;;) {
    runCommands();
    if (paused || (!toy && !paint)) {
      await nextCommand();
      continue;
    }
    const which = !paint || (toy && used.toy <= used.paint) ? 'toy' : 'paint';
    const t0 = performance.now();
    await guarded(which, which === 'toy' ? toySlice : paintSlice);
    used[which] += performance.now() - t0;
    await yieldToEvents();
  }
}
