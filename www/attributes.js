// The demos' settings as element attributes (and URL parameters): the
// core's tables (www/settings.js, generated from
// crates/mdn-core/src/settings.rs) read with the core's one policy for a
// bad value: it is refused with a message that names the allowed range, and
// the default is used. A blank or absent attribute means the default.
import { allKinds, kindNamed } from './kinds.js';
import { PATTERNS, SETTINGS } from './settings.js';

// The attributes demo kind `kind` reads (none for a kind not registered):
// its own (kinds.js) and its settings.
export function attributesOf(kind) {
  const entry = kindNamed(kind);
  return entry ? [...entry.attributes, ...(SETTINGS[kind] ?? []).map((s) => s.name)] : [];
}

// Every attribute any registered kind reads, each once.
export const allAttributes = () => [...new Set(allKinds().flatMap((k) => attributesOf(k.name)))];

// The setting `name` of demo kind `kind`.
export function setting(kind, name) {
  const found = SETTINGS[kind]?.find((s) => s.name === name);
  if (!found) throw new Error(`no setting ${name} for kind ${kind}`);
  return found;
}

// The value `raw` (a string) stands for, as the core's Setting::parse reads
// it: {value} (a number, or a choice's canonical name), or {error} naming
// the allowed range. What a value may look like is the core's PATTERNS
// (generated into settings.js), so that both sides accept the same text.
export function parseSetting(s, raw) {
  const { range } = s;
  const text = PATTERNS[range.kind].exec(raw)?.[1];
  let value = null;
  if (text === undefined) {
    // Not the shape of a value of this kind.
  } else if (range.kind === 'choice') {
    const lower = text.toLowerCase();
    const choice = range.choices.find((c) => c.name === lower || c.aliases.includes(lower));
    if (choice) value = choice.name;
  } else {
    const v = Number(text);
    if (Number.isFinite(v) && v >= range.min && v <= range.max) value = v;
  }
  return value === null ? { error: `${s.name}="${raw}" is not ${s.allowed}` } : { value };
}

// Every setting of `kind` from `host`'s attributes: {values: {name: value},
// errors: [message]}, a bad value replaced by its default with a message
// that says so.
export function readSettings(host, kind) {
  const values = {};
  const errors = [];
  for (const s of SETTINGS[kind] || []) {
    const raw = host.getAttribute(s.name);
    values[s.name] = s.range.default;
    if (raw === null || raw.trim() === '') continue;
    const { value, error } = parseSetting(s, raw);
    if (error) errors.push(`${error}; using ${s.range.default}.`);
    else values[s.name] = value;
  }
  return { values, errors };
}
