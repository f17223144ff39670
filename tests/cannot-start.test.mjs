// A demo that cannot start says why, in the demo, with what the page's
// author can do: a page whose Content-Security-Policy forbids workers, and
// a model's module whose bindings or wasm cannot be fetched, or whose wasm
// does not compile. Both demos of the page show it; nothing is thrown
// uncaught. (An element loaded from another origin runs:
// tests/package.test.mjs.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MINUTE, openPage, serveAndLaunch, shadowText, waitForAttr } from './helpers.mjs';

// What the message tells an author to do (www/engine.js, CANNOT_START).
const ADVICE = /serve the demo's files .* with Access-Control-Allow-Origin.*iframe of embed\.html/;

// Opens the demo page (both demos in view; `url`, another page) with
// `setUp` routing the requests it names, and waits for both demos to fail.
async function failingPage(env, setUp, url = `${env.server.url}?backend=cpu`) {
  const { page, context, errors } = await openPage(env.browser, 'about:blank', {
    viewport: { width: 1280, height: 2400 },
    ready: null,
  });
  await setUp(page);
  await page.goto(url);
  for (const demo of ['#toy', '#paint']) {
    await waitForAttr(page, demo, 'data-state', (v) => v === 'failed', { timeout: 2 * MINUTE });
  }
  return { page, context, errors };
}

// Each demo's visible message and data-error.
async function shown(page) {
  return {
    toy: await shadowText(page, '#toy', 'toy-status'),
    paint: await shadowText(page, '#paint', 'paint-message'),
    toyError: await page.getAttribute('#toy', 'data-error'),
    paintError: await page.getAttribute('#paint', 'data-error'),
  };
}

describe('a demo that cannot start', () => {
  const env = serveAndLaunch({ webgpu: false });

  test('says so in both demos when the page’s policy forbids workers', async () => {
    const { page, context, errors } = await failingPage(env, (p) =>
      p.route(/\/(index\.html)?(\?.*)?$/, async (route) => {
        const response = await route.fetch();
        const headers = { ...response.headers(), 'content-security-policy': "worker-src 'none'" };
        await route.fulfill({ response, headers });
      }),
    );
    const text = await shown(page);
    for (const message of Object.values(text)) {
      assert.match(message, /the demo's worker could not be (created|loaded)/, JSON.stringify(text));
      assert.match(message, ADVICE, JSON.stringify(text));
    }
    // The refusal is the browser's to report (a CSP violation on the
    // console); the page itself throws nothing.
    assert.deepEqual(errors.filter((e) => e.startsWith('page error')), []);
    await context.close();
  }, { timeout: 5 * MINUTE });

  for (const [what, file, body, status, expected] of [
    ['its bindings cannot be fetched', 'mdn-web-cpu.js', 'gone', 404, /module mdn-web-cpu could not be loaded \(.*importScripts/],
    ['the wasm cannot be fetched', 'mdn-web-cpu_bg.wasm', 'gone', 404, /module mdn-web-cpu could not be loaded \(.*404/],
    ['the wasm does not compile', 'mdn-web-cpu_bg.wasm', 'not wasm at all', 200, /module mdn-web-cpu could not be loaded \(.*magic word/],
  ]) {
    test(`says so in both demos when the model's module ${what}`, async () => {
      const type = file.endsWith('.js') ? 'text/javascript' : 'application/wasm';
      const { page, context, errors } = await failingPage(env, (p) =>
        p.route(`**/${file}`, (route) => route.fulfill({ status, body, contentType: type })),
      );
      const text = await shown(page);
      for (const message of Object.values(text)) {
        assert.match(message, expected, JSON.stringify(text));
        assert.match(message, ADVICE, JSON.stringify(text));
      }
      assert.deepEqual(errors.filter((e) => e.startsWith('page error')), []);
      await context.close();
    }, { timeout: 5 * MINUTE });
  }
});
