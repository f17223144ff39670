// Speed benchmark, not a test: workload W2 (paint-128-diag, see
// ../shared/bench/WORKLOADS.md) in headless Chromium, on WebGPU (SwiftShader
// where there is no GPU) and on the CPU backend, plus the size of the release
// wasm as served, raw and gzipped.
//
//   trunk build --release && node tests/bench.mjs [--epochs 21] [--backend webgpu|cpu]
//
// Reports the median milliseconds per epoch over epochs 2..N (W2: 2–21), the
// median milliseconds per repaint, and the NLL and PSNR after the last epoch.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { distDir, imagesDir, launch, serveDist } from './helpers.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const epochs = Number(option('epochs', '21'));
const backends = option('backend', 'webgpu,cpu').split(',');
if (!Number.isInteger(epochs) || epochs < 2) {
  console.error('bench: --epochs must be an integer of at least 2');
  process.exit(2);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const wasm = fs.readFileSync(path.join(distDir, 'mdn-web_bg.wasm'));
const js = fs.readFileSync(path.join(distDir, 'mdn-web.js'));
const image = fs.readFileSync(path.join(imagesDir, 'astronaut.png'));
const report = {
  date: new Date().toISOString().slice(0, 10),
  workload: 'W2',
  wasm_bytes: wasm.length,
  wasm_gzip_bytes: zlib.gzipSync(wasm, { level: 9 }).length,
  js_bytes: js.length,
  results: [],
};

// The benchmark's page and worker (tests/bench/) are served beside dist/,
// not shipped in it.
const benchDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bench');
const server = await serveDist({ mounts: { '/bench/': benchDir } });
const browser = await launch({ webgpu: true });
try {
  for (const backend of backends) {
    const page = await browser.newPage();
    await page.goto(`${server.url}bench/bench.html`);
    const result = await page.evaluate(
      ({ backend, bytes, epochs }) =>
        new Promise((resolve) => {
          const worker = new Worker('bench-worker.js');
          worker.onmessage = ({ data }) => resolve(data);
          worker.onerror = (e) => resolve({ ok: false, message: e.message });
          const raw = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
          worker.postMessage({ backend, bytes: raw.buffer, epochs, repaints: 5 }, [raw.buffer]);
        }),
      { backend, bytes: image.toString('base64'), epochs },
    );
    await page.close();
    if (!result.ok) {
      report.results.push({ backend, error: result.message });
      continue;
    }
    const timed = result.epochMs.slice(1);
    report.results.push({
      backend,
      device: result.device,
      size: `${result.width}x${result.height}`,
      steps_per_epoch: result.stepsPerEpoch,
      epochs,
      ms_per_epoch: { min: Math.min(...timed), median: median(timed), max: Math.max(...timed) },
      first_epoch_ms: result.epochMs[0],
      ms_per_repaint: median(result.repaintMs),
      nll: result.nll,
      psnr: result.psnr,
    });
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(JSON.stringify(report, null, 2));
