// The plots' JS rasteriser (www/raster.js): spans, bands, lines and dots,
// against what source-over blending and coverage say each pixel must be.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Raster, opacityOf, stampDots } from '../../www/raster.js';

const W = 12;
const H = 10;

// A raster drawing into a fresh W × H image (clipped to `clip`).
function started(clip = null) {
  const raster = new Raster();
  raster.reset(new Uint8ClampedArray(4 * W * H), W, H, clip);
  return raster;
}

// The drawing finished: its RGBA bytes, and a reader of pixel (c, r).
function written(raster) {
  raster.finish();
  const { data } = raster;
  const at = (c, r) => Array.from(data.subarray(4 * (r * raster.width + c), 4 * (r * raster.width + c) + 4));
  return { data, at };
}

const close = (actual, expected, tolerance, what) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected} ± ${tolerance}`);

test('a span covers whole rows fully and its end rows by their share', () => {
  const raster = started();
  raster.span(3, 2.25, 5.5, 200, 100, 0, 0.8);
  const { at } = written(raster);
  assert.deepEqual(at(3, 1), [0, 0, 0, 0], 'above the span');
  close(at(3, 2)[3], 255 * 0.8 * 0.75, 1, 'first row, three quarters covered');
  assert.deepEqual(at(3, 3), [200, 100, 0, 204], 'a whole row');
  close(at(3, 5)[3], 255 * 0.8 * 0.5, 1, 'last row, half covered');
  assert.deepEqual(at(3, 6), [0, 0, 0, 0], 'below the span');
  assert.deepEqual(at(4, 3), [0, 0, 0, 0], 'the next column');
});

test('spans blend source-over, and nothing is drawn outside the clip', () => {
  const raster = started({ left: 2, top: 1, right: 8, bottom: 6 });
  raster.span(4, 0, 10, 255, 0, 0, 0.5);
  raster.span(4, 0, 10, 0, 0, 255, 0.5);
  raster.span(9, 0, 10, 0, 255, 0, 1);
  const { at } = written(raster);
  // Blue at 0.5 over red at 0.5: alpha 0.75, colour (0.25 red + 0.5 blue) / 0.75.
  const [r, g, b, a] = at(4, 3);
  close(a, 0.75 * 255, 1, 'alpha');
  close(r, (0.25 * 255) / 0.75, 1, 'red');
  close(b, (0.5 * 255) / 0.75, 1, 'blue');
  assert.equal(g, 0);
  assert.equal(at(4, 0)[3], 0, 'a row above the clip');
  assert.equal(at(4, 6)[3], 0, 'a row below the clip');
  assert.equal(at(9, 3)[3], 0, 'a column right of the clip');
});

test('bands compose in any order to the opacity source-over gives, coloured by their absorbances', () => {
  const xs = [1, 11];
  const draw = (order) => {
    const raster = started();
    for (const [rgb, alpha] of order) raster.band(xs, [2, 2], [8, 8], [alpha, alpha], rgb);
    return written(raster).at(5, 5);
  };
  const red = [[255, 0, 0], 0.4];
  const blue = [[0, 0, 255], 0.6];
  const one = draw([red, blue]);
  assert.deepEqual(one, draw([blue, red]), 'the same in either order');
  close(one[3], 255 * (1 - 0.6 * 0.4), 1, 'opacity 1 − (1 − 0.4)(1 − 0.6)');
  const [dRed, dBlue] = [-Math.log(0.6), -Math.log(0.4)];
  close(one[0], (255 * dRed) / (dRed + dBlue), 1, 'red weighted by its absorbance');
  close(one[2], (255 * dBlue) / (dRed + dBlue), 1, 'blue weighted by its absorbance');
  // One band alone has exactly its opacity.
  close(draw([red])[3], 0.4 * 255, 1, 'one band');
  // Outside the bands' rows and columns: nothing.
  const raster = started();
  raster.band(xs, [2, 2], [8, 8], [0.5, 0.5], [0, 255, 0]);
  const { at } = written(raster);
  assert.equal(at(5, 1)[3], 0);
  assert.equal(at(5, 8)[3], 0);
  assert.equal(at(0, 5)[3], 0);
  assert.equal(at(11, 5)[3], 0);
});

test('a band follows its curves and its opacity along x', () => {
  const raster = started();
  // From rows 0–2 at x = 0 to rows 6–8 at x = 12, opacity 0 to 0.96,
  // sampled at every whole x.
  const xs = Array.from({ length: 13 }, (_, x) => x);
  const alphas = xs.map((x) => 0.08 * x);
  raster.band(xs, xs.map((x) => x / 2), xs.map((x) => x / 2 + 2), alphas, [10, 20, 30]);
  const { at } = written(raster);
  // Column 6 (centre x = 6.5): rows 3.25–5.25; opacity between 0.48 and
  // 0.56, interpolated as absorbances: 1 − √(0.52 · 0.44).
  const alpha = 1 - Math.sqrt(0.52 * 0.44);
  close(at(6, 4)[3], alpha * 255, 1, 'a whole row');
  // A row covered in part takes that share of the absorbance.
  close(at(6, 3)[3], (1 - (1 - alpha) ** 0.75) * 255, 1, 'the top row, three quarters covered');
  assert.equal(at(6, 2)[3], 0);
  assert.equal(at(6, 6)[3], 0);
  assert.deepEqual(at(6, 4).slice(0, 3), [10, 20, 30]);
  assert.ok(at(1, 1)[3] < at(10, 6)[3], 'fainter where alpha is lower');
});

test('a band after a line is refused: bands lie beneath every line', () => {
  const raster = started();
  raster.band([0, 12], [2, 2], [4, 4], [0.5, 0.5], [0, 0, 0]);
  raster.line([0, 12], [5, 5], { width: 1, rgb: [0, 0, 0] });
  assert.throws(() => raster.band([0, 12], [2, 2], [4, 4], [0.5, 0.5], [0, 0, 0]), /draw every band first/);
});

test('a line is as thick as asked, breaks at non-finite values and at unjoined points', () => {
  const raster = started();
  const ys = [4.5, 4.5, NaN, 4.5, 4.5, 4.5, 4.5];
  const xs = [0.5, 2.5, 4.5, 6.5, 8.5, 10.5, 11.5];
  raster.line(xs, ys, { width: 2, rgb: [0, 0, 255], joined: (i) => i !== 5 });
  const { at } = written(raster);
  // Rows 3.5–5.5: row 4 whole, rows 3 and 5 half.
  assert.deepEqual(at(1, 4), [0, 0, 255, 255]);
  close(at(1, 3)[3], 127.5, 1, 'half the row above');
  close(at(1, 5)[3], 127.5, 1, 'half the row below');
  assert.equal(at(1, 2)[3], 0);
  assert.equal(at(3, 4)[3], 0, 'no line into the NaN');
  assert.equal(at(7, 4)[3], 255, 'drawn again after it');
  assert.equal(at(9, 4)[3], 0, 'no line between points 4 and 5 (not joined)');
  assert.equal(at(11, 4)[3], 128, 'the last run covers half of its column');
});

test('a steep line covers every row it crosses in its column', () => {
  const raster = started();
  raster.line([2, 3], [1, 9], { width: 1, rgb: [0, 0, 0] });
  const { at } = written(raster);
  for (let r = 1; r < 9; r++) assert.equal(at(2, r)[3], 255, `row ${r}`);
  assert.equal(at(2, 0)[3], 128, 'half a width above');
});

test('a drawing replaces what its image held inside the clip, and leaves the rest', () => {
  const data = new Uint8ClampedArray(4 * W * H).fill(7);
  const raster = new Raster();
  const clip = { left: 1, top: 1, right: 11, bottom: 9 };
  raster.reset(data, W, H, clip);
  raster.band([0, 12], [0, 0], [10, 10], [0.5, 0.5], [1, 2, 3]);
  raster.span(5, 0, 10, 9, 9, 9, 1);
  raster.finish();
  // The same image again, nothing drawn: the clip comes out clear.
  raster.reset(data, W, H, clip);
  raster.finish();
  const inside = (i) => {
    const [c, r] = [(i >> 2) % W, Math.floor(i / 4 / W)];
    return c >= 1 && c < 11 && r >= 1 && r < 9;
  };
  assert.ok(data.every((v, i) => (inside(i) ? v === 0 : v === 7)), 'clear inside, untouched outside');
  // Bands left uncomposed by an unfinished drawing do not reach the next.
  raster.reset(data, W, H, clip);
  raster.band([0, 12], [0, 0], [10, 10], [0.5, 0.5], [1, 2, 3]);
  raster.reset(data, W, H, clip);
  raster.finish();
  assert.ok(data.every((v, i) => (inside(i) ? v === 0 : v === 7)), 'the next drawing starts clear');
});

test('the opacity table is 1 − e^(−D) to 1e-5', () => {
  for (const D of [0, 0.001, 0.1, 0.5, 1, 2.345, 7, 15.99, 40]) close(opacityOf(D), 1 - Math.exp(-D), 1e-5, `D = ${D}`);
});

test('dots darken where they overlap, cover edge pixels in part, and stay in the clip', () => {
  const data = new Uint8ClampedArray(4 * W * H);
  const clip = { left: 0, top: 0, right: 8, bottom: H };
  stampDots(data, W, clip, [2, 2, 5.5, 9, NaN], [2, 2, 5.5, 5, 1], 2, [232, 89, 12], 0.5);
  const at = (c, r) => Array.from(data.subarray(4 * (r * W + c), 4 * (r * W + c) + 4));
  // Two dots on [1, 3) × [1, 3): 1 − 0.5² = 0.75.
  assert.deepEqual(at(1, 1).slice(0, 3), [232, 89, 12]);
  close(at(1, 1)[3], 0.75 * 255, 1, 'two dots over one another');
  assert.equal(at(3, 1)[3], 0);
  // A dot on [4.5, 6.5)²: a corner pixel a quarter covered, an edge one half.
  close(at(4, 4)[3], 255 * 0.5 * 0.25, 1, 'corner');
  close(at(5, 4)[3], 255 * 0.5 * 0.5, 1, 'edge');
  close(at(5, 5)[3], 255 * 0.5, 1, 'inside');
  assert.equal(at(8, 5)[3], 0, 'clipped');
});
