// Taking a result home: a canvas saved as a PNG (upscaled if asked), a
// video of a painting forming, one frame per epoch, recorded by the
// browser's MediaRecorder from a canvas stream and saved as WebM, and the
// model being trained as a model file.

// Saves `blob` as a download named `name`.
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own reference by now.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// `source` (a canvas) scaled by a whole `scale` (1–8), smoothly
// (`bilinear`) or as blocks (`nearest`), on a new canvas.
export function scaled(source, scale = 1, smoothing = 'nearest') {
  const canvas = document.createElement('canvas');
  canvas.width = source.width * scale;
  canvas.height = source.height * scale;
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = smoothing === 'bilinear';
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
  return canvas;
}

// Saves what `canvas` shows now as `name` (PNG), scaled as `scaled` does.
// The pixels are taken at the call, whatever the canvas shows later.
export function savePng(canvas, name, { scale = 1, smoothing = 'nearest' } = {}) {
  const picture = scale === 1 ? canvas : scaled(canvas, scale, smoothing);
  return new Promise((resolve, reject) => {
    picture.toBlob((blob) => {
      if (!blob) {
        reject(new Error('the browser could not encode the PNG'));
        return;
      }
      download(blob, name);
      resolve(blob);
    }, 'image/png');
  });
}

// A demo's "Save model" button: a click asks the worker for the model file
// (`request()`, which sends SAVE_MODEL) and names it with `fileName()`'s
// answer at the click, a function of where the saved run stood ({epoch,
// step}); the returned function takes the worker's MODEL_FILE answer and
// downloads it, or passes its refusal to `onError`. `progress` gets the
// file's name and size.
export function bindModelSave(button, { request, fileName, onError, progress }) {
  let naming = null; // the file's naming while the worker writes it
  button.addEventListener('click', () => {
    if (naming) return;
    naming = fileName();
    button.disabled = true;
    request();
  });
  return function received({ bytes, message, ...at }) {
    const name = naming ? naming(at) : 'model.mdn';
    naming = null;
    button.disabled = false;
    if (!bytes) {
      onError(`Could not save the model: ${message}`);
      return;
    }
    download(new Blob([bytes], { type: 'application/octet-stream' }), name);
    progress({ savedModel: name, savedModelBytes: bytes.byteLength });
  };
}

// WebM codecs to ask MediaRecorder for, best first.
const WEBM_TYPES = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'];

// Why this browser cannot record a canvas as WebM, or null when it can.
export function recordingUnsupported() {
  if (typeof MediaRecorder === 'undefined') return 'this browser has no MediaRecorder';
  if (typeof HTMLCanvasElement.prototype.captureStream !== 'function') return 'this browser cannot stream a canvas';
  if (!WEBM_TYPES.some((t) => MediaRecorder.isTypeSupported(t))) return 'this browser cannot record WebM';
  return null;
}

// Height of the caption bar under each frame, CSS pixels.
const CAPTION = 28;

// A recording of frames `width` × `height` (the picture's pixels, each
// shown as a `scale` × `scale` block) with a caption bar under each:
// {frame(source canvas, caption), frames (count), stop() → Promise<Blob>}.
// Each frame() is one video frame, however long apart they come.
export function startRecording(width, height, scale = 4) {
  const canvas = document.createElement('canvas');
  canvas.width = width * scale;
  // Encoders want even sizes.
  canvas.height = height * scale + CAPTION + ((height * scale + CAPTION) % 2);
  canvas.width += canvas.width % 2;
  const ctx = canvas.getContext('2d');
  // captureStream(0): a frame only when requestFrame() asks for one.
  const stream = canvas.captureStream(0);
  const [track] = stream.getVideoTracks();
  const type = WEBM_TYPES.find((t) => MediaRecorder.isTypeSupported(t));
  const recorder = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: 4_000_000 });
  const chunks = [];
  recorder.ondataavailable = (e) => {
    if (e.data.size > 0) chunks.push(e.data);
  };
  recorder.start();

  // A canvas stream captures the canvas once per rendering update, so two
  // frames drawn before one would be a single video frame: frames wait in
  // `pending` (copies, as the source changes) and one is drawn per
  // animation frame.
  const pending = [];
  let scheduled = false;
  let drained = null; // resolves stop()'s wait once `pending` is empty
  function draw({ copy, caption }) {
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(copy, 0, 0, width * scale, height * scale);
    ctx.fillStyle = '#1d2433';
    ctx.font = '15px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.fillText(caption, 8, height * scale + CAPTION / 2);
    track.requestFrame();
  }
  function pump() {
    scheduled = false;
    const next = pending.shift();
    if (next) draw(next);
    if (pending.length > 0) schedule();
    else if (drained) {
      // One more rendering update captures the last frame drawn.
      const done = drained;
      drained = null;
      requestAnimationFrame(() => requestAnimationFrame(done));
    }
  }
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(pump);
  }

  const recording = {
    frames: 0,
    frame(source, caption) {
      const copy = document.createElement('canvas');
      copy.width = source.width;
      copy.height = source.height;
      copy.getContext('2d').drawImage(source, 0, 0);
      pending.push({ copy, caption });
      recording.frames += 1;
      schedule();
    },
    async stop() {
      await new Promise((resolve) => {
        drained = resolve;
        schedule();
      });
      return new Promise((resolve) => {
        recorder.onstop = () => {
          track.stop();
          resolve(new Blob(chunks, { type: 'video/webm' }));
        };
        recorder.stop();
      });
    },
  };
  return recording;
}
