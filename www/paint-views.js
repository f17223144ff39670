// What the painting shows (the `view` setting): the repaint's colours for
// the mode, mean and sample views, and for the uncertainty view a heat map
// of every pixel's predictive standard deviation with its colour legend.

import { VIRIDIS } from './colour-ramp.js';

// The heat map of `spread` (one standard deviation per pixel, colour units)
// as RGBA over [0, max], with max the largest finite value.
export function heatmap(spread) {
  let max = 0;
  for (const v of spread) if (Number.isFinite(v) && v > max) max = v;
  const rgba = new Uint8ClampedArray(spread.length * 4);
  for (let i = 0; i < spread.length; i++) {
    const [r, g, b] = VIRIDIS.colour(max > 0 ? spread[i] / max : 0);
    rgba.set([r, g, b, 255], i * 4);
  }
  return { rgba, max };
}

// The RGBA pixels a repaint (a PAINT_EPOCH message) has for view `name`,
// and the legend's range for the uncertainty view; null when this repaint
// was made for another view (the next one will have it).
export function viewPixels(repaint, name) {
  if (name === 'mode') return { rgba: repaint.rgba };
  if (name === 'mean') return { rgba: repaint.mean_rgba };
  if (name !== repaint.view) return null;
  if (name === 'sample') return { rgba: repaint.view_rgba };
  if (name === 'uncertainty' && repaint.spread) return heatmap(repaint.spread);
  return null;
}

// A horizontal legend bar for the heat map: the ramp from 0 to `max`
// (colour units, on a [0, 1] scale per channel).
export function legendHtml(max) {
  return `<span class="legend-bar" style="background: ${VIRIDIS.css}"></span>
    <span class="legend-labels"><span>0</span><span>${max.toFixed(3)}</span></span>
    <span class="legend-caption">predictive standard deviation (colour units, 0–1 per channel)</span>`;
}
