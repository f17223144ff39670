/* The TIFF decoder's worker (see worker/picture.js): loads the TIFF module
 * (crates/mdn-tiff, at the root of dist/) on its first request and answers
 * each {request, bytes} with {request, width, height, rgba} or
 * {request, error}.
 */
/* global wasm_bindgen */
'use strict';

// This script's URL (see www/worker-url.js), which the module's resolve against.
self.MDN_SCRIPT ||= self.location.href;
importScripts(new URL('../../mdn-tiff.js', self.MDN_SCRIPT).href);
const ready = wasm_bindgen({ module_or_path: new URL('../../mdn-tiff_bg.wasm', self.MDN_SCRIPT).href });

self.onmessage = async ({ data: { request, bytes } }) => {
  try {
    await ready;
    const { width, height, rgba } = wasm_bindgen.decode_tiff(new Uint8Array(bytes));
    self.postMessage({ request, width, height, rgba }, [rgba.buffer]);
  } catch (e) {
    self.postMessage({ request, error: e instanceof Error ? e.message : String(e) });
  }
};
