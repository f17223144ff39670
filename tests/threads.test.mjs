// The CPU backend's two modules, by how the page is served: cross-origin
// isolated (COOP/COEP from dist/_headers, as `npm run serve` and hosts that
// read that file send them), the threaded module with a thread per core
// (up to 8); otherwise the single-threaded module, as before threads came.
// Either way the default painting trains and improves.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CPU_WASM,
  MINUTE,
  THREADS_WASM,
  launch,
  numberAttr,
  openPage,
  recordRepaints,
  scrollToTop,
  serveDist,
  waitForAttr,
  wasmRequests,
} from './helpers.mjs';

describe('threads', () => {
  for (const isolated of [true, false]) {
    const served = isolated ? 'cross-origin isolated' : 'without isolation';
    const expected = isolated ? 'the threaded module, a thread per core' : 'the single-threaded module';
    test(`${served}: ${expected}, and the painting improves`, async () => {
      const server = await serveDist({ isolated });
      const browser = await launch({ webgpu: false });
      try {
        const { page, context, errors } = await openPage(browser, `${server.url}?backend=cpu`, {
          initScript: recordRepaints,
        });
        assert.equal(await page.evaluate(() => crossOriginIsolated), isolated);
        const cores = await page.evaluate(() => navigator.hardwareConcurrency);
        // The toy, first on the page, starts the worker both demos share.
        const threads = await numberAttr(page, '#toy', 'data-threads');
        const line = await page.textContent('#toy >> #backend-text');
        if (isolated) {
          assert.equal(threads, Math.min(cores, 8), `${cores} cores`);
          assert.ok(cores < 2 || threads > 1, `${threads} threads on ${cores} cores`);
          assert.match(line, new RegExp(`^CPU, ${threads} threads: `));
          assert.deepEqual(wasmRequests(server.requests), [THREADS_WASM]);
        } else {
          assert.equal(threads, 1);
          assert.match(line, /^CPU: /);
          assert.deepEqual(wasmRequests(server.requests), [CPU_WASM]);
        }
        await scrollToTop(page, '#paint');
        await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 20, { timeout: 10 * MINUTE });
        const epochs = await page.evaluate(() => window.__epochs);
        const at = (n) => epochs.find((e) => e.epoch === n)?.psnr;
        // Threads do not change the maths (crates/mdn-cli/tests/cli.rs,
        // one_thread_and_two_train_to_the_same_nll), so the single thread's
        // floor holds: the default picture at epoch 20 is 27.76–32.61 dB
        // over seeds 0–39 (crates/mdn-core/examples/floors.rs, "default";
        // tests/paint.test.mjs asks the same).
        assert.ok(at(20) > 24, `PSNR at epoch 20: ${at(20)} dB`);
        assert.ok(at(20) > at(1), `PSNR at epoch 1 ${at(1)} dB, at epoch 20 ${at(20)} dB`);
        assert.deepEqual(errors, []);
        await context.close();
      } finally {
        await browser.close();
        await server.close();
      }
    }, { timeout: 15 * MINUTE });
  }
});
