// The toy's controls: its markup, the settings shown on its selects and
// sliders (the attributes stay their one source: a control only sets its
// attribute), the layers and panels shown, its buttons, and its lines of
// text (status, message, notice).

import { readSettings, setting } from './attributes.js';
import { PURPLES } from './colour-ramp.js';
import { savePng } from './export.js';
import { DESCRIPTION_MS, LiveText } from './live-text.js';
import { SETTINGS } from './settings.js';
import { bindTemperatureSliders, temperatureSliders } from './temperature-sliders.js';
import { renderView } from './view-markup.js';

// Text that follows training is rewritten at most this often (LiveText).
const LIVE_TEXT_MS = 250;

// The settings that start a new model (the others change what is shown).
export const OPTIONS = SETTINGS.toy.filter((s) => !s.display).map((s) => s.name);
const DATA = setting('toy', 'data');
const COMPONENTS = setting('toy', 'components');
const HIDDEN = setting('toy', 'hidden-units');

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
    <span id="toy-announce" class="visually-hidden" role="status"></span>
    <span id="toy-alert" class="visually-hidden" role="alert"></span>
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
          aria-label="The data, the density the MDN predicts, samples drawn from it and the least-squares fit; click or use the arrow keys to probe the density at one x"
          aria-describedby="toy-summary"></canvas>
        <div id="toy-density-legend" class="heat-legend panel">
          <span class="legend-bar" style="background: ${PURPLES.css}"></span>
          <span class="legend-labels"><span id="toy-density-lo" class="live-text"></span><span id="toy-density-hi" class="live-text"></span></span>
          <span class="legend-caption">density: log <var>p</var>(<var>y</var> | <var>x</var>), clamped</span>
        </div>
      </figure>
      <figure class="plot panel">
        <figcaption>weights π<sub><var>k</var></sub>(<var>x</var>), one colour per component</figcaption>
        <canvas id="toy-pi" class="panel-canvas" role="img" aria-label="Mixture weights against x"
          aria-describedby="toy-summary"></canvas>
      </figure>
      <figure class="plot panel">
        <figcaption>means μ<sub><var>k</var></sub>(<var>x</var>) ± σ<sub><var>k</var></sub>(<var>x</var>), as opaque as π<sub><var>k</var></sub>(<var>x</var>)</figcaption>
        <canvas id="toy-mu" class="panel-canvas panel-tall" role="img" aria-label="Component means with one standard deviation against x"
          aria-describedby="toy-summary"></canvas>
      </figure>
    </div>
    <div class="toy-column">
      <figure class="plot panel">
        <figcaption id="toy-probe-caption">click, hover or use the arrow keys on the plot to see <var>p</var>(<var>y</var> | <var>x</var>₀)</figcaption>
        <canvas id="toy-probe" class="probe-canvas" role="img" aria-label="The conditional density at the probed x"
          aria-describedby="toy-probe-caption"></canvas>
      </figure>
      <figure class="plot">
        <figcaption>training NLL by step</figcaption>
        <canvas id="toy-nll" class="nll-canvas" role="img" aria-label="Training NLL against step"
          aria-describedby="toy-summary"></canvas>
      </figure>
      <p class="plot-note">
        Each orange column is 10 draws of <var>y</var> from the mixture the MDN
        predicts at that <var>x</var>; the purple shade is that mixture's density.
        The blue curve is the least-squares network’s answer, the average of the
        branches, often where no data lie. The temperatures change only how
        samples are drawn, not the model.
      </p>
    </div>
  </div>
  <p id="toy-summary" hidden>Toy: starts when scrolled into view.</p>`;


export class ToyControls {
  // `onLayers()`: the reader showed or hid a layer.
  constructor(root, host, onLayers) {
    this.host = host;
    this.$ = renderView(root, TEMPLATE);
    this.root = root;
    this.status = this.$('toy-status');
    this.message = this.$('toy-message');
    this.recovery = this.$('toy-recovery');
    this.text = new LiveText(LIVE_TEXT_MS);
    this.described = new LiveText(DESCRIPTION_MS);
    this.selects = { data: this.$('toy-data'), components: this.$('toy-components'), 'hidden-units': this.$('toy-hidden') };
    this.showTau = bindTemperatureSliders(root, host, 'toy');
    this.layers = Object.fromEntries(LAYERS.map(([name, , on]) => [name, on]));
    this.settings = this.#readAll();
    for (const [name, select] of Object.entries(this.selects)) {
      select.addEventListener('change', () => host.setAttribute(name, select.value));
    }
    for (const [name] of LAYERS) {
      const box = this.$(`toy-layer-${name}`);
      box.checked = this.layers[name];
      box.addEventListener('change', () => {
        this.layers[name] = box.checked;
        this.showPanels();
        onLayers();
      });
    }
  }

  // Every setting from the attributes, shown on the controls, with what
  // was wrong with a bad one.
  #readAll() {
    const { values, errors } = readSettings(this.host, 'toy');
    this.showTau(values);
    for (const [name, select] of Object.entries(this.selects)) {
      const value = String(values[name]);
      // A hidden-unit count between the offered ones is still a valid value.
      if (![...select.options].some((o) => o.value === value)) select.add(new Option(value, value));
      select.value = value;
    }
    show(this.message, errors.join(' '));
    return values;
  }

  reread() {
    this.settings = this.#readAll();
  }

  modelOptions() {
    return Object.fromEntries(OPTIONS.map((name) => [name, this.settings[name]]));
  }

  drawing() {
    return this.settings.data === 'draw';
  }

  panelsOn() {
    return this.settings.panels === 'on';
  }

  display() {
    return { tau: { pi: this.settings['tau-pi'], sigma: this.settings['tau-sigma'] }, panels: this.panelsOn() };
  }

  shownLayers() {
    return LAYERS.filter(([name]) => this.layers[name])
      .map(([name]) => name)
      .join(' ');
  }

  // Shows or hides everything that comes with the panels (the density's
  // legend only with its layer).
  showPanels() {
    for (const element of this.root.querySelectorAll('.panel')) element.hidden = !this.panelsOn();
    this.$('toy-density-legend').hidden = !this.panelsOn() || !this.layers.density;
  }

  // The status line now, replacing any live text still waiting for it;
  // a screen reader hears it when it can (the step and NLL the line shows
  // between such changes, it does not).
  setStatus(text) {
    this.text.now(this.status, text);
    this.$('toy-announce').textContent = text;
    this.$('toy-alert').textContent = '';
  }

  // The toy stopped (it failed): the status line says why, and a screen
  // reader hears it at once.
  stopped(text) {
    this.text.now(this.status, `stopped: ${text}`);
    this.$('toy-alert').textContent = `The toy stopped: ${text}`;
  }

  // What the plots show now, in words: their text alternative, which
  // follows training calmly (DESCRIPTION_MS).
  describe(text) {
    this.described.live(this.$('toy-summary'), text);
  }

  showMessage(text) {
    show(this.message, text);
  }

  showRecovery(text) {
    show(this.recovery, text);
  }
}

function show(element, text) {
  element.textContent = text;
  element.hidden = !text;
}

// The toy's buttons: Restart, Save PNG, Clear, and its model files.
export function bindToyButtons({ controls, model, interaction, life }) {
  const { $ } = controls;
  $('toy-restart').addEventListener('click', () => model.restart());
  // The data plot as drawn (at the screen's pixel density).
  $('toy-save').addEventListener('click', () => {
    savePng($('toy-canvas'), `mdn-toy-${controls.settings.data}-step${model.step}.png`).catch((e) =>
      controls.showMessage(e.message),
    );
  });
  $('toy-clear').addEventListener('click', () => interaction.clear());
  life.bindModelSave($('toy-save-model'), {
    fileName: () => {
      const set = controls.settings.data;
      return ({ step }) => `mdn-toy-${set}-step${step}.mdn`;
    },
    onError: (text) => controls.showMessage(text),
  });
  const modelInput = $('toy-model-file');
  modelInput.addEventListener('change', async () => {
    const file = modelInput.files[0];
    modelInput.value = '';
    if (!file) return;
    life.ensureCreated();
    let bytes;
    try {
      bytes = await file.arrayBuffer();
    } catch (e) {
      controls.showMessage(`Could not read “${file.name}”: ${e.message}`);
      return;
    }
    controls.setStatus(`loading ${file.name}…`);
    life.loadModel(bytes, file.name);
  });
}

