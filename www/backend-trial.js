// The backend trial: whether WebGPU trains a demo faster than the CPU
// module that is already training it, measured on the reader's own
// machine while the demo runs (www/engine.js starts one when the CPU
// worker names a WebGPU adapter as its candidate).
//
// A second worker loads the WebGPU module and goes on from a checkpoint of
// the demo's current model, with the same settings and view, for a few
// seconds; meanwhile the CPU worker goes on training. Both are measured in
// the units the reader sees (a painting's epochs per second, a toy's steps
// per second, each with its repaints or snapshots) over the same stretch of
// time, after WebGPU's first result (which includes compiling its
// kernels). The engine hands the demos over to the trial's worker when
// WebGPU is faster by MARGIN, and otherwise ends it, which frees its GPU
// memory.
import './protocol.js';
import { kindNamed, kindOfResult, workerScripts } from './kinds.js';

const P = globalThis.MdnProtocol;

// WebGPU takes over only when this many times faster than the CPU: the
// two figures come from a few seconds of a shared machine (each worker
// slows the other a little), and a handover costs a checkpoint's readback
// and a moment without results.
export const MARGIN = 1.25;
// After WebGPU's first result: how long it is measured, and on how many
// results at least.
export const MEASURE_MS = 4000;
export const MIN_RESULTS = 3;
// From the trial's start (loading the module, the device, the checkpoint,
// the kernels' compilation): a trial still short of its results then is
// decided on what it has, as slower (a first result that took this long
// is slower than any CPU).
export const CAP_MS = 30000;
// A setting change that makes a demo's work this many times the work
// measured (its kind's `work`) brings a new trial (needsTrial).
export const RETRIAL_WORK = 2;

// What a result message counts (a painting's epoch, a toy's step: its
// kind's `count`), or null for any other message.
export function countOf(msg) {
  return kindOfResult(msg.type)?.count(msg) ?? null;
}

// Whether a demo of kind `name` whose model had the settings `measured` at
// the last trial needs a new one with `options`: RETRIAL_WORK times the
// work (its kind's `work`, a rough measure of a setting's size, not a
// time), or what its kind's `retrial` says.
export function needsTrial(name, measured, options) {
  const kind = kindNamed(name);
  if (!kind || !measured || !options) return false;
  if (kind.work(options) >= RETRIAL_WORK * kind.work(measured)) return true;
  return kind.retrial(measured, options);
}

// The rate, per second, of `points` ({t: ms, count}, in time order) over
// [from, to]: from the last point at or before `from` (the first after it
// when there is none) to the last at or before `to`. 0 when it did not
// move.
export function rateOver(points, from, to) {
  const start = points.findLast((p) => p.t <= from) ?? points.find((p) => p.t >= from);
  const end = points.findLast((p) => p.t <= to);
  if (!start || !end || end.t <= start.t) return 0;
  return (1000 * (end.count - start.count)) / (end.t - start.t);
}

// A rate as the page shows it: two significant figures (whole numbers
// from 100).
export function formatRate(rate) {
  if (rate >= 100) return String(Math.round(rate));
  return String(Number(rate.toPrecision(2)));
}

// The trial's figures in words.
export function trialFigures({ gpu, cpu, unit }) {
  return `${formatRate(gpu)} ${unit} on WebGPU against ${formatRate(cpu)} on the CPU`;
}

// The trial's state, figures and decision in words, for the backend line.
export function trialText(report) {
  const { state, description, failed } = report;
  if (state === 'measuring') return `measuring WebGPU (${description}) against the CPU…`;
  if (failed) return `WebGPU (${description}) failed in its trial (${failed}): training on the CPU`;
  if (state === 'webgpu') return `${trialFigures(report)}: training on WebGPU`;
  return `${trialFigures(report)} (${description}): training on the CPU`;
}

// One trial of demo `demo` ({id, kind, messages}: `messages(checkpoint)`
// gives what creates it in the trial's worker from the CPU's checkpoint,
// with its settings and view) in `worker`, a new Worker. `cpuPoints()`:
// the demo's results on the CPU ({t, count}). `onEnd({decision: 'webgpu'
// | 'cpu', gpu, cpu, unit, description, failed?})` is called once, unless
// abort() comes first; the caller then ends `worker` or adopts it (with
// its BACKEND message, `backend`). `cpuSlowdown` (tests only) divides the
// CPU's rate; `capMs` (tests only, on a busy machine's SwiftShader)
// replaces CAP_MS.
export class BackendTrial {
  #worker;
  #demo;
  #cpuPoints;
  #onEnd;
  #cpuSlowdown;
  #points = []; // WebGPU's results: {t, count}
  #startedAt = performance.now();
  #timer;
  #ended = false;
  #loaded = false;
  backend = null;

  constructor({ worker, demo, cpuPoints, onEnd, testHooks = false, cpuSlowdown = 1, capMs = CAP_MS }) {
    this.#worker = worker;
    this.#demo = demo;
    this.#cpuPoints = cpuPoints;
    this.#onEnd = onEnd;
    this.#cpuSlowdown = cpuSlowdown;
    worker.onmessage = ({ data }) => this.#receive(data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(`its worker could not be loaded (${event.message || 'its script did not load'})`);
    };
    worker.postMessage({ type: P.INIT, backend: 'webgpu', reason: null, kinds: workerScripts(), testHooks });
    this.#timer = setTimeout(() => this.#decide(), capMs);
  }

  get id() {
    return this.#demo.id;
  }

  get worker() {
    return this.#worker;
  }

  // The CPU worker's checkpoint of the demo (a CHECKPOINT message): the
  // model the trial goes on from.
  checkpoint(msg) {
    if (this.#ended || this.#loaded) return;
    this.#loaded = true;
    for (const [message, transfer] of this.#demo.messages({ bytes: msg.bytes.slice(0), name: 'its checkpoint' })) {
      this.#worker.postMessage({ ...message, id: this.#demo.id }, transfer);
    }
    this.#worker.postMessage({ type: P.RUN, id: this.#demo.id, running: true });
  }

  // Ends the trial without a decision (the demo paused or left, the CPU
  // worker was replaced): its worker is ended.
  abort() {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#timer);
    this.#worker.terminate();
  }

  #receive(msg) {
    if (this.#ended) return;
    if (msg.type === P.BACKEND) {
      this.backend = msg;
    } else if ([P.WEBGPU_FAILED, P.FATAL, P.CRASHED, P.DEVICE_LOST].includes(msg.type)) {
      this.#fail(msg.message);
    } else if (msg.type === P.DEMO_FAILED || msg.type === kindNamed(this.#demo.kind)?.refused) {
      this.#fail(`the model failed there (${msg.message})`);
    } else if (msg.id === this.#demo.id && countOf(msg) !== null) {
      const t = performance.now();
      this.#points.push({ t, count: countOf(msg) });
      if (this.#points.length > MIN_RESULTS && t - this.#points[0].t >= MEASURE_MS) this.#decide();
    }
  }

  // WebGPU's rate over the stretch it was measured on (from its first
  // result to its last, or to now when it has fewer than two); the CPU's,
  // the better of its rate over that stretch and before it: a trial slows
  // the CPU worker down on a small machine (here, two cores with
  // SwiftShader, the default toy from 147 to 123 steps/s and the default
  // painting from 7.2 to 2.4 epochs/s), and the CPU, the lighter of the
  // two, keeps the demo unless WebGPU beats it at its best.
  #decide() {
    if (this.#ended) return;
    const now = performance.now();
    const first = this.#points[0];
    const last = this.#points.length > 1 ? this.#points[this.#points.length - 1] : null;
    const from = first ? first.t : this.#startedAt;
    const to = last ? last.t : now;
    // Short of two results, at most one count in all the time it had.
    const gpu = last ? rateOver(this.#points, from, to) : (1000 * (first ? 1 : 0)) / (now - this.#startedAt);
    const points = this.#cpuPoints();
    const before = points.length > 0 ? rateOver(points, points[0].t, from) : 0;
    const cpu = Math.max(before, rateOver(points, from, to)) / this.#cpuSlowdown;
    this.#end({ decision: gpu >= MARGIN * cpu && gpu > 0 ? 'webgpu' : 'cpu', gpu, cpu });
  }

  #fail(why) {
    if (this.#ended) return;
    this.#end({ decision: 'cpu', gpu: null, cpu: null, failed: why });
  }

  #end(result) {
    this.#ended = true;
    clearTimeout(this.#timer);
    const description = this.backend?.description ?? 'WebGPU';
    this.#onEnd({ ...result, unit: kindNamed(this.#demo.kind)?.unit, description });
  }
}
