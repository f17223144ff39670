// The page's one connection to the wasm: a single Worker (www/worker.js),
// created only when the first demo asks for it, so a page whose demos are
// never scrolled to downloads no wasm at all. Every <mdn-demo> on the page
// attaches here and gets an id; messages to and from the worker carry that
// id, and the backend the worker chose is announced to every demo. The
// messages are www/protocol.js's.
//
// If the wasm traps (a panic, out of memory), the worker says so (CRASHED)
// and is replaced by a new one; every demo is told, and starts again in
// it, except a demo whose run crashed twice in a row (with no result in
// between), which stops with a message instead of looping. If the GPU
// device is lost (DEVICE_LOST), the new worker runs on the CPU backend,
// and every demo goes on there from its last checkpoint; if WebGPU fails
// to start (WEBGPU_FAILED), the new worker loads the CPU module and every
// demo starts there.
import './protocol.js';

const P = globalThis.MdnProtocol;
const BACKENDS = ['webgpu', 'cpu'];
// Crashes of the whole worker in a row, with no demo's result in between,
// after which the engine gives up.
const MAX_CRASHES = 3;

let worker = null;
let choice = null; // the backend the first demo asked for, kept for restarts
let reason = null; // why the backend is `choice`, when the engine chose it
let nextId = 1;
const handlers = new Map(); // id -> function(message)
const crashes = new Map(); // id -> crashes in a row
let crashesInARow = 0;
const backendListeners = new Set();
let backend = null; // the worker's 'backend' message, once it came
let fatal = null; // the message the worker died with, if it did
// Tests only: demo kinds whose next slice traps, re-armed in new workers.
const pendingTraps = [];
const testHooks = () => globalThis.__mdnTestHooks === true;

// What the page's author can do when the demo cannot start at all: the
// causes seen are the demo's files served from another site than the page
// (a Worker must come from the page's origin), a Content-Security-Policy
// that forbids workers or WebAssembly, and a file missing from the upload.
const CANNOT_START =
  "if this is your page, serve the demo's files (www/ and the .wasm modules) from the page's own site, " +
  "allow workers and WebAssembly in its Content-Security-Policy (worker-src 'self', script-src " +
  "'self' 'wasm-unsafe-eval'), or show the demo in an iframe of embed.html from the site that hosts it";

// Results reset a demo's crash count: it ran.
const RESULTS = new Set([P.TOY_SNAPSHOT, P.PAINT_EPOCH]);

// `requested` ('webgpu', 'cpu' or null for the automatic choice) counts only
// for the demo that starts the worker: all demos share its device. Without
// it, ?backend= in the page's URL decides.
function startWorker(requested) {
  const fromUrl = new URLSearchParams(location.search).get('backend');
  choice = [requested, fromUrl].find((b) => BACKENDS.includes(b)) || null;
  spawn();
}

function spawn() {
  try {
    worker = new Worker(new URL('./worker.js', import.meta.url));
  } catch (e) {
    // A script from another origin, or one the page's policy forbids.
    worker = null;
    die(`the demo's worker could not be created (${e.message}); ${CANNOT_START}`);
    return;
  }
  worker.onmessage = ({ data: msg }) => {
    if (msg.type === P.BACKEND) {
      backend = msg;
      for (const listener of backendListeners) listener(msg);
    } else if (msg.type === P.FATAL) {
      die(msg.loading ? `${msg.message}; ${CANNOT_START}` : msg.message);
    } else if (msg.type === P.CRASHED) {
      crashed(msg);
    } else if (msg.type === P.DEVICE_LOST) {
      deviceLost(msg);
    } else if (msg.type === P.WEBGPU_FAILED) {
      webgpuFailed(msg);
    } else {
      if (RESULTS.has(msg.type)) {
        crashes.delete(msg.id);
        crashesInARow = 0;
      }
      handlers.get(msg.id)?.(msg);
    }
  };
  // A worker whose scripts fail to load (missing, blocked or broken) only
  // reports here.
  worker.onerror = (event) => {
    event.preventDefault();
    die(`the demo's worker could not be loaded (${event.message || 'its script did not load'}); ${CANNOT_START}`);
  };
  const refuseGpuDevice = testHooks() && globalThis.__mdnRefuseGpuDevice === true;
  worker.postMessage({ type: P.INIT, backend: choice, reason, testHooks: testHooks(), refuseGpuDevice });
  for (const kind of pendingTraps) worker.postMessage({ type: P.TEST_TRAP, kind });
}

function die(message) {
  fatal = message;
  for (const handler of handlers.values()) handler({ type: P.FATAL, message });
}

// The worker trapped: replace it, and tell every demo (each starts again in
// the new worker, or stops if it was the culprit twice in a row).
function crashed({ culprit, message }) {
  worker.terminate();
  worker = null;
  pendingTraps.shift();
  crashesInARow += 1;
  if (crashesInARow >= MAX_CRASHES) {
    die(`the model crashed ${crashesInARow} times in a row (${message})`);
    return;
  }
  if (culprit !== null) crashes.set(culprit, (crashes.get(culprit) || 0) + 1);
  spawn();
  for (const [id, handler] of handlers) {
    handler({ type: P.CRASHED, message, stopped: (crashes.get(id) || 0) >= 2 });
  }
}

// The GPU is gone: a new worker on the CPU backend (this page does not ask
// for the GPU again), where every demo goes on from its checkpoint.
function deviceLost({ message }) {
  moveToCpu(`the GPU device was lost (${message})`, { type: P.DEVICE_LOST, message });
}

// WebGPU did not start, and the WebGPU module has no CPU backend: a new
// worker loads the CPU module (with WebGPU's error as the reason), and
// every demo starts again there, as nothing had trained yet.
function webgpuFailed({ message }) {
  moveToCpu(message, { type: P.WEBGPU_FAILED, message });
}

// Replaces the worker with one on the CPU backend, `why` being the reason
// it gives, and tells every demo `notice`.
function moveToCpu(why, notice) {
  worker.terminate();
  choice = 'cpu';
  reason = why;
  spawn();
  for (const handler of handlers.values()) handler(notice);
}

// Calls `listener(backend)` once the worker has chosen its backend (at once
// if it has), without starting anything. Returns a function that unsubscribes.
export function onBackend(listener) {
  backendListeners.add(listener);
  if (backend) listener(backend);
  return () => backendListeners.delete(listener);
}

// Attaches one demo: starts the worker if it is the first, and returns the
// demo's link to it. `handler` receives the worker's messages for this demo,
// {type: FATAL, message} if the worker cannot run at all, and {type:
// CRASHED, message, stopped} when the worker was replaced after a crash.
export function attach(handler, { backend: requested = null } = {}) {
  if (!worker && !fatal) startWorker(requested);
  const id = nextId++;
  handlers.set(id, handler);
  if (fatal) queueMicrotask(() => handler({ type: P.FATAL, message: fatal }));
  return {
    id,
    send(msg, transfer = []) {
      worker?.postMessage({ ...msg, id }, transfer);
    },
    detach() {
      handlers.delete(id);
      crashes.delete(id);
      worker?.postMessage({ type: P.REMOVE, id });
    },
  };
}

// Tests only (with globalThis.__mdnTestHooks set before the page loads):
// the next slice of a demo of `kind` traps the wasm, `times` times in a
// row (each new worker gets the next one).
if (testHooks()) {
  globalThis.__mdnEngine = {
    trap(kind, times = 1) {
      for (let i = 0; i < times; i++) pendingTraps.push(kind);
      worker?.postMessage({ type: P.TEST_TRAP, kind });
    },
    // The GPU device is destroyed, as a driver reset would lose it.
    loseDevice() {
      worker?.postMessage({ type: P.TEST_LOSE_DEVICE });
    },
  };
}
