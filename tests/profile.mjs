// Where a workload's time goes, thread by thread: a profile, not a test.
// Trains W2 or W5 (docs/WORKLOADS.md) in the threaded CPU module in
// headless Chromium, as tests/bench.mjs does, while Chromium's sampling
// profiler (the DevTools protocol's Profiler) records the benchmark's worker
// and each of the pool's, from the end of the first epoch to the end of the
// last; then prints, per epoch and per thread, the milliseconds of each kind
// of work and of the functions that took the most, and for how much of the
// time the pool's threads were busy together.
//
//   bash scripts/build.sh && node tests/profile.mjs [--workload w5] [--threads 2]
//     [--epochs 21] [--interval-us 1000] [--top 25] [--json FILE]
//
// One thread is the threaded module with a pool of one (the benchmark's
// worker trains itself), so that both counts run the same code. The
// functions are named: the module is bound again from the build's own wasm
// (scripts/build-threads.sh, in the target folder), names kept, into a
// copy of dist/ that is deleted afterwards. The profiler costs time of its
// own (a sample every --interval-us on every thread), and a shared
// machine's speed drifts (docs/PERFORMANCE.md, "Threads"): compare counts
// within one run, or by what each thread does, not by the epochs' length.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { benchWorker, chromiumOptions, distDir, imagesDir, median, option, repoRoot, serveDist } from './helpers.mjs';

const workload = option('workload', 'w5');
const threads = Number(option('threads', '2'));
const epochs = Number(option('epochs', '21'));
const intervalUs = Number(option('interval-us', '1000'));
const top = Number(option('top', '25'));
const jsonFile = option('json', null);
const fail = (message) => {
  console.error(`profile: ${message}`);
  process.exit(2);
};
if (!['w2', 'w5'].includes(workload)) fail('--workload is w2 or w5');
if (!Number.isInteger(threads) || threads < 1 || threads > 64) fail('--threads takes a count from 1 to 64');
if (!Number.isInteger(epochs) || epochs < 2) fail('--epochs must be an integer of at least 2');
if (!(intervalUs >= 50)) fail('--interval-us must be at least 50');

// What a function's samples count as: its kind of work, by its name.
const KINDS = [
  ['asleep', /Condvar>::wait|^\(idle\)$|Sleep>::sleep/],
  ['hand-offs', /rayon_core|rayon\[|wasm_sync|crossbeam|futex|Latch/],
  ['matrix products', /^gemm/],
  ['fused kernels', /^mdn_core::fused|^<burn_flex::backend::Flex as mdn_core::fused::FusedOps>/],
  ['memory', /dlmalloc|__rust_(alloc|dealloc|realloc)|alloc::vec|alloc::raw_vec|drop_glue|mem(cpy|set|move)/],
  ['burn', /burn_/],
];
const kindOf = (name) => (KINDS.find(([, pattern]) => pattern.test(name)) ?? ['other'])[0];
// Rust's symbol hashes ("mdn_core[f3b2501d3d552b2c]::…") left out.
const shortName = (name) => name.replace(/\[[0-9a-f]{8,}\]/g, '');

// dist/ with the threaded module bound again, its names kept.
function namedDist() {
  const target = process.env.CARGO_TARGET_DIR || path.join(repoRoot, 'target');
  const wasm = path.join(target, 'threads/wasm32-unknown-unknown/wasm-release/mdn_web_threads.wasm');
  if (!fs.existsSync(wasm)) fail(`${wasm} is missing: run \`bash scripts/build.sh\` (or scripts/build-threads.sh) first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdn-profile-'));
  fs.cpSync(distDir, dir, { recursive: true });
  const bin = path.join(process.env.CARGO_HOME || path.join(os.homedir(), '.cargo'), 'bin');
  const bound = spawnSync(
    'wasm-bindgen',
    ['--target', 'web', '--no-typescript', '--keep-debug', '--out-dir', dir, '--out-name', 'mdn-web-threads', wasm],
    { env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` }, encoding: 'utf8' },
  );
  if (bound.status !== 0) fail(`wasm-bindgen failed: ${bound.error?.message ?? bound.stderr}`);
  return dir;
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

// A DevTools protocol client over the browser's WebSocket, with flat
// sessions: every worker, nested ones included, attached as it starts and
// held until its profiler runs.
async function devtools(port) {
  const { webSocketDebuggerUrl } = await (await fetch(`http://127.0.0.1:${port}/json/version`)).json();
  const ws = new WebSocket(webSocketDebuggerUrl, { perMessageDeflate: false, maxPayload: 1 << 30 });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map();
  const listeners = [];
  const send = (method, params = {}, sessionId = undefined) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject, method });
      ws.send(JSON.stringify({ id, method, params, sessionId }));
    });
  ws.on('message', (raw) => {
    const message = JSON.parse(raw);
    const call = pending.get(message.id);
    if (call) {
      pending.delete(message.id);
      if (message.error) call.reject(new Error(`${call.method}: ${message.error.message}`));
      else call.resolve(message.result);
    } else if (message.method) {
      for (const listener of listeners) {
        Promise.resolve(listener(message)).catch((e) => console.error(`profile: ${e.message}`));
      }
    }
  });
  return { send, on: (listener) => listeners.push(listener), close: () => ws.close() };
}

// One thread's samples in order: when each was taken (µs, the profile's
// clock) and the function it was in.
function samples(profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  let t = profile.startTime;
  return profile.samples.map((id, i) => {
    t += profile.timeDeltas[i];
    const frame = nodes.get(id).callFrame;
    return { t, name: shortName(frame.functionName || frame.url || '(anonymous)') };
  });
}

// Self time per function and epoch of one thread's profile.
function selfTimes(profile, epochCount) {
  const times = new Map();
  const taken = samples(profile);
  taken.forEach(({ name }, i) => {
    // A sample's time is the gap to the next one.
    const ms = ((taken[i + 1]?.t ?? taken[i].t) - taken[i].t) / 1000 / epochCount;
    times.set(name, (times.get(name) ?? 0) + ms);
  });
  return times;
}

// The share of the profiled span in which 0, 1, … of the threads were
// busy at once (a sample outside the "asleep" kind), read on a common
// clock every interval: where it is mostly one of two, the split passes
// ran on one thread while the other slept.
function busyAtOnce(profiles, stepUs) {
  const timelines = profiles.map((profile) =>
    samples(profile).map(({ t, name }) => [t, kindOf(name) !== 'asleep']),
  );
  const counts = new Array(profiles.length + 1).fill(0);
  if (timelines.some((timeline) => timeline.length === 0)) return counts;
  const start = Math.max(...timelines.map((timeline) => timeline[0][0]));
  const end = Math.min(...timelines.map((timeline) => timeline.at(-1)[0]));
  const at = timelines.map(() => 0);
  for (let t = start; t < end; t += stepUs) {
    let busy = 0;
    timelines.forEach((timeline, k) => {
      while (at[k] + 1 < timeline.length && timeline[at[k] + 1][0] <= t) at[k]++;
      if (timeline[at[k]][1]) busy++;
    });
    counts[busy]++;
  }
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  return counts.map((count) => count / total);
}

const dir = namedDist();
const server = await serveDist({ root: dir, mounts: { '/bench/': path.join(repoRoot, 'tests', 'bench') }, isolated: true });
const port = await freePort();
const options = chromiumOptions({ webgpu: false });
const browser = await chromium.launch({ ...options, args: [...options.args, `--remote-debugging-port=${port}`] });
try {
  const cdp = await devtools(port);
  // sessionId -> the thread's label, in the order they start.
  const threadsSeen = new Map();
  const stopped = new Map();
  cdp.on(async ({ method, params, sessionId }) => {
    if (method === 'Target.attachedToTarget') {
      const child = params.sessionId;
      if (params.targetInfo.type === 'worker') {
        const label = params.targetInfo.url.endsWith('/bench-worker.js') ? 'worker' : `pool ${threadsSeen.size}`;
        threadsSeen.set(child, label);
        await cdp.send('Runtime.enable', {}, child);
        await cdp.send('Profiler.enable', {}, child);
        await cdp.send('Profiler.setSamplingInterval', { interval: intervalUs }, child);
      }
      await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true }, child);
      await cdp.send('Runtime.runIfWaitingForDebugger', {}, child);
    } else if (method === 'Runtime.consoleAPICalled' && threadsSeen.has(sessionId)) {
      const text = params.args[0]?.value;
      for (const session of threadsSeen.keys()) {
        // A failed start shows as that thread's failed stop, below.
        if (text === 'mdn-profile: start') cdp.send('Profiler.start', {}, session).catch(() => {});
        if (text === 'mdn-profile: stop') stopped.set(session, cdp.send('Profiler.stop', {}, session));
      }
    }
  });

  const page = await browser.newPage();
  await page.goto(`${server.url}bench/bench.html`);
  const { targetInfos } = await cdp.send('Target.getTargets');
  const target = targetInfos.find((t) => t.type === 'page' && t.url.endsWith('/bench/bench.html'));
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: true });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true }, sessionId);

  const bytes = fs.readFileSync(path.join(imagesDir, 'astronaut.png')).toString('base64');
  const message = { backend: 'cpu', threads, workload, epochs, repaints: 0, pool: true, profile: true };
  const result = await benchWorker(page, message, bytes);
  if (!result.ok) throw new Error(result.message);
  if (result.module !== 'mdn-web-threads') throw new Error(`the worker ran ${result.module}, not the threaded module`);

  const epochCount = epochs - 1;
  const perThread = [];
  for (const [session, label] of threadsSeen) {
    if (!stopped.has(session)) continue; // a thread that started after the samples ended
    const { profile } = await stopped.get(session);
    perThread.push({ label, times: selfTimes(profile, epochCount), profile });
  }
  cdp.close();

  const timed = result.epochMs.slice(1);
  console.log(
    `${workload.toUpperCase()} on ${result.threads} thread(s) of mdn-web-threads: epochs 2–${epochs}, median ` +
      `${median(timed).toFixed(1)} ms (min ${Math.min(...timed).toFixed(1)}), profiled every ${intervalUs} µs; ms per epoch:`,
  );
  const column = (text) => String(text).padStart(10);
  const header = perThread.map(({ label }) => column(label)).join('');
  const kinds = [...KINDS.map(([kind]) => kind), 'other'];
  const byKind = perThread.map(({ times }) => {
    const sums = Object.fromEntries(kinds.map((kind) => [kind, 0]));
    for (const [name, ms] of times) sums[kindOf(name)] += ms;
    return sums;
  });
  console.log(`\n${'kind of work'.padEnd(18)}${header}`);
  for (const kind of kinds) console.log(`${kind.padEnd(18)}${byKind.map((sums) => column(sums[kind].toFixed(1))).join('')}`);
  const pool = perThread.filter(({ label }) => label !== 'worker');
  const atOnce = pool.length > 1 ? busyAtOnce(pool.map(({ profile }) => profile), intervalUs) : null;
  if (atOnce) {
    const shares = atOnce.map((share, busy) => `${busy}: ${(100 * share).toFixed(1)} %`).join(', ');
    console.log(`\npool threads busy at once, share of the profiled span: ${shares}`);
  }
  const names = new Set(perThread.flatMap(({ times }) => [...times.keys()]));
  const rows = [...names]
    .map((name) => ({ name, ms: perThread.map(({ times }) => times.get(name) ?? 0) }))
    .sort((a, b) => b.ms.reduce((x, y) => x + y) - a.ms.reduce((x, y) => x + y));
  console.log(`\n${header}  function (kind)`);
  for (const { name, ms } of rows.slice(0, top)) {
    console.log(`${ms.map((v) => column(v.toFixed(2))).join('')}  ${name.slice(0, 120)} (${kindOf(name)})`);
  }
  if (jsonFile) {
    const threadsOut = perThread.map(({ label, times }, i) => ({ label, by_kind: byKind[i], functions: Object.fromEntries(times) }));
    fs.writeFileSync(jsonFile, JSON.stringify({ workload, threads: result.threads, interval_us: intervalUs, epoch_ms: result.epochMs, pool_busy_at_once: atOnce, threads_profiled: threadsOut }, null, 1));
  }
} finally {
  await browser.close();
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
