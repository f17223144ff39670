// The sampling temperatures τπ and τσ as two labelled sliders, shared by the
// toy and the painting's sample view: their markup from the core's settings
// table, and their wiring. The attributes stay the one source of the
// settings: a slider only sets its attribute.
import { setting } from './attributes.js';

const TEMPERATURES = [
  ['tau-pi', 'τ<sub>π</sub>'],
  ['tau-sigma', 'τ<sub>σ</sub>'],
];

// Two labels for demo kind `kind`'s temperatures, each a range input
// `${prefix}-${name}` with its value in an <output id="${prefix}-${name}-value">;
// `labelAttributes` goes on each label (a class, `hidden`).
export function temperatureSliders(kind, prefix, labelAttributes = '') {
  return TEMPERATURES.map(([name, symbol]) => {
    const s = setting(kind, name);
    const { min, max, step, default: value } = s.range;
    return `
    <label title="${s.about}"${labelAttributes}>
      <span>${symbol}</span>
      <input id="${prefix}-${name}" type="range" min="${min}" max="${max}" step="${step}" value="${value}" />
      <output id="${prefix}-${name}-value">${value.toFixed(2)}</output>
    </label>`;
  }).join('');
}

// Wires the sliders under `root`: moving one sets its attribute on `host`.
// Returns show(values), which puts values {'tau-pi', 'tau-sigma'} on them.
export function bindTemperatureSliders(root, host, prefix) {
  const sliders = TEMPERATURES.map(([name]) => [
    name,
    root.querySelector(`#${prefix}-${name}`),
    root.querySelector(`#${prefix}-${name}-value`),
  ]);
  for (const [name, input] of sliders) {
    input.addEventListener('input', () => host.setAttribute(name, input.value));
  }
  return (values) => {
    for (const [name, input, output] of sliders) {
      input.value = String(values[name]);
      output.textContent = values[name].toFixed(2);
    }
  };
}
