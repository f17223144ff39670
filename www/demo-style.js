// The <mdn-demo> element's own styles, which every demo's shadow root
// adopts (www/mdn-demo.js). A module rather than a linked .css file: a
// stylesheet linked in a shadow root loads after the demo's first frame,
// whose layout it then changes, moving the post below the demo (layout
// shift); this one is in hand when the element is defined. Plot colours
// live here so the HTML legend and the canvas drawing (which reads them
// with getComputedStyle) can never disagree.
export const DEMO_CSS = String.raw`
/* Nothing here reaches the page around the demo, and the page's rules do
   not reach in. "all: initial" on the host also stops the few
   inherited properties (font, colour, line height, alignment) at the border.
   Plot colours live here so the HTML legend and the canvas drawing (which
   reads them with getComputedStyle) can never disagree. */
:host {
  all: initial;
  display: block;
  /* The layout follows the width of the demo's container, not the window. */
  container-type: inline-size;
  min-width: 0;
  max-width: 100%;
  box-sizing: border-box;
  padding: clamp(0.6rem, 2.5cqi, 1.25rem);
  border: 1px solid var(--rule);
  border-radius: 12px;
  background: var(--card);

  --ink: #1d2433;
  --muted: #5b6475;
  --card: #ffffff;
  --rule: #dcdad3;
  --accent: #2f5bd3;
  --data-colour: rgba(45, 55, 75, 0.5);
  --samples-colour: rgba(232, 89, 12, 0.55);
  --line-colour: #1f6fd1;
  --nll-colour: #2b8a3e;
  --mode-colour: #c2255c;
  --error-bg: #fdecec;
  --error-ink: #9b1c1c;
  --notice-bg: #eef4ff;
  --notice-ink: #1f3b7a;

  color-scheme: light;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 16px;
  line-height: 1.5;
  color: var(--ink);
  text-align: start;
}

:host([hidden]) {
  display: none;
}

*,
*::before,
*::after {
  box-sizing: border-box;
}

/* Whatever the demo hides stays hidden, whatever display its class sets. */
[hidden] {
  display: none !important;
}

/* Said to a screen reader, not shown (a status line's changes of state):
   out of the layout, yet not display: none, which would silence a live
   region. */
.visually-hidden {
  position: absolute;
  width: 1px;
  height: 1px;
  margin: -1px;
  padding: 0;
  overflow: hidden;
  clip-path: inset(50%);
  white-space: nowrap;
  border: 0;
}

p {
  margin: 0 0 0.75rem;
}

var {
  font-style: italic;
}

figure {
  margin: 0;
  min-width: 0;
}

figcaption {
  color: var(--muted);
  font-size: 0.9rem;
}

/* A painting's caption is as tall as the longest text it can hold
   (data-longest, laid out unseen in the same cell) at any width: a
   caption that grew as the picture and the model came in would move the
   post below the demo. */
.paintings figcaption {
  display: grid;
}
.paintings figcaption > span,
.paintings figcaption::after {
  grid-area: 1 / 1;
}
.paintings figcaption::after {
  content: attr(data-longest);
  visibility: hidden;
}

canvas {
  display: block;
  width: 100%;
}

.toolbar,
.controls {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 0.5rem 1.25rem;
  margin-bottom: 0.75rem;
}

.controls label {
  display: inline-flex;
  align-items: center;
  gap: 0.5rem;
  color: var(--muted);
}

/* A file picker among the controls looks like the buttons beside it. */
.controls label.file-button {
  color: #fff;
}

.controls output {
  font-variant-numeric: tabular-nums;
  min-width: 2.5em;
}

.controls input[type="range"] {
  width: min(10rem, 40cqi);
}

button,
select,
.file-button {
  font: inherit;
  border-radius: 8px;
}

button,
.file-button {
  padding: 0.4rem 1rem;
  border: 1px solid var(--accent);
  background: var(--accent);
  color: #fff;
  cursor: pointer;
}

select {
  padding: 0.2rem 0.4rem;
  border: 1px solid var(--rule);
  background: var(--card);
  color: var(--ink);
}

button:hover,
.file-button:hover {
  filter: brightness(1.1);
}

/* A keyboard's focus: the accent, which stands out from the card by 3:1
   as WCAG asks of a focus indicator (the lighter blue it replaced, 2:1),
   set off from a button of the same colour. A file picker's input is
   invisible: its label shows the focus. */
button:focus-visible,
select:focus-visible,
input:focus-visible,
.file-button:has(:focus-visible) {
  outline: 3px solid var(--accent);
  outline-offset: 2px;
}

.status {
  font-variant-numeric: tabular-nums;
  color: var(--muted);
  /* A line of it is as tall as in the live-text box below, so that the
     toolbar keeps its height when a message takes the place of the
     figures. */
  line-height: 1.4;
}

/* The toy's status line has a line of its own. */
.toolbar > .status {
  flex-basis: 100%;
}

/* Text rewritten while a demo trains (the step and NLL, the density
   legend's numbers): in a box of fixed size with strict containment, new
   text is laid out and painted on its own, not with the page around it.
   On an emulated slow phone, each rewrite had cost the next frame 20 ms
   of layout and paint. */
.live-text {
  contain: strict;
  height: 1.4em;
}
.legend-labels > span {
  width: 7ch;
}
.legend-labels > span:last-child {
  text-align: right;
}

/* The backend line and the Play/Pause button, under the view. */
.demo-footer {
  display: flex;
  align-items: flex-start;
  gap: 0.75rem;
  margin: 0.75rem 0 0;
}

/* Two lines whatever it says (the trial's figures come in while the post
   is read, and a line more would move what follows the demo): the whole
   text is the element's title and what a screen reader reads. */
.backend {
  flex: 1;
  margin: 0;
  font-size: 0.8rem;
  line-height: 1.3;
  height: 2.6em;
  color: var(--muted);
  /* Adapter descriptions can be long unbroken strings. */
  overflow-wrap: anywhere;
  display: -webkit-box;
  -webkit-box-orient: vertical;
  -webkit-line-clamp: 2;
  line-clamp: 2;
  overflow: hidden;
}

.play {
  flex: none;
  padding: 0.2rem 0.8rem;
  font-size: 0.8rem;
}

/* Toy demo: the data plot and its component panels in one column, the
   probe and the NLL curve beside them; one column in a narrow container. */
.toy-plots {
  display: grid;
  grid-template-columns: minmax(0, 2fr) minmax(0, 1fr);
  gap: 1rem;
  align-items: start;
}

.toy-column {
  display: grid;
  gap: 0.6rem;
  min-width: 0;
}

.toy-canvas,
.panel-canvas,
.probe-canvas,
.nll-canvas {
  border: 1px solid var(--rule);
  border-radius: 6px;
}

.toy-canvas {
  aspect-ratio: 3 / 2;
}

.toy-canvas:focus-visible {
  outline: 2px solid var(--accent);
  outline-offset: 2px;
}

/* Drawing: a crosshair, and a finger draws instead of scrolling. */
.toy-canvas.drawing {
  cursor: crosshair;
  touch-action: none;
}

.panel-canvas {
  aspect-ratio: 5 / 1;
}

.panel-canvas.panel-tall {
  aspect-ratio: 3 / 1;
}

.probe-canvas,
.nll-canvas {
  aspect-ratio: 4 / 3;
}

.layers {
  border: 0;
  padding: 0;
  margin: 0 0 0.75rem;
  min-width: 0;
}

.layers legend {
  float: left;
  padding: 0;
  margin-right: 0.25rem;
  color: var(--muted);
}

.layers label {
  gap: 0.3rem;
}

.plot-note {
  color: var(--muted);
  font-size: 0.9rem;
  margin: 0.75rem 0 0;
}

.swatch {
  display: inline-block;
  vertical-align: middle;
  margin-right: 0.4rem;
}

.swatch-data,
.swatch-samples {
  width: 0.6rem;
  height: 0.6rem;
  border-radius: 50%;
}

.swatch-data {
  background: var(--data-colour);
}

.swatch-samples {
  background: var(--samples-colour);
}

.swatch-fit,
.swatch-mode {
  width: 1.4rem;
  height: 3px;
}

.swatch-fit {
  background: var(--line-colour);
}

.swatch-mode {
  background: var(--mode-colour);
}

.swatch-density {
  width: 1rem;
  height: 0.75rem;
  border-radius: 2px;
  background: linear-gradient(to right, #ffffff, #9e9ac8, #54278f);
  border: 1px solid var(--rule);
}

/* Painting demo */
.dropzone {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 0.75rem;
  padding: 0.9rem;
  border: 2px dashed var(--rule);
  border-radius: 10px;
  margin-bottom: 0.75rem;
}

.dropzone.dragging {
  border-color: var(--accent);
  background: var(--notice-bg);
}

/* The native input stays focusable and usable by tests and assistive tech,
   the label is what people see. */
.file-button input {
  position: absolute;
  width: 1px;
  height: 1px;
  opacity: 0;
}

.file-button {
  position: relative;
}

.drop-hint {
  color: var(--muted);
}

/* A touch screen has no drag and drop: the picker alone, with the formats. */
@media (hover: none) and (pointer: coarse) {
  .drop-only {
    display: none;
  }
}

.message {
  padding: 0.5rem 0.75rem;
  border-radius: 8px;
  overflow-wrap: anywhere;
}

.message[hidden] {
  display: none;
}

.message-error {
  background: var(--error-bg);
  color: var(--error-ink);
}

.message-notice {
  background: var(--notice-bg);
  color: var(--notice-ink);
}

.paintings {
  display: grid;
  grid-template-columns: repeat(2, minmax(0, 1fr));
  gap: 1rem;
  max-width: 820px;
  margin-bottom: 0.75rem;
}

.painting {
  /* Square whatever the picture's shape, so that the box does not change
     when the picture comes in: a picture of another shape is shown whole
     inside it. */
  aspect-ratio: 1;
  object-fit: contain;
  height: auto;
  background: repeating-conic-gradient(#eee 0% 25%, #fafafa 0% 50%) 0 0 / 16px 16px;
  border-radius: 6px;
}

.credit {
  font-size: 0.8rem;
  color: var(--muted);
}

/* Its line stays when a picture of the reader's has no credit, so that
   nothing below the demo moves when a picture comes in. */
.credit.unused {
  visibility: hidden;
}

@container (max-width: 640px) {
  .toy-plots {
    grid-template-columns: minmax(0, 1fr);
  }

  .paintings {
    gap: 0.5rem;
  }
}

/* The uncertainty view's legend, under the repaint. */
.heat-legend {
  display: grid;
  gap: 2px;
  margin-top: 4px;
  font-size: 12px;
  color: var(--muted);
}
.heat-legend[hidden] {
  display: none;
}
.legend-bar {
  display: block;
  height: 10px;
  border-radius: 2px;
}
.legend-labels {
  display: flex;
  justify-content: space-between;
}

/* The sampling temperatures show only with the sample view. */
.controls label[hidden] {
  display: none;
}
`;
