// The article's own script (examples/mixture-density-networks.html): it
// typesets the equations, and it writes every number the prose gives about
// a demo from that demo's live state, so none is ever stale. An
// <output data-of="ID" data-field="F"> shows demo ID's live field F (its
// data-* attribute, as mdn-progress events carry it: docs/EMBEDDING.md,
// "Live state and events"); data-attribute="A" shows one of its settings
// instead. The PSNR curves of figure 8 are drawn from the same events.

import { SETTINGS } from '../www/settings.js';

// How a field is written: `digits` after the point, or `precision`
// significant digits; a missing value as the output's data-empty text, or
// as it was before any value came.
function format(value, { digits, precision }) {
  const number = Number(value);
  if (value === undefined || value === null || value === '') return null;
  if (!Number.isFinite(number)) return String(value);
  if (digits !== undefined) return number.toFixed(Number(digits));
  if (precision !== undefined) return String(Number(number.toPrecision(Number(precision))));
  return String(value);
}

function typeset() {
  const katex = globalThis.katex;
  for (const el of document.querySelectorAll('.tex')) {
    if (!katex) {
      // Without KaTeX the TeX source stays, which reads, if less well.
      el.classList.add('tex-source');
      continue;
    }
    katex.render(el.textContent, el, { displayMode: el.classList.contains('display'), throwOnError: false });
  }
}

// Every output bound to demo `demo`, written from its live `state` (the
// latest mdn-progress detail) and its attributes.
function show(demo, state) {
  for (const out of document.querySelectorAll(`output[data-of="${demo.id}"]`)) {
    const { field, attribute, empty } = out.dataset;
    const raw = attribute ? demo.getAttribute(attribute) : state[field];
    const text = format(raw, out.dataset);
    if (text !== null) out.textContent = text;
    else if (empty !== undefined) out.textContent = empty;
  }
  for (const el of document.querySelectorAll('[data-when="probe"]')) {
    if (demo.id === 'bishop') el.hidden = state.probeX === undefined;
  }
  compareViews(demo, state);
  tally(demo, state);
  countRecoveries(demo, state);
  for (const button of document.querySelectorAll(`.presets button[data-target="${demo.id}"]`)) {
    const wanted = JSON.parse(button.dataset.set);
    const on = Object.entries(wanted).every(([name, value]) => Number(demo.getAttribute(name)) === Number(value) || demo.getAttribute(name) === value);
    button.setAttribute('aria-pressed', String(on));
  }
}

// Section 6: which of the mode and the mean scores the higher PSNR, as the
// painting has them now.
function compareViews(demo, { psnr, psnrMean }) {
  const el = document.querySelector(`[data-compare="${demo.id}"]`);
  if (!el || psnr === undefined || psnrMean === undefined) return;
  const [mode, mean] = [Number(psnr).toFixed(1), Number(psnrMean).toFixed(1)];
  if (mean === mode) el.textContent = ': level, for now';
  else el.textContent = Number(mean) > Number(mode) ? ': the blurrier picture scores higher' : ': for now the sharper picture scores higher';
}

// Outputs per component of a Gaussian over D colour channels: a weight, D
// means and the covariance's free entries.
const PER_COMPONENT = {
  isotropic: (d) => 1 + d + 1,
  diagonal: (d) => 1 + d + d,
  full: (d) => 1 + d + (d * (d + 1)) / 2,
};
const CHANNELS = 3;

// Section 7: a painting's mixture outputs per pixel and its NLL, from its
// own covariance and K.
function tally(demo, { covariance, components, nll, epoch }) {
  const el = document.querySelector(`[data-tally="${demo.id}"]`);
  if (!el || !covariance || !components) return;
  const per = PER_COMPONENT[covariance](CHANNELS);
  const loss = nll === undefined ? '' : `, NLL ${Number(nll).toFixed(2)} at epoch ${epoch}`;
  el.textContent = `${covariance[0].toUpperCase()}${covariance.slice(1)}: ${components} × ${per} = ${components * per} outputs per pixel${loss}.`;
}

// Section 9: how many times the guard went back (each recovery has its own
// sentence, naming its step and the new learning rate).
const recoveries = new Map();
function countRecoveries(demo, { recovery }) {
  const el = document.querySelector(`[data-count="${demo.id}"]`);
  if (!el || !recovery) return;
  const seen = recoveries.get(demo.id) ?? new Set();
  seen.add(recovery);
  recoveries.set(demo.id, seen);
  el.textContent = String(seen.size);
}

// Section 9: the guard's figure starts at a rate this many times the
// toy's default (the settings table's, www/settings.js).
const DEFAULT_RATE = SETTINGS.toy.find((s) => s.name === 'learning-rate').range.default;
function showRates() {
  for (const el of document.querySelectorAll('output[data-default="learning-rate"]')) el.textContent = String(DEFAULT_RATE);
  for (const el of document.querySelectorAll('output[data-ratio]')) {
    const rate = Number(document.getElementById(el.dataset.ratio).getAttribute('learning-rate') ?? DEFAULT_RATE);
    el.textContent = Math.round(rate / DEFAULT_RATE).toLocaleString('en');
  }
}

function listCosts() {
  for (const li of document.querySelectorAll('.costs [data-covariance]')) {
    const kind = li.dataset.covariance;
    const per = PER_COMPONENT[kind](CHANNELS);
    const extra = per - 1 - CHANNELS;
    const what = { isotropic: 'one width', diagonal: `${extra} widths`, full: `${extra} entries of L` }[kind];
    li.innerHTML = `<b>${kind}</b>: ${what}, <b>${per}</b> outputs per component`;
  }
}

// Figure 8's curves: PSNR (dB) per epoch of each encoding's painting.
const SERIES = ['enc-raw', 'enc-fourier', 'enc-grid'];
const curves = new Map(SERIES.map((id) => [id, []]));
function record(demo, { epoch, psnr }) {
  const points = curves.get(demo.id);
  if (!points || epoch === undefined || psnr === undefined) return;
  const e = Number(epoch);
  // A restart (a new model) starts its curve again.
  if (points.length && e < points[points.length - 1][0]) points.length = 0;
  if (!points.length || e > points[points.length - 1][0]) points.push([e, Number(psnr)]);
  drawChart();
}

const W = 640;
const H = 240;
const PAD = { left: 44, right: 12, top: 24, bottom: 34 };

function scales() {
  const all = [...curves.values()].flat();
  const maxEpoch = Math.max(10, ...all.map(([e]) => e));
  const psnrs = all.map(([, p]) => p);
  const lo = Math.floor(Math.min(10, ...psnrs) / 5) * 5;
  const hi = Math.ceil(Math.max(20, ...psnrs) / 5) * 5;
  const x = (e) => PAD.left + ((W - PAD.left - PAD.right) * e) / maxEpoch;
  const y = (p) => H - PAD.bottom - ((H - PAD.top - PAD.bottom) * (p - lo)) / (hi - lo);
  return { maxEpoch, lo, hi, x, y };
}

function axes({ maxEpoch, lo, hi, x, y }) {
  let svg = '';
  for (let p = lo; p <= hi; p += 5) {
    svg += `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(p)}" y2="${y(p)}"/>`;
    svg += `<text class="tick" x="${PAD.left - 6}" y="${y(p) + 4}" text-anchor="end">${p}</text>`;
  }
  const step = Math.max(1, Math.ceil(maxEpoch / 8 / 5) * 5);
  for (let e = 0; e <= maxEpoch; e += step) {
    svg += `<text class="tick" x="${x(e)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${e}</text>`;
  }
  svg += `<text class="label" x="${(W + PAD.left) / 2}" y="${H - 4}" text-anchor="middle">epoch</text>`;
  svg += `<text class="label" x="${PAD.left - 6}" y="${PAD.top - 12}" text-anchor="end">dB</text>`;
  return svg;
}

let pending = false;
function drawChart() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    const s = scales();
    let svg = axes(s);
    for (const [id, points] of curves) {
      if (!points.length) continue;
      const d = points.map(([e, p], i) => `${i ? 'L' : 'M'}${s.x(e).toFixed(1)},${s.y(p).toFixed(1)}`).join('');
      svg += `<path class="curve ${id}" d="${d}"/>`;
    }
    document.getElementById('psnr-chart').innerHTML =
      `<svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="xMidYMid meet" aria-hidden="true">${svg}</svg>`;
  });
}

function bindPresets() {
  for (const button of document.querySelectorAll('.presets button')) {
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', () => {
      const demo = document.getElementById(button.dataset.target);
      for (const [name, value] of Object.entries(JSON.parse(button.dataset.set))) demo.setAttribute(name, value);
    });
  }
}

// The latest live state of each demo, for attribute changes between events.
const latest = new Map();

function start() {
  typeset();
  listCosts();
  showRates();
  bindPresets();
  drawChart();
  document.addEventListener('mdn-progress', (event) => {
    const demo = event.target;
    latest.set(demo, event.detail);
    show(demo, event.detail);
    record(demo, event.detail);
  });
  // A setting changed (a preset, a control inside the demo): shown at once.
  const observer = new MutationObserver((records) => {
    for (const demo of new Set(records.map((r) => r.target))) show(demo, latest.get(demo) ?? {});
    showRates();
  });
  for (const demo of document.querySelectorAll('mdn-demo')) {
    observer.observe(demo, { attributes: true, attributeFilter: ['view', 'tau-pi', 'tau-sigma', 'learning-rate', 'components'] });
    show(demo, {});
  }
}

start();
