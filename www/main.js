// Main thread: UI only. All wasm (and so all training) runs in www/worker.js;
// this side forwards the visitor's actions and draws what comes back with the
// 2D canvas, which keeps every task here far below the 50 ms that makes a page
// feel stuck.
import { createToy } from './toy.js';
import { createPaint } from './paint.js';

const BACKENDS = ['webgpu', 'cpu'];

const toyRoot = document.getElementById('toy');
const paintRoot = document.getElementById('paint');
const backendText = document.getElementById('backend-text');

const worker = new Worker(new URL('./worker.js', import.meta.url));

const toy = createToy(toyRoot, {
  onRestart: () => worker.postMessage({ type: 'toy-restart' }),
});

const paint = createPaint(paintRoot, {
  onImage: (bytes, name) => worker.postMessage({ type: 'paint-image', bytes, name }, [bytes]),
});

function showBackend({ kind, description, reason, device }) {
  const text =
    kind === 'webgpu' ? `WebGPU: ${description}${reason ? ` (${reason})` : ''}` : `CPU: ${reason}`;
  backendText.textContent = text;
  if (device) backendText.title = `device: ${device}`;
  for (const root of [toyRoot, paintRoot]) root.dataset.backend = kind;
}

function showFatal(message) {
  backendText.textContent = `failed to start: ${message}`;
  document.body.dataset.error = message;
  toy.fail(message);
  paint.fail(message);
}

worker.onmessage = ({ data: msg }) => {
  switch (msg.type) {
    case 'backend':
      showBackend(msg);
      break;
    case 'toy-data':
      toy.setData(msg);
      break;
    case 'toy-snapshot':
      toy.setSnapshot(msg);
      break;
    case 'paint-start':
      paint.start(msg);
      break;
    case 'paint-epoch':
      paint.epoch(msg);
      break;
    case 'paint-error':
      paint.error(msg.name, msg.message);
      break;
    case 'demo-failed':
      (msg.demo === 'toy' ? toy : paint).fail(msg.message);
      break;
    case 'fatal':
      showFatal(msg.message);
      break;
    default:
      console.warn('unexpected message from the worker', msg);
  }
};

// A worker that fails to load (missing or broken bindings) only reports here.
worker.onerror = (event) => {
  event.preventDefault();
  showFatal(event.message || 'the worker could not be loaded');
};

// ?backend=webgpu|cpu overrides the automatic choice; anything else is ignored.
const requested = new URLSearchParams(location.search).get('backend');
worker.postMessage({ type: 'init', backend: BACKENDS.includes(requested) ? requested : null });

// Training in a hidden tab only burns battery.
document.addEventListener('visibilitychange', () => {
  worker.postMessage({ type: 'pause', paused: document.hidden });
});

// The default picture goes through the same path as an upload.
async function paintDefault() {
  const name = 'astronaut.jpg';
  try {
    const response = await fetch(new URL('./assets/astronaut.jpg', import.meta.url));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const bytes = await response.arrayBuffer();
    worker.postMessage({ type: 'paint-image', bytes, name }, [bytes]);
  } catch (e) {
    paint.error(name, `the default picture could not be loaded (${e.message})`);
  }
}
paintDefault();
