// The response headers of a `_headers` file's rules for every path ("/*"),
// as hosts that read one (Netlify, Cloudflare Pages) send them: the
// cross-origin isolation headers of dist/_headers. scripts/serve-dist.mjs
// and the tests' server (tests/helpers.mjs, `isolated`) send these.
import fs from 'node:fs';
import path from 'node:path';

// [name, value] pairs of the `/*` rule in `dir`/_headers.
export function headersFile(dir) {
  const pairs = [];
  let everyPath = false;
  for (const line of fs.readFileSync(path.join(dir, '_headers'), 'utf8').split('\n')) {
    if (/^\S/.test(line) && !line.startsWith('#')) everyPath = line.trim() === '/*';
    const header = line.match(/^\s+([\w-]+):\s*(.+?)\s*$/);
    if (header && everyPath) pairs.push([header[1], header[2]]);
  }
  return pairs;
}
