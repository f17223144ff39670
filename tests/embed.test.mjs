// Embedding (issue 5): the sample blog post (examples/blog-post.html) with a
// toy and a painting <mdn-demo>, and the iframe view (embed.html). Demos load
// nothing heavy and train only once scrolled into view, pause out of view and
// resume where they stopped, share one worker (one wasm download), keep the
// post's CSS out and their own in, fit a phone, and take their set-up from
// the iframe view's URL. Everything runs on the CPU backend (quick here).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  MINUTE,
  artifactsDir,
  collectErrors,
  numberAttr,
  openPage,
  scrollToTop,
  serveAndLaunch,
  shadowText,
  horizontalOverflow,
  waitForAttr,
  WASM_MODULES,
  wasmRequests,
} from './helpers.mjs';

const TOY = 'mdn-demo[kind=toy]';
const PAINT = 'mdn-demo[kind=paint]';
// What a reader who never reaches a demo must not download.
const HEAVY = [
  ...WASM_MODULES.flatMap((m) => [`/${m}_bg.wasm`, `/${m}.js`]),
  '/www/worker.js',
  '/www/assets/astronaut.jpg',
];

const count = (requests, file) => requests.filter((p) => p === file).length;

// Whether any part of the element is inside the viewport.
function inView(page, selector) {
  return page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight && r.right > 0 && r.left < window.innerWidth;
  });
}

// The elements inside a demo's shadow root that stick out of the demo.
function overflowing(page, selector) {
  return page.$eval(selector, (host) => {
    const box = host.getBoundingClientRect();
    return [...host.shadowRoot.querySelectorAll('*')]
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1);
      })
      .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`);
  });
}

describe('the sample blog post', () => {
  const env = serveAndLaunch({ webgpu: false });

  test('demos start only in view, pause out of view, resume, and share one wasm download', async () => {
    const first = env.server.requests.length;
    const { page, context, errors } = await openPage(env.browser, `${env.server.url}examples/blog-post.html?backend=cpu`, {
      viewport: { width: 1024, height: 700 },
      ready: null,
    });
    await page.waitForLoadState('networkidle');
    const requests = () => env.server.requests.slice(first);

    // Loaded, not scrolled: both demos are drawn but idle, and nothing heavy came.
    assert.equal(await inView(page, TOY), false, 'the toy starts below the fold');
    for (const demo of [TOY, PAINT]) {
      assert.equal(await page.getAttribute(demo, 'data-state'), 'idle', demo);
      assert.equal(await page.getAttribute(demo, 'data-step'), null, demo);
    }
    for (const file of HEAVY) assert.equal(count(requests(), file), 0, `${file} fetched before any scrolling`);

    // The toy in view: it starts and trains; the painting, still far below, does not.
    await scrollToTop(page, TOY);
    await waitForAttr(page, TOY, 'data-step', (v) => Number(v) >= 50, { timeout: 3 * MINUTE });
    assert.equal(await page.getAttribute(TOY, 'data-backend'), 'cpu');
    assert.equal(await inView(page, PAINT), false);
    assert.equal(await page.getAttribute(PAINT, 'data-state'), 'idle');
    assert.equal(count(requests(), '/www/assets/astronaut.jpg'), 0, 'the painting fetched its picture early');

    // The painting in view, the toy out of it: the painting trains, the toy pauses.
    await scrollToTop(page, PAINT);
    assert.equal(await inView(page, TOY), false, 'the toy is out of view');
    await waitForAttr(page, TOY, 'data-state', (v) => v === 'paused');
    const seed = await page.getAttribute(TOY, 'data-seed');
    const pausedAt = await numberAttr(page, TOY, 'data-step');
    const epoch = Number(await waitForAttr(page, PAINT, 'data-epoch', (v) => Number(v) >= 1, { timeout: 3 * MINUTE }));
    // The worker kept training (two more epochs of the painting) and the toy
    // did not move.
    await waitForAttr(page, PAINT, 'data-epoch', (v, e) => Number(v) >= e + 2, { arg: epoch, timeout: 3 * MINUTE });
    assert.equal(await numberAttr(page, TOY, 'data-step'), pausedAt, 'the toy trained while out of view');

    // Back to the toy: it resumes the same model from where it stopped.
    await scrollToTop(page, TOY);
    await waitForAttr(page, TOY, 'data-state', (v) => v === 'running');
    await waitForAttr(page, TOY, 'data-step', (v, s) => Number(v) > s, { arg: pausedAt, timeout: 2 * MINUTE });
    assert.equal(await page.getAttribute(TOY, 'data-seed'), seed, 'the same model, not a restart');

    // A hidden tab pauses the demo in view too, and showing it resumes it.
    const setHidden = (hidden) =>
      page.evaluate((h) => {
        Object.defineProperty(document, 'hidden', { value: h, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    await waitForAttr(page, TOY, 'data-state', (v) => v === 'paused');
    await setHidden(false);
    await waitForAttr(page, TOY, 'data-state', (v) => v === 'running');

    // One worker and one wasm module for both demos.
    assert.equal(wasmRequests(requests()).length, 1, 'one wasm module fetched, once');
    assert.equal(count(requests(), '/www/worker.js'), 1, 'one worker');
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 12 * MINUTE });

  test("the post's CSS stays out of the demos and theirs out of the post", async () => {
    const { page, context, errors } = await openPage(env.browser, `${env.server.url}examples/blog-post.html?backend=cpu`, {
      viewport: { width: 1024, height: 700 },
      ready: null,
    });
    // Controls in the post itself: a canvas and a button outside any demo.
    await page.evaluate(() => {
      const article = document.querySelector('article');
      article.insertAdjacentHTML('beforeend', '<canvas id="post-canvas"></canvas><button id="post-button">x</button>');
    });
    // The demos' rules (canvas { width: 100% }, a blue button) do not reach
    // the post. (A view comes in once its module has loaded.)
    await page.waitForSelector('#toy-restart');
    assert.equal(await page.$eval('#post-canvas', (c) => getComputedStyle(c).width), '300px');
    const postButton = await page.$eval('#post-button', (b) => getComputedStyle(b).backgroundColor);
    const demoButton = await page.$eval('#toy-restart', (b) => getComputedStyle(b).backgroundColor);
    assert.notEqual(postButton, demoButton);
    // Nor do the post's fonts: the post is set in Georgia, the demos are not.
    assert.match(await page.$eval('article p', (p) => getComputedStyle(p).fontFamily), /Georgia/);
    assert.doesNotMatch(await page.$eval('#toy-status', (s) => getComputedStyle(s).fontFamily), /Georgia/);

    // A hostile rule in the post hides its own canvases and buttons, not the demos'.
    await page.addStyleTag({ content: 'canvas, button { display: none !important; }' });
    assert.equal(await page.isVisible('#post-canvas'), false, 'the rule applies in the post');
    await scrollToTop(page, TOY);
    await waitForAttr(page, TOY, 'data-step', (v) => Number(v) > 0, { timeout: 3 * MINUTE });
    for (const id of ['#toy-canvas', '#toy-nll', '#toy-restart']) {
      const box = await page.locator(`${TOY} ${id}`).boundingBox();
      assert.ok(box && box.width > 50 && box.height > 20, `${id}: ${JSON.stringify(box)}`);
    }
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 6 * MINUTE });

  test('fits a 375 px phone, a 320 px one and a 1200 px column without overflowing', async () => {
    const { page, context, errors } = await openPage(env.browser, `${env.server.url}examples/blog-post.html?backend=cpu`, {
      viewport: { width: 375, height: 812 },
      ready: null,
    });
    await scrollToTop(page, TOY);
    await waitForAttr(page, TOY, 'data-step', (v) => Number(v) >= 100, { timeout: 3 * MINUTE });
    fs.mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: path.join(artifactsDir, 'post-375-toy.png') });
    await scrollToTop(page, PAINT);
    await waitForAttr(page, PAINT, 'data-epoch', (v) => Number(v) >= 1, { timeout: 3 * MINUTE });
    await page.screenshot({ path: path.join(artifactsDir, 'post-375-paint.png') });

    for (const width of [375, 320]) {
      await page.setViewportSize({ width, height: 812 });
      assert.ok((await horizontalOverflow(page)) <= 0, `no horizontal overflow at ${width} px`);
      for (const demo of [TOY, PAINT]) {
        const box = await page.locator(demo).boundingBox();
        assert.ok(box.x >= 0 && box.x + box.width <= width, `${demo} inside ${width} px: ${JSON.stringify(box)}`);
        assert.deepEqual(await overflowing(page, demo), [], `${demo} at ${width} px`);
      }
    }
    // As wide as a wide column gets: the demos grow with it.
    await page.setViewportSize({ width: 1280, height: 812 });
    await page.addStyleTag({ content: 'article { max-width: 1200px; padding: 0; }' });
    for (const demo of [TOY, PAINT]) {
      const box = await page.locator(demo).boundingBox();
      assert.ok(Math.abs(box.width - 1200) <= 1, `${demo} is ${box.width} px wide in a 1200 px column`);
      assert.deepEqual(await overflowing(page, demo), [], `${demo} at 1200 px`);
    }
    await page.setViewportSize({ width: 320, height: 812 });
    await page.addStyleTag({ content: 'article { max-width: 42rem; padding: 2rem 1.25rem 4rem; }' });
    for (const [name, demo] of [['toy', TOY], ['paint', PAINT]]) {
      await scrollToTop(page, demo);
      await page.screenshot({ path: path.join(artifactsDir, `post-320-${name}.png`) });
    }
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 8 * MINUTE });
});

describe('the iframe view', () => {
  const env = serveAndLaunch({ webgpu: false });

  test('a toy starts with the temperatures in its URL, and keeps changes in it', async () => {
    const url = `${env.server.url}embed.html?kind=toy&tau-pi=0.5&tau-sigma=1.5&backend=cpu`;
    const { page, context, errors } = await openPage(env.browser, url, { ready: 'mdn-demo' });
    // No page chrome: the one demo is all the page holds.
    assert.deepEqual(await page.evaluate(() => [...document.body.children].map((e) => e.tagName)), ['MDN-DEMO']);
    assert.equal(await page.inputValue('#toy-tau-pi'), '0.5');
    assert.equal(await page.inputValue('#toy-tau-sigma'), '1.5');
    assert.equal(await shadowText(page, 'mdn-demo', 'toy-tau-pi-value'), '0.50');
    await waitForAttr(page, 'mdn-demo', 'data-step', (v) => Number(v) > 0, { timeout: 3 * MINUTE });
    assert.equal(await page.getAttribute('mdn-demo', 'data-backend'), 'cpu');

    await page.fill('#toy-tau-sigma', '0.25');
    assert.equal(await page.getAttribute('mdn-demo', 'tau-sigma'), '0.25');
    assert.equal(new URL(page.url()).searchParams.get('tau-sigma'), '0.25');
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 5 * MINUTE });

  test('a painting in an iframe starts with the picture, size, covariance and K in its URL', async () => {
    const src = `${env.server.url}embed.html?kind=paint&src=/test-images/coffee.png&covariance=iso&components=4&size=64&backend=cpu`;
    const context = await env.browser.newContext({ viewport: { width: 800, height: 900 } });
    const page = await context.newPage();
    // The iframe's console and its worker's are the page's.
    const errors = collectErrors(page);
    // A page holding only the iframe, as a blog that allows nothing else would.
    await page.setContent(`<iframe title="demo" style="width: 360px; height: 800px; border: 0" src="${src}"></iframe>`);
    const frame = page.frame({ url: /embed\.html/ });
    await frame.waitForSelector('mdn-demo');
    await waitForAttr(frame, 'mdn-demo', 'data-epoch', (v) => Number(v) >= 1, { timeout: 3 * MINUTE });
    assert.equal(await frame.getAttribute('mdn-demo', 'data-image'), 'coffee.png');
    assert.equal(await frame.getAttribute('mdn-demo', 'data-covariance'), 'isotropic');
    assert.equal(await frame.getAttribute('mdn-demo', 'data-components'), '4');
    assert.equal(await frame.inputValue('#paint-covariance'), 'isotropic');
    assert.equal(await frame.inputValue('#paint-components'), '4');
    // coffee.png is 600 × 400: trained at 64 px on its longer side.
    assert.deepEqual(await frame.$eval('#paint-target', (c) => [c.width, c.height]), [64, 43]);
    assert.match(await shadowText(frame, 'mdn-demo', 'paint-repaint-caption'), /K = 4, isotropic/);
    assert.deepEqual(await overflowing(frame, 'mdn-demo'), []);
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 5 * MINUTE });

  test('bad attributes get a message in the demo, which paints the default picture', async () => {
    const url = `${env.server.url}embed.html?kind=paint&src=missing.png&covariance=banana&components=40&size=64&backend=cpu`;
    const { page, context, errors } = await openPage(env.browser, url, { ready: 'mdn-demo' });
    await waitForAttr(page, 'mdn-demo', 'data-epoch', (v) => Number(v) >= 1, { timeout: 3 * MINUTE });
    assert.equal(await page.getAttribute('mdn-demo', 'data-image'), 'astronaut.jpg');
    assert.equal(await page.getAttribute('mdn-demo', 'data-covariance'), 'diagonal');
    assert.equal(await page.getAttribute('mdn-demo', 'data-components'), '8');
    assert.ok(await page.isVisible('#paint-message'));
    const message = await page.textContent('#paint-message');
    assert.match(message, /“missing\.png” \(HTTP 404\); painting the default picture instead/);
    assert.match(message, /covariance="banana" is not isotropic, diagonal or full/);
    assert.match(message, /components="40" is not a whole number from 1 to 32/);
    // The 404 of the missing picture is the only console error.
    assert.ok(errors.every((e) => e.includes('404') && e.includes('missing.png')), errors.join('\n'));
    await context.close();

    // An unknown kind says so inside the element and starts nothing.
    const other = await openPage(env.browser, `${env.server.url}embed.html?kind=histogram`, { ready: null });
    await waitForAttr(other.page, 'mdn-demo', 'data-state', (v) => v === 'failed');
    assert.match(await other.page.textContent('mdn-demo .message'), /Unknown demo kind “histogram”/);
    assert.deepEqual(other.errors, []);
    await other.context.close();
  }, { timeout: 5 * MINUTE });
});
