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
  TIFF_WASM,
  artifactsDir,
  flatPsnr,
  imagesDir,
  launch,
  numberAttr,
  openPage,
  repoRoot,
  scrollToTop,
  serveDist,
  shadowText,
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

// A 24-bit BMP (BITMAPINFOHEADER, bottom-up rows padded to 4 bytes).
function bmp(width, height, pixel) {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * height);
  out.write('BM', 0);
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(stride * height, 34);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      out.set([b, g, r], 54 + (height - 1 - y) * stride + x * 3);
    }
  }
  return out;
}

// A baseline TIFF: little-endian, one uncompressed strip of 8-bit RGB.
function tiff(width, height, pixel) {
  const entries = 9;
  const ifd = 8;
  const bits = ifd + 2 + entries * 12 + 4;
  const strip = bits + 6;
  const out = Buffer.alloc(strip + width * height * 3);
  out.write('II', 0);
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(ifd, 4);
  out.writeUInt16LE(entries, ifd);
  // [tag, type (3 short, 4 long), count, value or offset], in tag order.
  [
    [256, 4, 1, width],
    [257, 4, 1, height],
    [258, 3, 3, bits],
    [259, 3, 1, 1],
    [262, 3, 1, 2],
    [273, 4, 1, strip],
    [277, 3, 1, 3],
    [278, 4, 1, height],
    [279, 4, 1, width * height * 3],
  ].forEach(([tag, type, count, value], i) => {
    const at = ifd + 2 + i * 12;
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(count, at + 4);
    if (type === 3 && count === 1) out.writeUInt16LE(value, at + 8);
    else out.writeUInt32LE(value, at + 8);
  });
  for (let c = 0; c < 3; c++) out.writeUInt16LE(8, bits + 2 * c);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out.set(pixel(x, y), strip + (y * width + x) * 3);
  }
  return out;
}

// The bad (and two merely unusual) inputs, written fresh for each run.
function makeInputs(dir) {
  const file = (name, bytes) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return p;
  };
  const chelsea = fs.readFileSync(CHELSEA);
  const astronautJpeg = fs.readFileSync(path.join(repoRoot, 'www', 'assets', 'astronaut.jpg'));
  const side = 8000;
  return {
    text: file('notes-renamed.png', 'These are notes, not a picture.\n'),
    empty: file('empty.png', Buffer.alloc(0)),
    truncated: file('chelsea-truncated.png', chelsea.subarray(0, Math.floor(chelsea.length / 2))),
    // JPEG decoders paint a cut file's missing rows grey instead of failing.
    truncatedJpeg: file('astronaut-third.jpg', astronautJpeg.subarray(0, Math.floor(astronautJpeg.length / 3))),
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
    bmp: file('gradient.bmp', bmp(30, 20, (x, y) => [x * 8, y * 12, 90])),
    tiff: file('gradient.tiff', tiff(24, 18, (x, y) => [200 - x * 8, y * 10, 40])),
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
    const { image, encoding, epoch, nll, psnr, psnrMean } = root.dataset;
    if (psnr !== undefined) {
      window.__epochs.push({ image, encoding, epoch: Number(epoch), nll: Number(nll), psnr: Number(psnr), psnrMean: Number(psnrMean) });
    }
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

  // The page draws a fresh seed for every painting, so each floor holds for
  // every one of seeds 0–39 trained natively with the page's settings
  // (crates/mdn-core/examples/floors.rs, whose case names are given). The
  // default picture at epoch 20 ("default"): the mode at 27.76–32.61 dB
  // (issue 15 asks for 24), the mean 18.68–22.66 dB above the flat image
  // of the photo's mean colour (10.4 dB).
  test('the default picture is painted before any upload, above 24 dB by epoch 20 (grid, CPU)', async () => {
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 5 * MINUTE });
    assert.equal(await page.getAttribute('#paint', 'data-image'), 'astronaut.jpg');
    assert.equal(await page.getAttribute('#paint', 'data-encoding'), 'grid');
    assert.equal(await page.getAttribute('#paint', 'data-backend'), 'cpu', 'SwiftShader is passed over for the CPU');
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 20, { timeout: 10 * MINUTE });
    const epochs = await page.evaluate(() => window.__epochs.filter((e) => e.image === 'astronaut.jpg'));
    const at20 = epochs.find((e) => e.epoch === 20);
    assert.ok(at20.psnr > 24, `PSNR at epoch 20: ${at20.psnr} dB (${JSON.stringify(epochs.map((e) => e.psnr.toFixed(1)))})`);
    const flat = await flatPsnr(page);
    assert.ok(at20.psnrMean > flat + 15, `the mean's PSNR at epoch 20: ${at20.psnrMean} dB, the flat image's ${flat} dB`);
  }, { timeout: 12 * MINUTE });

  test('an uploaded picture starts a new painting that improves', async () => {
    await page.setInputFiles('#paint-file', CHELSEA);
    await waitForAttr(page, '#paint', 'data-image', (v) => v === 'chelsea.png');
    // The new painting starts from epoch 0, whatever the old one had
    // reached: its first repaint is epoch 1's. (Read from the record of
    // every repaint: at 10+ epochs a second, polling the attribute can miss
    // the first ones.)
    await page.waitForFunction(() => window.__epochs.some((e) => e.image === 'chelsea.png'));
    const firstEpoch = await page.evaluate(() => window.__epochs.find((e) => e.image === 'chelsea.png').epoch);
    assert.equal(firstEpoch, 1, 'the new painting counts from the start');
    const size = await page.$eval('#paint-target', (c) => [c.width, c.height]);
    assert.deepEqual(size, [128, 85], 'chelsea (451 × 300) is trained at 128 px on its longer side');

    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 20, { timeout: 12 * MINUTE });
    const epochs = await page.evaluate(() => window.__epochs.filter((e) => e.image === 'chelsea.png'));
    const psnrAt = (n) => epochs.find((e) => e.epoch === n)?.psnr;
    assert.ok(Number.isFinite(psnrAt(1)), `epoch 1 was reported: ${JSON.stringify(epochs.slice(0, 3))}`);
    // "chelsea": from epoch 1 to 20, 9.42–18.40 dB better.
    assert.ok(psnrAt(20) > psnrAt(1) + 6, `PSNR at epoch 20 (${psnrAt(20)} dB), at epoch 1 (${psnrAt(1)} dB)`);
    assert.deepEqual(errors, []);
  }, { timeout: 15 * MINUTE });

  test('each view draws: mode, mean, a sample redrawn every epoch, and the uncertainty with its legend', async () => {
    const canvasPixels = () => page.$eval('#paint-repaint', (c) => [...c.getContext('2d').getImageData(0, 0, c.width, c.height).data]);
    const nextEpoch = async () => {
      const now = await numberAttr(page, '#paint', 'data-epoch');
      await waitForAttr(page, '#paint', 'data-epoch', (v, e) => Number(v) > e, { arg: now, timeout: 5 * MINUTE });
      // The repaint is drawn in the same task as the attribute is set.
    };
    const drawn = {};
    for (const view of ['mode', 'mean', 'sample', 'uncertainty']) {
      await page.selectOption('#paint-view', view);
      assert.equal(await page.getAttribute('#paint', 'view'), view, 'the selector sets the attribute');
      await nextEpoch();
      await nextEpoch();
      drawn[view] = await canvasPixels();
      // One task sets the attributes and the status line: read them together.
      const { status, psnr, psnrMean } = await page.evaluate(() => {
        const demo = document.getElementById('paint');
        const { psnr: p, psnrMean: m } = demo.dataset;
        return { status: demo.shadowRoot.getElementById('paint-status').textContent, psnr: Number(p), psnrMean: Number(m) };
      });
      assert.ok(Number.isFinite(psnr) && Number.isFinite(psnrMean), `${view}: ${psnr}, ${psnrMean}`);
      if (view === 'mode') assert.ok(status.includes(`PSNR ${psnr.toFixed(2)} dB`), `${view}: ${status}`);
      if (view === 'mean') assert.ok(status.includes(`PSNR ${psnrMean.toFixed(2)} dB`), `${view}: ${status}`);
      const legendShown = await page.isVisible('#paint-legend');
      assert.equal(legendShown, view === 'uncertainty', `${view}: legend shown ${legendShown}`);
      assert.equal(await page.isVisible('#paint-tau-pi'), view === 'sample', `${view}: τ sliders`);
      await page.locator('#paint').screenshot({ path: path.join(artifactsDir, `paint-${view}.png`) });
    }
    assert.match(await shadowText(page, '#paint', 'paint-legend'), /standard deviation/);
    const differ = (a, b) => a.length === b.length && a.some((v, i) => v !== b[i]);
    for (const [a, b] of [['mode', 'mean'], ['mode', 'sample'], ['mean', 'uncertainty'], ['sample', 'uncertainty']]) {
      assert.ok(differ(drawn[a], drawn[b]), `the ${a} and ${b} views draw different pictures`);
    }
    // The sample is drawn afresh every epoch.
    await page.selectOption('#paint-view', 'sample');
    await nextEpoch();
    await nextEpoch();
    const first = await canvasPixels();
    await nextEpoch();
    assert.ok(differ(first, await canvasPixels()), 'a new sample each epoch');
    await page.selectOption('#paint-view', 'mode');
    assert.deepEqual(errors, []);
  }, { timeout: 12 * MINUTE });

  // Fourier features and raw coordinates learn slowly: their mode can
  // still be no better than flat after 8 epochs, but their NLL falls from
  // the first epoch on; the grid's NLL is noisy at its larger learning
  // rate, its mode not. From epoch 1 to 8 on chelsea natively, seeds 0–39:
  // the NLL fell by 0.90–1.98 (fourier, "chelsea-fourier") and 0.74–2.39
  // (raw, "chelsea-raw"); the grid's mode rose by 4.75–12.57 dB ("chelsea").
  // Epoch 5 was compared first, where those lowest were 0.59, 0.46 and
  // 3.25 dB, but one of five runs beside a busy core saw the grid's mode
  // rise by 1.25 dB from a good first epoch (24.9 dB): forty seeds' lowest
  // is not the tail, so the floors sit under epoch 8's, further below.
  test('the encoding selector restarts the painting on the same picture, which improves', async () => {
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 2, { timeout: 5 * MINUTE });
    const image = await page.getAttribute('#paint', 'data-image');
    for (const encoding of ['fourier', 'raw', 'grid']) {
      const seen = await page.evaluate(() => window.__epochs.length);
      await page.selectOption('#paint-encoding', encoding);
      await waitForAttr(page, '#paint', 'data-encoding', (v, e) => v === e, { arg: encoding });
      // Epochs can be a tenth of a second: the recorded ones say that the
      // new painting counted from epoch 1 again, and how it went on.
      const epochs = await (
        await page.waitForFunction(
          ([e, from]) => {
            const mine = window.__epochs.slice(from).filter((r) => r.encoding === e);
            return mine.some((r) => r.epoch === 8) && mine;
          },
          [encoding, seen],
          { timeout: 5 * MINUTE },
        )
      ).jsonValue();
      const at = (n) => epochs.find((r) => r.epoch === n);
      assert.ok(at(1), `${encoding}: the new painting counted from epoch 1: ${JSON.stringify(epochs.map((r) => r.epoch))}`);
      if (encoding === 'grid') {
        assert.ok(at(8).psnr > at(1).psnr + 2, `grid: PSNR ${at(1).psnr} dB at epoch 1, ${at(8).psnr} dB at epoch 8`);
      } else {
        assert.ok(at(8).nll < at(1).nll - 0.3, `${encoding}: NLL ${at(1).nll} at epoch 1, ${at(8).nll} at epoch 8`);
      }
      assert.equal(await page.getAttribute('#paint', 'data-image'), image, `${encoding}: same picture`);
      assert.match(await shadowText(page, '#paint', 'paint-repaint-caption'), new RegExp(`${encoding} encoding`));
    }
    assert.deepEqual(errors, []);
  }, { timeout: 12 * MINUTE });

  test('bad files are refused with a message and the painting goes on', async () => {
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 5 * MINUTE });
    const image = await page.getAttribute('#paint', 'data-image');
    const epochBefore = await numberAttr(page, '#paint', 'data-epoch');

    // Each refusal names the file and says what is wrong with it.
    const expected = {
      text: /not an image in a supported format \(PNG, JPEG, WebP, GIF, BMP or TIFF\)/,
      empty: /The file is empty\./,
      truncated: /could not be decoded .*damaged or truncated/,
      truncatedJpeg: /The JPEG file ends early .*cut short/,
      huge: /8000 × 8000 px, too large/,
      tiny: /1 × 1 px, too small: it needs at least 8 px on each side/,
    };
    for (const [key, message] of Object.entries(expected)) {
      const name = path.basename(inputs[key]);
      await page.setInputFiles('#paint-file', inputs[key]);
      const shown = await messageFor(page, name);
      assert.ok(await page.isVisible('#paint-message'), `${key}: message visible`);
      assert.equal(await page.getAttribute('#paint-message', 'role'), 'alert');
      assert.match(shown, message, `${key}: ${shown}`);
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
    assert.match(await messageFor(page, 'dropped-1x1.png'), expected.tiny);

    // The painting that was running was never interrupted.
    await waitForAttr(page, '#paint', 'data-epoch', (v, e) => Number(v) > e, {
      arg: epochBefore,
      timeout: 5 * MINUTE,
    });
    assert.equal(await page.getAttribute('#paint', 'data-image'), image);
    assert.deepEqual(errors, [], 'refusals are messages on the page, not console errors');
  }, { timeout: 15 * MINUTE });

  test('a BMP is painted', async () => {
    await page.setInputFiles('#paint-file', inputs.bmp);
    await waitForAttr(page, '#paint', 'data-image', (v) => v === 'gradient.bmp');
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 5 * MINUTE });
    assert.deepEqual(await page.$eval('#paint-target', (c) => [c.width, c.height]), [30, 20]);
    const corner = await page.$eval('#paint-target', (c) => [...c.getContext('2d').getImageData(29, 19, 1, 1).data]);
    assert.deepEqual(corner, [232, 228, 90, 255], 'the bottom-right pixel, as written');
    assert.ok(await page.isHidden('#paint-message'));
    assert.match(await shadowText(page, '#paint', 'paint-drop'), /BMP or TIFF/);
    assert.deepEqual(errors, []);
  }, { timeout: 10 * MINUTE });

  // Chrome cannot decode TIFF: the worker loads the TIFF module for it,
  // and only then.
  test('a TIFF is painted, by the TIFF module loaded for it', async () => {
    assert.ok(!server.requests.includes(TIFF_WASM), 'no TIFF module before a TIFF');
    await page.setInputFiles('#paint-file', inputs.tiff);
    await waitForAttr(page, '#paint', 'data-image', (v) => v === 'gradient.tiff');
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 5 * MINUTE });
    assert.ok(server.requests.includes(TIFF_WASM), 'the TIFF module was fetched');
    assert.deepEqual(await page.$eval('#paint-target', (c) => [c.width, c.height]), [24, 18]);
    const corner = await page.$eval('#paint-target', (c) => [...c.getContext('2d').getImageData(23, 17, 1, 1).data]);
    assert.deepEqual(corner, [16, 170, 40, 255], 'the bottom-right pixel, as written');
    assert.ok(await page.isHidden('#paint-message'));
    assert.deepEqual(errors, []);
  }, { timeout: 10 * MINUTE });

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

  // At size 512 an epoch takes seconds on one CPU thread (astronaut.png at
  // 512 × 512: 1024 steps, about 7 s here): before the first repaint the
  // painting shows coarse looks at the model, the first after 0.15 s of
  // training, then more as the epoch goes on.
  test('a painting at size 512 shows coarse looks at the model until its first repaint', async () => {
    const { page: big, context, errors: bigErrors } = await openPage(browser, `${server.url}?backend=cpu&size=512`);
    await scrollToTop(big, '#paint');
    await waitForAttr(big, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 5 * MINUTE });
    await big.setInputFiles('#paint-file', path.join(imagesDir, 'astronaut.png'));
    // The percentage of epoch 1 a coarse look of astronaut.png shows, once
    // it is above `above`.
    const lookAbove = async (above) =>
      (
        await big.waitForFunction(
          (floor) => {
            const host = document.getElementById('paint');
            const text = host.shadowRoot.getElementById('paint-status').textContent;
            const percent = /^epoch 1 · (\d+) % · coarse look/.exec(text)?.[1];
            // An object: a look at 0 % is a result too.
            return host.dataset.image === 'astronaut.png' && percent !== undefined && Number(percent) > floor && { percent: Number(percent) };
          },
          above,
          { timeout: 5 * MINUTE, polling: 20 },
        )
      ).jsonValue().then((v) => v.percent);
    const first = await lookAbove(-1);
    assert.equal(await big.getAttribute('#paint', 'data-epoch'), '0', 'shown before the first repaint');
    const canvas = await big.$eval('#paint-repaint', (c) => {
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      let opaque = 0;
      for (let i = 3; i < data.length; i += 4) opaque += data[i] === 255;
      return { size: [c.width, c.height], opaque, pixels: c.width * c.height };
    });
    assert.deepEqual(canvas.size, [512, 512]);
    assert.equal(canvas.opaque, canvas.pixels, 'the coarse look covers the whole canvas');
    const later = await lookAbove(first);
    assert.ok(later > first, `a later look, ${later} % into the epoch after ${first} %`);
    await waitForAttr(big, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 5 * MINUTE });
    assert.doesNotMatch(await shadowText(big, '#paint', 'paint-status'), /coarse look/, 'the repaint replaces the look');
    assert.deepEqual(bigErrors, []);
    await context.close();
  }, { timeout: 12 * MINUTE });
});
