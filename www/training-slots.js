// How many of a page's demos train at once. Every demo in view would train
// (one worker shares its time among them), but a post with a dozen demos,
// several in view at a time, would then give each a sliver and the reader's
// device no rest: at most `max` train, those that show the most of
// themselves first. The others wait, paused, until one of them leaves the
// view or a reader pauses it. A page sets its own cap with
// <meta name="mdn-demo-max-training" content="6"> (examples/many-demos.html
// does, to show six sharing the worker); the default is DEFAULT_MAX.
//
// No DOM here beyond that meta tag: the node unit tests drive it as it is.

export const DEFAULT_MAX = 3;
export const MAX_META = 'mdn-demo-max-training';

export class TrainingSlots {
  #max;
  // Each demo asking, in the order it first asked: {wants, shown, granted}.
  #members = new Map();

  // `max`: how many may train at once (a whole number ≥ 1).
  constructor(max = DEFAULT_MAX) {
    this.#max = max;
  }

  get max() {
    return this.#max;
  }

  // Whether `member` trains: it `wants` to (in view, tab shown, not held)
  // and is among the `max` wanting ones that show the most pixels
  // (`shown`; on a tie the one already training, then the first to ask).
  // Others whose grant this changes hear of it through their
  // slotChanged(): those losing theirs at once, those getting one a
  // microtask later, after the caller has acted on its answer. So every
  // demo told to stop is told before any is told to start, and no more
  // than `max` ever train, even for a moment.
  request(member, wants, shown) {
    const entry = this.#members.get(member) ?? { granted: false };
    this.#members.set(member, Object.assign(entry, { wants, shown }));
    return this.#grant(member);
  }

  // A demo that left the page: its slot goes to the next.
  release(member) {
    if (!this.#members.delete(member)) return;
    this.#grant(null);
  }

  // The demos training now.
  get training() {
    return [...this.#members].filter(([, e]) => e.granted).map(([m]) => m);
  }

  #grant(caller) {
    // In the order each first asked (the map's), which the sort keeps
    // among equals.
    const ranked = [...this.#members].filter(([, e]) => e.wants);
    ranked.sort(([, ea], [, eb]) => eb.shown - ea.shown || eb.granted - ea.granted);
    const chosen = new Set(ranked.slice(0, this.#max).map(([m]) => m));
    const [stopping, starting] = [[], []];
    for (const [member, entry] of this.#members) {
      const granted = chosen.has(member);
      if (granted !== entry.granted && member !== caller) (granted ? starting : stopping).push(member);
      entry.granted = granted;
    }
    // Each asks again from its slotChanged() and gets the same answer.
    for (const member of stopping) member.slotChanged();
    if (starting.length) queueMicrotask(() => starting.forEach((m) => m.slotChanged()));
    return caller ? this.#members.get(caller).granted : false;
  }
}

// The cap a page asks for in its meta tag, or DEFAULT_MAX; a bad value is
// said on the console and the default used.
export function pageMax(doc = globalThis.document) {
  const meta = doc?.querySelector?.(`meta[name="${MAX_META}"]`);
  if (!meta) return DEFAULT_MAX;
  const text = meta.getAttribute('content') ?? '';
  const value = Number(text);
  if (/^\s*\d+\s*$/.test(text) && value >= 1) return value;
  console.error(`<meta name="${MAX_META}" content="${text}">: use a whole number from 1 up; ${DEFAULT_MAX} demos train at once`);
  return DEFAULT_MAX;
}
