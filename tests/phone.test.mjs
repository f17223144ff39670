// Phones (issue 18): the demo page on an emulated Pixel 7 (Playwright's
// device descriptor: a 412 px touch screen at 2.625 device pixels per CSS
// pixel) draws the toy's points by touch without scrolling the page, takes a
// photo from the file picker (a phone has no drag and drop), at 320 and
// 430 px nothing is wider than the screen, and with the CPU four times
// slower both demos train while main-thread tasks stay under 50 ms.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { devices } from 'playwright-core';
import { MINUTE, collectErrors, horizontalOverflow, imagesDir, numberAttr, serveAndLaunch, waitForAttr } from './helpers.mjs';

const CHELSEA = path.join(imagesDir, 'chelsea.png');

// A one-finger stroke from (x0, y0) to (x1, y1) in `steps` moves a frame
// apart, as a touch screen sends it (Playwright's touchscreen only taps).
async function touchStroke(page, cdp, [x0, y0], [x1, y1], steps = 30) {
  const point = (t) => [{ x: x0 + (x1 - x0) * t, y: y0 + (y1 - y0) * t, id: 1 }];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: point(0) });
  for (let i = 1; i <= steps; i++) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: point(i / steps) });
    await page.waitForTimeout(16);
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

async function openPhone(browser, url, descriptor) {
  const context = await browser.newContext(descriptor);
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto(url);
  return { context, page, errors };
}

describe('phones', () => {
  const env = serveAndLaunch({ webgpu: false });

  test('on a Pixel 7, a finger draws points without scrolling, and the picker takes a photo', async () => {
    const { context, page, errors } = await openPhone(env.browser, `${env.server.url}?data=draw`, devices['Pixel 7']);
    await page.$eval('#toy', (el) => el.scrollIntoView({ block: 'start' }));
    await waitForAttr(page, '#toy', 'data-points', (v) => v === '0', { timeout: 2 * MINUTE });
    const scrollBefore = await page.evaluate(() => window.scrollY);
    const box = await page.locator('#toy-canvas').boundingBox();
    const at = (u, v) => [box.x + box.width * u, box.y + box.height * v];
    const cdp = await context.newCDPSession(page);
    await touchStroke(page, cdp, at(0.2, 0.25), at(0.85, 0.75));
    await touchStroke(page, cdp, at(0.2, 0.75), at(0.85, 0.25));
    // Three points sprayed per position the page sees: 62 sent, of which
    // Chromium delivers from about 20 (while the page is busy starting
    // both demos it drops moves, coalesced or not) to all.
    const points = await numberAttr(page, '#toy', 'data-points');
    assert.ok(points >= 50, `${points} points drawn by touch`);
    assert.equal(await page.evaluate(() => window.scrollY), scrollBefore, 'drawing did not scroll the page');
    await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) >= 1, { timeout: 2 * MINUTE });
    assert.equal(await numberAttr(page, '#toy', 'data-points'), points, 'the model trains on the drawn points');

    // The painting: a photo from the picker.
    await page.$eval('#paint', (el) => el.scrollIntoView({ block: 'start' }));
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 3 * MINUTE });
    assert.ok(await page.isVisible('.file-button'), 'the picker is shown');
    assert.ok(await page.isHidden('.drop-only'), 'no drop zone is offered on a touch screen');
    assert.match(await page.textContent('.drop-hint'), /PNG, JPEG, WebP, GIF, BMP or TIFF/);
    await page.setInputFiles('#paint-file', CHELSEA);
    await waitForAttr(page, '#paint', 'data-image', (v) => v === 'chelsea.png');
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 3 * MINUTE });
    const overflow = await horizontalOverflow(page);
    assert.ok(overflow <= 0, `the page overflows by ${overflow} px`);
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 8 * MINUTE });

  // Main-thread tasks of 50 ms or more (the Long Tasks API's threshold)
  // that start while the page trains, from an observer set before load.
  // Each is told with what the long-animation-frame entry around it says
  // ran in it, if it was a frame.
  const LONG_TASKS = () => {
    window.__longTasks = [];
    window.__longFrames = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longFrames.push(e.toJSON());
    }).observe({ type: 'long-animation-frame', buffered: true });
  };
  const longTasksSince = (page, t) =>
    page.evaluate(
      (t0) =>
        window.__longTasks
          .filter((e) => e.start >= t0)
          .map((e) => {
            const frame = window.__longFrames.find((f) => f.startTime <= e.start + 1 && e.start < f.startTime + f.duration);
            const scripts = frame?.scripts.map((x) => `${x.invoker} ${Math.round(x.duration)} ms`).join(', ');
            const render = frame ? `, rendering ${Math.round(frame.startTime + frame.duration - frame.renderStart)} ms` : '';
            return `${Math.round(e.duration)} ms${frame ? ` (a frame: ${scripts || 'no script'}${render})` : ''}`;
          }),
      t,
    );

  test('on a Pixel 7 with a CPU 4 × slower, both demos train with main-thread tasks under 50 ms', async () => {
    const context = await env.browser.newContext(devices['Pixel 7']);
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.addInitScript(LONG_TASKS);
    await page.goto(env.server.url);
    await page.$eval('#toy', (el) => el.scrollIntoView({ block: 'start' }));
    await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) > 0, { timeout: 2 * MINUTE });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    // The plots' resolution settles (resolution.js: 30 frames unjudged,
    // then lowered on slow ones) within a few hundred steps.
    const step = await numberAttr(page, '#toy', 'data-step');
    await waitForAttr(page, '#toy', 'data-step', (v, to) => Number(v) >= to, { arg: step + 600, timeout: 3 * MINUTE });

    // The long tasks of a window of training: from now until `demo`'s
    // attribute `name` has grown by `by`.
    async function measure(demo, name, by) {
      const since = await page.evaluate(() => performance.now());
      const from = await numberAttr(page, demo, name);
      await waitForAttr(page, demo, name, (v, to) => Number(v) >= to, { arg: from + by, timeout: 3 * MINUTE });
      return longTasksSince(page, since);
    }
    const toy = await measure('#toy', 'data-step', 6000);

    // The painting, further down: after its second epoch, two more.
    await page.$eval('#paint', (el) => el.scrollIntoView({ block: 'start' }));
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 2, { timeout: 3 * MINUTE });
    const painting = await measure('#paint', 'data-epoch', 2);

    // At most one in all: on this 2-core machine (the Worker training on
    // one core) a lone task can be a garbage collection, or the OS running
    // something else. With the plots' resolution fixed at ratio 2, two
    // runs of three had 4 and 5 (and half as long a window had 2 or 3 in
    // each of five runs); adapting, about 1 such half window in 18 had one.
    const long = [...toy.map((t) => `toy: ${t}`), ...painting.map((t) => `painting: ${t}`)];
    assert.ok(long.length <= 1, `long tasks while training: ${long.join('; ')}`);
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 10 * MINUTE });

  for (const width of [320, 430]) {
    test(`nothing is wider than a ${width} px touch screen`, async () => {
      const descriptor = { viewport: { width, height: 800 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
      const { context, page, errors } = await openPhone(env.browser, env.server.url, descriptor);
      for (const demo of ['#toy', '#paint']) {
        await page.$eval(demo, (el) => el.scrollIntoView({ block: 'start' }));
        await waitForAttr(page, demo, 'data-backend', (v) => v !== null, { timeout: 2 * MINUTE });
      }
      await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 3 * MINUTE });
      const overflow = await horizontalOverflow(page);
      assert.ok(overflow <= 0, `the page overflows by ${overflow} px`);
      assert.deepEqual(errors, []);
      await context.close();
    }, { timeout: 5 * MINUTE });
  }
});
