// The plotting helpers' arithmetic (www/plot.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundsOf, formatTick, tickStep } from '../../www/plot.js';

test('ticks are 1, 2 or 5 times a power of ten, about as many as asked', () => {
  assert.equal(tickStep(10, 5), 2);
  assert.equal(tickStep(1, 10), 0.1);
  assert.equal(tickStep(24, 4), 5);
  assert.equal(tickStep(0.003, 3), 0.001);
  for (const [span, count] of [[7, 3], [123, 6], [0.5, 4]]) {
    const step = tickStep(span, count);
    const unit = step / 10 ** Math.floor(Math.log10(step));
    assert.ok([1, 2, 5, 10].some((u) => Math.abs(unit - u) < 1e-9), `${span}/${count}: ${step}`);
    assert.ok(span / step >= count / 2.5 && span / step <= count * 2.5, `${span}/${count}: ${step}`);
  }
});

test('tick labels carry the step’s decimals and no minus zero', () => {
  assert.equal(formatTick(0.30000000000000004, 0.1), '0.3');
  assert.equal(formatTick(-0, 1), '0');
  assert.equal(formatTick(-1e-17, 0.5), '0.0');
  assert.equal(formatTick(250, 50), '250');
});

test('bounds pad the data on every side', () => {
  const b = boundsOf([0, 10], [-1, 1]);
  assert.ok(b.x0 < 0 && b.x1 > 10 && b.y0 < -1 && b.y1 > 1);
  const flat = boundsOf([3, 3], [2, 2]);
  assert.ok(flat.x1 > flat.x0 && flat.y1 > flat.y0, 'a flat set still spans an area');
});
