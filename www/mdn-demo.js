// <mdn-demo kind="toy|paint">: one live MDN demo, the only way the page and
// any blog post show one. It renders inside an open shadow root (styles in
// www/demo.css, so neither the host page's CSS nor its own leak across),
// fills its container's width, and stays cheap until needed: the wasm worker
// (www/engine.js) is started only when a demo first scrolls into view, and a
// demo trains only while it is in view and the tab is visible.
//
// Live state is mirrored on the element as data-* attributes (data-state,
// data-backend, data-wasm-ms (the worker's wasm fetch and compile), the
// backend trial's data-backend-trial ('measuring', 'cpu' or 'webgpu': its
// decision), data-trial-webgpu and data-trial-cpu (the rates it measured,
// in data-trial-unit: 'epochs/s' or 'steps/s'), data-step, data-epoch, data-nll, data-psnr, ...) and as `mdn-progress`
// events whose detail holds the same values. The settings are
// plain attributes (see www/attributes.js); changing one, from a control
// inside the demo or from outside, takes effect at once.
import { attach, onBackend } from './engine.js';
import { trialText } from './backend-trial.js';
import { allAttributes, attributesOf } from './attributes.js';
import { allKinds, kindNamed } from './kinds.js';

const P = globalThis.MdnProtocol;

const STYLESHEET = new URL('./demo.css', import.meta.url);

// Until demo.css has loaded, the demo keeps its place but shows nothing
// unstyled; demo.css makes .frame visible.
const TEMPLATE = `
  <style>:host { display: block; } .frame { visibility: hidden; }</style>
  <link rel="stylesheet" href="${STYLESHEET}" />
  <div class="frame">
    <div class="view"></div>
    <p class="backend" id="backend">
      <span class="backend-label">Backend:</span>
      <span id="backend-text">starts when scrolled into view</span>
    </p>
  </div>`;

// The live state (data-*) that belongs to the page's one worker, not to a
// demo's kind: it stays when the kind changes, and everything else goes.
const LIVE_STATE = new Set(globalThis.MdnLiveState);
const WORKER_STATE = new Set(['backend', 'wasmMs', 'backendTrial', 'trialWebgpu', 'trialCpu', 'trialUnit']);

// A view that shows nothing and does nothing: a kind's while its module
// loads, or an unknown kind's.
const NO_VIEW = { start() {}, receive() {}, settingChanged() {}, fail() {}, restart() {}, lost() {} };

export class MdnDemo extends HTMLElement {
  // The kinds a page registers after this element is defined (kinds.js)
  // read their attributes when they start, but do not follow changes.
  static observedAttributes = ['kind', ...allAttributes()];

  #view = null;
  #kind = null;
  #link = null; // the engine link, once started
  #visible = false;
  #running = null; // what the worker was last told
  #observer = null;
  #unsubscribe = null;
  #state = {};
  #onVisibility = () => this.#updateRunning();

  constructor() {
    super();
    this.attachShadow({ mode: 'open' }).innerHTML = TEMPLATE;
  }

  connectedCallback() {
    this.#render();
    this.#observer = new IntersectionObserver((entries) => {
      this.#visible = entries[entries.length - 1].isIntersecting;
      this.#updateRunning();
    });
    this.#observer.observe(this);
    document.addEventListener('visibilitychange', this.#onVisibility);
    this.#unsubscribe = onBackend((b) => this.#showBackend(b));
  }

  disconnectedCallback() {
    this.#observer?.disconnect();
    document.removeEventListener('visibilitychange', this.#onVisibility);
    this.#unsubscribe?.();
    this.#stop();
    // Back in a page, it starts afresh once in view.
    if (this.#state.state !== 'failed') this.#set({ state: 'idle' });
  }

  attributeChangedCallback(name, oldValue, value) {
    if (!this.#view || oldValue === value) return;
    if (name === 'kind') {
      this.#render();
      this.#updateRunning();
    } else if (attributesOf(this.#kind).includes(name)) {
      this.#view.settingChanged(name);
    }
  }

  // (Re)builds the view for the current kind; a running demo of another
  // kind is dropped first.
  #render() {
    const kind = this.getAttribute('kind') || 'toy';
    if (this.#view && kind === this.#kind) return;
    this.#stop();
    this.#view?.dispose?.();
    const root = this.shadowRoot.querySelector('.view');
    this.#kind = kind;
    for (const key of Object.keys(this.#state)) {
      if (WORKER_STATE.has(key)) continue;
      delete this.#state[key];
      delete this.dataset[key];
    }
    this.#set({ kind, state: 'idle' });
    this.#view = NO_VIEW;
    const entry = kindNamed(kind);
    if (!entry) {
      const known = allKinds().map((k) => `kind="${k.name}"`).join(' or ');
      this.#showError(root, `Unknown demo kind “${kind}”: use ${known}.`);
      this.#set({ state: 'failed', error: `unknown kind ${kind}` });
      return;
    }
    if (loadedViews.has(kind)) {
      this.#createView(root, loadedViews.get(kind));
      return;
    }
    loadView(entry).then(
      (create) => {
        if (this.#kind === kind && this.#view === NO_VIEW) this.#createView(root, create);
      },
      (e) => {
        this.#showError(root, `The ${kind} demo could not be loaded (${e.message}).`);
        this.#set({ state: 'failed', error: e.message });
      },
    );
  }

  #createView(root, create) {
    this.#view = create(root, {
      host: this,
      send: (msg, transfer) => this.#link?.send(msg, transfer),
      progress: (fields) => this.#set(fields),
    });
    this.#updateRunning();
  }

  #showError(root, text) {
    root.innerHTML = '<p class="message message-error" role="alert"></p>';
    root.firstChild.textContent = text;
  }

  #stop() {
    this.#link?.detach();
    this.#link = null;
    this.#running = null;
  }

  // Starts the demo the first time it is visible, then tells the worker
  // whenever it should pause or resume.
  #updateRunning() {
    if (!this.#view || this.#view === NO_VIEW || this.#state.state === 'failed') return;
    const wanted = this.#visible && !document.hidden;
    if (!this.#link) {
      if (!wanted) return;
      this.#link = attach((msg) => this.#receive(msg), { backend: this.getAttribute('backend') });
      this.#set({ state: 'starting' });
      this.#view.start();
    }
    if (wanted !== this.#running) {
      this.#running = wanted;
      this.#link.send({ type: P.RUN, running: wanted });
    }
  }

  #receive(msg) {
    if (msg.type === P.RUNNING) {
      if (this.#state.state !== 'failed') this.#set({ state: msg.running ? 'running' : 'paused' });
    } else if (msg.type === P.FATAL) {
      this.shadowRoot.getElementById('backend-text').textContent = `failed to start: ${msg.message}`;
      this.#fail(msg.message);
    } else if (msg.type === P.DEMO_FAILED) {
      this.#fail(msg.message);
    } else if (msg.type === P.CRASHED) {
      if (this.#state.state === 'failed') return;
      if (msg.stopped) {
        // The new worker does not have this demo: a new model (Restart, a
        // picture) creates it there again.
        this.#running = null;
        this.#view.lost();
        this.#fail(`its model crashed twice in a row, so it was stopped (${msg.message})`);
        return;
      }
      this.#inNewWorker(`The model crashed (${msg.message}); the demo started again.`);
    } else if (msg.type === P.WEBGPU_FAILED) {
      if (this.#state.state === 'failed') return;
      // Nothing had trained: the backend line says why it is the CPU.
      this.#inNewWorker(null);
    } else if (msg.type === P.HANDOVER) {
      if (this.#state.state === 'failed') return;
      // On WebGPU, from the checkpoint the CPU worker sent as it stopped.
      this.#inNewWorker(`Moved to WebGPU, which trains faster here: ${msg.message}.`, {
        fromCheckpoint: true,
      });
    } else if (msg.type === P.DEVICE_LOST) {
      if (this.#state.state === 'failed') return;
      // On the CPU, from the demo's last checkpoint.
      this.#inNewWorker(`The GPU device was lost (${msg.message}): the demo goes on on the CPU.`, {
        fromCheckpoint: true,
      });
    } else {
      // A new model (Restart, another picture) after a failure runs again.
      const fresh = msg.type === kindNamed(this.#kind)?.started;
      if (fresh && this.#state.state === 'failed') {
        if (this.#running === null) {
          // Created again in a new worker (after a crash): tell it to run.
          this.#set({ state: 'starting', error: null });
          this.#updateRunning();
        } else {
          this.#set({ state: this.#running ? 'running' : 'paused', error: null });
        }
      }
      this.#view.receive(msg);
    }
  }

  // A new worker (after a crash or a GPU loss): this demo's model is
  // created again there (see the view's restart), and told to run if it
  // should.
  #inNewWorker(notice, restart = {}) {
    this.#running = null;
    this.#set({ state: 'starting' });
    this.#view.restart(notice, restart);
    this.#updateRunning();
  }

  #fail(message) {
    this.#set({ state: 'failed', error: message });
    this.#view.fail(message);
  }

  // The backend line: the backend and why, or the trial's figures and
  // decision once it has them.
  #showBackend({ kind, description, reason, device, module, wasmMs, trial }) {
    const text = this.shadowRoot.getElementById('backend-text');
    const name = kind === 'webgpu' ? `WebGPU, ${description}` : 'CPU';
    text.textContent = trial ? `${name}: ${trialText(trial)}` : `${name}${reason ? `: ${reason}` : ''}`;
    if (device) text.title = `device: ${device}; ${module} loaded and compiled in ${wasmMs} ms`;
    const measured = (rate) => (typeof rate === 'number' ? Number(rate.toPrecision(4)) : null);
    this.#set({
      backend: kind,
      wasmMs,
      backendTrial: trial?.state ?? null,
      trialWebgpu: measured(trial?.gpu),
      trialCpu: measured(trial?.cpu),
      trialUnit: trial?.gpu === undefined ? null : trial.unit,
    });
  }

  // Updates the live state: data-* attributes (a null value removes one) and
  // an mdn-progress event carrying all of it. A field the contract does not
  // declare (LiveState, in protocol.d.ts) nor the kind add is a bug, said
  // on the console and not shown.
  #set(fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (!LIVE_STATE.has(key) && !kindNamed(this.#kind)?.state.includes(key)) {
        console.error(`<mdn-demo>: "${key}" is no field of its live state (contract.rs's LiveState)`);
        continue;
      }
      if (value === null || value === undefined) {
        delete this.#state[key];
        delete this.dataset[key];
      } else {
        this.#state[key] = value;
        this.dataset[key] = String(value);
      }
    }
    this.dispatchEvent(
      new CustomEvent('mdn-progress', { detail: { ...this.#state }, bubbles: true, composed: true }),
    );
  }
}

// The views by kind, once loaded (kinds.js: each entry's `view()`).
const loadedViews = new Map();
const loadView = (entry) =>
  entry.view().then((create) => {
    loadedViews.set(entry.name, create);
    return create;
  });

// The views of the kinds registered so far start loading with the
// element (not awaited: a module's top-level await would define the element
// after the page's load event, under scripts that look for it then); a
// demo that renders before its view is in shows it once it is, and a kind
// a page registers later loads its view when a demo of it first renders
// (as does one whose view failed to load, which then says why).
for (const entry of allKinds()) loadView(entry).catch(() => {});
if (!customElements.get('mdn-demo')) customElements.define('mdn-demo', MdnDemo);
