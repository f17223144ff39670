// Serves dist/ (what `npm run build` writes, and what gets published) as a
// plain static server would, on http://127.0.0.1:$PORT (default 8080):
// `npm run serve`'s server, after its build. `.wasm` goes out as
// application/wasm (sirv's types), which streaming compilation needs.
// Every answer carries dist/_headers' cross-origin isolation headers, as a
// host that reads that file sends them: the page is then cross-origin
// isolated and the CPU backend trains on several threads; MDN_ISOLATION=off
// serves without them (the single-threaded module, as on a host that
// sends none).
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';
import { headersFile } from './headers.mjs';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const port = Number(process.env.PORT || 8080);
const files = sirv(dist, { dev: true, etag: false });
const isolated = process.env.MDN_ISOLATION !== 'off';
const headers = isolated ? headersFile(dist) : [];

const server = http.createServer((req, res) => {
  for (const [name, value] of headers) res.setHeader(name, value);
  files(req, res, () => {
    res.statusCode = 404;
    res.end('not found');
  });
});
server.listen(port, '127.0.0.1', () =>
  console.log(`serving ${dist} on http://127.0.0.1:${port}/${isolated ? ', cross-origin isolated' : ''}`),
);
