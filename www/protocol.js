/* GENERATED from crates/mdn-web/src/contract.rs by its test: do not edit
 * (UPDATE_CONTRACT=1 cargo test --workspace --lib contract rewrites it).
 *
 * Every message between the page and the one Worker that runs the wasm, by
 * its `type`: the only place a message type is spelled in JavaScript. The
 * fields of each are in protocol.d.ts (ToWorker, FromWorker), as are the
 * fields of a demo's live state (LiveState), listed here too.
 *
 * A classic script, so that the worker can load it with importScripts
 * (wasm-bindgen's `no-modules` bindings need a classic worker); the page and
 * node import it as a module for its side effect. Either way it defines
 * `globalThis.MdnProtocol` and `globalThis.MdnLiveState`.
 */
'use strict';

(function define(global) {
  if (global.MdnProtocol) return;
  global.MdnProtocol = Object.freeze({
    // Page → worker.
    INIT: 'init',
    CREATE: 'create',
    REMOVE: 'remove',
    RUN: 'run',
    TOY_RESTART: 'toy-restart',
    TOY_POINTS: 'toy-points',
    TOY_PROBE: 'toy-probe',
    TOY_DISPLAY: 'toy-display',
    PAINT_IMAGE: 'paint-image',
    PAINT_OPTIONS: 'paint-options',
    PAINT_VIEW: 'paint-view',
    SAVE_MODEL: 'save-model',
    LOAD_MODEL: 'load-model',
    CHECKPOINT_NOW: 'checkpoint-now',
    TEST_LOSE_DEVICE: 'test-lose-device',
    TEST_TRAP: 'test-trap',
    // Worker → page.
    BACKEND: 'backend',
    FATAL: 'fatal',
    CRASHED: 'crashed',
    RUNNING: 'running',
    MODEL_FILE: 'model-file',
    CHECKPOINT: 'checkpoint',
    CHECKPOINTED: 'checkpointed',
    HANDOVER: 'handover',
    DEVICE_LOST: 'device-lost',
    WEBGPU_FAILED: 'webgpu-failed',
    DEMO_FAILED: 'demo-failed',
    TOY_DATA: 'toy-data',
    TOY_SNAPSHOT: 'toy-snapshot',
    TOY_ERROR: 'toy-error',
    PAINT_START: 'paint-start',
    PAINT_EPOCH: 'paint-epoch',
    PAINT_PREVIEW: 'paint-preview',
    PAINT_ERROR: 'paint-error',
    TEST_ECHO: 'test-echo',
  });
  // Every field of a demo's live state (LiveState in protocol.d.ts):
  // <mdn-demo> refuses any other but those its kind adds (www/kinds.js).
  global.MdnLiveState = Object.freeze([
    'backend',
    'backendTrial',
    'checkpointEpoch',
    'checkpointStep',
    'components',
    'covariance',
    'data',
    'encoding',
    'epoch',
    'error',
    'hiddenUnits',
    'image',
    'kind',
    'layers',
    'learningRate',
    'model',
    'nll',
    'points',
    'probeX',
    'psnr',
    'psnrMean',
    'recordedFrames',
    'recording',
    'recovery',
    'savedModel',
    'savedModelBytes',
    'seed',
    'state',
    'step',
    'threads',
    'trialCpu',
    'trialUnit',
    'trialWebgpu',
    'wasmMs',
  ]);
})(globalThis);
