// One queue of canvas drawing for every demo on the page: drawing happens in
// animation frames, each running queued draws until it has spent
// BUDGET_MS or drawn MAX_DRAWS canvases, so that several demos (or one
// toy's five panels) redrawing at once spread over frames instead of
// making one long task. A key (the canvas) keeps only its latest
// draw; keys are served in the order they were queued.

const BUDGET_MS = 12;
// Canvases redrawn per frame at most: the compositor copies every redrawn
// canvas in the frame's commit (on a machine without a GPU, in software),
// and a commit of many large ones blocks the main thread for tens of ms.
// Traced on 2 cores with one more core's worth of load beside the page,
// frames over 25 ms fell from about 85 to 23 in 12 s going from 3 to 2.
const MAX_DRAWS = 2;
const queue = new Map(); // key -> draw function
let frame = 0;

function run() {
  frame = 0;
  const t0 = performance.now();
  let drawn = 0;
  for (const [key, draw] of queue) {
    queue.delete(key);
    draw();
    drawn += 1;
    if (drawn >= MAX_DRAWS || performance.now() - t0 > BUDGET_MS) break;
  }
  if (queue.size > 0) frame = requestAnimationFrame(run);
}

// Draws `draw()` in a coming animation frame, replacing a draw of `key`
// still waiting.
export function requestDraw(key, draw) {
  queue.set(key, draw);
  if (!frame) frame = requestAnimationFrame(run);
}
