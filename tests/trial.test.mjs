// The backend trial (www/backend-trial.js): the page starts on the CPU,
// measures WebGPU on the running demo's model in a second worker, and moves
// the demos there only when WebGPU is faster. The only adapter here is
// SwiftShader, which the trial skips (a software rasteriser), so the tests'
// hooks let it run (__mdnTrialSoftware); it is far slower than the CPU
// module, and a second hook (__mdnTrialCpuSlowdown) makes the CPU's figure
// slower still, for the handover.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CPU_WASM,
  MINUTE,
  WEBGPU_WASM,
  demoWorkers,
  openPage,
  serveAndLaunch,
  waitForAttr,
  wasmRequests,
} from './helpers.mjs';

// Small models, so that SwiftShader's epochs and steps come in seconds.
const SMALL = 'size=16&encoding=fourier&paint-components=2&toy-components=3&hidden-units=8';

// Switches the hooks on (the second test sets the CPU's slowdown and the
// trial's cap later, on the running page) and records, from the
// mdn-progress events, every demo's progress on each backend.
function hooks() {
  window.__mdnTestHooks = true;
  window.__mdnTrialSoftware = true;
  window.__seen = { toy: { cpu: [], webgpu: [] }, paint: { cpu: [], webgpu: [] } };
  document.addEventListener('mdn-progress', ({ detail: d }) => {
    const at = d.kind === 'paint' ? d.epoch : d.step;
    if (typeof at === 'number' && d.backend) window.__seen[d.kind][d.backend].push(at);
  });
}

// Waits (10 s at most) for the page to have `n` demo workers: a worker
// enters page.workers() a moment after it starts, and leaves it a moment
// after terminate().
async function waitForDemoWorkers(page, n, message) {
  for (let i = 0; i < 50 && demoWorkers(page).length !== n; i++) await page.waitForTimeout(200);
  assert.equal(demoWorkers(page).length, n, message);
}

// One page for both tests, in order (each SwiftShader start costs about 22
// CPU-seconds, docs/TESTING.md): the first trial finds WebGPU slower; then a
// much larger model brings a second, which the slowdown hook makes WebGPU win.
describe('the backend trial', () => {
  const env = serveAndLaunch({ webgpu: true });
  let page;
  let context;
  let errors;
  let from;
  before(async () => {
    from = env.server.requests.length;
    ({ page, context, errors } = await openPage(env.browser, `${env.server.url}?${SMALL}`, {
      initScript: hooks,
    }));
  });
  after(async () => {
    await context?.close();
  });

  test('finds WebGPU slower, keeps the CPU, shows both figures and ends its worker', async () => {
    // The CPU at once, with the candidate named.
    assert.equal(await page.getAttribute('#toy', 'data-backend'), 'cpu');
    await waitForAttr(page, '#toy', 'data-backend-trial', (v) => v === 'measuring', { timeout: 2 * MINUTE });
    assert.match(await page.textContent('#toy >> #backend-text'), /^CPU: measuring WebGPU \(.*swiftshader.*\) against the CPU/i);
    await waitForDemoWorkers(page, 2, 'the trial runs in a second worker');
    await waitForAttr(page, '#toy', 'data-backend-trial', (v) => v === 'cpu', { timeout: 3 * MINUTE });

    const rate = async (name) => Number(await page.getAttribute('#toy', name));
    const [gpu, cpu] = [await rate('data-trial-webgpu'), await rate('data-trial-cpu')];
    assert.equal(await page.getAttribute('#toy', 'data-trial-unit'), 'steps/s');
    assert.ok(cpu > 0 && gpu < cpu, `WebGPU ${gpu}, CPU ${cpu} steps/s`);
    const line = await page.textContent('#toy >> #backend-text');
    assert.match(line, /^CPU: [\d.]+ steps\/s on WebGPU against [\d.]+ on the CPU \(.*swiftshader.*\): training on the CPU$/i);
    assert.equal(await page.getAttribute('#toy', 'data-backend'), 'cpu');
    // The GPU worker is gone, and the toy trains on.
    await waitForDemoWorkers(page, 1, 'the other worker was ended');
    const step = Number(await page.getAttribute('#toy', 'data-step'));
    await waitForAttr(page, '#toy', 'data-step', (v, s) => Number(v) > s + 100, { arg: step, timeout: 2 * MINUTE });
    assert.deepEqual(wasmRequests(env.server.requests.slice(from)), [CPU_WASM, WEBGPU_WASM]);
    assert.deepEqual(errors, []);
  }, { timeout: 12 * MINUTE });

  test('a much larger model brings a new trial, and WebGPU measured faster takes both demos over: the epoch and the step go on', async () => {
    // The first trial over (the case above waits for it; should it have
    // failed early, this one would otherwise take that trial for its own).
    await waitForAttr(page, '#toy', 'data-backend-trial', (v) => v === 'cpu', { timeout: 3 * MINUTE });
    // Both demos in view, the painting trained on the CPU first: each is
    // moved, whichever the trial measures.
    await page.setViewportSize({ width: 1280, height: 2200 });
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 3 * MINUTE });
    // The CPU's figure made a million times slower; up to 5 minutes for
    // WebGPU's, not 30 s: on a busy machine SwiftShader's first toy
    // snapshot took longer than 30 s, which counts as slower.
    await page.evaluate(() => {
      window.__mdnTrialCpuSlowdown = 1e6;
      window.__mdnTrialCapMs = 5 * 60_000;
    });
    // Eight times the components: eight times the work, measured again.
    await page.$eval('#toy', (el) => el.setAttribute('components', '24'));
    await waitForAttr(page, '#toy', 'data-backend-trial', (v) => v === 'measuring', { timeout: 2 * MINUTE });
    // The trial starts at the new model's first result: the toy's steps
    // from here are the new model's (the CPU trains it while WebGPU is
    // measured).
    await page.evaluate(() => {
      window.__seen.toy = { cpu: [], webgpu: [] };
    });
    await waitForAttr(page, '#toy', 'data-backend', (v) => v === 'webgpu', { timeout: 8 * MINUTE });
    assert.equal(await page.getAttribute('#toy', 'data-backend-trial'), 'webgpu');
    const line = await page.textContent('#toy >> #backend-text');
    assert.match(line, /^WebGPU, .*swiftshader.*: [\d.]+ (steps|epochs)\/s on WebGPU against [\d.]+ on the CPU: training on WebGPU$/i);
    assert.match(await page.textContent('#toy-recovery'), /Moved to WebGPU, which trains faster here/);
    // Both train on, on WebGPU, from where they were.
    await waitForAttr(page, '#paint', 'data-state', (v) => v === 'running', { timeout: 2 * MINUTE });
    const seen = await page.evaluate(() => window.__seen);
    const epoch = Math.max(...seen.paint.webgpu);
    await waitForAttr(page, '#paint', 'data-epoch', (v, e) => Number(v) > e, { arg: epoch, timeout: 4 * MINUTE });
    const step = Math.max(...seen.toy.webgpu);
    await waitForAttr(page, '#toy', 'data-step', (v, s) => Number(v) > s, { arg: step, timeout: 4 * MINUTE });
    const after = await page.evaluate(() => window.__seen);
    for (const kind of ['toy', 'paint']) {
      const onCpu = Math.max(...after[kind].cpu);
      const onGpu = Math.min(...after[kind].webgpu);
      assert.ok(onCpu >= 1, `${kind} trained on the CPU first: ${onCpu}`);
      assert.ok(onGpu >= onCpu, `${kind} went on from ${onCpu}, not from ${onGpu}: ${JSON.stringify(after[kind])}`);
    }
    await waitForDemoWorkers(page, 1, 'the other worker was ended');
    assert.equal(await page.getAttribute('#paint', 'data-image'), 'astronaut.jpg');
    assert.deepEqual(errors, []);
  }, { timeout: 20 * MINUTE });
});
