// GENERATED from crates/mdn-web/src/contract.rs by its test: do not edit
// (UPDATE_CONTRACT=1 cargo test --workspace --lib contract rewrites it).
// The worker's messages and what the wasm hands the page, for editors and
// for authors who script <mdn-demo>.

/**
 * Messages from the page to the worker (`type` names each; see the module
 * docs for which carry an `id`).
 */
export type ToWorker = { "type": "init", 
/**
 * "webgpu", "cpu" or null.
 */
backend: string | null, 
/**
 * Why this backend.
 */
reason?: string, 
/**
 * The worker scripts of the demo kinds.
 */
kinds: Array<string>, 
/**
 * Honour the test-only messages.
 */
testHooks?: boolean, 
/**
 * Tests only.
 */
refuseGpuDevice?: boolean, 
/**
 * Tests only.
 */
trialSoftware?: boolean, 
/**
 * The most threads the CPU backend may train on (`?threads=` in
 * the page's URL): 1 keeps the single-threaded module; absent, as
 * many as the reader's cores up to 8, where the page is
 * cross-origin isolated (www/worker/backend.js, `threadsFor`).
 */
threads?: number, } | { "type": "create", 
/**
 * The demo.
 */
id: number, 
/**
 * Its kind (a name in `www/kinds.js`).
 */
kind: string, 
/**
 * [`ToyOptions`] or [`PaintOptions`].
 */
options?: ToyOptions | PaintOptions | Record<string, unknown>, 
/**
 * A toy's sample temperatures.
 */
tau?: Tau, 
/**
 * Whether a toy's snapshots carry the panels.
 */
panels?: boolean, 
/**
 * What a painting shows.
 */
view?: PaintView, 
/**
 * A toy's checkpoint to go on from.
 */
checkpoint?: NamedFile, } | { "type": "remove", 
/**
 * The demo.
 */
id: number, } | { "type": "run", 
/**
 * The demo.
 */
id: number, 
/**
 * Train or pause.
 */
running: boolean, } | { "type": "toy-restart", 
/**
 * The demo.
 */
id: number, 
/**
 * New options.
 */
options?: ToyOptions, } | { "type": "toy-points", 
/**
 * The demo.
 */
id: number, 
/**
 * x.
 */
x: Float32Array, 
/**
 * y.
 */
y: Float32Array, 
/**
 * The plot.
 */
bounds: Bounds, } | { "type": "toy-probe", 
/**
 * The demo.
 */
id: number, 
/**
 * x₀, reader's units.
 */
x: number | null, } | { "type": "toy-display", 
/**
 * The demo.
 */
id: number, 
/**
 * The temperatures.
 */
tau: Tau, 
/**
 * The panels' values.
 */
panels: boolean, } | { "type": "paint-image", 
/**
 * The demo.
 */
id: number, 
/**
 * The picture's file.
 */
bytes: ArrayBuffer | Uint8Array, 
/**
 * Its name.
 */
name: string, 
/**
 * The painting's options.
 */
options: PaintOptions, } | { "type": "paint-options", 
/**
 * The demo.
 */
id: number, 
/**
 * The options.
 */
options: PaintOptions, } | { "type": "paint-view", 
/**
 * The demo.
 */
id: number, 
/**
 * The view.
 */
view: PaintView, } | { "type": "save-model", 
/**
 * The demo.
 */
id: number, } | { "type": "load-model", 
/**
 * The demo.
 */
id: number, 
/**
 * The file.
 */
bytes: ArrayBuffer | Uint8Array, 
/**
 * Its name.
 */
name: string, } | { "type": "checkpoint-now", 
/**
 * The demo, or null for every demo.
 */
id: number | null, 
/**
 * Stop training here.
 */
stop: boolean, } | { "type": "test-lose-device", } | { "type": "test-trap", 
/**
 * The demo kind.
 */
kind: string, };

/**
 * Messages from the worker to the page (and a few from the engine to
 * every demo); `type` names each.
 */
export type FromWorker = { "type": "backend", 
/**
 * "webgpu" or "cpu".
 */
kind: string, 
/**
 * The adapter, on WebGPU.
 */
description?: string, 
/**
 * Why this backend.
 */
reason: string, 
/**
 * The wasm's description of its device.
 */
device: string, 
/**
 * "mdn-web_bg.wasm", "mdn-web-cpu_bg.wasm" or
 * "mdn-web-threads_bg.wasm".
 */
module: string, 
/**
 * Fetch, compile and instantiate, ms (with the threaded module,
 * and its pool's workers started).
 */
wasmMs: number, 
/**
 * Threads the CPU backend trains on (absent on WebGPU).
 */
threads?: number, 
/**
 * The WebGPU adapter the trial measures.
 */
candidate?: string, } | { "type": "fatal", 
/**
 * Why.
 */
message: string, 
/**
 * Whether loading failed.
 */
loading?: boolean, } | { "type": "crashed", 
/**
 * The demo whose call trapped (null: none, or not known; absent
 * in the engine's message to every demo).
 */
culprit?: number | null, 
/**
 * The trap's message.
 */
message: string, 
/**
 * From the engine: this demo is not started again.
 */
stopped?: boolean, } | { "type": "running", 
/**
 * The demo.
 */
id: number, 
/**
 * Training or paused.
 */
running: boolean, } | { "type": "model-file", 
/**
 * The demo.
 */
id: number, 
/**
 * A painting's epoch.
 */
epoch?: number, 
/**
 * A toy's step.
 */
step?: number, 
/**
 * The file.
 */
bytes?: Uint8Array, 
/**
 * Why there is no file.
 */
message?: string, } | { "type": "checkpoint", 
/**
 * The demo.
 */
id: number, 
/**
 * The file.
 */
bytes: Uint8Array, 
/**
 * A painting's epoch.
 */
epoch: number | null, 
/**
 * A toy's step.
 */
step: number | null, } | { "type": "checkpointed", 
/**
 * The demo asked for, or null.
 */
id: number | null, 
/**
 * As asked.
 */
stop: boolean, } | { "type": "handover", 
/**
 * The trial's figures.
 */
message: string, } | { "type": "device-lost", 
/**
 * Why.
 */
message: string, } | { "type": "webgpu-failed", 
/**
 * Why.
 */
message: string, } | { "type": "demo-failed", 
/**
 * The demo.
 */
id: number, 
/**
 * Why.
 */
message: string, } | { "type": "toy-data", 
/**
 * The demo.
 */
id: number, 
/**
 * The model's seed; null for a loaded one.
 */
seed: number | null, 
/**
 * The demo's options.
 */
options: ToyOptions, 
/**
 * Training points' x (empty without a model).
 */
x: Float32Array, 
/**
 * Training points' y.
 */
y: Float32Array, 
/**
 * The plot.
 */
bounds: Bounds | null, 
/**
 * The model.
 */
model?: ToyModel, 
/**
 * How a loaded model goes on.
 */
resumed?: ToyResumed, } | { "type": "toy-snapshot", 
/**
 * The demo.
 */
id: number, 
/**
 * Steps taken.
 */
step: number, 
/**
 * The MDN's NLL over all training points, nats per point.
 */
nll: number, 
/**
 * The plot's rectangle, which the grids span.
 */
bounds: Bounds, 
/**
 * The grid of x, `[G]`.
 */
grid_x: Float32Array, 
/**
 * The grid of y, `[H]`.
 */
grid_y: Float32Array, 
/**
 * Mixture samples of y, `[G, 10]`, at the snapshot's temperatures.
 */
samples: Float32Array, 
/**
 * The least-squares fit of y, `[G]`.
 */
mse_y: Float32Array, 
/**
 * log p(grid_y[h] | grid_x[g]) at `g·H + h`, nats.
 */
log_density: Float32Array, 
/**
 * K.
 */
components: number, 
/**
 * π_k at each grid x, `[G, K]`.
 */
pi: Float32Array, 
/**
 * μ_k at each grid x, `[G, K]`.
 */
mu: Float32Array, 
/**
 * σ_k at each grid x, `[G, K]`.
 */
sigma: Float32Array, 
/**
 * The conditional mode argmax_y p(y | x) at each grid x, `[G]`.
 */
mode: Float32Array, 
/**
 * The conditional density at the probed x₀, if one is set.
 */
probe: Probe | null, 
/**
 * Adam's learning rate from now on.
 */
learning_rate: number, 
/**
 * A sentence for the page when training had diverged (everything is
 * then the restored model's).
 */
recovery: string | null, } | { "type": "toy-error", 
/**
 * The demo.
 */
id: number, 
/**
 * Why, for the reader.
 */
message: string, } | { "type": "paint-start", 
/**
 * The demo.
 */
id: number, 
/**
 * The picture.
 */
name: string, 
/**
 * The model file it came from.
 */
model: string | null, 
/**
 * The options it trains with.
 */
options: PaintOptions, 
/**
 * Training width, px.
 */
width: number, 
/**
 * Training height, px.
 */
height: number, 
/**
 * Something to know about the upload.
 */
notice: string | null, 
/**
 * The training picture.
 */
target: Uint8ClampedArray, 
/**
 * Where a loaded model goes on from.
 */
resumed: PaintResumed | null, } | { "type": "paint-epoch", 
/**
 * The demo.
 */
id: number, 
/**
 * The view it was made for.
 */
view: string, 
/**
 * Epochs completed.
 */
epoch: number, 
/**
 * NLL over all pixels, nats per pixel.
 */
nll: number, 
/**
 * PSNR of the mode colours against the training picture, dB.
 */
psnr: number, 
/**
 * PSNR of the mean colours, dB.
 */
psnr_mean: number, 
/**
 * PSNR of what the view shows, dB.
 */
psnr_view: number, 
/**
 * The mode colours (the heaviest component's mean).
 */
rgba: Uint8ClampedArray, 
/**
 * The mean colours.
 */
mean_rgba: Uint8ClampedArray, 
/**
 * The sample view's colours, drawn at its temperatures.
 */
view_rgba: Uint8ClampedArray | null, 
/**
 * The uncertainty view's predictive standard deviation of every
 * pixel, colour units.
 */
spread: Float32Array | null, 
/**
 * Adam's learning rate from now on.
 */
learning_rate: number, 
/**
 * A sentence for the page when training had diverged (the repaint is
 * then the restored model's).
 */
recovery: string | null, } | { "type": "paint-preview", 
/**
 * The demo.
 */
id: number, 
/**
 * Epochs completed.
 */
epoch: number, 
/**
 * The share of the current epoch's steps taken, 0 to 1.
 */
epoch_fraction: number, 
/**
 * Render width, px (at most the training width).
 */
width: number, 
/**
 * Render height, px.
 */
height: number, 
/**
 * The mode colours, `width · height · 4` bytes.
 */
rgba: Uint8ClampedArray, } | { "type": "paint-error", 
/**
 * The demo.
 */
id: number, 
/**
 * What was refused, for the reader.
 */
what: string, 
/**
 * Why.
 */
message: string, 
/**
 * The running painting's options.
 */
options: PaintOptions | null, } | { "type": "test-echo", 
/**
 * The demo.
 */
id: number, 
/**
 * Its options, as it got them.
 */
options: Record<string, unknown>, };

/**
 * Options of a toy, all optional: `data`, `components` and
 * `hidden-units` as `mdn_core::settings::TOY` defines them; with `data:
 * "draw"`, the reader's points `x` and `y` (the reader's units) and the
 * plot's `bounds` they were drawn in (default: around the points).
 */
export type ToyOptions = { 
/**
 * The data set's name, or "draw".
 */
data?: Raw, 
/**
 * K, the mixture's components.
 */
components?: Raw, 
/**
 * Hidden units of the MDN's one hidden layer.
 */
"hidden-units"?: Raw, 
/**
 * The learning rate the MDN starts from.
 */
"learning-rate"?: Raw, 
/**
 * Drawn points' x.
 */
x?: Array<number>, 
/**
 * Drawn points' y.
 */
y?: Array<number>, 
/**
 * The plot the points were drawn in.
 */
bounds?: Bounds, };

/**
 * Options of a painting, all optional: the first four as
 * `mdn_core::settings::PAINT` defines them; `seed` draws the model;
 * `workload: "w2"` or `"w5"` trains with that workload's exact settings
 * (for the benchmark) instead of the page's.
 */
export type PaintOptions = { 
/**
 * The training picture's longer side, px.
 */
size?: Raw, 
/**
 * How a pixel's position is encoded.
 */
encoding?: Raw, 
/**
 * The components' covariance.
 */
covariance?: Raw, 
/**
 * K, the mixture's components.
 */
components?: Raw, 
/**
 * The model's seed.
 */
seed?: number, 
/**
 * A benchmark workload's settings.
 */
workload?: string, };

/**
 * A setting's value as the page sends it: a number or its text, read by
 * the setting's parser in `mdn_core::settings`.
 */
export type Raw = number | string;

/**
 * The rectangle a toy is plotted in, reader's units (see
 * `mdn_core::toy::Bounds`).
 */
export type Bounds = { 
/**
 * Left edge.
 */
x0: number, 
/**
 * Right edge.
 */
x1: number, 
/**
 * Bottom edge.
 */
y0: number, 
/**
 * Top edge.
 */
y1: number, };

/**
 * The temperatures samples are drawn at.
 */
export type Tau = { 
/**
 * Of the mixture weights.
 */
pi: number, 
/**
 * Of the variances.
 */
sigma: number, };

/**
 * What a painting's repaints show.
 */
export type PaintView = { 
/**
 * "mode", "mean", "sample" or "uncertainty".
 */
name: string, 
/**
 * The sample's temperature of the mixture weights.
 */
tauPi: number, 
/**
 * The sample's temperature of the variances.
 */
tauSigma: number, };

/**
 * A model file with the name it is known by.
 */
export type NamedFile = { 
/**
 * Its bytes.
 */
bytes: ArrayBuffer | Uint8Array, 
/**
 * Its name, as the page says it.
 */
name: string, };

/**
 * A toy model's size and data set.
 */
export type ToyModel = { 
/**
 * The built-in data set's name, "inverse" for a reader's points.
 */
set: string, 
/**
 * K.
 */
components: number, 
/**
 * Hidden units.
 */
hidden: number, };

/**
 * A toy run's training points, plot and model size.
 */
export type ToyDataset = { 
/**
 * Training points' x, reader's units.
 */
x: Float32Array, 
/**
 * Training points' y, reader's units.
 */
y: Float32Array, 
/**
 * The plot's rectangle.
 */
bounds: Bounds, 
/**
 * The model.
 */
model: ToyModel, };

/**
 * How a toy loaded from a model file goes on.
 */
export type ToyResumed = { 
/**
 * The file's name.
 */
name: string, 
/**
 * The step it goes on from.
 */
step: number, 
/**
 * Whether it was the demo's own checkpoint (its options unchanged).
 */
checkpoint: boolean, };

/**
 * Where a painting loaded from a model file goes on from.
 */
export type PaintResumed = { 
/**
 * The epoch it goes on from.
 */
epoch: number, };

/**
 * The conditional density at a probed x₀ (see `mdn_core::toy::Probe`).
 */
export type Probe = { 
/**
 * x₀, reader's units.
 */
x: number, 
/**
 * p(y_h | x₀) over the snapshot's `grid_y`, `[H]`.
 */
density: Float32Array, 
/**
 * π_k N(y_h; μ_k, σ_k²) at x₀, `[K, H]` row-major.
 */
components: Float32Array, };

/**
 * What the toy's models predict now, reader's units (see
 * `mdn_core::toy::ToySnapshot`): the panels' arrays (`log_density`, `pi`,
 * `mu`, `sigma`, `mode`) are empty, and `probe` null, when the panels are
 * off.
 */
export type ToySnapshot = { 
/**
 * Steps taken.
 */
step: number, 
/**
 * The MDN's NLL over all training points, nats per point.
 */
nll: number, 
/**
 * The plot's rectangle, which the grids span.
 */
bounds: Bounds, 
/**
 * The grid of x, `[G]`.
 */
grid_x: Float32Array, 
/**
 * The grid of y, `[H]`.
 */
grid_y: Float32Array, 
/**
 * Mixture samples of y, `[G, 10]`, at the snapshot's temperatures.
 */
samples: Float32Array, 
/**
 * The least-squares fit of y, `[G]`.
 */
mse_y: Float32Array, 
/**
 * log p(grid_y[h] | grid_x[g]) at `g·H + h`, nats.
 */
log_density: Float32Array, 
/**
 * K.
 */
components: number, 
/**
 * π_k at each grid x, `[G, K]`.
 */
pi: Float32Array, 
/**
 * μ_k at each grid x, `[G, K]`.
 */
mu: Float32Array, 
/**
 * σ_k at each grid x, `[G, K]`.
 */
sigma: Float32Array, 
/**
 * The conditional mode argmax_y p(y | x) at each grid x, `[G]`.
 */
mode: Float32Array, 
/**
 * The conditional density at the probed x₀, if one is set.
 */
probe: Probe | null, 
/**
 * Adam's learning rate from now on.
 */
learning_rate: number, 
/**
 * A sentence for the page when training had diverged (everything is
 * then the restored model's).
 */
recovery: string | null, };

/**
 * The repaint after an epoch (see `mdn_core::paint::Repaint`): the mode
 * and mean colours of every pixel, and what the view adds.
 */
export type Repaint = { 
/**
 * Epochs completed.
 */
epoch: number, 
/**
 * NLL over all pixels, nats per pixel.
 */
nll: number, 
/**
 * PSNR of the mode colours against the training picture, dB.
 */
psnr: number, 
/**
 * PSNR of the mean colours, dB.
 */
psnr_mean: number, 
/**
 * PSNR of what the view shows, dB.
 */
psnr_view: number, 
/**
 * The mode colours (the heaviest component's mean).
 */
rgba: Uint8ClampedArray, 
/**
 * The mean colours.
 */
mean_rgba: Uint8ClampedArray, 
/**
 * The sample view's colours, drawn at its temperatures.
 */
view_rgba: Uint8ClampedArray | null, 
/**
 * The uncertainty view's predictive standard deviation of every
 * pixel, colour units.
 */
spread: Float32Array | null, 
/**
 * Adam's learning rate from now on.
 */
learning_rate: number, 
/**
 * A sentence for the page when training had diverged (the repaint is
 * then the restored model's).
 */
recovery: string | null, };

/**
 * A coarse look at the painting while an epoch trains (see
 * `mdn_core::paint::Preview`): the worker sends one now and then until
 * the first repaint, where an epoch is slow (a large `size`).
 */
export type Preview = { 
/**
 * Epochs completed.
 */
epoch: number, 
/**
 * The share of the current epoch's steps taken, 0 to 1.
 */
epoch_fraction: number, 
/**
 * Render width, px (at most the training width).
 */
width: number, 
/**
 * Render height, px.
 */
height: number, 
/**
 * The mode colours, `width · height · 4` bytes.
 */
rgba: Uint8ClampedArray, };

/**
 * An uploaded file's format and size from its header, before any pixel
 * is decoded (see `mdn_core::picture::inspect`).
 */
export type PictureHeader = { 
/**
 * "png", "jpeg", "webp", "gif", "bmp" or "tiff".
 */
format: string, 
/**
 * Width, px.
 */
width: number, 
/**
 * Height, px.
 */
height: number, };

/**
 * A demo's live state, as `<mdn-demo>` shows it: its `data-*` attributes
 * (`data-psnr-mean` for `psnrMean`) and the `detail` of its
 * `mdn-progress` events, which hold every field set so far. A field is
 * absent until known, and removed when no longer true. A kind of a page's
 * own adds its fields in its `www/kinds.js` entry (`state`).
 */
export type LiveState = { 
/**
 * The demo kind.
 */
kind?: string, 
/**
 * "idle", "starting", "running", "paused" or "failed".
 */
state?: string, 
/**
 * Why it failed.
 */
error?: string, 
/**
 * The worker's backend: "webgpu" or "cpu".
 */
backend?: string, 
/**
 * The worker's wasm fetch, compile and instantiate, ms.
 */
wasmMs?: number, 
/**
 * Threads the CPU backend trains on: 1 in the single-threaded module,
 * 2 to 8 in the threaded one (a cross-origin isolated page); absent on
 * WebGPU.
 */
threads?: number, 
/**
 * The backend trial: "measuring", "cpu" or "webgpu" (its decision).
 */
backendTrial?: string, 
/**
 * The rate the trial measured on WebGPU, in `trialUnit`.
 */
trialWebgpu?: number, 
/**
 * The rate the trial measured on the CPU, in `trialUnit`.
 */
trialCpu?: number, 
/**
 * "epochs/s" or "steps/s".
 */
trialUnit?: string, 
/**
 * A sentence when training had diverged and went back.
 */
recovery?: string, 
/**
 * NLL of the latest result, nats per point (toy) or per pixel
 * (painting); absent when not finite.
 */
nll?: number, 
/**
 * K of the running model.
 */
components?: number, 
/**
 * The step of the demo's latest checkpoint (toy, on WebGPU).
 */
checkpointStep?: number, 
/**
 * The epoch of the demo's latest checkpoint (painting, on WebGPU).
 */
checkpointEpoch?: number, 
/**
 * The name of the model file last saved.
 */
savedModel?: string, 
/**
 * Its size, bytes.
 */
savedModelBytes?: number, 
/**
 * Toy: steps taken.
 */
step?: number, 
/**
 * Toy: the model's seed.
 */
seed?: number, 
/**
 * Toy: the data set's name.
 */
data?: string, 
/**
 * Toy: hidden units.
 */
hiddenUnits?: number, 
/**
 * Toy: training points.
 */
points?: number, 
/**
 * Toy: the probed x₀.
 */
probeX?: number, 
/**
 * Toy: the MDN's learning rate now (the guard lowers it at every
 * recovery).
 */
learningRate?: number, 
/**
 * Toy: the plot's layers shown, space-separated.
 */
layers?: string, 
/**
 * Painting: epochs completed.
 */
epoch?: number, 
/**
 * Painting: PSNR of the mode colours, dB.
 */
psnr?: number, 
/**
 * Painting: PSNR of the mean colours, dB.
 */
psnrMean?: number, 
/**
 * Painting: the picture's name.
 */
image?: string, 
/**
 * Painting: the model file its picture came from.
 */
model?: string, 
/**
 * Painting: the encoding.
 */
encoding?: string, 
/**
 * Painting: the covariance.
 */
covariance?: string, 
/**
 * Painting: "on" while a video is recorded.
 */
recording?: string, 
/**
 * Painting: frames in the video recorded (or being recorded).
 */
recordedFrames?: number, };

