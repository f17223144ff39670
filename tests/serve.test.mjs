// dist/ always holds what gets published (issue 33): the release build,
// with no live-reload code of Trunk's in it, served as it is by `npm run
// serve`'s server; Trunk's own server (`npm run dev`) writes elsewhere.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { distDir, repoRoot } from './helpers.mjs';

// What Trunk's live reload leaves in a page it serves.
const LIVE_RELOAD = /well-known\/trunk|__trunk_address__|trunk\/ws/;

const pages = () =>
  [
    'index.html',
    'embed.html',
    ...fs.readdirSync(path.join(distDir, 'examples')).map((f) => `examples/${f}`),
  ].filter((f) => f.endsWith('.html'));

test('dist/ holds no live-reload code, and npm run serve serves it as it is', async () => {
  for (const page of pages()) {
    assert.doesNotMatch(fs.readFileSync(path.join(distDir, page), 'utf8'), LIVE_RELOAD, page);
  }
  // The server serve.sh ends in, on a free port.
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'serve-dist.mjs')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise((resolve, reject) => {
      server.stdout.on('data', (chunk) => String(chunk).includes('serving') && resolve());
      server.on('exit', (code) => reject(new Error(`serve-dist.mjs exited with ${code}`)));
    });
    const url = `http://127.0.0.1:${port}/`;
    for (const page of pages()) {
      const served = await (await fetch(new URL(page, url))).text();
      assert.equal(served, fs.readFileSync(path.join(distDir, page), 'utf8'), `${page} is served as it is`);
    }
    const wasm = await fetch(new URL('mdn-web-cpu_bg.wasm', url));
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    // Cross-origin isolated, as dist/_headers asks of a host: the CPU
    // backend may run on threads (tests/threads.test.mjs).
    const page = await fetch(url);
    assert.equal(page.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(page.headers.get('cross-origin-embedder-policy'), 'require-corp');
  } finally {
    server.kill();
  }
});

test("Trunk's live-reloading server never writes dist/", () => {
  const script = fs.readFileSync(path.join(repoRoot, 'scripts', 'serve.sh'), 'utf8');
  const serves = script.split('\n').filter((line) => /^\s*(exec\s+)?trunk serve/.test(line));
  assert.ok(serves.length > 0, 'serve.sh has a live-reload mode');
  for (const line of serves) assert.match(line, /--dist (?!dist\b)\S+/, line);
  const trunk = fs.readFileSync(path.join(repoRoot, 'Trunk.toml'), 'utf8');
  assert.doesNotMatch(trunk, /\[serve\][^[]*\bdist\s*=/, 'no [serve] dist in Trunk.toml');
});
