// The toy's panels, each a function that draws one plot (a `target`, as
// plot.js's fitCanvas takes it) from what the worker sent (a TOY_SNAPSHOT
// and the data): the data plot with the density
// heat map behind it, the π_k(x) and μ_k(x) ± σ_k(x) panels under it on the
// same x axis, the conditional density at a probed x₀, and the NLL curve.
// Every component k has one colour in every panel (componentRgb). The
// samples, the π_k lines and the μ_k ± σ_k bands are drawn in JS
// (raster.js) and blended onto the canvas as one image each: drawn as
// paths, Chromium rasterised them on the main thread in the frame's
// commit, the panels' largest cost. No DOM: this runs in the plot worker
// (plot-worker.js) where the browser has OffscreenCanvas.

import { PURPLES } from './colour-ramp.js';
import { drawAxes, fitCanvas, makeMap, newCanvas, plotArea, rgbaOf } from './plot.js';
import { Raster, stampDots } from './raster.js';

// The density's colour ramp spans this many nats below the grid's largest
// log density; anything lower is white.
export const DENSITY_NATS = 8;

// Component k's colour, [r, g, b] (0–255): hues a golden angle apart, so
// any K up to 32 gets colours that neighbours can tell apart (HSL with
// saturation 70 % and lightness 42 %, converted as CSS Color 4 does).
export function componentRgb(k) {
  const hue = (k * 137.508 + 20) % 360;
  const [s, l] = [0.7, 0.42];
  const f = (n) => {
    const m = (n + hue / 30) % 12;
    return Math.round(255 * (l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(m - 3, 9 - m, 1))));
  };
  return [f(0), f(8), f(4)];
}

export function componentColour(k, alpha = 1) {
  return `rgba(${componentRgb(k).join(', ')}, ${alpha})`;
}

// The density ramp in 256 steps, RGBA: 30 000 cells a snapshot look it up.
const RAMP_LUT = Uint8ClampedArray.from(
  Array.from({ length: 256 }, (_, i) => [...PURPLES.colour(i / 255), 255]).flat(),
);

// The heat map of a snapshot's log density as an image G wide and H high
// (top row the largest y), and the range of log p its ramp spans. `reuse`
// (the previous result, if any) lends its canvas and pixels: a new canvas
// per snapshot is garbage whose collection, on a slow phone, is itself a
// long task.
export function densityImage(snapshot, reuse = null) {
  const G = snapshot.grid_x.length;
  const H = snapshot.grid_y.length;
  const values = snapshot.log_density;
  let hi = -Infinity;
  for (const v of values) if (v > hi) hi = v;
  const lo = hi - DENSITY_NATS;
  const fits = reuse && reuse.image.width === G && reuse.image.height === H;
  const image = fits ? reuse.image : new ImageData(G, H);
  const last = RAMP_LUT.length / 4 - 1;
  for (let g = 0; g < G; g++) {
    for (let h = 0; h < H; h++) {
      const t = (values[g * H + h] - lo) / DENSITY_NATS;
      const i = 4 * Math.round(Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * last);
      const at = ((H - 1 - h) * G + g) * 4;
      image.data[at] = RAMP_LUT[i];
      image.data[at + 1] = RAMP_LUT[i + 1];
      image.data[at + 2] = RAMP_LUT[i + 2];
      image.data[at + 3] = 255;
    }
  }
  let canvas = reuse?.canvas;
  if (!fits) {
    // Assigning a size, even the same one, reallocates the canvas: only a
    // new one is sized. putImageData writes every pixel of a reused one.
    canvas = newCanvas(G, H);
  }
  canvas.getContext('2d').putImageData(image, 0, 0);
  return { canvas, image, lo, hi };
}

function clipTo(ctx, area) {
  ctx.beginPath();
  ctx.rect(area.left, area.top, area.w, area.h);
  ctx.clip();
}

// Draws a polyline through (xs[i], ys[i]), broken wherever a value is not
// finite, so nothing non-finite reaches the canvas.
function polyline(ctx, map, xs, ys) {
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(ys[i])) {
      pen = false;
      continue;
    }
    const px = map.x(xs[i]);
    const py = map.y(ys[i]);
    if (pen) ctx.lineTo(px, py);
    else ctx.moveTo(px, py);
    pen = true;
  }
  ctx.stroke();
}

// The data as dots on a transparent canvas the size of `target`'s backing
// store, kept in `cache` ({}) until the data, the bounds or the size
// change: thousands of dots are drawn once, not at every snapshot.
function dataDots(cache, target, bounds, data, colour) {
  const { width, height } = target.canvas;
  if (cache.data !== data || cache.bounds !== bounds || cache.width !== width || cache.height !== height) {
    const layer = cache.layer ?? newCanvas(width, height);
    layer.width = width;
    layer.height = height;
    const ctx = layer.getContext('2d');
    const dpr = width / Math.max(1, target.width);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const area = plotArea(target.width, target.height);
    const map = makeMap(area, bounds);
    clipTo(ctx, area);
    // Smaller dots on a phone, or 4500 of them merge into a blot.
    const dot = target.width < 500 ? 1.5 : 2;
    ctx.fillStyle = colour;
    for (let i = 0; i < data.x.length; i++) {
      ctx.fillRect(map.x(data.x[i]) - dot / 2, map.y(data.y[i]) - dot / 2, dot, dot);
    }
    Object.assign(cache, { layer, data, bounds, width, height });
  }
  return cache.layer;
}

// The data plot: `view` is {bounds, data: {x, y}, snapshot, density (from
// densityImage), layers: {density, data, samples, fit, mode}, probeX,
// cache: {} kept by the caller between draws}.
export function drawMain(target, view) {
  const { ctx, width, height } = fitCanvas(target);
  const { colours } = target;
  const { bounds: b, data, snapshot, density, layers, probeX } = view;
  if (!b) return;
  const area = plotArea(width, height);
  const map = makeMap(area, b);

  if (layers.density && snapshot && density) {
    ctx.save();
    clipTo(ctx, area);
    // Cell centres sit on the grid: the image reaches half a cell past it.
    const G = snapshot.grid_x.length;
    const H = snapshot.grid_y.length;
    const dx = (b.x1 - b.x0) / Math.max(1, G - 1);
    const dy = (b.y1 - b.y0) / Math.max(1, H - 1);
    const left = map.x(b.x0 - dx / 2);
    const top = map.y(b.y1 + dy / 2);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(density.canvas, left, top, map.x(b.x1 + dx / 2) - left, map.y(b.y0 - dy / 2) - top);
    ctx.restore();
  }
  drawAxes(ctx, colours, area, map, b, { x: 'x', y: 'y' });

  if (layers.data && data) {
    ctx.drawImage(dataDots(view.cache, target, b, data, colours.data), 0, 0, width, height);
  }
  ctx.save();
  clipTo(ctx, area);
  if (snapshot) {
    const { grid_x, samples, mse_y, mode } = snapshot;
    if (layers.samples) drawSamples(ctx, target, area, map, snapshot, width);
    ctx.lineJoin = 'round';
    if (layers.fit && mse_y.length > 0) {
      ctx.strokeStyle = colours.line;
      ctx.lineWidth = 2.5;
      polyline(ctx, map, grid_x, mse_y);
    }
    if (layers.mode) drawModeLine(ctx, colours, map, b, grid_x, mode);
  }
  if (Number.isFinite(probeX)) {
    ctx.strokeStyle = colours.ink;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([5, 4]);
    ctx.beginPath();
    ctx.moveTo(map.x(probeX), area.top);
    ctx.lineTo(map.x(probeX), area.top + area.h);
    ctx.stroke();
  }
  ctx.restore();
}

// The MDN's samples, stamped in JS (raster.js): as thousands of rectangles
// they were the plot's largest cost.
function drawSamples(ctx, target, area, map, snapshot, width) {
  const { canvas, colours } = target;
  const { grid_x, samples } = snapshot;
  const sampleDot = width < 500 ? 2 : 3;
  const perX = Math.floor(samples.length / grid_x.length);
  const layer = pixelLayer(canvas, area, width);
  const [xs, ys] = [scratch('x', samples.length), scratch('y', samples.length)];
  for (let i = 0; i < grid_x.length; i++) {
    const px = map.x(grid_x[i]) * layer.scale;
    for (let j = 0; j < perX; j++) {
      xs[i * perX + j] = px;
      ys[i * perX + j] = map.y(samples[i * perX + j]) * layer.scale;
    }
  }
  const [r, g, b, alpha] = rgbaOf(colours.samples);
  layer.image.data.fill(0);
  stampDots(layer.image.data, canvas.width, layer.clip, xs, ys, sampleDot * layer.scale, [r, g, b], alpha);
  showLayer(ctx, layer);
}

// The conditional mode's line.
function drawModeLine(ctx, colours, map, b, grid_x, mode) {
  // The mode jumps between branches: no line across a jump.
  ctx.strokeStyle = colours.mode;
  ctx.lineWidth = 2.5;
  const jump = 0.08 * (b.y1 - b.y0);
  ctx.beginPath();
  for (let i = 0; i < grid_x.length; i++) {
    if (!Number.isFinite(mode[i])) continue;
    const [px, py] = [map.x(grid_x[i]), map.y(mode[i])];
    const joined = i > 0 && Number.isFinite(mode[i - 1]) && Math.abs(mode[i] - mode[i - 1]) <= jump;
    if (joined) ctx.lineTo(px, py);
    else ctx.moveTo(px, py);
  }
  ctx.stroke();
}

// Scratch arrays for the pixel coordinates a draw computes, by name and
// length, reused: a draw's garbage, collected on a slow phone, is itself
// a long task. A draw never keeps one past its return.
const scratchArrays = new Map();
function scratch(name, length) {
  const key = `${name} ${length}`;
  let array = scratchArrays.get(key);
  if (!array) {
    array = new Float64Array(length);
    scratchArrays.set(key, array);
  }
  return array;
}

// What a canvas drawn partly in JS (raster.js) keeps between draws: a
// Raster, the ImageData its pixels go to, and a canvas that carries them
// onto the plot (drawImage blends over the axes; putImageData would
// replace them).
const pixelLayers = new WeakMap();

// `canvas`'s pixel layer, sized to its backing store, with `clip` (the
// plot area `area`, CSS pixels, in whole backing pixels) and `scale`, the
// backing pixels per CSS pixel of a canvas `width` CSS pixels wide.
function pixelLayer(canvas, area, width) {
  let state = pixelLayers.get(canvas);
  if (!state) {
    state = { raster: new Raster(), image: null, layer: newCanvas(1, 1), clip: null };
    pixelLayers.set(canvas, state);
  }
  const scale = canvas.width / Math.max(1, width);
  const clip = {
    left: Math.round(area.left * scale),
    top: Math.round(area.top * scale),
    right: Math.round((area.left + area.w) * scale),
    bottom: Math.round((area.top + area.h) * scale),
  };
  const { image } = state;
  // Nothing is written outside the clip: a new clip gets a new, clear image.
  const sameClip = state.clip && ['left', 'top', 'right', 'bottom'].every((side) => clip[side] === state.clip[side]);
  if (!image || image.width !== canvas.width || image.height !== canvas.height || !sameClip) {
    state.image = new ImageData(canvas.width, canvas.height);
    state.layer.width = canvas.width;
    state.layer.height = canvas.height;
    state.clip = clip;
  }
  return { ...state, scale };
}

// Blends a pixel layer's image over what `ctx` has drawn.
function showLayer(ctx, { image, layer }) {
  layer.getContext('2d').putImageData(image, 0, 0);
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(layer, 0, 0);
  ctx.restore();
}

// A Raster drawing into `canvas`'s pixel layer, clipped to the plot
// area, and that layer (pixelLayer).
function rasterLayer(canvas, area, width) {
  const layer = pixelLayer(canvas, area, width);
  layer.raster.reset(layer.image.data, canvas.width, canvas.height, layer.clip);
  return layer;
}

// Ends a raster layer's drawing and blends it over `ctx`'s.
function showRaster(ctx, layer) {
  layer.raster.finish();
  showLayer(ctx, layer);
}

// The weights π_k(x), one line per component, on the data plot's x axis,
// rasterised column by column (raster.js).
export function drawPi(target, bounds, snapshot) {
  const { ctx, width, height } = fitCanvas(target);
  const { canvas } = target;
  if (!bounds) return;
  const area = plotArea(width, height);
  const b = { x0: bounds.x0, x1: bounds.x1, y0: 0, y1: 1 };
  const map = makeMap(area, b);
  drawAxes(ctx, target.colours, area, map, b, { x: 'x', y: 'π' });
  if (!snapshot) return;
  const { grid_x, pi, components: K } = snapshot;
  const layer = rasterLayer(canvas, area, width);
  const { raster, scale } = layer;
  const [xs, ys] = [scratch('x', grid_x.length), scratch('y', grid_x.length)];
  for (let g = 0; g < grid_x.length; g++) xs[g] = map.x(grid_x[g]) * scale;
  for (let k = 0; k < K; k++) {
    for (let g = 0; g < grid_x.length; g++) ys[g] = map.y(pi[g * K + k]) * scale;
    raster.line(xs, ys, { width: 1.75 * scale, rgb: componentRgb(k) });
  }
  showRaster(ctx, layer);
}

// The means μ_k(x) with a ±σ_k(x) band, each as opaque at each x as the
// component's weight π_k(x) there, so dead components fade. Rasterised
// column by column (raster.js): as paths, the bands' gradients made this
// the page's most expensive panel.
export function drawMu(target, bounds, snapshot) {
  const { ctx, width, height } = fitCanvas(target);
  const { canvas } = target;
  if (!bounds) return;
  const area = plotArea(width, height);
  const map = makeMap(area, bounds);
  drawAxes(ctx, target.colours, area, map, bounds, { x: 'x', y: 'μ ± σ' });
  if (!snapshot) return;
  const { grid_x, pi, mu, sigma, components: K } = snapshot;
  const G = grid_x.length;
  const layer = rasterLayer(canvas, area, width);
  const { raster, scale } = layer;
  const xs = scratch('x', G);
  for (let g = 0; g < G; g++) xs[g] = map.x(grid_x[g]) * scale;
  const [ys, tops, bottoms, alphas] = ['y', 'top', 'bottom', 'alpha'].map((name) => scratch(name, G));
  // Components too faint to see anywhere, or not finite, are left out.
  const shown = [];
  for (let k = 0; k < K; k++) {
    let heaviest = 0;
    let finite = true;
    for (let g = 0; g < G; g++) {
      const i = g * K + k;
      heaviest = Math.max(heaviest, pi[i]);
      finite &&= Number.isFinite(mu[i]) && Number.isFinite(sigma[i]) && Number.isFinite(pi[i]);
    }
    if (heaviest >= 0.02 && finite) shown.push(k);
  }
  // Every band first: they lie beneath every line (raster.js).
  for (const k of shown) {
    for (let g = 0; g < G; g++) {
      const i = g * K + k;
      tops[g] = map.y(mu[i] + sigma[i]) * scale;
      bottoms[g] = map.y(mu[i] - sigma[i]) * scale;
      alphas[g] = 0.22 * pi[i];
    }
    raster.band(xs, tops, bottoms, alphas, componentRgb(k));
  }
  for (const k of shown) {
    for (let g = 0; g < G; g++) {
      const i = g * K + k;
      ys[g] = map.y(mu[i]) * scale;
      alphas[g] = pi[i];
    }
    raster.line(xs, ys, { width: 1.75 * scale, rgb: componentRgb(k), alphas });
  }
  showRaster(ctx, layer);
}

// The conditional density p(y | x₀) over y, each component's weighted
// density π_k N(y; μ_k, σ_k²) under it, and the data within a sliver of
// x₀ as a rug along the y axis.
export function drawProbe(target, bounds, snapshot, data) {
  const { ctx, width, height } = fitCanvas(target);
  const { colours } = target;
  const probe = snapshot?.probe;
  if (!bounds || !probe) {
    // Until a probe is set, say how to set one where its curve will be.
    ctx.fillStyle = colours.muted;
    ctx.font = '13px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText('click the plot to see p(y | x₀) here', width / 2, height / 2);
    return;
  }
  const { grid_y, components: K } = snapshot;
  const H = grid_y.length;
  let top = 0;
  for (const v of probe.density) if (v > top) top = v;
  const area = plotArea(width, height);
  const b = { x0: bounds.y0, x1: bounds.y1, y0: 0, y1: (top || 1) * 1.1 };
  const map = makeMap(area, b);
  drawAxes(ctx, colours, area, map, b, { x: 'y', y: 'p' });
  ctx.save();
  clipTo(ctx, area);
  for (let k = 0; k < K; k++) {
    const ys = probe.components.subarray(k * H, (k + 1) * H);
    ctx.beginPath();
    ctx.moveTo(map.x(grid_y[0]), map.y(0));
    for (let h = 0; h < H; h++) ctx.lineTo(map.x(grid_y[h]), map.y(ys[h]));
    ctx.lineTo(map.x(grid_y[H - 1]), map.y(0));
    ctx.fillStyle = componentColour(k, 0.18);
    ctx.fill();
    ctx.strokeStyle = componentColour(k);
    ctx.lineWidth = 1.25;
    polyline(ctx, map, grid_y, ys);
  }
  ctx.strokeStyle = colours.ink;
  ctx.lineWidth = 2.25;
  polyline(ctx, map, grid_y, probe.density);
  if (data) {
    const sliver = 0.02 * (bounds.x1 - bounds.x0);
    ctx.strokeStyle = colours.data;
    ctx.lineWidth = 1;
    ctx.beginPath();
    const base = area.top + area.h;
    for (let i = 0; i < data.x.length; i++) {
      if (Math.abs(data.x[i] - probe.x) > sliver) continue;
      const px = map.x(data.y[i]);
      ctx.moveTo(px, base);
      ctx.lineTo(px, base - 8);
    }
    ctx.stroke();
  }
  ctx.restore();
}

// The training NLL against the step.
export function drawNll(target, history) {
  const { ctx, width, height } = fitCanvas(target);
  const { colours } = target;
  if (history.length === 0) return;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const [, nll] of history) {
    if (nll < y0) y0 = nll;
    if (nll > y1) y1 = nll;
  }
  const pad = 0.05 * (y1 - y0 || 1);
  const lastStep = history[history.length - 1][0];
  const b = { x0: 0, x1: Math.max(1, lastStep), y0: y0 - pad, y1: y1 + pad };
  const area = plotArea(width, height);
  const map = makeMap(area, b);
  // No axis names inside the plot, where the curve starts and ends: the
  // caption names them.
  drawAxes(ctx, colours, area, map, b, null);
  ctx.save();
  ctx.strokeStyle = colours.nll;
  ctx.lineWidth = 2;
  ctx.lineJoin = 'round';
  polyline(
    ctx,
    map,
    history.map(([step]) => step),
    history.map(([, nll]) => nll),
  );
  ctx.restore();
}
