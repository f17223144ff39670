// The toy's panels, each a function that draws one canvas from what the
// worker sent (a TOY_SNAPSHOT and the data): the data plot with the density
// heat map behind it, the π_k(x) and μ_k(x) ± σ_k(x) panels under it on the
// same x axis, the conditional density at a probed x₀, and the NLL curve.
// Every component k has one colour in every panel (componentColour).

import { PURPLES } from './colour-ramp.js';
import { drawAxes, fitCanvas, makeMap, palette, plotArea } from './plot.js';

// The density's colour ramp spans this many nats below the grid's largest
// log density; anything lower is white.
export const DENSITY_NATS = 8;

// Component k's colour: hues a golden angle apart, so any K up to 32 gets
// colours that neighbours can tell apart.
export function componentColour(k, alpha = 1) {
  return `hsla(${(k * 137.508 + 20) % 360}, 70%, 42%, ${alpha})`;
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
    canvas = document.createElement('canvas');
    canvas.width = G;
    canvas.height = H;
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

// The data as dots on a transparent canvas the size of `canvas`'s backing
// store, kept in `cache` ({}) until the data, the bounds or the size
// change: thousands of dots are drawn once, not at every snapshot.
function dataDots(cache, canvas, bounds, data, colour) {
  const { width, height } = canvas;
  if (cache.data !== data || cache.bounds !== bounds || cache.width !== width || cache.height !== height) {
    const layer = cache.layer ?? document.createElement('canvas');
    layer.width = width;
    layer.height = height;
    const ctx = layer.getContext('2d');
    const dpr = width / Math.max(1, canvas.clientWidth);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const area = plotArea(canvas.clientWidth, canvas.clientHeight);
    const map = makeMap(area, bounds);
    clipTo(ctx, area);
    // Smaller dots on a phone, or 4500 of them merge into a blot.
    const dot = canvas.clientWidth < 500 ? 1.5 : 2;
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
export function drawMain(canvas, view) {
  const { ctx, width, height } = fitCanvas(canvas);
  const { bounds: b, data, snapshot, density, layers, probeX } = view;
  if (!b) return;
  const area = plotArea(width, height);
  const map = makeMap(area, b);
  const colours = palette(canvas);

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
    ctx.drawImage(dataDots(view.cache, canvas, b, data, colours.data), 0, 0, width, height);
  }
  ctx.save();
  clipTo(ctx, area);
  const sampleDot = width < 500 ? 2 : 3;
  if (snapshot) {
    const { grid_x, samples, mse_y, mode } = snapshot;
    if (layers.samples) {
      const perX = Math.floor(samples.length / grid_x.length);
      ctx.fillStyle = colours.samples;
      for (let i = 0; i < grid_x.length; i++) {
        const px = map.x(grid_x[i]);
        for (let j = 0; j < perX; j++) {
          const v = samples[i * perX + j];
          if (Number.isFinite(v)) ctx.fillRect(px - sampleDot / 2, map.y(v) - sampleDot / 2, sampleDot, sampleDot);
        }
      }
    }
    ctx.lineJoin = 'round';
    if (layers.fit && mse_y.length > 0) {
      ctx.strokeStyle = colours.line;
      ctx.lineWidth = 2.5;
      polyline(ctx, map, grid_x, mse_y);
    }
    if (layers.mode) {
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

// The weights π_k(x), one line per component, on the data plot's x axis.
export function drawPi(canvas, bounds, snapshot) {
  const { ctx, width, height } = fitCanvas(canvas);
  if (!bounds) return;
  const area = plotArea(width, height);
  const b = { x0: bounds.x0, x1: bounds.x1, y0: 0, y1: 1 };
  const map = makeMap(area, b);
  drawAxes(ctx, palette(canvas), area, map, b, { x: 'x', y: 'π' });
  if (!snapshot) return;
  const { grid_x, pi, components: K } = snapshot;
  ctx.save();
  clipTo(ctx, area);
  ctx.lineWidth = 1.75;
  ctx.lineJoin = 'round';
  for (let k = 0; k < K; k++) {
    ctx.strokeStyle = componentColour(k);
    const ys = grid_x.map((_, g) => pi[g * K + k]);
    polyline(ctx, map, grid_x, ys);
  }
  ctx.restore();
}

// The means μ_k(x) with a ±σ_k(x) band, each as opaque at each x as the
// component's weight π_k(x) there, so dead components fade: one band and
// one line per component, shaded by a gradient along x with a stop at each
// grid x. (A path per segment and opacity level, thousands of small fills,
// cost the compositor over 100 ms a frame.)
export function drawMu(canvas, bounds, snapshot) {
  const { ctx, width, height } = fitCanvas(canvas);
  if (!bounds) return;
  const area = plotArea(width, height);
  const map = makeMap(area, bounds);
  drawAxes(ctx, palette(canvas), area, map, bounds, { x: 'x', y: 'μ ± σ' });
  if (!snapshot) return;
  const { grid_x, pi, mu, sigma, components: K } = snapshot;
  const G = grid_x.length;
  ctx.save();
  clipTo(ctx, area);
  ctx.lineWidth = 1.75;
  ctx.lineJoin = 'round';
  const [left, right] = [map.x(grid_x[0]), map.x(grid_x[G - 1])];
  for (let k = 0; k < K; k++) {
    let heaviest = 0;
    let finite = true;
    for (let g = 0; g < G; g++) {
      const i = g * K + k;
      heaviest = Math.max(heaviest, pi[i]);
      finite &&= Number.isFinite(mu[i]) && Number.isFinite(sigma[i]) && Number.isFinite(pi[i]);
    }
    if (heaviest < 0.02 || !finite) continue;
    // A stop every few grid points is as smooth to the eye, and colour
    // stops are parsed strings.
    const fade = (scale) => {
      const gradient = ctx.createLinearGradient(left, 0, right, 0);
      for (let g = 0; g < G; g += G > 60 ? 4 : 1) {
        gradient.addColorStop(g / (G - 1), componentColour(k, scale * pi[g * K + k]));
      }
      gradient.addColorStop(1, componentColour(k, scale * pi[(G - 1) * K + k]));
      return gradient;
    };
    const band = new Path2D();
    const line = new Path2D();
    for (let g = 0; g < G; g++) {
      const i = g * K + k;
      const px = map.x(grid_x[g]);
      if (g === 0) {
        band.moveTo(px, map.y(mu[i] + sigma[i]));
        line.moveTo(px, map.y(mu[i]));
      } else {
        band.lineTo(px, map.y(mu[i] + sigma[i]));
        line.lineTo(px, map.y(mu[i]));
      }
    }
    for (let g = G - 1; g >= 0; g--) {
      const i = g * K + k;
      band.lineTo(map.x(grid_x[g]), map.y(mu[i] - sigma[i]));
    }
    band.closePath();
    ctx.fillStyle = fade(0.22);
    ctx.fill(band);
    ctx.strokeStyle = fade(1);
    ctx.stroke(line);
  }
  ctx.restore();
}

// The conditional density p(y | x₀) over y, each component's weighted
// density π_k N(y; μ_k, σ_k²) under it, and the data within a sliver of
// x₀ as a rug along the y axis.
export function drawProbe(canvas, bounds, snapshot, data) {
  const { ctx, width, height } = fitCanvas(canvas);
  const probe = snapshot?.probe;
  if (!bounds || !probe) {
    // Until a probe is set, say how to set one where its curve will be.
    ctx.fillStyle = palette(canvas).muted;
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
  const colours = palette(canvas);
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
export function drawNll(canvas, history) {
  const { ctx, width, height } = fitCanvas(canvas);
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
  const colours = palette(canvas);
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
