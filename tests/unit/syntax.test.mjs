// Every front-end file parses: most are loaded only by the page or its
// workers, so without this a syntax error would first show in the browser
// tests, after the release build.
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { scripts, www } from './www-scripts.mjs';

test('every script under www/ parses', () => {
  const files = scripts(www);
  if (files.length < 20) throw new Error(`only ${files.length} scripts found under ${www}`);
  for (const file of files) execFileSync(process.execPath, ['--check', file], { stdio: 'pipe' });
});
