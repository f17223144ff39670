// Curves and translucent bands rasterised in JS, one pixel column at a
// time, for the plots whose paths the browser's own rasteriser makes slow.
// Chromium rasterises a canvas's paths on the main thread, in the frame's
// commit, and a band whose opacity follows π_k(x) needs a gradient: on a
// 2 GHz first-generation Zen core the μ ± σ panel drawn as paths (24
// bands and lines with gradients) cost 27 ms a frame, four times that
// under Chromium's 4 × CPU throttle. Here every curve is a function of x,
// so each pixel column gets one vertical span per curve, antialiased at
// its ends.
//
// Bands are composed order-independently, beneath every line, as layers
// of absorbing ink: a band of opacity a has absorbance d = −ln(1 − a), a
// pixel's absorbances add, its opacity is 1 − e^(−Σ d) (Beer–Lambert; for
// one band exactly a, for several exactly 1 − Π(1 − a_k), what
// source-over gives), and its colour is the bands' colours averaged with
// their absorbances as weights (weighted average transparency, Bavoil &
// Myers 2008, "Order Independent Transparency with Dual Depth Peeling",
// § 3). Each band adds a constant to a run of rows, which a difference
// array takes in O(1) per column, so a panel's cost no longer grows with
// the area its K bands cover. Lines are blended source-over, in the
// order drawn.
//
// Coordinates are backing-store pixels: x to the right, y down, pixel
// (c, r) covering [c, c + 1) × [r, r + 1).

// Channels of the bands' sums: Σ d·r, Σ d·g, Σ d·b, Σ d.
const SUMS = 4;
// A band is never fully opaque (an infinite absorbance): its opacity is
// capped here.
const MAX_BAND_ALPHA = 0.999;
// Opacities (and absorbances) under this, half a step of 8-bit alpha,
// are not drawn: a faded component costs nothing where it is invisible.
const INVISIBLE = 1 / 512;
// 1 − e^(−D) for D from 0 up to OPACITY_RANGE, OPACITY_STEPS steps per
// unit, looked up with linear interpolation (within 1e-5): Math.exp on
// each of a panel's hundred thousand pixels cost more than the bands.
const OPACITY_RANGE = 16;
const OPACITY_STEPS = 256;
const OPACITY = Float64Array.from({ length: OPACITY_RANGE * OPACITY_STEPS + 2 }, (_, i) =>
  -Math.expm1(-i / OPACITY_STEPS),
);

// The opacity 1 − e^(−D) of bands whose absorbances add up to D (≥ 0).
export function opacityOf(D) {
  const at = D * OPACITY_STEPS;
  if (!(at < OPACITY_RANGE * OPACITY_STEPS)) return OPACITY[OPACITY.length - 1];
  const i = Math.floor(at);
  return OPACITY[i] + (OPACITY[i + 1] - OPACITY[i]) * (at - i);
}

export class Raster {
  constructor() {
    // The RGBA bytes drawn into (an ImageData's), `width` × `height`.
    this.data = new Uint8ClampedArray(0);
    this.words = new Uint32Array(0);
    this.width = 0;
    this.height = 0;
    // The bands' sums as differences down each column, height + 1 rows.
    this.sums = new Float32Array(0);
    // A band's absorbances at its points (reused).
    this.absorbances = new Float64Array(0);
    // Whether the sums hold bands not yet composed into `data`.
    this.bandsPending = false;
    // Once composed, the sums are no longer differences: no band may follow.
    this.bandsComposed = false;
    // The clip rectangle, whole pixels: columns [left, right), rows [top, bottom).
    this.left = 0;
    this.top = 0;
    this.right = 0;
    this.bottom = 0;
  }

  // Starts a drawing into `data` (an ImageData's RGBA bytes, `width` ×
  // `height`), clipped to the rectangle `clip` ({left, top, right,
  // bottom} in whole pixels; the whole image when absent). Inside the
  // clip the drawing replaces what `data` held (finish clears it); outside
  // it, `data` is left as it is.
  reset(data, width, height, clip = null) {
    const sums = SUMS * width * (height + 1);
    if (this.sums.length !== sums) this.sums = new Float32Array(sums);
    // Bands never composed (composing clears the sums as it goes).
    else if (this.bandsPending) this.sums.fill(0);
    if (this.data !== data) {
      this.data = data;
      // The same bytes as one little-endian word per pixel (ImageData's
      // byte order, on every platform browsers run on): one store a pixel.
      this.words = new Uint32Array(data.buffer, data.byteOffset, data.length >> 2);
    }
    this.width = width;
    this.height = height;
    this.bandsPending = false;
    this.bandsComposed = false;
    const c = clip ?? { left: 0, top: 0, right: width, bottom: height };
    this.left = Math.max(0, c.left);
    this.top = Math.max(0, c.top);
    this.right = Math.min(width, c.right);
    this.bottom = Math.min(height, c.bottom);
  }

  // Blends colour (r, g, b) (0–255) at opacity `alpha` (0–1) source-over
  // onto the rows from y0 to y1 (y0 ≤ y1, fractional) of column c, a row
  // covered in part taking its share of `alpha`. The bands are composed
  // first (the clip cleared if there are none): lines lie over them.
  span(c, y0, y1, r, g, b, alpha) {
    this.composeBands();
    if (!(alpha >= INVISIBLE) || c < this.left || c >= this.right) return;
    const from = Math.max(this.top, Math.floor(y0));
    const to = Math.min(this.bottom, Math.ceil(y1));
    const px = this.data;
    const stride = 4 * this.width;
    for (let row = from, i = 4 * (from * this.width + c); row < to; row++, i += stride) {
      const a = alpha * (Math.min(row + 1, y1) - Math.max(row, y0));
      if (px[i + 3] === 0) {
        // Onto nothing (most of a line): the colour itself.
        px[i] = r;
        px[i + 1] = g;
        px[i + 2] = b;
        px[i + 3] = a * 255;
        continue;
      }
      // Source-over on straight (not premultiplied) colour.
      const below = (px[i + 3] / 255) * (1 - a);
      const out = a + below;
      const scale = 1 / out;
      px[i] = (r * a + px[i] * below) * scale;
      px[i + 1] = (g * a + px[i + 1] * below) * scale;
      px[i + 2] = (b * a + px[i + 2] * below) * scale;
      px[i + 3] = out * 255;
    }
  }

  // Adds `sign` × the sums of absorbance d in colour (r, g, b) at sums
  // index i.
  addSums(i, r, g, b, d, sign) {
    const s = this.sums;
    s[i] += sign * d * r;
    s[i + 1] += sign * d * g;
    s[i + 2] += sign * d * b;
    s[i + 3] += sign * d;
  }

  // Adds colour (r, g, b) at absorbance d over column c's rows from y0 to
  // y1 (y0 ≤ y1) to the bands' sums, as differences down the column: the
  // first row's value, the change to whole rows' (if any), the change to
  // the last row's, and its end. A row covered in part takes its share
  // of d.
  bandSpan(c, y0, y1, r, g, b, d) {
    if (this.bandsComposed) throw new Error('a band after a line: draw every band first');
    if (!(d >= INVISIBLE) || c < this.left || c >= this.right) return;
    const from = Math.max(this.top, Math.floor(y0));
    const to = Math.min(this.bottom, Math.ceil(y1));
    if (from >= to) return;
    const row = SUMS * this.width;
    const at = from * row + SUMS * c;
    const first = d * (Math.min(from + 1, y1) - Math.max(from, y0));
    this.addSums(at, r, g, b, first, 1);
    if (to - from === 1) {
      this.addSums(at + row, r, g, b, first, -1);
    } else {
      const last = d * (Math.min(to, y1) - Math.max(to - 1, y0));
      const end = to * row + SUMS * c;
      this.addSums(at + row, r, g, b, d - first, 1);
      this.addSums(end - row, r, g, b, last - d, 1);
      this.addSums(end, r, g, b, last, -1);
    }
    this.bandsPending = true;
  }

  // Fills between two curves sampled at the same increasing x: xs[i],
  // tops[i] and bottoms[i] in pixels, at opacity alphas[i] (0–1), in
  // colour `rgb` ([r, g, b], 0–255); each linearly interpolated to the
  // column's centre, the opacity as its absorbance (a log per point, not
  // per column). Every value must be finite. Bands lie beneath every
  // line, composed in no order.
  band(xs, tops, bottoms, alphas, rgb) {
    const n = xs.length;
    if (n < 2) return;
    const [r, g, b] = rgb;
    const [x0, x1] = [xs[0], xs[n - 1]];
    // Absorbances at the points, interpolated like the rest.
    if (this.absorbances.length < n) this.absorbances = new Float64Array(n);
    const d = this.absorbances;
    for (let j = 0; j < n; j++) d[j] = -Math.log1p(-Math.min(Math.max(alphas[j], 0), MAX_BAND_ALPHA));
    let i = 0;
    for (let c = Math.floor(x0); c < Math.ceil(x1); c++) {
      // Columns cut by the band's ends are covered in part.
      const cover = Math.min(c + 1, x1) - Math.max(c, x0);
      const x = Math.min(x1, Math.max(x0, c + 0.5));
      while (i < n - 2 && xs[i + 1] < x) i++;
      const t = xs[i + 1] > xs[i] ? (x - xs[i]) / (xs[i + 1] - xs[i]) : 0;
      const top = tops[i] + (tops[i + 1] - tops[i]) * t;
      const bottom = bottoms[i] + (bottoms[i + 1] - bottoms[i]) * t;
      const absorbance = (d[i] + (d[i + 1] - d[i]) * t) * cover;
      if (top <= bottom) this.bandSpan(c, top, bottom, r, g, b, absorbance);
      else this.bandSpan(c, bottom, top, r, g, b, absorbance);
    }
  }

  // Composes the bands' sums into `data`, every pixel of the clip
  // (transparent where no band lies), clearing the sums as it goes; with
  // no bands, clears the clip. Once per drawing, before the first line.
  composeBands() {
    if (this.bandsComposed) return;
    this.bandsComposed = true;
    const { top, bottom, left, right } = this;
    const words = this.words;
    if (!this.bandsPending) {
      for (let r = top; r < bottom; r++) words.fill(0, r * this.width + left, r * this.width + right);
      return;
    }
    this.bandsPending = false;
    const row = SUMS * this.width;
    const s = this.sums;
    for (let r = top; r <= bottom; r++) {
      const start = r * row + SUMS * left;
      const end = r * row + SUMS * right;
      if (r > top) {
        // This row's sums from the one above's, which is then done with.
        for (let i = start; i < end; i++) {
          s[i] += s[i - row];
          s[i - row] = 0;
        }
      }
      // Row `bottom` holds only the last differences.
      if (r === bottom) break;
      for (let i = start, p = r * this.width + left; i < end; i += SUMS, p++) {
        const weight = s[i + 3];
        // A sum that should be 0 comes out a rounding error off it (an
        // absorbance under 1e-4 is invisible).
        if (weight < 1e-4) {
          words[p] = 0;
          continue;
        }
        // Rounded to bytes: colours are weighted means of 0–255, so in range.
        const scale = 1 / weight;
        const red = (s[i] * scale + 0.5) | 0;
        const green = (s[i + 1] * scale + 0.5) | 0;
        const blue = (s[i + 2] * scale + 0.5) | 0;
        const alpha = (255 * opacityOf(weight) + 0.5) | 0;
        words[p] = ((alpha << 24) | (blue << 16) | (green << 8) | red) >>> 0;
      }
    }
    s.fill(0, bottom * row + SUMS * left, bottom * row + SUMS * right);
  }

  // Ends a drawing: `data` holds it.
  finish() {
    this.composeBands();
  }

  // A polyline through (xs[i], ys[i]) (xs increasing, pixels), `width`
  // pixels thick, in colour `rgb` ([r, g, b], 0–255) at opacity
  // alphas[i] (opaque without them). It breaks at a non-finite y,
  // and between points i − 1 and i where joined(i) is false. Each column
  // gets one span: the line's extent over the column, widened by half the
  // width above and below.
  line(xs, ys, { width, rgb, alphas = null, joined = null }) {
    const n = xs.length;
    let start = 0;
    while (start < n) {
      // One run of joined finite points: [start, end).
      while (start < n && !Number.isFinite(ys[start])) start++;
      let end = start + 1;
      while (end < n && Number.isFinite(ys[end]) && (joined === null || joined(end))) end++;
      if (end - start >= 2) this.run(xs, ys, start, end, width / 2, rgb, alphas);
      start = end;
    }
  }

  // The line's run of points [start, end), column by column.
  run(xs, ys, start, end, half, rgb, alphas) {
    const [r, g, b] = rgb;
    const [x0, x1] = [xs[start], xs[end - 1]];
    let j = start;
    for (let c = Math.floor(x0); c < Math.ceil(x1); c++) {
      const left = Math.max(c, x0);
      const right = Math.min(c + 1, x1);
      // The segment [j, j + 1] holding the column's left edge.
      while (j < end - 2 && xs[j + 1] <= left) j++;
      let t = xs[j + 1] > xs[j] ? (left - xs[j]) / (xs[j + 1] - xs[j]) : 0;
      const yl = ys[j] + (ys[j + 1] - ys[j]) * t;
      const alpha = alphas === null ? 1 : alphas[j] + (alphas[j + 1] - alphas[j]) * t;
      // The line's extent over the column: both edges and every point
      // between.
      let [lo, hi] = [yl, yl];
      let k = j;
      while (k < end - 2 && xs[k + 1] < right) {
        k++;
        lo = Math.min(lo, ys[k]);
        hi = Math.max(hi, ys[k]);
      }
      t = xs[k + 1] > xs[k] ? (right - xs[k]) / (xs[k + 1] - xs[k]) : 0;
      const yr = ys[k] + (ys[k + 1] - ys[k]) * t;
      lo = Math.min(lo, yr);
      hi = Math.max(hi, yr);
      this.span(c, lo - half, hi + half, r, g, b, alpha * (right - left));
    }
  }
}

// Stamps squares `size` pixels wide centred on (xs[i], ys[i]) (pixels,
// non-finite ones skipped) into `data` (an ImageData's RGBA bytes,
// `width` wide), all in colour `rgb` ([r, g, b], 0–255) at opacity
// `alpha`, each blended source-over onto those before (where dots
// overlap they darken, as on a canvas). Pixels a square covers in part
// take that share of `alpha`; nothing is drawn outside `clip` ({left,
// top, right, bottom}, whole pixels). One colour makes source-over
// simple: the colour stays, only the opacity grows. Skia drew the toy's
// 2000 samples as rectangles in 3.7 ms; this and one drawImage, 1.5 ms.
export function stampDots(data, width, clip, xs, ys, size, rgb, alpha) {
  const [r, g, b] = rgb;
  const half = size / 2;
  for (let i = 0; i < xs.length; i++) {
    const [x, y] = [xs[i], ys[i]];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const [x0, x1, y0, y1] = [x - half, x + half, y - half, y + half];
    const c1 = Math.min(clip.right, Math.ceil(x1));
    const r1 = Math.min(clip.bottom, Math.ceil(y1));
    for (let row = Math.max(clip.top, Math.floor(y0)); row < r1; row++) {
      const rowCover = Math.min(row + 1, y1) - Math.max(row, y0);
      for (let c = Math.max(clip.left, Math.floor(x0)); c < c1; c++) {
        const a = alpha * rowCover * (Math.min(c + 1, x1) - Math.max(c, x0));
        const j = 4 * (row * width + c);
        data[j] = r;
        data[j + 1] = g;
        data[j + 2] = b;
        data[j + 3] = 255 - (255 - data[j + 3]) * (1 - a);
      }
    }
  }
}

// Runs every drawing path above on a small raster, `rounds` times, one
// short task each: cold, V8 interprets these loops, and the first real
// draws of the μ panel took 180 ms where warm ones take 10 (a warmed
// first draw: 30). Small rounds add up to the same tier-up without a long
// task; they are posted as messages, as idle callbacks hardly come while
// a demo draws every frame.
export function warmUp(rounds = 150) {
  const raster = new Raster();
  const n = 24;
  const xs = Float64Array.from({ length: n }, (_, i) => 2 + i * 2.5);
  const wave = (shift) => Float64Array.from(xs, (x) => 30 + 20 * Math.sin(x / 9 + shift));
  const [ys, tops, bottoms] = [wave(0), wave(-0.3).map((y) => y - 8), wave(0.3).map((y) => y + 8)];
  const alphas = Float64Array.from(xs, (_, i) => i / n);
  const data = new Uint8ClampedArray(4 * 64 * 64);
  const next = new MessageChannel();
  let left = rounds;
  next.port1.onmessage = () => {
    raster.reset(data, 64, 64, { left: 1, top: 1, right: 63, bottom: 63 });
    for (let k = 0; k < 4; k++) raster.band(xs, tops, bottoms, alphas, [k * 60, 90, 200]);
    for (let k = 0; k < 4; k++) raster.line(xs, ys, { width: 1.75, rgb: [200, k * 60, 30], alphas });
    raster.finish();
    stampDots(data, 64, { left: 0, top: 0, right: 64, bottom: 64 }, xs, ys, 3, [232, 89, 12], 0.55);
    left -= 1;
    if (left > 0) next.port2.postMessage(null);
    else next.port1.close();
  };
  next.port2.postMessage(null);
}
