// Six demos on one page (examples/many-demos.html, CPU backend) share the
// one Worker: each advances and none starves. Progress is counted in steps
// and epochs, never over a time window; how long the page's main-thread
// tasks take beside six demos is a figure of tests/bench.mjs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MINUTE, openPage, serveAndLaunch, shadowText, wasmRequests } from './helpers.mjs';

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

  test("beyond the page's cap a demo in view says why it waits, and starts when one is paused", async () => {
    // The same page with a cap of 2 (its meta tag rewritten on the way):
    // four of the six wait.
    const context = await env.browser.newContext({ viewport: { width: 1600, height: 2600 } });
    await context.route('**/examples/many-demos.html*', async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replace(/(name="mdn-demo-max-training" content=)"6"/, '$1"2"');
      await route.fulfill({ response, body });
    });
    const page = await context.newPage();
    await page.goto(`${env.server.url}examples/many-demos.html?backend=cpu`);
    const all = [...TOYS, ...PAINTINGS];
    const states = () => page.evaluate((ids) => ids.map((s) => document.querySelector(s).dataset.state), all);
    await page.waitForFunction((ids) => ids.filter((s) => document.querySelector(s).dataset.state === 'running').length === 2, all, {
      timeout: 2 * MINUTE,
    });
    const before = await states();
    const lines = await Promise.all(all.map((s) => shadowText(page, s, 'waiting')));
    // The four others wait: those never started yet say why (one that
    // started while the slots were first shared out is paused instead).
    assert.equal(before.filter((s) => s === 'running').length, 2, `states: ${JSON.stringify(before)}`);
    const idle = all.filter((_, i) => before[i] === 'idle');
    assert.ok(idle.length > 0, `states: ${JSON.stringify(before)}`);
    for (const s of idle) {
      assert.match(lines[all.indexOf(s)], /^Waiting: at most 2 demos of this page train at once/, s);
    }
    // The reader pauses one of the two: one of the waiting four starts.
    const running = all.find((_, i) => before[i] === 'running');
    await page.click(`${running} >> #play`);
    await page.waitForFunction((ids) => ids.some((s) => document.querySelector(s).dataset.state === 'running'), idle, {
      timeout: 2 * MINUTE,
    });
    const notes = await page.evaluate(
      (ids) => ids.filter((s) => document.querySelector(s).dataset.state === 'running').map((s) => document.querySelector(s).shadowRoot.getElementById('waiting').hidden),
      idle,
    );
    assert.deepEqual(notes, notes.map(() => true), 'a demo that started shows no waiting note');
    await context.close();
  }, { timeout: 5 * MINUTE });
});
