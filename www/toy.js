// The sinusoid-inversion demo's view inside an <mdn-demo kind="toy">: a
// scatter plot (data, MDN samples, least-squares fit), the NLL curve and the
// sampling temperatures τπ and τσ. It only draws what the worker sends and
// forwards the reader's actions; www/mdn-demo.js owns the element, the link
// to the worker and the live data-* state.

import './protocol.js';
import { readSettings } from './attributes.js';
import { boundsOf, drawAxes, fitCanvas, makeMap, palette, plotArea } from './plot.js';
import { bindTemperatureSliders, temperatureSliders } from './temperature-sliders.js';

const P = globalThis.MdnProtocol;

// Past this many points the NLL history is thinned by half, so a long run
// keeps drawing in constant time.
const MAX_HISTORY = 4000;

const TEMPLATE = `
  <div class="toolbar">
    <button id="toy-restart" type="button">Restart</button>
    <span id="toy-status" class="status" aria-live="off">starts when scrolled into view</span>
  </div>
  <div class="controls">${temperatureSliders('toy', 'toy')}
  </div>
  <p id="toy-message" class="message message-error" role="alert" hidden></p>
  <p id="toy-recovery" class="message message-notice" role="status" hidden></p>
  <div class="toy-plots">
    <figure class="plot">
      <ul class="legend" aria-label="legend">
        <li><span class="swatch swatch-data"></span>data</li>
        <li><span class="swatch swatch-samples"></span>MDN samples (10 per <var>x</var>)</li>
        <li><span class="swatch swatch-line"></span>least-squares fit</li>
      </ul>
      <canvas id="toy-canvas" class="toy-canvas" role="img"
        aria-label="Scatter plot of the data, samples drawn from the MDN and the least-squares fit"></canvas>
    </figure>
    <figure class="plot">
      <figcaption>training NLL by step</figcaption>
      <canvas id="toy-nll" class="nll-canvas" role="img" aria-label="Training NLL against step"></canvas>
      <p class="plot-note">
        Each orange column is 10 draws of <var>y</var> from the mixture the MDN
        predicts at that <var>x</var>: as training goes on they settle onto every
        branch. The blue curve is the least-squares network’s answer, the average
        of the branches, often where no data lie. The temperatures change only
        how samples are drawn, not the model.
      </p>
    </figure>
  </div>`;

export function createToy(root, { host, send, progress }) {
  root.innerHTML = TEMPLATE;
  const scatter = root.querySelector('#toy-canvas');
  const curve = root.querySelector('#toy-nll');
  const status = root.querySelector('#toy-status');
  const restart = root.querySelector('#toy-restart');
  const message = root.querySelector('#toy-message');
  const recovery = root.querySelector('#toy-recovery');
  const showTau = bindTemperatureSliders(root, host, 'toy');

  let data = null; // {x, y, bounds}
  let snapshot = null; // latest {step, nll, grid_x, samples, mse_y}
  let history = []; // [step, nll] pairs
  let stride = 1; // keep one snapshot in `stride` once thinned
  let seen = 0;
  // Snapshots of the old model can still be in flight after Restart: ignore
  // them until the worker confirms the new model by sending its data.
  let pendingRestarts = 0;
  let frame = 0;
  let tau = readTau();

  function show(element, text) {
    element.textContent = text;
    element.hidden = !text;
  }

  // Reads both temperature attributes, shows them on the sliders and says
  // what was wrong with a bad one.
  function readTau() {
    const { values, errors } = readSettings(host, 'toy');
    showTau(values);
    show(message, errors.join(' '));
    return { pi: values['tau-pi'], sigma: values['tau-sigma'] };
  }

  restart.addEventListener('click', () => {
    pendingRestarts += 1;
    progress({ step: null, nll: null });
    status.textContent = 'restarting…';
    send({ type: P.TOY_RESTART });
  });

  // Redraw on resize; drawing happens at most once per animation frame
  // however fast snapshots arrive.
  new ResizeObserver(() => scheduleDraw()).observe(scatter);
  new ResizeObserver(() => scheduleDraw()).observe(curve);

  function scheduleDraw() {
    if (!frame) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        drawScatter(scatter, data, snapshot);
        drawCurve(curve, history);
      });
    }
  }

  function setData({ seed, x, y }) {
    pendingRestarts = Math.max(0, pendingRestarts - 1);
    data = { x, y, bounds: boundsOf(x, y) };
    snapshot = null;
    history = [];
    stride = 1;
    seen = 0;
    progress({ seed, step: 0, nll: null });
    status.textContent = 'step 0';
    scheduleDraw();
  }

  function setSnapshot(s) {
    if (pendingRestarts > 0 || !data) return;
    snapshot = s;
    const finite = Number.isFinite(s.nll);
    // A non-finite NLL is reported in words, never drawn or published.
    progress(finite ? { step: s.step, nll: s.nll } : { step: s.step });
    status.textContent = `step ${s.step} · NLL ${formatNll(s.nll)}`;
    if (s.recovery) {
      show(recovery, s.recovery);
      progress({ recovery: s.recovery });
    }
    if (finite && seen++ % stride === 0) {
      history.push([s.step, s.nll]);
      if (history.length > MAX_HISTORY) {
        history = history.filter((_, i) => i % 2 === 0);
        stride *= 2;
      }
    }
    scheduleDraw();
  }

  return {
    start() {
      status.textContent = 'waiting for the model…';
      send({ type: P.CREATE, kind: 'toy', tau });
    },

    receive(msg) {
      if (msg.type === P.TOY_DATA) setData(msg);
      else if (msg.type === P.TOY_SNAPSHOT) setSnapshot(msg);
    },

    settingChanged() {
      tau = readTau();
      send({ type: P.TOY_TAU, tau });
    },

    fail(text) {
      status.textContent = `stopped: ${text}`;
    },
  };
}

function formatNll(nll) {
  return Number.isFinite(nll) ? nll.toFixed(3) : 'not finite';
}

function drawScatter(canvas, data, snapshot) {
  const { ctx, width, height } = fitCanvas(canvas);
  if (!data) return;
  const b = data.bounds;
  const area = plotArea(width, height);
  const map = makeMap(area, b);
  const colours = palette(canvas);
  drawAxes(ctx, colours, area, map, b, { x: 'x', y: 'y' });

  ctx.save();
  ctx.beginPath();
  ctx.rect(area.left, area.top, area.w, area.h);
  ctx.clip();

  // Smaller dots on a phone, or 4500 of them merge into a blot.
  const dot = width < 500 ? 1.5 : 2;
  const sampleDot = width < 500 ? 2 : 3;
  ctx.fillStyle = colours.data;
  for (let i = 0; i < data.x.length; i++) {
    ctx.fillRect(map.x(data.x[i]) - dot / 2, map.y(data.y[i]) - dot / 2, dot, dot);
  }

  if (snapshot) {
    const { grid_x, samples, mse_y } = snapshot;
    const perX = Math.floor(samples.length / grid_x.length);
    ctx.fillStyle = colours.samples;
    for (let i = 0; i < grid_x.length; i++) {
      const px = map.x(grid_x[i]);
      for (let j = 0; j < perX; j++) {
        const v = samples[i * perX + j];
        if (Number.isFinite(v)) ctx.fillRect(px - sampleDot / 2, map.y(v) - sampleDot / 2, sampleDot, sampleDot);
      }
    }

    ctx.strokeStyle = colours.line;
    ctx.lineWidth = 2.5;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    // A non-finite value breaks the line rather than reaching the canvas.
    let pen = false;
    for (let i = 0; i < grid_x.length; i++) {
      if (!Number.isFinite(mse_y[i])) {
        pen = false;
        continue;
      }
      const px = map.x(grid_x[i]);
      const py = map.y(mse_y[i]);
      if (pen) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      pen = true;
    }
    ctx.stroke();
  }
  ctx.restore();
}

function drawCurve(canvas, history) {
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
  ctx.beginPath();
  history.forEach(([step, nll], i) => {
    if (i === 0) ctx.moveTo(map.x(step), map.y(nll));
    else ctx.lineTo(map.x(step), map.y(nll));
  });
  ctx.stroke();
  ctx.restore();
}
