// The front-end's scripts, for the unit tests that read them all.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const www = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../www');

// Every .js file under `dir`, subfolders included.
export const scripts = (dir = www) =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return scripts(file);
    return entry.name.endsWith('.js') ? [file] : [];
  });
