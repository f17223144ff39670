// The toy's running model as the page knows it: its data, the plot's
// rectangle and its latest step, the new models asked for and not yet
// come, what arrives for it (TOY_DATA, TOY_SNAPSHOT, TOY_ERROR), and what
// its plots are told to show (plot-protocol.js). The canvases are drawn
// elsewhere (plot-link.js: in the plot worker where the browser can).

import './protocol.js';
import { linkPlots } from './plot-link.js';
import { PLOT } from './plot-protocol.js';
import { LIMITS } from './settings.js';
import { DRAW_BOUNDS } from './toy-interaction.js';
import { OPTIONS } from './toy-controls.js';

const P = globalThis.MdnProtocol;

// A component is in use where its weight π_k, averaged over the plot's x,
// is above this: one the model has all but switched off stays below.
const IN_USE = 0.01;

export class ToyModel {
  data = null; // {x, y} of the running model
  bounds = null; // the plot's rectangle
  step = 0; // the latest snapshot's step
  // Snapshots of an old model can still be in flight after a restart:
  // ignore them until the worker confirms the new model with TOY_DATA.
  pendingRestarts = 0;

  // `toy`: {controls, interaction, life, send, progress}, the toy's other
  // parts.
  constructor(toy) {
    this.toy = toy;
    const { $, text } = toy.controls;
    // The plots, drawn where plot-link.js chose; they answer with the
    // density's range for its legend.
    this.plots = linkPlots(
      { main: $('toy-canvas'), pi: $('toy-pi'), mu: $('toy-mu'), probe: $('toy-probe'), nll: $('toy-nll') },
      (answer) => {
        if (answer.type !== PLOT.LEGEND) return;
        text.live($('toy-density-lo'), answer.lo.toFixed(1));
        text.live($('toy-density-hi'), answer.hi.toFixed(1));
      },
    );
  }

  // A new model is on its way: snapshots of the old one are dropped until
  // its data arrive (setData), and the old one's step and NLL, which no
  // longer describe it, are cleared.
  awaitNewModel() {
    this.pendingRestarts += 1;
    this.toy.progress({ step: null, nll: null });
  }

  restart(fields = {}) {
    if (!this.toy.life.inWorker) {
      this.toy.life.create();
      return;
    }
    this.awaitNewModel();
    this.toy.controls.setStatus('restarting…');
    this.toy.send({ type: P.TOY_RESTART, ...fields });
  }

  // What the data plot shows: the reader's points while drawing, else the
  // model's data. The plots get a copy: the page keeps drawing into its own.
  showPoints() {
    const points = this.toy.controls.drawing() ? this.toy.interaction.drawn : this.data;
    this.plots.send({
      type: PLOT.POINTS,
      x: points ? Float32Array.from(points.x) : new Float32Array(0),
      y: points ? Float32Array.from(points.y) : new Float32Array(0),
    });
  }

  // Which layers and panels are shown, and the probe.
  showDisplay() {
    const { controls, interaction } = this.toy;
    const [layers, panels] = [{ ...controls.layers }, controls.panelsOn()];
    this.plots.send({ type: PLOT.DISPLAY, layers, panels, probeX: interaction.probeX() });
  }

  // A new model (or none) on `bounds`: the old one's snapshot and NLL
  // curve go.
  showModel() {
    this.plots.send({ type: PLOT.MODEL, bounds: this.bounds });
    this.showPoints();
  }

  receive(msg) {
    if (msg.type === P.TOY_DATA) this.setData(msg);
    else if (msg.type === P.TOY_SNAPSHOT) this.setSnapshot(msg);
    else if (msg.type === P.TOY_ERROR) {
      const { controls, interaction } = this.toy;
      // Too few drawn points is what the hint says already.
      if (!(controls.drawing() && interaction.drawn.x.length < LIMITS.toyPoints.min)) {
        controls.showMessage(msg.message);
      }
    }
  }

  setData({ seed, x, y, bounds: b, options: o, model, resumed }) {
    const { controls, life } = this.toy;
    // A model file the reader chose answers no restart: everything after
    // it is its own. A checkpoint answers the CREATE that brought it.
    if (resumed && !resumed.checkpoint) {
      life.adopt(controls.settings, o);
      controls.showMessage('');
    } else {
      this.pendingRestarts = Math.max(0, this.pendingRestarts - 1);
      if (this.pendingRestarts > 0) return;
    }
    const trained = x.length > 0;
    this.data = trained ? { x, y } : null;
    life.newModel();
    this.bounds = b || (controls.drawing() ? DRAW_BOUNDS : this.bounds);
    this.toy.interaction.keepProbeWithin(this.bounds);
    this.showModel();
    this.step = resumed?.step ?? 0;
    controls.$('toy-save-model').disabled = !trained;
    this.toy.progress({
      seed,
      checkpointStep: null,
      step: trained ? (resumed?.step ?? 0) : null,
      nll: null,
      points: x.length,
      data: o?.data ?? controls.settings.data,
      components: model?.components ?? null,
      hiddenUnits: model?.hidden ?? null,
    });
    const status = resumed
      ? `going on from step ${resumed.step} of ${resumed.name}`
      : trained
        ? 'step 0'
        : 'no model yet: draw some points';
    controls.setStatus(status);
    controls.describe(`Toy (${o?.data ?? controls.settings.data} data): ${status}.`);
  }

  setSnapshot(s) {
    if (this.pendingRestarts > 0 || !this.data) return;
    const { controls, progress } = this.toy;
    this.step = s.step;
    // Without the panels, a snapshot has no density (and none is drawn).
    if (s.log_density.length > 0) {
      controls.text.html(
        controls.$('toy-probe-caption'),
        s.probe
          ? `<var>p</var>(<var>y</var> | <var>x</var>₀ = ${s.probe.x.toFixed(2)}) and its ${s.components} weighted components; ticks: data near <var>x</var>₀`
          : 'click, hover or use the arrow keys on the plot to see <var>p</var>(<var>y</var> | <var>x</var>₀)',
      );
    }
    const finite = Number.isFinite(s.nll);
    // A non-finite NLL is reported in words, never drawn or published.
    const fields = { step: s.step, learningRate: s.learning_rate };
    progress(finite ? { ...fields, nll: s.nll } : fields);
    controls.text.live(controls.status, `step ${s.step} · NLL ${formatNll(s.nll)}`);
    controls.describe(describeSnapshot(s, controls.settings.data));
    if (s.recovery) {
      controls.showRecovery(s.recovery);
      progress({ recovery: s.recovery });
    }
    // Its arrays go to the plots, not copied: the page reads none of them.
    this.plots.send({ type: PLOT.SNAPSHOT, snapshot: s }, buffersOf(s));
  }

  // Any setting: what is shown changes at once; a model's option starts
  // another model.
  settingChanged() {
    const { controls, interaction, send } = this.toy;
    const before = controls.modelOptions();
    controls.reread();
    const after = controls.modelOptions();
    send({ type: P.TOY_DISPLAY, ...controls.display() });
    controls.showPanels();
    interaction.updateProbe();
    if (OPTIONS.every((name) => before[name] === after[name])) return;
    interaction.setDrawing(controls.drawing());
    if (controls.drawing() && before.data !== 'draw') {
      this.bounds = DRAW_BOUNDS;
      this.data = null;
      this.showModel();
    }
    this.restart({ options: after });
  }
}

// The distinct buffers of a snapshot's arrays (a transfer list must not
// name one twice).
function buffersOf(snapshot) {
  const buffers = new Set();
  for (const value of [...Object.values(snapshot), ...Object.values(snapshot.probe ?? {})]) {
    if (ArrayBuffer.isView(value)) buffers.add(value.buffer);
  }
  return [...buffers];
}

// Snapshot `s` of a toy trained on data set `data`, in words: the plots'
// text alternative.
function describeSnapshot(s, data) {
  const shown = `Toy (${data} data): step ${s.step}, NLL ${formatNll(s.nll)}`;
  const inUse = componentsInUse(s.pi, s.components);
  return inUse === null
    ? `${shown}, ${s.components} components.`
    : `${shown}, ${inUse} of ${s.components} components in use (mean weight π above ${IN_USE}).`;
}

// How many of the `k` components have a mean weight above IN_USE over the
// grid's x; null without the panels, whose snapshots carry no weights.
function componentsInUse(pi, k) {
  if (pi.length === 0) return null;
  const sums = new Float64Array(k);
  for (let i = 0; i < pi.length; i++) sums[i % k] += pi[i];
  const columns = pi.length / k;
  return sums.filter((sum) => sum / columns > IN_USE).length;
}

function formatNll(nll) {
  return Number.isFinite(nll) ? nll.toFixed(3) : 'not finite';
}
