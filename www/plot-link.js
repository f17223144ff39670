// Where a toy's plots are drawn (toy-drawing.js), and what the page tells
// them: each canvas's size and the screen's pixel ratio (a ResizeObserver,
// which also sees a change of ratio alone, as on another screen) and the
// stylesheet's colours.
//
// Where the browser can (a 2D OffscreenCanvas and module workers), the
// canvases are handed to the page's one plot worker (plot-worker.js) with
// transferControlToOffscreen: drawing them, and rasterising and committing
// them, then costs the page's main thread nothing. Drawn on the page, on
// an emulated Pixel 7 with a 4 × slower CPU on a 2 GHz first-generation
// Zen host, the toy's frames took 12–18 ms at the median and passed
// 50 ms, a long task that delays the reader's input, a few times a
// minute. Elsewhere (or with the test hook __mdnPlotsOnPage) the same code
// draws on the page.

import { PLOT } from './plot-protocol.js';
import { palette } from './plot.js';
import { ToyDrawing } from './toy-drawing.js';
import './worker-url.js';

let worker = null;
let nextId = 1;
const answerTo = new Map(); // id -> function(message), for the worker's answers
let inWorker = null; // whether plots are drawn in the worker, decided once

function canDrawInWorker() {
  if (globalThis.__mdnPlotsOnPage === true) return false;
  if (typeof OffscreenCanvas === 'undefined' || !('transferControlToOffscreen' in HTMLCanvasElement.prototype)) {
    return false;
  }
  try {
    if (!new OffscreenCanvas(1, 1).getContext('2d')) return false;
  } catch {
    return false;
  }
  // Only a browser with module workers reads the options' `type`.
  let modules = false;
  try {
    new Worker('blob://', {
      get type() {
        modules = true;
        return 'module';
      },
    }).terminate();
  } catch {
    // The address is refused once the options were read.
  }
  return modules;
}

function plotWorker() {
  if (worker) return worker;
  worker = globalThis.MdnWorkerFor(new URL('./plot-worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data: msg }) => answerTo.get(msg.id)?.(msg);
  // A bug in the drawing is said where the page's own errors are.
  worker.onerror = (event) => console.error(`plot worker: ${event.message || 'its script did not load'}`);
  return worker;
}

// A toy taken off the page for good (its element collected) is dropped in
// the worker too: an element removed may come back, so removal alone
// cannot say.
const collected = new FinalizationRegistry((id) => worker?.postMessage({ type: PLOT.DETACH, id }));

// Links a toy's canvases ({main, pi, mu, probe, nll}: canvas elements, no
// longer drawn on by the page) to where they are drawn. `onAnswer(message)`
// takes the plots' answers (PLOT.LEGEND). Returns `send(message,
// transfer)` for the other messages of plot-protocol.js (the worker's
// need the `id` it adds) and `close()`, which drops the toy's plots.
export function linkPlots(canvases, onAnswer) {
  inWorker ??= canDrawInWorker();
  const id = nextId++;
  let drawing = null; // on the page: the toy's drawing itself
  let send;
  let w = null;
  if (inWorker) {
    try {
      w = plotWorker();
    } catch {
      // A script from another origin cannot start a worker: the plots are
      // drawn on the page, and the demo's own worker says why it cannot.
      inWorker = false;
    }
  }
  if (w) {
    answerTo.set(id, onAnswer);
    const offscreen = Object.fromEntries(
      Object.entries(canvases).map(([name, canvas]) => [name, canvas.transferControlToOffscreen()]),
    );
    w.postMessage({ type: PLOT.ATTACH, id, canvases: offscreen }, Object.values(offscreen));
    send = (msg, transfer = []) => w.postMessage({ ...msg, id }, transfer);
  } else {
    drawing = new ToyDrawing(canvases, onAnswer);
    send = (msg) => drawing.receive(msg);
  }

  const nameOf = new Map(Object.entries(canvases).map(([name, canvas]) => [canvas, name]));
  const sendSize = (canvas) =>
    send({
      type: PLOT.SIZE,
      name: nameOf.get(canvas),
      width: canvas.clientWidth,
      height: canvas.clientHeight,
      screenRatio: devicePixelRatio,
      // Read at each size: the stylesheet's arrival resizes every canvas.
      colours: palette(canvas),
    });
  const observer = new ResizeObserver((entries) => {
    for (const entry of entries) sendSize(entry.target);
  });
  for (const canvas of nameOf.keys()) {
    try {
      // Device pixels change with the ratio too.
      observer.observe(canvas, { box: 'device-pixel-content-box' });
    } catch {
      observer.observe(canvas);
    }
  }

  const link = {
    send,
    close() {
      observer.disconnect();
      answerTo.delete(id);
      if (drawing) {
        drawing.close();
      } else {
        collected.unregister(link);
        worker.postMessage({ type: PLOT.DETACH, id });
      }
    },
  };
  if (!drawing) collected.register(canvases.main, id, link);
  return link;
}
