// The painting demo's view inside an <mdn-demo kind="paint">: takes a
// picture (the `src` attribute, the default photo, the file picker or drag
// and drop), hands its bytes on untouched (the wasm decodes and validates
// them, so there is one source of truth for what is accepted), offers the
// covariance and K settings, and shows the target beside the latest repaint.

// Reading a huge file into memory just to have the wasm reject it would be
// wasteful; anything this big cannot be a picture we would paint anyway.
const MAX_FILE_BYTES = 64 * 1024 * 1024;

const DEFAULT_PICTURE = {
  url: new URL('./assets/astronaut.jpg', import.meta.url),
  name: 'astronaut.jpg',
};

// Attribute spellings of each covariance kind (the wasm's own names first).
const COVARIANCES = {
  isotropic: 'isotropic',
  iso: 'isotropic',
  diagonal: 'diagonal',
  diag: 'diagonal',
  full: 'full',
};
const DEFAULTS = { size: 128, covariance: 'diagonal', components: 8 };
const LIMITS = { components: [1, 32], size: [8, 1024] };

const componentOptions = Array.from(
  { length: LIMITS.components[1] },
  (_, i) => `<option value="${i + 1}">${i + 1}</option>`,
).join('');

const TEMPLATE = `
  <div id="paint-drop" class="dropzone">
    <label class="file-button">
      Choose a picture…
      <input id="paint-file" type="file" accept="image/png,image/jpeg,image/webp,image/gif" />
    </label>
    <span class="drop-hint">or drop one here</span>
  </div>
  <div class="controls">
    <label title="The shape of each Gaussian over (R, G, B): one width for all three (isotropic), one per channel (diagonal), or a full 3 × 3 covariance.">
      <span>covariance</span>
      <select id="paint-covariance">
        <option value="isotropic">isotropic</option>
        <option value="diagonal">diagonal</option>
        <option value="full">full</option>
      </select>
    </label>
    <label title="The number of Gaussians in each pixel's mixture.">
      <span>components <var>K</var></span>
      <select id="paint-components">${componentOptions}</select>
    </label>
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
    </figure>
  </div>
  <p id="paint-status" class="status">starts when scrolled into view</p>
  <p id="paint-credit" class="credit" hidden>
    Default picture: Eileen Collins, NASA portrait, public domain (from
    scikit-image’s sample data).
  </p>`;

function integerIn(raw, [lo, hi]) {
  const value = Number(raw);
  return Number.isInteger(value) && value >= lo && value <= hi ? value : null;
}

// The painting options the attributes ask for, with a message for each one
// that cannot be used (its default is used instead).
function readOptions(host) {
  const errors = [];
  const options = { ...DEFAULTS };
  const covariance = host.getAttribute('covariance');
  if (covariance !== null) {
    const kind = COVARIANCES[covariance.trim().toLowerCase()];
    if (kind) options.covariance = kind;
    else errors.push(`covariance="${covariance}" is not isotropic, diagonal or full; using ${DEFAULTS.covariance}.`);
  }
  for (const name of ['components', 'size']) {
    const raw = host.getAttribute(name);
    if (raw === null) continue;
    const value = integerIn(raw, LIMITS[name]);
    const [lo, hi] = LIMITS[name];
    if (value !== null) options[name] = value;
    else errors.push(`${name}="${raw}" is not a whole number from ${lo} to ${hi}; using ${DEFAULTS[name]}.`);
  }
  return { options, errors };
}

const sameOptions = (a, b) =>
  a !== null && b !== null && Object.keys(DEFAULTS).every((key) => a[key] === b[key]);

function fileName(url) {
  const last = url.pathname.split('/').filter(Boolean).pop();
  try {
    return decodeURIComponent(last || url.hostname);
  } catch {
    return last;
  }
}

export function createPaint(root, { host, send, progress }) {
  root.innerHTML = TEMPLATE;
  const input = root.querySelector('#paint-file');
  const dropzone = root.querySelector('#paint-drop');
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

  function show(element, text) {
    element.textContent = text;
    element.hidden = !text;
  }

  function showErrors() {
    show(message, [...settingErrors, sourceError, lastError].filter(Boolean).join(' '));
  }

  // Reads the option attributes into the controls; returns the options.
  function readSettings() {
    const { options, errors } = readOptions(host);
    settingErrors = errors;
    covarianceSelect.value = options.covariance;
    componentsSelect.value = String(options.components);
    showErrors();
    return options;
  }
  let options = readSettings();

  // The attributes are the one source of the settings: the controls only set them.
  covarianceSelect.addEventListener('change', () => host.setAttribute('covariance', covarianceSelect.value));
  componentsSelect.addEventListener('change', () => host.setAttribute('components', componentsSelect.value));

  function sendImage(bytes, name) {
    pendingImage = name;
    requested = options;
    status.textContent = `loading ${name}…`;
    send({ type: 'paint-image', bytes, name, options }, [bytes]);
  }

  async function fetchPicture(url, name) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return { bytes: await response.arrayBuffer(), name };
  }

  // The `src` attribute's picture, or the default one; a `src` that cannot
  // be fetched is reported and the default picture painted instead.
  async function loadSource() {
    const src = host.getAttribute('src');
    let picture = null;
    sourceError = '';
    if (src) {
      try {
        const url = new URL(src, document.baseURI);
        picture = await fetchPicture(url, fileName(url));
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

  async function submit(file) {
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      lastError = `Could not use “${file.name}”: the file is larger than 64 MB.`;
      showErrors();
      return;
    }
    let bytes;
    try {
      bytes = await file.arrayBuffer();
    } catch (e) {
      lastError = `Could not read “${file.name}”: ${e.message}`;
      showErrors();
      return;
    }
    // Before the demo has started (scrolled into view) there is no worker
    // to send it to: the picture waits in the file input's place.
    if (started) sendImage(bytes, file.name);
    else status.textContent = 'the demo starts when scrolled into view';
  }

  input.addEventListener('change', () => {
    submit(input.files[0]);
    // Lets the same file be chosen again (e.g. after fixing it).
    input.value = '';
  });

  // Dropping anywhere on the demo counts.
  let dragDepth = 0;
  root.addEventListener('dragenter', (e) => {
    e.preventDefault();
    dragDepth += 1;
    dropzone.classList.add('dragging');
  });
  root.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) dropzone.classList.remove('dragging');
  });
  root.addEventListener('dragover', (e) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  root.addEventListener('drop', (e) => {
    e.preventDefault();
    dragDepth = 0;
    dropzone.classList.remove('dragging');
    submit(e.dataTransfer.files[0]);
  });

  function putPixels(canvas, rgba, width, height) {
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    canvas.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
  }

  function describe(o) {
    return `K = ${o.components}, ${o.covariance} covariance`;
  }

  function paintStart({ name, width, height, options: used, notice: text, target }) {
    if (pendingImage === name) pendingImage = null;
    running = { name, width, height, options: used };
    putPixels(targetCanvas, target, width, height);
    // Until the first epoch ends there is no repaint: show a blank canvas
    // of the right shape rather than the previous picture's repaint.
    repaintCanvas.width = width;
    repaintCanvas.height = height;
    targetCaption.textContent = `original: ${name}, ${width} × ${height} px`;
    repaintCaption.textContent = `repaint by the MDN (${describe(used)})`;
    credit.hidden = name !== DEFAULT_PICTURE.name;
    if (name !== DEFAULT_PICTURE.name) sourceError = '';
    progress({
      image: name,
      covariance: used.covariance,
      components: used.components,
      epoch: 0,
      nll: null,
      psnr: null,
      recovery: null,
    });
    lastError = '';
    showErrors();
    show(notice, text || '');
    show(recovery, '');
    status.textContent = 'training the first epoch…';
  }

  function paintEpoch({ epoch, nll, psnr, rgba, recovery: recovered }) {
    if (!running) return;
    putPixels(repaintCanvas, rgba, running.width, running.height);
    // Non-finite figures are said in words, never published as numbers.
    const finite = (v) => (Number.isFinite(v) ? v : null);
    progress({ epoch, nll: finite(nll), psnr: finite(psnr) });
    const fmt = (v, digits) => (Number.isFinite(v) ? v.toFixed(digits) : 'not finite');
    status.textContent = `epoch ${epoch} · NLL ${fmt(nll, 3)} · PSNR ${fmt(psnr, 2)} dB`;
    if (recovered) {
      show(recovery, recovered);
      progress({ recovery: recovered });
    }
  }

  // The worker refused a picture or a set of options: the running painting
  // (if any) goes on, and the settings return to its own.
  function paintError({ what, message: text }) {
    if (pendingImage && what === `“${pendingImage}”`) pendingImage = null;
    if (running) {
      requested = running.options;
      for (const key of Object.keys(DEFAULTS)) {
        if (options[key] !== running.options[key]) host.setAttribute(key, String(running.options[key]));
      }
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
      send({ type: 'create', kind: 'paint', options });
      loadSource();
    },

    receive(msg) {
      if (msg.type === 'paint-start') paintStart(msg);
      else if (msg.type === 'paint-epoch') paintEpoch(msg);
      else if (msg.type === 'paint-error') paintError(msg);
    },

    settingChanged(name) {
      options = readSettings();
      if (!started) return;
      if (name === 'src') {
        loadSource();
      } else if (!sameOptions(options, requested)) {
        // The worker restarts the painting on its picture (or keeps the
        // options for the picture still on its way).
        requested = options;
        status.textContent = `restarting with ${describe(options)}…`;
        send({ type: 'paint-options', options });
      }
    },

    fail(text) {
      lastError = `The painting stopped: ${text}`;
      showErrors();
      status.textContent = 'stopped';
    },
  };
}
