// Six demos on one page (examples/many-demos.html, CPU backend) share the
// one Worker: each advances and none starves. Progress is counted in steps
// and epochs, never over a time window; how long the page's main-thread
// tasks take beside six demos is a figure of tests/bench.mjs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MINUTE, openPage, serveAndLaunch, wasmRequests } from './helpers.mjs';

const TOYS = ['#toy-inverse', '#toy-bishop', '#toy-forward'];
const PAINTINGS = ['#paint-grid', '#paint-full', '#paint-fourier'];
// How far each must get past where it was once all six had started: a demo
// the scheduler starved would never get there.
const STEPS = 100;
const EPOCHS = 2;

describe('six demos on one page', () => {
  const env = serveAndLaunch({ webgpu: false });

  test('all six advance, none starves, on one worker and one module', async (t) => {
    // Tall and wide enough that every demo is in view, so all six run.
    const { page, context, errors } = await openPage(env.browser, `${env.server.url}examples/many-demos.html?backend=cpu`, {
      viewport: { width: 1600, height: 2600 },
      ready: '#toy-inverse',
    });
    // Every demo's progress: a toy's step, a painting's epoch (NaN before any).
    const progress = () =>
      page.evaluate(
        ([toys, paintings]) => [
          ...toys.map((s) => Number(document.querySelector(s).dataset.step ?? NaN)),
          ...paintings.map((s) => Number(document.querySelector(s).dataset.epoch ?? NaN)),
        ],
        [TOYS, PAINTINGS],
      );
    await page.waitForFunction(
      (selectors) => selectors.every((s) => Number(document.querySelector(s).dataset.step ?? document.querySelector(s).dataset.epoch) > 0),
      [...TOYS, ...PAINTINGS],
      { timeout: 3 * MINUTE, polling: 500 },
    );
    const before = await progress();
    const goal = before.map((v, i) => v + (i < TOYS.length ? STEPS : EPOCHS));
    await page
      .waitForFunction(
        ([toys, paintings, to]) =>
          [...toys.map((s) => document.querySelector(s).dataset.step), ...paintings.map((s) => document.querySelector(s).dataset.epoch)].every(
            (v, i) => Number(v) >= to[i],
          ),
        [TOYS, PAINTINGS, goal],
        { timeout: 6 * MINUTE, polling: 500 },
      )
      .catch(async (e) => {
        throw new Error(`not every demo advanced: ${JSON.stringify(before)} → ${JSON.stringify(await progress())}, goal ${JSON.stringify(goal)}`, { cause: e });
      });
    t.diagnostic(`progress: ${JSON.stringify(before)} → ${JSON.stringify(await progress())}`);
    for (const s of [...TOYS, ...PAINTINGS]) assert.equal(await page.getAttribute(s, 'data-state'), 'running', s);
    // One worker, one module.
    assert.equal(wasmRequests(env.server.requests).length, 1);
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 10 * MINUTE });
});
