// A post that does not move, and demos that do not move unasked (issue 33):
// each demo has its final size from its first frame, so that the sample
// post's and the demo page's cumulative layout shift while their demos
// load, start and train is 0 (PerformanceObserver, 'layout-shift'), with
// every demo in view from the start (a tall window) so that any shift of
// theirs counts; and under prefers-reduced-motion a demo shows its first
// frame and waits for Play, which its Pause undoes. CPU backend.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MINUTE, numberAttr, openPage, serveAndLaunch, waitForAttr } from './helpers.mjs';

// Runs in the page before its scripts: every layout shift, and the demos'
// heights at the first frame the page renders.
function recordLayout() {
  window.layoutShifts = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.layoutShifts.push({ value: e.value, at: e.startTime });
  }).observe({ type: 'layout-shift', buffered: true });
  requestAnimationFrame(() => {
    window.firstFrame = {
      defined: Boolean(customElements.get('mdn-demo')),
      heights: [...document.querySelectorAll('mdn-demo')].map((d) => d.getBoundingClientRect().height),
    };
  });
}

const heights = (page) =>
  page.$$eval('mdn-demo', (demos) => demos.map((d) => d.getBoundingClientRect().height));

describe('layout shift', () => {
  const env = serveAndLaunch({ webgpu: false });

  // Both demos of `path` in a window `width` wide and tall enough to show
  // them whole.
  async function checkStill(path, windowHeight, width = 1280) {
    const { page, context, errors } = await openPage(env.browser, `${env.server.url}${path}`, {
      viewport: { width, height: windowHeight },
      initScript: recordLayout,
      ready: 'mdn-demo[kind=toy]',
    });
    try {
      const bottom = await page.$$eval('mdn-demo', (ds) => Math.max(...ds.map((d) => d.getBoundingClientRect().bottom)));
      assert.ok(bottom <= windowHeight, `every demo is in view (${bottom} px of ${windowHeight})`);
      await waitForAttr(page, 'mdn-demo[kind=toy]', 'data-step', (v) => Number(v) >= 300, { timeout: 3 * MINUTE });
      await waitForAttr(page, 'mdn-demo[kind=paint]', 'data-epoch', (v) => Number(v) >= 2, { timeout: 3 * MINUTE });
      const first = await page.evaluate(() => window.firstFrame);
      assert.ok(first.defined, 'the element is defined before the first frame (blocking="render")');
      assert.deepEqual(await heights(page), first.heights, 'each demo is as tall as in the first frame');
      const shifts = await page.evaluate(() => window.layoutShifts);
      assert.deepEqual(shifts, [], 'no layout shift');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  }

  test('the sample post does not move as its demos load, start and train', () =>
    checkStill('examples/blog-post.html', 6000));

  test('nor on a phone, where captions and status lines wrap', () =>
    checkStill('examples/blog-post.html', 9000, 390));

  test('nor does the demo page', () => checkStill('index.html?backend=cpu', 3600));
});

describe('reduced motion', () => {
  const env = serveAndLaunch({ webgpu: false });

  test('a demo shows its first frame and waits for Play; Pause stops it again', async () => {
    const { page, context, errors } = await openPage(env.browser, `${env.server.url}index.html?backend=cpu`, {
      viewport: { width: 1280, height: 3600 },
    });
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.reload();
    try {
      // A first frame: the untrained model's first result, then held.
      await waitForAttr(page, '#toy', 'data-state', (v) => v === 'paused', { timeout: 2 * MINUTE });
      await waitForAttr(page, '#paint', 'data-state', (v) => v === 'paused', { timeout: 2 * MINUTE });
      const held = { step: await numberAttr(page, '#toy', 'data-step'), epoch: await numberAttr(page, '#paint', 'data-epoch') };
      // The toy's first snapshot is of its untrained model, at step 0 (so
      // that the guard judges the first steps against it: www/worker/toy.js).
      assert.ok(held.step >= 0 && held.epoch >= 1, `a first frame (${JSON.stringify(held)})`);
      assert.equal((await page.textContent('#toy >> #play')).trim(), '▶ Play');
      await page.waitForTimeout(3000);
      assert.equal(await numberAttr(page, '#toy', 'data-step'), held.step, 'the toy waits');
      assert.equal(await numberAttr(page, '#paint', 'data-epoch'), held.epoch, 'the painting waits');

      await page.click('#toy >> #play');
      await waitForAttr(page, '#toy', 'data-step', (v, s) => Number(v) > s + 100, { arg: held.step, timeout: 2 * MINUTE });
      assert.equal(await page.getAttribute('#paint', 'data-state'), 'paused', 'Play plays its own demo only');
      await page.click('#toy >> #play');
      await waitForAttr(page, '#toy', 'data-state', (v) => v === 'paused', { timeout: MINUTE });
      const paused = await numberAttr(page, '#toy', 'data-step');
      await page.waitForTimeout(2000);
      assert.equal(await numberAttr(page, '#toy', 'data-step'), paused, 'Pause stops it');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
