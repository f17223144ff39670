// The painting's controls: its markup, the settings shown on its selects
// and sliders (the attributes stay their one source: a control only sets
// its attribute), and its lines of text: the message line, the notices and
// the status.

import { readSettings, setting } from './attributes.js';
import { DESCRIPTION_MS, LiveText } from './live-text.js';
import { DEFAULT_PICTURE, fileName } from './picture-input.js';
import { SETTINGS } from './settings.js';
import { bindTemperatureSliders, temperatureSliders } from './temperature-sliders.js';
import { renderView } from './view-markup.js';

// The options a painting is trained with (a change starts a new model), and
// those that change only what it shows: the core's settings table.
export const OPTIONS = SETTINGS.paint.filter((s) => !s.display).map((s) => s.name);
export const DISPLAY = SETTINGS.paint.filter((s) => s.display).map((s) => s.name);
const ENCODING = setting('paint', 'encoding');
const VIEW = setting('paint', 'view');
const COVARIANCE = setting('paint', 'covariance');
const COMPONENTS = setting('paint', 'components');

const choiceOptions = (s) => s.range.choices.map((c) => `<option value="${c.name}">${c.name}</option>`).join('');
const componentOptions = Array.from(
  { length: COMPONENTS.range.max - COMPONENTS.range.min + 1 },
  (_, i) => `<option value="${i + COMPONENTS.range.min}">${i + COMPONENTS.range.min}</option>`,
).join('');

// The longest each painting's caption can be (its picture's name as it is
// known), which its box keeps room for from the first frame (demo-style.js,
// .paintings figcaption): a caption that grew as the picture came in would
// move what follows the demo.
const TARGET_LONGEST = (name) => `original: ${name}, 1024 × 1024 px`;
const REPAINT_LONGEST = `uncertainty of the MDN (${describe({ encoding: 'fourier', components: 32, covariance: 'isotropic' })})`;

const TEMPLATE = `
  <div id="paint-drop" class="dropzone">
    <label class="file-button">
      Choose a picture…
      <input id="paint-file" type="file" accept="image/png,image/jpeg,image/webp,image/gif,image/bmp,image/tiff,.bmp,.tif,.tiff,.mdn" />
    </label>
    <span class="drop-hint"><span class="drop-only">or drop one here: </span>PNG, JPEG, WebP, GIF, BMP or TIFF, or a saved model (.mdn) to go on training</span>
  </div>
  <div class="controls">
    <label title="${ENCODING.about}">
      <span>encoding</span>
      <select id="paint-encoding">${choiceOptions(ENCODING)}</select>
    </label>
    <label title="${COVARIANCE.about}">
      <span>covariance</span>
      <select id="paint-covariance">${choiceOptions(COVARIANCE)}</select>
    </label>
    <label title="${COMPONENTS.about}">
      <span>components <var>K</var></span>
      <select id="paint-components">${componentOptions}</select>
    </label>
  </div>
  <div class="controls">
    <label title="${VIEW.about}">
      <span>show</span>
      <select id="paint-view">${choiceOptions(VIEW)}</select>
    </label>
    ${temperatureSliders('paint', 'paint', ' class="paint-tau" hidden')}
  </div>
  <p id="paint-message" class="message message-error" role="alert" hidden></p>
  <p id="paint-notice" class="message message-notice" role="status" hidden></p>
  <p id="paint-recovery" class="message message-notice" role="status" hidden></p>
  <div class="paintings">
    <figure>
      <canvas id="paint-target" class="painting" width="128" height="128" role="img"
        aria-labelledby="paint-target-caption"></canvas>
      <figcaption><span id="paint-target-caption">original</span></figcaption>
    </figure>
    <figure>
      <canvas id="paint-repaint" class="painting" width="128" height="128" role="img"
        aria-labelledby="paint-repaint-caption" aria-describedby="paint-summary"></canvas>
      <figcaption data-longest="${REPAINT_LONGEST}"><span id="paint-repaint-caption">repaint by the MDN</span></figcaption>
      <div id="paint-legend" class="heat-legend" hidden></div>
    </figure>
  </div>
  <p id="paint-status" class="status">starts when scrolled into view</p>
  <p id="paint-announce" class="visually-hidden" role="status"></p>
  <p id="paint-summary" hidden>Painting: starts when scrolled into view.</p>
  <div class="controls export">
    <button id="paint-save" type="button" disabled>Save PNG</button>
    <label>
      <span>size</span>
      <select id="paint-scale">${[1, 2, 4, 8].map((s) => `<option value="${s}">×${s}</option>`).join('')}</select>
    </label>
    <label>
      <span>upscaling</span>
      <select id="paint-smoothing"><option value="nearest">nearest</option><option value="bilinear">bilinear</option></select>
    </label>
    <button id="paint-record" type="button" disabled>Record video</button>
    <span id="paint-record-status" class="status"></span>
    <button id="paint-save-model" type="button" disabled title="The model being trained, with its picture, settings and optimiser state: load it here (choose or drop it like a picture) or in the mdn command line to go on training.">Save model</button>
  </div>
  <p id="paint-credit" class="credit unused">
    Default picture: Eileen Collins, NASA portrait, public domain (from
    scikit-image’s sample data).
  </p>`;

// The painting options the attributes ask for, with a message for each one
// that cannot be used (its default is used instead).
function readOptions(host) {
  const { values, errors } = readSettings(host, 'paint');
  const options = Object.fromEntries(OPTIONS.map((name) => [name, values[name]]));
  const view = { name: values.view, tauPi: values['tau-pi'], tauSigma: values['tau-sigma'] };
  return { options, view, errors };
}

function show(element, text) {
  element.textContent = text;
  element.hidden = !text;
}

export function describe(o) {
  return `${o.encoding} encoding, K = ${o.components}, ${o.covariance} covariance`;
}

export const sameOptions = (a, b) => a !== null && b !== null && OPTIONS.every((key) => a[key] === b[key]);

// The name of the picture `src` (relative to the page) will be, or the
// default picture's.
function sourceName(src) {
  if (!src) return DEFAULT_PICTURE.name;
  try {
    return fileName(new URL(src, document.baseURI));
  } catch {
    return src;
  }
}

export class PaintControls {
  options = null; // the painting options the attributes ask for
  view = null; // {name, tauPi, tauSigma}: what the repaint shows
  // What the message line says: bad settings (until fixed), a `src` that
  // failed (until another picture is chosen), the latest refusal or failure
  // (until the next painting starts).
  settingErrors = [];
  sourceError = '';
  lastError = '';

  constructor(root, host) {
    this.host = host;
    this.$ = renderView(root, TEMPLATE);
    this.roomForPicture(sourceName(host.getAttribute('src')));
    this.status = this.$('paint-status');
    this.described = new LiveText(DESCRIPTION_MS);
    this.selects = {
      encoding: this.$('paint-encoding'),
      covariance: this.$('paint-covariance'),
      components: this.$('paint-components'),
      view: this.$('paint-view'),
    };
    this.tauLabels = root.querySelectorAll('.paint-tau');
    this.showTau = bindTemperatureSliders(root, host, 'paint');
    this.readControls();
    // The attributes are the one source of the settings: the controls only set them.
    for (const [name, select] of Object.entries(this.selects)) {
      select.addEventListener('change', () => host.setAttribute(name, select.value));
    }
  }

  // Room in the original's caption for the picture `name`'s, from now.
  roomForPicture(name) {
    this.$('paint-target-caption').parentElement.dataset.longest = TARGET_LONGEST(name);
  }

  // Reads the option attributes into the controls.
  readControls() {
    const { options, view: shown, errors } = readOptions(this.host);
    this.settingErrors = errors;
    this.view = shown;
    this.selects.view.value = shown.name;
    this.showTau({ 'tau-pi': shown.tauPi, 'tau-sigma': shown.tauSigma });
    for (const label of this.tauLabels) label.hidden = shown.name !== 'sample';
    this.selects.encoding.value = options.encoding;
    this.selects.covariance.value = options.covariance;
    this.selects.components.value = String(options.components);
    this.options = options;
    this.showErrors();
  }

  showErrors() {
    const { settingErrors, sourceError, lastError } = this;
    show(this.$('paint-message'), [...settingErrors, sourceError, lastError].filter(Boolean).join(' '));
  }

  // The latest refusal or failure, on the message line.
  showError(text) {
    this.lastError = text;
    this.showErrors();
  }

  // A change of the painting's state, on the status line and said to a
  // screen reader when it can.
  setStatus(text) {
    this.status.textContent = text;
    this.announce(text);
  }

  // The latest epoch's figures on the status line: shown, not announced,
  // as they change with every epoch (the repaint's text alternative says
  // them calmly).
  showProgress(text) {
    this.status.textContent = text;
  }

  announce(text) {
    this.$('paint-announce').textContent = text;
  }

  // What the repaint shows now, in words: its text alternative, which
  // follows training calmly (DESCRIPTION_MS).
  describe(text) {
    this.described.live(this.$('paint-summary'), text);
  }

  showNotice(text) {
    show(this.$('paint-notice'), text);
  }

  showRecovery(text) {
    show(this.$('paint-recovery'), text);
  }
}

