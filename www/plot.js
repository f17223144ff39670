// Plotting helpers for the demos' 2D canvases: crisp canvases at any
// pixel ratio, the plot area, data-to-pixel maps, round ticks, axes, and
// the colours (custom properties of demo-style.js, so an HTML legend and the
// drawing cannot disagree). The panels themselves live with their demo's
// view (toy-plots.js). Everything but `palette` also runs in a worker
// (plot-worker.js), on OffscreenCanvases: no DOM.

export function boundsOf(x, y) {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < x.length; i++) {
    if (x[i] < x0) x0 = x[i];
    if (x[i] > x1) x1 = x[i];
    if (y[i] < y0) y0 = y[i];
    if (y[i] > y1) y1 = y[i];
  }
  const px = 0.04 * (x1 - x0 || 1);
  const py = 0.06 * (y1 - y0 || 1);
  return { x0: x0 - px, x1: x1 + px, y0: y0 - py, y1: y1 + py };
}

// The plot colours are custom properties of demo-style.js, so the HTML legend and
// the drawing cannot disagree; read on the page, where the stylesheet is
// (plot-link.js reads them again whenever a canvas is resized, which is
// also when the stylesheet has loaded), and drawn wherever the plots are.
export function palette(element) {
  const style = getComputedStyle(element);
  const get = (name) => style.getPropertyValue(name).trim();
  return {
    muted: get('--muted'),
    rule: get('--rule'),
    data: get('--data-colour'),
    samples: get('--samples-colour'),
    line: get('--line-colour'),
    nll: get('--nll-colour'),
    mode: get('--mode-colour'),
    ink: get('--ink'),
  };
}

// A CSS colour as [r, g, b, a] (0–255, alpha 0–1), for what is drawn in
// JS (raster.js). The canvas parses it: its fillStyle reads back as
// #rrggbb or rgba(r, g, b, a).
const parsed = new Map();
let parser = null;
export function rgbaOf(colour) {
  let rgba = parsed.get(colour);
  if (rgba) return rgba;
  parser ??= newCanvas(1, 1).getContext('2d');
  parser.fillStyle = '#000';
  parser.fillStyle = colour;
  const style = parser.fillStyle;
  const numbers = style.startsWith('#')
    ? [1, 3, 5].map((i) => parseInt(style.slice(i, i + 2), 16)).concat(1)
    : style.match(/[\d.]+/g).map(Number);
  rgba = [numbers[0], numbers[1], numbers[2], numbers[3] ?? 1];
  parsed.set(colour, rgba);
  return rgba;
}

// A canvas `width` × `height` pixels that draws off the page: an
// OffscreenCanvas wherever there is one (a worker has no document).
export function newCanvas(width, height) {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height);
  return Object.assign(document.createElement('canvas'), { width, height });
}

// A plot to draw: `canvas` (a canvas or an OffscreenCanvas) shown `width` ×
// `height` CSS pixels, drawn at `ratio` backing pixels per CSS pixel
// (resolution.js: the screen's devicePixelRatio, at most 2, lower on a
// device too slow for it), in `colours` (palette).
//
// Sizes the target's backing store to its displayed size times its ratio,
// so dots stay crisp, clears it, and lets the drawing code work in CSS
// pixels.
export function fitCanvas({ canvas, width, height, ratio: dpr }) {
  const w = Math.max(1, Math.round(width * dpr));
  const h = Math.max(1, Math.round(height * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return { ctx, width, height };
}

// Round tick spacing (1, 2 or 5 × 10^k) giving about `count` ticks.
export function tickStep(span, count) {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return power * (unit < 1.5 ? 1 : unit < 3.5 ? 2 : unit < 7.5 ? 5 : 10);
}

export function drawAxes(ctx, colours, area, map, bounds, labels) {
  const muted = colours.muted;
  ctx.save();
  ctx.strokeStyle = colours.rule;
  ctx.fillStyle = muted;
  ctx.lineWidth = 1;
  ctx.font = '11px system-ui, sans-serif';

  const xs = tickStep(bounds.x1 - bounds.x0, Math.max(2, area.w / 80));
  ctx.textBaseline = 'top';
  const right = area.left + area.w;
  for (let v = Math.ceil(bounds.x0 / xs) * xs; v <= bounds.x1; v += xs) {
    const px = map.x(v);
    ctx.beginPath();
    ctx.moveTo(px, area.top);
    ctx.lineTo(px, area.top + area.h);
    ctx.stroke();
    // A label centred on a tick near the right edge would be cut off.
    const text = formatTick(v, xs);
    const overhang = px + ctx.measureText(text).width / 2 > right + 6;
    ctx.textAlign = overhang ? 'right' : 'center';
    ctx.fillText(text, overhang ? right + 6 : px, area.top + area.h + 4);
  }

  const ys = tickStep(bounds.y1 - bounds.y0, Math.max(2, area.h / 50));
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let v = Math.ceil(bounds.y0 / ys) * ys; v <= bounds.y1; v += ys) {
    const py = map.y(v);
    ctx.beginPath();
    ctx.moveTo(area.left, py);
    ctx.lineTo(area.left + area.w, py);
    ctx.stroke();
    ctx.fillText(formatTick(v, ys), area.left - 5, py);
  }

  if (labels) {
    ctx.font = 'italic 12px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    ctx.fillText(labels.x, area.left + area.w - 3, area.top + area.h - 3);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(labels.y, area.left + 4, area.top + 3);
  }
  ctx.restore();
}

export function formatTick(v, step) {
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  const text = v.toFixed(Math.min(digits, 6));
  // A tick that should be 0 can come out a hair below it (-0.0).
  return /^-0(\.0+)?$/.test(text) ? text.slice(1) : text;
}

export function plotArea(width, height) {
  const left = 38;
  const top = 8;
  const right = 8;
  const bottom = 22;
  return { left, top, w: Math.max(1, width - left - right), h: Math.max(1, height - top - bottom) };
}

export function makeMap(area, b) {
  return {
    x: (v) => area.left + ((v - b.x0) / (b.x1 - b.x0)) * area.w,
    y: (v) => area.top + (1 - (v - b.y0) / (b.y1 - b.y0)) * area.h,
  };
}
