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
//
// Chosen automatically, the worker starts on the CPU module and names a
// hardware WebGPU adapter as its candidate: once a demo shows results, a
// trial (www/backend-trial.js) measures WebGPU against the CPU on that
// demo's model, and if WebGPU is faster every demo moves to the trial's
// worker (HANDOVER), going on from a checkpoint taken as the CPU worker
// stops. A setting that makes a demo's work much larger brings a new trial.
import './protocol.js';
import { BackendTrial, CAP_MS, countOf, needsTrial, trialFigures } from './backend-trial.js';
import { allKinds, kindNamed, kindOfResult, workerScripts } from './kinds.js';
import './worker-url.js';

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

// id -> what the engine knows of a demo, for the backend trial: {kind,
// sent: the latest of each message that sets it up (CREATE and its kind's
// `display` messages), options (its model's, as the worker last
// reported them), measured (its options when the last trial ended, or
// when it started after that), running, points: its recent results on
// the current worker, {t: ms, count}}.
const records = new Map();
// The latest results kept per demo: a trial measures a few seconds.
const MAX_POINTS = 200;
// The backend trial: the one underway, whether one is wanted (true, or the
// id of the demo whose work grew) at a demo's next result, the last
// trial's figures ({state: 'measuring' | 'cpu' | 'webgpu', gpu, cpu, unit,
// description, failed}), and the trial's worker while the CPU
// worker is stopping for the handover.
let trial = null;
let trialWanted = false;
let trialReport = null;
let handover = null;
// The messages that set a demo up, of every kind (see records).
const isSetup = (type) => type === P.CREATE || allKinds().some((k) => k.display.includes(type));

// What the page's author can do when the demo cannot start at all: the
// causes seen are the demo's files served from another site without CORS
// (its workers start from a blob: that loads them, www/worker-url.js, and
// the wasm is fetched), a Content-Security-Policy that forbids workers or
// WebAssembly, and a file missing from the upload.
const CANNOT_START =
  "if this is your page, serve the demo's files (www/ and the .wasm modules) from its own site or with " +
  "Access-Control-Allow-Origin, allow workers and WebAssembly in its Content-Security-Policy (worker-src " +
  "'self' blob:, script-src 'self' 'wasm-unsafe-eval'), or show the demo in an iframe of embed.html " +
  'from the site that hosts it';


// `requested` ('webgpu', 'cpu' or null for the automatic choice) counts only
// for the demo that starts the worker: all demos share its device. Without
// it, ?backend= in the page's URL decides.
function startWorker(requested) {
  const fromUrl = new URLSearchParams(location.search).get('backend');
  choice = [requested, fromUrl].find((b) => BACKENDS.includes(b)) || null;
  spawn();
}

// ?threads= in the page's URL: the most threads the CPU backend may train
// on (1 keeps the single-threaded module), or null (as many as the reader's
// cores allow, www/worker/backend.js's threadsFor). Benchmarks and readers
// comparing the two modules set it.
function threadsFromUrl() {
  const value = new URLSearchParams(location.search).get('threads');
  const n = value !== null && /^\d{1,2}$/.test(value) ? Number(value) : NaN;
  return n >= 1 && n <= 64 ? n : null;
}

// A new Worker running www/worker.js (throws where the page may not have one).
const newWorker = () => globalThis.MdnWorkerFor(new URL('./worker.js', import.meta.url));

function spawn() {
  try {
    worker = newWorker();
  } catch (e) {
    // A script from another origin, or one the page's policy forbids.
    worker = null;
    die(`the demo's worker could not be created (${e.message}); ${CANNOT_START}`);
    return;
  }
  listen(worker);
  const threads = threadsFromUrl();
  const refuseGpuDevice = testHooks() && globalThis.__mdnRefuseGpuDevice === true;
  const trialSoftware = testHooks() && globalThis.__mdnTrialSoftware === true;
  worker.postMessage({
    type: P.INIT,
    backend: choice,
    reason,
    kinds: workerScripts(),
    testHooks: testHooks(),
    refuseGpuDevice,
    trialSoftware,
    ...(threads ? { threads } : {}),
  });
  for (const kind of pendingTraps) worker.postMessage({ type: P.TEST_TRAP, kind });
}

// Makes `w` the page's worker, whose messages go to the demos.
function listen(w) {
  w.onmessage = ({ data: msg }) => {
    if (msg.type === P.BACKEND) {
      backend = msg;
      // After a crash, the new worker names the candidate again: a trial
      // already decided is not run again.
      if (msg.candidate && !trialReport) trialWanted = true;
      announce();
    } else if (msg.type === P.CHECKPOINTED) {
      if (msg.stop && handover) finishHandover();
    } else if (msg.type === P.FATAL) {
      die(msg.loading ? `${msg.message}; ${CANNOT_START}` : msg.message);
    } else if (msg.type === P.CRASHED) {
      crashed(msg);
    } else if (msg.type === P.DEVICE_LOST) {
      deviceLost(msg);
    } else if (msg.type === P.WEBGPU_FAILED) {
      webgpuFailed(msg);
    } else {
      // A result resets its demo's crash count: it ran.
      if (kindOfResult(msg.type)) {
        crashes.delete(msg.id);
        crashesInARow = 0;
      }
      if (msg.type === P.CHECKPOINT && trial?.id === msg.id) trial.checkpoint(msg);
      noted(msg);
      handlers.get(msg.id)?.(msg);
    }
  };
  // A worker whose scripts fail to load (missing, blocked or broken) only
  // reports here.
  w.onerror = (event) => {
    event.preventDefault();
    die(`the demo's worker could not be loaded (${event.message || 'its script did not load'}); ${CANNOT_START}`);
  };
}

// Tells every backend listener the backend, with the trial's figures.
function announce() {
  if (!backend) return;
  const state = { ...backend, trial: trialReport };
  for (const listener of backendListeners) listener(state);
}

// Keeps what the trial needs from a message the page sends a demo.
function noteSent(id, msg) {
  const record = records.get(id);
  if (!record) return;
  if (isSetup(msg.type)) record.sent[msg.type] = msg;
  if (msg.type === P.CREATE) record.kind = msg.kind;
  if (msg.type === P.RUN) {
    record.running = msg.running;
    // A trial measures a running demo against itself: a pause ends it,
    // and the next result starts another.
    if (!msg.running && trial?.id === id) {
      trial.abort();
      trial = null;
      trialReport = null;
      trialWanted = true;
      announce();
    }
  }
}

// Keeps a demo's results and model settings from the worker's messages,
// and starts a trial at a result when one is wanted.
function noted(msg) {
  const record = records.get(msg.id);
  if (!record) return;
  if (msg.type === kindNamed(record.kind)?.started) {
    record.options = msg.options;
    record.points = [];
    if (trialReport?.state !== 'cpu') return;
    // Much more work than was measured: measure again.
    record.measured ??= msg.options;
    if (needsTrial(record.kind, record.measured, msg.options)) trialWanted = msg.id;
    return;
  }
  const count = countOf(msg);
  if (count === null) return;
  record.points.push({ t: performance.now(), count });
  if (record.points.length > MAX_POINTS) record.points.shift();
  const wanted = trialWanted === true || trialWanted === msg.id;
  if (wanted && !trial && !handover && record.running && backend?.candidate) startTrial(msg.id, record);
}

// Starts a trial of WebGPU on demo `id`'s model: its worker loads while the
// CPU worker sends the checkpoint it goes on from.
function startTrial(id, record) {
  let trialWorker;
  try {
    trialWorker = newWorker();
  } catch {
    trialWanted = false; // the page's worker was allowed; this one cannot differ
    return;
  }
  trialWanted = false;
  trialReport = { state: 'measuring', description: backend.candidate };
  trial = new BackendTrial({
    worker: trialWorker,
    demo: { id, kind: record.kind, messages: (checkpoint) => trialMessages(record, checkpoint) },
    cpuPoints: () => record.points,
    onEnd: trialEnded,
    testHooks: testHooks(),
    ...(testHooks() && {
      cpuSlowdown: globalThis.__mdnTrialCpuSlowdown ?? 1,
      capMs: globalThis.__mdnTrialCapMs ?? CAP_MS,
    }),
  });
  worker.postMessage({ type: P.CHECKPOINT_NOW, id, stop: false });
  announce();
}

// What creates demo `record` in the trial's worker from `checkpoint`
// ({bytes: Uint8Array, name}), as [message, transfer] pairs: its settings, its model
// and what its results show.
function trialMessages(record, checkpoint) {
  const kind = kindNamed(record.kind);
  const create = { ...record.sent[P.CREATE], options: record.options };
  const display = kind.display.filter((type) => record.sent[type]).map((type) => [record.sent[type], []]);
  return [...kind.resume(create, checkpoint), ...display];
}

// The trial's verdict: WebGPU faster, and the demos move to its worker
// once the CPU worker has sent their checkpoints and stopped; otherwise
// its worker ends, and its GPU memory with it.
function trialEnded(result) {
  const ended = trial;
  trial = null;
  trialReport = { ...result, state: result.decision };
  for (const record of records.values()) record.measured = record.options;
  if (result.decision === 'webgpu' && worker) {
    handover = { id: ended.id, worker: ended.worker, backend: ended.backend, message: trialFigures(trialReport) };
    worker.postMessage({ type: P.CHECKPOINT_NOW, id: null, stop: true });
  } else {
    ended.worker.terminate();
  }
  announce();
}

// Every checkpoint is in (the demos' views keep them): the trial's worker
// becomes the page's, and every demo goes on there from its checkpoint.
function finishHandover() {
  const { id, worker: next, backend: gpuBackend, message } = handover;
  handover = null;
  worker.terminate();
  worker = next;
  listen(worker);
  // The trial's copy of the demo: the demo itself comes from its view.
  worker.postMessage({ type: P.REMOVE, id });
  choice = 'webgpu';
  reason = message;
  backend = { ...gpuBackend, reason: message };
  for (const record of records.values()) record.points = [];
  announce();
  for (const handler of handlers.values()) handler({ type: P.HANDOVER, message });
}

// A trial underway ends with the worker it measures against.
function abortTrial() {
  trial?.abort();
  trial = null;
  if (trialReport?.state === 'measuring') trialReport = null;
  handover?.worker.terminate();
  handover = null;
}

function die(message) {
  fatal = message;
  for (const handler of handlers.values()) handler({ type: P.FATAL, message });
}

// The worker trapped: replace it, and tell every demo (each starts again in
// the new worker, or stops if it was the culprit twice in a row).
function crashed({ culprit, message }) {
  abortTrial();
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
  abortTrial();
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
  if (backend) listener({ ...backend, trial: trialReport });
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
  records.set(id, { kind: null, sent: {}, options: null, measured: null, running: false, points: [] });
  if (fatal) queueMicrotask(() => handler({ type: P.FATAL, message: fatal }));
  return {
    id,
    send(msg, transfer = []) {
      noteSent(id, msg);
      worker?.postMessage({ ...msg, id }, transfer);
    },
    detach() {
      handlers.delete(id);
      crashes.delete(id);
      records.delete(id);
      if (trial?.id === id) abortTrial();
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
