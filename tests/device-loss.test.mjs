// A lost GPU loses at most a checkpoint's worth of training (WebGPU on
// SwiftShader, the demo page): with the tests' hook switched on
// (globalThis.__mdnTestHooks), the engine has the worker destroy its
// GPUDevice, as a driver reset would lose it; both demos say so and go on
// on the CPU backend from the checkpoint they last received.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MINUTE, numberAttr, openPage, serveAndLaunch, waitForAttr } from './helpers.mjs';

// Switches the hooks on, and records the lowest epoch and step each demo
// shows once on the CPU: where it went on from.
function hooks() {
  window.__mdnTestHooks = true;
  window.__onCpu = {};
  document.addEventListener('mdn-progress', (e) => {
    const { kind, backend, epoch, step } = e.detail;
    const at = kind === 'paint' ? epoch : step;
    if (backend !== 'cpu' || typeof at !== 'number') return;
    window.__onCpu[kind] = Math.min(window.__onCpu[kind] ?? Infinity, at);
  });
}

describe('a lost GPU device', () => {
  const env = serveAndLaunch({ webgpu: true });

  test('moves both demos to the CPU, each going on from its last checkpoint', async () => {
    const url = `${env.server.url}?backend=webgpu&size=16&encoding=fourier&paint-components=2&toy-components=3&hidden-units=8`;
    const { page, context, errors } = await openPage(env.browser, url, {
      viewport: { width: 1280, height: 2200 },
      initScript: hooks,
    });
    assert.equal(await page.getAttribute('#paint', 'data-backend'), 'webgpu');
    // A checkpoint of each, a few seconds into training.
    await waitForAttr(page, '#paint', 'data-checkpoint-epoch', (v) => Number(v) >= 1, { timeout: 6 * MINUTE });
    await waitForAttr(page, '#toy', 'data-checkpoint-step', (v) => Number(v) >= 1, { timeout: 6 * MINUTE });
    await page.evaluate(() => window.__mdnEngine.loseDevice());
    // The checkpoints the demos held when the device went.
    const paintCheckpoint = await numberAttr(page, '#paint', 'data-checkpoint-epoch');
    const toyCheckpoint = await numberAttr(page, '#toy', 'data-checkpoint-step');

    await waitForAttr(page, '#paint', 'data-backend', (v) => v === 'cpu', { timeout: 2 * MINUTE });
    assert.match(await page.textContent('#backend'), /CPU: the GPU device was lost \(destroyed/);
    // Each goes on from its checkpoint, not from the start...
    await waitForAttr(page, '#paint', 'data-epoch', (v, e) => Number(v) > e, { arg: paintCheckpoint, timeout: 3 * MINUTE });
    await waitForAttr(page, '#toy', 'data-step', (v, s) => Number(v) > s, { arg: toyCheckpoint, timeout: 3 * MINUTE });
    const from = await page.evaluate(() => window.__onCpu);
    assert.equal(from.paint, paintCheckpoint, 'the painting went on from its checkpoint');
    assert.equal(from.toy, toyCheckpoint, 'the toy went on from its checkpoint');
    assert.match(await page.textContent('#paint-recovery'), /GPU device was lost .*goes on on the CPU/);
    assert.match(await page.textContent('#toy-recovery'), /GPU device was lost .*goes on on the CPU/);
    assert.equal(await page.getAttribute('#paint', 'data-image'), 'astronaut.jpg');
    // ...and trains on there.
    const epoch = await numberAttr(page, '#paint', 'data-epoch');
    await waitForAttr(page, '#paint', 'data-epoch', (v, e) => Number(v) > e, { arg: epoch, timeout: 2 * MINUTE });
    assert.equal(await page.getAttribute('#toy', 'data-state'), 'running');
    assert.equal(await page.getAttribute('#paint', 'data-state'), 'running');
    // The loss is handled, not reported as an error.
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 15 * MINUTE });
});
