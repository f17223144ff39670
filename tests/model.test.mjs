// Model files in the page (CPU backend, the iframe view): the painting
// saves its model, loads it back through the picture picker and goes on
// from its epoch; the mdn command line loads the page's file and the page
// loads the command line's; every kind of bad model file gets its message
// and the running painting goes on. (A painting's model file on WebGPU is
// tested on backend.test.mjs's WebGPU page.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import {
  MINUTE,
  chooseFile,
  imagesDir,
  mdn,
  numberAttr,
  openPage,
  saveModel,
  serveAndLaunch,
  shadowText,
  waitForAttr,
} from './helpers.mjs';

const DEMO = 'mdn-demo';

describe('model files', () => {
  const env = serveAndLaunch({ webgpu: false });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdn-model-'));

  test('a painting saved in the page loads in the page and in the command line, and the command line’s in the page', async () => {
    const url = `${env.server.url}embed.html?kind=paint&backend=cpu&size=32&encoding=fourier&components=4`;
    const { page, context, errors } = await openPage(env.browser, url, { ready: DEMO });
    await waitForAttr(page, DEMO, 'data-epoch', (v) => Number(v) >= 4, { timeout: 5 * MINUTE });

    const saved = await saveModel(page);
    assert.match(saved.name, /^astronaut-epoch\d+\.mdn$/);
    assert.equal(saved.bytes.subarray(0, 8).toString('latin1'), 'MDNMODEL');
    const savedEpoch = Number(saved.name.match(/epoch(\d+)/)[1]);
    const savedPsnr = await numberAttr(page, DEMO, 'data-psnr');

    // Another picture first, so that the loaded model visibly replaces it.
    await page.setInputFiles('#paint-file', path.join(imagesDir, 'chelsea.png'));
    await waitForAttr(page, DEMO, 'data-image', (v) => v === 'chelsea.png');
    await chooseFile(page, saved.name, saved.bytes);
    await waitForAttr(page, DEMO, 'data-model', (v, name) => v === name, { arg: saved.name });
    // The file names its picture; it goes on from the saved epoch, not
    // from scratch, with the file's settings shown.
    assert.equal(await page.getAttribute(DEMO, 'data-image'), 'astronaut.jpg');
    assert.ok((await numberAttr(page, DEMO, 'data-epoch')) >= savedEpoch);
    assert.equal(await page.getAttribute(DEMO, 'encoding'), 'fourier');
    assert.equal(await page.getAttribute(DEMO, 'components'), '4');
    await waitForAttr(page, DEMO, 'data-psnr', (v) => v !== null);
    const resumedPsnr = await numberAttr(page, DEMO, 'data-psnr');
    // A model loaded whole repaints about as well as it was saved: over 12
    // runs (2026-12-05, saved at epochs 6–39), the first repaint after
    // loading was 0.72 dB below to 1.21 dB above the saved one, and 1.00
    // below in a run beside two builds. (At these early epochs a fresh model
    // repaints about as well: the epoch above is what shows the file was
    // loaded; this bound catches a repaint made far worse by the load.)
    assert.ok(resumedPsnr > savedPsnr - 2, `repaint after loading: ${resumedPsnr} dB, saved at ${savedPsnr} dB`);
    assert.match(await shadowText(page, DEMO, 'paint-target-caption'), /32 × 32 px/);

    // The command line reads the page's file and goes on from it...
    const pageFile = path.join(dir, 'page.mdn');
    fs.writeFileSync(pageFile, saved.bytes);
    const cliFile = path.join(dir, 'cli.mdn');
    const rendered = path.join(dir, 'big.png');
    mdn('render', pageFile, '--size', '64', '--out', rendered);
    const png = PNG.sync.read(fs.readFileSync(rendered));
    assert.deepEqual([png.width, png.height], [64, 64]);
    mdn('paint', '--resume', pageFile, '--epochs', '2', '--save', cliFile, '--out', path.join(dir, 'cli.png'));

    // ...and the page reads the command line's, two epochs further on, of
    // the picture the page's file named.
    await chooseFile(page, 'cli.mdn', fs.readFileSync(cliFile));
    await waitForAttr(page, DEMO, 'data-model', (v) => v === 'cli.mdn');
    assert.equal(await page.getAttribute(DEMO, 'data-image'), 'astronaut.jpg');
    assert.ok((await numberAttr(page, DEMO, 'data-epoch')) >= savedEpoch + 2);
    const epoch = await numberAttr(page, DEMO, 'data-epoch');
    await waitForAttr(page, DEMO, 'data-epoch', (v, e) => Number(v) > e, { arg: epoch });
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 10 * MINUTE });

  test('a loaded painting takes any number of setting changes, and a picture uploaded after them the settings shown', async () => {
    const url = `${env.server.url}embed.html?kind=paint&backend=cpu&size=32&encoding=fourier&components=4`;
    const { page, context, errors } = await openPage(env.browser, url, { ready: DEMO });
    await waitForAttr(page, DEMO, 'data-epoch', (v) => Number(v) >= 2, { timeout: 5 * MINUTE });
    const saved = await saveModel(page);
    await chooseFile(page, saved.name, saved.bytes);
    await waitForAttr(page, DEMO, 'data-model', (v, name) => v === name, { arg: saved.name });

    // Each change paints the file's picture again from the start, at the
    // settings the controls show, and it trains (an epoch ends).
    const changes = [
      ['#paint-components', 'components', '3'],
      ['#paint-components', 'components', '6'],
      ['#paint-components', 'components', '2'],
      ['#paint-covariance', 'covariance', 'full'],
      ['#paint-encoding', 'encoding', 'grid'],
    ];
    for (const [control, name, value] of changes) {
      await page.selectOption(control, value);
      await waitForAttr(page, DEMO, `data-${name}`, (v, want) => v === want, { arg: value });
      await waitForAttr(page, DEMO, 'data-epoch', (v) => Number(v) >= 1, { timeout: 3 * MINUTE });
      const step = `after ${name} = ${value}`;
      assert.equal(await page.getAttribute(DEMO, 'data-image'), 'astronaut.jpg', step);
      assert.equal(await page.getAttribute(DEMO, 'data-model'), saved.name, step);
      assert.equal(await shadowText(page, DEMO, 'paint-message'), '', step);
      assert.match(await shadowText(page, DEMO, 'paint-target-caption'), /32 × 32 px/, step);
      for (const [c, n] of [['#paint-components', 'components'], ['#paint-covariance', 'covariance'], ['#paint-encoding', 'encoding']]) {
        assert.equal(await page.getAttribute(DEMO, `data-${n}`), await page.inputValue(c), `${step}: ${n}`);
      }
    }

    // A new picture: painted with the settings shown, and no longer the file's.
    await page.setInputFiles('#paint-file', path.join(imagesDir, 'chelsea.png'));
    await waitForAttr(page, DEMO, 'data-image', (v) => v === 'chelsea.png');
    assert.equal(await page.getAttribute(DEMO, 'data-model'), null);
    assert.deepEqual(
      [await page.getAttribute(DEMO, 'data-components'), await page.getAttribute(DEMO, 'data-covariance'), await page.getAttribute(DEMO, 'data-encoding')],
      ['2', 'full', 'grid'],
    );
    await waitForAttr(page, DEMO, 'data-epoch', (v) => Number(v) >= 1, { timeout: 3 * MINUTE });
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 10 * MINUTE });

  test('a toy saved in the page loads in the page and in the command line', async () => {
    const url = `${env.server.url}embed.html?kind=toy&backend=cpu&data=bishop&components=5&hidden-units=16`;
    const { page, context, errors } = await openPage(env.browser, url, { ready: DEMO });
    await waitForAttr(page, DEMO, 'data-step', (v) => Number(v) >= 200, { timeout: 3 * MINUTE });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#toy-save-model')]);
    const name = download.suggestedFilename();
    assert.match(name, /^mdn-toy-bishop-step\d+\.mdn$/);
    const bytes = fs.readFileSync(await download.path());
    const savedStep = Number(name.match(/step(\d+)/)[1]);

    // Other settings first, so that loading visibly brings the file's back.
    await page.selectOption('#toy-data', 'forward');
    await page.selectOption('#toy-components', '3');
    await waitForAttr(page, DEMO, 'data-components', (v) => v === '3');
    await page.setInputFiles('#toy-model-file', { name, mimeType: 'application/octet-stream', buffer: bytes });
    await waitForAttr(page, DEMO, 'data-components', (v) => v === '5');
    assert.equal(await page.getAttribute(DEMO, 'data'), 'bishop');
    assert.equal(await page.getAttribute(DEMO, 'hidden-units'), '16');
    await waitForAttr(page, DEMO, 'data-step', (v, s) => Number(v) > s, { arg: savedStep });
    // The status line follows the attributes at most four times a second.
    await page.waitForFunction(() => /step \d+ · NLL/.test(document.querySelector('mdn-demo').shadowRoot.getElementById('toy-status').textContent));

    const file = path.join(dir, 'toy-page.mdn');
    fs.writeFileSync(file, bytes);
    const out = mdn('toy', '--resume', file, '--steps', '10', '--out', path.join(dir, 'toy-page.png'));
    assert.match(out, new RegExp(`after ${savedStep + 10} steps`), out);

    // A painting's file is refused with its message, and the toy goes on.
    const painting = path.join(dir, 'painting.mdn');
    mdn('paint', path.join(imagesDir, 'chelsea.png'), '--size', '16', '--epochs', '1', '--save', painting, '--out', path.join(dir, 'p.png'));
    await page.setInputFiles('#toy-model-file', painting);
    await page.waitForFunction(() =>
      document.querySelector('mdn-demo').shadowRoot.getElementById('toy-message').textContent.includes('painting.mdn'),
    );
    assert.match(await shadowText(page, DEMO, 'toy-message'), /holds a painting, not a toy model/);
    const step = await numberAttr(page, DEMO, 'data-step');
    await waitForAttr(page, DEMO, 'data-step', (v, s) => Number(v) > s, { arg: step });
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 10 * MINUTE });

  test('each bad model file gets its message, and the painting goes on', async () => {
    const toyFile = path.join(dir, 'toy.mdn');
    mdn('toy', '--steps', '5', '--save', toyFile, '--out', path.join(dir, 'toy.png'));
    const url = `${env.server.url}embed.html?kind=paint&backend=cpu&size=32&encoding=fourier`;
    const { page, context, errors } = await openPage(env.browser, url, { ready: DEMO });
    await waitForAttr(page, DEMO, 'data-epoch', (v) => Number(v) >= 1, { timeout: 5 * MINUTE });
    const good = await saveModel(page);
    const future = Buffer.from(good.bytes);
    future.writeUInt32LE(99, 8);
    // Damage burnpack's own structure checks let through: a few hundred
    // bytes flipped in the middle, the last kilobyte overwritten.
    const flipped = Buffer.from(good.bytes);
    const middle = flipped.length >> 1;
    for (let i = middle; i < middle + 300; i++) flipped[i] ^= 0x5a;
    const tail = Buffer.from(good.bytes);
    tail.fill(0, tail.length - 1024);
    const checksum = /the model file is damaged: its contents do not match its checksum/;
    const cases = [
      ['cut.mdn', good.bytes.subarray(0, Math.floor(good.bytes.length / 2)), checksum],
      ['flipped.mdn', flipped, checksum],
      ['tail.mdn', tail, checksum],
      ['future.mdn', future, /format version 99.*newer version/],
      ['toy.mdn', fs.readFileSync(toyFile), /holds a toy model, not a painting/],
      ['photo.mdn', fs.readFileSync(path.join(imagesDir, 'chelsea.png')), /not an MDN model file \(it looks like a PNG image\)/],
    ];
    for (const [name, bytes, expected] of cases) {
      const before = await numberAttr(page, DEMO, 'data-epoch');
      await chooseFile(page, name, bytes);
      await page.waitForFunction(
        ([n]) => document.querySelector('mdn-demo').shadowRoot.getElementById('paint-message').textContent.includes(n),
        [name],
      );
      const text = await shadowText(page, DEMO, 'paint-message');
      assert.match(text, expected, `${name}: ${text}`);
      assert.equal(await page.getAttribute(DEMO, 'data-image'), 'astronaut.jpg', `${name}: the painting is kept`);
      await waitForAttr(page, DEMO, 'data-epoch', (v, e) => Number(v) > e, { arg: before });
    }
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 10 * MINUTE });
});
