// The worker's pure parts: the scheduler (www/worker/scheduler.js), the
// backend choice (www/worker/backend.js), and the protocol (www/protocol.js)
// as the only place a message type is spelled.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import '../../www/protocol.js';
import '../../www/worker/scheduler.js';
import '../../www/worker/backend.js';

const { MdnProtocol: P, MdnScheduler: S, MdnBackend: B } = globalThis;
const www = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../www');

test('a slice moves towards 40 ms, at most doubling or halving, within 1..max', () => {
  assert.equal(S.adapt(10, 20, 1000), 20);
  assert.equal(S.adapt(10, 10, 1000), 20, 'at most doubles');
  assert.equal(S.adapt(10, 400, 1000), 5, 'at most halves');
  assert.equal(S.adapt(10, 50, 1000), 8);
  assert.equal(S.adapt(600, 1, 1000), 1000, 'capped at max');
  assert.equal(S.adapt(1, 1000, 1000), 1, 'never below one step');
  assert.equal(S.adapt(3, 0, 1000), 6, 'an instant slice doubles');
});

test('the running demo with the least worker time goes next; a returning one starts level', () => {
  const a = { model: {}, running: true, used: 50 };
  const b = { model: {}, running: true, used: 20 };
  const paused = { model: {}, running: false, used: 0 };
  const empty = { model: null, running: true, used: 0 };
  assert.equal(S.nextDemo([a, b, paused, empty]), b);
  assert.equal(S.nextDemo([paused, empty]), null);
  const decoding = { model: {}, running: true, used: 0, decoding: {} };
  assert.equal(S.nextDemo([a, decoding]), a, 'a painting waits while its next picture decodes');
  const back = { model: {}, running: true, used: 5 };
  S.level(back, [a, b, back, paused]);
  assert.equal(back.used, 20, 'level with the least served running demo');
  const ahead = { model: {}, running: true, used: 90 };
  S.level(ahead, [a, b, ahead]);
  assert.equal(ahead.used, 90, 'keeps a higher count');
});

test('the CPU first, always, unless WebGPU is asked for; a hardware adapter is the trial\'s candidate', async () => {
  const gpu = (info) => ({ requestAdapter: async () => (info ? { info } : null) });
  const choose = (requested, adapter, options = {}) => B.chooseBackend(requested, options, adapter);
  assert.equal((await choose('cpu', gpu({ vendor: 'nvidia' }))).reason, 'requested in the URL');
  assert.match((await choose(null, undefined)).reason, /navigator.gpu missing/);
  assert.equal((await choose(null, gpu(null))).reason, 'no WebGPU adapter');
  const swiftshader = { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader' };
  const software = await choose(null, gpu(swiftshader));
  assert.equal(software.kind, 'cpu');
  assert.equal(software.candidate, undefined, 'a software adapter is not tried');
  assert.equal((await choose(null, gpu(swiftshader), { trialSoftware: true })).candidate, 'SwiftShader');
  assert.equal((await choose('webgpu', gpu(swiftshader))).kind, 'webgpu');
  const hardware = await choose(null, gpu({ vendor: 'nvidia', description: 'H200' }));
  assert.deepEqual(hardware, {
    kind: 'cpu',
    reason: 'first, while WebGPU (H200) is measured against it',
    candidate: 'H200',
  });
  assert.equal((await choose('cpu', gpu({ description: 'H200' }))).candidate, undefined, 'forced: no trial');
});

test('a WebGPU start that fails asks for the CPU module, and says why; a CPU one that fails throws', async () => {
  const asked = [];
  const bindings = {
    init_backend: async (kind) => {
      asked.push(kind);
      throw new Error(kind === 'webgpu' ? 'device request refused\n    at requestDevice (backend.js:1:1)' : 'no memory');
    },
  };
  const choice = { kind: 'webgpu', description: 'H200', reason: null };
  const backend = await B.initBackend(bindings, choice);
  assert.deepEqual(asked, ['webgpu'], 'the WebGPU module has no CPU backend to try');
  assert.deepEqual(backend, { failed: 'WebGPU init failed: device request refused' });
  assert.equal(choice.kind, 'webgpu', "the caller's choice is left as it was");
  await assert.rejects(B.initBackend(bindings, { kind: 'cpu', reason: 'no WebGPU adapter' }), /no memory/);
  const ok = { init_backend: async () => 'flex' };
  assert.deepEqual(await B.initBackend(ok, { kind: 'cpu', reason: 'r' }), { kind: 'cpu', reason: 'r', device: 'flex' });
});

test('threads: one unless the page is cross-origin isolated, then one per core up to 8, or fewer when asked', () => {
  const scope = (isolated, cores) => ({ crossOriginIsolated: isolated, navigator: { hardwareConcurrency: cores } });
  assert.equal(B.threadsFor(null, scope(false, 16)), 1, 'no shared memory without isolation');
  assert.equal(B.threadsFor(4, scope(false, 16)), 1);
  assert.equal(B.threadsFor(null, scope(true, 2)), 2);
  assert.equal(B.threadsFor(null, scope(true, 16)), B.THREADS_MAX);
  assert.equal(B.THREADS_MAX, 8);
  assert.equal(B.threadsFor(1, scope(true, 16)), 1, '?threads=1: the single-threaded module');
  assert.equal(B.threadsFor(3, scope(true, 16)), 3);
  assert.equal(B.threadsFor(12, scope(true, 4)), 4, 'never more than the cores');
  assert.equal(B.threadsFor(null, scope(true, undefined)), 1, 'a browser that does not say: one');
});

test('the threaded module loads where threads are wanted; where it cannot start, the single-threaded one', async () => {
  const loads = [];
  const scope = globalThis;
  const saved = { importScripts: scope.importScripts, wasm_bindgen: scope.wasm_bindgen, warn: console.warn };
  const warnings = [];
  console.warn = (text) => warnings.push(text);
  scope.importScripts = (url) => loads.push(url);
  scope.wasm_bindgen = async () => ({ memory: 'single' });
  try {
    // The threaded module's URL cannot be imported here (node has no such
    // file), as where a host lacks it: the CPU module is loaded instead.
    const urlOf = (stem, suffix) => `file:///nowhere/${stem}${suffix}`;
    const single = await B.loadModule('cpu', 4, urlOf);
    assert.equal(single.name, 'mdn-web-cpu');
    assert.equal(single.threads, 1);
    assert.match(warnings[0], /^the threaded module did not start \(.*\): training on one thread$/);
    assert.deepEqual(loads, ['file:///nowhere/mdn-web-cpu.js']);
    const gpu = await B.loadModule('webgpu', 4, urlOf);
    assert.equal(gpu.name, 'mdn-web');
    assert.equal(gpu.threads, null, 'threads count on the CPU only');
    assert.equal(warnings.length, 1, 'WebGPU never tries the threaded module');
    assert.equal((await B.loadModule('cpu', 1, urlOf)).name, 'mdn-web-cpu');
    assert.equal(warnings.length, 1, 'one thread: the single-threaded module, without trying the other');
    await B.loadModule('cpu', 1, urlOf, { pool: true });
    assert.equal(warnings.length, 2, 'a pool of one, asked for (tests/profile.mjs): the threaded module is tried');
  } finally {
    Object.assign(scope, { importScripts: saved.importScripts, wasm_bindgen: saved.wasm_bindgen });
    console.warn = saved.warn;
  }
});

test('every message type is spelled once, in www/protocol.js', () => {
  const names = Object.values(P);
  assert.equal(new Set(names).size, names.length, 'distinct names');
  assert.equal(names.length, 35, 'as contract.rs declares them');
  const files = fs
    .readdirSync(www, { recursive: true })
    .filter((f) => f.endsWith('.js') && f !== 'protocol.js')
    .map((f) => path.join(www, f));
  for (const file of files) {
    const source = fs.readFileSync(file, 'utf8');
    for (const name of names) {
      // As a message type: a quoted literal compared with or assigned to `type`.
      const spelled = new RegExp(`type(:| ===| !==) '${name}'`);
      assert.ok(!spelled.test(source), `${path.relative(www, file)} spells '${name}'`);
    }
  }
});
