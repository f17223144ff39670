// The toy demo's view inside an <mdn-demo kind="toy">: the data plot (the
// density p(y | x) behind the data, MDN samples, the least-squares fit and
// the conditional mode, each a layer to toggle), the component panels (π_k,
// μ_k ± σ_k) on the same x axis, the conditional density at a probed x₀,
// the NLL curve, and the settings: data set, K, hidden units, τπ and τσ.
// With the data set "draw", the plot is a canvas the reader sprays points
// on. It only shows what the worker sends and forwards the reader's
// actions; www/mdn-demo.js owns the element, the link to the
// worker and the live data-* state. The canvases are drawn elsewhere
// (plot-link.js: in the plot worker where the browser can): this view
// tells them what to show (plot-protocol.js).

import './protocol.js';
import { DemoLifecycle } from './demo-lifecycle.js';
import { registerKind } from './kinds.js';
import { OPTIONS, ToyControls, bindToyButtons } from './toy-controls.js';
import { ToyInteraction } from './toy-interaction.js';
import { ToyModel } from './toy-model.js';

const P = globalThis.MdnProtocol;

// The view: its parts (toy-controls.js, toy-interaction.js, toy-model.js),
// each reaching the others through `toy`, and its life in the worker
// (demo-lifecycle.js).
export function createToy(root, { host, send, progress }) {
  const toy = { host, send, progress };
  toy.controls = new ToyControls(root, host, () => {
    progress({ layers: toy.controls.shownLayers() });
    toy.model.showDisplay();
  });
  toy.model = new ToyModel(toy);
  toy.interaction = new ToyInteraction(toy);
  toy.life = new DemoLifecycle({
    kind: 'toy',
    host,
    send,
    progress,
    options: OPTIONS,
    position: 'step',
    hooks: lifecycleHooks(toy),
  });
  bindToyButtons(toy);

  toy.interaction.setDrawing(toy.controls.drawing());
  toy.controls.showPanels();
  progress({ layers: toy.controls.shownLayers() });
  toy.model.showDisplay();

  return toy.life.view({
    start: () => toy.life.create(),
    receive: (msg) => toy.model.receive(msg),
    settingChanged: () => toy.model.settingChanged(),
    fail: (text) => toy.controls.stopped(text),
    // The demo changed kind: this view and its plots go.
    dispose: () => toy.model.plots.close(),
  });
}

// What the toy's life in the worker needs of it.
function lifecycleHooks({ controls, model, interaction }) {
  return {
    // This toy, with its drawn points and its probe; from a checkpoint
    // when given and it loads.
    creation(from) {
      controls.setStatus('waiting for the model…');
      model.pendingRestarts = 1;
      const checkpoint = from && { bytes: from.bytes, name: 'its last checkpoint' };
      const fields = { ...controls.display(), options: controls.modelOptions(), checkpoint };
      return [fields, from ? [from.bytes.buffer] : []];
    },
    created: () => interaction.resend(),
    restarting: (notice) => controls.showRecovery(notice),
    adopted() {
      controls.reread();
      interaction.setDrawing(controls.drawing());
    },
  };
}

// The toy's entry in the registry (kinds.js says what each field is).
registerKind('toy', {
  view: createToy,
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
