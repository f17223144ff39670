/* Decodes an uploaded picture to RGBA8 pixels for the wasm, in the worker.
 *
 * The training modules carry no image decoder: the browser's own decoders
 * are already there, and the `image` crate's were a tenth of the WebGPU
 * module's download and over a quarter of the CPU module's.
 * So the wasm reads the file's header first (`inspect_picture`: its format
 * and size, and every refusal with its message, before any pixel is
 * decoded), then the browser decodes PNG, JPEG, WebP, GIF and BMP
 * (createImageBitmap, its EXIF orientation applied, no colour management,
 * as the native `mdn` decodes), and TIFF, which Chrome and Firefox cannot
 * decode, goes to the TIFF module (crates/mdn-tiff), loaded on the first
 * TIFF in a worker of its own (worker/tiff.js), since its wasm-bindgen
 * glue and the training module's share a global name.
 *
 * A classic script (see www/protocol.js): defines globalThis.MdnPicture.
 */
'use strict';

(function define(global) {
  // The TIFF worker's script, from a worker one folder below dist/'s root
  // (www/worker.js, the benchmark's worker).
  const here = global.MDN_SCRIPT || global.location?.href;
  const TIFF_WORKER = here ? new URL('../www/worker/tiff.js', here).href : '';
  // The TIFF worker, started on first use; its answers by request number.
  let tiffWorker = null;
  const pending = new Map();
  let nextRequest = 0;

  function decodeTiff(bytes) {
    if (!tiffWorker) {
      // From a blob: when the page is of another origin (worker-url.js).
      tiffWorker = global.MdnWorkerFor(TIFF_WORKER);
      tiffWorker.onmessage = ({ data }) => {
        const request = pending.get(data.request);
        pending.delete(data.request);
        if (request) request(data);
      };
      tiffWorker.onerror = (e) => {
        for (const request of pending.values()) request({ error: `the TIFF decoder did not load (${e.message})` });
        pending.clear();
        tiffWorker = null;
      };
    }
    const request = nextRequest++;
    return new Promise((resolve) => {
      pending.set(request, resolve);
      tiffWorker.postMessage({ request, bytes });
    });
  }

  async function decodeInBrowser(bytes, format) {
    const bitmap = await createImageBitmap(new Blob([bytes], { type: `image/${format}` }), {
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    });
    const { width, height } = bitmap;
    const context = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    context.drawImage(bitmap, 0, 0);
    bitmap.close();
    return { width, height, rgba: new Uint8Array(context.getImageData(0, 0, width, height).data.buffer) };
  }

  // {width, height, rgba} of the file `bytes` (a Uint8Array), or an Error
  // whose message is for the person who chose the file. `bindings`: the
  // training module's (inspect_picture, undecodable_picture).
  async function decode(bytes, bindings) {
    // Throws the wasm's refusal: empty, not an image, too large...
    const header = bindings.inspect_picture(bytes);
    if (header.format === 'tiff') {
      const answer = await decodeTiff(bytes);
      if (answer.error !== undefined) throw new Error(bindings.undecodable_picture(answer.error));
      return answer;
    }
    try {
      return await decodeInBrowser(bytes, header.format);
    } catch {
      // The browser says no more (Chrome: "The source image could not be
      // decoded.").
      throw new Error(bindings.undecodable_picture("the browser's decoder refused it"));
    }
  }

  global.MdnPicture = { decode };
})(globalThis);
