// The painting demo's view: picks up pictures (file picker or drag and
// drop), hands their bytes on untouched (the wasm decodes and validates them,
// so there is one source of truth for what is accepted), and shows the target
// beside the latest repaint.

// Reading a huge file into memory just to have the wasm reject it would be
// wasteful; anything this big cannot be a picture we would paint anyway.
const MAX_FILE_BYTES = 64 * 1024 * 1024;

export function createPaint(root, { onImage }) {
  const input = root.querySelector('#paint-file');
  const dropzone = root.querySelector('#paint-drop');
  const message = root.querySelector('#paint-message');
  const notice = root.querySelector('#paint-notice');
  const status = root.querySelector('#paint-status');
  const targetCanvas = root.querySelector('#paint-target');
  const targetCaption = root.querySelector('#paint-target-caption');
  const repaintCanvas = root.querySelector('#paint-repaint');

  let size = null; // {width, height} of the running painting
  let pendingUpload = null;

  function show(element, text) {
    element.textContent = text;
    element.hidden = !text;
  }

  async function submit(file) {
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      show(message, `Could not use “${file.name}”: the file is larger than 64 MB.`);
      return;
    }
    let bytes;
    try {
      bytes = await file.arrayBuffer();
    } catch (e) {
      show(message, `Could not read “${file.name}”: ${e.message}`);
      return;
    }
    pendingUpload = file.name;
    status.textContent = `loading ${file.name}…`;
    onImage(bytes, file.name);
  }

  input.addEventListener('change', () => {
    submit(input.files[0]);
    // Lets the same file be chosen again (e.g. after fixing it).
    input.value = '';
  });

  // Dropping anywhere on the demo counts; everywhere else on the page the
  // browser must not navigate away to the dropped file.
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
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());

  function putPixels(canvas, rgba, width, height) {
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    canvas.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
  }

  return {
    start({ name, width, height, notice: text, target }) {
      pendingUpload = null;
      size = { width, height };
      putPixels(targetCanvas, target, width, height);
      // Until the first epoch ends there is no repaint: show a blank canvas
      // of the right shape rather than the previous picture's repaint.
      repaintCanvas.width = width;
      repaintCanvas.height = height;
      targetCaption.textContent = `original: ${name}, ${width} × ${height} px`;
      root.dataset.image = name;
      root.dataset.epoch = '0';
      delete root.dataset.nll;
      delete root.dataset.psnr;
      show(message, '');
      show(notice, text || '');
      status.textContent = 'training the first epoch…';
    },

    epoch({ epoch, nll, psnr, rgba }) {
      if (!size) return;
      putPixels(repaintCanvas, rgba, size.width, size.height);
      root.dataset.epoch = String(epoch);
      root.dataset.nll = String(nll);
      root.dataset.psnr = String(psnr);
      status.textContent = `epoch ${epoch} · NLL ${nll.toFixed(3)} · PSNR ${psnr.toFixed(2)} dB`;
    },

    error(name, text) {
      if (pendingUpload === name) pendingUpload = null;
      show(message, `Could not use “${name}”: ${text}`);
      if (pendingUpload) return;
      if (size) {
        const epoch = root.dataset.epoch || '0';
        status.textContent = `still painting the previous picture (epoch ${epoch})…`;
      } else {
        status.textContent = 'no picture yet: choose one';
      }
    },

    fail(text) {
      root.dataset.error = text;
      show(message, `The painting stopped: ${text}`);
      status.textContent = 'stopped';
    },
  };
}
