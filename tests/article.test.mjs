// The explorable article (examples/mixture-density-networks.html), read as
// a reader reads it: its first screen is light (under 1 MB gzipped before
// any demo starts), then, figure by figure, each demo starts once in view
// and improves there (a toy's NLL falls, a painting's PSNR rises), every
// demo out of view pauses and takes no step while it is, at most three
// train at once (www/training-slots.js), and the prose's live numbers are
// the demos' own. Progress is counted in steps and epochs, never over a
// time window.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, test } from 'node:test';
import { MINUTE, distDir, openPage, serveAndLaunch, wasmRequests } from './helpers.mjs';

const ARTICLE = 'examples/mixture-density-networks.html';
const FIRST_SCREEN_BYTES = 1_000_000;
const MAX_TRAINING = 3;

// Each figure and its demos, in reading order: a toy is followed by its
// step and NLL, a painting by its epoch and PSNR (of the mode colours).
const FIGURES = [
  ['fig-1', { forward: 'toy', inverse: 'toy' }],
  ['fig-2', { bishop: 'toy' }],
  ['fig-3', { drawn: 'toy' }],
  ['fig-4', { k1: 'toy', k3: 'toy', k24: 'toy' }],
  ['fig-5', { sampler: 'toy' }],
  ['fig-6', { views: 'paint' }],
  ['fig-7', { 'cov-iso': 'paint', 'cov-diag': 'paint', 'cov-full': 'paint' }],
  ['fig-8', { 'enc-raw': 'paint', 'enc-fourier': 'paint', 'enc-grid': 'paint' }],
  ['fig-9', { guard: 'toy' }],
];

// How far a demo trains in view before its improvement is judged: the
// NLL must be below its first (a toy's first snapshot is of the untrained
// model, at step 0) once STEPS more steps are taken, the PSNR above its
// first epoch's once EPOCHS more epochs are. The floor is "any
// improvement at all": natively the default toy (inverse data, K = 24)
// loses 1.74–4.30 nats in 100 steps from step 1 over seeds 0–39
// (crates/mdn-core/examples/floors.rs, "toy-inverse"), and the default
// painting is at 27.8–32.6 dB after 20 epochs (docs/ARCHITECTURE.md,
// "Painting model"); the other settings here (K = 1, 3, 12; Fourier and
// raw encodings, 64 px) have no measured distribution, and are asked only
// to improve.
const STEPS = 200;
const EPOCHS = 3;

// Installed in the page once: the most demos seen training at once (every
// animation frame and every mdn-progress event), and whether any demo
// started without ever having been in view.
function monitor() {
  const demos = [...document.querySelectorAll('mdn-demo')];
  const seen = new Set();
  const state = { maxTraining: 0, startedUnseen: [] };
  const inView = (el) => {
    const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth;
  };
  const check = () => {
    let training = 0;
    for (const demo of demos) {
      if (inView(demo)) seen.add(demo.id);
      const s = demo.dataset.state;
      if (s === 'running') training += 1;
      if (s && s !== 'idle' && !seen.has(demo.id) && !state.startedUnseen.includes(demo.id)) state.startedUnseen.push(demo.id);
    }
    state.maxTraining = Math.max(state.maxTraining, training);
  };
  const frame = () => {
    check();
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  document.addEventListener('mdn-progress', check);
  window.__article = state;
}

// Every demo's id, state, progress (step or epoch), quality (NLL or PSNR)
// and whether it intersects the viewport.
function demosNow(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('mdn-demo')].map((d) => {
      const r = d.getBoundingClientRect();
      const toy = d.getAttribute('kind') === 'toy';
      const number = (v) => (v === undefined ? null : Number(v));
      return {
        id: d.id,
        state: d.dataset.state ?? null,
        progress: number(toy ? d.dataset.step : d.dataset.epoch),
        quality: number(toy ? d.dataset.nll : d.dataset.psnr),
        inView: r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth,
      };
    }),
  );
}

// Waits until no demo out of view is training (the worker has answered
// its pause), and returns those out of view with their progress.
async function outOfViewPaused(page) {
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('mdn-demo')].every((d) => {
        const r = d.getBoundingClientRect();
        const inView = r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth;
        return inView || d.dataset.state !== 'running';
      }),
    null,
    { timeout: 2 * MINUTE, polling: 200 },
  );
  return (await demosNow(page)).filter((d) => !d.inView && d.state !== 'idle');
}

// Sprays an X on figure 3's empty plot: two strokes, one answer per x
// would not fit it.
async function drawAnX(page) {
  const box = await page.locator('#drawn #toy-canvas').boundingBox();
  for (const [from, to] of [
    [[0.2, 0.2], [0.85, 0.8]],
    [[0.2, 0.8], [0.85, 0.2]],
  ]) {
    await page.mouse.move(box.x + box.width * from[0], box.y + box.height * from[1]);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * to[0], box.y + box.height * to[1], { steps: 35 });
    await page.mouse.up();
  }
}

// Waits until demo `id` has a first result, then until it has trained
// STEPS steps or EPOCHS epochs more and improved on it; returns both.
async function improves(page, id, kind) {
  const toy = kind === 'toy';
  const [progress, quality] = toy ? ['step', 'nll'] : ['epoch', 'psnr'];
  const first = await (
    await page.waitForFunction(
      ([sel, p, q]) => {
        const d = document.getElementById(sel).dataset;
        return d[p] !== undefined && d[q] !== undefined && { progress: Number(d[p]), quality: Number(d[q]) };
      },
      [id, progress, quality],
      { timeout: 3 * MINUTE, polling: 'raf' },
    )
  ).jsonValue();
  const goal = first.progress + (toy ? STEPS : EPOCHS);
  const last = await (
    await page
      .waitForFunction(
        ([sel, p, q, g, f, lower]) => {
          const d = document.getElementById(sel).dataset;
          const value = Number(d[q]);
          const better = lower ? value < f : value > f;
          return Number(d[p]) >= g && better && { progress: Number(d[p]), quality: value };
        },
        [id, progress, quality, goal, first.quality, toy],
        { timeout: 5 * MINUTE, polling: 250 },
      )
      .catch(async (e) => {
        const now = (await demosNow(page)).find((d) => d.id === id);
        throw new Error(`#${id} did not improve on ${JSON.stringify(first)}: now ${JSON.stringify(now)}`, { cause: e });
      })
  ).jsonValue();
  return { first, last };
}

// Figure 9's toy, started at a learning rate of 1000: the guard goes back
// at least once and lowers the rate, and the toy then learns: within 600
// steps after the first recovery its NLL has been under 10 nats. Natively
// (the same guard, frames every 10 steps, crates/mdn-core/tests/training.rs)
// seeds 0–39 went back 4 times and were at 2.83–5.44 nats 600 steps after
// the start. Judged against the last good frame instead of the lowest
// loss, 2 of 3 runs here sat on a saturated network's flat 80.92 nats
// (2026-12-06). The lowest NLL shown, not the last: at a learning rate
// still as high as 1, a frame can fall inside an excursion the guard has
// yet to undo (2026-12-07, 8 runs in this page: 2.92–3.08 nats 600 steps
// after the first recovery in 7, 39.1 in one, back at 3.10 600 steps
// later; one CI run failed on 10.74 so).
const STEPS_AFTER_RECOVERY = 600;
const TRAINED_NLL = 10;
async function recovers(page) {
  const { progress } = await (
    await page.waitForFunction(
      () => {
        const d = document.getElementById('guard').dataset;
        return d.recovery && Number(d.learningRate) < 1000 && { progress: Number(d.step) };
      },
      null,
      { timeout: 3 * MINUTE, polling: 250 },
    )
  ).jsonValue();
  const last = await (
    await page.waitForFunction(
      ([from, steps]) => {
        const d = document.getElementById('guard').dataset;
        const nll = Number(d.nll);
        if (Number.isFinite(nll)) window.__guardLowest = Math.min(window.__guardLowest ?? Infinity, nll);
        return Number(d.step) >= from + steps && { progress: Number(d.step), quality: window.__guardLowest, learningRate: Number(d.learningRate) };
      },
      [progress, STEPS_AFTER_RECOVERY],
      { timeout: 3 * MINUTE, polling: 250 },
    )
  ).jsonValue();
  assert.ok(Number.isFinite(last.quality) && last.quality < TRAINED_NLL, `figure 9's lowest NLL in the ${STEPS_AFTER_RECOVERY} steps after its first recovery: ${JSON.stringify(last)}`);
  return last;
}

// The gzipped size of every file the page fetched (as a host that
// compresses would send it; the test server sends them as they are).
function gzippedBytes(paths) {
  return paths.map((p) => {
    const file = path.join(distDir, decodeURIComponent(p));
    const bytes = fs.existsSync(file) && fs.statSync(file).isFile() ? fs.readFileSync(file) : Buffer.alloc(0);
    return [p, zlib.gzipSync(bytes).length];
  });
}

describe('the explorable article', () => {
  const env = serveAndLaunch({ webgpu: false });

  test('its first screen, before any demo starts, is under 1 MB gzipped', async (t) => {
    const from = env.server.requests.length;
    const { page, context, errors } = await openPage(env.browser, `${env.server.url}${ARTICLE}?backend=cpu`, {
      viewport: { width: 1280, height: 900 },
      ready: null,
    });
    await page.waitForLoadState('networkidle');
    const states = (await demosNow(page)).map((d) => d.state);
    assert.ok(states.every((s) => s === 'idle'), `no demo is in the first screen: ${states}`);
    const fetched = env.server.requests.slice(from);
    assert.deepEqual(wasmRequests(fetched), [], 'no wasm before a demo starts');
    const sizes = gzippedBytes(fetched);
    const total = sizes.reduce((sum, [, n]) => sum + n, 0);
    t.diagnostic(`first screen: ${fetched.length} requests, ${total} bytes gzipped`);
    t.diagnostic(sizes.sort((a, b) => b[1] - a[1]).slice(0, 8).map(([p, n]) => `${p} ${n}`).join(', '));
    assert.ok(total <= FIRST_SCREEN_BYTES, `${total} bytes gzipped before the first demo starts`);
    // Every id is one element's (the script and the figures find their
    // demos by id).
    const ids = await page.evaluate(() => [...document.querySelectorAll('[id]')].map((el) => el.id));
    assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'ids used twice');
    // The equations were typeset (KaTeX loaded with the post).
    assert.ok((await page.locator('.tex .katex').count()) > 20, 'equations typeset');
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('each demo trains in view, improves, and pauses out of view; at most three train at once', async (t) => {
    const { page, context, errors } = await openPage(env.browser, `${env.server.url}${ARTICLE}?backend=cpu`, {
      viewport: { width: 1280, height: 1000 },
      ready: null,
    });
    await page.evaluate(monitor);
    let paused = [];
    for (const [figure, demos] of FIGURES) {
      await page.$eval(`#${figure}`, (el) => el.scrollIntoView({ block: el.offsetHeight > innerHeight ? 'start' : 'center' }));
      if (figure === 'fig-3') {
        await page
          .waitForFunction(() => document.getElementById('drawn').dataset.points === '0', null, { timeout: 3 * MINUTE })
          .catch(async (e) => {
            const drawn = await page.$eval('#drawn', (d) => ({ ...d.dataset }));
            throw new Error(`figure 3 never waited for points: ${JSON.stringify(drawn)}`, { cause: e });
          });
        await drawAnX(page);
      }
      const results = {};
      for (const [id, kind] of Object.entries(demos)) results[id] = id === 'guard' ? await recovers(page) : await improves(page, id, kind);
      t.diagnostic(`${figure}: ${JSON.stringify(results)}`);
      // The demos paused when this figure was shown took no step since.
      const now = await demosNow(page);
      for (const before of paused) {
        const after = now.find((d) => d.id === before.id);
        if (!after.inView) assert.equal(after.progress, before.progress, `#${before.id} trained out of view`);
      }
      // The next figure's scroll moves this one out; what is out of view
      // must pause.
      paused = await outOfViewPaused(page);
    }
    await checkFigureText(page, t);
    // Back at the top, no demo is in view and none trains.
    await page.evaluate(() => window.scrollTo(0, 0));
    const last = await outOfViewPaused(page);
    assert.equal(last.length, FIGURES.flatMap(([, d]) => Object.keys(d)).length, 'every demo started, and paused');
    const { maxTraining, startedUnseen } = await page.evaluate(() => window.__article);
    t.diagnostic(`most demos training at once: ${maxTraining}`);
    assert.ok(maxTraining <= MAX_TRAINING, `${maxTraining} demos trained at once`);
    assert.deepEqual(startedUnseen, [], 'demos that started without being in view');
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 40 * MINUTE });
});

// The prose's numbers are the demos' own: figure 2's NLL readout, figure
// 4's caption, the guard's learning rate and its recoveries, each read in
// one go with the live state it shows.
async function checkFigureText(page, t) {
  const { bishop, k24, guard } = await page.evaluate(() => {
    const text = (sel) => document.querySelector(sel).textContent.trim();
    const data = (id) => ({ ...document.getElementById(id).dataset });
    return {
      bishop: { data: data('bishop'), nll: text('output[data-of="bishop"][data-field="nll"]'), step: text('output[data-of="bishop"][data-field="step"]') },
      k24: { data: data('k24'), nll: text('output[data-of="k24"][data-field="nll"]') },
      guard: { data: data('guard'), count: text('output[data-count="guard"]'), rate: text('output[data-of="guard"][data-field="learningRate"]') },
    };
  });
  assert.equal(bishop.nll, Number(bishop.data.nll).toFixed(3));
  assert.equal(bishop.step, bishop.data.step);
  assert.equal(k24.nll, Number(k24.data.nll).toFixed(2));
  // The guard went back at least once from its learning rate of 1000,
  // and says how often; the rate it trains at now is lower.
  t.diagnostic(`guard: ${guard.count} recoveries, learning rate ${guard.data.learningRate}, NLL ${guard.data.nll}, "${guard.data.recovery}"`);
  assert.ok(Number(guard.count) >= 1, 'the guard went back');
  assert.match(guard.data.recovery ?? '', /training diverged at step \d+/);
  assert.ok(Number(guard.data.learningRate) < 1000, `learning rate ${guard.data.learningRate}`);
  assert.equal(guard.rate, String(Number(Number(guard.data.learningRate).toPrecision(2))));
}
