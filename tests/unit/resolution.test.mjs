// The plots' resolution policy (www/resolution.js): what a run of frame
// costs does to the pixel ratio and the canvases drawn per frame.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MAX_DRAWS,
  MAX_PIXEL_RATIO,
  MIN_DRAWS,
  MIN_PIXEL_RATIO,
  Resolution,
  SETTLE_FRAMES,
  WARMUP_FRAMES,
} from '../../www/resolution.js';

// A Resolution past its warm-up, on a screen of `dpr`.
function settled(dpr) {
  const r = new Resolution();
  for (let i = 0; i < WARMUP_FRAMES; i++) assert.equal(r.record(500, dpr), false, 'warm-up frames are not judged');
  assert.equal(r.ratioFor(dpr), Math.min(dpr, MAX_PIXEL_RATIO));
  return r;
}

test('the ratio is the screen’s, at most 2 and at least 1', () => {
  const r = new Resolution();
  assert.equal(r.ratioFor(2.625), MAX_PIXEL_RATIO);
  assert.equal(r.ratioFor(1.5), 1.5);
  assert.equal(r.ratioFor(0.5), MIN_PIXEL_RATIO);
  assert.equal(r.ratioFor(undefined), 1);
});

test('cheap frames change nothing', () => {
  const r = settled(2.625);
  for (let i = 0; i < 5 * SETTLE_FRAMES; i++) assert.equal(r.record(12, 2.625), false);
  assert.equal(r.ratioFor(2.625), 2);
  assert.equal(r.draws, MAX_DRAWS);
});

test('one slow frame (a garbage collection) changes nothing; three lower the ratio toward 20 ms', () => {
  const r = settled(2.625);
  assert.equal(r.record(80, 2.625), false);
  assert.equal(r.record(10, 2.625), false);
  assert.equal(r.record(10, 2.625), false);
  assert.equal(r.ratioFor(2.625), 2);
  // 45 ms at ratio 2: 20 ms is predicted at 2·√(20/45) = 1.33, rounded down to 1.25.
  assert.equal(r.record(45, 2.625), false);
  assert.equal(r.record(45, 2.625), true, 'two of the last three at 45 ms');
  assert.equal(r.ratioFor(2.625), 1.25);
  // 34 ms at 1.25 predicts 0.96: never under 1.
  r.record(34, 2.625);
  r.record(34, 2.625);
  assert.equal(r.record(34, 2.625), true);
  assert.equal(r.ratioFor(2.625), MIN_PIXEL_RATIO);
  assert.equal(r.draws, MAX_DRAWS);
  // Still slow at ratio 1: one canvas per frame, the ratio unchanged.
  r.record(40, 2.625);
  r.record(40, 2.625);
  assert.equal(r.record(40, 2.625), false);
  assert.equal(r.draws, MIN_DRAWS);
  assert.equal(r.ratioFor(2.625), MIN_PIXEL_RATIO);
});

test('with room again, the draws per frame come back first, then the ratio step by step', () => {
  const r = settled(2.625);
  for (const cost of [60, 60, 60, 40, 40, 40]) r.record(cost, 2.625);
  assert.equal(r.ratioFor(2.625), 1);
  assert.equal(r.draws, MIN_DRAWS);
  // Fewer than SETTLE_FRAMES fast frames: no change yet.
  for (let i = 0; i < SETTLE_FRAMES - 1; i++) assert.equal(r.record(10, 2.625), false);
  assert.equal(r.draws, MIN_DRAWS);
  r.record(10, 2.625); // 10 ms × 2 canvases < 32 ms
  assert.equal(r.draws, MAX_DRAWS);
  const ratios = [];
  for (let i = 0; i < 10 * SETTLE_FRAMES; i++) if (r.record(10, 2.625)) ratios.push(r.ratioFor(2.625));
  // 10 ms × (next/ratio)² stays under 32 ms all the way back to 2.
  assert.deepEqual(ratios, [1.25, 1.5, 1.75, 2]);
});

test('a ratio is not raised when the raised one is predicted slow', () => {
  const r = settled(2);
  for (const cost of [60, 60, 60]) r.record(cost, 2);
  assert.equal(r.ratioFor(2), 1);
  // 24 ms at 1 predicts 37.5 ms at 1.25, over 32 ms: stays at 1.
  for (let i = 0; i < 5 * SETTLE_FRAMES; i++) assert.equal(r.record(24, 2), false);
  assert.equal(r.ratioFor(2), 1);
});

test('on a screen of ratio 1, slow frames draw one canvas per frame', () => {
  const r = settled(1);
  for (const cost of [50, 50]) r.record(cost, 1);
  assert.equal(r.record(50, 1), false, 'the ratio stays 1');
  assert.equal(r.draws, MIN_DRAWS);
});
