// Embedding from another origin (issue 33): the built page served as a CDN
// serves a package (every answer allowing any origin), and a post on
// another origin with only the script tag and two <mdn-demo> elements, and
// an iframe of the iframe view: every demo trains and improves, with no
// console error. Runs on the CPU backend (quick here).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { MINUTE, launch, openPage, serveDist, waitForAttr } from './helpers.mjs';

const env = {};

// A post's page, served from an origin of its own.
function servePost(html) {
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/post.html')) {
      res.setHeader('Content-Type', 'text/html');
      res.end(html);
    } else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/post.html`,
        close: () => new Promise((done) => server.close(done)),
      }),
    ),
  );
}

before(async () => {
  env.cdn = await serveDist({ cors: true });
  const cdn = env.cdn.url;
  env.post = await servePost(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A post elsewhere</title><link rel="icon" href="data:,">
<script type="module" src="${cdn}www/mdn-demo.js"></script></head>
<body><article><h1>A post elsewhere</h1>
<mdn-demo id="toy" kind="toy" backend="cpu"></mdn-demo>
<mdn-demo id="paint" kind="paint" size="24" components="2"></mdn-demo>
<iframe id="frame" src="${cdn}embed.html?kind=toy&backend=cpu" style="width: 100%; height: 900px; border: 0" title="a toy"></iframe>
</article></body></html>`);
  env.browser = await launch({ webgpu: false });
});
after(async () => {
  await env.browser?.close();
  await env.post?.close();
  await env.cdn?.close();
});

test('a post on another origin runs the demos from the CDN, and its iframe too', async () => {
  assert.notEqual(new URL(env.post.url).origin, new URL(env.cdn.url).origin);
  const { page, context, errors } = await openPage(env.browser, env.post.url, {
    viewport: { width: 1200, height: 4000 },
    ready: '#toy',
  });
  try {
    // Improving, as tests/toy.test.mjs asks of a toy: its NLL half a nat
    // below its first; the painting's PSNR up from nothing.
    const first = Number(await waitForAttr(page, '#toy', 'data-nll', (v) => v !== null, { timeout: 4 * MINUTE }));
    await waitForAttr(page, '#toy', 'data-nll', (v, f) => Number(v) < f - 0.5, { arg: first, timeout: 4 * MINUTE });
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 3, { timeout: 6 * MINUTE });
    assert.ok(Number(await page.getAttribute('#paint', 'data-psnr')) > 10, 'the painting shows the picture');
    const frame = page.frameLocator('#frame');
    await frame.locator('mdn-demo[data-step]').waitFor({ timeout: 4 * MINUTE });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
