/* The one place where wasm runs, shared by every <mdn-demo> on the page.
 *
 * Training is synchronous inside the wasm module, so running it on the main
 * thread would freeze the page. Instead this classic worker (wasm-bindgen's
 * `no-modules` output needs importScripts; the threaded module, an ES
 * module, comes by import()) owns every demo of the page, keyed
 * by the id www/engine.js gave it, and interleaves the running ones in short
 * time slices, posting results (typed arrays transferred, not copied) for the
 * page to draw. One worker means one wasm module and one GPU device however
 * many demos a page holds. Between slices it yields to the event loop so that
 * commands (restart, new picture, pause) are handled within a slice or two.
 *
 * Its parts: the messages (../www/protocol.js, generated from mdn-web's
 * contract.rs), the backend choice (worker/backend.js), the scheduler
 * (worker/scheduler.js) and one script per demo kind (worker/toy.js,
 * worker/paint.js), which INIT names (from www/kinds.js) and which
 * registers itself in MdnKinds under its kind's name; this file routes
 * messages and runs the loop.
 */
/* global MdnProtocol, MdnBackend, MdnScheduler, MdnKinds */
'use strict';

// This script's own URL, against which its files resolve: its location,
// or where a page of another origin started it from a blob: (see
// www/worker-url.js).
self.MDN_SCRIPT ||= self.location.href;
importScripts(
  ...['protocol.js', 'worker-url.js', 'worker/backend.js', 'worker/scheduler.js'].map((f) => new URL(f, self.MDN_SCRIPT).href),
);
// Trunk puts the wasm modules at the root of dist/, this file in dist/www/.
// Only the one the backend choice needs is downloaded (MdnBackend.MODULES).
const moduleUrl = (name, suffix) => new URL(`../${name}${suffix}`, self.MDN_SCRIPT).href;
const P = MdnProtocol;

const commands = [];
let wakeUp = null;
let started = false;
let testHooks = false;

// id -> demo: {id, kind, model, steps, used, running, ...the kind's own
// fields}. `model` is the wasm ToyDemo or PaintDemo (null until created, or
// after it failed); `used` is the worker time it has had (see
// MdnScheduler.nextDemo).
const demos = new Map();

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === P.INIT) {
    if (!started) {
      started = true;
      testHooks = msg.testHooks === true;
      // Each kind's side of the worker (a URL from www/kinds.js).
      importScripts(...msg.kinds);
      if (testHooks && msg.refuseGpuDevice) MdnBackend.refuseDevices();
      const trialSoftware = testHooks && msg.trialSoftware === true;
      start(msg.backend, msg.reason, trialSoftware, msg.threads).catch((e) => post({ type: P.FATAL, message: MdnBackend.messageOf(e) }));
    }
    return;
  }
  if (msg.type === P.TEST_TRAP) {
    if (testHooks) trapNext.add(msg.kind);
    return;
  }
  if (msg.type === P.TEST_LOSE_DEVICE) {
    if (testHooks) for (const device of gpuDevices) device.destroy();
    return;
  }
  // Everything else waits for a slice boundary, so a model is never freed
  // while one of its promises (snapshot, repaint) is still pending.
  commands.push(msg);
  if (wakeUp) wakeUp();
};

// Posts `msg` to the page, its buffers transferred (see transferables).
function post(msg) {
  self.postMessage(msg, [...transferables(msg)]);
}

// Every buffer `msg` holds (typed arrays' and bare ArrayBuffers', two
// levels into nested objects), each once: a transfer list must not name
// one twice. A typed array that does not own its whole buffer (a view into
// the wasm's memory, whose transfer would detach the module's memory) is
// replaced by a copy first.
function transferables(msg, depth = 0, buffers = new Set()) {
  for (const [key, value] of Object.entries(msg)) {
    if (ArrayBuffer.isView(value)) {
      const owned = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength;
      if (!owned) msg[key] = value.slice();
      buffers.add(msg[key].buffer);
    } else if (value instanceof ArrayBuffer) {
      buffers.add(value);
    } else if (value && typeof value === 'object' && depth < 2) {
      transferables(value, depth + 1, buffers);
    }
  }
  return buffers;
}

// Demo kinds whose next slice traps the wasm (TEST_TRAP, tests only).
const trapNext = new Set();

// A trap (WebAssembly.RuntimeError: a Rust panic, out of memory) leaves the
// module's state undefined, so nothing more runs in this worker: it says
// which demo's call trapped, and the engine starts a new worker. A trap or
// failed readback that a lost GPU caused is the loss's (see lose).
async function crash(demo, e) {
  if (await lostMeanwhile()) return;
  post({ type: P.CRASHED, culprit: demo ? demo.id : null, message: MdnBackend.messageOf(e) });
}

// On WebGPU: the devices the wasm asked for (MdnBackend.watchDevices),
// whether one was lost, and the checkpoints that let each demo go on
// without it.
let gpuDevices = [];
let lostMessage = null;
let onWebGpu = false;
// A demo's model goes to the page as a model file at most this often.
const CHECKPOINT_EVERY_MS = 5000;

// The device is gone: this worker stops, and the engine starts one on the
// CPU, where the demos go on from their checkpoints.
function lose(info) {
  if (lostMessage) return;
  lostMessage = `${info.reason}${info.message ? `: ${info.message}` : ''}`;
  post({ type: P.DEVICE_LOST, message: lostMessage });
}

// Whether the GPU device is lost, given the moment GPUDevice.lost takes to
// resolve after the failure it causes shows up in the wasm.
async function lostMeanwhile() {
  if (onWebGpu && !lostMessage) await new Promise((resolve) => setTimeout(resolve, 250));
  return lostMessage !== null;
}

// Sends `demo`'s model to the page as a checkpoint when one is due.
function checkpoint(demo) {
  const now = performance.now();
  if (!demo.model || now - (demo.checkpointAt ?? -Infinity) < CHECKPOINT_EVERY_MS) return;
  demo.checkpointAt = now;
  postCheckpoint(demo);
}

// Sends `demo`'s model (it has one) to the page as a CHECKPOINT, read back
// while training goes on; one of a model since replaced is dropped.
// Resolves once it is posted or dropped.
function postCheckpoint(demo) {
  const model = demo.model;
  return modelFile(model).then(
    (file) => {
      if (demo.model !== model || lostMessage) return;
      post({ type: P.CHECKPOINT, id: demo.id, ...file });
    },
    () => {}, // a lost device: the previous checkpoint stands
  );
}

// What every demo kind's code gets from the worker.
const context = {
  bindings: null,
  memory: null, // the wasm's WebAssembly.Memory, once loaded
  post,
  randomSeed: () => crypto.getRandomValues(new Uint32Array(1))[0],
  // Queues `msg` as if the page had sent it: for work a command started
  // asynchronously (a picture decoding) to finish at a slice boundary.
  enqueue(msg) {
    commands.push({ ...msg, [QUEUED_HERE]: true });
    if (wakeUp) wakeUp();
  },
  level: (demo) => MdnScheduler.level(demo, demos.values()),
  // A demo whose wasm call threw is stopped (and reported) rather than
  // retried in a loop; the other demos carry on.
  fail(demo, e) {
    if (demo.model) demo.model.free();
    demo.model = null;
    post({ type: P.DEMO_FAILED, id: demo.id, message: MdnBackend.messageOf(e) });
  },
};

function nextCommand() {
  return new Promise((resolve) => {
    wakeUp = () => {
      wakeUp = null;
      resolve();
    };
  });
}

// Marks a command the worker queued itself (context.enqueue), which the
// contract does not cover.
const QUEUED_HERE = Symbol('queued here');

// Whether `msg` is a message the contract (mdn-web's contract.rs) allows,
// as the wasm's serde reads it. One it does not is a bug of the page's
// code: it is said (on the console, and to its demo, which fails), and
// not run.
function allowed(msg) {
  if (msg[QUEUED_HERE]) return true;
  try {
    context.bindings.check_message(msg);
    return true;
  } catch (e) {
    console.error(`${MdnBackend.messageOf(e)}:`, msg);
    const demo = demos.get(msg.id);
    if (demo) context.fail(demo, e);
    else post({ type: P.DEMO_FAILED, id: msg.id ?? null, message: MdnBackend.messageOf(e) });
    return false;
  }
}

function runCommand(msg) {
  if (!allowed(msg)) return;
  if (msg.type === P.CHECKPOINT_NOW) {
    checkpointNow(msg);
    return;
  }
  if (msg.type === P.CREATE) {
    const kind = MdnKinds[msg.kind];
    if (!kind) {
      post({ type: P.DEMO_FAILED, id: msg.id, message: `unknown demo kind ${msg.kind}` });
      return;
    }
    const demo = { id: msg.id, kind: msg.kind, model: null, steps: 1, used: 0, running: false };
    demos.set(msg.id, demo);
    kind.create(demo, msg, context);
    return;
  }
  const demo = demos.get(msg.id);
  if (!demo) return;
  if (msg.type === P.REMOVE) {
    if (demo.model) demo.model.free();
    demos.delete(msg.id);
  } else if (msg.type === P.RUN) {
    demo.running = msg.running;
    if (demo.running) context.level(demo);
    // Every result of this demo posted before this one came from before
    // the pause: the page can read its state as final.
    post({ type: P.RUNNING, id: demo.id, running: demo.running });
  } else if (msg.type === P.SAVE_MODEL) {
    saveModel(demo);
  } else if (!MdnKinds[demo.kind].command(demo, msg, context)) {
    console.warn('unexpected command', msg);
  }
}

// `model`'s file as it is now, with where its run stood ({epoch, step}:
// a painting's epoch, a toy's step; the other null): the wasm takes its
// tensors at this call and reads them back asynchronously, while training
// goes on.
function modelFile(model) {
  const at = { epoch: model.epoch ?? null, step: model.steps ?? null };
  return model.save().then((bytes) => ({ ...at, bytes }));
}

// Answers CHECKPOINT_NOW: a CHECKPOINT of demo `id`'s model (of every
// demo's with id null) at once, then CHECKPOINTED. With `stop`, nothing
// trains here any more: the engine moves the demos to another worker,
// where they go on from these checkpoints.
function checkpointNow({ id, stop }) {
  const chosen = [...demos.values()].filter((demo) => id === null || demo.id === id);
  if (stop) for (const demo of demos.values()) demo.running = false;
  const files = chosen.filter((demo) => demo.model).map(postCheckpoint);
  Promise.all(files).then(() => post({ type: P.CHECKPOINTED, id, stop }));
}

// Answers SAVE_MODEL with `demo`'s model file, or why there is none.
function saveModel(demo) {
  const refuse = (message) => post({ type: P.MODEL_FILE, id: demo.id, message });
  if (!demo.model) {
    refuse('there is no model to save yet');
    return;
  }
  modelFile(demo.model).then(
    (file) => post({ type: P.MODEL_FILE, id: demo.id, ...file }),
    (e) => refuse(MdnBackend.messageOf(e)),
  );
}

async function start(requestedBackend, reason, trialSoftware, requestedThreads) {
  // Chosen before any wasm loads, from navigator.gpu and its adapter.
  const choice = await MdnBackend.chooseBackend(requestedBackend, { trialSoftware });
  if (reason) choice.reason = reason;
  if (choice.kind === 'webgpu') gpuDevices = MdnBackend.watchDevices(lose);
  const t0 = performance.now();
  let loaded;
  try {
    loaded = await MdnBackend.loadModule(choice.kind, MdnBackend.threadsFor(requestedThreads), moduleUrl);
  } catch (e) {
    const why = `the model's module ${MdnBackend.MODULES[choice.kind]} could not be loaded (${MdnBackend.messageOf(e)})`;
    post({ type: P.FATAL, message: why, loading: true });
    return;
  }
  const wasmMs = Math.round(performance.now() - t0);
  const { name, bindings, exports, threads } = loaded;
  context.bindings = bindings;
  // Read by the soak benchmark (tests/soak.mjs) through the worker's scope.
  context.memory = exports.memory;
  const backend = await MdnBackend.initBackend(bindings, choice);
  if (backend.failed) {
    // The engine replaces this worker with one on the CPU module.
    post({ type: P.WEBGPU_FAILED, message: backend.failed });
    return;
  }
  onWebGpu = backend.kind === 'webgpu';
  post({ type: P.BACKEND, ...backend, module: `${name}_bg.wasm`, wasmMs, ...(threads ? { threads } : {}) });

  while (!lostMessage) {
    while (commands.length > 0) {
      try {
        runCommand(commands.shift());
      } catch (e) {
        // A demo's constructor or command trapped.
        if (e instanceof WebAssembly.RuntimeError) {
          await crash(null, e);
          return;
        }
        throw e;
      }
    }
    const demo = MdnScheduler.nextDemo(demos.values());
    if (!demo) {
      await nextCommand();
      continue;
    }
    const t0 = performance.now();
    try {
      if (trapNext.delete(demo.kind)) context.bindings.trap_for_tests();
      await MdnKinds[demo.kind].slice(demo, context);
      if (onWebGpu) checkpoint(demo);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        await crash(demo, e);
        return;
      }
      if (await lostMeanwhile()) return;
      context.fail(demo, e);
    }
    demo.used += performance.now() - t0;
    await MdnScheduler.yieldToEvents();
  }
}
