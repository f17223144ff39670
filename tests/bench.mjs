// Speed benchmark, not a test: in headless Chromium on WebGPU (SwiftShader
// where there is no GPU) and on the CPU backend,
//
// - workloads W2 (paint-128-diag) and W5 (paint-128-grid) of
//   docs/WORKLOADS.md: milliseconds per epoch (median of epochs
//   2..N) and per repaint, NLL and PSNR after the last epoch, PSNR after 10;
//
// where the CPU backend runs on one thread (the single-threaded module)
// and on every thread (the threaded module, up to 8, on a cross-origin
// isolated page), one after the other (--threads 1,all: each a count or
// `all`); the rest, a page as most hosts serve it, not isolated:
// - the page's default painting as a reader sees it (CPU backend): PSNR over
//   seconds of training for astronaut at 128 px, with the painting alone on
//   screen and with the toy beside it, and for every photo in
//   tests/images the PSNR at 60 s against that of the flat image of
//   the photo's mean colour;
// - a 12-megapixel photo painted at size 512 (CPU backend): seconds to the
//   first preview and the first repaint, PSNR at 10, 30 and 60 s;
// - the toy (CPU backend): training steps per second with its panels on
//   (density, components, a probe) and off, the painting off screen;
// - responsiveness (CPU backend): the page's main-thread tasks of 50 ms or
//   more (the Long Tasks API's long task), each with what the
//   long-animation-frame entry around it says ran, over 10 s of the demo
//   page training both demos, over 30 s of the six demos of
//   examples/many-demos.html, and on an emulated Pixel 7 whose main thread
//   runs at a phone's speed (helpers.mjs's emulateDeviceSpeed) over 6000
//   toy steps and two painting epochs. These were once tests; they depend
//   on the machine, so they are figures;
// - quick start, per backend path (the embedded demos of the sample blog
//   post, a fresh browser context each): the bytes the page fetched until
//   the painting's first repaint (raw, gzip, brotli: what a compressing
//   static host sends), the worker's wasm fetch-and-compile time, and the
//   time from a demo scrolling into view to its first drawn result (the
//   toy's first snapshot, the painting's first repaint).
//
//   trunk build --release && node tests/bench.mjs [--epochs 21] [--backend webgpu,cpu]
//     [--workloads w2,w5|none] [--seconds 60] [--toy-seconds 20] [--skip-page] [--skip-toy]
//     [--skip-quick-start] [--skip-responsiveness] [--skip-large] [--threads 1,all]
//     [--rounds 1]
//
// --rounds R runs each workload's thread counts in turn R times (1, all, 1,
// all, ...) and gives each round's median beside the pooled epochs, and the
// ratio of each count's median to the first count's, round by round: a
// shared machine's speed drifts by a third over minutes (docs/PERFORMANCE.md,
// "Threads"), so two rows run minutes apart compare the load as much as the
// threads.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { devices } from 'playwright-core';
import { WASM_MODULES, artifactsDir, benchWorker, distDir, emulateDeviceSpeed, flatPsnr, imagesDir, launch, median, option, recordRepaints, serveDist } from './helpers.mjs';

const args = process.argv.slice(2);
const epochs = Number(option('epochs', '21'));
const backends = option('backend', 'webgpu,cpu').split(',');
const workloads = option('workloads', 'w2,w5').split(',').filter((w) => w && w !== 'none');
const toySeconds = Number(option('toy-seconds', '20'));
const seconds = Number(option('seconds', '60'));
// The CPU's thread counts: a number, or null for `all` (the page's choice,
// www/worker/backend.js's threadsFor).
const threadCounts = option('threads', '1,all')
  .split(',')
  .map((t) => (t === 'all' ? null : Number(t)));
if (threadCounts.some((t) => t !== null && !(Number.isInteger(t) && t >= 1 && t <= 64))) {
  console.error('bench: --threads takes counts from 1 to 64 or `all`, separated by commas');
  process.exit(2);
}
// A row's threads as asked: the count, or 'all'.
const threadsLabel = (threads) => threads ?? 'all';
// A page's URL parameter for `threads` ('' for all: the page's default).
const threadsQuery = (threads) => (threads === null ? '' : `&threads=${threads}`);
const rounds = Number(option('rounds', '1'));
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error('bench: --rounds must be an integer of at least 1');
  process.exit(2);
}
if (!Number.isInteger(epochs) || epochs < 2) {
  console.error('bench: --epochs must be an integer of at least 2');
  process.exit(2);
}

// Min, median and max of `xs`.
const spread = (xs) => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs) });

const image = fs.readFileSync(path.join(imagesDir, 'astronaut.png'));
// A file's size as sent: raw, gzip -9 and brotli at quality 11.
const sizes = (bytes) => ({
  raw: bytes.length,
  gzip: zlib.gzipSync(bytes, { level: 9 }).length,
  brotli: zlib.brotliCompressSync(bytes, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
});
const report = {
  date: new Date().toISOString().slice(0, 10),
  wasm: Object.fromEntries(
    WASM_MODULES.map((m) => [`${m}_bg.wasm`, sizes(fs.readFileSync(path.join(distDir, `${m}_bg.wasm`)))]),
  ),
  quick_start: [],
  responsiveness: [],
  workloads: [],
  toy: [],
  page: [],
};

// One workload on one backend in a Worker (tests/bench/bench-worker.js);
// on the CPU on `threads` threads (null: the page's choice).
async function workload(browser, server, backend, name, threads = null) {
  const page = await browser.newPage();
  await page.goto(`${server.url}bench/bench.html`);
  const result = await benchWorker(page, { backend, threads, workload: name, epochs, repaints: 5 }, image.toString('base64'));
  await page.close();
  if (!result.ok) return { workload: name.toUpperCase(), backend, error: result.message };
  const timed = result.epochMs.slice(1);
  return {
    workload: name.toUpperCase(),
    backend,
    threads: result.threads,
    module: result.module,
    device: result.device,
    size: `${result.width}x${result.height}`,
    steps_per_epoch: result.stepsPerEpoch,
    epochs,
    ms_per_epoch: spread(timed),
    timed,
    first_epoch_ms: result.epochMs[0],
    ms_per_repaint: median(result.repaintMs),
    nll: result.nll,
    psnr: result.psnr,
    psnr_10: result.psnr10,
  };
}

// One row from a thread count's runs, round by round (`first`: the first
// count's runs): its last run's figures, its epochs pooled, and with more
// than one round each round's median and its ratio to the first count's
// (null where the first count failed).
function inRounds(runs, first) {
  if (runs.some((run) => run.error)) return runs.find((run) => run.error);
  const { timed, ...row } = runs.at(-1);
  if (runs.length === 1) return row;
  const medians = runs.map((run) => run.ms_per_epoch.median);
  const ratios = first.some((run) => run.error)
    ? null
    : medians.map((m, r) => Math.round((m / first[r].ms_per_epoch.median) * 100) / 100);
  return {
    ...row,
    rounds: runs.length,
    ms_per_epoch: spread(runs.flatMap((run) => run.timed)),
    round_medians: medians,
    ratio_to_first_by_round: ratios,
    ratio_to_first: ratios && median(ratios),
  };
}

// The page's painting as a reader sees it, on the CPU backend: PSNR by
// seconds of training (from the first step of this picture's painting),
// and the PSNR of the flat image of the picture's mean colour.
async function pageCurve(browser, server, { src = null, withToy = false, threads = null }) {
  const viewport = withToy ? { width: 1280, height: 2200 } : { width: 1280, height: 900 };
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.addInitScript(recordRepaints);
  await page.addInitScript(() => {
    document.addEventListener('mdn-progress', (e) => {
      const d = e.detail;
      if (d.kind === 'paint' && d.epoch === 0 && window.__start === undefined) window.__start = performance.now();
    });
  });
  const query = `?backend=cpu${threadsQuery(threads)}${src ? `&src=/test-images/${src}` : ''}`;
  await page.goto(`${server.url}${query}`);
  // The painting on screen, the toy above it off screen (or, with the toy,
  // both on the tall screen).
  if (!withToy) await page.$eval('#paint-section', (el) => el.scrollIntoView({ block: 'start' }));
  await page.waitForFunction(() => window.__start !== undefined, null, { timeout: 120_000 });
  await page.waitForTimeout(seconds * 1000 + 500);
  const result = await page.evaluate(() => ({
    start: window.__start,
    epochs: window.__epochs,
    image: document.getElementById('paint').dataset.image,
    threads: Number(document.getElementById('paint').dataset.threads),
  }));
  result.flat = await flatPsnr(page);
  await context.close();
  const curve = result.epochs
    .filter((e) => e.image === result.image)
    .map((e) => ({ s: Math.round((e.t - result.start) / 100) / 10, epoch: e.epoch, psnr: Math.round(e.psnr * 100) / 100 }));
  const upTo = (s) => curve.filter((e) => e.s <= s);
  const best = (s) => upTo(s).reduce((b, e) => Math.max(b, e.psnr), -Infinity);
  return {
    image: result.image,
    threads: result.threads,
    with_toy: withToy,
    best_psnr_by_10s: best(10),
    best_psnr_by_60s: best(60),
    // What the reader sees at 60 s: the latest repaint by then.
    psnr_at_60s: upTo(60).at(-1)?.psnr ?? null,
    epochs_by_60s: upTo(60).at(-1)?.epoch ?? 0,
    flat_psnr: Math.round(result.flat * 100) / 100,
    curve,
  };
}

// A phone photo painted at `size` 512 (issue 34's case), CPU backend: a
// 12-megapixel JPEG (4032 × 3024, made in the page from astronaut.png's
// middle 512 × 384 scaled up, so the detail at 512 px is the photo's own)
// uploaded once the default painting has had its first epoch; seconds from
// the upload to the first preview and to the first repaint, the PSNR of
// the latest repaint at 10, 30 and 60 s, and screenshots from 0.8 to 61 s.
async function largePainting(browser, server, threads = null) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.addInitScript(recordRepaints);
  await page.goto(`${server.url}?backend=cpu&size=512${threadsQuery(threads)}`);
  await page.$eval('#paint-section', (el) => el.scrollIntoView({ block: 'start' }));
  await page.waitForFunction(() => window.__epochs.length > 0, null, { timeout: 300_000 });
  const jpeg = await page.evaluate(async () => {
    const bitmap = await createImageBitmap(await (await fetch('/test-images/astronaut.png')).blob());
    const canvas = new OffscreenCanvas(4032, 3024);
    canvas.getContext('2d').drawImage(bitmap, 0, 64, 512, 384, 0, 0, 4032, 3024);
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.92 })).arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  });
  await page.evaluate(() => {
    const root = document.getElementById('paint').shadowRoot;
    root.getElementById('paint-file').addEventListener('change', () => (window.__upload = performance.now()), { capture: true });
    new MutationObserver(() => {
      if (window.__preview === undefined && /coarse look/.test(root.getElementById('paint-status').textContent)) {
        window.__preview = performance.now();
      }
    }).observe(root.getElementById('paint-status'), { childList: true, characterData: true, subtree: true });
  });
  const buffer = Buffer.from(jpeg, 'base64');
  await page.setInputFiles('#paint-file', { name: 'phone-12mp.jpg', mimeType: 'image/jpeg', buffer });
  const shots = await screenshotsAfter(page, `large-${threads ?? 'all'}-threads`, [0.8, 1, 1.5, 3, 10, 61]);
  const r = await page.evaluate(() => ({ upload: window.__upload, preview: window.__preview, epochs: window.__epochs }));
  const size = await page.evaluate(() => document.getElementById('paint').shadowRoot.getElementById('paint-target-caption').textContent);
  const used = Number(await page.getAttribute('#paint', 'data-threads'));
  await context.close();
  const since = (t) => (t === undefined ? null : Math.round((t - r.upload) / 100) / 10);
  const curve = r.epochs.filter((e) => e.image === 'phone-12mp.jpg').map((e) => ({ s: since(e.t), epoch: e.epoch, psnr: Math.round(e.psnr * 100) / 100 }));
  const at = (s) => curve.filter((e) => e.s <= s).at(-1)?.psnr ?? null;
  return {
    threads: used,
    photo: `4032 × 3024 JPEG, ${buffer.length} bytes; ${size}`,
    first_preview_s: since(r.preview),
    first_repaint_s: curve[0]?.s ?? null,
    psnr_at_10s: at(10),
    psnr_at_30s: at(30),
    psnr_at_60s: at(60),
    epochs_by_60s: curve.filter((e) => e.s <= 60).at(-1)?.epoch ?? 0,
    screenshots: shots,
  };
}

// Screenshots of the painting `seconds` (ascending) after now, as a reader
// sees it (a PSNR can look fine on a picture that shows nothing), into
// tests/artifacts/bench-NAME-Ss.png; returns their paths. A screenshot
// takes a few tens of ms, so the times are approximate.
async function screenshotsAfter(page, name, seconds) {
  const start = Date.now();
  fs.mkdirSync(artifactsDir, { recursive: true });
  const paths = [];
  for (const s of seconds) {
    await page.waitForTimeout(Math.max(0, start + s * 1000 - Date.now()));
    const file = path.join(artifactsDir, `bench-${name}-${s}s.png`);
    await page.locator('#paint').screenshot({ path: file });
    paths.push(path.relative(process.cwd(), file));
  }
  return paths;
}

// The toy alone on screen (the iframe view, CPU backend): steps per second
// over `toySeconds`, after 5 s of warm-up, with its panels on and a probe
// set, or off.
async function toyRate(browser, server, panels, threads = null) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 1300 } });
  const page = await context.newPage();
  await page.goto(`${server.url}embed.html?kind=toy&backend=cpu&panels=${panels ? 'on' : 'off'}${threadsQuery(threads)}`);
  await page.waitForFunction(() => Number(document.querySelector('mdn-demo')?.dataset.step) > 0, null, {
    timeout: 120_000,
  });
  if (panels) {
    const box = await page.locator('#toy-canvas').boundingBox();
    await page.mouse.click(box.x + box.width * 0.4, box.y + box.height * 0.5);
    // Off the plot, so the probe stays where it was clicked.
    await page.mouse.move(0, 0);
  }
  await page.waitForTimeout(5000);
  const read = () =>
    page.evaluate(() => ({ t: performance.now(), step: Number(document.querySelector('mdn-demo').dataset.step) }));
  const a = await read();
  await page.waitForTimeout(toySeconds * 1000);
  const b = await read();
  const used = Number(await page.getAttribute('mdn-demo', 'data-threads'));
  await context.close();
  return { panels, threads: used, seconds: toySeconds, steps_per_s: Math.round(((b.step - a.step) / (b.t - a.t)) * 1000) };
}

// The sample blog post on `backend` in a fresh context (nothing cached):
// scrolls the toy into view and times its first drawn snapshot, then the
// painting and its first repaint; sums what was fetched meanwhile.
async function quickStart(browser, server, backend) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  const page = await context.newPage();
  const from = server.requests.length;
  await page.goto(`${server.url}examples/blog-post.html?backend=${backend}`);
  await page.waitForLoadState('load');
  await page.waitForTimeout(1000);
  const idle = await page.$$eval('mdn-demo', (demos) => demos.every((d) => !d.dataset.backend));
  // Resolves to the ms from now until `selector`'s attribute passes, plus
  // the animation frame that draws it.
  const scrollAndTime = (selector, attr, min) =>
    page.$eval(
      selector,
      (el, { attr, min }) =>
        new Promise((resolve) => {
          const t0 = performance.now();
          const check = () => {
            if (Number(el.getAttribute(attr)) >= min) {
              requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
              return true;
            }
            return false;
          };
          el.addEventListener('mdn-progress', function listen() {
            if (check()) el.removeEventListener('mdn-progress', listen);
          });
          el.scrollIntoView({ block: 'center' });
        }),
      { attr, min },
    );
  const toyMs = await scrollAndTime('mdn-demo[kind=toy]', 'data-step', 1);
  const paintMs = await scrollAndTime('mdn-demo[kind=paint]', 'data-epoch', 1);
  const wasmMs = Number(await page.getAttribute('mdn-demo[kind=toy]', 'data-wasm-ms'));
  const chosen = await page.getAttribute('mdn-demo[kind=toy]', 'data-backend');
  await context.close();
  const files = [...new Set(server.requests.slice(from))];
  const total = { raw: 0, gzip: 0, brotli: 0 };
  for (const file of files) {
    const local = file.startsWith('/test-images/') ? path.join(imagesDir, file.slice(13)) : path.join(distDir, file);
    if (!fs.existsSync(local) || fs.statSync(local).isDirectory()) continue;
    const size = sizes(fs.readFileSync(local));
    for (const k of Object.keys(total)) total[k] += size[k];
  }
  return {
    backend: chosen,
    nothing_loaded_before_scroll: idle,
    files: files.length,
    bytes: total,
    wasm: files.filter((f) => f.endsWith('.wasm')),
    wasm_fetch_compile_ms: wasmMs,
    toy_first_drawn_ms: Math.round(toyMs),
    paint_first_repaint_ms: Math.round(paintMs),
  };
}

// Records, from before the page loads, every main-thread task of 50 ms or
// more and every long animation frame, with the scripts that ran in it.
function recordLongTasks() {
  window.__longTasks = [];
  window.__longFrames = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longFrames.push(e.toJSON());
  }).observe({ type: 'long-animation-frame', buffered: true });
}

// The long tasks since `t0` (the page's clock), longest first, each told
// with the scripts of the long animation frame around it (if it was one).
function longTasksSince(page, t0) {
  return page.evaluate(
    (since) =>
      window.__longTasks
        .filter((e) => e.start >= since)
        .sort((a, b) => b.duration - a.duration)
        .map((e) => {
          const frame = window.__longFrames.find((f) => f.startTime <= e.start + 1 && e.start < f.startTime + f.duration);
          const scripts = frame?.scripts.map((x) => `${x.invoker} ${Math.round(x.duration)} ms`).join(', ');
          return `${Math.round(e.duration)} ms${frame ? ` (a frame: ${scripts || 'no script'})` : ''}`;
        }),
    t0,
  );
}

// Long tasks while the page at `url` trains: over `windowMs`, or until
// `until(page)` resolves. `phone`: an emulated Pixel 7 whose main thread
// runs at PHONE_INDEX.
async function longTasks(browser, url, { name, viewport, phone = false, windowMs = null, until = null }) {
  const context = await browser.newContext(phone ? devices['Pixel 7'] : { viewport });
  const page = await context.newPage();
  await page.addInitScript(recordLongTasks);
  await page.goto(url);
  const speed = phone ? await emulateDeviceSpeed(context, page) : null;
  // A demo starts when scrolled into view; on a phone's screen the first
  // is below the introduction.
  await page.$eval('mdn-demo', (el) => el.scrollIntoView({ block: 'start' }));
  await page.waitForFunction(() => [...document.querySelectorAll('mdn-demo')].some((d) => Number(d.dataset.step) > 0 || Number(d.dataset.epoch) > 0), null, {
    timeout: 180_000,
  });
  const t0 = await page.evaluate(() => performance.now());
  if (until) await until(page);
  else await page.waitForTimeout(windowMs);
  const seconds = ((await page.evaluate(() => performance.now())) - t0) / 1000;
  const tasks = await longTasksSince(page, t0);
  await context.close();
  return { name, device: speed?.note ?? 'unthrottled', seconds: Math.round(seconds), long_tasks: tasks.length, longest: tasks.slice(0, 5) };
}

async function responsiveness(browser, server) {
  const out = [];
  out.push(await longTasks(browser, `${server.url}?backend=cpu`, { name: 'demo page, both demos', viewport: { width: 1280, height: 2200 }, windowMs: 10_000 }));
  out.push(
    await longTasks(browser, `${server.url}examples/many-demos.html?backend=cpu`, {
      name: 'six demos',
      viewport: { width: 1600, height: 2600 },
      windowMs: 30_000,
    }),
  );
  // As the phone test once measured it: 6000 toy steps, then the painting's
  // two epochs after its second.
  const untilPhoneDone = async (page) => {
    await page.$eval('#toy', (el) => el.scrollIntoView({ block: 'start' }));
    const step = Number(await page.getAttribute('#toy', 'data-step'));
    await page.waitForFunction((to) => Number(document.getElementById('toy').dataset.step) >= to, step + 6000, { timeout: 600_000, polling: 500 });
    await page.$eval('#paint', (el) => el.scrollIntoView({ block: 'start' }));
    await page.waitForFunction(() => Number(document.getElementById('paint').dataset.epoch) >= 4, null, { timeout: 600_000, polling: 500 });
  };
  out.push(await longTasks(browser, `${server.url}?backend=cpu`, { name: 'Pixel 7 at a phone\'s speed', phone: true, until: untilPhoneDone }));
  return out;
}

// The benchmark's page and worker (tests/bench/) are served beside dist/,
// not shipped in it: once as most hosts serve a page, and once cross-origin
// isolated (dist/_headers), where the CPU backend may run on threads.
const benchDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bench');
const server = await serveDist({ mounts: { '/bench/': benchDir } });
const isolated = await serveDist({ mounts: { '/bench/': benchDir }, isolated: true });
const browser = await launch({ webgpu: true });
// On the CPU, each of the thread counts one after the other.
const cpuThreads = (backend) => (backend === 'cpu' ? threadCounts : [null]);
try {
  if (!args.includes('--skip-responsiveness')) report.responsiveness = await responsiveness(browser, server);
  if (!args.includes('--skip-quick-start')) {
    for (const backend of backends) report.quick_start.push(await quickStart(browser, server, backend));
  }
  for (const name of workloads) {
    for (const backend of backends) {
      const counts = cpuThreads(backend);
      const runs = counts.map(() => []);
      for (let r = 0; r < rounds; r++) {
        for (const [i, threads] of counts.entries()) runs[i].push(await workload(browser, isolated, backend, name, threads));
      }
      report.workloads.push(...runs.map((rowRuns) => inRounds(rowRuns, runs[0])));
    }
  }
  for (const threads of args.includes('--skip-toy') ? [] : threadCounts) {
    const on = await toyRate(browser, isolated, true, threads);
    const off = await toyRate(browser, isolated, false, threads);
    report.toy.push(on, off, { threads: threadsLabel(threads), panels_cost: Math.round((1 - on.steps_per_s / off.steps_per_s) * 1000) / 1000 });
  }
  if (!args.includes('--skip-page')) {
    for (const threads of threadCounts) {
      report.page.push(await pageCurve(browser, isolated, { threads }));
      report.page.push(await pageCurve(browser, isolated, { withToy: true, threads }));
    }
    for (const photo of fs.readdirSync(imagesDir).filter((f) => /\.(png|jpe?g)$/.test(f)).sort()) {
      report.page.push(await pageCurve(browser, server, { src: photo }));
    }
  }
  if (!args.includes('--skip-large')) {
    report.large_painting = [];
    for (const threads of threadCounts) report.large_painting.push(await largePainting(browser, isolated, threads));
  }
} finally {
  await browser.close();
  await server.close();
  await isolated.close();
}
console.log(JSON.stringify(report, null, 2));
