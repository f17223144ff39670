// A demo's set-up lives in its attributes; on the demo page and in the iframe
// view (embed.html) it lives in the URL too, so a link reproduces it: the
// URL's parameters set the attributes at load, and every later change of a
// setting (from the demo's own controls or otherwise) is written back.
import { ATTRIBUTES } from './attributes.js';

// Sets each demo's settings from the page's URL parameters of the same names.
export function applyUrl(demos, params = new URLSearchParams(location.search)) {
  for (const demo of demos) {
    for (const name of ATTRIBUTES[demo.getAttribute('kind')] || []) {
      if (params.has(name)) demo.setAttribute(name, params.get(name));
    }
  }
}

// The query string `search` with every demo's settings written into it (a
// setting no demo has removes its parameter; other parameters stay). A name
// several kinds share (the toy's and the painting's temperatures) holds the
// first demo's value that is set, as `applyUrl` gives it to all of them.
export function urlQuery(demos, search) {
  const params = new URLSearchParams(search);
  const values = new Map();
  for (const demo of demos) {
    for (const name of ATTRIBUTES[demo.getAttribute('kind')] || []) {
      const value = demo.getAttribute(name);
      if (!values.has(name) || values.get(name) === null) values.set(name, value);
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
  const names = [...new Set(Object.values(ATTRIBUTES).flat())];
  const observer = new MutationObserver(write);
  for (const demo of demos) observer.observe(demo, { attributes: true, attributeFilter: names });
}
