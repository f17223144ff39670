// Serves dist/ (what `npm run build` writes, and what gets published) as a
// plain static server would, on http://127.0.0.1:$PORT (default 8080):
// `npm run serve`'s server, after its build. `.wasm` goes out as
// application/wasm (sirv's types), which streaming compilation needs.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const port = Number(process.env.PORT || 8080);
const files = sirv(dist, { dev: true, etag: false });

const server = http.createServer((req, res) =>
  files(req, res, () => {
    res.statusCode = 404;
    res.end('not found');
  }),
);
server.listen(port, '127.0.0.1', () => console.log(`serving ${dist} on http://127.0.0.1:${port}/`));
