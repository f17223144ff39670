// Accessibility (issue 33, item 3): the demo page, the sample post and the
// iframe view pass axe-core with no serious or critical violation (axe
// checks inside the demos' open shadow roots); every control of both demos
// is reached by Tab, in order, with a visible focus, and works from the
// keyboard; each plot and the painting has a text alternative that says
// what it shows, and no live region carries the numbers that change many
// times a second.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { before, describe, test } from 'node:test';
import { MINUTE, openPage, serveAndLaunch, waitForAttr } from './helpers.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const BLOCKING = ['serious', 'critical'];

// axe-core's violations on `page` as it is now, each with the elements it
// found (a path through shadow roots is a list of selectors).
async function axeViolations(page) {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const { violations } = await globalThis.axe.run(document, { resultTypes: ['violations'] });
    return violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target) }));
  });
}

// No serious or critical violation on page `name`; the others are said.
async function assertAccessible(t, page, name) {
  const violations = await axeViolations(page);
  for (const v of violations.filter((v) => !BLOCKING.includes(v.impact))) {
    t.diagnostic(`${name}: ${v.impact} ${v.id} (${v.help}) on ${v.targets.length} element(s)`);
  }
  assert.deepEqual(
    violations.filter((v) => BLOCKING.includes(v.impact)),
    [],
    `${name}: serious or critical axe violations`,
  );
}

// Records every step's NLL and every epoch's figures as the demos publish
// them (mdn-progress), for the text alternatives to be checked against.
function recordPublished() {
  const published = { toy: {}, paint: {} };
  window.__published = published;
  document.addEventListener('mdn-progress', ({ detail: d }) => {
    if (d.kind === 'toy' && d.step !== undefined && d.nll !== undefined) published.toy[d.step] = d.nll;
    if (d.kind === 'paint' && d.epoch !== undefined && d.psnr !== undefined) published.paint[d.epoch] = d;
  });
}

// The controls Tab should reach in demo `host`, in order: every enabled,
// rendered control and focusable element of its shadow root.
function tabbable(page, host) {
  return page.$eval(host, (demo) =>
    [...demo.shadowRoot.querySelectorAll('button, select, input, [tabindex]')]
      .filter((el) => !el.disabled && el.tabIndex >= 0 && el.checkVisibility())
      .map((el) => el.id),
  );
}

// After one Tab: the focused element inside a demo (its id and its host's),
// whether it shows a focus ring (a file input's label shows it) and
// whether the browser took the focus to be the keyboard's.
function pressTab(page) {
  return page.keyboard.press('Tab').then(() =>
    page.evaluate(() => {
      const host = document.activeElement;
      const el = host?.shadowRoot?.activeElement;
      if (!el) return { host: host?.id ?? null, id: null };
      const style = getComputedStyle(el.closest('.file-button') ?? el);
      const ring =
        (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
      return { host: host.id, id: el.id, ring, keyboard: el.matches(':focus-visible') };
    }),
  );
}

// The accessible name and description Chromium gives the images in `page`
// (through the demos' shadow roots), from its accessibility tree.
async function images(cdp) {
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  return nodes
    .filter((n) => n.role?.value === 'image')
    .map((n) => ({ name: n.name?.value ?? '', description: n.description?.value ?? '' }));
}

// The description of the image whose name starts with `name`, once it
// matches `pattern`.
async function describedAs(cdp, name, pattern) {
  for (let tries = 0; tries < 300; tries++) {
    const image = (await images(cdp)).find((i) => i.name.startsWith(name));
    if (image && pattern.test(image.description)) return image.description;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`${name}: no description matching ${pattern}: ${JSON.stringify(await images(cdp))}`);
}

describe('accessibility', () => {
  const env = serveAndLaunch({ webgpu: false });
  let page;
  let cdp;

  before(async () => {
    // Tall enough that both demos are in view: a demo trains only while it is.
    ({ page } = await openPage(env.browser, env.server.url, {
      viewport: { width: 1280, height: 2200 },
      initScript: recordPublished,
    }));
    cdp = await page.context().newCDPSession(page);
    await cdp.send('Accessibility.enable');
    for (const demo of ['#toy', '#paint']) {
      await waitForAttr(page, demo, 'data-state', (v) => v === 'running', { timeout: 3 * MINUTE });
    }
  });

  test('the demo page has no serious or critical axe violation', async (t) => {
    await assertAccessible(t, page, 'index.html');
  });

  test('each plot and the painting say what they show, calmly', async () => {
    const toy = await describedAs(cdp, 'The data, the density', /step [1-9]\d*, NLL /);
    const [, step, nll, inUse, k] = toy.match(/step (\d+), NLL (\S+), (\d+) of (\d+) components in use/) ?? [];
    const published = await page.evaluate(() => window.__published);
    assert.ok(step !== undefined, toy);
    assert.equal(nll, published.toy[step]?.toFixed(3), `${toy}: published ${JSON.stringify(published.toy)}`);
    assert.ok(Number(step) <= Number(await page.getAttribute('#toy', 'data-step')), toy);
    assert.equal(k, await page.getAttribute('#toy', 'data-components'), toy);
    assert.ok(Number(inUse) >= 1 && Number(inUse) <= Number(k), toy);
    const nllCurve = (await images(cdp)).find((i) => i.name === 'Training NLL against step');
    assert.match(nllCurve?.description ?? '', /step \d+, NLL /);

    const painting = await describedAs(cdp, 'mode of the MDN', /epoch [1-9]\d*, NLL /);
    const [, epoch, psnr] = painting.match(/epoch (\d+), .*PSNR (\S+) dB/) ?? [];
    assert.match(painting, /^Painting of astronaut\.jpg: .* mode view\.$/);
    const figures = await page.evaluate((e) => window.__published.paint[e], epoch);
    assert.equal(psnr, figures?.psnr.toFixed(2), painting);
    const original = (await images(cdp)).find((i) => i.name.startsWith('original: astronaut.jpg'));
    assert.match(original?.name ?? '', /\d+ × \d+ px/);

    // The numbers that change with every step or epoch are in no live
    // region: a screen reader would never stop reading them.
    const live = await page.$$eval('mdn-demo', (demos) =>
      demos.flatMap((d) =>
        [...d.shadowRoot.querySelectorAll('[aria-live], [role=status], [role=alert]')]
          .filter((el) => el.getAttribute('aria-live') !== 'off')
          .map((el) => `${el.id}: ${el.textContent}`),
      ),
    );
    assert.ok(live.length >= 3, JSON.stringify(live));
    assert.deepEqual(
      live.filter((text) => /NLL|PSNR|frames/.test(text)),
      [],
    );
  }, { timeout: 6 * MINUTE });

  test('every control is reached by Tab in order, with a visible focus, and works from the keyboard', async () => {
    // Which buttons are enabled settles with the first repaint.
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 5 * MINUTE });
    const expected = [
      ...(await tabbable(page, '#toy')).map((id) => `toy ${id}`),
      ...(await tabbable(page, '#paint')).map((id) => `paint ${id}`),
    ];
    assert.ok(expected.includes('toy toy-canvas') && expected.includes('paint paint-file'), expected.join(', '));
    // From the last link before the demos, through both of them.
    await page.focus('header a');
    const reached = [];
    for (let i = 0; i < expected.length; i++) {
      const focus = await pressTab(page);
      reached.push(`${focus.host} ${focus.id}`);
      assert.ok(focus.ring && focus.keyboard, `${focus.id} has no visible keyboard focus`);
    }
    assert.deepEqual(reached, expected);
    assert.equal((await pressTab(page)).id, null, 'Tab leaves the painting for the page');

    // A checkbox by Space, a slider by an arrow key, a select by an arrow key.
    await page.focus('#toy-layer-mode');
    await page.keyboard.press('Space');
    await waitForAttr(page, '#toy', 'data-layers', (v) => v.split(' ').includes('mode'), { timeout: 10_000 });
    const tauPi = Number(await page.inputValue('#toy-tau-pi'));
    await page.focus('#toy-tau-pi');
    await page.keyboard.press('ArrowRight');
    await waitForAttr(page, '#toy', 'tau-pi', (v, before) => Number(v) > before, { arg: tauPi, timeout: 10_000 });
    await page.focus('#paint-view');
    await page.keyboard.press('ArrowDown');
    await waitForAttr(page, '#paint', 'view', (v) => v !== null && v !== 'mode', { timeout: 10_000 });
  }, { timeout: 8 * MINUTE });
});

describe('accessibility of the sample post and the iframe view', () => {
  const env = serveAndLaunch({ webgpu: false });

  for (const [name, url, demos] of [
    ['examples/blog-post.html', 'examples/blog-post.html', ['mdn-demo[kind=toy]', 'mdn-demo[kind=paint]']],
    ['embed.html (toy)', 'embed.html?kind=toy', ['mdn-demo']],
    ['embed.html (painting)', 'embed.html?kind=paint', ['mdn-demo']],
  ]) {
    test(`${name} has no serious or critical axe violation`, async (t) => {
      const { page, context } = await openPage(env.browser, `${env.server.url}${url}`, {
        viewport: { width: 1280, height: 6000 },
        ready: null,
      });
      for (const demo of demos) {
        await waitForAttr(page, demo, 'data-state', (v) => v === 'running', { timeout: 3 * MINUTE });
      }
      await assertAccessible(t, page, name);
      await context.close();
    }, { timeout: 5 * MINUTE });
  }
});
