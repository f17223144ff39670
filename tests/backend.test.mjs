// The backend choice: WebGPU when asked for (SwiftShader here), the CPU when
// there is no adapter or the URL says so, and training works on both.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CPU_WASM,
  MINUTE,
  WEBGPU_WASM,
  adapterInfo,
  collectErrors,
  launch,
  numberAttr,
  openPage,
  serveDist,
  waitForAttr,
  wasmRequests,
} from './helpers.mjs';

// Waits for the first toy NLL, then for the model to train past it.
async function assertToyLearns(page, { steps }) {
  await waitForAttr(page, '#toy', 'data-nll', (v) => v !== null, { timeout: 5 * MINUTE });
  const first = {
    step: await numberAttr(page, '#toy', 'data-step'),
    nll: await numberAttr(page, '#toy', 'data-nll'),
  };
  assert.ok(Number.isFinite(first.nll), `first NLL: ${first.nll}`);
  await waitForAttr(page, '#toy', 'data-step', (v, s) => Number(v) >= s, {
    arg: first.step + steps,
    timeout: 8 * MINUTE,
  });
  const nll = await waitForAttr(page, '#toy', 'data-nll', (v, n) => Number(v) < n, {
    arg: first.nll,
    timeout: 3 * MINUTE,
  });
  return { first, nll: Number(nll) };
}

describe('backend', () => {
  let server;
  // The wasm modules requested since `from` (an index into server.requests).
  const modulesSince = (from) => wasmRequests(server.requests.slice(from));
  before(async () => {
    server = await serveDist();
  });
  after(async () => {
    await server?.close();
  });

  describe('with a WebGPU adapter (SwiftShader)', () => {
    let browser;
    before(async () => {
      browser = await launch({ webgpu: true });
    });
    after(async () => {
      await browser?.close();
    });

    test('?backend=webgpu runs on WebGPU and the toy learns', async () => {
      const from = server.requests.length;
      const { page, errors, context } = await openPage(browser, `${server.url}?backend=webgpu`);
      assert.equal(await page.getAttribute('#toy', 'data-backend'), 'webgpu');
      assert.deepEqual(modulesSince(from), [WEBGPU_WASM], 'the WebGPU module alone');
      assert.equal(await page.getAttribute('#paint', 'data-backend'), 'webgpu');
      const adapter = await adapterInfo(page);
      assert.ok(adapter, 'Chromium with --enable-unsafe-webgpu offers an adapter');
      const line = await page.textContent('#backend');
      // Names the adapter (without a GPU: "google swiftshader").
      assert.ok(line.includes(`WebGPU: ${adapter.label}`), line);
      assert.match(line, /requested in the URL/);

      // SwiftShader takes over a second per full-batch step: a few dozen will do.
      const { first, nll } = await assertToyLearns(page, { steps: 20 });
      assert.ok(nll < first.nll, `NLL ${nll} after training vs ${first.nll} at first`);
      assert.deepEqual(errors, []);
      await context.close();
    });

    test('?backend=webgpu trains the grid painting and its PSNR rises', async () => {
      // 64 px keeps SwiftShader's epochs short (16 steps of 256 pixels).
      const { page, errors, context } = await openPage(browser, `${server.url}?backend=webgpu&size=64`, {
        ready: '#paint',
      });
      assert.equal(await page.getAttribute('#paint', 'data-backend'), 'webgpu');
      assert.equal(await page.getAttribute('#paint', 'encoding'), null, 'the default encoding');
      await page.$eval('#paint', (el) => el.scrollIntoView({ block: 'start' }));
      await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 6 * MINUTE });
      assert.equal(await page.getAttribute('#paint', 'data-encoding'), 'grid');
      const first = await numberAttr(page, '#paint', 'data-psnr');
      assert.ok(Number.isFinite(first), `PSNR after epoch 1: ${first}`);
      // The grid's backward (a scatter-add into its table) runs on WebGPU,
      // which has no float atomics: the painting gets better.
      const psnr = await waitForAttr(page, '#paint', 'data-psnr', (v, p) => Number(v) > p + 3, {
        arg: first,
        timeout: 8 * MINUTE,
      });
      const epoch = await numberAttr(page, '#paint', 'data-epoch');
      assert.ok(Number(psnr) > first + 3, `PSNR ${first} dB at epoch 1, ${psnr} dB at epoch ${epoch}`);
      assert.deepEqual(errors, []);
      await context.close();
    }, { timeout: 15 * MINUTE });

    test('a refused GPU device: the CPU module is loaded next, and both demos train there', async () => {
      // The WebGPU module has no CPU backend: a new worker loads the CPU one.
      const from = server.requests.length;
      const { page, errors, context } = await openPage(browser, `${server.url}?backend=webgpu&size=32`, {
        initScript: () => {
          window.__mdnTestHooks = true;
          window.__mdnRefuseGpuDevice = true;
        },
      });
      assert.equal(await page.getAttribute('#toy', 'data-backend'), 'cpu');
      assert.deepEqual(modulesSince(from), [WEBGPU_WASM, CPU_WASM], 'the WebGPU module, then the CPU one');
      assert.match(await page.textContent('#backend'), /CPU: WebGPU init failed: .*refused/);
      assert.doesNotMatch(await page.textContent('#backend-text'), /\n/, 'one line, without the stack');
      await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) > 0);
      await page.$eval('#paint', (el) => el.scrollIntoView({ block: 'start' }));
      await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 3 * MINUTE });
      assert.equal(await page.getAttribute('#paint', 'data-backend'), 'cpu');
      assert.equal(await page.getAttribute('#paint', 'data-image'), 'astronaut.jpg');
      assert.equal(await page.isVisible('#paint-recovery'), false, 'nothing was lost, so no notice');
      assert.deepEqual(errors, []);
      await context.close();
    });

    test('?backend=cpu overrides the automatic choice', async () => {
      const from = server.requests.length;
      const { page, errors, context } = await openPage(browser, `${server.url}?backend=cpu`);
      assert.equal(await page.getAttribute('#toy', 'data-backend'), 'cpu');
      assert.deepEqual(modulesSince(from), [CPU_WASM], 'the CPU module alone');
      assert.match(await page.textContent('#backend'), /CPU: requested in the URL/);
      await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) > 0);
      assert.deepEqual(errors, []);
      await context.close();
    });
  });

  describe('without a WebGPU adapter', () => {
    let browser;
    before(async () => {
      browser = await launch({ webgpu: false });
    });
    after(async () => {
      await browser?.close();
    });

    test('falls back to the CPU, says why, and the toy learns', async () => {
      const from = server.requests.length;
      const { page, errors, context } = await openPage(browser, server.url);
      assert.equal(await page.getAttribute('#toy', 'data-backend'), 'cpu');
      assert.deepEqual(modulesSince(from), [CPU_WASM], 'never the WebGPU module');
      assert.equal(await page.getAttribute('#paint', 'data-backend'), 'cpu');
      assert.match(await page.textContent('#backend'), /CPU: (no WebGPU adapter|WebGPU unavailable)/);

      const { first, nll } = await assertToyLearns(page, { steps: 300 });
      assert.ok(nll < first.nll);
      assert.deepEqual(errors, []);
      await context.close();
    });
  });

  describe('in a browser without WebGPU (no navigator.gpu)', () => {
    let browser;
    before(async () => {
      browser = await launch({ webgpu: false });
    });
    after(async () => {
      await browser?.close();
    });

    test('never requests the WebGPU module, and trains on the CPU', async () => {
      // No Chromium switch removes navigator.gpu, so the page and its worker
      // lose it before any of their scripts run: the worker's script gets a
      // first line that deletes it.
      const context = await browser.newContext();
      await context.addInitScript(() => delete Object.getPrototypeOf(navigator).gpu);
      await context.route('**/www/worker.js', async (route) => {
        const response = await route.fetch();
        const body = `delete Object.getPrototypeOf(navigator).gpu;\n${await response.text()}`;
        await route.fulfill({ response, body });
      });
      const page = await context.newPage();
      const errors = collectErrors(page);
      const from = server.requests.length;
      await page.goto(server.url);
      await waitForAttr(page, '#toy', 'data-backend', (v) => v !== null);
      assert.equal(await page.evaluate(() => 'gpu' in navigator), false, 'navigator.gpu is absent');
      assert.equal(await page.getAttribute('#toy', 'data-backend'), 'cpu');
      assert.match(await page.textContent('#backend'), /navigator\.gpu missing/);
      await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) > 0);
      assert.deepEqual(modulesSince(from), [CPU_WASM]);
      assert.ok(!server.requests.slice(from).includes('/mdn-web.js'), 'nor its bindings');
      assert.deepEqual(errors, []);
      await context.close();
    });
  });
});
