// Where a painting's picture comes from: a URL (the `src` attribute, or the
// default photo), the file picker, or a file dropped anywhere on the demo;
// the picker and the drop also take saved model files (isModelFile).
// Bytes are handed on untouched: the wasm decodes and validates them, so
// there is one source of truth for what is accepted.

// Reading a huge file into memory just to have the wasm reject it would be
// wasteful; anything this big cannot be a picture we would paint anyway.
const MAX_FILE_BYTES = 64 * 1024 * 1024;

// The picture a painting starts with when its `src` gives none.
export const DEFAULT_PICTURE = {
  url: new URL('./assets/astronaut.jpg', import.meta.url),
  name: 'astronaut.jpg',
};

// The last path segment of `url`, decoded: the picture's name as shown.
export function fileName(url) {
  const last = url.pathname.split('/').filter(Boolean).pop();
  try {
    return decodeURIComponent(last || url.hostname);
  } catch {
    return last;
  }
}

// The bytes every model file begins with (crates/mdn-core/src/model_file.rs).
const MODEL_MAGIC = 'MDNMODEL';

// Whether a chosen or dropped file is meant as a model file rather than a
// picture: by its first bytes, or by its name (so that a picture renamed
// .mdn is refused as a model file, with a message saying what it is).
export function isModelFile(bytes, name) {
  const head = new Uint8Array(bytes, 0, Math.min(MODEL_MAGIC.length, bytes.byteLength));
  const magic = head.length === MODEL_MAGIC.length && [...head].every((b, i) => b === MODEL_MAGIC.charCodeAt(i));
  return magic || /\.mdn$/i.test(name);
}

// {bytes, name} of the picture at `url`; throws on a network or HTTP error.
export async function fetchPicture(url, name = fileName(url)) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return { bytes: await response.arrayBuffer(), name };
}

// Wires the file input `input` and drops on `root` (highlighting
// `dropzone` while a file is dragged over): `onPicture({bytes, name})` for
// a file read, `onError(message)` for one that cannot be.
export function acceptFiles({ root, input, dropzone, onPicture, onError }) {
  async function submit(file) {
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      onError(`Could not use “${file.name}”: the file is larger than 64 MB.`);
      return;
    }
    let bytes;
    try {
      bytes = await file.arrayBuffer();
    } catch (e) {
      onError(`Could not read “${file.name}”: ${e.message}`);
      return;
    }
    onPicture({ bytes, name: file.name });
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
}
