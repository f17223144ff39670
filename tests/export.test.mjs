// Taking results home (CPU backend, the iframe view): the painting's view
// saved as a PNG at its training size and upscaled, a WebM video with one
// frame per recorded epoch (an MP4 where the browser encodes no VP9 or VP8,
// a message where it encodes no H.264 either), and the toy's plot as a PNG.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import { Decoder } from 'ts-ebml';
import { MINUTE, collectErrors, numberAttr, openPage, serveAndLaunch, waitForAttr } from './helpers.mjs';

const DEMO = 'mdn-demo';

// Clicks `button` inside the demo and returns the download it starts, with
// the size and the SHA-256 of the RGBA pixels of canvas `canvasId` read in
// the same task as the click (what the saved PNG must hold; a digest, as a
// plot's millions of values take seconds to cross to node).
async function clickAndDownload(page, button, canvasId) {
  const [download, canvas] = await Promise.all([
    page.waitForEvent('download'),
    page.$eval(
      DEMO,
      async (demo, [b, c]) => {
        const canvas = demo.shadowRoot.getElementById(c);
        // Drawn in the plot worker (www/plot-link.js): read from a copy.
        const copy = Object.assign(document.createElement('canvas'), { width: canvas.width, height: canvas.height }).getContext('2d');
        copy.drawImage(canvas, 0, 0);
        const { data } = copy.getImageData(0, 0, canvas.width, canvas.height);
        demo.shadowRoot.getElementById(b).click();
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
        return { width: canvas.width, height: canvas.height, sha256: Array.from(digest, (x) => x.toString(16).padStart(2, '0')).join('') };
      },
      [button, canvasId],
    ),
  ]);
  return { download, canvas, bytes: fs.readFileSync(await download.path()) };
}

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

describe('export', () => {
  const env = serveAndLaunch({ webgpu: false });

  test('the painting saves its view as a PNG, plain and upscaled, and a WebM of its epochs', async () => {
    const url = `${env.server.url}embed.html?kind=paint&backend=cpu&size=48&view=mean`;
    const { page, context, errors } = await openPage(env.browser, url, { ready: DEMO });
    await waitForAttr(page, DEMO, 'data-epoch', (v) => Number(v) >= 2, { timeout: 5 * MINUTE });

    const plain = await clickAndDownload(page, 'paint-save', 'paint-repaint');
    assert.match(plain.download.suggestedFilename(), /^astronaut-mean-epoch\d+\.png$/);
    const png = PNG.sync.read(plain.bytes);
    assert.deepEqual([png.width, png.height], [plain.canvas.width, plain.canvas.height]);
    assert.deepEqual([png.width, png.height], [48, 48]);
    assert.equal(sha256(png.data), plain.canvas.sha256, 'the PNG holds the canvas pixels');

    await page.selectOption('#paint-scale', '4');
    await page.selectOption('#paint-smoothing', 'bilinear');
    const big = await clickAndDownload(page, 'paint-save', 'paint-repaint');
    const upscaled = PNG.sync.read(big.bytes);
    assert.deepEqual([upscaled.width, upscaled.height], [192, 192]);
    assert.match(big.download.suggestedFilename(), /-x4\.png$/);

    // Record three epochs or more, then stop: one video frame per epoch.
    // Read before the click: at 48 px epochs pass faster than a round trip.
    const from = await numberAttr(page, DEMO, 'data-epoch');
    await page.click('#paint-record');
    await waitForAttr(page, DEMO, 'data-recorded-frames', (v) => Number(v) >= 3, { timeout: 5 * MINUTE });
    const [video] = await Promise.all([page.waitForEvent('download'), page.click('#paint-record')]);
    const frames = await numberAttr(page, DEMO, 'data-recorded-frames');
    // One frame per epoch: no more frames than epochs since the click.
    assert.ok((await numberAttr(page, DEMO, 'data-epoch')) >= from + frames - 1);
    assert.match(video.suggestedFilename(), /\.webm$/);
    const elements = new Decoder().decode(fs.readFileSync(await video.path()));
    const blocks = elements.filter((e) => e.name === 'SimpleBlock' || e.name === 'Block');
    assert.ok(elements.some((e) => e.name === 'EBML'), 'a Matroska/WebM file');
    assert.equal(blocks.length, frames, 'one video frame per recorded epoch');
    assert.match(await page.textContent('#paint-record-status'), new RegExp(`saved .*\\.webm: ${frames} frames`));
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 10 * MINUTE });

  // A browser whose WebCodecs says no to the codecs named: its
  // VideoEncoder.isConfigSupported refuses them before the page loads.
  async function withoutCodecs(codecs) {
    const context = await env.browser.newContext();
    await context.addInitScript((blocked) => {
      const asked = VideoEncoder.isConfigSupported.bind(VideoEncoder);
      VideoEncoder.isConfigSupported = async (config) =>
        blocked.some((c) => config.codec.startsWith(c)) ? { supported: false, config } : asked(config);
    }, codecs);
    const page = await context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${env.server.url}embed.html?kind=paint&backend=cpu&size=48`);
    await waitForAttr(page, DEMO, 'data-epoch', (v) => Number(v) >= 1, { timeout: 5 * MINUTE });
    return { context, page, errors };
  }

  test('without VP9 and VP8 encoders the video is an MP4 (H.264), one frame per epoch; without H.264 either, the demo says so at once', async () => {
    const mp4 = await withoutCodecs(['vp09', 'vp8']);
    await mp4.page.click('#paint-record');
    await waitForAttr(mp4.page, DEMO, 'data-recorded-frames', (v) => Number(v) >= 3, { timeout: 5 * MINUTE });
    const [video] = await Promise.all([mp4.page.waitForEvent('download'), mp4.page.click('#paint-record')]);
    const frames = await numberAttr(mp4.page, DEMO, 'data-recorded-frames');
    assert.match(video.suggestedFilename(), /\.mp4$/);
    const bytes = fs.readFileSync(await video.path());
    assert.equal(bytes.toString('latin1', 4, 8), 'ftyp', 'an ISO BMFF (MP4) file');
    // The sample size box: version and flags, a default size, then the count.
    const stsz = bytes.indexOf('stsz', 0, 'latin1');
    assert.ok(stsz > 0, 'the MP4 lists its samples');
    assert.equal(bytes.readUInt32BE(stsz + 12), frames, 'one video frame per recorded epoch');
    assert.deepEqual(mp4.errors, []);
    await mp4.context.close();

    const none = await withoutCodecs(['vp09', 'vp8', 'avc']);
    await none.page.click('#paint-record');
    await waitForAttr(none.page, DEMO, 'data-recording', (v) => v === null, { timeout: MINUTE });
    assert.match(await none.page.textContent('#paint-record-status'), /^No video: this browser cannot encode VP9, VP8 or H\.264 video\.$/);
    assert.equal(await none.page.textContent('#paint-record'), 'Record video');
    assert.deepEqual(none.errors, []);
    await none.context.close();
  }, { timeout: 10 * MINUTE });

  test('the toy saves its plot as a PNG', async () => {
    const url = `${env.server.url}embed.html?kind=toy&backend=cpu`;
    const { page, context, errors } = await openPage(env.browser, url, { ready: DEMO });
    await waitForAttr(page, DEMO, 'data-step', (v) => Number(v) >= 100, { timeout: 3 * MINUTE });
    const saved = await clickAndDownload(page, 'toy-save', 'toy-canvas');
    const png = PNG.sync.read(saved.bytes);
    assert.deepEqual([png.width, png.height], [saved.canvas.width, saved.canvas.height]);
    assert.equal(sha256(png.data), saved.canvas.sha256, 'the PNG holds the plot pixels');
    assert.match(saved.download.suggestedFilename(), /^mdn-toy-inverse-step\d+\.png$/);
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 6 * MINUTE });
});
