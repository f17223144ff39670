// The painting demo's view inside an <mdn-demo kind="paint">: takes a
// picture (the `src` attribute, the default photo, the file picker or drag
// and drop), hands its bytes on untouched to the worker (where the wasm
// reads the header and refuses what it cannot take, so there is one source
// of truth for what is accepted, and the browser decodes the pixels:
// worker/picture.js), offers the model's settings, and shows the target
// beside the latest repaint.

import './protocol.js';
import { DemoLifecycle } from './demo-lifecycle.js';
import { registerKind } from './kinds.js';
import { DISPLAY, OPTIONS, PaintControls, describe, sameOptions } from './paint-controls.js';
import { PaintDrawing } from './paint-drawing.js';
import { PaintExport } from './paint-export.js';
import { PaintPictures } from './paint-picture.js';

const P = globalThis.MdnProtocol;

// The view: its parts (paint-controls.js, paint-picture.js,
// paint-drawing.js, paint-export.js), each reaching the others through
// `paint`, and its life in the worker (demo-lifecycle.js).
export function createPaint(root, { host, send, progress }) {
  const paint = { host, send, progress };
  paint.controls = new PaintControls(root, host);
  paint.life = new DemoLifecycle({
    kind: 'paint',
    host,
    send,
    progress,
    options: OPTIONS,
    position: 'epoch',
    hooks: lifecycleHooks(paint),
  });
  paint.drawing = new PaintDrawing(paint);
  paint.exporter = new PaintExport(paint);
  paint.pictures = new PaintPictures(root, paint);
  const { controls, drawing, pictures, life } = paint;

  return life.view({
    start() {
      pictures.started = true;
      controls.setStatus('waiting for the model…');
      life.create();
      pictures.loadSource();
    },
    receive: (msg) => drawing.receive(msg),
    settingChanged: (name) => settingChanged(paint, name),
    fail(text) {
      controls.showError(`The painting stopped: ${text}`);
      controls.setStatus('stopped');
    },
  });
}

function settingChanged({ controls, drawing, pictures, send }, name) {
  controls.readControls();
  if (!pictures.started) return;
  const { options, view } = controls;
  if (DISPLAY.includes(name)) {
    send({ type: P.PAINT_VIEW, view });
    drawing.drawRepaint();
  } else if (name === 'src') {
    pictures.loadSource();
  } else if (!sameOptions(options, pictures.requested)) {
    // The worker restarts the painting on its picture (or keeps the
    // options for the picture still on its way).
    pictures.requested = options;
    controls.setStatus(`restarting with ${describe(options)}…`);
    send({ type: P.PAINT_OPTIONS, options });
  }
}

// What the painting's life in the worker needs of it.
function lifecycleHooks(paint) {
  return {
    creation: () => [{ options: paint.controls.options, view: paint.controls.view }],
    // After a crash, in a new worker: the same picture (or the one on its
    // way) painted again from the start. After a GPU loss, from the
    // painting's last checkpoint.
    restarting(notice) {
      const { controls, drawing, exporter } = paint;
      if (exporter.recording) exporter.stopRecording();
      drawing.restartNotice = notice;
      controls.showRecovery(notice);
      controls.setStatus('starting again…');
    },
    resume(from) {
      const { running } = paint.drawing;
      paint.pictures.resend(running && from, running?.name);
    },
    adopted(used) {
      paint.pictures.requested = used;
      paint.controls.readControls();
    },
  };
}

// The painting's entry in the registry (kinds.js says what each field is).
// Mixture outputs per pixel for each covariance: π, μ (RGB) and the
// scale's parameters (isotropic 1, diagonal 3, the Cholesky factor's 6).
const OUTPUTS = { isotropic: 5, diagonal: 7, full: 10 };

registerKind('paint', {
  view: createPaint,
  worker: new URL('./worker/paint.js', import.meta.url).href,
  // The picture's URL, which only the page knows about.
  attributes: ['src'],
  result: P.PAINT_EPOCH,
  count: (msg) => msg.epoch,
  unit: 'epochs/s',
  // An epoch is every pixel through the mixture head.
  work(options = {}) {
    const size = options.size ?? 128;
    return size * size * (options.components ?? 8) * (OUTPUTS[options.covariance] ?? OUTPUTS.diagonal);
  },
  // Full covariance's solves and log-determinant are kernels of their own
  // on WebGPU, beyond its outputs' count.
  retrial: (measured, options) => options.covariance === 'full' && measured.covariance !== 'full',
  started: P.PAINT_START,
  refused: P.PAINT_ERROR,
  display: [P.PAINT_VIEW],
  // A painting is created, then loads its checkpoint as a model file.
  resume: (create, checkpoint) => [
    [create, []],
    [{ type: P.LOAD_MODEL, ...checkpoint }, [checkpoint.bytes.buffer]],
  ],
});
