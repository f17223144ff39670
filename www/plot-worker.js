// The page's plot worker: every toy's canvases, handed over as
// OffscreenCanvases, drawn here (toy-drawing.js), so drawing them and
// rasterising them never holds up the page (its input, scrolling and
// text). Messages: plot-protocol.js.

import { PLOT } from './plot-protocol.js';
import { ToyDrawing } from './toy-drawing.js';

const toys = new Map(); // id -> ToyDrawing

// An error here (a bug) reaches the page as the worker's error event,
// which plot-link.js reports on the page's console.
self.onmessage = ({ data: msg }) => {
  if (msg.type === PLOT.ATTACH) {
    toys.set(msg.id, new ToyDrawing(msg.canvases, (answer) => self.postMessage({ ...answer, id: msg.id })));
  } else if (msg.type === PLOT.DETACH) {
    toys.get(msg.id)?.close();
    toys.delete(msg.id);
  } else {
    toys.get(msg.id)?.receive(msg);
  }
};
