// A demo's set-up lives in its attributes; on the demo page and in the iframe
// view (embed.html) it lives in the URL too, so a link reproduces it: the
// URL's parameters set the attributes at load, and every later change of a
// setting (from the demo's own controls or otherwise) is written back.
//
// A setting's parameter is its name. Where demos of two kinds on one page
// each have a setting of that name that means something else (the toy's
// and the painting's K), each kind's is written as `${kind}-${name}`
// (`toy-components`, `paint-components`); reading, such a prefixed
// parameter wins over the plain name, which any demo with the setting takes.
import { allAttributes, attributesOf } from './attributes.js';
import { SETTINGS } from './settings.js';

// Whether kinds `a` and `b` both have a setting `name` and mean different
// things by it.
function clash(a, b, name) {
  const find = (kind) => SETTINGS[kind]?.find((s) => s.name === name);
  const [x, y] = [find(a), find(b)];
  return a !== b && x && y && JSON.stringify(x) !== JSON.stringify(y);
}

// The parameter of kind `kind`'s setting `name` on a page whose demos are
// of `kinds`.
function parameter(kind, name, kinds) {
  return kinds.some((other) => clash(kind, other, name)) ? `${kind}-${name}` : name;
}

const kindsOf = (demos) => [...new Set(demos.map((d) => d.getAttribute('kind')))];

// Sets each demo's settings from the page's URL parameters.
export function applyUrl(demos, params = new URLSearchParams(location.search)) {
  for (const demo of demos) {
    const kind = demo.getAttribute('kind');
    for (const name of attributesOf(kind)) {
      const own = `${kind}-${name}`;
      if (params.has(own)) demo.setAttribute(name, params.get(own));
      else if (params.has(name)) demo.setAttribute(name, params.get(name));
    }
  }
}

// The query string `search` with every demo's settings written into it (a
// setting no demo has set removes its parameter; other parameters stay). A
// parameter several demos share (the toy's and the painting's
// temperatures) holds the first demo's value that is set, as `applyUrl`
// gives it to all of them.
export function urlQuery(demos, search) {
  const params = new URLSearchParams(search);
  const kinds = kindsOf(demos);
  const values = new Map();
  for (const demo of demos) {
    const kind = demo.getAttribute('kind');
    for (const name of attributesOf(kind)) {
      const key = parameter(kind, name, kinds);
      const value = demo.getAttribute(name);
      if (!values.has(key) || values.get(key) === null) values.set(key, value);
      // A name written with its kind's prefix drops the plain one.
      if (key !== name) values.set(name, values.get(name) ?? null);
    }
  }
  for (const [name, value] of values) {
    if (value === null) params.delete(name);
    else params.set(name, value);
  }
  return params.toString();
}

// Mirrors the demos' settings into the URL (replacing the history entry, so
// moving a slider does not fill the back button).
export function keepInUrl(demos) {
  const write = () => {
    const query = urlQuery(demos, location.search);
    history.replaceState(history.state, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
  };
  const names = allAttributes();
  const observer = new MutationObserver(write);
  for (const demo of demos) observer.observe(demo, { attributes: true, attributeFilter: names });
}
