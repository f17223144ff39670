// Every demo kind, by the name its `kind` attribute gives: the one entry a
// new kind adds on the page's side (docs/ARCHITECTURE.md, "Where a new …
// goes", "Demo kind"; on the Rust side, a run type in mdn-core, a wasm
// class in mdn-web and its messages in mdn-web's contract.rs). The element
// (mdn-demo.js), the attribute parser (attributes.js), the engine and its
// backend trial (engine.js, backend-trial.js) and the worker (told each
// kind's script by the engine's INIT) iterate over this registry; none of
// them names a kind.
//
// An entry:
//   view(): a Promise of the view's create(root, {host, send, progress})
//     (toy.js), imported when a demo of the kind is first shown, so that
//     this file loads anywhere, node's unit tests included;
//   worker: the URL of its side of the worker, a classic script that
//     registers MdnKinds[name] (www/worker/toy.js);
//   attributes: the attributes it reads beyond its settings (settings.js's
//     SETTINGS[name]);
//   result: the message type of its results, `count(msg)` what one counts
//     (a step, an epoch) and `unit` the rate's unit, as the trial says it;
//   work(options): its work per count with these model options, up to a
//     constant: a trial is run again when it doubles; `retrial(measured,
//     options)`: any other change that calls for one;
//   started: the message type that says a new model started (with its
//     options); refused: the one that says options or data were refused;
//   display: the message types that set up what its results show, which
//     the trial's worker is sent again;
//   state: the fields of the live state (data-*) it adds to the contract's
//     (MdnLiveState), for a kind of a page's own;
//   resume(create, checkpoint): the [message, transfer] pairs that create
//     it in another worker (the trial's) from `create` (its CREATE, with its
//     model's options) and `checkpoint` ({bytes: Uint8Array, name}).
import './protocol.js';

const P = globalThis.MdnProtocol;
const KINDS = new Map();

// Adds the demo kind `name` (see above); a page may add its own before its
// demos start.
export function registerKind(name, entry) {
  KINDS.set(name, Object.freeze({ attributes: [], display: [], state: [], retrial: () => false, ...entry, name }));
}

// The entry of kind `name`, or null.
export const kindNamed = (name) => KINDS.get(name) ?? null;

// Every entry, in the order registered.
export const allKinds = () => [...KINDS.values()];

// The entry whose results are messages of `type`, or null.
export const kindOfResult = (type) => allKinds().find((k) => k.result === type) ?? null;

// Every kind's worker script, for the worker's INIT.
export const workerScripts = () => allKinds().map((k) => k.worker);

registerKind('toy', {
  view: () => import('./toy.js').then((m) => m.createToy),
  worker: new URL('./worker/toy.js', import.meta.url).href,
  result: P.TOY_SNAPSHOT,
  count: (msg) => msg.step,
  unit: 'steps/s',
  // A step is the fixed batch through hidden units and components.
  work: (options = {}) => (options.components ?? 24) * (options['hidden-units'] ?? 24),
  started: P.TOY_DATA,
  refused: P.TOY_ERROR,
  display: [P.TOY_DISPLAY, P.TOY_PROBE],
  // A toy is created from its checkpoint.
  resume: (create, checkpoint) => [[{ ...create, checkpoint }, [checkpoint.bytes.buffer]]],
});

// Mixture outputs per pixel for each covariance: π, μ (RGB) and the
// scale's parameters (isotropic 1, diagonal 3, the Cholesky factor's 6).
const OUTPUTS = { isotropic: 5, diagonal: 7, full: 10 };

registerKind('paint', {
  view: () => import('./paint.js').then((m) => m.createPaint),
  worker: new URL('./worker/paint.js', import.meta.url).href,
  // The picture's URL, which only the page knows about.
  attributes: ['src'],
  result: P.PAINT_EPOCH,
  count: (msg) => msg.epoch,
  unit: 'epochs/s',
  // An epoch is every pixel through the mixture head.
  work(options = {}) {
    const size = options.size ?? 128;
    return size * size * (options.components ?? 8) * (OUTPUTS[options.covariance] ?? OUTPUTS.diagonal);
  },
  // Full covariance's solves and log-determinant are kernels of their own
  // on WebGPU, beyond its outputs' count.
  retrial: (measured, options) => options.covariance === 'full' && measured.covariance !== 'full',
  started: P.PAINT_START,
  refused: P.PAINT_ERROR,
  display: [P.PAINT_VIEW],
  // A painting is created, then loads its checkpoint as a model file.
  resume: (create, checkpoint) => [
    [create, []],
    [{ type: P.LOAD_MODEL, ...checkpoint }, [checkpoint.bytes.buffer]],
  ],
});
