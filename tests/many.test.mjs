// Six demos on one page (examples/many-demos.html, CPU backend) share the
// one Worker fairly: each advances, none starves, and the page stays
// responsive.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MINUTE, openPage, serveAndLaunch, wasmRequests } from './helpers.mjs';

const TOYS = ['#toy-inverse', '#toy-bishop', '#toy-forward'];
const PAINTINGS = ['#paint-grid', '#paint-full', '#paint-fourier'];

function recordLongTasks() {
  window.__longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
}

// Every demo's progress: a toy's step, a painting's epoch (NaN before any).
function progress(page) {
  return page.evaluate(
    ([toys, paintings]) => [
      ...toys.map((s) => Number(document.querySelector(s).dataset.step ?? NaN)),
      ...paintings.map((s) => Number(document.querySelector(s).dataset.epoch ?? NaN)),
    ],
    [TOYS, PAINTINGS],
  );
}

describe('six demos on one page', () => {
  const env = serveAndLaunch({ webgpu: false });

  test('all six advance within 30 s of each other, with no long task', async (t) => {
    // Tall and wide enough that every demo is in view, so all six run.
    const { page, context, errors } = await openPage(env.browser, `${env.server.url}examples/many-demos.html?backend=cpu`, {
      viewport: { width: 1600, height: 2600 },
      ready: '#toy-inverse',
      initScript: recordLongTasks,
    });
    // Started: every demo has shown a first result.
    await page.waitForFunction(
      (selectors) => selectors.every((s) => Number(document.querySelector(s).dataset.step ?? document.querySelector(s).dataset.epoch) > 0),
      [...TOYS, ...PAINTINGS],
      { timeout: 3 * MINUTE, polling: 500 },
    );
    const since = await page.evaluate(() => performance.now());
    const before = await progress(page);
    await page.waitForTimeout(30_000);
    const after = await progress(page);
    t.diagnostic(`progress over 30 s: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
    const names = [...TOYS, ...PAINTINGS];
    for (let i = 0; i < names.length; i++) {
      assert.ok(after[i] > before[i], `${names[i]} did not advance: ${before[i]} → ${after[i]}`);
    }
    for (const s of names) assert.equal(await page.getAttribute(s, 'data-state'), 'running', s);
    const longTasks = await page.evaluate((t0) => window.__longTasks.filter((e) => e.start >= t0), since);
    assert.deepEqual(longTasks, [], `long tasks: ${JSON.stringify(longTasks)}`);
    // One worker, one module.
    assert.equal(wasmRequests(env.server.requests).length, 1);
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 6 * MINUTE });
});
