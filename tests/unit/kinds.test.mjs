// The demo kinds' registry (www/kinds.js): each entry complete, its
// message types the protocol's, its worker script and view present.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { allKinds, kindNamed, kindOfResult, workerScripts } from '../../www/kinds.js';
import { attributesOf } from '../../www/attributes.js';
// The built-in kinds, which register themselves.
import '../../www/toy.js';
import '../../www/paint.js';

const P = globalThis.MdnProtocol;
const types = new Set(Object.values(P));

test('every registered kind is a complete entry of the protocol\'s messages', () => {
  assert.deepEqual(allKinds().map((k) => k.name), ['toy', 'paint']);
  for (const kind of allKinds()) {
    for (const type of [kind.result, kind.started, kind.refused, ...kind.display]) {
      assert.ok(types.has(type), `${kind.name}: ${type} is a message type`);
    }
    assert.equal(typeof kind.view, 'function');
    assert.ok(fs.existsSync(fileURLToPath(kind.worker)), `${kind.name}: ${kind.worker} exists`);
    assert.equal(kindOfResult(kind.result), kind);
    assert.ok(kind.work({}) > 0);
  }
  assert.deepEqual(workerScripts().map((u) => u.split('/www/')[1]), ['worker/toy.js', 'worker/paint.js']);
});

test('a kind\'s attributes are its own and its settings; an unknown kind has none', () => {
  assert.equal(attributesOf('paint')[0], 'src');
  assert.deepEqual(attributesOf('nope'), []);
  assert.equal(kindNamed('nope'), null);
});

test('a checkpoint resumes a toy in its CREATE, a painting by a LOAD_MODEL after it', () => {
  const checkpoint = { bytes: new Uint8Array(4), name: 'its checkpoint' };
  const toy = kindNamed('toy').resume({ type: P.CREATE, kind: 'toy' }, checkpoint);
  assert.equal(toy.length, 1);
  assert.equal(toy[0][0].checkpoint, checkpoint);
  assert.deepEqual(toy[0][1], [checkpoint.bytes.buffer]);
  const paint = kindNamed('paint').resume({ type: P.CREATE, kind: 'paint' }, checkpoint);
  assert.deepEqual(paint.map(([msg]) => msg.type), [P.CREATE, P.LOAD_MODEL]);
});
