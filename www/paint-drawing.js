// The running painting as the page shows it: the target beside the latest
// repaint in the chosen view, its captions, legend and status, and what
// arrives for it (PAINT_START, PAINT_PREVIEW, PAINT_EPOCH, PAINT_ERROR).

import './protocol.js';
import { legendHtml, viewPixels } from './paint-views.js';
import { DEFAULT_PICTURE } from './picture-input.js';
import { describe } from './paint-controls.js';

const P = globalThis.MdnProtocol;

function putPixels(canvas, rgba, width, height) {
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  canvas.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
}

export class PaintDrawing {
  running = null; // {name, width, height, options} of the running painting
  lastRepaint = null; // the latest PAINT_EPOCH message of the running painting
  restartNotice = ''; // said when the painting starts again after a crash

  // `paint`: {controls, pictures, exporter, life, progress}, the painting's
  // other parts.
  constructor(paint) {
    this.paint = paint;
    const { $ } = paint.controls;
    this.repaintCanvas = $('paint-repaint');
    this.repaintCaption = $('paint-repaint-caption');
    this.legend = $('paint-legend');
  }

  receive(msg) {
    if (msg.type === P.PAINT_START) this.start(msg);
    else if (msg.type === P.PAINT_PREVIEW) this.preview(msg);
    else if (msg.type === P.PAINT_EPOCH) this.epoch(msg);
    else if (msg.type === P.PAINT_ERROR) this.error(msg);
  }

  start({ name, model, width, height, options: used, notice: text, target, resumed }) {
    const { controls, pictures, exporter, life } = this.paint;
    // `name` is the picture's; the file sent was the model file `model`,
    // if one was.
    pictures.painting(model ?? name);
    exporter.newPainting();
    this.running = { name, width, height, options: used };
    life.newModel();
    // A model file brings its own options.
    if (resumed) life.adopt(controls.options, used);
    this.lastRepaint = null;
    this.legend.hidden = true;
    putPixels(controls.$('paint-target'), target, width, height);
    // Until the first epoch ends there is no repaint (previews aside):
    // show a blank canvas of the right shape rather than the previous
    // picture's repaint.
    this.repaintCanvas.width = width;
    this.repaintCanvas.height = height;
    controls.roomForPicture(name);
    controls.$('paint-target-caption').textContent = `original: ${name}, ${width} × ${height} px`;
    this.repaintCaption.textContent = `${controls.view.name} of the MDN (${describe(used)})`;
    controls.$('paint-credit').classList.toggle('unused', name !== DEFAULT_PICTURE.name);
    if (name !== DEFAULT_PICTURE.name) controls.sourceError = '';
    this.paint.progress({
      image: name,
      model: pictures.loadedFrom,
      encoding: used.encoding,
      covariance: used.covariance,
      components: used.components,
      epoch: resumed ? resumed.epoch : 0,
      checkpointEpoch: null,
      nll: null,
      psnr: null,
      psnrMean: null,
      recovery: null,
    });
    const status = resumed ? `going on from epoch ${resumed.epoch} of ${name}…` : 'training the first epoch…';
    this.#started(text, status);
    controls.describe(`Painting of ${name}: ${status}`);
  }

  // A painting started: its messages, and `status`.
  #started(notice, status) {
    const { controls } = this.paint;
    controls.showError('');
    controls.showNotice(notice || '');
    controls.showRecovery(this.restartNotice);
    this.restartNotice = '';
    controls.setStatus(status);
  }

  // Draws the latest repaint as the current view shows it (a view the
  // repaint was not made for appears with the next epoch).
  drawRepaint() {
    const { running, lastRepaint } = this;
    if (!running || !lastRepaint) return;
    const { controls, exporter } = this.paint;
    const view = controls.view;
    const pixels = viewPixels(lastRepaint, view.name);
    this.legend.hidden = view.name !== 'uncertainty' || !pixels;
    if (!pixels) {
      controls.setStatus(`epoch ${lastRepaint.epoch} · the ${view.name} view appears after the next epoch…`);
      return;
    }
    putPixels(this.repaintCanvas, pixels.rgba, running.width, running.height);
    exporter.saveButton.disabled = false;
    if (view.name === 'uncertainty') this.legend.innerHTML = legendHtml(pixels.max);
    const fmt = (v, digits) => (Number.isFinite(v) ? v.toFixed(digits) : 'not finite');
    const { epoch, nll, psnr, psnr_mean, psnr_view } = lastRepaint;
    const shown = { mode: psnr, mean: psnr_mean, sample: psnr_view }[view.name];
    const quality = shown === undefined ? `PSNR ${fmt(psnr, 2)} dB (mode)` : `PSNR ${fmt(shown, 2)} dB`;
    controls.showProgress(`epoch ${epoch} · NLL ${fmt(nll, 3)} · ${quality}`);
    const figures = `epoch ${epoch}, NLL ${fmt(nll, 3)}, ${quality}`;
    controls.describe(`Painting of ${running.name}: ${figures}, ${view.name} view.`);
    this.repaintCaption.textContent = `${view.name} of the MDN (${describe(running.options)})`;
  }

  // A coarse render before the first repaint, scaled up to the canvas (the
  // browser's smoothing: a soft picture, not blocks) whatever the view:
  // the mode colours are all a preview has.
  preview({ epoch, epoch_fraction: fraction, width, height, rgba }) {
    const { running, lastRepaint } = this;
    if (!running || lastRepaint) return;
    const small = new OffscreenCanvas(width, height);
    small.getContext('2d').putImageData(new ImageData(rgba, width, height), 0, 0);
    const context = this.repaintCanvas.getContext('2d');
    context.imageSmoothingQuality = 'high';
    context.drawImage(small, 0, 0, running.width, running.height);
    const { controls } = this.paint;
    const done = Math.round(100 * fraction);
    // Short enough for one line on a phone, as the figures it stands in
    // for (a wrapped line would move the page), and shown, not announced,
    // as they are: the text alternative below says it.
    controls.showProgress(`epoch ${epoch + 1} · ${done} % · coarse look…`);
    controls.describe(`Painting of ${running.name}: a coarse look at the mode colours (${width} × ${height} px), ${done} % into epoch ${epoch + 1}.`);
  }

  epoch(msg) {
    if (!this.running) return;
    const { controls, exporter, progress } = this.paint;
    this.lastRepaint = msg;
    // Non-finite figures are said in words, never published as numbers.
    const finite = (v) => (Number.isFinite(v) ? v : null);
    progress({ epoch: msg.epoch, nll: finite(msg.nll), psnr: finite(msg.psnr), psnrMean: finite(msg.psnr_mean) });
    this.drawRepaint();
    exporter.frame(msg, this.repaintCanvas);
    if (msg.recovery) {
      controls.showRecovery(msg.recovery);
      progress({ recovery: msg.recovery });
    }
  }

  // The worker refused a picture or a set of options: the running painting
  // (if any) goes on, and the settings return to its own.
  error({ what, message: text }) {
    const { controls, pictures, life } = this.paint;
    pictures.refused(what);
    if (this.running) {
      life.adopt(controls.options, this.running.options);
      controls.setStatus(`still painting ${this.running.name} (epoch ${controls.host.dataset.epoch || 0})…`);
    } else if (!pictures.pending) {
      controls.setStatus('no picture yet: choose one');
    }
    controls.showError(`Could not use ${what}: ${text}`);
  }
}
