// Shared by the browser tests: serve the release build in dist/ on a free
// loopback port, drive the system Chromium (never a downloaded one) and wait
// on the live data-* attributes each <mdn-demo> keeps. Playwright's CSS
// selectors pierce the demos' open shadow roots; code run in the page with
// document.querySelector does not, and goes through `shadowRoot`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import sirv from 'sirv';
import { headersFile } from '../scripts/headers.mjs';

// The wasm modules the page's build makes: one per backend (www/worker.js),
// the WebGPU one, the CPU one and the CPU one with threads (cross-origin
// isolated pages), and the TIFF decoder a worker loads on a TIFF upload
// only (www/worker/picture.js).
export const WASM_MODULES = ['mdn-web', 'mdn-web-cpu', 'mdn-web-threads', 'mdn-tiff'];
export const TIFF_WASM = '/mdn-tiff_bg.wasm';
export const WEBGPU_WASM = '/mdn-web_bg.wasm';
export const CPU_WASM = '/mdn-web-cpu_bg.wasm';
export const THREADS_WASM = '/mdn-web-threads_bg.wasm';
// The requests among `requests` (paths) for a training module.
export const wasmRequests = (requests) =>
  requests.filter((r) => r === WEBGPU_WASM || r === CPU_WASM || r === THREADS_WASM);
// The page's demo workers (www/worker.js), not the toy's plot worker.
export const demoWorkers = (page) => page.workers().filter((w) => w.url().endsWith('/www/worker.js'));

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// DIST_DIR tests another build of the page than dist/.
export const distDir = path.resolve(process.env.DIST_DIR || path.join(repoRoot, 'dist'));
export const imagesDir = path.join(repoRoot, 'tests', 'images');
export const artifactsDir = path.join(repoRoot, 'tests', 'artifacts');

// The value after `--name` on this script's command line, or `fallback`
// (the benchmarks' options: tests/bench.mjs, soak.mjs, profile.mjs).
export function option(name, fallback) {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

// The median of `xs` (the mean of the middle two for an even count).
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// Runs tests/bench/bench-worker.js from `page` (at the server's
// bench/bench.html) with `message` and the picture `base64` as its bytes;
// resolves to the worker's reply ({ok: false, message} where it failed).
export function benchWorker(page, message, base64) {
  return page.evaluate(
    ({ message, base64 }) =>
      new Promise((resolve) => {
        const worker = new Worker('bench-worker.js');
        worker.onmessage = ({ data }) => resolve(data);
        worker.onerror = (e) => resolve({ ok: false, message: e.message });
        const raw = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        worker.postMessage({ ...message, bytes: raw.buffer }, [raw.buffer]);
      }),
    { message, base64 },
  );
}

// The command line, as the Rust integration tests built it (npm test runs
// them first, in the same target folder).
const MDN = path.join(process.env.CARGO_TARGET_DIR || path.join(repoRoot, 'target'), 'debug', 'mdn');

// Runs the `mdn` command line with `args`; its stdout.
export function mdn(...args) {
  assert.ok(fs.existsSync(MDN), `${MDN} is missing: build it with cargo build -p mdn-cli (npm test does)`);
  return execFileSync(MDN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// Clicks the painting's "Save model" and returns the download's name and bytes.
export async function saveModel(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#paint-save-model')]);
  return { name: download.suggestedFilename(), bytes: fs.readFileSync(await download.path()) };
}

// Chooses `bytes` as the file `name` in the painting's picker.
export const chooseFile = (page, name, bytes) =>
  page.setInputFiles('#paint-file', { name, mimeType: 'application/octet-stream', buffer: bytes });

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// The CPU backend in wasm and SwiftShader are slow, the more so on a small
// machine running several things: waits are long, and only the long-task test
// asserts anything about time.
export const MINUTE = 60_000;

// Serves dist/ (or `root`, another copy of it: the npm package's) and,
// under /test-images/, tests/images; `mounts` adds folders under other
// paths (the benchmark's page: {'/bench/': dir}); `cors`: every answer
// allows any origin, as a CDN's does; `isolated`: every answer carries
// dist/_headers' cross-origin isolation headers, as `npm run serve` and
// hosts that read that file send them (the threaded CPU module).
// `requests` lists the path of every request, in order (to check what a
// page fetched).
export async function serveDist({ root = distDir, mounts = {}, cors = false, isolated = false } = {}) {
  for (const file of ['index.html', ...WASM_MODULES.flatMap((m) => [`${m}.js`, `${m}_bg.wasm`]), 'www/worker.js']) {
    if (!fs.existsSync(path.join(root, file))) {
      throw new Error(`${path.join(root, file)} is missing: run \`trunk build --release\` first`);
    }
  }
  // `trunk serve` writes its own build to dist/, with a live-reload script
  // that fails (console errors) without Trunk's server.
  if (fs.readFileSync(path.join(root, 'index.html'), 'utf8').includes('.well-known/trunk/ws')) {
    throw new Error(`${root} was built by \`trunk serve\`: run \`trunk build --release\` first`);
  }
  // dev: re-reads files on every request and sends no cache headers, so a
  // fresh build is always what gets tested. sirv types .wasm as
  // application/wasm, which streaming compilation requires.
  const serve = (dir) => sirv(dir, { dev: true, etag: false });
  const handler = serve(root);
  const routes = Object.entries({ '/test-images/': imagesDir, ...mounts }).map(([prefix, dir]) => [
    prefix,
    serve(dir),
  ]);
  const headers = isolated ? headersFile(root) : [];
  const requests = [];
  const notFound = (res) => () => {
    res.statusCode = 404;
    res.end('not found');
  };
  const server = http.createServer((req, res) => {
    requests.push(new URL(req.url, 'http://localhost').pathname);
    if (cors) res.setHeader('Access-Control-Allow-Origin', '*');
    for (const [name, value] of headers) res.setHeader(name, value);
    const route = routes.find(([prefix]) => req.url.startsWith(prefix));
    if (route) {
      req.url = req.url.slice(route[0].length - 1);
      route[1](req, res, notFound(res));
    } else {
      handler(req, res, notFound(res));
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

// webgpu: whether Chromium exposes its (SwiftShader) WebGPU adapter. Without
// the flag, headless Chromium on a machine without a GPU has no adapter.
export function chromiumOptions({ webgpu = true } = {}) {
  const args = [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ];
  if (webgpu) args.splice(1, 0, '--enable-unsafe-webgpu');
  return { executablePath: CHROMIUM, args, headless: true };
}

// The system Chromium, headless (see chromiumOptions).
export function launch(options = {}) {
  return chromium.launch(chromiumOptions(options));
}

// One static server of dist/ and one Chromium for the tests of the enclosing
// describe block: started before its first test, both closed after its last.
// The tests read `env.server` and `env.browser`.
export function serveAndLaunch({ webgpu = true } = {}) {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await serveDist();
    env.browser = await launch({ webgpu });
  });
  after(async () => {
    await env.browser?.close();
    await env.server?.close();
  });
  return env;
}

// Collects console errors and uncaught exceptions from the page and from its
// worker (where all the wasm runs).
export function collectErrors(page) {
  const errors = [];
  const onConsole = (where) => (msg) => {
    if (msg.type() === 'error') errors.push(`${where} console.error: ${msg.text()} (${msg.location().url})`);
  };
  page.on('console', onConsole('page'));
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('worker', (worker) => worker.on('console', onConsole('worker')));
  return errors;
}

export function attr(page, selector, name) {
  return page.$eval(selector, (el, n) => el.getAttribute(n), name);
}

export async function numberAttr(page, selector, name) {
  const value = await attr(page, selector, name);
  return value === null ? NaN : Number(value);
}

// Waits until `predicate(value)` holds for the attribute's value (a string, or
// null when absent). The predicate runs in the page, so it must be
// self-contained; `arg` is passed to it as a second argument.
export async function waitForAttr(page, selector, name, predicate, { timeout = 5 * MINUTE, arg } = {}) {
  const started = Date.now();
  try {
    await page.waitForFunction(
      ([sel, n, source, a]) => {
        const el = document.querySelector(sel);
        // eslint-disable-next-line no-new-func
        const test = new Function(`return (${source})`)();
        return el !== null && test(el.getAttribute(n), a);
      },
      [selector, name, predicate.toString(), arg],
      { timeout, polling: 200 },
    );
  } catch (e) {
    const value = await attr(page, selector, name).catch(() => '(unreadable)');
    const extra = await page
      .evaluate(() =>
        [...document.querySelectorAll('mdn-demo')].map((demo) => {
          const text = (id) => demo.shadowRoot.getElementById(id)?.textContent;
          return {
            kind: demo.getAttribute('kind'),
            state: demo.dataset.state,
            backend: text('backend-text'),
            status: text('toy-status') ?? text('paint-status'),
            message: text('toy-message') || text('paint-message'),
          };
        }),
      )
      .catch(() => ({}));
    throw new Error(
      `waited ${Math.round((Date.now() - started) / 1000)} s for ${selector}[${name}] to satisfy ${predicate}` +
        ` (arg ${JSON.stringify(arg)}); it is ${JSON.stringify(value)}; page: ${JSON.stringify(extra)}`,
      { cause: e },
    );
  }
  return attr(page, selector, name);
}

// An init script (page.addInitScript) that records every repaint of a
// painting from the page's start, in window.__epochs: its time, picture,
// epoch and PSNR. At several epochs a second, polling the attribute would
// miss some.
export function recordRepaints() {
  window.__epochs = [];
  document.addEventListener('mdn-progress', (e) => {
    const d = e.detail;
    if (d.kind !== 'paint' || d.psnr === undefined || d.psnr === null) return;
    window.__epochs.push({ t: performance.now(), image: d.image, epoch: d.epoch, psnr: d.psnr });
  });
}

// Opens the page and waits until the worker has chosen a backend, as seen
// on the demo `ready` (null: do not wait).
export async function openPage(
  browser,
  url,
  { viewport = { width: 1280, height: 900 }, initScript, ready = '#toy' } = {},
) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = collectErrors(page);
  if (initScript) await page.addInitScript(initScript);
  await page.goto(url);
  if (ready) await waitForAttr(page, ready, 'data-backend', (v) => v !== null, { timeout: 2 * MINUTE });
  return { page, context, errors };
}

// Scrolls the page so that `selector`'s top is at the top of the viewport.
export function scrollToTop(page, selector) {
  return page.$eval(selector, (el) => el.scrollIntoView({ block: 'start' }));
}

// How many CSS pixels the page is wider than its viewport (0 or less: it
// fits, nothing scrolls sideways).
export function horizontalOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

// A demo's text by element id inside its shadow root (null when absent).
export function shadowText(page, host, id) {
  return page.$eval(host, (el, i) => el.shadowRoot.getElementById(i)?.textContent ?? null, id);
}

// What the page's browser offers as a WebGPU adapter (null when none), asked
// the same way the worker asks, so the tests know which backend to expect.
export function adapterInfo(page) {
  return page.evaluate(async () => {
    const adapter = navigator.gpu ? await navigator.gpu.requestAdapter() : null;
    if (!adapter) return null;
    const { vendor, architecture, device, description, isFallbackAdapter } = adapter.info;
    const software =
      Boolean(isFallbackAdapter || adapter.isFallbackAdapter) ||
      [vendor, architecture, description].some((s) => /swiftshader/i.test(s || ''));
    const label = description || [vendor, architecture, device].filter(Boolean).join(' ');
    return { vendor, architecture, device, description, label, software };
  });
}

// Lighthouse's BenchmarkIndex, run in the page: computeBenchmarkIndex of
// GoogleChrome/lighthouse, core/lib/page-functions.js (Apache License 2.0),
// the mean of two fixed jobs' rates (a tenth of their iterations a
// second), one allocating strings, one copying arrays. Lighthouse calibrates its CPU throttling with it, and reads 125+
// as a mid-tier Android phone (a Moto G4), 800+ as a high-end one (a Galaxy
// S8); desktops read 1000 and more.
function benchmarkIndex() {
  function withGc() {
    const start = Date.now();
    let iterations = 0;
    while (Date.now() - start < 500) {
      let s = '';
      for (let j = 0; j < 10000; j++) s += 'a';
      if (s.length === 1) throw new Error('never: keeps the loop from being optimised away');
      iterations++;
    }
    return Math.round(iterations / 10 / ((Date.now() - start) / 1000));
  }
  function withoutGc() {
    const a = [];
    const b = [];
    for (let i = 0; i < 100000; i++) a[i] = b[i] = i;
    const start = Date.now();
    let iterations = 0;
    // The clock read every tenth pass, as Lighthouse does (a JCC alignment
    // cliff on some Intel CPUs).
    while (iterations % 10 !== 0 || Date.now() - start < 500) {
      const [src, dst] = iterations % 2 === 0 ? [a, b] : [b, a];
      for (let j = 0; j < src.length; j++) dst[j] = src[j];
      iterations++;
    }
    return Math.round(iterations / 10 / ((Date.now() - start) / 1000));
  }
  return (withGc() + withoutGc()) / 2;
}

// The phone the throttled tests and the benchmark stand for: its
// BenchmarkIndex, between Lighthouse's mid-tier and high-end phones.
export const PHONE_INDEX = 500;

// Slows `page`'s main thread (Chromium's CPU throttling, which leaves its
// workers at the host's speed) so that it runs at BenchmarkIndex `index`,
// whatever the host: measures the host first (the median of three runs).
// A host already slower runs unthrottled. Returns {host, rate, achieved,
// note}, `note` saying which.
export async function emulateDeviceSpeed(context, page, index = PHONE_INDEX) {
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await page.evaluate(benchmarkIndex));
  const host = runs.sort((a, b) => a - b)[1];
  const rate = Math.max(1, host / index);
  if (rate > 1) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  }
  const achieved = rate > 1 ? await page.evaluate(benchmarkIndex) : host;
  const note =
    rate > 1
      ? `host BenchmarkIndex ${host}, main thread throttled ${rate.toFixed(2)} × to ${Math.round(achieved)} (aim ${index})`
      : `host BenchmarkIndex ${host} is already at or under ${index}: unthrottled`;
  return { host, rate, achieved, note };
}

// The ids of `host`'s canvases (inside its shadow root) that the page can
// still draw on: none of a toy's, once they went to the plot worker
// (www/plot-link.js).
export function canvasesDrawnOnPage(page, host, ids) {
  return page.$eval(
    host,
    (demo, list) =>
      list.filter((id) => {
        try {
          return demo.shadowRoot.getElementById(id).getContext('2d') !== null;
        } catch {
          return false;
        }
      }),
    ids,
  );
}

// The toy's canvases, all drawn in the plot worker where the browser can.
export const TOY_CANVASES = ['toy-canvas', 'toy-pi', 'toy-mu', 'toy-probe', 'toy-nll'];

// The PSNR (dB) of the flat image of the mean colour of the picture that
// painting demo `host` trains on (its target canvas): what a painting must
// beat to show anything at all.
export function flatPsnr(page, host = '#paint') {
  return page.$eval(host, (demo) => {
    const canvas = demo.shadowRoot.getElementById('paint-target');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const n = data.length / 4;
    const mean = [0, 0, 0];
    for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) mean[c] += data[i + c] / n;
    let se = 0;
    for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) se += ((data[i + c] - mean[c]) / 255) ** 2;
    return 10 * Math.log10(1 / (se / (3 * n)));
  });
}
