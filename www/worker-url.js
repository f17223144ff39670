/* Workers from the demo's own site, wherever the page is: a page may load
 * the demo from another origin (a CDN), and a Worker's script must come
 * from the page's origin. A script of another origin is started from a
 * same-origin `blob:` script that loads it (importScripts for a classic
 * worker, import for a module worker: both may cross origins, the second
 * with CORS, as a CDN serves). The worker's scripts resolve their files
 * against MDN_SCRIPT, the real script's URL, since their own location is
 * then the blob's.
 *
 * A classic script, so that the demo's worker (which starts the TIFF
 * worker) can load it with importScripts as the page imports it; either
 * way it defines `globalThis.MdnWorkerFor`.
 */
'use strict';

(function define(global) {
  if (global.MdnWorkerFor) return;

  // A Worker running the script at `url` (a URL or string), of any origin;
  // `options` as Worker's (`{type: 'module'}` for a module worker).
  global.MdnWorkerFor = function workerFor(url, options = {}) {
    const href = new URL(url).href;
    if (new URL(href).origin === global.location.origin) return new Worker(href, options);
    const source =
      options.type === 'module'
        ? `import ${JSON.stringify(href)};`
        : `self.MDN_SCRIPT = ${JSON.stringify(href)}; importScripts(self.MDN_SCRIPT);`;
    const blob = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    try {
      return new Worker(blob, options);
    } finally {
      // The worker has fetched its script by the time it runs; a revoked
      // URL does not stop a fetch already asked for.
      setTimeout(() => URL.revokeObjectURL(blob), 60_000);
    }
  };
})(globalThis);
