// The backend trial's pure parts (www/backend-trial.js): the rates, the
// work that brings a new trial, and the words the backend line shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countOf, formatRate, needsTrial, rateOver, trialText } from '../../www/backend-trial.js';
// The built-in kinds, which register themselves.
import '../../www/toy.js';
import '../../www/paint.js';

const P = globalThis.MdnProtocol;

test('a rate runs from the last result at or before the start to the last at or before the end', () => {
  const points = [
    { t: 0, count: 0 },
    { t: 1000, count: 10 },
    { t: 2000, count: 30 },
    { t: 3000, count: 40 },
  ];
  assert.equal(rateOver(points, 1000, 3000), 15);
  assert.equal(rateOver(points, 1500, 2500), 20, 'from t = 1000 to t = 2000');
  assert.equal(rateOver(points, -500, 500), 0, 'one result: no rate');
  assert.equal(rateOver([], 0, 1000), 0);
  assert.equal(rateOver(points, 5000, 6000), 0, 'nothing since: it did not move');
});

test('results count epochs for a painting and steps for a toy; nothing else counts', () => {
  assert.equal(countOf({ type: P.PAINT_EPOCH, epoch: 7 }), 7);
  assert.equal(countOf({ type: P.TOY_SNAPSHOT, step: 420 }), 420);
  assert.equal(countOf({ type: P.CHECKPOINT, epoch: 7, step: null }), null);
});

test('a larger size, K, hidden layer or full covariance is a new trial; a view or a smaller model is not', () => {
  const paint = { size: 128, components: 8, covariance: 'diagonal', encoding: 'grid' };
  const again = (options) => needsTrial('paint', paint, { ...paint, ...options });
  assert.ok(again({ size: 256 }));
  assert.ok(again({ components: 16 }));
  assert.ok(again({ covariance: 'full' }));
  assert.ok(!again({ size: 160 }), '1.56 times the pixels');
  assert.ok(!again({ encoding: 'fourier' }));
  assert.ok(!again({ size: 64, components: 32 }));
  assert.ok(!needsTrial('paint', { ...paint, covariance: 'full' }, { ...paint, covariance: 'full', components: 12 }));
  assert.ok(!needsTrial('paint', null, paint), 'nothing measured yet');
  const toy = { data: 'inverse', components: 3, 'hidden-units': 8 };
  assert.ok(needsTrial('toy', toy, { ...toy, components: 24 }));
  assert.ok(needsTrial('toy', toy, { ...toy, 'hidden-units': 16 }));
  assert.ok(!needsTrial('toy', toy, { ...toy, data: 'bishop' }));
});

test('the backend line gives both figures, the adapter and the decision', () => {
  assert.equal(formatRate(41.26), '41');
  assert.equal(formatRate(9.63), '9.6');
  assert.equal(formatRate(0.168), '0.17');
  assert.equal(formatRate(1234.5), '1235');
  const figures = { gpu: 41.2, cpu: 9.63, unit: 'epochs/s', description: 'NVIDIA H200' };
  assert.equal(trialText({ ...figures, state: 'webgpu' }), '41 epochs/s on WebGPU against 9.6 on the CPU: training on WebGPU');
  assert.equal(
    trialText({ ...figures, gpu: 4.1, state: 'cpu' }),
    '4.1 epochs/s on WebGPU against 9.6 on the CPU (NVIDIA H200): training on the CPU',
  );
  assert.equal(trialText({ state: 'measuring', description: 'NVIDIA H200' }), 'measuring WebGPU (NVIDIA H200) against the CPU…');
  assert.match(trialText({ state: 'cpu', description: 'X', failed: 'WebGPU init failed: no' }), /failed in its trial \(WebGPU init failed: no\): training on the CPU/);
});
