// <mdn-demo kind="toy|paint">: one live MDN demo, the only way the page and
// any blog post show one. It renders inside an open shadow root (styles in
// www/demo-style.js, so neither the host page's CSS nor its own leak
// across), fills its container's width, and stays cheap until needed: the
// wasm worker (www/engine.js) is started only when a demo first scrolls
// into view, and a demo trains only while it is in view, the tab is
// visible and the reader has not paused it. Its first frame has its final
// layout (styles and view in hand, nothing below it moves later); a reader
// who asked for reduced motion gets that first frame and a Play button.
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
import { DEMO_CSS } from './demo-style.js';
import { TrainingSlots, pageMax } from './training-slots.js';
// The built-in kinds, which register themselves.
import './toy.js';
import './paint.js';

const P = globalThis.MdnProtocol;

const TEMPLATE = `
  <div class="frame">
    <div class="view"></div>
    <div class="demo-footer">
      <p class="backend" id="backend">
        <span class="backend-label">Backend:</span>
        <span id="backend-text">starts when scrolled into view</span>
        <span id="waiting" hidden></span>
      </p>
      <button type="button" class="play" id="play">Pause</button>
    </div>
  </div>`;

// One stylesheet for every demo of the page, made on first use.
let sheet = null;
function demoSheet() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(DEMO_CSS);
  }
  return sheet;
}

// The page's training slots (www/training-slots.js), made on first use,
// when the page's meta tags are in.
let slots = null;
const trainingSlots = () => (slots ??= new TrainingSlots(pageMax()));

// Steps of the share of a demo in view at which it is told again how much
// of it shows, so that the demos that show most train first.
const THRESHOLDS = Array.from({ length: 21 }, (_, i) => i / 20);

// A reader who asked for reduced motion: demos wait for Play.
const REDUCED_MOTION = '(prefers-reduced-motion: reduce)';

// The live state (data-*) that belongs to the page's one worker, not to a
// demo's kind: it stays when the kind changes, and everything else goes.
const LIVE_STATE = new Set(globalThis.MdnLiveState);
const WORKER_STATE = new Set(['backend', 'wasmMs', 'threads', 'backendTrial', 'trialWebgpu', 'trialCpu', 'trialUnit']);

// A view that shows nothing and does nothing: an unknown kind's.
const NO_VIEW = { start() {}, receive() {}, settingChanged() {}, fail() {}, restart() {}, lost() {} };

export class MdnDemo extends HTMLElement {
  // The kinds a page registers after this element is defined (kinds.js)
  // read their attributes when they start, but do not follow changes.
  static observedAttributes = ['kind', ...allAttributes()];

  #view = null;
  #kind = null;
  #link = null; // the engine link, once started
  #visible = false;
  #shown = 0; // CSS px of its height in view
  #running = null; // what the worker was last told
  #observer = null;
  #unsubscribe = null;
  #state = {};
  #held = null; // paused by the reader (Play/Pause), or waiting for Play
  #framed = false; // whether the model shown has sent a result (its first frame)
  #onVisibility = () => this.#updateRunning();

  constructor() {
    super();
    const shadow = this.attachShadow({ mode: 'open' });
    shadow.adoptedStyleSheets = [demoSheet()];
    shadow.innerHTML = TEMPLATE;
    shadow.getElementById('play').addEventListener('click', () => this.#hold(!this.#held));
  }

  connectedCallback() {
    if (this.#held === null) this.#hold(matchMedia(REDUCED_MOTION).matches);
    this.#render();
    this.#observer = new IntersectionObserver(
      (entries) => {
        const entry = entries[entries.length - 1];
        this.#visible = entry.isIntersecting;
        this.#shown = entry.isIntersecting ? entry.intersectionRect.height : 0;
        this.#updateRunning();
      },
      { threshold: THRESHOLDS },
    );
    this.#observer.observe(this);
    document.addEventListener('visibilitychange', this.#onVisibility);
    this.#unsubscribe = onBackend((b) => this.#showBackend(b));
  }

  disconnectedCallback() {
    this.#observer?.disconnect();
    document.removeEventListener('visibilitychange', this.#onVisibility);
    this.#unsubscribe?.();
    trainingSlots().release(this);
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
    this.#framed = false;
    const entry = kindNamed(kind);
    if (!entry) {
      const known = allKinds().map((k) => `kind="${k.name}"`).join(' or ');
      this.#showError(root, `Unknown demo kind “${kind}”: use ${known}.`);
      this.#set({ state: 'failed', error: `unknown kind ${kind}` });
      return;
    }
    this.#createView(root, entry.view);
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

  // Pauses the demo (Pause), or lets it run (Play).
  #hold(held) {
    this.#held = held;
    const button = this.shadowRoot.getElementById('play');
    button.innerHTML = held ? '<span aria-hidden="true">▶</span> Play' : '<span aria-hidden="true">❚❚</span> Pause';
    this.#updateRunning();
  }

  // The training slots' call when this demo gets or loses its slot.
  slotChanged() {
    this.#updateRunning();
  }

  // Starts the demo the first time it is visible and has a training slot,
  // then tells the worker whenever it should pause or resume. A held demo
  // runs until its model's first result, so that it shows a first frame.
  #updateRunning() {
    if (!this.#view || this.#view === NO_VIEW || this.#state.state === 'failed') {
      trainingSlots().request(this, false, 0);
      return;
    }
    const wanted = this.#visible && !document.hidden && !(this.#held && this.#framed);
    const granted = trainingSlots().request(this, wanted, this.#shown);
    if (!this.#link) {
      // Until it first starts, one in view says why it waits, in its
      // backend line's place (two lines, so nothing moves).
      const waiting = this.shadowRoot.getElementById('waiting');
      waiting.hidden = granted || !wanted;
      waiting.textContent = `Waiting: at most ${trainingSlots().max} demos of this page train at once; this one starts when one of them is paused or scrolled away.`;
      for (const sibling of waiting.parentElement.children) if (sibling !== waiting) sibling.hidden = !waiting.hidden;
      if (!granted) return;
      this.#link = attach((msg) => this.#receive(msg), { backend: this.getAttribute('backend') });
      this.#set({ state: 'starting' });
      this.#view.start();
    }
    if (granted !== this.#running) {
      this.#running = granted;
      this.#link.send({ type: P.RUN, running: granted });
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
          this.#updateRunning();
        }
      }
      this.#view.receive(msg);
      this.#firstFrame(msg);
    }
  }

  // A new model has its first frame to show, even held; a result is one.
  #firstFrame(msg) {
    const entry = kindNamed(this.#kind);
    if (msg.type === entry?.started) this.#framed = false;
    else if (msg.type === entry?.result) this.#framed = true;
    else return;
    if (this.#held) this.#updateRunning();
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
    // Its training slot goes to another demo.
    this.#updateRunning();
  }

  // The backend line: the backend and why, or the trial's figures and
  // decision once it has them.
  #showBackend({ kind, description, reason, device, module, wasmMs, threads, trial }) {
    const text = this.shadowRoot.getElementById('backend-text');
    const name = kind === 'webgpu' ? `WebGPU, ${description}` : threads > 1 ? `CPU, ${threads} threads` : 'CPU';
    text.textContent = trial ? `${name}: ${trialText(trial)}` : `${name}${reason ? `: ${reason}` : ''}`;
    // The line shows two lines of it: its title holds it all.
    const loaded = device ? ` (device: ${device}; ${module} loaded and compiled in ${wasmMs} ms)` : '';
    text.parentElement.title = `${text.textContent}${loaded}`;
    const measured = (rate) => (typeof rate === 'number' ? Number(rate.toPrecision(4)) : null);
    this.#set({
      backend: kind,
      wasmMs,
      threads: kind === 'cpu' ? (threads ?? 1) : null,
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

if (!customElements.get('mdn-demo')) customElements.define('mdn-demo', MdnDemo);
