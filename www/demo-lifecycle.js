// A demo's life in the worker, the same for every kind: created there
// (CREATE), created again after a crash, a GPU loss or a handover (afresh,
// or from its latest checkpoint), stopped after crashes (the worker no
// longer has it until a new model creates it again), the options the
// worker reports shown on the attributes, and its model files saved and
// loaded. A view gives only what is its own (the hooks below) and gets
// back, from view(), the object www/mdn-demo.js drives.

import './protocol.js';
import { bindModelSave } from './export.js';

const P = globalThis.MdnProtocol;

export class DemoLifecycle {
  #inWorker = false; // whether the worker has this demo
  // The latest CHECKPOINT of the running model (on WebGPU), to go on from
  // after a GPU loss.
  #checkpoint = null;
  #adopting = false;
  #modelFile = null; // bindModelSave's handler of MODEL_FILE

  // `kind`: the demo kind CREATE names. `options`: the settings that make
  // a model (those adopt() sets). `position`: what a checkpoint's place is
  // counted in ('step' or 'epoch'), published as checkpointStep or
  // checkpointEpoch. The view's `hooks`:
  //   creation(from): the fields CREATE carries besides its type and kind,
  //     and the buffers to transfer, as [fields, transfer]; `from` is the
  //     checkpoint a restart goes on from, or null;
  //   created(): after every CREATE (what the worker must be sent again);
  //   restarting(notice): a restart begins (`notice` says why);
  //   resume(from): after a restart's CREATE (what the model is made from
  //     again, from the checkpoint `from` unless it is null);
  //   adopted(used): after adopt() set the attributes to `used`.
  constructor({ kind, host, send, progress, options, position, hooks }) {
    Object.assign(this, { kind, host, send, progress, options, position, hooks });
  }

  get inWorker() {
    return this.#inWorker;
  }

  // Creates this demo in the worker; `from`: a checkpoint to go on from.
  create(from = null) {
    this.#inWorker = true;
    const [fields, transfer = []] = this.hooks.creation(from);
    this.send({ type: P.CREATE, kind: this.kind, ...fields }, transfer);
    this.hooks.created?.();
  }

  // Stopped after crashes, the worker no longer has this demo: a new model
  // creates it there again.
  ensureCreated() {
    if (!this.#inWorker) this.create();
  }

  // After a crash, in a new worker: a new model. After a GPU loss or a
  // handover (`fromCheckpoint`), the model goes on from its last
  // checkpoint.
  restart(notice, { fromCheckpoint = false } = {}) {
    const from = fromCheckpoint ? this.#checkpoint : null;
    this.#checkpoint = null;
    this.hooks.restarting(notice);
    this.create(from);
    this.hooks.resume?.(from);
  }

  // Stopped after crashes: the worker no longer has it.
  lost() {
    this.#inWorker = false;
  }

  // A new model: the checkpoints of the one before are not its own.
  newModel() {
    this.#checkpoint = null;
  }

  keepCheckpoint(msg) {
    this.#checkpoint = msg;
    const key = this.position === 'step' ? 'checkpointStep' : 'checkpointEpoch';
    this.progress({ [key]: msg[this.position] });
  }

  // Whether a setting changes because adopt() set it (and is no change of
  // the reader's).
  get adopting() {
    return this.#adopting;
  }

  // Shows `used` (the options of the running model: a model file's own,
  // or the running ones after a refused set) on the attributes and
  // controls without starting another model; `current` are the options
  // the attributes hold now.
  adopt(current, used) {
    this.#adopting = true;
    for (const name of this.options) {
      if (String(current[name]) !== String(used[name])) this.host.setAttribute(name, String(used[name]));
    }
    this.#adopting = false;
    this.hooks.adopted(used);
  }

  // Model files: the worker writes one (MODEL_FILE answers SAVE_MODEL), or
  // goes on from one the reader chose (LOAD_MODEL; the view's own start
  // message answers, with `resumed`, or its error refuses and the running
  // model goes on). `fileName` and `onError` as export.js's bindModelSave.
  bindModelSave(button, { fileName, onError }) {
    this.#modelFile = bindModelSave(button, {
      request: () => this.send({ type: P.SAVE_MODEL }),
      fileName,
      onError,
      progress: this.progress,
    });
  }

  loadModel(bytes, name) {
    this.ensureCreated();
    this.send({ type: P.LOAD_MODEL, bytes, name }, [bytes]);
  }

  // The messages every demo gets; false for the view's own.
  receive(msg) {
    if (msg.type === P.CHECKPOINT) this.keepCheckpoint(msg);
    else if (msg.type === P.MODEL_FILE) this.#modelFile?.(msg);
    else return false;
    return true;
  }

  // What www/mdn-demo.js drives: the lifecycle's part here, the rest the
  // view's own (`own`: start, receive, settingChanged, fail, dispose).
  view(own) {
    return {
      start: () => own.start(),
      restart: (notice, how) => this.restart(notice, how),
      lost: () => this.lost(),
      fail: (text) => own.fail(text),
      receive: (msg) => this.receive(msg) || own.receive(msg),
      settingChanged: (name) => this.#adopting || own.settingChanged(name),
      dispose: () => own.dispose?.(),
    };
  }
}
