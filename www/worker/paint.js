/* The painting demo's part of the worker: its model (the wasm PaintDemo),
 * its commands and its training slice. Registered in globalThis.MdnKinds
 * under the demo kind's name; www/worker.js calls it with a context `ctx`
 * of {bindings, memory, post, randomSeed, enqueue, level, fail}
 * (www/worker.js, `context`).
 */
'use strict';

// The picture decoding (MdnPicture), in www/worker/ with this script,
// which www/worker.js (MDN_SCRIPT) loads.
importScripts(new URL('worker/picture.js', self.MDN_SCRIPT).href);

(function define(global) {
  const P = global.MdnProtocol;

  function describeOptions({ covariance, components }) {
    return `${covariance} covariance with K = ${components}`;
  }

  function refuse(demo, what, e, ctx) {
    const message = global.MdnBackend.messageOf(e);
    ctx.post({ type: P.PAINT_ERROR, id: demo.id, what, message, options: demo.options });
  }

  // A new painting replaces the running one only once it exists: a picture,
  // options or a model file the wasm refuses leave the running painting as
  // it was. `image` is a picture ({name, bytes, pixels}: its file and its
  // decoded pixels {width, height, rgba}), with `model` set a model file
  // ({name, bytes}), which brings its own picture and options, or ({name,
  // file}) the picture of the model file `file`, painted with other
  // options.
  function start(demo, image, options, what, ctx, model = false) {
    let next;
    try {
      const seeded = { ...options, seed: ctx.randomSeed() };
      if (model) next = ctx.bindings.PaintDemo.load(new Uint8Array(image.bytes));
      else if (image.file) next = fromModelFile(image.file, seeded, ctx);
      else {
        const { width, height, rgba } = image.pixels;
        next = new ctx.bindings.PaintDemo(width, height, rgba, seeded);
      }
    } catch (e) {
      refuse(demo, what, e, ctx);
      return;
    }
    if (demo.model) demo.model.free();
    demo.model = next;
    // A model file names its picture (a file written before names were
    // kept: the file's own name stands in).
    const name = model ? next.picture_name || image.name : image.name;
    next.picture_name = name;
    // Other options later paint the picture from the start: a picture's
    // file is kept, not its pixels (up to 64 MB), and decoded again then; a
    // model file's picture is read from the file again, so that any number
    // of changes start from the picture at the size it was saved at.
    if (model) demo.image = { name, file: image.bytes };
    else if (!image.file) demo.image = { name, bytes: image.bytes };
    demo.options = model ? next.options() : options;
    demo.steps = 1;
    // A look at a painting no larger than the look would be its repaint.
    demo.previewing = Math.max(next.width, next.height) > PREVIEW_SIDE;
    demo.previewDueAt = performance.now() + FIRST_PREVIEW_MS;
    ctx.level(demo);
    ctx.post({
      type: P.PAINT_START,
      id: demo.id,
      name,
      model: model ? image.name : null,
      options: demo.options,
      width: next.width,
      height: next.height,
      notice: next.notice || null,
      target: next.target_rgba(),
      resumed: model ? { epoch: next.epoch } : null,
    });
  }

  // A new painting with `options` on the picture of the model file `file`.
  function fromModelFile(file, options, ctx) {
    const loaded = ctx.bindings.PaintDemo.load(new Uint8Array(file));
    try {
      return loaded.with_options(options);
    } finally {
      loaded.free();
    }
  }

  // Decodes the picture `image` ({name, bytes}) with MdnPicture, which is
  // asynchronous (the browser's decoder), then starts its painting or
  // refuses it at a slice boundary, as a command: a PAINT_IMAGE carrying
  // the decoding as `decoded` (its pixels, or the `error` that refused
  // it), which counts only if no later picture, model file or decoding has
  // come since (`demo.decoding`). A refusal is a command too: while the
  // decoding is pending the painting does not train, so the worker's loop
  // may be asleep, and only a command wakes it (a refusal that woke
  // nothing left the painting stopped until the page sent anything else).
  function decodeThenStart(demo, image, options, what, ctx) {
    const decoding = (demo.decoding = { image, options, what });
    const finish = () => ctx.enqueue({ type: P.PAINT_IMAGE, id: demo.id, decoded: decoding });
    global.MdnPicture.decode(new Uint8Array(image.bytes), ctx.bindings).then(
      (pixels) => {
        decoding.image = { ...image, pixels };
        finish();
      },
      (e) => {
        // Never falsy, or the refusal would pass for a decoded picture.
        decoding.error = e || new Error(ctx.bindings.undecodable_picture('its decoder gave no reason'));
        finish();
      },
    );
  }

  // Until a painting's first repaint, a preview (a coarse render of the
  // model, PREVIEW_SIDE px on its longer side) goes to the page at the
  // first slice FIRST_PREVIEW_MS after it started, then every PREVIEW_MS
  // (wall time: a painting out of view shows one as soon as it is back in
  // view, then trains on), for a painting larger than PREVIEW_SIDE. At
  // 512 px an epoch on one CPU thread takes 3.5-5.5 s, and the reader
  // would watch an empty canvas. A 12-megapixel photo takes 0.4-0.5 s from
  // the upload to its first step (decoding, downscaling), so its first look
  // comes within the second; at 300 ms into training it already shows the
  // picture, where at 150 ms it was a dark blob (docs/PERFORMANCE.md). A
  // 128 px render costs about a sixteenth of a 512 px repaint's forward
  // pass.
  const PREVIEW_SIDE = 128;
  const FIRST_PREVIEW_MS = 300;
  const PREVIEW_MS = 400;

  const previewDue = (demo) => demo.previewing && performance.now() >= demo.previewDueAt;

  async function sendPreview(demo, ctx) {
    const preview = await demo.model.preview(PREVIEW_SIDE);
    demo.previewDueAt = performance.now() + PREVIEW_MS;
    // The contract's Preview, forwarded as it comes.
    ctx.post({ type: P.PAINT_PREVIEW, id: demo.id, ...preview });
  }

  (global.MdnKinds ||= {}).paint = {
    // Minibatch steps per slice at most.
    maxSteps: 500,

    // A painting waits for its picture.
    create(demo, msg) {
      demo.options = msg.options || null;
      demo.view = msg.view || { name: 'mode', tauPi: 1, tauSigma: 1 };
      demo.image = null;
    },

    command(demo, msg, ctx) {
      if (msg.type === P.PAINT_IMAGE) {
        if (!msg.decoded) {
          decodeThenStart(demo, { name: msg.name, bytes: msg.bytes }, msg.options, `“${msg.name}”`, ctx);
        } else if (demo.decoding === msg.decoded) {
          // The latest picture asked for, decoded or refused (see
          // decodeThenStart).
          demo.decoding = null;
          const { image, options, what, error } = msg.decoded;
          if (error) refuse(demo, what, error, ctx);
          else start(demo, image, options, what, ctx);
        }
      } else if (msg.type === P.LOAD_MODEL) {
        demo.decoding = null;
        start(demo, { bytes: msg.bytes, name: msg.name }, null, `“${msg.name}”`, ctx, true);
      } else if (msg.type === P.PAINT_VIEW) {
        demo.view = msg.view;
      } else if (msg.type === P.PAINT_OPTIONS) {
        // A picture being decoded takes the options; without a picture
        // yet, they wait for one (a model file brings its own).
        const what = describeOptions(msg.options);
        if (demo.decoding) demo.decoding.options = msg.options;
        else if (!demo.image) demo.options = msg.options;
        else if (demo.image.file) start(demo, demo.image, msg.options, what, ctx);
        else decodeThenStart(demo, demo.image, msg.options, what, ctx);
      } else {
        return false;
      }
      return true;
    },

    // Trains up to `demo.steps` steps; at the end of an epoch, posts the
    // repaint, and before the first one, now and then a preview.
    async slice(demo, ctx) {
      const model = demo.model;
      const t0 = performance.now();
      const epochDone = model.train(demo.steps);
      // Like the toy's snapshot, a readback makes the elapsed time include
      // the device work (train only queues it on WebGPU); on the CPU both
      // are instant.
      if (!epochDone) {
        await model.loss();
        demo.steps = global.MdnScheduler.adapt(demo.steps, performance.now() - t0, this.maxSteps);
        if (previewDue(demo)) await sendPreview(demo, ctx);
        return;
      }
      demo.previewing = false;
      // Not used to adapt: it includes the repaint of every pixel, and the
      // steps stopped early at the end of the epoch.
      const { name, tauPi, tauSigma } = demo.view;
      // The contract's Repaint, forwarded as it comes.
      const repaint = await model.repaint(name, tauPi, tauSigma);
      ctx.post({ type: P.PAINT_EPOCH, id: demo.id, view: name, ...repaint });
    },
  };
})(globalThis);
