// A demo view's markup, put in its root, and its elements by id.

// Puts `html` in `root`; returns $(id), this markup's element of that id.
// The elements are found once: after a change of kind the root holds
// another view's markup, and what this one still does on its way out (a
// picture fetched late, a legend's answer) must reach its own.
export function renderView(root, html) {
  root.innerHTML = html;
  const byId = new Map([...root.querySelectorAll('[id]')].map((element) => [element.id, element]));
  return (id) => byId.get(id);
}
