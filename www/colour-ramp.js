// Colour ramps for the demos' heat maps: the painting's uncertainty view
// (viridis: perceptually even, readable without colour vision, dark for a
// sure pixel) and the toy's density (ColorBrewer's Purples: white where
// nothing is likely, so the data and samples drawn over it stay readable).

// A ramp through `stops` ([r, g, b] each, evenly spaced): {colour(t) →
// [r, g, b] for t in [0, 1] (clamped; NaN counts as 0), css → a linear
// gradient for a legend bar}.
export function makeRamp(stops) {
  const colour = (t) => {
    const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
    const i = Math.min(stops.length - 2, Math.floor(x));
    const f = x - i;
    return stops[i].map((c, k) => Math.round(c + f * (stops[i + 1][k] - c)));
  };
  const css = `linear-gradient(to right, ${stops
    .map((c, i) => `rgb(${c.join(',')}) ${(100 * i) / (stops.length - 1)}%`)
    .join(', ')})`;
  return { colour, css };
}

export const VIRIDIS = makeRamp([
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
]);

export const PURPLES = makeRamp([
  [255, 255, 255],
  [218, 218, 235],
  [188, 189, 220],
  [158, 154, 200],
  [117, 107, 177],
  [84, 39, 143],
]);
