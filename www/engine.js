// The page's one connection to the wasm: a single Worker (www/worker.js),
// created only when the first demo asks for it, so a page whose demos are
// never scrolled to downloads no wasm at all. Every <mdn-demo> on the page
// attaches here and gets an id; messages to and from the worker carry that
// id, and the backend the worker chose is announced to every demo. The
// messages are www/protocol.js's.
import './protocol.js';

const P = globalThis.MdnProtocol;
const BACKENDS = ['webgpu', 'cpu'];

let worker = null;
let nextId = 1;
const handlers = new Map(); // id -> function(message)
const backendListeners = new Set();
let backend = null; // the worker's 'backend' message, once it came
let fatal = null; // the message the worker died with, if it did

// `requested` ('webgpu', 'cpu' or null for the automatic choice) counts only
// for the demo that starts the worker: all demos share its device. Without
// it, ?backend= in the page's URL decides.
function startWorker(requested) {
  const fromUrl = new URLSearchParams(location.search).get('backend');
  const choice = [requested, fromUrl].find((b) => BACKENDS.includes(b)) || null;
  worker = new Worker(new URL('./worker.js', import.meta.url));
  worker.onmessage = ({ data: msg }) => {
    if (msg.type === P.BACKEND) {
      backend = msg;
      for (const listener of backendListeners) listener(msg);
    } else if (msg.type === P.FATAL) {
      die(msg.message);
    } else {
      handlers.get(msg.id)?.(msg);
    }
  };
  // A worker that fails to load (missing or broken bindings) only reports here.
  worker.onerror = (event) => {
    event.preventDefault();
    die(event.message || 'the worker could not be loaded');
  };
  worker.postMessage({ type: P.INIT, backend: choice });
}

function die(message) {
  fatal = message;
  for (const handler of handlers.values()) handler({ type: P.FATAL, message });
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
// and {type: FATAL, message} if the worker cannot run at all.
export function attach(handler, { backend: requested = null } = {}) {
  if (!worker) startWorker(requested);
  const id = nextId++;
  handlers.set(id, handler);
  if (fatal) queueMicrotask(() => handler({ type: P.FATAL, message: fatal }));
  return {
    id,
    send(msg, transfer = []) {
      worker.postMessage({ ...msg, id }, transfer);
    },
    detach() {
      handlers.delete(id);
      worker.postMessage({ type: P.REMOVE, id });
    },
  };
}
