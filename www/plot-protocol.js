// The messages between a toy's view on the page (toy.js) and where its
// plots are drawn (toy-drawing.js): the page's plot worker
// (plot-worker.js), or the page itself where a browser cannot draw in a
// worker (plot-link.js chooses). Every message carries the toy's `id`.
// The page owns the reader's input, the text and the settings; the plots'
// side owns what is drawn, so drawing (and, in a worker, rasterising and
// committing the canvases) never holds up the page's main thread.
export const PLOT = Object.freeze({
  // Page → plots.

  // {id, canvases: {main, pi, mu, probe, nll}}: a new toy's canvases (each
  // an OffscreenCanvas from transferControlToOffscreen, or the canvas
  // itself on the page).
  ATTACH: 'plot-attach',
  // {id}: the toy is gone (its demo changed kind): its canvases are dropped.
  DETACH: 'plot-detach',
  // {id, name, width, height, screenRatio, colours}: canvas `name` is shown
  // `width` × `height` CSS pixels on a screen of devicePixelRatio
  // `screenRatio`, in `colours` (plot.js's palette: the stylesheet's).
  SIZE: 'plot-size',
  // {id, bounds: {x0, x1, y0, y1} | null}: a new model, or none, on this
  // rectangle (data units); the last one's snapshot and NLL curve go.
  MODEL: 'plot-model',
  // {id, x, y: Float32Array}: the points the data plot shows (the model's
  // data, or the reader's drawing as it grows).
  POINTS: 'plot-points',
  // {id, snapshot}: a TOY_SNAPSHOT of the current model (protocol.js), its
  // arrays transferred.
  SNAPSHOT: 'plot-snapshot',
  // {id, layers: {density, data, samples, fit, mode}: boolean, panels:
  // boolean, probeX: number | null}: what is shown.
  DISPLAY: 'plot-display',

  // Plots → page.

  // {id, lo, hi}: the range of log p(y | x) (nats) the density's colours
  // span, for its legend.
  LEGEND: 'plot-legend',
});
