// The npm package (issue 33): `npm pack` makes a tarball of exactly the
// release build (dist/) with package.json, README and the licences, which
// is what a CDN that serves npm packages serves. Installed into a scratch
// folder, the package is served as such a CDN serves it (every answer
// allowing any origin): its demo page runs, and so does a post on another
// origin with only the script tag, two <mdn-demo> elements and an iframe
// of the iframe view; every demo trains and improves, with no console
// error. Runs on the CPU backend (quick here).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MINUTE, distDir, launch, openPage, repoRoot, serveDist, waitForAttr } from './helpers.mjs';

const env = {};
// What the tarball holds besides dist/ (package.json's `files`, and what
// npm always adds).
const BESIDES_DIST = ['LICENSE-APACHE', 'LICENSE-MIT', 'README.md', 'package.json'];

const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// `npm pack` into a scratch folder, without its prepack build (the tests
// run after the build), and the tarball installed there as a reader's
// project installs it (offline: the package needs nothing else).
function packAndInstall() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mdn-package-'));
  const [packed] = JSON.parse(
    npm(['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], repoRoot),
  );
  fs.writeFileSync(path.join(scratch, 'package.json'), '{ "private": true }\n');
  npm(['install', '--offline', '--no-audit', '--no-fund', path.join(scratch, packed.filename)], scratch);
  return { scratch, files: packed.files.map((f) => f.path), installed: path.join(scratch, 'node_modules', 'mdn-live') };
}

const filesUnder = (dir) =>
  fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));

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

const postHtml = (cdn) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A post elsewhere</title><link rel="icon" href="data:,">
<script type="module" src="${cdn}www/mdn-demo.js"></script></head>
<body><article><h1>A post elsewhere</h1>
<mdn-demo id="toy" kind="toy" backend="cpu"></mdn-demo>
<mdn-demo id="paint" kind="paint" size="24" components="2"></mdn-demo>
<iframe id="frame" src="${cdn}embed.html?kind=toy&backend=cpu" style="width: 100%; height: 900px; border: 0" title="a toy"></iframe>
</article></body></html>`;

before(async () => {
  env.package = packAndInstall();
  env.cdn = await serveDist({ root: path.join(env.package.installed, 'dist'), cors: true });
  env.post = await servePost(postHtml(`${env.cdn.url}`));
  env.browser = await launch({ webgpu: false });
});
after(async () => {
  await env.browser?.close();
  await env.post?.close();
  await env.cdn?.close();
  if (env.package) fs.rmSync(env.package.scratch, { recursive: true, force: true });
});

test('the tarball holds the release build and nothing else', () => {
  const expected = [...filesUnder(distDir).map((f) => `dist/${f}`), ...BESIDES_DIST].sort();
  assert.deepEqual([...env.package.files].sort(), expected);
  // Installed as packed: the same bytes as the build.
  for (const file of ['www/mdn-demo.js', 'mdn-web-cpu_bg.wasm', 'embed.html']) {
    const installed = fs.readFileSync(path.join(env.package.installed, 'dist', file));
    assert.ok(installed.equals(fs.readFileSync(path.join(distDir, file))), file);
  }
});

test("the installed package's demo page runs", async () => {
  const { page, context, errors } = await openPage(env.browser, `${env.cdn.url}index.html?backend=cpu`);
  try {
    await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) > 0, { timeout: 4 * MINUTE });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('a post on another origin runs the demos from the package, and its iframe too', async () => {
  assert.notEqual(new URL(env.post.url).origin, new URL(env.cdn.url).origin);
  const { page, context, errors } = await openPage(env.browser, env.post.url, {
    viewport: { width: 1200, height: 4000 },
    ready: '#toy',
  });
  try {
    // Improving, as tests/toy.test.mjs asks of a toy: its NLL half a nat
    // below its first; the painting's PSNR up from nothing. At 24 px an
    // epoch is a few steps, and one CI run (of 0dc366e) read 10 dB or less
    // at epoch 3: past epoch 3, the test waits for the PSNR to pass 10.
    const first = Number(await waitForAttr(page, '#toy', 'data-nll', (v) => v !== null, { timeout: 4 * MINUTE }));
    await waitForAttr(page, '#toy', 'data-nll', (v, f) => Number(v) < f - 0.5, { arg: first, timeout: 4 * MINUTE });
    await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 3, { timeout: 6 * MINUTE });
    await waitForAttr(page, '#paint', 'data-psnr', (v) => Number(v) > 10, { timeout: 4 * MINUTE });
    const frame = page.frameLocator('#frame');
    await frame.locator('mdn-demo[data-step]').waitFor({ timeout: 4 * MINUTE });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
