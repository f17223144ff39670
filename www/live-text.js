// Text and markup set only when they change: every assignment, even of
// the same text, replaces nodes and costs the next frame a layout and a
// paint of the demo, and snapshots arrive many times a second.
//
// Text that follows training (the toy's status line, its density legend)
// is shown at most every `everyMs`, all of it at once: on a slow phone
// that layout and paint made a third of a frame, and a reader cannot
// follow faster numbers anyway.
//
// A plot's text alternative (what it shows, in words, for a screen
// reader) follows training too, but far more slowly: a screen reader may
// speak a change to the description of the element it is on, and one
// that changed several times a second would never stop talking.

export const DESCRIPTION_MS = 5000;

export class LiveText {
  #pending = new Map();
  #timer = 0;
  #shownAt = -Infinity;
  #html = new WeakMap();

  constructor(everyMs) {
    this.everyMs = everyMs;
  }

  set(element, text) {
    if (element.textContent !== text) element.textContent = text;
  }

  // `text` on `element` with the next batch of live text.
  live(element, text) {
    element.classList.add('live-text');
    this.#pending.set(element, text);
    if (this.#timer) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = 0;
        this.#shownAt = performance.now();
        for (const [el, t] of this.#pending) this.set(el, t);
        this.#pending.clear();
      },
      Math.max(0, this.#shownAt + this.everyMs - performance.now()),
    );
  }

  // `text` on `element` now, replacing any live text still waiting for it.
  now(element, text) {
    this.#pending.delete(element);
    // Any message, long ones too, in a box that fits it.
    element.classList.remove('live-text');
    element.textContent = text;
  }

  html(element, html) {
    if (this.#html.get(element) === html) return;
    this.#html.set(element, html);
    element.innerHTML = html;
  }
}
