// How much the plots draw per frame: the pixel ratio they are drawn at
// (the screen's devicePixelRatio up to MAX_PIXEL_RATIO) and how many
// canvases one frame redraws, lowered while frames that draw cost their
// thread too much and raised again once they have room. That thread is the
// plot worker's (plot-link.js), or the page's main thread in a browser
// that cannot draw in a worker. A frame's cost (drawing and the commit
// that copies every redrawn canvas; on the page also style, layout and
// paint) grows with the pixels redrawn, as the ratio squared: traced on
// the page on an emulated Pixel 7 at a 4 × slower CPU, frames that redrew
// the toy's panels at ratio 2 took 50–61 ms, and none passed 50 ms at
// ratio 1 (on an AVX-512 host; on a 2 GHz first-generation Zen host,
// ratio 1 and one canvas a frame passed 50 ms in most frames until the
// busiest panels were drawn in JS, raster.js, and still did in a few a
// minute until the plots moved to their worker). A slow device gets
// softer plots rather than plots, or a page, that stutter.

// Plots are drawn at most at 2 device pixels per CSS pixel: a phone at 2.6
// or 3 would fill 1.7 to 2.3 times as many pixels, for lines no sharper to
// the eye.
export const MAX_PIXEL_RATIO = 2;
// Never under one backing pixel per CSS pixel: text and lines would blur.
export const MIN_PIXEL_RATIO = 1;
// Canvases one frame redraws at most, and at the lowest level (when even
// at MIN_PIXEL_RATIO two cost too much, as on a Pixel 7 at a 4 × slower
// CPU): the compositor copies every redrawn canvas in the frame's commit.
// A demo's canvases then take turns, each redrawn half as often.
export const MAX_DRAWS = 2;
export const MIN_DRAWS = 1;
// The ratio moves in steps of this size.
const STEP = 0.25;
// A drawing frame may cost this much before the ratio drops (and a raised
// ratio must be predicted to stay under it): the browser counts a task
// over 50 ms as long, and one frame's cost varies from the next.
export const SLOW_MS = 32;
// The cost a lowered ratio aims at.
export const TARGET_MS = 20;
// Drawing frames not judged at first: while a page starts, its frames also
// carry its layout, fonts and the workers' first messages.
export const WARMUP_FRAMES = 30;
// Drawing frames measured at a ratio before it may be raised.
export const SETTLE_FRAMES = 60;
// Drops are judged on the median of the last few costs (one slow frame may
// be a garbage collection), raises on the 90th percentile of the last
// SETTLE_FRAMES.
const MEDIAN_OF = 3;

const clamp = (r) => Math.min(MAX_PIXEL_RATIO, Math.max(MIN_PIXEL_RATIO, r || 1));

export class Resolution {
  constructor() {
    // The most the plots may use now; under the screen's ratio only after
    // slow frames.
    this.cap = MAX_PIXEL_RATIO;
    this.draws = MAX_DRAWS;
    this.costs = [];
    this.warmup = WARMUP_FRAMES;
  }

  // The ratio to draw at on a screen of `devicePixelRatio`.
  ratioFor(devicePixelRatio) {
    return Math.min(clamp(devicePixelRatio), this.cap);
  }

  // Takes the cost in ms of one frame that drew on a screen of
  // `devicePixelRatio`, and returns whether the ratio changed (the
  // canvases then need a redraw to show it). Costs scale as the ratio
  // squared and as the canvases drawn.
  record(cost, devicePixelRatio) {
    if (this.warmup > 0) {
      this.warmup -= 1;
      return false;
    }
    const ratio = this.ratioFor(devicePixelRatio);
    this.costs.push(cost);
    if (this.costs.length > SETTLE_FRAMES) this.costs.shift();
    const recent = this.costs.slice(-MEDIAN_OF).sort((a, b) => a - b);
    const median = recent[Math.floor(recent.length / 2)];
    if (recent.length === MEDIAN_OF && median > SLOW_MS) {
      if (ratio > MIN_PIXEL_RATIO) {
        // Straight to the ratio predicted to cost TARGET_MS, a step down at least.
        const predicted = Math.floor((ratio * Math.sqrt(TARGET_MS / median)) / STEP) * STEP;
        return this.change(Math.max(MIN_PIXEL_RATIO, Math.min(ratio - STEP, predicted)), this.draws, devicePixelRatio);
      }
      if (this.draws > MIN_DRAWS) return this.change(this.cap, MIN_DRAWS, devicePixelRatio);
      return false;
    }
    if (this.costs.length < SETTLE_FRAMES) return false;
    // Back up the way down: first the draws per frame, then the ratio.
    const p90 = [...this.costs].sort((a, b) => a - b)[Math.floor(0.9 * this.costs.length)];
    if (this.draws < MAX_DRAWS) {
      if (p90 * (MAX_DRAWS / this.draws) < SLOW_MS) return this.change(this.cap, MAX_DRAWS, devicePixelRatio);
      return false;
    }
    const top = clamp(devicePixelRatio);
    if (ratio < top) {
      const next = Math.min(top, ratio + STEP);
      if (p90 * (next / ratio) ** 2 < SLOW_MS) return this.change(next, this.draws, devicePixelRatio);
    }
    return false;
  }

  // Sets the ratio's cap and the draws per frame, and returns whether the
  // ratio drawn at on a screen of `devicePixelRatio` changed.
  change(cap, draws, devicePixelRatio) {
    const before = this.ratioFor(devicePixelRatio);
    this.cap = cap;
    this.draws = draws;
    this.costs = [];
    return this.ratioFor(devicePixelRatio) !== before;
  }
}

// The page's one resolution, shared by every plot: a frame's cost is the
// sum of every demo's drawing.
export const plotResolution = new Resolution();
