// The painting demo's view inside an <mdn-demo kind="paint">: takes a
// picture (the `src` attribute, the default photo, the file picker or drag
// and drop), hands its bytes on untouched to the worker (where the wasm
// reads the header and refuses what it cannot take, so there is one source
// of truth for what is accepted, and the browser decodes the pixels:
// worker/picture.js), offers the model's settings, and shows the target
// beside the latest repaint.

import './protocol.js';
import { readSettings, setting } from './attributes.js';
import { legendHtml, viewPixels } from './paint-views.js';
import { bindTemperatureSliders, temperatureSliders } from './temperature-sliders.js';
import { DEFAULT_PICTURE, acceptFiles, fetchPicture, isModelFile } from './picture-input.js';
import { SETTINGS } from './settings.js';
import { bindModelSave, recordingUnsupported, savePng, startRecording, download } from './export.js';

const P = globalThis.MdnProtocol;

// The options a painting is trained with (a change starts a new model), and
// those that change only what it shows: the core's settings table.
const OPTIONS = SETTINGS.paint.filter((s) => !s.display).map((s) => s.name);
const DISPLAY = SETTINGS.paint.filter((s) => s.display).map((s) => s.name);
const ENCODING = setting('paint', 'encoding');
const VIEW = setting('paint', 'view');
const COVARIANCE = setting('paint', 'covariance');
const COMPONENTS = setting('paint', 'components');

const choiceOptions = (s) => s.range.choices.map((c) => `<option value="${c.name}">${c.name}</option>`).join('');
const componentOptions = Array.from(
  { length: COMPONENTS.range.max - COMPONENTS.range.min + 1 },
  (_, i) => `<option value="${i + COMPONENTS.range.min}">${i + COMPONENTS.range.min}</option>`,
).join('');

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
      <canvas id="paint-target" class="painting" width="128" height="128"></canvas>
      <figcaption id="paint-target-caption">original</figcaption>
    </figure>
    <figure>
      <canvas id="paint-repaint" class="painting" width="128" height="128"></canvas>
      <figcaption id="paint-repaint-caption">repaint by the MDN</figcaption>
      <div id="paint-legend" class="heat-legend" hidden></div>
    </figure>
  </div>
  <p id="paint-status" class="status">starts when scrolled into view</p>
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
    <span id="paint-record-status" class="status" aria-live="polite"></span>
    <button id="paint-save-model" type="button" disabled title="The model being trained, with its picture, settings and optimiser state: load it here (choose or drop it like a picture) or in the mdn command line to go on training.">Save model</button>
  </div>
  <p id="paint-credit" class="credit" hidden>
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

function putPixels(canvas, rgba, width, height) {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  canvas.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
}

function describe(o) {
  return `${o.encoding} encoding, K = ${o.components}, ${o.covariance} covariance`;
}

const sameOptions = (a, b) => a !== null && b !== null && OPTIONS.every((key) => a[key] === b[key]);

export function createPaint(root, { host, send, progress }) {
  root.innerHTML = TEMPLATE;
  const input = root.querySelector('#paint-file');
  const dropzone = root.querySelector('#paint-drop');
  const encodingSelect = root.querySelector('#paint-encoding');
  const covarianceSelect = root.querySelector('#paint-covariance');
  const componentsSelect = root.querySelector('#paint-components');
  const message = root.querySelector('#paint-message');
  const notice = root.querySelector('#paint-notice');
  const recovery = root.querySelector('#paint-recovery');
  const status = root.querySelector('#paint-status');
  const credit = root.querySelector('#paint-credit');
  const targetCanvas = root.querySelector('#paint-target');
  const targetCaption = root.querySelector('#paint-target-caption');
  const repaintCaption = root.querySelector('#paint-repaint-caption');
  const repaintCanvas = root.querySelector('#paint-repaint');
  const viewSelect = root.querySelector('#paint-view');
  const legend = root.querySelector('#paint-legend');
  const tauLabels = root.querySelectorAll('.paint-tau');
  const showTau = bindTemperatureSliders(root, host, 'paint');
  let lastRepaint = null; // the latest PAINT_EPOCH message of the running painting
  const saveButton = root.querySelector('#paint-save');
  const scaleSelect = root.querySelector('#paint-scale');
  const smoothingSelect = root.querySelector('#paint-smoothing');
  const recordButton = root.querySelector('#paint-record');
  const recordStatus = root.querySelector('#paint-record-status');
  const saveModelButton = root.querySelector('#paint-save-model');
  let recording = null; // {video (startRecording's), name} while recording
  const cannotRecord = recordingUnsupported();
  if (cannotRecord) {
    recordButton.title = `Recording needs WebCodecs: ${cannotRecord}.`;
    recordStatus.textContent = `No video: ${cannotRecord}.`;
  }

  // The file name of what is saved: the picture's name, the view, the epoch.
  const baseName = () =>
    `${(running?.name || 'painting').replace(/\.[^.]*$/, '')}-${view.name}-epoch${lastRepaint?.epoch ?? 0}`;

  saveButton.addEventListener('click', () => {
    const scale = Number(scaleSelect.value);
    savePng(repaintCanvas, `${baseName()}${scale > 1 ? `-x${scale}` : ''}.png`, {
      scale,
      smoothing: smoothingSelect.value,
    }).catch((e) => {
      lastError = `Could not save the PNG: ${e.message}`;
      showErrors();
    });
  });

  // The model file's name: the picture's (without an earlier file's
  // epoch) and the epoch it was saved at.
  const modelName = (picture, epoch) =>
    `${picture.replace(/\.[^.]*$/, '').replace(/-epoch\d+$/, '')}-epoch${epoch}.mdn`;

  const modelFile = bindModelSave(saveModelButton, {
    request: () => send({ type: P.SAVE_MODEL }),
    fileName: () => {
      const picture = running?.name || 'painting';
      return ({ epoch }) => modelName(picture, epoch);
    },
    onError(text) {
      lastError = text;
      showErrors();
    },
    progress,
  });

  async function stopRecording() {
    const { video, name } = recording;
    recording = null;
    recordButton.textContent = 'Record video';
    recordStatus.textContent = `saving ${video.frames} frames…`;
    try {
      const [blob, extension] = await Promise.all([video.stop(), video.ready]);
      download(blob, `${name}.${extension}`);
      recordStatus.textContent = `saved ${name}.${extension}: ${video.frames} frames`;
    } catch (e) {
      recordStatus.textContent = `No video: ${e.message}.`;
    }
    progress({ recording: null, recordedFrames: video.frames });
  }

  recordButton.addEventListener('click', () => {
    if (recording) {
      stopRecording();
      return;
    }
    if (!running) return;
    const video = startRecording(running.width, running.height);
    recording = { video, name: `${baseName()}` };
    recordButton.textContent = 'Stop and save video';
    recordStatus.textContent = 'recording: one frame per epoch';
    progress({ recording: 'on', recordedFrames: 0 });
    // No encoder for any format: said now, not after a recording's worth
    // of epochs.
    video.ready.catch((e) => {
      if (recording?.video !== video) return;
      recording = null;
      recordButton.textContent = 'Record video';
      recordStatus.textContent = `No video: ${e.message}.`;
      progress({ recording: null, recordedFrames: 0 });
    });
  });

  let started = false;
  let running = null; // {name, width, height, options} of the running painting
  let requested = null; // the options last sent to the worker
  let pendingImage = null; // name of a picture on its way to the worker
  // What the message line says: bad settings (until fixed), a `src` that
  // failed (until another picture is chosen), the latest refusal or failure
  // (until the next painting starts).
  let settingErrors = [];
  let sourceError = '';
  let lastError = '';

  function showErrors() {
    show(message, [...settingErrors, sourceError, lastError].filter(Boolean).join(' '));
  }

  // Reads the option attributes into the controls; returns the options.
  function readControls() {
    const { options, view: shown, errors } = readOptions(host);
    settingErrors = errors;
    view = shown;
    viewSelect.value = shown.name;
    showTau({ 'tau-pi': shown.tauPi, 'tau-sigma': shown.tauSigma });
    for (const label of tauLabels) label.hidden = shown.name !== 'sample';
    encodingSelect.value = options.encoding;
    covarianceSelect.value = options.covariance;
    componentsSelect.value = String(options.components);
    showErrors();
    return options;
  }
  let view = null; // {name, tauPi, tauSigma}: what the repaint shows
  let options = readControls();

  // The attributes are the one source of the settings: the controls only set them.
  encodingSelect.addEventListener('change', () => host.setAttribute('encoding', encodingSelect.value));
  viewSelect.addEventListener('change', () => host.setAttribute('view', viewSelect.value));
  covarianceSelect.addEventListener('change', () => host.setAttribute('covariance', covarianceSelect.value));
  componentsSelect.addEventListener('change', () => host.setAttribute('components', componentsSelect.value));

  let restartNotice = ''; // said when the painting starts again after a crash
  let inWorker = false; // whether the worker has this painting

  function create() {
    inWorker = true;
    send({ type: P.CREATE, kind: 'paint', options, view });
  }
  let sentPicture = null; // {bytes (a copy), name, model, checkpoint} of the last file sent
  let runningPicture = null; // the one the running painting paints
  let loadedFrom = null; // the model file the running painting's picture came from

  // A picture, or with `model` a model file, to go on from (`checkpoint`:
  // the running painting's own, after a GPU loss).
  function sendImage(bytes, name, model = false, checkpoint = false) {
    // Stopped after crashes, the worker no longer has this painting.
    if (!inWorker) create();
    // A copy stays here, to start the painting again after a crash.
    sentPicture = { bytes: bytes.slice(0), name, model, checkpoint };
    pendingImage = name;
    status.textContent = `loading ${name}…`;
    if (model) {
      send({ type: P.LOAD_MODEL, bytes, name }, [bytes]);
    } else {
      requested = options;
      send({ type: P.PAINT_IMAGE, bytes, name, options }, [bytes]);
    }
  }

  // The `src` attribute's picture, or the default one; a `src` that cannot
  // be fetched is reported and the default picture painted instead.
  async function loadSource() {
    const src = host.getAttribute('src');
    let picture = null;
    sourceError = '';
    if (src) {
      try {
        picture = await fetchPicture(new URL(src, document.baseURI));
      } catch (e) {
        sourceError = `Could not load the picture “${src}” (${e.message}); painting the default picture instead.`;
      }
    }
    try {
      picture ??= await fetchPicture(DEFAULT_PICTURE.url, DEFAULT_PICTURE.name);
    } catch (e) {
      sourceError += ` The default picture could not be loaded (${e.message}): choose one.`;
      status.textContent = 'no picture yet: choose one';
    }
    showErrors();
    if (picture) sendImage(picture.bytes, picture.name);
  }

  acceptFiles({
    root,
    input,
    dropzone,
    onPicture({ bytes, name }) {
      // Before the demo has started (scrolled into view) there is no worker
      // to send it to: the picture waits in the file input's place.
      if (started) sendImage(bytes, name, isModelFile(bytes, name));
      else status.textContent = 'the demo starts when scrolled into view';
    },
    onError(text) {
      lastError = text;
      showErrors();
    },
  });

  // Shows `used` (the running painting's options) on the attributes and
  // controls without starting another painting.
  function adoptOptions(used) {
    requested = used;
    adopting = true;
    for (const key of OPTIONS) {
      if (String(options[key]) !== String(used[key])) host.setAttribute(key, String(used[key]));
    }
    adopting = false;
    options = readControls();
  }
  let adopting = false;
  // The latest CHECKPOINT of the running painting (on WebGPU), to go on
  // from after a GPU loss.
  let checkpoint = null;

  function paintStart({ name, model, width, height, options: used, notice: text, target, resumed }) {
    // `name` is the picture's; the file sent was the model file `model`,
    // if one was.
    const sent = model ?? name;
    if (pendingImage === sent) pendingImage = null;
    if (sentPicture?.name === sent) {
      runningPicture = sentPicture;
      if (!sentPicture.checkpoint) loadedFrom = sentPicture.model ? sentPicture.name : null;
    }
    // A video is of one painting: a new one ends it.
    if (recording) stopRecording();
    recordButton.disabled = Boolean(cannotRecord);
    saveButton.disabled = true;
    saveModelButton.disabled = false;
    running = { name, width, height, options: used };
    checkpoint = null;
    // A model file brings its own options.
    if (resumed) adoptOptions(used);
    lastRepaint = null;
    legend.hidden = true;
    putPixels(targetCanvas, target, width, height);
    // Until the first epoch ends there is no repaint: show a blank canvas
    // of the right shape rather than the previous picture's repaint.
    repaintCanvas.width = width;
    repaintCanvas.height = height;
    targetCaption.textContent = `original: ${name}, ${width} × ${height} px`;
    repaintCaption.textContent = `${view.name} of the MDN (${describe(used)})`;
    credit.hidden = name !== DEFAULT_PICTURE.name;
    if (name !== DEFAULT_PICTURE.name) sourceError = '';
    progress({
      image: name,
      model: loadedFrom,
      encoding: used.encoding,
      covariance: used.covariance,
      components: used.components,
      epoch: resumed ? resumed.epoch : 0,
      checkpointEpoch: null,
      nll: null,
      psnr: null,
      psnrMean: null,
      recovery: null,
    });
    lastError = '';
    showErrors();
    show(notice, text || '');
    show(recovery, restartNotice);
    restartNotice = '';
    status.textContent = resumed
      ? `going on from epoch ${resumed.epoch} of ${name}…`
      : 'training the first epoch…';
  }

  // Draws the latest repaint as the current view shows it (a view the
  // repaint was not made for appears with the next epoch).
  function drawRepaint() {
    if (!running || !lastRepaint) return;
    const pixels = viewPixels(lastRepaint, view.name);
    legend.hidden = view.name !== 'uncertainty' || !pixels;
    if (!pixels) {
      status.textContent = `epoch ${lastRepaint.epoch} · the ${view.name} view appears after the next epoch…`;
      return;
    }
    putPixels(repaintCanvas, pixels.rgba, running.width, running.height);
    saveButton.disabled = false;
    if (view.name === 'uncertainty') legend.innerHTML = legendHtml(pixels.max);
    const fmt = (v, digits) => (Number.isFinite(v) ? v.toFixed(digits) : 'not finite');
    const { epoch, nll, psnr, psnr_mean, psnr_view } = lastRepaint;
    const shown = { mode: psnr, mean: psnr_mean, sample: psnr_view }[view.name];
    const quality = shown === undefined ? `PSNR ${fmt(psnr, 2)} dB (mode)` : `PSNR ${fmt(shown, 2)} dB`;
    status.textContent = `epoch ${epoch} · NLL ${fmt(nll, 3)} · ${quality}`;
    repaintCaption.textContent = `${view.name} of the MDN (${describe(running.options)})`;
  }

  function paintEpoch(msg) {
    if (!running) return;
    lastRepaint = msg;
    // Non-finite figures are said in words, never published as numbers.
    const finite = (v) => (Number.isFinite(v) ? v : null);
    progress({ epoch: msg.epoch, nll: finite(msg.nll), psnr: finite(msg.psnr), psnrMean: finite(msg.psnr_mean) });
    drawRepaint();
    if (recording) {
      const psnr = Number.isFinite(msg.psnr) ? `${msg.psnr.toFixed(2)} dB` : 'not finite';
      recording.video.frame(repaintCanvas, `epoch ${msg.epoch} · PSNR ${psnr} (mode) · ${view.name}`);
      recordStatus.textContent = `recording: ${recording.video.frames} frames`;
      progress({ recordedFrames: recording.video.frames });
    }
    if (msg.recovery) {
      show(recovery, msg.recovery);
      progress({ recovery: msg.recovery });
    }
  }

  // The worker refused a picture or a set of options: the running painting
  // (if any) goes on, and the settings return to its own.
  function paintError({ what, message: text }) {
    if (pendingImage && what === `“${pendingImage}”`) pendingImage = null;
    if (running) {
      adoptOptions(running.options);
      status.textContent = `still painting ${running.name} (epoch ${host.dataset.epoch || 0})…`;
    } else if (!pendingImage) {
      status.textContent = 'no picture yet: choose one';
    }
    lastError = `Could not use ${what}: ${text}`;
    showErrors();
  }

  return {
    start() {
      started = true;
      status.textContent = 'waiting for the model…';
      create();
      loadSource();
    },

    // After a crash, in a new worker: the same picture (or the one on its
    // way) painted again from the start. After a GPU loss
    // (`fromCheckpoint`), the painting goes on from its last checkpoint.
    restart(notice, { fromCheckpoint = false } = {}) {
      if (recording) stopRecording();
      restartNotice = notice;
      show(recovery, notice);
      status.textContent = 'starting again…';
      create();
      if (fromCheckpoint && checkpoint && running) {
        // A model file like any other, which names its picture.
        sendImage(checkpoint.bytes.buffer, running.name, true, true);
        checkpoint = null;
        return;
      }
      const picture = runningPicture ?? sentPicture;
      if (picture) sendImage(picture.bytes.slice(0), picture.name, picture.model);
      else loadSource();
    },

    receive(msg) {
      if (msg.type === P.PAINT_START) paintStart(msg);
      else if (msg.type === P.PAINT_EPOCH) paintEpoch(msg);
      else if (msg.type === P.PAINT_ERROR) paintError(msg);
      else if (msg.type === P.MODEL_FILE) modelFile(msg);
      else if (msg.type === P.CHECKPOINT) {
        checkpoint = msg;
        progress({ checkpointEpoch: msg.epoch });
      }
    },

    settingChanged(name) {
      if (adopting) return;
      options = readControls();
      if (!started) return;
      if (DISPLAY.includes(name)) {
        send({ type: P.PAINT_VIEW, view });
        drawRepaint();
      } else if (name === 'src') {
        loadSource();
      } else if (!sameOptions(options, requested)) {
        // The worker restarts the painting on its picture (or keeps the
        // options for the picture still on its way).
        requested = options;
        status.textContent = `restarting with ${describe(options)}…`;
        send({ type: P.PAINT_OPTIONS, options });
      }
    },

    lost() {
      inWorker = false;
    },

    fail(text) {
      lastError = `The painting stopped: ${text}`;
      showErrors();
      status.textContent = 'stopped';
    },
  };
}
