// What the reader does on the toy's data plot: the probe (the x₀ a click,
// the pointer or the arrow keys set, at which the panels show
// p(y | x₀)) and, with the data set "draw", the points sprayed on it, which
// go to the worker as the reader draws.

import './protocol.js';
import { plotArea } from './plot.js';
import { LIMITS } from './settings.js';

const P = globalThis.MdnProtocol;

// The drawing canvas's rectangle, in the units drawn points get.
export const DRAW_BOUNDS = { x0: 0, x1: 10, y0: 0, y1: 10 };
// Points sprayed per pointer event, and their spread (a fraction of the
// plot's span).
const SPRAY_POINTS = 3;
const SPRAY_SPREAD = 0.012;
// While a stroke goes on, its points go to the worker at most this often.
const SEND_EVERY_MS = 600;

export class ToyInteraction {
  drawn = { x: [], y: [] };
  #stroke = null; // {pointerId, lastSent} while the reader draws
  #pinnedX = null; // the probe a click or the keys set
  #hoverX = null; // the probe under the pointer
  #sentProbe = null;
  #probeFrame = 0;

  // `toy`: {controls, model, send, progress}, the toy's other parts.
  constructor(toy) {
    this.toy = toy;
    this.main = toy.controls.$('toy-canvas');
    this.hint = toy.controls.$('toy-draw-hint');
    bindPointer(this);
  }

  // The probe: the pointer's x while it is over the plot, else the pinned
  // one.
  probeX() {
    return this.#hoverX ?? this.#pinnedX;
  }

  // The drawing mode's hint: how many points there are, and what to do.
  updateDrawHint() {
    const n = this.drawn.x.length;
    const { min, max } = LIMITS.toyPoints;
    this.hint.textContent =
      n === 0
        ? 'Drag on the plot to spray points; the MDN trains on them as you draw.'
        : n < min
          ? `${n} points: draw at least ${min}.`
          : `${n} points${n >= max ? ' (the most there can be)' : ''}.`;
  }

  // Drawing on a touch screen must not scroll the page.
  setDrawing(on) {
    this.toy.controls.$('toy-draw-controls').hidden = !on;
    this.main.classList.toggle('drawing', on);
    if (on) this.updateDrawHint();
  }

  clear() {
    this.drawn.x = [];
    this.drawn.y = [];
    this.toy.model.showPoints();
    this.sendPoints();
  }

  sendPoints() {
    if (this.#stroke) this.#stroke.lastSent = performance.now();
    this.updateDrawHint();
    this.toy.progress({ points: this.drawn.x.length });
    this.toy.model.awaitNewModel();
    const x = Float32Array.from(this.drawn.x);
    const y = Float32Array.from(this.drawn.y);
    this.toy.send({ type: P.TOY_POINTS, x, y, bounds: DRAW_BOUNDS }, [x.buffer, y.buffer]);
  }

  // In a newly created toy: the drawn points and the probe again.
  resend() {
    if (this.toy.controls.drawing() && this.drawn.x.length > 0) this.sendPoints();
    this.#sentProbe = null;
    this.updateProbe();
  }

  // The plot's x (and y) under a pointer event, data units.
  pointerData(event) {
    const rect = this.main.getBoundingClientRect();
    const area = plotArea(rect.width, rect.height);
    const b = this.toy.model.bounds;
    const u = (event.clientX - rect.left - area.left) / area.w;
    const v = (event.clientY - rect.top - area.top) / area.h;
    return { x: b.x0 + u * (b.x1 - b.x0), y: b.y1 - v * (b.y1 - b.y0), inside: u >= 0 && u <= 1 && v >= 0 && v <= 1 };
  }

  spray(event) {
    const { max } = LIMITS.toyPoints;
    const b = DRAW_BOUNDS;
    const { drawn } = this;
    // Every position the pointer passed since the last event: the browser
    // sends one pointermove per frame, and a finger moves far in one.
    for (const move of event.getCoalescedEvents?.() ?? [event]) {
      const at = this.pointerData(move);
      if (!at.inside) continue;
      for (let i = 0; i < SPRAY_POINTS && drawn.x.length < max; i++) {
        // Box–Muller: a Gaussian cloud around the pointer, kept on the canvas.
        const r = Math.sqrt(-2 * Math.log(1 - Math.random()));
        const t = 2 * Math.PI * Math.random();
        const x = at.x + SPRAY_SPREAD * (b.x1 - b.x0) * r * Math.cos(t);
        const y = at.y + SPRAY_SPREAD * (b.y1 - b.y0) * r * Math.sin(t);
        if (x < b.x0 || x > b.x1 || y < b.y0 || y > b.y1) continue;
        drawn.x.push(x);
        drawn.y.push(y);
      }
    }
    this.updateDrawHint();
    this.toy.progress({ points: drawn.x.length });
    this.toy.model.showPoints();
  }

  // Shows the probe, and sends it to the worker at most once per frame.
  updateProbe() {
    const panels = () => this.toy.controls.panelsOn();
    const x = panels() ? this.probeX() : null;
    this.toy.progress({ probeX: x === null ? null : Number(x.toPrecision(6)) });
    this.toy.model.showDisplay();
    if (this.#probeFrame) return;
    this.#probeFrame = requestAnimationFrame(() => {
      this.#probeFrame = 0;
      const current = panels() ? this.probeX() : null;
      if (current === this.#sentProbe) return;
      this.#sentProbe = current;
      this.toy.send({ type: P.TOY_PROBE, x: current });
    });
  }

  // A new model's plot: a pinned probe outside its `bounds` goes.
  keepProbeWithin(bounds) {
    const x = this.#pinnedX;
    if (x !== null && bounds && (x < bounds.x0 || x > bounds.x1)) {
      this.#pinnedX = null;
      this.updateProbe();
    }
  }

  pointerDown(event) {
    if (!this.toy.model.bounds) return;
    if (this.toy.controls.drawing()) {
      this.main.setPointerCapture(event.pointerId);
      this.#stroke = { pointerId: event.pointerId, lastSent: performance.now() };
      this.spray(event);
      event.preventDefault();
      return;
    }
    const at = this.pointerData(event);
    if (!at.inside) return;
    this.#pinnedX = at.x;
    this.updateProbe();
  }

  pointerMove(event) {
    if (!this.toy.model.bounds) return;
    const stroke = this.#stroke;
    if (stroke && event.pointerId === stroke.pointerId) {
      this.spray(event);
      if (performance.now() - stroke.lastSent > SEND_EVERY_MS) this.sendPoints();
      return;
    }
    // Touch has no hover: a finger probes by tapping.
    if (event.pointerType === 'touch') return;
    const at = this.pointerData(event);
    this.#hoverX = at.inside ? at.x : null;
    this.updateProbe();
  }

  endStroke(event) {
    if (!this.#stroke || event.pointerId !== this.#stroke.pointerId) return;
    this.#stroke = null;
    this.sendPoints();
  }

  pointerLeave() {
    if (this.#hoverX === null) return;
    this.#hoverX = null;
    this.updateProbe();
  }

  keyDown(event) {
    const bounds = this.toy.model.bounds;
    if (!bounds) return;
    const span = bounds.x1 - bounds.x0;
    const step = (event.shiftKey ? 0.1 : 0.01) * span;
    const start = this.#pinnedX ?? (bounds.x0 + bounds.x1) / 2;
    if (event.key === 'ArrowLeft') this.#pinnedX = Math.max(bounds.x0, start - step);
    else if (event.key === 'ArrowRight') this.#pinnedX = Math.min(bounds.x1, start + step);
    else if (event.key === 'Escape') this.#pinnedX = null;
    else return;
    event.preventDefault();
    this.updateProbe();
  }
}

function bindPointer(interaction) {
  const { main } = interaction;
  main.addEventListener('pointerdown', (event) => interaction.pointerDown(event));
  main.addEventListener('pointermove', (event) => interaction.pointerMove(event));
  main.addEventListener('pointerup', (event) => interaction.endStroke(event));
  main.addEventListener('pointercancel', (event) => interaction.endStroke(event));
  main.addEventListener('pointerleave', () => interaction.pointerLeave());
  main.addEventListener('keydown', (event) => interaction.keyDown(event));
}
