/* The worker's backend choice: burn's CPU backend in wasm, with a
 * hardware WebGPU adapter named as the candidate the engine's trial
 * measures (www/backend-trial.js), or WebGPU when the URL asks for it,
 * decided before the wasm initialises its device, with the reason the page
 * shows.
 *
 * A classic script (see www/protocol.js): defines globalThis.MdnBackend.
 */
/* global wasm_bindgen */
'use strict';

(function define(global) {
  function messageOf(e) {
    if (e instanceof Error) return e.message || String(e);
    return String(e);
  }

  function describeAdapter(adapter) {
    const info = adapter.info || {};
    const parts = info.description ? [info.description] : [info.vendor, info.architecture, info.device];
    const text = parts.filter(Boolean).join(' ');
    return text || 'unnamed adapter';
  }

  // SwiftShader (Chromium without a GPU) is a software rasteriser: training
  // on it is far slower than on the CPU backend.
  function isSoftwareAdapter(adapter) {
    const info = adapter.info || {};
    if (info.isFallbackAdapter || adapter.isFallbackAdapter) return true;
    return [info.vendor, info.architecture, info.description].some((s) => /swiftshader/i.test(s || ''));
  }

  // The wasm module each backend needs, by its file name's stem at the root
  // of dist/ (Trunk builds the first two, see index.html, and
  // scripts/build-threads.sh the third): each carries its own backend only,
  // and the CPU module is a fraction of the WebGPU one. `threads` is the CPU
  // module with a pool of threads, for cross-origin isolated pages.
  const MODULES = Object.freeze({ webgpu: 'mdn-web', cpu: 'mdn-web-cpu', threads: 'mdn-web-threads' });

  // The most threads the CPU backend trains on. A step's passes split in
  // blocks of rows (mdn-core's fused/split.rs): at the largest minibatch
  // (1024 pixels, paintings above 256 px) the grid and the mixture head
  // make at most 4 blocks and the dense layers 16; at the default 256 the
  // grid and head one and the dense layers 4. Past 8 threads most would
  // wait. (Measured only up to 2 threads: docs/PERFORMANCE.md, "Threads".)
  const THREADS_MAX = 8;

  // Threads for the CPU backend: 1 (the single-threaded module) unless the
  // page is cross-origin isolated (only then do browsers allow the shared
  // memory threads need) and the reader's CPU has more than one core;
  // `requested` (?threads= in the page's URL, 1 to 64, or null) lowers it.
  function threadsFor(requested, scope = global) {
    if (!scope.crossOriginIsolated) return 1;
    const cores = Math.max(1, Math.floor(scope.navigator?.hardwareConcurrency || 1));
    return Math.max(1, Math.min(cores, THREADS_MAX, requested ?? THREADS_MAX));
  }

  // Which backend to ask the wasm for, and why. `requested`: 'webgpu',
  // 'cpu' or null (automatic). Automatically the CPU, always: its module is
  // a quarter of the WebGPU one's size and its first result comes at once,
  // and for these small models a GPU is not always faster (a step is
  // hundreds of small kernel dispatches); a hardware adapter (or, with
  // `trialSoftware`, any) is returned as the `candidate` the engine's trial
  // measures against the CPU while the demo runs (www/backend-trial.js).
  async function chooseBackend(requested, { trialSoftware = false } = {}, gpu = global.navigator && global.navigator.gpu) {
    const cpu = (reason) => ({ kind: 'cpu', reason });
    if (requested === 'cpu') return cpu('requested in the URL');
    if (!gpu) return cpu('WebGPU unavailable (navigator.gpu missing)');
    let adapter;
    try {
      adapter = await gpu.requestAdapter();
    } catch (e) {
      return cpu(`WebGPU unavailable (requestAdapter failed: ${messageOf(e)})`);
    }
    if (!adapter) return cpu('no WebGPU adapter');
    const description = describeAdapter(adapter);
    if (requested === 'webgpu') return { kind: 'webgpu', description, reason: 'requested in the URL' };
    if (isSoftwareAdapter(adapter) && !trialSoftware) {
      return cpu(`only a software WebGPU adapter: ${description}`);
    }
    return { ...cpu(`first, while WebGPU (${description}) is measured against it`), candidate: description };
  }

  // Initialises `choice` (from chooseBackend) in the wasm (`bindings`:
  // wasm_bindgen); resolves to the BACKEND message's fields. When WebGPU
  // fails to start it resolves to {failed: why} instead: the WebGPU module
  // has no CPU backend to fall back to, so the worker must be replaced by
  // one that loads the CPU module (WEBGPU_FAILED).
  async function initBackend(bindings, choice) {
    try {
      const device = await bindings.init_backend(choice.kind);
      return { ...choice, device };
    } catch (e) {
      if (choice.kind !== 'webgpu') throw e;
      // The first line: wgpu's error may carry the browser's stack after it.
      return { failed: `WebGPU init failed: ${messageOf(e).split('\n')[0]}` };
    }
  }

  // Loads the wasm module backend `kind` needs, `urlOf(stem, suffix)` being
  // where its files are: on the CPU, the threaded module with its pool of
  // `threads` workers when more than one is wanted, falling back to the
  // single-threaded module where it cannot start (as where the page is not
  // isolated). Resolves to {name, bindings, exports, threads}: the module's
  // stem, its bindings, its wasm exports, and the CPU's threads (null on
  // WebGPU). The worker and the benchmark's worker both load so. `pool`:
  // the threaded module even for one thread (tests/profile.mjs, which
  // compares one thread with more in the same module).
  async function loadModule(kind, threads, urlOf, { pool = threads > 1 } = {}) {
    if (kind === 'cpu' && pool) {
      const name = MODULES.threads;
      try {
        // wasm-bindgen's `web` output, an ES module, which the pool's
        // workers import again.
        const bindings = await import(urlOf(name, '.js'));
        const exports = await bindings.default({ module_or_path: urlOf(name, '_bg.wasm') });
        await bindings.initThreadPool(threads);
        return { name, bindings, exports, threads };
      } catch (e) {
        console.warn(`the threaded module did not start (${messageOf(e)}): training on one thread`);
      }
    }
    const name = MODULES[kind];
    global.importScripts(urlOf(name, '.js'));
    // wasm-bindgen's init compiles while the module downloads
    // (WebAssembly.instantiateStreaming), given the server's application/wasm.
    // (wasm_bindgen: the script's global binding, a `let`, not a property
    // of globalThis.)
    const exports = await wasm_bindgen({ module_or_path: urlOf(name, '_bg.wasm') });
    return { name, bindings: wasm_bindgen, exports, threads: kind === 'cpu' ? 1 : null };
  }

  // Tests only: every GPU device request is refused from now on, as a
  // browser may refuse one (INIT's refuseGpuDevice).
  function refuseDevices(Adapter = global.GPUAdapter) {
    if (!Adapter) return;
    Adapter.prototype.requestDevice = async function requestDevice() {
      throw new Error('the GPU device request was refused (a test)');
    };
  }

  // Calls `onLost(info)` (a GPUDeviceLostInfo) when a GPU device the wasm
  // asked for is lost: a driver reset, the GPU process restarting, or
  // destroy(). wgpu asks through GPUAdapter.requestDevice, which is
  // wrapped here, since the wasm does not hand its GPUDevice out. Returns
  // the devices asked for so far (for the tests' hook, which destroys them).
  function watchDevices(onLost, Adapter = global.GPUAdapter) {
    const devices = [];
    if (!Adapter) return devices;
    const request = Adapter.prototype.requestDevice;
    Adapter.prototype.requestDevice = async function requestDevice(...args) {
      const device = await request.apply(this, args);
      devices.push(device);
      device.lost.then(onLost);
      return device;
    };
    return devices;
  }

  global.MdnBackend = Object.freeze({
    MODULES,
    THREADS_MAX,
    threadsFor,
    loadModule,
    watchDevices,
    messageOf,
    describeAdapter,
    isSoftwareAdapter,
    chooseBackend,
    initBackend,
    refuseDevices,
  });
})(globalThis);
