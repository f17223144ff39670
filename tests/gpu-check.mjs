// The GPU check (run by scripts/gpu-check.sh): on a machine with a GPU, the
// native wgpu workloads W1, W2, W4 and W5 (docs/WORKLOADS.md, shortened) and
// the page in headless Chromium on the GPU's WebGPU, whose backend trial
// (www/backend-trial.js) measures WebGPU against the CPU module on each demo
// and decides; one table of figures at the end. Never fails on a figure: it
// reports. Without a GPU it runs on Mesa's lavapipe natively and, with
// --software, on Chromium's SwiftShader, which the trial otherwise skips.
//
// node tests/gpu-check.mjs --mdn PATH [--software] [--no-native] [--no-page]
import { spawnSync } from 'node:child_process';
import { MINUTE, chromiumOptions, openPage, serveDist, waitForAttr } from './helpers.mjs';
import { chromium } from 'playwright-core';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : null;
};
const mdn = option('--mdn');
const software = flag('--software');

// Shortened so that the whole check takes minutes on lavapipe: the figures
// are medians of the timed part (see `mdn bench`'s JSON).
const WORKLOADS = [
  ['W1', ['--steps', '200']],
  ['W2', ['--epochs', '4']],
  ['W4', ['--epochs', '1']],
  ['W5', ['--epochs', '4']],
];

const rows = []; // [what, backend, figure, note]

function native() {
  for (const [workload, extra] of WORKLOADS) {
    const started = Date.now();
    const run = spawnSync(mdn, ['bench', workload, '--backend', 'wgpu', ...extra], { encoding: 'utf8' });
    const seconds = Math.round((Date.now() - started) / 1000);
    if (run.status !== 0) {
      rows.push([`native ${workload}`, 'wgpu', 'failed', (run.stderr || String(run.error)).trim().split('\n').pop()]);
      continue;
    }
    const report = JSON.parse(run.stdout.trim().split('\n').pop());
    const [unit, stats] = report.ms_per_step ? ['ms/step', report.ms_per_step] : ['ms/epoch', report.ms_per_epoch];
    // Kernel dispatches and readbacks (`mdn bench`'s per_step and per_repaint).
    const counts = ['per_step', 'per_repaint']
      .filter((key) => report[key])
      .map((key) => `${report[key].dispatches} dispatches, ${report[key].readbacks} readbacks ${key.replace('_', ' ')}`);
    const repaint = report.ms_per_repaint ? [`repaint ${report.ms_per_repaint.median ?? report.ms_per_repaint} ms`] : [];
    rows.push([
      `native ${workload} (${extra.join(' ')})`,
      `wgpu: ${report.adapter}`,
      `${stats.median} ${unit} (min ${stats.min})`,
      [...repaint, ...counts, `${seconds} s`].join('; '),
    ]);
  }
}

// Chromium with its GPU: WebGPU over Vulkan where the machine has one.
function browserOptions() {
  const options = chromiumOptions({ webgpu: true });
  options.args.push('--enable-features=Vulkan', '--use-angle=vulkan', '--ignore-gpu-blocklist');
  return options;
}

// The page's demo `kind` alone (embed.html), chosen automatically: its
// trial's figures and decision, or why there were none.
async function trial(browser, server, kind) {
  const initScript = software ? '__mdnTestHooks = true; __mdnTrialSoftware = true;' : undefined;
  const url = `${server.url}embed.html?kind=${kind}`;
  const started = Date.now();
  const { page, context, errors } = await openPage(browser, url, { ready: 'mdn-demo', initScript });
  try {
    const adapter = await page.evaluate(async () => {
      const a = navigator.gpu && (await navigator.gpu.requestAdapter());
      return a ? [a.info.vendor, a.info.architecture, a.info.description].filter(Boolean).join(' ') : 'none';
    });
    await waitForAttr(page, 'mdn-demo', 'data-backend-trial', (v) => v === 'cpu' || v === 'webgpu', {
      timeout: 3 * MINUTE,
    }).catch(() => null);
    const get = (name) => page.getAttribute('mdn-demo', name);
    const decision = await get('data-backend-trial');
    const line = (await page.textContent('mdn-demo >> #backend-text')).trim();
    const seconds = Math.round((Date.now() - started) / 1000);
    const figure = decision
      ? `WebGPU ${await get('data-trial-webgpu')}, CPU ${await get('data-trial-cpu')} ${await get('data-trial-unit')}: ${decision}`
      : 'no trial';
    rows.push([`page ${kind}, trial`, `WebGPU: ${adapter}`, figure, `${line}; ${seconds} s${errors.length ? `; errors: ${errors.join(' | ')}` : ''}`]);
  } finally {
    await context.close();
  }
}

async function pageCheck() {
  const server = await serveDist();
  const browser = await chromium.launch(browserOptions());
  try {
    for (const kind of ['toy', 'paint']) await trial(browser, server, kind);
  } finally {
    await browser.close();
    await server.close();
  }
}

const started = Date.now();
if (!flag('--no-native')) native();
if (!flag('--no-page')) await pageCheck();
console.log(`\nGPU check, ${new Date().toISOString()}, ${Math.round((Date.now() - started) / 1000)} s\n`);
console.log('| what | backend | figure | notes |\n| --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
