// No function in the front-end is longer than MAX_LINES: a view that grew
// into one closure of hundreds of lines, holding every mutable variable of
// its demo, was how both demos' lifecycles came to be written twice. Each
// function is measured from its first line to its last, nested functions
// included, so a short outer function cannot hide long inner ones either.
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scripts, www } from './www-scripts.mjs';
import { parse } from 'acorn';
import { ancestor } from 'acorn-walk';

const MAX_LINES = 80;

// What a reader would call the function: its declaration's, variable's,
// property's or method's name, else where it starts.
function nameOf(node, parents) {
  if (node.id) return node.id.name;
  const parent = parents[parents.length - 2];
  const key = parent?.key ?? parent?.id ?? parent?.left;
  if (key?.type === 'Identifier') return key.name;
  if (key?.type === 'Literal') return String(key.value);
  if (key?.type === 'MemberExpression' && key.property.type === 'Identifier') return key.property.name;
  if (key?.type === 'PrivateIdentifier') return `#${key.name}`;
  return 'an anonymous function';
}

// The worker's files are classic scripts, the page's modules.
function parseAny(source) {
  const options = { ecmaVersion: 'latest', locations: true };
  try {
    return parse(source, { ...options, sourceType: 'module' });
  } catch {
    return parse(source, { ...options, sourceType: 'script' });
  }
}

// Whether `node` is a classic script's scope: a function called at once
// at the top of the file (`(function define(global) { ... })(globalThis)`),
// as the worker's scripts give themselves one (importScripts loads only
// classic scripts). It is the file, not a function; what is inside is held
// to the limit like any other function.
function isScriptScope(node, parents) {
  const [program, statement, call] = parents;
  return (
    parents.length === 4 &&
    program.type === 'Program' &&
    statement.type === 'ExpressionStatement' &&
    call.type === 'CallExpression' &&
    call.callee === node
  );
}

// Every function in `source` longer than `max` lines: [{name, line, lines}].
export function longFunctions(source, max = MAX_LINES) {
  const ast = parseAny(source);
  const found = [];
  const visit = (node, _state, parents) => {
    const lines = node.loc.end.line - node.loc.start.line + 1;
    if (lines > max && !isScriptScope(node, parents)) {
      found.push({ name: nameOf(node, parents), line: node.loc.start.line, lines });
    }
  };
  ancestor(ast, { FunctionDeclaration: visit, FunctionExpression: visit, ArrowFunctionExpression: visit });
  return found.sort((a, b) => a.line - b.line);
}

test('the measure finds a long function by its name, nested ones included', () => {
  const body = Array.from({ length: 5 }, (_, i) => `  const a${i} = ${i};`).join('\n');
  const source = [
    `export function outer() {\n  const inner = () => {\n${body}\n  };\n}`,
    `const o = { m() {\n${body}\n} };`,
    `class C {\n  #p() {\n${body}\n  }\n  short() {}\n}`,
    `(function define(global) {\n  function f() {\n${body}\n  }\n})(globalThis);`,
  ].join('\n');
  assert.deepEqual(
    longFunctions(source, 4).map(({ name, lines }) => [name, lines]),
    [['outer', 9], ['inner', 7], ['m', 7], ['#p', 7], ['f', 7]],
  );
});

test(`no function under www/ is longer than ${MAX_LINES} lines`, () => {
  const files = scripts(www);
  if (files.length < 20) throw new Error(`only ${files.length} scripts found under ${www}`);
  const long = [];
  for (const file of files) {
    const relative = path.relative(www, file).split(path.sep).join('/');
    for (const f of longFunctions(fs.readFileSync(file, 'utf8'))) {
      long.push(`www/${relative}:${f.line} ${f.name} (${f.lines} lines)`);
    }
  }
  assert.deepEqual(long, [], `functions over ${MAX_LINES} lines:\n${long.join('\n')}`);
});
