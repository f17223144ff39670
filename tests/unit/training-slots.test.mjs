// The page's training slots (www/training-slots.js): at most `max` demos
// train, those that show the most of themselves first, and a demo that
// stops wanting its slot hands it on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MAX, TrainingSlots, pageMax } from '../../www/training-slots.js';

// A demo as the slots see it: counts the calls that tell it its slot changed.
const demo = (name) => ({ name, calls: 0, slotChanged() { this.calls += 1; } });
const tick = () => new Promise((r) => queueMicrotask(r));

test('at most max train, those showing the most first', async () => {
  const slots = new TrainingSlots(2);
  const [a, b, c] = ['a', 'b', 'c'].map(demo);
  assert.equal(slots.request(a, true, 100), true);
  assert.equal(slots.request(b, true, 300), true);
  // c shows more than a: it takes a's slot, and a hears of it at once,
  // before c acts on its answer.
  assert.equal(slots.request(c, true, 200), true);
  assert.deepEqual(slots.training.map((d) => d.name), ['b', 'c']);
  assert.equal(a.calls, 1, 'the one stopping is told at once');
  assert.equal(slots.request(a, true, 100), false);
});

test('a demo leaving the view or the page hands its slot on', async () => {
  const slots = new TrainingSlots(1);
  const [a, b] = ['a', 'b'].map(demo);
  slots.request(a, true, 500);
  assert.equal(slots.request(b, true, 500), false, 'on a tie the one training keeps its slot');
  slots.request(a, false, 0);
  assert.equal(b.calls, 0, 'the one starting is told after the caller acted');
  await tick();
  assert.equal(b.calls, 1);
  assert.equal(slots.request(b, true, 500), true);
  slots.release(b);
  assert.deepEqual(slots.training, []);
  // On a tie between demos not training, the first to ask goes first.
  const [c, d] = ['c', 'd'].map(demo);
  slots.request(d, false, 0);
  slots.request(c, true, 10);
  slots.request(d, true, 10);
  assert.deepEqual(slots.training.map((x) => x.name), ['c']);
});

test('a page sets its cap with a meta tag; a bad one is refused with a message', () => {
  const page = (content) => ({
    querySelector: () => (content === null ? null : { getAttribute: () => content }),
  });
  assert.equal(pageMax(page(null)), DEFAULT_MAX);
  assert.equal(pageMax(page('6')), 6);
  const said = [];
  const error = console.error;
  console.error = (text) => said.push(text);
  try {
    assert.equal(pageMax(page('many')), DEFAULT_MAX);
    assert.equal(pageMax(page('0')), DEFAULT_MAX);
  } finally {
    console.error = error;
  }
  assert.equal(said.length, 2);
  assert.match(said[0], /use a whole number from 1 up/);
});
