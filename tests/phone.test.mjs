// Phones (issue 18): the demo page on an emulated Pixel 7 (Playwright's
// device descriptor: a 412 px touch screen at 2.625 device pixels per CSS
// pixel) draws the toy's points by touch without scrolling the page, takes a
// photo from the file picker (a phone has no drag and drop), at 320 and
// 430 px nothing is wider than the screen, and with its main thread at a
// phone's speed both demos train with the toy's plots drawn in their
// worker.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { devices } from 'playwright-core';
import {
  MINUTE,
  TOY_CANVASES,
  canvasesDrawnOnPage,
  collectErrors,
  emulateDeviceSpeed,
  horizontalOverflow,
  imagesDir,
  numberAttr,
  serveAndLaunch,
  waitForAttr,
} from './helpers.mjs';

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
    // Counts the finger's positions the page receives, as the toy reads
    // them (with the moves Chromium coalesced): how many of the 62 sent
    // arrive depends on how busy the machine is, what each one draws not.
    await page.$eval('#toy', (demo) => {
      window.__touchPositions = 0;
      const canvas = demo.shadowRoot.getElementById('toy-canvas');
      const count = (e) => {
        if (e.pointerType === 'touch') window.__touchPositions += (e.getCoalescedEvents?.() ?? [e]).length;
      };
      canvas.addEventListener('pointerdown', count, { capture: true });
      canvas.addEventListener('pointermove', count, { capture: true });
    });
    const cdp = await context.newCDPSession(page);
    // Well inside the plot area, where every position sprays.
    await touchStroke(page, cdp, at(0.3, 0.3), at(0.75, 0.7));
    await touchStroke(page, cdp, at(0.3, 0.7), at(0.75, 0.3));
    const positions = await page.evaluate(() => window.__touchPositions);
    const points = await numberAttr(page, '#toy', 'data-points');
    // Three points sprayed around each position, less those a Gaussian
    // throws off the drawing's range or that fall outside the plot as it
    // follows the points drawn so far (2.5 to 2.7 a position seen here).
    assert.ok(positions >= 2, `${positions} positions of the finger reached the page`);
    assert.ok(points <= 3 * positions && points >= 2 * positions, `${points} points drawn for ${positions} positions`);
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

  // The page's main thread at a phone's speed (emulateDeviceSpeed: the
  // same speed on any host; the worker keeps the host's). What the page
  // does there is asserted, not how long its tasks take: those are
  // tests/bench.mjs's `responsiveness` figures.
  test("on a Pixel 7 at a phone's CPU speed, both demos train and the toy's plots stay off the main thread", async (t) => {
    const context = await env.browser.newContext(devices['Pixel 7']);
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(env.server.url);
    const speed = await emulateDeviceSpeed(context, page);
    t.diagnostic(speed.note);
    await page.$eval('#toy', (el) => el.scrollIntoView({ block: 'start' }));
    await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) > 0, { timeout: 2 * MINUTE });
    assert.deepEqual(await canvasesDrawnOnPage(page, '#toy', TOY_CANVASES), [], 'toy canvases the page draws on');
    const step = await numberAttr(page, '#toy', 'data-step');
    await waitForAttr(page, '#toy', 'data-step', (v, to) => Number(v) >= to, { arg: step + 1000, timeout: 3 * MINUTE });
    // The painting, further down.
    await page.$eval('#paint', (el) => el.scrollIntoView({ block: 'start' }));
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 2, { timeout: 3 * MINUTE });
    assert.equal(await page.getAttribute('#toy', 'data-state'), 'paused', 'the toy scrolled away waits');
    assert.equal(await page.getAttribute('#paint', 'data-state'), 'running');
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
