// The toy demo's view inside an <mdn-demo kind="toy">: the data plot (the
// density p(y | x) behind the data, MDN samples, the least-squares fit and
// the conditional mode, each a layer to toggle), the component panels (π_k,
// μ_k ± σ_k) on the same x axis, the conditional density at a probed x₀,
// the NLL curve, and the settings: data set, K, hidden units, τπ and τσ.
// With the data set "draw", the plot is a canvas the reader sprays points
// on. It only draws what the worker sends (toy-plots.js) and forwards the
// reader's actions; www/mdn-demo.js owns the element, the link to the
// worker and the live data-* state.

import './protocol.js';
import { readSettings, setting } from './attributes.js';
import { PURPLES } from './colour-ramp.js';
import { bindModelSave, savePng } from './export.js';
import { plotArea } from './plot.js';
import { LIMITS, SETTINGS } from './settings.js';
import { bindTemperatureSliders, temperatureSliders } from './temperature-sliders.js';
import { requestDraw } from './draw-queue.js';
import { densityImage, drawMain, drawMu, drawNll, drawPi, drawProbe } from './toy-plots.js';

const P = globalThis.MdnProtocol;

// Past this many points the NLL history is thinned by half, so a long run
// keeps drawing in constant time.
const MAX_HISTORY = 4000;

// The settings that start a new model (the others change what is shown).
const OPTIONS = SETTINGS.toy.filter((s) => !s.display).map((s) => s.name);
const DATA = setting('toy', 'data');
const COMPONENTS = setting('toy', 'components');
const HIDDEN = setting('toy', 'hidden-units');

// The drawing canvas's rectangle, in the units drawn points get.
const DRAW_BOUNDS = { x0: 0, x1: 10, y0: 0, y1: 10 };
// Points sprayed per pointer event, and their spread (a fraction of the
// plot's span).
const SPRAY_POINTS = 3;
const SPRAY_SPREAD = 0.012;
// While a stroke goes on, its points go to the worker at most this often.
const SEND_EVERY_MS = 600;

// The plot's layers, their labels and whether they start shown; the
// density and the mode come with the panels.
const LAYERS = [
  ['density', 'density', true],
  ['data', 'data', true],
  ['samples', 'samples', true],
  ['fit', 'least squares', true],
  ['mode', 'mode', false],
];

const PANEL_LAYERS = ['density', 'mode'];

const options = (values) =>
  values.map((v) => `<option value="${v}">${v}</option>`).join('');
const range = (lo, hi) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
const HIDDEN_CHOICES = [4, 8, 12, 16, 24, 32, 48, 64, 96, 128];

const TEMPLATE = `
  <div class="toolbar">
    <button id="toy-restart" type="button">Restart</button>
    <button id="toy-save" type="button">Save PNG</button>
    <label title="${DATA.about}">
      <span>data</span>
      <select id="toy-data">${DATA.range.choices
        .map((c) => `<option value="${c.name}">${c.name === 'draw' ? 'draw your own' : c.name}</option>`)
        .join('')}</select>
    </label>
    <label title="${COMPONENTS.about}">
      <span>components <var>K</var></span>
      <select id="toy-components">${options(range(COMPONENTS.range.min, COMPONENTS.range.max))}</select>
    </label>
    <label title="${HIDDEN.about}">
      <span>hidden units</span>
      <select id="toy-hidden">${options(HIDDEN_CHOICES)}</select>
    </label>
    <span id="toy-status" class="status" aria-live="off">starts when scrolled into view</span>
  </div>
  <div class="controls">${temperatureSliders('toy', 'toy')}
  </div>
  <fieldset class="controls layers">
    <legend>show</legend>
    ${LAYERS.map(
      ([name, label]) =>
        `<label${PANEL_LAYERS.includes(name) ? ' class="panel"' : ''}><input type="checkbox" id="toy-layer-${name}" /> <span class="swatch swatch-${name}"></span>${label}</label>`,
    ).join('')}
  </fieldset>
  <div class="controls" id="toy-draw-controls" hidden>
    <button id="toy-clear" type="button">Clear</button>
    <span id="toy-draw-hint" class="status"></span>
  </div>
  <div class="controls export">
    <button id="toy-save-model" type="button" disabled title="Both networks with their points, settings and optimiser state: load it here or in mdn toy --resume to go on training.">Save model</button>
    <label class="file-button">Load model…<input id="toy-model-file" type="file" accept=".mdn" /></label>
  </div>
  <p id="toy-message" class="message message-error" role="alert" hidden></p>
  <p id="toy-recovery" class="message message-notice" role="status" hidden></p>
  <div class="toy-plots">
    <div class="toy-column">
      <figure class="plot">
        <canvas id="toy-canvas" class="toy-canvas" tabindex="0" role="img"
          aria-label="The data, the density the MDN predicts, samples drawn from it and the least-squares fit; click or use the arrow keys to probe the density at one x"></canvas>
        <div id="toy-density-legend" class="heat-legend panel">
          <span class="legend-bar" style="background: ${PURPLES.css}"></span>
          <span class="legend-labels"><span id="toy-density-lo"></span><span id="toy-density-hi"></span></span>
          <span class="legend-caption">density: log <var>p</var>(<var>y</var> | <var>x</var>), clamped</span>
        </div>
      </figure>
      <figure class="plot panel">
        <figcaption>weights π<sub><var>k</var></sub>(<var>x</var>), one colour per component</figcaption>
        <canvas id="toy-pi" class="panel-canvas" role="img" aria-label="Mixture weights against x"></canvas>
      </figure>
      <figure class="plot panel">
        <figcaption>means μ<sub><var>k</var></sub>(<var>x</var>) ± σ<sub><var>k</var></sub>(<var>x</var>), as opaque as π<sub><var>k</var></sub>(<var>x</var>)</figcaption>
        <canvas id="toy-mu" class="panel-canvas panel-tall" role="img" aria-label="Component means with one standard deviation against x"></canvas>
      </figure>
    </div>
    <div class="toy-column">
      <figure class="plot panel">
        <figcaption id="toy-probe-caption">click, hover or use the arrow keys on the plot to see <var>p</var>(<var>y</var> | <var>x</var>₀)</figcaption>
        <canvas id="toy-probe" class="probe-canvas" role="img" aria-label="The conditional density at the probed x"></canvas>
      </figure>
      <figure class="plot">
        <figcaption>training NLL by step</figcaption>
        <canvas id="toy-nll" class="nll-canvas" role="img" aria-label="Training NLL against step"></canvas>
      </figure>
      <p class="plot-note">
        Each orange column is 10 draws of <var>y</var> from the mixture the MDN
        predicts at that <var>x</var>; the purple shade is that mixture's density.
        The blue curve is the least-squares network’s answer, the average of the
        branches, often where no data lie. The temperatures change only how
        samples are drawn, not the model.
      </p>
    </div>
  </div>`;

export function createToy(root, { host, send, progress }) {
  root.innerHTML = TEMPLATE;
  const $ = (id) => root.querySelector(`#${id}`);
  const main = $('toy-canvas');
  const piCanvas = $('toy-pi');
  const muCanvas = $('toy-mu');
  const probeCanvas = $('toy-probe');
  const nllCanvas = $('toy-nll');
  const status = $('toy-status');
  const message = $('toy-message');
  const recovery = $('toy-recovery');
  const drawControls = $('toy-draw-controls');
  const drawHint = $('toy-draw-hint');
  const probeCaption = $('toy-probe-caption');
  const densityLegend = $('toy-density-legend');
  const selects = { data: $('toy-data'), components: $('toy-components'), 'hidden-units': $('toy-hidden') };
  const showTau = bindTemperatureSliders(root, host, 'toy');

  const layers = Object.fromEntries(LAYERS.map(([name, , on]) => [name, on]));
  let data = null; // {x, y} of the running model
  let bounds = null; // the plot's rectangle
  let snapshot = null; // latest TOY_SNAPSHOT
  let density = null; // the heat map (densityImage) of `snapshot`, made when drawn
  let history = []; // [step, nll] pairs
  let stride = 1; // keep one snapshot in `stride` once thinned
  let seen = 0;
  // Snapshots of an old model can still be in flight after a restart:
  // ignore them until the worker confirms the new model with TOY_DATA.
  let pendingRestarts = 0;
  const dotCache = {}; // the data's dots, drawn once (toy-plots.js)
  let settings = readAll();
  const drawn = { x: [], y: [] };
  let stroke = null; // {pointerId, lastSent} while the reader draws
  let pinnedX = null; // the probe a click or the keys set
  let hoverX = null; // the probe under the pointer
  let sentProbe = null;

  function show(element, text) {
    element.textContent = text;
    element.hidden = !text;
  }

  // Every setting from the attributes, shown on the controls, with what
  // was wrong with a bad one.
  function readAll() {
    const { values, errors } = readSettings(host, 'toy');
    showTau(values);
    for (const [name, select] of Object.entries(selects)) {
      const value = String(values[name]);
      // A hidden-unit count between the offered ones is still a valid value.
      if (![...select.options].some((o) => o.value === value)) select.add(new Option(value, value));
      select.value = value;
    }
    show(message, errors.join(' '));
    return values;
  }

  const modelOptions = () => Object.fromEntries(OPTIONS.map((name) => [name, settings[name]]));
  const drawing = () => settings.data === 'draw';
  const panelsOn = () => settings.panels === 'on';
  const display = () => ({ tau: tauOf(settings), panels: panelsOn() });

  // Shows or hides everything that comes with the panels (the density's
  // legend only with its layer).
  function showPanels() {
    for (const element of root.querySelectorAll('.panel')) element.hidden = !panelsOn();
    densityLegend.hidden = !panelsOn() || !layers.density;
  }

  for (const [name, select] of Object.entries(selects)) {
    select.addEventListener('change', () => host.setAttribute(name, select.value));
  }
  for (const [name] of LAYERS) {
    const box = $(`toy-layer-${name}`);
    box.checked = layers[name];
    box.addEventListener('change', () => {
      layers[name] = box.checked;
      showPanels();
      progress({ layers: shownLayers() });
      scheduleDraw();
    });
  }
  const shownLayers = () =>
    LAYERS.filter(([name]) => layers[name])
      .map(([name]) => name)
      .join(' ');

  // Whether the worker has this toy (not after it was stopped by crashes).
  let inWorker = false;

  // A new model is on its way: snapshots of the old one are dropped until
  // its data arrive (setData), and the old one's step and NLL, which no
  // longer describe it, are cleared.
  function awaitNewModel() {
    pendingRestarts += 1;
    progress({ step: null, nll: null });
  }

  function restart(fields = {}) {
    if (!inWorker) {
      create();
      return;
    }
    awaitNewModel();
    status.textContent = 'restarting…';
    send({ type: P.TOY_RESTART, ...fields });
  }

  $('toy-restart').addEventListener('click', () => restart());
  // The data plot as drawn (at the screen's pixel density).
  $('toy-save').addEventListener('click', () => {
    savePng(main, `mdn-toy-${settings.data}-step${snapshot?.step ?? 0}.png`).catch((e) => show(message, e.message));
  });
  // Model files: the worker writes one (MODEL_FILE answers), or goes on
  // from one the reader chose (TOY_DATA with `resumed` answers, TOY_ERROR
  // refuses and the running model goes on).
  const saveModelButton = $('toy-save-model');
  const modelInput = $('toy-model-file');
  const modelFile = bindModelSave(saveModelButton, {
    request: () => send({ type: P.SAVE_MODEL }),
    fileName: () => {
      const set = settings.data;
      return ({ step }) => `mdn-toy-${set}-step${step}.mdn`;
    },
    onError: (text) => show(message, text),
    progress,
  });
  modelInput.addEventListener('change', async () => {
    const file = modelInput.files[0];
    modelInput.value = '';
    if (!file) return;
    if (!inWorker) create();
    let bytes;
    try {
      bytes = await file.arrayBuffer();
    } catch (e) {
      show(message, `Could not read “${file.name}”: ${e.message}`);
      return;
    }
    status.textContent = `loading ${file.name}…`;
    send({ type: P.LOAD_MODEL, bytes, name: file.name }, [bytes]);
  });

  $('toy-clear').addEventListener('click', () => {
    drawn.x = [];
    drawn.y = [];
    sendPoints();
  });

  for (const canvas of [main, piCanvas, muCanvas, probeCanvas, nllCanvas]) {
    new ResizeObserver(() => scheduleDraw()).observe(canvas);
  }

  // Each canvas is drawn at most once per animation frame however fast
  // snapshots arrive, in the page's one draw queue (draw-queue.js).
  function scheduleDraw() {
    const shown = () => (drawing() ? { x: drawn.x, y: drawn.y } : data);
    requestDraw(main, () => {
      // The heat map of the snapshot about to be drawn, made here rather
      // than when it arrives: on a slow phone snapshots come faster than
      // frames, and those never drawn cost nothing.
      if (snapshot && snapshot.log_density.length > 0 && density?.snapshot !== snapshot) {
        density = { ...densityImage(snapshot, density), snapshot };
        $('toy-density-lo').textContent = density.lo.toFixed(1);
        $('toy-density-hi').textContent = density.hi.toFixed(1);
      } else if (!snapshot || snapshot.log_density.length === 0) {
        density = null;
      }
      const panels = panelsOn();
      const probeX = panels ? (hoverX ?? pinnedX) : null;
      const visible = { ...layers, density: panels && layers.density, mode: panels && layers.mode };
      drawMain(main, { bounds, data: shown(), snapshot, density, layers: visible, probeX, cache: dotCache });
    });
    if (panelsOn()) {
      requestDraw(piCanvas, () => drawPi(piCanvas, bounds, snapshot));
      requestDraw(muCanvas, () => drawMu(muCanvas, bounds, snapshot));
      requestDraw(probeCanvas, () => drawProbe(probeCanvas, bounds, snapshot, shown()));
    }
    requestDraw(nllCanvas, () => drawNll(nllCanvas, history));
  }

  function resetModelState() {
    snapshot = null;
    density = null;
    history = [];
    stride = 1;
    seen = 0;
  }

  // The drawing mode's hint: how many points there are, and what to do.
  function updateDrawHint() {
    const n = drawn.x.length;
    const { min, max } = LIMITS.toyPoints;
    drawHint.textContent =
      n === 0
        ? 'Drag on the plot to spray points; the MDN trains on them as you draw.'
        : n < min
          ? `${n} points: draw at least ${min}.`
          : `${n} points${n >= max ? ' (the most there can be)' : ''}.`;
  }

  function sendPoints() {
    if (stroke) stroke.lastSent = performance.now();
    updateDrawHint();
    progress({ points: drawn.x.length });
    awaitNewModel();
    const x = Float32Array.from(drawn.x);
    const y = Float32Array.from(drawn.y);
    send({ type: P.TOY_POINTS, x, y, bounds: DRAW_BOUNDS }, [x.buffer, y.buffer]);
  }

  // The plot's x (and y) under a pointer event, data units.
  function pointerData(event) {
    const rect = main.getBoundingClientRect();
    const area = plotArea(rect.width, rect.height);
    const b = bounds;
    const u = (event.clientX - rect.left - area.left) / area.w;
    const v = (event.clientY - rect.top - area.top) / area.h;
    return { x: b.x0 + u * (b.x1 - b.x0), y: b.y1 - v * (b.y1 - b.y0), inside: u >= 0 && u <= 1 && v >= 0 && v <= 1 };
  }

  function spray(event) {
    const { max } = LIMITS.toyPoints;
    const b = DRAW_BOUNDS;
    // Every position the pointer passed since the last event: the browser
    // sends one pointermove per frame, and a finger moves far in one.
    for (const move of event.getCoalescedEvents?.() ?? [event]) {
      const at = pointerData(move);
      if (!at.inside) continue;
      for (let i = 0; i < SPRAY_POINTS && drawn.x.length < max; i++) {
        // Box–Muller: a Gaussian cloud around the pointer, kept on the canvas.
        const r = Math.sqrt(-2 * Math.log(1 - Math.random()));
        const t = 2 * Math.PI * Math.random();
        const x = at.x + SPRAY_SPREAD * (b.x1 - b.x0) * r * Math.cos(t);
        const y = at.y + SPRAY_SPREAD * (b.y1 - b.y0) * r * Math.sin(t);
        if (x < b.x0 || x > b.x1 || y < b.y0 || y > b.y1) continue;
        drawn.x.push(x);
        drawn.y.push(y);
      }
    }
    updateDrawHint();
    progress({ points: drawn.x.length });
    scheduleDraw();
  }

  // The probe: the pointer's x while it is over the plot, else the pinned
  // one; sent to the worker at most once per frame.
  let probeFrame = 0;
  function updateProbe() {
    const x = panelsOn() ? (hoverX ?? pinnedX) : null;
    progress({ probeX: x === null ? null : Number(x.toPrecision(6)) });
    scheduleDraw();
    if (probeFrame) return;
    probeFrame = requestAnimationFrame(() => {
      probeFrame = 0;
      const current = panelsOn() ? (hoverX ?? pinnedX) : null;
      if (current === sentProbe) return;
      sentProbe = current;
      send({ type: P.TOY_PROBE, x: current });
    });
  }

  main.addEventListener('pointerdown', (event) => {
    if (!bounds) return;
    if (drawing()) {
      main.setPointerCapture(event.pointerId);
      stroke = { pointerId: event.pointerId, lastSent: performance.now() };
      spray(event);
      event.preventDefault();
      return;
    }
    const at = pointerData(event);
    if (!at.inside) return;
    pinnedX = at.x;
    updateProbe();
  });
  main.addEventListener('pointermove', (event) => {
    if (!bounds) return;
    if (stroke && event.pointerId === stroke.pointerId) {
      spray(event);
      if (performance.now() - stroke.lastSent > SEND_EVERY_MS) sendPoints();
      return;
    }
    // Touch has no hover: a finger probes by tapping.
    if (event.pointerType === 'touch') return;
    const at = pointerData(event);
    hoverX = at.inside ? at.x : null;
    updateProbe();
  });
  const endStroke = (event) => {
    if (!stroke || event.pointerId !== stroke.pointerId) return;
    stroke = null;
    sendPoints();
  };
  main.addEventListener('pointerup', endStroke);
  main.addEventListener('pointercancel', endStroke);
  main.addEventListener('pointerleave', () => {
    if (hoverX === null) return;
    hoverX = null;
    updateProbe();
  });
  main.addEventListener('keydown', (event) => {
    if (!bounds) return;
    const span = bounds.x1 - bounds.x0;
    const step = (event.shiftKey ? 0.1 : 0.01) * span;
    const start = pinnedX ?? (bounds.x0 + bounds.x1) / 2;
    if (event.key === 'ArrowLeft') pinnedX = Math.max(bounds.x0, start - step);
    else if (event.key === 'ArrowRight') pinnedX = Math.min(bounds.x1, start + step);
    else if (event.key === 'Escape') pinnedX = null;
    else return;
    event.preventDefault();
    updateProbe();
  });
  // Drawing on a touch screen must not scroll the page.
  function setDrawing(on) {
    drawControls.hidden = !on;
    main.classList.toggle('drawing', on);
    if (on) updateDrawHint();
  }

  // The latest CHECKPOINT of the running model (on WebGPU), to go on from
  // after a GPU loss.
  let checkpoint = null;

  // Shows a loaded model's settings on the attributes and controls without
  // starting another model.
  let adopting = false;
  function adoptOptions(used) {
    adopting = true;
    for (const name of OPTIONS) {
      if (String(settings[name]) !== String(used[name])) host.setAttribute(name, String(used[name]));
    }
    adopting = false;
    settings = readAll();
    setDrawing(drawing());
  }

  function setData({ seed, x, y, bounds: b, options: o, model, resumed }) {
    // A model file the reader chose answers no restart: everything after
    // it is its own. A checkpoint answers the CREATE that brought it.
    if (resumed && !resumed.checkpoint) {
      adoptOptions(o);
      show(message, '');
    } else {
      pendingRestarts = Math.max(0, pendingRestarts - 1);
      if (pendingRestarts > 0) return;
    }
    const trained = x.length > 0;
    data = trained ? { x, y } : null;
    checkpoint = null;
    bounds = b || (drawing() ? DRAW_BOUNDS : bounds);
    if (pinnedX !== null && bounds && (pinnedX < bounds.x0 || pinnedX > bounds.x1)) {
      pinnedX = null;
      updateProbe();
    }
    resetModelState();
    saveModelButton.disabled = !trained;
    progress({
      seed,
      checkpointStep: null,
      step: trained ? (resumed?.step ?? 0) : null,
      nll: null,
      points: x.length,
      data: o?.data ?? settings.data,
      components: model?.components ?? null,
      hiddenUnits: model?.hidden ?? null,
    });
    status.textContent = resumed
      ? `going on from step ${resumed.step} of ${resumed.name}`
      : trained
        ? 'step 0'
        : 'no model yet: draw some points';
    scheduleDraw();
  }


  function setSnapshot(s) {
    if (pendingRestarts > 0 || !data) return;
    snapshot = s;
    // Without the panels, a snapshot has no density (and none is drawn).
    if (s.log_density.length > 0) {
      probeCaption.innerHTML = s.probe
        ? `<var>p</var>(<var>y</var> | <var>x</var>₀ = ${s.probe.x.toFixed(2)}) and its ${s.components} weighted components; ticks: data near <var>x</var>₀`
        : 'click, hover or use the arrow keys on the plot to see <var>p</var>(<var>y</var> | <var>x</var>₀)';
    }
    const finite = Number.isFinite(s.nll);
    // A non-finite NLL is reported in words, never drawn or published.
    progress(finite ? { step: s.step, nll: s.nll } : { step: s.step });
    status.textContent = `step ${s.step} · NLL ${formatNll(s.nll)}`;
    if (s.recovery) {
      show(recovery, s.recovery);
      progress({ recovery: s.recovery });
    }
    if (finite && seen++ % stride === 0) {
      history.push([s.step, s.nll]);
      if (history.length > MAX_HISTORY) {
        history = history.filter((_, i) => i % 2 === 0);
        stride *= 2;
      }
    }
    scheduleDraw();
  }

  setDrawing(drawing());
  showPanels();
  progress({ layers: shownLayers() });

  // Creates this toy in the worker, with its drawn points and its probe;
  // from `resumeFrom` (a checkpoint's {bytes, name}) when given and it loads.
  function create(resumeFrom = null) {
    inWorker = true;
    status.textContent = 'waiting for the model…';
    pendingRestarts = 1;
    const transfer = resumeFrom ? [resumeFrom.bytes.buffer] : [];
    send({ type: P.CREATE, kind: 'toy', ...display(), options: modelOptions(), checkpoint: resumeFrom }, transfer);
    if (drawing() && drawn.x.length > 0) sendPoints();
    sentProbe = null;
    updateProbe();
  }

  return {
    start: () => create(),

    // After a crash, in a new worker: a new model. After a GPU loss
    // (`fromCheckpoint`), the model goes on from its last checkpoint.
    restart(notice, { fromCheckpoint = false } = {}) {
      show(recovery, notice);
      const from = fromCheckpoint ? checkpoint : null;
      checkpoint = null;
      create(from && { bytes: from.bytes, name: 'its last checkpoint' });
    },

    // Stopped after crashes: the worker no longer has it.
    lost() {
      inWorker = false;
    },

    receive(msg) {
      if (msg.type === P.TOY_DATA) setData(msg);
      else if (msg.type === P.MODEL_FILE) modelFile(msg);
      else if (msg.type === P.CHECKPOINT) {
        checkpoint = msg;
        progress({ checkpointStep: msg.step });
      }
      else if (msg.type === P.TOY_SNAPSHOT) setSnapshot(msg);
      else if (msg.type === P.TOY_ERROR) {
        // Too few drawn points is what the hint says already.
        if (!(drawing() && drawn.x.length < LIMITS.toyPoints.min)) show(message, msg.message);
      }
    },

    settingChanged() {
      if (adopting) return;
      const before = modelOptions();
      settings = readAll();
      const after = modelOptions();
      send({ type: P.TOY_DISPLAY, ...display() });
      showPanels();
      updateProbe();
      if (OPTIONS.every((name) => before[name] === after[name])) return;
      setDrawing(drawing());
      if (drawing() && before.data !== 'draw') {
        bounds = DRAW_BOUNDS;
        data = null;
        resetModelState();
        scheduleDraw();
      }
      restart({ options: after });
    },

    fail(text) {
      status.textContent = `stopped: ${text}`;
    },
  };
}

function tauOf(values) {
  return { pi: values['tau-pi'], sigma: values['tau-sigma'] };
}

function formatNll(nll) {
  return Number.isFinite(nll) ? nll.toFixed(3) : 'not finite';
}
