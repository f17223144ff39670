// Every demo kind, by the name its `kind` attribute gives: the one entry a
// new kind adds on the page's side, registered by its view's module
// (toy.js, paint.js; docs/ARCHITECTURE.md, "Where a new … goes", "Demo
// kind"; on the Rust side, a run type in mdn-core, a wasm class in mdn-web
// and its messages in mdn-web's contract.rs). The element
// (mdn-demo.js), the attribute parser (attributes.js), the engine and its
// backend trial (engine.js, backend-trial.js) and the worker (told each
// kind's script by the engine's INIT) iterate over this registry; none of
// them names a kind.
//
// An entry:
//   view: the view's create(root, {host, send, progress}) (toy.js's
//     createToy), in hand when a demo first renders so that its first
//     frame has its final layout (nothing below it moves later);
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
