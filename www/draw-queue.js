// One queue of canvas drawing for every demo on the page: drawing happens in
// animation frames, each running queued draws until it has spent
// BUDGET_MS or drawn as many canvases as resolution.js allows (2, or 1 on
// a device too slow for 2), so that several demos (or one
// toy's five panels) redrawing at once spread over frames instead of
// making one long task. A key (the canvas) keeps only its latest
// draw; keys are served in the order they were queued. Each frame that
// draws is timed to the end of its commit, and the plots' resolution
// (resolution.js) follows what frames cost. It runs where the plots are
// drawn: in the plot worker (plot-worker.js), or on the page where the
// browser cannot draw in a worker.

import { plotResolution } from './resolution.js';

const BUDGET_MS = 12;
const queue = new Map(); // key -> draw function
const drawn = new Map(); // key -> its latest draw, to redraw at a new resolution
let frame = 0;
// The screen's devicePixelRatio (the page tells it: a worker has no screen).
let screenRatio = 1;

// A worker has animation frames in Chromium and Firefox; elsewhere a timer
// stands in for them.
const nextFrame = globalThis.requestAnimationFrame
  ? (f) => globalThis.requestAnimationFrame(f)
  : (f) => setTimeout(f, 16);

// A message posted from an animation frame is handled in the first task
// after that frame's rendering and commit: its arrival ends the frame's
// cost, what the frame blocked its thread for.
// Made on the first draw: an open channel at load would keep node (whose
// unit tests import the views) from exiting.
let frameEnd = null;
let frameStart = null;
function frameEndChannel() {
  if (frameEnd) return frameEnd;
  frameEnd = new MessageChannel();
  frameEnd.port1.onmessage = () => {
    if (frameStart === null) return;
    const cost = performance.now() - frameStart;
    frameStart = null;
    if (plotResolution.record(cost, screenRatio)) redrawAll();
  };
  return frameEnd;
}

// Every canvas drawn so far again, at a new ratio.
function redrawAll() {
  for (const [key, draw] of drawn) requestDraw(key, draw);
}

function run() {
  frame = 0;
  const t0 = performance.now();
  let count = 0;
  for (const [key, draw] of queue) {
    queue.delete(key);
    draw();
    if (!drawn.has(key)) {
      // A new canvas: forget those taken off the page since (drawn on the
      // page; an OffscreenCanvas goes with its toy, forgetDraws).
      for (const k of drawn.keys()) if (k.isConnected === false) drawn.delete(k);
    }
    drawn.set(key, draw);
    count += 1;
    if (count >= plotResolution.draws || performance.now() - t0 > BUDGET_MS) break;
  }
  if (count > 0 && frameStart === null) {
    frameStart = t0;
    frameEndChannel().port2.postMessage(null);
  }
  if (queue.size > 0) frame = nextFrame(run);
}

// Draws `draw()` in a coming animation frame, replacing a draw of `key`
// still waiting.
export function requestDraw(key, draw) {
  queue.set(key, draw);
  if (!frame) frame = nextFrame(run);
}

// Drops `keys`' draws, waiting and done (a demo that is gone).
export function forgetDraws(keys) {
  for (const key of keys) {
    queue.delete(key);
    drawn.delete(key);
  }
}

// Sets the screen's devicePixelRatio; every canvas is redrawn if the ratio
// the plots are drawn at changed, not only those of the toy that said it.
export function setScreenRatio(ratio) {
  const before = plotRatio();
  screenRatio = ratio;
  if (plotRatio() !== before) redrawAll();
}

// The backing pixels per CSS pixel the plots are drawn at now.
export function plotRatio() {
  return plotResolution.ratioFor(screenRatio);
}
