// The page as a visitor gets it (automatic backend choice): it loads cleanly,
// the toy trains and restarts, the main thread never blocks, and it fits both
// a desktop and a phone screen.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  MINUTE,
  adapterInfo,
  artifactsDir,
  launch,
  numberAttr,
  openPage,
  repoRoot,
  serveDist,
  horizontalOverflow,
  waitForAttr,
} from './helpers.mjs';

// Records every main-thread task over 50 ms (the browser's own definition of a
// long task) from the very start of the page, and every long animation frame
// with the scripts that ran in it, so that a failure says what the task was:
// a script of the page, style and layout, or a frame waiting on the
// compositor (a task's wall time also counts time the renderer waits for a
// CPU on a busy machine).
function recordLongTasks() {
  window.__longTasks = [];
  window.__longFrames = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.__longTasks.push({ start: entry.startTime, duration: entry.duration });
    }
  }).observe({ type: 'longtask', buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      window.__longFrames.push({
        start: Math.round(e.startTime),
        duration: Math.round(e.duration),
        renderStart: Math.round(e.renderStart - e.startTime),
        styleAndLayoutStart: Math.round(e.styleAndLayoutStart - e.startTime),
        scripts: e.scripts.map((s) => ({
          invoker: s.invoker,
          source: `${(s.sourceURL || '').split('/').pop()}:${s.sourceFunctionName || ''}`,
          duration: Math.round(s.duration),
          forcedStyleAndLayout: Math.round(s.forcedStyleAndLayoutDuration),
        })),
      });
    }
  }).observe({ type: 'long-animation-frame', buffered: true });
}

describe('page', () => {
  let server;
  let browser;
  let page;
  let errors;

  before(async () => {
    server = await serveDist();
    browser = await launch({ webgpu: true });
    // Tall enough that both demos are in view: a demo trains only while it is.
    ({ page, errors } = await openPage(browser, server.url, {
      initScript: recordLongTasks,
      viewport: { width: 1280, height: 2200 },
    }));
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
      assert.match(line, /WebGPU: |CPU: WebGPU init failed: /);
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

  test('the main thread has no task over 50 ms during 10 s of training', async () => {
    // The observer must have been able to see long tasks at all, or an empty
    // list proves nothing.
    const supported = await page.evaluate(() =>
      PerformanceObserver.supportedEntryTypes.includes('longtask'),
    );
    assert.ok(supported, 'longtask entries are supported');

    await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) > 0);
    const stepBefore = await numberAttr(page, '#toy', 'data-step');
    const epochBefore = await numberAttr(page, '#paint', 'data-epoch');
    const since = await page.evaluate(() => performance.now());
    await page.waitForTimeout(10_000);
    const { longTasks, longFrames } = await page.evaluate(
      (t) => ({
        longTasks: window.__longTasks.filter((e) => e.start >= t),
        longFrames: window.__longFrames.filter((e) => e.start + e.duration >= t),
      }),
      since,
    );

    assert.deepEqual(
      longTasks,
      [],
      `long tasks during training: ${JSON.stringify(longTasks)}; long animation frames: ${JSON.stringify(longFrames)}`,
    );
    // ...and it was training all along, not sitting idle.
    assert.ok((await numberAttr(page, '#toy', 'data-step')) > stepBefore, 'toy kept training');
    assert.ok((await numberAttr(page, '#paint', 'data-epoch')) >= epochBefore, 'painting kept its epoch');
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

      // The new model trains: steps rise and its NLL drops below its first.
      await waitForAttr(page, '#toy', 'data-step', (v, s) => Number(v) >= s + 100, { arg: first.step });
      await waitForAttr(page, '#toy', 'data-nll', (v, nll) => Number(v) < nll, { arg: first.nll });
      assert.equal(await page.getAttribute('#toy', 'data-seed'), first.seed);
    }
    assert.deepEqual(errors, []);
  });

  test('fits 1280 px and 375 px wide screens; screenshot for the README', async () => {
    // Enough training that the screenshot shows the branches being learnt.
    await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) >= 1500, { timeout: 5 * MINUTE });
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 3, { timeout: 5 * MINUTE });

    assert.ok((await horizontalOverflow(page)) <= 0, 'no horizontal overflow at 1280 px');
    fs.mkdirSync(path.join(repoRoot, 'docs'), { recursive: true });
    // The viewport is taller than the page (both demos in view): cut the
    // screenshot at the page's end.
    const height = await page.evaluate(() => Math.ceil(document.body.getBoundingClientRect().bottom));
    await page.screenshot({
      path: path.join(repoRoot, 'docs', 'screenshot.png'),
      clip: { x: 0, y: 0, width: 1280, height: Math.min(height, 2200) },
    });

    await page.setViewportSize({ width: 375, height: 812 });
    // Let the canvases re-layout and redraw at the new size.
    await page.waitForTimeout(1000);
    assert.ok((await horizontalOverflow(page)) <= 0, 'no horizontal overflow at 375 px');
    fs.mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: path.join(artifactsDir, 'mobile.png'), fullPage: true });
    assert.deepEqual(errors, []);
  }, { timeout: 12 * MINUTE });
});
