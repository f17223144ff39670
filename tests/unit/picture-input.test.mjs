// Which chosen or dropped files the painting treats as model files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isModelFile } from '../../www/picture-input.js';

const bytes = (text) => new TextEncoder().encode(text).buffer;

test('a model file is told from a picture by its first bytes, or by its .mdn name', () => {
  assert.equal(isModelFile(bytes('MDNMODEL\x01\x00\x00\x00rest'), 'saved.bin'), true, 'by content, whatever the name');
  assert.equal(isModelFile(bytes('\x89PNG\r\n\x1a\n'), 'photo.png'), false);
  // A picture renamed .mdn goes to the model loader, which says what it is.
  assert.equal(isModelFile(bytes('\x89PNG\r\n\x1a\n'), 'photo.MDN'), true);
  assert.equal(isModelFile(bytes('MDNMOD'), 'short.png'), false, 'too short to carry the magic');
  assert.equal(isModelFile(new ArrayBuffer(0), 'empty.png'), false);
});
