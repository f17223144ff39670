// Soak benchmark, not a test (issue 19): the demo page with both demos
// training for `--minutes`, and every minute a toy restart, a settings
// change of each demo, a new picture and a resize of the window. Every
// `--sample-seconds` it samples the resident memory (VmRSS) of the page's
// renderer and of the GPU process, the wasm's linear memory and the page's
// JavaScript heap. At the end it compares the average of the last third of
// the samples with that of the first third for each: memory that stays flat
// gives a ratio near 1 (the goal: below 1.25).
//
//   trunk build --release && node tests/soak.mjs [--minutes 10] [--backend cpu|webgpu]
//     [--sample-seconds 30]
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumOptions, imagesDir, option, serveDist, waitForAttr } from './helpers.mjs';

const minutes = Number(option('minutes', '10'));
const backend = option('backend', 'cpu');
const sampleSeconds = Number(option('sample-seconds', '30'));
if (!(minutes > 0) || !(sampleSeconds > 0) || !['cpu', 'webgpu'].includes(backend)) {
  console.error('soak: --minutes and --sample-seconds must be positive, --backend cpu or webgpu');
  process.exit(2);
}

// Every process under `root` (by parent pid), with its Chromium type.
function processTree(root) {
  const all = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, 'utf8');
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const field = (name) => status.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'))?.[1];
      all.push({
        pid: Number(entry),
        ppid: Number(field('PPid')),
        rssKb: Number(field('VmRSS') ?? 0),
        type: cmdline.match(/--type=([a-z-]+)/)?.[1] ?? 'browser',
      });
    } catch {
      // The process ended while being read.
    }
  }
  const mine = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!mine.has(p.pid) && mine.has(p.ppid)) {
        mine.add(p.pid);
        grew = true;
      }
    }
  }
  return all.filter((p) => mine.has(p.pid));
}

const mb = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
const photos = fs
  .readdirSync(imagesDir)
  .filter((f) => /\.(png|jpe?g)$/.test(f))
  .sort()
  .map((f) => path.join(imagesDir, f));

const server = await serveDist();
const browserServer = await chromium.launchServer(chromiumOptions({ webgpu: backend === 'webgpu' }));
const browser = await chromium.connect(browserServer.wsEndpoint());
const rootPid = browserServer.process().pid;
const samples = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 2200 } });
  const page = await context.newPage();
  await page.goto(`${server.url}?backend=${backend}`);
  await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 1, { timeout: 10 * 60_000 });

  async function sample(t) {
    const tree = processTree(rootPid);
    const rss = (type) => tree.filter((p) => p.type === type).reduce((s, p) => s + p.rssKb * 1024, 0);
    const worker = page.workers()[0];
    const wasm = worker ? await worker.evaluate(() => context.memory?.buffer.byteLength ?? 0) : 0;
    const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
    const s = {
      t,
      renderer_mb: mb(rss('renderer')),
      gpu_mb: mb(rss('gpu-process')),
      wasm_mb: mb(wasm),
      js_heap_mb: mb(heap),
      toy_step: Number(await page.getAttribute('#toy', 'data-step')),
      paint_epoch: Number(await page.getAttribute('#paint', 'data-epoch')),
    };
    samples.push(s);
    console.error(JSON.stringify(s));
  }

  // Minute m's changes: each demo restarted or re-set, a new picture and
  // another window size.
  async function churn(m) {
    await page.click('#toy-restart');
    await page.selectOption('#toy-components', m % 2 ? '8' : '24');
    await page.selectOption('#toy-data', m % 3 === 0 ? 'bishop' : 'inverse');
    await page.selectOption('#paint-components', m % 2 ? '12' : '8');
    await page.setInputFiles('#paint-file', photos[m % photos.length]);
    await page.setViewportSize({ width: m % 2 ? 900 : 1280, height: 2200 });
  }

  const start = Date.now();
  let nextSample = 0;
  let nextChurn = 60;
  let minute = 0;
  for (;;) {
    const t = (Date.now() - start) / 1000;
    if (t >= nextSample) {
      await sample(Math.round(t));
      nextSample += sampleSeconds;
    }
    if (t >= minutes * 60) break;
    if (t >= nextChurn) {
      minute += 1;
      await churn(minute);
      nextChurn += 60;
    }
    await page.waitForTimeout(1000);
  }
  await context.close();
} finally {
  await browser.close();
  await browserServer.close();
  await server.close();
}

const third = Math.max(1, Math.floor(samples.length / 3));
const average = (xs, key) => xs.reduce((s, x) => s + x[key], 0) / xs.length;
const growth = Object.fromEntries(
  ['renderer_mb', 'gpu_mb', 'wasm_mb', 'js_heap_mb'].map((key) => {
    const first = average(samples.slice(0, third), key);
    const last = average(samples.slice(-third), key);
    return [key, { first_third: Math.round(first), last_third: Math.round(last), ratio: Math.round((last / first) * 100) / 100 }];
  }),
);
console.log(JSON.stringify({ date: new Date().toISOString().slice(0, 10), backend, minutes, growth, samples }, null, 2));
