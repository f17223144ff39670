// One queue of canvas drawing for every demo on the page: drawing happens in
// animation frames, each running queued draws until it has spent
// BUDGET_MS or drawn as many canvases as resolution.js allows (2, or 1 on
// a device too slow for 2), so that several demos (or one
// toy's five panels) redrawing at once spread over frames instead of
// making one long task. A key (the canvas) keeps only its latest
// draw; keys are served in the order they were queued. Each frame that
// draws is timed to the end of its commit, and the plots' resolution
// (resolution.js) follows what frames cost.

import { plotResolution } from './resolution.js';

const BUDGET_MS = 12;
const queue = new Map(); // key -> draw function
const drawn = new Map(); // key -> its latest draw, to redraw at a new resolution
let frame = 0;

// A message posted from an animation frame is handled in the first task
// after that frame's rendering and commit: its arrival ends the frame's
// cost, what the frame blocked the main thread for.
const frameEnd = new MessageChannel();
let frameStart = null;
frameEnd.port1.onmessage = () => {
  if (frameStart === null) return;
  const cost = performance.now() - frameStart;
  frameStart = null;
  if (plotResolution.record(cost, window.devicePixelRatio)) {
    for (const [key, draw] of drawn) if (key.isConnected) requestDraw(key, draw);
  }
};

function run() {
  frame = 0;
  const t0 = performance.now();
  let count = 0;
  for (const [key, draw] of queue) {
    queue.delete(key);
    draw();
    if (!drawn.has(key)) {
      // A new canvas: forget those of demos taken off the page since.
      for (const k of drawn.keys()) if (!k.isConnected) drawn.delete(k);
    }
    drawn.set(key, draw);
    count += 1;
    if (count >= plotResolution.draws || performance.now() - t0 > BUDGET_MS) break;
  }
  if (count > 0 && frameStart === null) {
    frameStart = t0;
    frameEnd.port2.postMessage(null);
  }
  if (queue.size > 0) frame = requestAnimationFrame(run);
}

// Draws `draw()` in a coming animation frame, replacing a draw of `key`
// still waiting.
export function requestDraw(key, draw) {
  queue.set(key, draw);
  if (!frame) frame = requestAnimationFrame(run);
}
