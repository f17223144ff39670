// The painting demo: an uploaded picture replaces the default one and its
// repaint improves; bad files are refused with a message on the page while
// the running painting carries on.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pngjs from 'pngjs';
import {
  MINUTE,
  imagesDir,
  launch,
  numberAttr,
  openPage,
  scrollToTop,
  serveDist,
  waitForAttr,
} from './helpers.mjs';

const { PNG } = pngjs;
const CHELSEA = path.join(imagesDir, 'chelsea.png');

function rgbaPng(width, height, pixel) {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) png.data.set(pixel(x, y), (y * width + x) * 4);
  }
  return PNG.sync.write(png);
}

// The bad (and one merely unusual) inputs, written fresh for each run.
function makeInputs(dir) {
  const file = (name, bytes) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return p;
  };
  const chelsea = fs.readFileSync(CHELSEA);
  const side = 8000;
  return {
    text: file('notes-renamed.png', 'These are notes, not a picture.\n'),
    empty: file('empty.png', Buffer.alloc(0)),
    truncated: file('chelsea-truncated.png', chelsea.subarray(0, Math.floor(chelsea.length / 2))),
    // 8-bit grey keeps this small to write (64 MB of pixels, 70 KB of PNG);
    // the header alone says 8000 × 8000.
    huge: file(
      'huge-8000x8000.png',
      PNG.sync.write(
        { width: side, height: side, data: Buffer.alloc(side * side, 128) },
        { colorType: 0, inputColorType: 0, inputHasAlpha: false, filterType: 0, deflateLevel: 9 },
      ),
    ),
    tiny: file('tiny-1x1.png', rgbaPng(1, 1, () => [200, 30, 30, 255])),
    // Left half an opaque gradient, right half fully transparent.
    transparent: file(
      'transparent.png',
      rgbaPng(32, 32, (x, y) => (x < 16 ? [x * 16, y * 8, 160, 255] : [0, 0, 0, 0])),
    ),
  };
}

// Remembers the PSNR reported at each epoch: polling could miss an epoch.
function recordEpochs() {
  window.__epochs = [];
  const root = document.getElementById('paint');
  new MutationObserver(() => {
    const { image, epoch, psnr } = root.dataset;
    if (psnr !== undefined) window.__epochs.push({ image, epoch: Number(epoch), psnr: Number(psnr) });
  }).observe(root, { attributes: true, attributeFilter: ['data-psnr'] });
}

async function messageFor(page, name) {
  try {
    await page.waitForFunction(
      (n) => {
        const el = document.getElementById('paint').shadowRoot.getElementById('paint-message');
        return !el.hidden && el.textContent.includes(n);
      },
      name,
      { timeout: 2 * MINUTE, polling: 100 },
    );
  } catch (e) {
    const state = await page.evaluate(() => {
      const demo = document.getElementById('paint');
      return {
        message: demo.shadowRoot.getElementById('paint-message').textContent,
        status: demo.shadowRoot.getElementById('paint-status').textContent,
        image: demo.dataset.image,
      };
    });
    throw new Error(`no message about ${name}: ${JSON.stringify(state)}`, { cause: e });
  }
  return page.textContent('#paint-message');
}

describe('painting', () => {
  let server;
  let browser;
  let page;
  let errors;
  let tmp;
  let inputs;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdn-paint-'));
    inputs = makeInputs(tmp);
    server = await serveDist();
    browser = await launch({ webgpu: true });
    ({ page, errors } = await openPage(browser, server.url));
    await page.evaluate(recordEpochs);
    // The painting trains only while in view (and then, with the toy out of
    // view, has the worker to itself).
    await scrollToTop(page, '#paint');
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the default picture is painted before any upload', async () => {
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 5 * MINUTE });
    assert.equal(await page.getAttribute('#paint', 'data-image'), 'astronaut.jpg');
    const psnr = await numberAttr(page, '#paint', 'data-psnr');
    assert.ok(Number.isFinite(psnr) && psnr > 0, `PSNR ${psnr}`);
  });

  test('an uploaded picture starts a new painting that improves', async () => {
    await page.setInputFiles('#paint-file', CHELSEA);
    await waitForAttr(page, '#paint', 'data-image', (v) => v === 'chelsea.png');
    // The new painting starts from epoch 0 (whatever the old one had reached).
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) < 2);
    const size = await page.$eval('#paint-target', (c) => [c.width, c.height]);
    assert.deepEqual(size, [128, 85], 'chelsea (451 × 300) is trained at 128 px on its longer side');

    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 20, { timeout: 12 * MINUTE });
    const epochs = await page.evaluate(() => window.__epochs.filter((e) => e.image === 'chelsea.png'));
    const psnrAt = (n) => epochs.find((e) => e.epoch === n)?.psnr;
    assert.ok(Number.isFinite(psnrAt(1)), `epoch 1 was reported: ${JSON.stringify(epochs.slice(0, 3))}`);
    assert.ok(psnrAt(20) > psnrAt(1), `PSNR at epoch 20 (${psnrAt(20)} dB) > at epoch 1 (${psnrAt(1)} dB)`);
    assert.deepEqual(errors, []);
  }, { timeout: 15 * MINUTE });

  test('bad files are refused with a message and the painting goes on', async () => {
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 5 * MINUTE });
    const image = await page.getAttribute('#paint', 'data-image');
    const epochBefore = await numberAttr(page, '#paint', 'data-epoch');

    const shown = {};
    for (const key of ['text', 'empty', 'truncated', 'huge', 'tiny']) {
      const name = path.basename(inputs[key]);
      await page.setInputFiles('#paint-file', inputs[key]);
      shown[key] = await messageFor(page, name);
      assert.ok(await page.isVisible('#paint-message'), `${key}: message visible`);
      assert.equal(await page.getAttribute('#paint-message', 'role'), 'alert');
      // The message is the wasm's explanation, not just the file name.
      assert.ok(shown[key].length > name.length + 20, `${key}: ${shown[key]}`);
      assert.equal(await page.getAttribute('#paint', 'data-image'), image, `${key} replaced the painting`);
    }

    // Dropping a file goes the same way as choosing it.
    const tiny = fs.readFileSync(inputs.tiny);
    const dataTransfer = await page.evaluateHandle((bytes) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], 'dropped-1x1.png', { type: 'image/png' }));
      return dt;
    }, [...tiny]);
    await page.dispatchEvent('#paint-drop', 'drop', { dataTransfer });
    await messageFor(page, 'dropped-1x1.png');

    // The painting that was running was never interrupted.
    await waitForAttr(page, '#paint', 'data-epoch', (v, e) => Number(v) > e, {
      arg: epochBefore,
      timeout: 5 * MINUTE,
    });
    assert.equal(await page.getAttribute('#paint', 'data-image'), image);
    assert.deepEqual(errors, [], 'refusals are messages on the page, not console errors');
  }, { timeout: 15 * MINUTE });

  test('a transparent PNG is accepted, with a notice', async () => {
    await page.setInputFiles('#paint-file', inputs.transparent);
    await waitForAttr(page, '#paint', 'data-image', (v) => v === 'transparent.png');
    assert.ok(await page.isVisible('#paint-notice'), 'notice visible');
    assert.match(await page.textContent('#paint-notice'), /transparen/i);
    assert.ok(await page.isHidden('#paint-message'), 'no error for a transparent PNG');
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 5 * MINUTE });
    // Transparent pixels were painted over white: the right half of the target is white.
    const rightHalf = await page.$eval('#paint-target', (c) => {
      const { data } = c.getContext('2d').getImageData(c.width - 4, 0, 4, c.height);
      return [Math.min(...data), Math.max(...data)];
    });
    assert.deepEqual(rightHalf, [255, 255], 'right half is white');
    assert.deepEqual(errors, []);
  }, { timeout: 10 * MINUTE });
});
