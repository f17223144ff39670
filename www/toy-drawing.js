// What one toy's plots show and when they are redrawn: the plots' side of
// plot-protocol.js. It keeps the latest snapshot, the points, the NLL
// curve and what is shown, and queues each canvas's redraw (draw-queue.js)
// whenever one of them changes. It runs in the plot worker
// (plot-worker.js), or on the page where a browser cannot draw in a worker
// (plot-link.js); either way with no DOM.

import { forgetDraws, plotRatio, requestDraw, setScreenRatio } from './draw-queue.js';
import { PLOT } from './plot-protocol.js';
import { warmUp } from './raster.js';
import { densityImage, drawMain, drawMu, drawNll, drawPi, drawProbe } from './toy-plots.js';

// Past this many points the NLL history is thinned by half, so a long run
// keeps drawing in constant time.
const MAX_HISTORY = 4000;

// The panels' JS drawing (raster.js) is warmed up once where it runs,
// when a first model is on its way: not for a demo never scrolled to.
let warm = false;

export class ToyDrawing {
  // `canvases`: {main, pi, mu, probe, nll}, each a canvas or an
  // OffscreenCanvas; `post(message)` answers the page (LEGEND).
  constructor(canvases, post) {
    this.canvases = canvases;
    this.post = post;
    this.sizes = {}; // canvas name -> {width, height}, CSS pixels
    this.colours = null; // plot.js's palette
    this.bounds = null; // the plot's rectangle
    this.points = null; // {x, y} the data plot shows
    this.display = { layers: {}, panels: true, probeX: null };
    this.dotCache = {}; // the data's dots, drawn once (toy-plots.js)
    this.resetModel();
  }

  resetModel() {
    this.snapshot = null;
    this.density = null; // the heat map (densityImage) of `snapshot`, made when drawn
    this.history = []; // [step, nll] pairs
    this.stride = 1; // keep one snapshot in `stride` once thinned
    this.seen = 0;
  }

  receive(msg) {
    if (msg.type === PLOT.SIZE) {
      this.sizes[msg.name] = { width: msg.width, height: msg.height };
      this.colours = msg.colours;
      setScreenRatio(msg.screenRatio);
    } else if (msg.type === PLOT.MODEL) {
      if (!warm) {
        warm = true;
        warmUp();
      }
      this.bounds = msg.bounds;
      this.resetModel();
    } else if (msg.type === PLOT.POINTS) {
      this.points = { x: msg.x, y: msg.y };
    } else if (msg.type === PLOT.SNAPSHOT) {
      this.addSnapshot(msg.snapshot);
    } else if (msg.type === PLOT.DISPLAY) {
      this.display = { layers: msg.layers, panels: msg.panels, probeX: msg.probeX };
    } else {
      return;
    }
    this.schedule();
  }

  addSnapshot(s) {
    this.snapshot = s;
    if (Number.isFinite(s.nll) && this.seen++ % this.stride === 0) {
      this.history.push([s.step, s.nll]);
      if (this.history.length > MAX_HISTORY) {
        this.history = this.history.filter((_, i) => i % 2 === 0);
        this.stride *= 2;
      }
    }
  }

  // Canvas `name` as toy-plots.js draws it, or null before its size and
  // colours are known.
  target(name) {
    const size = this.sizes[name];
    if (!size || !this.colours) return null;
    return { canvas: this.canvases[name], ...size, ratio: plotRatio(), colours: this.colours };
  }

  // Each canvas is drawn at most once per animation frame however fast
  // snapshots arrive, in the one draw queue (draw-queue.js).
  schedule() {
    const { canvases } = this;
    const draw = (name, f) =>
      requestDraw(canvases[name], () => {
        const target = this.target(name);
        if (target) f(target);
      });
    const { layers, panels, probeX } = this.display;
    draw('main', (target) => {
      // The heat map of the snapshot about to be drawn, made here rather
      // than when it arrives: on a slow phone snapshots come faster than
      // frames, and those never drawn cost nothing.
      const { snapshot } = this;
      if (snapshot && snapshot.log_density.length > 0 && this.density?.snapshot !== snapshot) {
        this.density = { ...densityImage(snapshot, this.density), snapshot };
        this.post({ type: PLOT.LEGEND, lo: this.density.lo, hi: this.density.hi });
      } else if (!snapshot || snapshot.log_density.length === 0) {
        this.density = null;
      }
      const visible = { ...layers, density: panels && layers.density, mode: panels && layers.mode };
      drawMain(target, {
        bounds: this.bounds,
        data: this.points,
        snapshot,
        density: this.density,
        layers: visible,
        probeX: panels ? probeX : null,
        cache: this.dotCache,
      });
    });
    if (panels) {
      draw('pi', (target) => drawPi(target, this.bounds, this.snapshot));
      draw('mu', (target) => drawMu(target, this.bounds, this.snapshot));
      draw('probe', (target) => drawProbe(target, this.bounds, this.snapshot, this.points));
    }
    draw('nll', (target) => drawNll(target, this.history));
  }

  // Drops this toy's draws (DETACH).
  close() {
    forgetDraws(Object.values(this.canvases));
  }
}
