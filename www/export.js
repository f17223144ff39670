// Taking a result home: a canvas saved as a PNG (upscaled if asked), a
// video of a painting forming, one frame per epoch, encoded by WebCodecs
// and saved as WebM (or MP4), and the model being trained as a model file.

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

// The WebM muxer and WebCodecs wrapper (Mediabunny, MPL-2.0), copied from
// node_modules by Trunk (index.html) and loaded on the first recording only:
// a reader who never records never downloads it.
const MEDIABUNNY = new URL('../vendor/mediabunny.min.mjs', import.meta.url);

// Containers and codecs to record in, best first (Mediabunny's names):
// WebM with VP9 or VP8, or else MP4 with H.264 (Safari's WebCodecs may
// encode only that).
const FORMATS = [
  { container: 'webm', codec: 'vp9' },
  { container: 'webm', codec: 'vp8' },
  { container: 'mp4', codec: 'avc' },
];

// Frames per second of the saved video: one epoch per frame, so a time-lapse
// of training whatever the epochs' own pace.
const FRAME_RATE = 10;

// Why this browser cannot record a video, or null when it can. The codec is
// checked when a recording starts (an asynchronous question).
export function recordingUnsupported() {
  if (typeof VideoEncoder === 'undefined') return 'this browser has no WebCodecs video encoder';
  return null;
}

// Height of the caption bar under each frame, CSS pixels.
const CAPTION = 28;

// A recording of frames `width` × `height` (the picture's pixels, each
// shown as a `scale` × `scale` block) with a caption bar under each:
// {frame(source canvas, caption), frames (count), ready, stop()}. `ready`
// resolves to the file's extension ('webm' or 'mp4') once the encoder is
// set up, or rejects with why it cannot be (no VP9, VP8 or H.264 encoder);
// stop() resolves to the video's Blob, or rejects with the same reason or
// an encoder's error. Every frame() is one video frame of 1/FRAME_RATE s,
// however close together they come: WebCodecs encodes each frame it is
// given (a canvas stream into MediaRecorder drops frames when the machine
// is busy).
export function startRecording(width, height, scale = 4) {
  const canvas = document.createElement('canvas');
  // Encoders want even sizes.
  canvas.width = width * scale + ((width * scale) % 2);
  canvas.height = height * scale + CAPTION + ((height * scale + CAPTION) % 2);
  const ctx = canvas.getContext('2d');
  function draw({ copy, caption }) {
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(copy, 0, 0, width * scale, height * scale);
    ctx.fillStyle = '#1d2433';
    ctx.font = '15px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.fillText(caption, 8, height * scale + CAPTION / 2);
  }

  const opened = (async () => {
    const mb = await import(MEDIABUNNY);
    const size = { width: canvas.width, height: canvas.height, frameRate: FRAME_RATE };
    let chosen = null;
    for (const f of FORMATS) {
      if (await mb.canEncodeVideo(f.codec, size)) {
        chosen = f;
        break;
      }
    }
    if (!chosen) throw new Error('this browser cannot encode VP9, VP8 or H.264 video');
    const format = chosen.container === 'webm' ? new mb.WebMOutputFormat() : new mb.Mp4OutputFormat();
    const output = new mb.Output({ format, target: new mb.BufferTarget() });
    const source = new mb.CanvasSource(canvas, { codec: chosen.codec, quality: new mb.Quality('high') });
    output.addVideoTrack(source, { frameRate: FRAME_RATE });
    await output.start();
    return { output, source, container: chosen.container, type: format.mimeType };
  })();
  // Frames are encoded one after the other, each drawn just before it is
  // added (the canvas holds one frame at a time), waiting for the encoder's
  // backpressure. A failure is kept for stop() to report.
  let queue = opened;
  queue.catch(() => {});

  const recording = {
    frames: 0,
    ready: opened.then((video) => video.container),
    frame(source, caption) {
      // A copy: the source changes before this frame's turn comes.
      const copy = document.createElement('canvas');
      copy.width = source.width;
      copy.height = source.height;
      copy.getContext('2d').drawImage(source, 0, 0);
      const index = recording.frames;
      recording.frames += 1;
      queue = queue.then(async (video) => {
        draw({ copy, caption });
        await video.source.add(index / FRAME_RATE, 1 / FRAME_RATE);
        return video;
      });
      queue.catch(() => {});
    },
    async stop() {
      const { output, type } = await queue;
      await output.finalize();
      return new Blob([output.target.buffer], { type });
    },
  };
  return recording;
}
