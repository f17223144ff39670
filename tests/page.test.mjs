// The page as a visitor gets it (automatic backend choice): it loads cleanly,
// both demos train on while the toy's plots are drawn off the main thread,
// the toy restarts, and it fits both a desktop and a phone screen. How long
// the main thread's tasks take is a figure of tests/bench.mjs (its
// `responsiveness` section), not a test: it depends on the machine.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  MINUTE,
  TOY_CANVASES,
  adapterInfo,
  canvasesDrawnOnPage,
  artifactsDir,
  launch,
  numberAttr,
  openPage,
  serveDist,
  horizontalOverflow,
  waitForAttr,
} from './helpers.mjs';

describe('page', () => {
  let server;
  let browser;
  let page;
  let errors;

  before(async () => {
    server = await serveDist();
    browser = await launch({ webgpu: true });
    // Tall enough that both demos are in view: a demo trains only while it is.
    ({ page, errors } = await openPage(browser, server.url, { viewport: { width: 1280, height: 2200 } }));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('loads without errors and both demos name their backend', async () => {
    const toyBackend = await waitForAttr(page, '#toy', 'data-backend', (v) => v !== null);
    const paintBackend = await waitForAttr(page, '#paint', 'data-backend', (v) => v !== null);
    assert.ok(['webgpu', 'cpu'].includes(toyBackend), toyBackend);
    assert.equal(paintBackend, toyBackend);

    // Without a GPU, headless Chromium's only adapter is SwiftShader, a
    // software rasteriser: the automatic choice must then prefer the CPU
    // backend and say why. A hardware adapter must be used.
    const adapter = await adapterInfo(page);
    const line = await page.textContent('#backend');
    if (!adapter) {
      assert.equal(toyBackend, 'cpu');
      assert.match(line, /CPU: no WebGPU adapter/);
    } else if (adapter.software) {
      assert.equal(toyBackend, 'cpu');
      assert.match(line, /CPU: only a software WebGPU adapter: /);
      assert.ok(line.includes(adapter.label), line);
    } else {
      assert.match(line, /CPU: first, while WebGPU|CPU: measuring WebGPU|training on|WebGPU init failed: /);
    }

    // Both demos actually run: a toy snapshot and a first painted epoch.
    await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) > 0);
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 5 * MINUTE });
    assert.equal(await page.getAttribute('#paint', 'data-image'), 'astronaut.jpg');
    assert.ok(await page.isHidden('#paint-message'), 'no error message on a clean load');
    assert.equal(await page.getAttribute('#toy', 'data-error'), null);
    assert.equal(await page.getAttribute('#paint', 'data-error'), null);
    assert.deepEqual(errors, []);
  });

  test('both demos train on, and the toy is drawn off the main thread', async () => {
    await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) > 0);
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 5 * MINUTE });
    // The toy's five canvases were handed to the plot worker
    // (www/plot-link.js): the page can no longer draw on them.
    const drawnOnPage = await canvasesDrawnOnPage(page, '#toy', TOY_CANVASES);
    assert.deepEqual(drawnOnPage, [], 'canvases the page still draws on');
    // Progress counted in steps and epochs, not over a time window: a demo
    // that stalls never gets there, however fast the machine.
    const step = await numberAttr(page, '#toy', 'data-step');
    const epoch = await numberAttr(page, '#paint', 'data-epoch');
    await waitForAttr(page, '#toy', 'data-step', (v, s) => Number(v) >= s + 300, { arg: step });
    await waitForAttr(page, '#paint', 'data-epoch', (v, e) => Number(v) >= e + 3, { arg: epoch, timeout: 5 * MINUTE });
    assert.deepEqual(errors, []);
  });

  test('Restart starts again from step 0 with new data, and training resumes', async () => {
    await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) >= 100, { timeout: 5 * MINUTE });
    for (let round = 0; round < 2; round++) {
      const seedBefore = await page.getAttribute('#toy', 'data-seed');
      const stepBefore = await numberAttr(page, '#toy', 'data-step');
      await page.click('#toy-restart');
      // Checked every frame, so the first step and NLL of the new model are
      // read as they arrive.
      const handle = await page.waitForFunction(
        (old) => {
          const toy = document.getElementById('toy');
          const { seed, step, nll } = toy.dataset;
          return seed !== old && nll !== undefined && { seed, step: Number(step), nll: Number(nll) };
        },
        seedBefore,
        { polling: 'raf', timeout: 2 * MINUTE },
      );
      const first = await handle.jsonValue();
      assert.ok(first.step < Math.min(stepBefore, 50), `first step after restart: ${first.step}`);

      // The new model trains: steps rise and its NLL drops below its first
      // (natively from step 1 by 1.74–4.30 in 100 steps, seeds 0–39:
      // crates/mdn-core/examples/floors.rs, "toy-inverse").
      await waitForAttr(page, '#toy', 'data-step', (v, s) => Number(v) >= s + 100, { arg: first.step });
      await waitForAttr(page, '#toy', 'data-nll', (v, nll) => Number(v) < nll, { arg: first.nll });
      assert.equal(await page.getAttribute('#toy', 'data-seed'), first.seed);
    }
    assert.deepEqual(errors, []);
  });

  test('fits 1280 px and 375 px wide screens', async () => {
    assert.ok((await horizontalOverflow(page)) <= 0, 'no horizontal overflow at 1280 px');
    // Into the ignored artifacts folder: a test run writes no tracked file
    // (`npm run screenshot` refreshes README's docs/screenshot.png).
    fs.mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: path.join(artifactsDir, 'page.png'), fullPage: true });

    await page.setViewportSize({ width: 375, height: 812 });
    // Laid out at the new size by the second animation frame.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    assert.ok((await horizontalOverflow(page)) <= 0, 'no horizontal overflow at 375 px');
    await page.screenshot({ path: path.join(artifactsDir, 'mobile.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });
});
