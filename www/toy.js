// The sinusoid-inversion demo's view: a scatter plot (data, MDN samples,
// least-squares fit) and the NLL curve. It only draws what the worker sends;
// the root element's data-* attributes mirror the live state for tests and
// for anyone poking at the page.

// Past this many points the NLL history is thinned by half, so a long run
// keeps drawing in constant time.
const MAX_HISTORY = 4000;

export function createToy(root, { onRestart }) {
  const scatter = root.querySelector('#toy-canvas');
  const curve = root.querySelector('#toy-nll');
  const status = root.querySelector('#toy-status');
  const restart = root.querySelector('#toy-restart');

  let data = null; // {x, y, bounds}
  let snapshot = null; // latest {step, nll, grid_x, samples, mse_y}
  let history = []; // [step, nll] pairs
  let stride = 1; // keep one snapshot in `stride` once thinned
  let seen = 0;
  // Snapshots of the old model can still be in flight after Restart: ignore
  // them until the worker confirms the new model by sending its data.
  let pendingRestarts = 0;
  let frame = 0;

  restart.addEventListener('click', () => {
    pendingRestarts += 1;
    delete root.dataset.step;
    delete root.dataset.nll;
    status.textContent = 'restarting…';
    onRestart();
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

  return {
    setData({ seed, x, y }) {
      pendingRestarts = Math.max(0, pendingRestarts - 1);
      data = { x, y, bounds: boundsOf(x, y) };
      snapshot = null;
      history = [];
      stride = 1;
      seen = 0;
      root.dataset.seed = String(seed);
      root.dataset.step = '0';
      delete root.dataset.nll;
      status.textContent = 'step 0';
      scheduleDraw();
    },

    setSnapshot(s) {
      if (pendingRestarts > 0 || !data) return;
      snapshot = s;
      root.dataset.step = String(s.step);
      root.dataset.nll = String(s.nll);
      status.textContent = `step ${s.step} · NLL ${formatNll(s.nll)}`;
      if (Number.isFinite(s.nll) && seen++ % stride === 0) {
        history.push([s.step, s.nll]);
        if (history.length > MAX_HISTORY) {
          history = history.filter((_, i) => i % 2 === 0);
          stride *= 2;
        }
      }
      scheduleDraw();
    },

    fail(message) {
      root.dataset.error = message;
      status.textContent = `stopped: ${message}`;
    },
  };
}

function formatNll(nll) {
  return Number.isFinite(nll) ? nll.toFixed(3) : String(nll);
}

function boundsOf(x, y) {
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

// Read once: the stylesheet does not change while the page runs.
const colours = new Map();
function cssColour(name) {
  if (!colours.has(name)) {
    colours.set(name, getComputedStyle(document.documentElement).getPropertyValue(name).trim());
  }
  return colours.get(name);
}

// Sizes the backing store to the displayed size times devicePixelRatio so
// dots stay crisp, and lets the drawing code work in CSS pixels.
function fitCanvas(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
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
function tickStep(span, count) {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return power * (unit < 1.5 ? 1 : unit < 3.5 ? 2 : unit < 7.5 ? 5 : 10);
}

function drawAxes(ctx, area, map, bounds, labels) {
  const muted = cssColour('--muted');
  ctx.save();
  ctx.strokeStyle = cssColour('--rule');
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

function formatTick(v, step) {
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  const text = v.toFixed(Math.min(digits, 6));
  return text === '-0' ? '0' : text;
}

function plotArea(width, height) {
  const left = 38;
  const top = 8;
  const right = 8;
  const bottom = 22;
  return { left, top, w: Math.max(1, width - left - right), h: Math.max(1, height - top - bottom) };
}

function makeMap(area, b) {
  return {
    x: (v) => area.left + ((v - b.x0) / (b.x1 - b.x0)) * area.w,
    y: (v) => area.top + (1 - (v - b.y0) / (b.y1 - b.y0)) * area.h,
  };
}

function drawScatter(canvas, data, snapshot) {
  const { ctx, width, height } = fitCanvas(canvas);
  if (!data) return;
  const b = data.bounds;
  const area = plotArea(width, height);
  const map = makeMap(area, b);
  drawAxes(ctx, area, map, b, { x: 'x', y: 'y' });

  ctx.save();
  ctx.beginPath();
  ctx.rect(area.left, area.top, area.w, area.h);
  ctx.clip();

  // Smaller dots on a phone, or 4500 of them merge into a blot.
  const dot = width < 500 ? 1.5 : 2;
  const sampleDot = width < 500 ? 2 : 3;
  ctx.fillStyle = cssColour('--data-colour');
  for (let i = 0; i < data.x.length; i++) {
    ctx.fillRect(map.x(data.x[i]) - dot / 2, map.y(data.y[i]) - dot / 2, dot, dot);
  }

  if (snapshot) {
    const { grid_x, samples, mse_y } = snapshot;
    const perX = Math.floor(samples.length / grid_x.length);
    ctx.fillStyle = cssColour('--samples-colour');
    for (let i = 0; i < grid_x.length; i++) {
      const px = map.x(grid_x[i]);
      for (let j = 0; j < perX; j++) {
        const v = samples[i * perX + j];
        if (Number.isFinite(v)) ctx.fillRect(px - sampleDot / 2, map.y(v) - sampleDot / 2, sampleDot, sampleDot);
      }
    }

    ctx.strokeStyle = cssColour('--line-colour');
    ctx.lineWidth = 2.5;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    for (let i = 0; i < grid_x.length; i++) {
      const px = map.x(grid_x[i]);
      const py = map.y(mse_y[i]);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
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
  drawAxes(ctx, area, map, b, null);

  ctx.save();
  ctx.strokeStyle = cssColour('--nll-colour');
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
