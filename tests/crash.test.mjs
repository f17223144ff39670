// A crashed Worker loses nothing but the run's progress (CPU backend, the
// demo page): a trap forced in the wasm (a test hook, switched on by
// globalThis.__mdnTestHooks) makes the engine start a new Worker, where both
// demos train again with a message; a demo that crashes twice in a row
// stops with a message while the other goes on.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MINUTE, numberAttr, openPage, serveAndLaunch, waitForAttr } from './helpers.mjs';

function hooks() {
  window.__mdnTestHooks = true;
  window.__paintStarts = 0;
  document.addEventListener('mdn-progress', (e) => {
    if (e.detail.kind === 'paint' && e.detail.epoch === 0) window.__paintStarts += 1;
  });
}

// The panic the hook causes, as console_error_panic_hook reports it: once
// in the worker (Chromium shows the page a copy of it). Any other error,
// or another panic, is a failure.
const TRAP = /^(worker|page) console\.error: panicked at crates\/mdn-web\/src\/lib\.rs:\d+:\d+:\na test asked the wasm to trap\n/;

// Asserts that `errors` hold the reports of exactly `traps` traps, and
// nothing else.
function assertOnlyTraps(errors, traps) {
  assert.deepEqual(errors.filter((e) => !TRAP.test(e)), [], 'errors other than the traps');
  const inWorker = errors.filter((e) => e.startsWith('worker '));
  assert.equal(inWorker.length, traps, `panics in the worker: ${inWorker.map((e) => e.slice(0, 120)).join('; ')}`);
}

async function open(env) {
  const page = await openPage(env.browser, `${env.server.url}?backend=cpu`, {
    viewport: { width: 1280, height: 2200 },
    initScript: hooks,
  });
  await waitForAttr(page.page, '#toy', 'data-step', (v) => Number(v) >= 50, { timeout: 3 * MINUTE });
  await waitForAttr(page.page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 3 * MINUTE });
  return page;
}

describe('a crashed worker', () => {
  const env = serveAndLaunch({ webgpu: false });

  test('is replaced, and both demos train again with a message', async () => {
    const { page, context, errors } = await open(env);
    const seed = await page.getAttribute('#toy', 'data-seed');
    const starts = await page.evaluate(() => window.__paintStarts);
    await page.evaluate(() => window.__mdnEngine.trap('toy'));
    // The toy: a new model in the new worker, which trains.
    await waitForAttr(page, '#toy', 'data-seed', (v, s) => v !== null && v !== s, { arg: seed, timeout: 2 * MINUTE });
    await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) >= 20, { timeout: 2 * MINUTE });
    assert.match(await page.textContent('#toy-recovery'), /crashed .*started again/);
    assert.equal(await page.getAttribute('#toy', 'data-state'), 'running');
    // The painting: its picture painted again from epoch 0, and improving.
    await page.waitForFunction((n) => window.__paintStarts > n, starts, { timeout: 2 * MINUTE });
    const epoch = Number(await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 3 * MINUTE }));
    await waitForAttr(page, '#paint', 'data-epoch', (v, e) => Number(v) > e, { arg: epoch, timeout: 3 * MINUTE });
    assert.match(await page.textContent('#paint-recovery'), /crashed .*started again/);
    assert.equal(await page.getAttribute('#paint', 'data-image'), 'astronaut.jpg');
    assertOnlyTraps(errors, 1);
    await context.close();
  }, { timeout: 10 * MINUTE });

  test('twice in a row stops that demo with a message; the other goes on', async () => {
    const { page, context, errors } = await open(env);
    await page.evaluate(() => window.__mdnEngine.trap('toy', 2));
    const error = await waitForAttr(page, '#toy', 'data-error', (v) => v !== null, { timeout: 2 * MINUTE });
    assert.match(error, /crashed twice in a row/);
    assert.equal(await page.getAttribute('#toy', 'data-state'), 'failed');
    assert.match(await page.textContent('#toy-status'), /stopped: .*crashed twice in a row/);
    // The painting goes on in the third worker, and the toy stays stopped.
    const stepAtStop = await page.getAttribute('#toy', 'data-step');
    const epoch = Number(await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 3 * MINUTE }));
    await waitForAttr(page, '#paint', 'data-epoch', (v, e) => Number(v) > e, { arg: epoch, timeout: 3 * MINUTE });
    assert.equal(await page.getAttribute('#toy', 'data-step'), stepAtStop);
    assert.equal(await page.getAttribute('#toy', 'data-state'), 'failed');
    // Restart gives the stopped toy a new model, which trains.
    await page.click('#toy-restart');
    await waitForAttr(page, '#toy', 'data-state', (v) => v === 'running', { timeout: 2 * MINUTE });
    await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) >= 20, { timeout: 2 * MINUTE });
    assertOnlyTraps(errors, 2);
    await context.close();
  }, { timeout: 10 * MINUTE });
});
