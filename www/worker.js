/* The one place where wasm runs, shared by every <mdn-demo> on the page.
 *
 * Training is synchronous inside the wasm module, so running it on the main
 * thread would freeze the page. Instead this classic worker (wasm-bindgen's
 * `no-modules` output needs importScripts) owns every demo of the page, keyed
 * by the id www/engine.js gave it, and interleaves the running ones in short
 * time slices, posting results (typed arrays transferred, not copied) for the
 * page to draw. One worker means one wasm module and one GPU device however
 * many demos a page holds. Between slices it yields to the event loop so that
 * commands (restart, new picture, pause) are handled within a slice or two.
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
const MAX_STEPS = { toy: 1000, paint: 500 };

const commands = [];
let wakeUp = null;
let started = false;

// id -> demo: {id, kind, model, steps, used, running, tau, options, image}.
// `model` is the wasm ToyDemo or PaintDemo (null until created, or after it
// failed); `used` is the worker time it has had: the running demo furthest
// behind runs next, so one whose shortest slice is long (one step on a slow
// device) cannot crowd out the others.
const demos = new Map();

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'init') {
    if (!started) {
      started = true;
      start(msg.backend).catch((e) => post({ type: 'fatal', message: messageOf(e) }));
    }
    return;
  }
  // Everything else waits for a slice boundary, so a model is never freed
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

function freeModel(demo) {
  if (demo.model) demo.model.free();
  demo.model = null;
}

// A demo that gets a new model or resumes starts level with the least served
// running demo (or keeps its own count, if that is higher), so it neither
// waits for the others nor hogs the worker to catch up on time it was away.
function level(demo) {
  let least = Infinity;
  for (const other of demos.values()) {
    if (other !== demo && other.model && other.running) least = Math.min(least, other.used);
  }
  if (Number.isFinite(least)) demo.used = Math.max(demo.used, least);
}

function startToy(demo) {
  freeModel(demo);
  try {
    const seed = randomSeed();
    demo.model = new wasm_bindgen.ToyDemo(seed);
    demo.steps = 1;
    level(demo);
    const data = demo.model.data();
    const x = owned(data.x);
    const y = owned(data.y);
    post({ type: 'toy-data', id: demo.id, seed, x, y }, [x, y]);
  } catch (e) {
    freeModel(demo);
    post({ type: 'demo-failed', id: demo.id, message: messageOf(e) });
  }
}

// A new painting replaces the running one only once it exists: a picture or
// options the wasm refuses leave the running painting as it was.
function startPainting(demo, image, options, what) {
  let next;
  try {
    next = new wasm_bindgen.PaintDemo(new Uint8Array(image.bytes), { ...options, seed: randomSeed() });
  } catch (e) {
    post({ type: 'paint-error', id: demo.id, what, message: messageOf(e), options: demo.options });
    return;
  }
  freeModel(demo);
  demo.model = next;
  demo.image = image;
  demo.options = options;
  demo.steps = 1;
  level(demo);
  const target = owned(next.target_rgba());
  post(
    {
      type: 'paint-start',
      id: demo.id,
      name: image.name,
      options,
      width: next.width,
      height: next.height,
      notice: next.notice || null,
      target,
    },
    [target],
  );
}

function describeOptions({ covariance, components }) {
  return `${covariance} covariance with K = ${components}`;
}

function runCommand(msg) {
  if (msg.type === 'create') {
    const demo = {
      id: msg.id,
      kind: msg.kind,
      model: null,
      steps: 1,
      used: 0,
      running: false,
      tau: msg.tau || null,
      options: msg.options || null,
      image: null,
    };
    demos.set(msg.id, demo);
    if (demo.kind === 'toy') startToy(demo);
    return;
  }
  const demo = demos.get(msg.id);
  if (!demo) return;
  switch (msg.type) {
    case 'remove':
      freeModel(demo);
      demos.delete(msg.id);
      break;
    case 'run':
      demo.running = msg.running;
      if (demo.running) level(demo);
      // Every result of this demo posted before this one came from before
      // the pause: the page can read its state as final.
      post({ type: 'running', id: demo.id, running: demo.running });
      break;
    case 'toy-restart':
      startToy(demo);
      break;
    case 'toy-tau':
      demo.tau = msg.tau;
      break;
    case 'paint-image':
      startPainting(demo, { bytes: msg.bytes, name: msg.name }, msg.options, `“${msg.name}”`);
      break;
    case 'paint-options':
      // Without a picture yet, the options wait for it (it brings its own).
      if (demo.image) startPainting(demo, demo.image, msg.options, describeOptions(msg.options));
      else demo.options = msg.options;
      break;
    default:
      console.warn('unexpected command', msg);
  }
}

async function toySlice(demo) {
  const model = demo.model;
  const t0 = performance.now();
  model.train(demo.steps);
  // The snapshot reads results back, so on WebGPU this also waits for the
  // queued work: the elapsed time is real, not just the time to queue it.
  const tau = demo.tau || { pi: 1, sigma: 1 };
  const s = await model.snapshot(tau.pi, tau.sigma);
  demo.steps = adapt(demo.steps, performance.now() - t0, MAX_STEPS.toy);
  const grid_x = owned(s.grid_x);
  const samples = owned(s.samples);
  const mse_y = owned(s.mse_y);
  post(
    {
      type: 'toy-snapshot',
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
}

async function paintSlice(demo) {
  const model = demo.model;
  const t0 = performance.now();
  const epochDone = model.train(demo.steps);
  // Like the toy's snapshot, a readback makes the elapsed time include the
  // device work (train only queues it on WebGPU); on the CPU both are instant.
  if (!epochDone) {
    await model.loss();
    demo.steps = adapt(demo.steps, performance.now() - t0, MAX_STEPS.paint);
    return;
  }
  // Not used to adapt: it includes the repaint of every pixel, and the
  // steps stopped early at the end of the epoch.
  const r = await model.repaint();
  const rgba = owned(r.rgba);
  post(
    {
      type: 'paint-epoch',
      id: demo.id,
      epoch: r.epoch,
      nll: r.nll,
      psnr: r.psnr,
      rgba,
      recovery: r.recovery || null,
    },
    [rgba],
  );
}

// A demo whose wasm call threw is stopped (and reported) rather than retried
// in a loop; the other demos carry on.
async function runSlice(demo) {
  try {
    await (demo.kind === 'toy' ? toySlice(demo) : paintSlice(demo));
  } catch (e) {
    post({ type: 'demo-failed', id: demo.id, message: messageOf(e) });
    freeModel(demo);
  }
}

function nextDemo() {
  let best = null;
  for (const demo of demos.values()) {
    if (demo.model && demo.running && (!best || demo.used < best.used)) best = demo;
  }
  return best;
}

async function start(requestedBackend) {
  await wasm_bindgen({ module_or_path: WASM_URL });
  const backend = await initBackend(requestedBackend);
  post({ type: 'backend', ...backend });

  for (;;) {
    while (commands.length > 0) runCommand(commands.shift());
    const demo = nextDemo();
    if (!demo) {
      await nextCommand();
      continue;
    }
    const t0 = performance.now();
    await runSlice(demo);
    demo.used += performance.now() - t0;
    await yieldToEvents();
  }
}
