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
import { readSettings, setting } from './attributes.js';
import { PURPLES } from './colour-ramp.js';
import { bindModelSave, savePng } from './export.js';
import { plotArea } from './plot.js';
import { linkPlots } from './plot-link.js';
import { PLOT } from './plot-protocol.js';
import { LIMITS, SETTINGS } from './settings.js';
import { bindTemperatureSliders, temperatureSliders } from './temperature-sliders.js';

const P = globalThis.MdnProtocol;

// Text that follows training is rewritten at most this often (setLiveText).
const LIVE_TEXT_MS = 250;

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
          <span class="legend-labels"><span id="toy-density-lo" class="live-text"></span><span id="toy-density-hi" class="live-text"></span></span>
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
  let step = 0; // the latest snapshot's step
  // Snapshots of an old model can still be in flight after a restart:
  // ignore them until the worker confirms the new model with TOY_DATA.
  let pendingRestarts = 0;
  let settings = readAll();
  const drawn = { x: [], y: [] };
  let stroke = null; // {pointerId, lastSent} while the reader draws
  let pinnedX = null; // the probe a click or the keys set
  let hoverX = null; // the probe under the pointer
  let sentProbe = null;

  // Text and markup set only when they change: every assignment, even of
  // the same text, replaces nodes and costs the next frame a layout and a
  // paint of the demo, and snapshots arrive many times a second.
  function setText(element, text) {
    if (element.textContent !== text) element.textContent = text;
  }

  // Text that follows training (the status line, the density legend) is
  // shown at most every LIVE_TEXT_MS, all of it at once: on a slow phone
  // that layout and paint made a third of a frame, and a reader cannot
  // follow faster numbers anyway.
  const pendingText = new Map();
  let textTimer = 0;
  let textShownAt = -Infinity;
  function setLiveText(element, text) {
    element.classList.add('live-text');
    pendingText.set(element, text);
    if (textTimer) return;
    textTimer = setTimeout(
      () => {
        textTimer = 0;
        textShownAt = performance.now();
        for (const [el, t] of pendingText) setText(el, t);
        pendingText.clear();
      },
      Math.max(0, textShownAt + LIVE_TEXT_MS - performance.now()),
    );
  }

  // The status line now, replacing any live text still waiting for it.
  function setStatus(text) {
    pendingText.delete(status);
    // Any message, long ones too, in a box that fits it.
    status.classList.remove('live-text');
    status.textContent = text;
  }
  const shownHtml = new WeakMap();
  function setHtml(element, html) {
    if (shownHtml.get(element) === html) return;
    shownHtml.set(element, html);
    element.innerHTML = html;
  }

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
      showDisplay();
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
    setStatus('restarting…');
    send({ type: P.TOY_RESTART, ...fields });
  }

  $('toy-restart').addEventListener('click', () => restart());
  // The data plot as drawn (at the screen's pixel density).
  $('toy-save').addEventListener('click', () => {
    savePng(main, `mdn-toy-${settings.data}-step${step}.png`).catch((e) => show(message, e.message));
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
    setStatus(`loading ${file.name}…`);
    send({ type: P.LOAD_MODEL, bytes, name: file.name }, [bytes]);
  });

  $('toy-clear').addEventListener('click', () => {
    drawn.x = [];
    drawn.y = [];
    showPoints();
    sendPoints();
  });

  // The plots, drawn where plot-link.js chose; they answer with the
  // density's range for its legend.
  const plots = linkPlots(
    { main, pi: piCanvas, mu: muCanvas, probe: probeCanvas, nll: nllCanvas },
    (answer) => {
      if (answer.type !== PLOT.LEGEND) return;
      setLiveText($('toy-density-lo'), answer.lo.toFixed(1));
      setLiveText($('toy-density-hi'), answer.hi.toFixed(1));
    },
  );

  // What the data plot shows: the reader's points while drawing, else the
  // model's data. The plots get a copy: the page keeps drawing into its own.
  function showPoints() {
    const points = drawing() ? drawn : data;
    plots.send({
      type: PLOT.POINTS,
      x: points ? Float32Array.from(points.x) : new Float32Array(0),
      y: points ? Float32Array.from(points.y) : new Float32Array(0),
    });
  }

  // Which layers and panels are shown, and the probe.
  function showDisplay() {
    plots.send({ type: PLOT.DISPLAY, layers: { ...layers }, panels: panelsOn(), probeX: hoverX ?? pinnedX });
  }

  // A new model (or none) on `bounds`: the old one's snapshot and NLL
  // curve go.
  function showModel() {
    plots.send({ type: PLOT.MODEL, bounds });
    showPoints();
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
    showPoints();
  }

  // The probe: the pointer's x while it is over the plot, else the pinned
  // one; sent to the worker at most once per frame.
  let probeFrame = 0;
  function updateProbe() {
    const x = panelsOn() ? (hoverX ?? pinnedX) : null;
    progress({ probeX: x === null ? null : Number(x.toPrecision(6)) });
    showDisplay();
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
    showModel();
    step = resumed?.step ?? 0;
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
    setStatus(
      resumed
        ? `going on from step ${resumed.step} of ${resumed.name}`
        : trained
          ? 'step 0'
          : 'no model yet: draw some points',
    );
  }

  function setSnapshot(s) {
    if (pendingRestarts > 0 || !data) return;
    step = s.step;
    // Without the panels, a snapshot has no density (and none is drawn).
    if (s.log_density.length > 0) {
      setHtml(
        probeCaption,
        s.probe
          ? `<var>p</var>(<var>y</var> | <var>x</var>₀ = ${s.probe.x.toFixed(2)}) and its ${s.components} weighted components; ticks: data near <var>x</var>₀`
          : 'click, hover or use the arrow keys on the plot to see <var>p</var>(<var>y</var> | <var>x</var>₀)',
      );
    }
    const finite = Number.isFinite(s.nll);
    // A non-finite NLL is reported in words, never drawn or published.
    progress(finite ? { step: s.step, nll: s.nll } : { step: s.step });
    setLiveText(status, `step ${s.step} · NLL ${formatNll(s.nll)}`);
    if (s.recovery) {
      show(recovery, s.recovery);
      progress({ recovery: s.recovery });
    }
    // Its arrays go to the plots, not copied: the page reads none of them.
    plots.send({ type: PLOT.SNAPSHOT, snapshot: s }, buffersOf(s));
  }

  setDrawing(drawing());
  showPanels();
  progress({ layers: shownLayers() });
  showDisplay();

  // Creates this toy in the worker, with its drawn points and its probe;
  // from `resumeFrom` (a checkpoint's {bytes, name}) when given and it loads.
  function create(resumeFrom = null) {
    inWorker = true;
    setStatus('waiting for the model…');
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
        showModel();
      }
      restart({ options: after });
    },

    fail(text) {
      setStatus(`stopped: ${text}`);
    },

    // The demo changed kind: this view and its plots go.
    dispose() {
      plots.close();
    },
  };
}

// The distinct buffers of a snapshot's arrays (a transfer list must not
// name one twice).
function buffersOf(snapshot) {
  const buffers = new Set();
  for (const value of [...Object.values(snapshot), ...Object.values(snapshot.probe ?? {})]) {
    if (ArrayBuffer.isView(value)) buffers.add(value.buffer);
  }
  return [...buffers];
}

function tauOf(values) {
  return { pi: values['tau-pi'], sigma: values['tau-sigma'] };
}

function formatNll(nll) {
  return Number.isFinite(nll) ? nll.toFixed(3) : 'not finite';
}
