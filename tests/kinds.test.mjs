// A demo kind is one entry on each side (issue 32): a page registers a
// third kind (tests/fixtures/echo: an entry, a view, a worker script, as
// docs/ARCHITECTURE.md's recipe says) and it runs in the page's one worker
// beside the built-in kinds, with nothing else changed; and the worker
// checks every message from the page against the contract.
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { MINUTE, attr, launch, openPage, serveDist, waitForAttr } from './helpers.mjs';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const env = {};

before(async () => {
  env.server = await serveDist({ mounts: { '/fixtures/': fixtures } });
  env.browser = await launch({ webgpu: false });
});
after(async () => {
  await env.browser?.close();
  await env.server?.close();
});

test('a kind registered by the page runs in the worker and shows its echo', async () => {
  const { page, context, errors } = await openPage(env.browser, `${env.server.url}fixtures/echo/echo.html`, {
    ready: '#echo',
  });
  try {
    await waitForAttr(page, '#echo', 'data-echoed', (v) => v === 'hello', { timeout: 2 * MINUTE });
    const text = await page.$eval('#echo', (el) => el.shadowRoot.querySelector('.echo').textContent);
    assert.equal(text, 'echo: hello');
    await waitForAttr(page, '#echo', 'data-state', (v) => v === 'running');
    // The unknown kind's message names every registered kind, the third too.
    assert.equal(await attr(page, '#unknown', 'data-state'), 'failed');
    const message = await page.$eval('#unknown', (el) => el.shadowRoot.querySelector('[role=alert]').textContent);
    assert.match(message, /kind="toy" or kind="paint" or kind="echo"/);
    // A message the contract does not allow (TOY_PROBE's x a string) is
    // refused by the wasm's check, said on the console, and fails its demo.
    await waitForAttr(page, '#malformed', 'data-state', (v) => v === 'failed');
    assert.match(await attr(page, '#malformed', 'data-error'), /contract does not allow.*invalid type/);
    // (The worker's console.error comes through the page's console too.)
    assert.ok(errors.length > 0, 'the refusal is on the console');
    for (const error of errors) assert.match(error, /contract does not allow.*toy-probe/);
  } finally {
    await context.close();
  }
});
