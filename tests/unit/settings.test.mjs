// The front-end's reading of the settings tables (www/attributes.js over the
// generated www/settings.js): the core's policy and messages, and the URL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attributesOf, parseSetting, readSettings, setting } from '../../www/attributes.js';
import { applyUrl, urlQuery } from '../../www/url-state.js';
// The built-in kinds, which register themselves.
import '../../www/toy.js';
import '../../www/paint.js';

// An element with attributes, enough for the functions under test.
function element(attributes) {
  const map = new Map(Object.entries(attributes));
  return {
    getAttribute: (name) => (map.has(name) ? map.get(name) : null),
    setAttribute: (name, value) => map.set(name, String(value)),
    removeAttribute: (name) => map.delete(name),
  };
}

test('values in range parse; others are refused with the core message', () => {
  const components = setting('paint', 'components');
  assert.deepEqual(parseSetting(components, ' 8 '), { value: 8 });
  assert.deepEqual(parseSetting(components, '40'), {
    error: 'components="40" is not a whole number from 1 to 32',
  });
  for (const bad of ['0', '2.5', '-1', 'eight', '1e1']) assert.ok(parseSetting(components, bad).error, bad);
  const covariance = setting('paint', 'covariance');
  assert.deepEqual(parseSetting(covariance, 'Diag'), { value: 'diagonal' });
  assert.deepEqual(parseSetting(covariance, 'iso'), { value: 'isotropic' });
  assert.equal(parseSetting(covariance, 'banana').error, 'covariance="banana" is not isotropic, diagonal or full');
  const tau = setting('toy', 'tau-pi');
  assert.deepEqual(parseSetting(tau, '0.5'), { value: 0.5 });
  for (const bad of ['0', '2.5', 'NaN', 'Infinity']) assert.ok(parseSetting(tau, bad).error, bad);
});

test('a bad or blank attribute falls back to the default, the bad one with a message', () => {
  const host = element({ covariance: 'banana', components: '4', size: '' });
  const { values, errors } = readSettings(host, 'paint');
  assert.deepEqual(values, {
    size: 128,
    encoding: 'grid',
    covariance: 'diagonal',
    components: 4,
    view: 'mode',
    'tau-pi': 1,
    'tau-sigma': 1,
  });
  assert.deepEqual(errors, ['covariance="banana" is not isotropic, diagonal or full; using diagonal.']);
  assert.deepEqual(readSettings(element({}), 'toy'), {
    values: { data: 'inverse', components: 24, 'hidden-units': 24, 'learning-rate': 0.001, panels: 'on', 'tau-pi': 1, 'tau-sigma': 1 },
    errors: [],
  });
});

test('URL parameters set each demo kind its own settings, and changes go back', () => {
  assert.deepEqual(attributesOf('paint'), ['src', 'size', 'encoding', 'covariance', 'components', 'view', 'tau-pi', 'tau-sigma']);
  assert.deepEqual(attributesOf('toy'), ['data', 'components', 'hidden-units', 'learning-rate', 'panels', 'tau-pi', 'tau-sigma']);
  const toy = element({ kind: 'toy' });
  const paint = element({ kind: 'paint' });
  applyUrl([toy, paint], new URLSearchParams('tau-pi=0.5&paint-components=4&hidden-units=32&src=a.png&other=1'));
  assert.equal(toy.getAttribute('tau-pi'), '0.5');
  assert.equal(toy.getAttribute('hidden-units'), '32');
  // K means one thing to the toy and another to the painting: on a page
  // with both, each has its own parameter.
  assert.equal(toy.getAttribute('components'), null);
  assert.equal(paint.getAttribute('components'), '4');
  assert.equal(paint.getAttribute('src'), 'a.png');
  paint.setAttribute('covariance', 'full');
  toy.setAttribute('components', '12');
  // tau-pi is both kinds' setting: the URL gave it to both.
  assert.equal(paint.getAttribute('tau-pi'), '0.5');
  assert.equal(
    urlQuery([toy, paint], '?other=1&size=64&components=3'),
    'other=1&toy-components=12&hidden-units=32&tau-pi=0.5&src=a.png&covariance=full&paint-components=4',
  );
  // A page with one kind (the iframe view) keeps the plain name.
  const alone = element({ kind: 'paint' });
  applyUrl([alone], new URLSearchParams('components=4'));
  assert.equal(alone.getAttribute('components'), '4');
  assert.equal(urlQuery([alone], ''), 'components=4');
  // A shared name keeps the first demo's value that is set.
  toy.setAttribute('tau-pi', '0.7');
  paint.removeAttribute('tau-pi');
  assert.match(urlQuery([toy, paint], ''), /tau-pi=0\.7/);
  toy.removeAttribute('tau-pi');
  paint.setAttribute('tau-pi', '0.3');
  assert.match(urlQuery([toy, paint], ''), /tau-pi=0\.3/);
});

test('the shared value cases parse as the core parses them', async () => {
  const { readFile } = await import('node:fs/promises');
  const file = JSON.parse(await readFile(new URL('./setting-values.json', import.meta.url), 'utf8'));
  assert.ok(file.cases.length > 20);
  for (const { kind, setting: name, raw, value } of file.cases) {
    const parsed = parseSetting(setting(kind, name), raw);
    if (value === null) assert.ok(parsed.error, `${name} ${JSON.stringify(raw)}: ${JSON.stringify(parsed)}`);
    else assert.deepEqual(parsed, { value }, `${name} ${JSON.stringify(raw)}`);
  }
});
