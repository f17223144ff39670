// The painting's pictures on their way to the worker: the `src` attribute's
// or the default one, the reader's (picker, drop) and model files, each
// handed on untouched (the wasm reads the header and refuses what it
// cannot take, so there is one source of truth for what is accepted, and
// the browser decodes the pixels: worker/picture.js); a copy of the last
// one kept to paint it again after a crash.

import './protocol.js';
import { DEFAULT_PICTURE, acceptFiles, fetchPicture, isModelFile } from './picture-input.js';

const P = globalThis.MdnProtocol;

export class PaintPictures {
  started = false; // whether the demo has started (scrolled into view)
  requested = null; // the options last sent to the worker
  pending = null; // name of a picture on its way to the worker
  #sent = null; // {bytes (a copy), name, model, checkpoint} of the last file sent
  #running = null; // the one the running painting paints
  // The model file the running painting's picture came from.
  loadedFrom = null;

  // `paint`: {controls, life, send}, the painting's other parts.
  constructor(root, paint) {
    this.paint = paint;
    const { controls } = paint;
    acceptFiles({
      root,
      input: controls.$('paint-file'),
      dropzone: controls.$('paint-drop'),
      onPicture: ({ bytes, name }) => {
        // Before the demo has started (scrolled into view) there is no worker
        // to send it to: the picture waits in the file input's place.
        if (this.started) this.send(bytes, name, isModelFile(bytes, name));
        else controls.setStatus('the demo starts when scrolled into view');
      },
      onError: (text) => controls.showError(text),
    });
  }

  // A picture, or with `model` a model file, to go on from (`checkpoint`:
  // the running painting's own, after a GPU loss).
  send(bytes, name, model = false, checkpoint = false) {
    const { controls, life } = this.paint;
    // Stopped after crashes, the worker no longer has this painting.
    life.ensureCreated();
    // A copy stays here, to start the painting again after a crash.
    this.#sent = { bytes: bytes.slice(0), name, model, checkpoint };
    this.pending = name;
    if (!model) controls.roomForPicture(name);
    controls.setStatus(`loading ${name}…`);
    if (model) {
      life.loadModel(bytes, name);
    } else {
      this.requested = controls.options;
      this.paint.send({ type: P.PAINT_IMAGE, bytes, name, options: controls.options }, [bytes]);
    }
  }

  // The `src` attribute's picture, or the default one; a `src` that cannot
  // be fetched is reported and the default picture painted instead.
  async loadSource() {
    const { controls } = this.paint;
    const src = controls.host.getAttribute('src');
    let picture = null;
    controls.sourceError = '';
    if (src) {
      try {
        picture = await fetchPicture(new URL(src, document.baseURI));
      } catch (e) {
        controls.sourceError = `Could not load the picture “${src}” (${e.message}); painting the default picture instead.`;
      }
    }
    try {
      picture ??= await fetchPicture(DEFAULT_PICTURE.url, DEFAULT_PICTURE.name);
    } catch (e) {
      controls.sourceError += ` The default picture could not be loaded (${e.message}): choose one.`;
      controls.setStatus('no picture yet: choose one');
    }
    controls.showErrors();
    if (picture) this.send(picture.bytes, picture.name);
  }

  // After a restart's CREATE: from the checkpoint `from` of the painting
  // named `name`, else the same picture (or the one on its way) painted
  // again from the start.
  resend(from, name) {
    if (from) {
      // A model file like any other, which names its picture.
      this.send(from.bytes.buffer, name, true, true);
      return;
    }
    const picture = this.#running ?? this.#sent;
    if (picture) this.send(picture.bytes.slice(0), picture.name, picture.model);
    else this.loadSource();
  }

  // A painting started on the file `sent` (a picture's or a model file's
  // name).
  painting(sent) {
    if (this.pending === sent) this.pending = null;
    if (this.#sent?.name === sent) {
      this.#running = this.#sent;
      if (!this.#sent.checkpoint) this.loadedFrom = this.#sent.model ? this.#sent.name : null;
    }
  }

  // The worker refused `what`: a picture on its way is no longer.
  refused(what) {
    if (this.pending && what === `“${this.pending}”`) this.pending = null;
  }
}
