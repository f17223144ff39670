//! The contract between the wasm, the worker and the page, declared once:
//! every worker message ([`ToWorker`], [`FromWorker`]), the demos' options
//! ([`ToyOptions`], [`PaintOptions`]) and what the wasm hands the page
//! ([`ToySnapshot`], [`Repaint`], [`ToyDataset`], [`PictureHeader`]).
//!
//! The page's copies are generated from these types by this module's test:
//! `www/protocol.js` (every message's `type`, as `MdnProtocol.NAME`) and
//! `www/protocol.d.ts` (every type, with these doc comments, for editors
//! and for authors who script the element). The test fails when either is
//! stale; `UPDATE_CONTRACT=1 cargo test --workspace --lib contract`
//! rewrites them. The results are built here and forwarded by the worker
//! as they come (see `www/worker.js`), so a new field of a result is added
//! to its type here and read where it is drawn, and nowhere in between.
//!
//! Every message to the worker carries the demo's `id` (given by
//! `www/engine.js`) but `init`, `test-lose-device` and `test-trap`, which
//! concern the whole worker, and `checkpoint-now`, whose id may be null
//! (every demo). Every message from it carries one too but `backend`,
//! `fatal`, `crashed` (which names its `culprit`), `device-lost` and
//! `webgpu-failed`, which concern the whole worker, and `checkpointed` (the
//! id asked for, or null); `handover` comes from the engine to every demo.
//! Typed arrays are transferred, not copied. Field names are the Rust
//! ones, but where a message's struct says camelCase.

use js_sys::{Float32Array, Uint8Array, Uint8ClampedArray};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use wasm_bindgen::{JsCast, JsValue};

/// Declares a typed array (or any JavaScript value) that crosses the
/// boundary as itself: serde_wasm_bindgen passes it through untouched
/// (`preserve`), and the TypeScript declarations name its JavaScript type.
///
/// Read back ([`crate::check_message`]'s only use of it), it is only
/// required to be there: serde reads an internally tagged enum's fields
/// through a buffer of plain values first, which a JavaScript object does
/// not survive (the check sees `true` in a buffer's place), so its type
/// cannot be checked there.
macro_rules! js_typed {
    ($(#[$doc:meta])* $name:ident($js:ty, $ts:literal)) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Serialize)]
        #[serde(transparent)]
        pub struct $name(#[serde(with = "serde_wasm_bindgen::preserve")] pub $js);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                serde::de::IgnoredAny::deserialize(deserializer)?;
                Ok(Self(JsValue::UNDEFINED.unchecked_into()))
            }
        }

        impl TS for $name {
            type WithoutGenerics = Self;
            type OptionInnerType = Self;
            fn name(_: &ts_rs::Config) -> String {
                $ts.to_string()
            }
            fn inline(cfg: &ts_rs::Config) -> String {
                Self::name(cfg)
            }
        }
    };
}

js_typed!(
    /// `f32` values, as a `Float32Array` of its own (not a view into the
    /// wasm's memory, so it can be transferred).
    F32s(Float32Array, "Float32Array")
);
js_typed!(
    /// RGBA8 pixels, row-major, as a `Uint8ClampedArray` (`ImageData`'s).
    Rgba(Uint8ClampedArray, "Uint8ClampedArray")
);
js_typed!(
    /// A file's bytes (a model file) as the wasm returns them.
    Bytes(Uint8Array, "Uint8Array")
);
js_typed!(
    /// A value the contract does not look into: a demo kind's options in
    /// messages that any kind may carry (each kind's wasm class reads its
    /// own: [`ToyOptions`], [`PaintOptions`]).
    Opaque(JsValue, "unknown")
);

js_typed!(
    /// A file's bytes as the page sends them (transferred): an
    /// `ArrayBuffer`, or a `Uint8Array` (a checkpoint the page kept).
    Buffer(JsValue, "ArrayBuffer | Uint8Array")
);

impl F32s {
    /// A new `Float32Array` holding `values`.
    pub fn from_slice(values: &[f32]) -> Self {
        Self(Float32Array::from(values))
    }
}

impl Rgba {
    /// A new `Uint8ClampedArray` holding `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Self {
        let array = Uint8ClampedArray::new_with_length(bytes.len() as u32);
        array.copy_from(bytes);
        Self(array)
    }
}

impl Bytes {
    /// A new `Uint8Array` holding `bytes`.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self(Uint8Array::from(bytes))
    }
}

/// `value` as the page receives it: plain objects, `null` for a missing
/// value (`Option::None`), typed arrays as themselves.
///
/// # Errors
/// Only for a value serde cannot represent in JavaScript (none of the
/// contract's types).
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, serde_wasm_bindgen::Error> {
    let serializer = serde_wasm_bindgen::Serializer::new()
        .serialize_maps_as_objects(true)
        .serialize_missing_as_null(true);
    value.serialize(&serializer)
}

/// A setting's value as the page sends it: a number or its text, read by
/// the setting's parser in `mdn_core::settings`.
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
#[serde(untagged)]
pub enum Raw {
    /// A number, as a `<select>` of numbers or a script gives it.
    Number(f64),
    /// Text, as an attribute or the URL gives it.
    Text(String),
}

impl Raw {
    /// The value as text, which the settings' parsers read.
    pub fn text(&self) -> String {
        match self {
            Raw::Number(v) => v.to_string(),
            Raw::Text(t) => t.clone(),
        }
    }
}

/// The rectangle a toy is plotted in, reader's units (see
/// `mdn_core::toy::Bounds`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, TS)]
pub struct Bounds {
    /// Left edge.
    pub x0: f32,
    /// Right edge.
    pub x1: f32,
    /// Bottom edge.
    pub y0: f32,
    /// Top edge.
    pub y1: f32,
}

impl From<mdn_core::toy::Bounds> for Bounds {
    fn from(b: mdn_core::toy::Bounds) -> Self {
        Self {
            x0: b.x0,
            x1: b.x1,
            y0: b.y0,
            y1: b.y1,
        }
    }
}

impl From<Bounds> for mdn_core::toy::Bounds {
    fn from(b: Bounds) -> Self {
        Self {
            x0: b.x0,
            x1: b.x1,
            y0: b.y0,
            y1: b.y1,
        }
    }
}

/// Options of a toy, all optional: `data`, `components` and
/// `hidden-units` as `mdn_core::settings::TOY` defines them; with `data:
/// "draw"`, the reader's points `x` and `y` (the reader's units) and the
/// plot's `bounds` they were drawn in (default: around the points).
#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct ToyOptions {
    /// The data set's name, or "draw".
    pub data: Option<Raw>,
    /// K, the mixture's components.
    pub components: Option<Raw>,
    /// Hidden units of the MDN's one hidden layer.
    #[serde(rename = "hidden-units")]
    pub hidden: Option<Raw>,
    /// The learning rate the MDN starts from.
    #[serde(rename = "learning-rate")]
    pub learning_rate: Option<Raw>,
    /// Drawn points' x.
    pub x: Option<Vec<f32>>,
    /// Drawn points' y.
    pub y: Option<Vec<f32>>,
    /// The plot the points were drawn in.
    pub bounds: Option<Bounds>,
}

/// Options of a painting, all optional: the first four as
/// `mdn_core::settings::PAINT` defines them; `seed` draws the model;
/// `workload: "w2"` or `"w5"` trains with that workload's exact settings
/// (for the benchmark) instead of the page's.
#[derive(Clone, Debug, Default, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct PaintOptions {
    /// The training picture's longer side, px.
    pub size: Option<Raw>,
    /// How a pixel's position is encoded.
    pub encoding: Option<Raw>,
    /// The components' covariance.
    pub covariance: Option<Raw>,
    /// K, the mixture's components.
    pub components: Option<Raw>,
    /// The model's seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u32>,
    /// A benchmark workload's settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
}

/// An uploaded file's format and size from its header, before any pixel
/// is decoded (see `mdn_core::picture::inspect`).
#[derive(Clone, Debug, Serialize, TS)]
pub struct PictureHeader {
    /// "png", "jpeg", "webp", "gif", "bmp" or "tiff".
    pub format: String,
    /// Width, px.
    pub width: u32,
    /// Height, px.
    pub height: u32,
}

/// A toy model's size and data set.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ToyModel {
    /// The built-in data set's name, "inverse" for a reader's points.
    pub set: String,
    /// K.
    pub components: u32,
    /// Hidden units.
    pub hidden: u32,
}

/// A toy run's training points, plot and model size.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ToyDataset {
    /// Training points' x, reader's units.
    pub x: F32s,
    /// Training points' y, reader's units.
    pub y: F32s,
    /// The plot's rectangle.
    pub bounds: Bounds,
    /// The model.
    pub model: ToyModel,
}

/// The conditional density at a probed x₀ (see `mdn_core::toy::Probe`).
#[derive(Clone, Debug, Serialize, TS)]
pub struct Probe {
    /// x₀, reader's units.
    pub x: f32,
    /// p(y_h | x₀) over the snapshot's `grid_y`, `[H]`.
    pub density: F32s,
    /// π_k N(y_h; μ_k, σ_k²) at x₀, `[K, H]` row-major.
    pub components: F32s,
}

/// What the toy's models predict now, reader's units (see
/// `mdn_core::toy::ToySnapshot`): the panels' arrays (`log_density`, `pi`,
/// `mu`, `sigma`, `mode`) are empty, and `probe` null, when the panels are
/// off.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ToySnapshot {
    /// Steps taken.
    pub step: u32,
    /// The MDN's NLL over all training points, nats per point.
    pub nll: f32,
    /// The plot's rectangle, which the grids span.
    pub bounds: Bounds,
    /// The grid of x, `[G]`.
    pub grid_x: F32s,
    /// The grid of y, `[H]`.
    pub grid_y: F32s,
    /// Mixture samples of y, `[G, 10]`, at the snapshot's temperatures.
    pub samples: F32s,
    /// The least-squares fit of y, `[G]`.
    pub mse_y: F32s,
    /// log p(grid_y[h] | grid_x[g]) at `g·H + h`, nats.
    pub log_density: F32s,
    /// K.
    pub components: u32,
    /// π_k at each grid x, `[G, K]`.
    pub pi: F32s,
    /// μ_k at each grid x, `[G, K]`.
    pub mu: F32s,
    /// σ_k at each grid x, `[G, K]`.
    pub sigma: F32s,
    /// The conditional mode argmax_y p(y | x) at each grid x, `[G]`.
    pub mode: F32s,
    /// The conditional density at the probed x₀, if one is set.
    pub probe: Option<Probe>,
    /// Adam's learning rate from now on.
    pub learning_rate: f64,
    /// A sentence for the page when training had diverged (everything is
    /// then the restored model's).
    pub recovery: Option<String>,
}

impl ToySnapshot {
    /// The wire form of `s`, judged by the guard (`learning_rate`,
    /// `recovery`).
    pub fn new(
        s: &mdn_core::toy::ToySnapshot,
        learning_rate: f64,
        recovery: Option<String>,
    ) -> Self {
        let f = |v: &[f32]| F32s::from_slice(v);
        Self {
            step: s.step as u32,
            nll: s.nll,
            bounds: s.bounds.into(),
            grid_x: f(&s.grid_x),
            grid_y: f(&s.grid_y),
            samples: f(&s.samples),
            mse_y: f(&s.mse_y),
            log_density: f(&s.log_density),
            components: (s.components.pi.len() / s.grid_x.len().max(1)) as u32,
            pi: f(&s.components.pi),
            mu: f(&s.components.mu),
            sigma: f(&s.components.sigma),
            mode: f(&s.mode),
            probe: s.probe.as_ref().map(|p| Probe {
                x: p.x,
                density: f(&p.density),
                components: f(&p.components),
            }),
            learning_rate,
            recovery,
        }
    }
}

/// The repaint after an epoch (see `mdn_core::paint::Repaint`): the mode
/// and mean colours of every pixel, and what the view adds.
#[derive(Clone, Debug, Serialize, TS)]
pub struct Repaint {
    /// Epochs completed.
    pub epoch: u32,
    /// NLL over all pixels, nats per pixel.
    pub nll: f32,
    /// PSNR of the mode colours against the training picture, dB.
    pub psnr: f32,
    /// PSNR of the mean colours, dB.
    pub psnr_mean: f32,
    /// PSNR of what the view shows, dB.
    pub psnr_view: f32,
    /// The mode colours (the heaviest component's mean).
    pub rgba: Rgba,
    /// The mean colours.
    pub mean_rgba: Rgba,
    /// The sample view's colours, drawn at its temperatures.
    pub view_rgba: Option<Rgba>,
    /// The uncertainty view's predictive standard deviation of every
    /// pixel, colour units.
    pub spread: Option<F32s>,
    /// Adam's learning rate from now on.
    pub learning_rate: f64,
    /// A sentence for the page when training had diverged (the repaint is
    /// then the restored model's).
    pub recovery: Option<String>,
}

impl Repaint {
    /// The wire form of `r`, judged by the guard (`learning_rate`,
    /// `recovery`).
    pub fn new(r: &mdn_core::paint::Repaint, learning_rate: f64, recovery: Option<String>) -> Self {
        use mdn_core::picture::rgb_to_rgba8;
        let rgba = |rgb: &[f32]| Rgba::from_slice(&rgb_to_rgba8(rgb));
        Self {
            epoch: r.epoch as u32,
            nll: r.nll,
            psnr: r.psnr,
            psnr_mean: r.psnr_mean,
            psnr_view: r.psnr_view,
            rgba: rgba(&r.rgb),
            mean_rgba: rgba(&r.mean_rgb),
            view_rgba: r.sample_rgb.as_deref().map(rgba),
            spread: r.spread.as_deref().map(F32s::from_slice),
            learning_rate,
            recovery,
        }
    }
}

/// A coarse look at the painting while an epoch trains (see
/// `mdn_core::paint::Preview`): the worker sends one now and then until
/// the first repaint, where an epoch is slow (a large `size`).
#[derive(Clone, Debug, Serialize, TS)]
pub struct Preview {
    /// Epochs completed.
    pub epoch: u32,
    /// The share of the current epoch's steps taken, 0 to 1.
    pub epoch_fraction: f32,
    /// Render width, px (at most the training width).
    pub width: u32,
    /// Render height, px.
    pub height: u32,
    /// The mode colours, `width · height · 4` bytes.
    pub rgba: Rgba,
}

impl Preview {
    /// The wire form of `p`.
    pub fn new(p: &mdn_core::paint::Preview) -> Self {
        Self {
            epoch: p.epoch as u32,
            epoch_fraction: p.epoch_fraction,
            width: p.width,
            height: p.height,
            rgba: Rgba::from_slice(&mdn_core::picture::rgb_to_rgba8(&p.rgb)),
        }
    }
}

/// The temperatures samples are drawn at.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, TS)]
pub struct Tau {
    /// Of the mixture weights.
    pub pi: f32,
    /// Of the variances.
    pub sigma: f32,
}

/// What a painting's repaints show.
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaintView {
    /// "mode", "mean", "sample" or "uncertainty".
    pub name: String,
    /// The sample's temperature of the mixture weights.
    pub tau_pi: f32,
    /// The sample's temperature of the variances.
    pub tau_sigma: f32,
}

/// A model file with the name it is known by.
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct NamedFile {
    /// Its bytes.
    pub bytes: Buffer,
    /// Its name, as the page says it.
    pub name: String,
}

/// How a toy loaded from a model file goes on.
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct ToyResumed {
    /// The file's name.
    pub name: String,
    /// The step it goes on from.
    pub step: u32,
    /// Whether it was the demo's own checkpoint (its options unchanged).
    pub checkpoint: bool,
}

/// Where a painting loaded from a model file goes on from.
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
pub struct PaintResumed {
    /// The epoch it goes on from.
    pub epoch: u32,
}

/// A demo's live state, as `<mdn-demo>` shows it: its `data-*` attributes
/// (`data-psnr-mean` for `psnrMean`) and the `detail` of its
/// `mdn-progress` events, which hold every field set so far. A field is
/// absent until known, and removed when no longer true. A kind of a page's
/// own adds its fields in its `www/kinds.js` entry (`state`).
#[derive(Clone, Debug, Default, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(optional_fields)]
pub struct LiveState {
    /// The demo kind.
    pub kind: Option<String>,
    /// "idle", "starting", "running", "paused" or "failed".
    pub state: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// The worker's backend: "webgpu" or "cpu".
    pub backend: Option<String>,
    /// The worker's wasm fetch, compile and instantiate, ms.
    pub wasm_ms: Option<f64>,
    /// Threads the CPU backend trains on: 1 in the single-threaded module,
    /// 2 to 8 in the threaded one (a cross-origin isolated page); absent on
    /// WebGPU.
    pub threads: Option<u32>,
    /// The backend trial: "measuring", "cpu" or "webgpu" (its decision).
    pub backend_trial: Option<String>,
    /// The rate the trial measured on WebGPU, in `trialUnit`.
    pub trial_webgpu: Option<f64>,
    /// The rate the trial measured on the CPU, in `trialUnit`.
    pub trial_cpu: Option<f64>,
    /// "epochs/s" or "steps/s".
    pub trial_unit: Option<String>,
    /// A sentence when training had diverged and went back.
    pub recovery: Option<String>,
    /// NLL of the latest result, nats per point (toy) or per pixel
    /// (painting); absent when not finite.
    pub nll: Option<f64>,
    /// K of the running model.
    pub components: Option<u32>,
    /// The step of the demo's latest checkpoint (toy, on WebGPU).
    pub checkpoint_step: Option<u32>,
    /// The epoch of the demo's latest checkpoint (painting, on WebGPU).
    pub checkpoint_epoch: Option<u32>,
    /// The name of the model file last saved.
    pub saved_model: Option<String>,
    /// Its size, bytes.
    pub saved_model_bytes: Option<u32>,
    /// Toy: steps taken.
    pub step: Option<u32>,
    /// Toy: the model's seed.
    pub seed: Option<u32>,
    /// Toy: the data set's name.
    pub data: Option<String>,
    /// Toy: hidden units.
    pub hidden_units: Option<u32>,
    /// Toy: training points.
    pub points: Option<u32>,
    /// Toy: the probed x₀.
    pub probe_x: Option<f64>,
    /// Toy: the MDN's learning rate now (the guard lowers it at every
    /// recovery).
    pub learning_rate: Option<f64>,
    /// Toy: the plot's layers shown, space-separated.
    pub layers: Option<String>,
    /// Painting: epochs completed.
    pub epoch: Option<u32>,
    /// Painting: PSNR of the mode colours, dB.
    pub psnr: Option<f64>,
    /// Painting: PSNR of the mean colours, dB.
    pub psnr_mean: Option<f64>,
    /// Painting: the picture's name.
    pub image: Option<String>,
    /// Painting: the model file its picture came from.
    pub model: Option<String>,
    /// Painting: the encoding.
    pub encoding: Option<String>,
    /// Painting: the covariance.
    pub covariance: Option<String>,
    /// Painting: "on" while a video is recorded.
    pub recording: Option<String>,
    /// Painting: frames in the video recorded (or being recorded).
    pub recorded_frames: Option<u32>,
}

/// Messages from the page to the worker (`type` names each; see the module
/// docs for which carry an `id`).
#[derive(Clone, Debug, Serialize, Deserialize, TS)]
#[cfg_attr(test, derive(strum::VariantNames))]
#[cfg_attr(test, strum(serialize_all = "kebab-case"))]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ToWorker {
    /// Load the wasm and pick the backend (null: automatic, which starts on
    /// the CPU and names a hardware WebGPU adapter as the trial's
    /// candidate; `reason`, when given, is why, as the page says it), and
    /// load the worker side of every demo kind (`kinds`: script URLs, see
    /// `www/kinds.js`). Sent once to each worker, when the first demo
    /// starts or after a crash, a GPU loss or a failed WebGPU start.
    /// Tests only (with `testHooks`): `refuseGpuDevice`, every GPU device
    /// request is refused; `trialSoftware`, a software adapter is a
    /// candidate too.
    #[serde(rename_all = "camelCase")]
    Init {
        /// "webgpu", "cpu" or null.
        backend: Option<String>,
        /// Why this backend.
        #[serde(default)]
        #[ts(optional)]
        reason: Option<String>,
        /// The worker scripts of the demo kinds.
        kinds: Vec<String>,
        /// Honour the test-only messages.
        #[serde(default)]
        #[ts(optional)]
        test_hooks: Option<bool>,
        /// Tests only.
        #[serde(default)]
        #[ts(optional)]
        refuse_gpu_device: Option<bool>,
        /// Tests only.
        #[serde(default)]
        #[ts(optional)]
        trial_software: Option<bool>,
        /// The most threads the CPU backend may train on (`?threads=` in
        /// the page's URL): 1 keeps the single-threaded module; absent, as
        /// many as the reader's cores up to 8, where the page is
        /// cross-origin isolated (www/worker/backend.js, `threadsFor`).
        #[serde(default)]
        #[ts(optional)]
        threads: Option<u32>,
    },
    /// A new demo of `kind` with its model `options`; a toy starts at once
    /// (from `checkpoint` if it loads, after a GPU loss; of a built-in data
    /// set; a drawn one waits for its points, `toy-points`) with the
    /// display `tau` and `panels`; a painting waits for its picture, and
    /// shows `view`.
    Create {
        /// The demo.
        id: u32,
        /// Its kind (a name in `www/kinds.js`).
        kind: String,
        /// [`ToyOptions`] or [`PaintOptions`].
        #[serde(default)]
        #[ts(optional, type = "ToyOptions | PaintOptions | Record<string, unknown>")]
        options: Option<Opaque>,
        /// A toy's sample temperatures.
        #[serde(default)]
        #[ts(optional)]
        tau: Option<Tau>,
        /// Whether a toy's snapshots carry the panels.
        #[serde(default)]
        #[ts(optional)]
        panels: Option<bool>,
        /// What a painting shows.
        #[serde(default)]
        #[ts(optional)]
        view: Option<PaintView>,
        /// A toy's checkpoint to go on from.
        #[serde(default)]
        #[ts(optional)]
        checkpoint: Option<NamedFile>,
    },
    /// The demo left the page; its model is freed.
    Remove {
        /// The demo.
        id: u32,
    },
    /// Train (in view, tab visible) or pause.
    Run {
        /// The demo.
        id: u32,
        /// Train or pause.
        running: bool,
    },
    /// A new toy model with a new seed, on new data of its set (or the same
    /// drawn points), with `options` if given.
    ToyRestart {
        /// The demo.
        id: u32,
        /// New options.
        #[serde(default)]
        #[ts(optional)]
        options: Option<ToyOptions>,
    },
    /// The points the reader drew (reader's units) and the plot they were
    /// drawn in: a new model trains on them.
    ToyPoints {
        /// The demo.
        id: u32,
        /// x.
        x: F32s,
        /// y.
        y: F32s,
        /// The plot.
        bounds: Bounds,
    },
    /// The x₀ whose conditional density p(y | x₀) the snapshots carry
    /// (null: none).
    ToyProbe {
        /// The demo.
        id: u32,
        /// x₀, reader's units.
        x: Option<f32>,
    },
    /// What the snapshots hold from the next on: samples drawn at these
    /// temperatures, and the panels' values or not.
    ToyDisplay {
        /// The demo.
        id: u32,
        /// The temperatures.
        tau: Tau,
        /// The panels' values.
        panels: bool,
    },
    /// Paint this picture (the wasm checks its header, the browser decodes
    /// it: `www/worker/picture.js`).
    PaintImage {
        /// The demo.
        id: u32,
        /// The picture's file.
        bytes: Buffer,
        /// Its name.
        name: String,
        /// The painting's options.
        options: PaintOptions,
    },
    /// Paint the same picture with other options.
    PaintOptions {
        /// The demo.
        id: u32,
        /// The options.
        options: PaintOptions,
    },
    /// What the repaints show from the next epoch on; training goes on.
    PaintView {
        /// The demo.
        id: u32,
        /// The view.
        view: PaintView,
    },
    /// The demo's model as a file (answered by `model-file`), as it is at
    /// the next slice boundary: settings, data, weights, Adam's state.
    SaveModel {
        /// The demo.
        id: u32,
    },
    /// Go on training from a model file (the wasm reads and checks it).
    /// Answered as a new model is (`paint-start` or `toy-data`, with
    /// `resumed`), a refusal as `paint-error` or `toy-error`; the running
    /// model then goes on.
    LoadModel {
        /// The demo.
        id: u32,
        /// The file.
        bytes: Buffer,
        /// Its name.
        name: String,
    },
    /// A `checkpoint` of this demo's model (every demo's with id null) now,
    /// then `checkpointed`. For the backend trial (`www/backend-trial.js`):
    /// its copy of the demo's model, and with `stop` the handover, after
    /// which this worker trains nothing more.
    CheckpointNow {
        /// The demo, or null for every demo.
        id: Option<u32>,
        /// Stop training here.
        stop: bool,
    },
    /// Tests only (honoured when `init` said testHooks): destroy the GPU
    /// device, as a driver reset would lose it.
    TestLoseDevice {},
    /// Tests only (honoured when `init` said testHooks): the next slice of
    /// a demo of this kind traps the wasm, as a crash would.
    TestTrap {
        /// The demo kind.
        kind: String,
    },
}

/// Messages from the worker to the page (and a few from the engine to
/// every demo); `type` names each.
#[derive(Clone, Debug, Serialize, TS)]
#[cfg_attr(test, derive(strum::VariantNames))]
#[cfg_attr(test, strum(serialize_all = "kebab-case"))]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FromWorker {
    /// The backend every demo runs on, why, the wasm file the worker loaded
    /// for it and the milliseconds it took to fetch, compile and
    /// instantiate it; `candidate` (on the CPU, chosen automatically): the
    /// WebGPU adapter the engine's trial measures against it.
    #[serde(rename_all = "camelCase")]
    Backend {
        /// "webgpu" or "cpu".
        kind: String,
        /// The adapter, on WebGPU.
        #[serde(default)]
        #[ts(optional)]
        description: Option<String>,
        /// Why this backend.
        reason: String,
        /// The wasm's description of its device.
        device: String,
        /// "mdn-web_bg.wasm", "mdn-web-cpu_bg.wasm" or
        /// "mdn-web-threads_bg.wasm".
        module: String,
        /// Fetch, compile and instantiate, ms (with the threaded module,
        /// and its pool's workers started).
        wasm_ms: f64,
        /// Threads the CPU backend trains on (absent on WebGPU).
        #[serde(default)]
        #[ts(optional)]
        threads: Option<u32>,
        /// The WebGPU adapter the trial measures.
        #[serde(default)]
        #[ts(optional)]
        candidate: Option<String>,
    },
    /// The worker cannot run at all; `loading`: because the wasm module
    /// could not be fetched, compiled or instantiated (the page's author
    /// can do something about it).
    Fatal {
        /// Why.
        message: String,
        /// Whether loading failed.
        #[serde(default)]
        #[ts(optional)]
        loading: Option<bool>,
    },
    /// The wasm trapped (a panic, out of memory) in demo `culprit`'s call;
    /// this worker stops, and the engine starts a new one in which the
    /// demos start again. To every demo, from the engine, with `stopped`:
    /// this demo crashed twice in a row and is not started again.
    Crashed {
        /// The demo whose call trapped (null: none, or not known; absent
        /// in the engine's message to every demo).
        #[serde(default)]
        #[ts(optional = nullable)]
        culprit: Option<u32>,
        /// The trap's message.
        message: String,
        /// From the engine: this demo is not started again.
        #[serde(default)]
        #[ts(optional)]
        stopped: Option<bool>,
    },
    /// The demo's `run` took effect; results posted before it came from
    /// before the pause.
    Running {
        /// The demo.
        id: u32,
        /// Training or paused.
        running: bool,
    },
    /// The model file `save-model` asked for (of a painting at `epoch`, a
    /// toy at `step`; the other is null), or why there is none.
    ModelFile {
        /// The demo.
        id: u32,
        /// A painting's epoch.
        #[serde(default)]
        #[ts(optional)]
        epoch: Option<u32>,
        /// A toy's step.
        #[serde(default)]
        #[ts(optional)]
        step: Option<u32>,
        /// The file.
        #[serde(default)]
        #[ts(optional)]
        bytes: Option<Bytes>,
        /// Why there is no file.
        #[serde(default)]
        #[ts(optional)]
        message: Option<String>,
    },
    /// On WebGPU, every few seconds, the demo's model as a model file, kept
    /// by the page (host memory, which a lost GPU does not take with it) to
    /// go on from after `device-lost`; and on either backend whenever
    /// `checkpoint-now` asks.
    Checkpoint {
        /// The demo.
        id: u32,
        /// The file.
        bytes: Bytes,
        /// A painting's epoch.
        epoch: Option<u32>,
        /// A toy's step.
        step: Option<u32>,
    },
    /// Every `checkpoint` that `checkpoint-now` asked for has been posted.
    Checkpointed {
        /// The demo asked for, or null.
        id: Option<u32>,
        /// As asked.
        stop: bool,
    },
    /// From the engine to every demo: the backend trial found WebGPU
    /// faster, and the demos move to its worker (`message` says so with
    /// both figures), each going on from the checkpoint it was just sent.
    Handover {
        /// The trial's figures.
        message: String,
    },
    /// The GPU device was lost (`message`: its reason and message, as
    /// "destroyed: ..."); this worker stops, the engine starts one on the
    /// CPU backend, and tells every demo, which goes on there from its last
    /// `checkpoint`, or starts again without one.
    DeviceLost {
        /// Why.
        message: String,
    },
    /// WebGPU failed to start ("WebGPU init failed: ..."). The WebGPU
    /// module carries no CPU backend, so this worker stops, the engine
    /// starts one that loads the CPU module, and tells every demo, which
    /// starts again there: nothing had trained yet.
    WebgpuFailed {
        /// Why.
        message: String,
    },
    /// The demo's model failed and stopped; a new model (a restart, a
    /// picture) starts it again.
    DemoFailed {
        /// The demo.
        id: u32,
        /// Why.
        message: String,
    },
    /// A new toy model's training points, plot and size (no model: no
    /// points, and `model` null); `resumed` for one loaded from a model
    /// file (seed null), whose settings are then the demo's `options`, or
    /// from the demo's own checkpoint (its options unchanged).
    ToyData {
        /// The demo.
        id: u32,
        /// The model's seed; null for a loaded one.
        seed: Option<u32>,
        /// The demo's options.
        options: ToyOptions,
        /// Training points' x (empty without a model).
        x: F32s,
        /// Training points' y.
        y: F32s,
        /// The plot.
        bounds: Option<Bounds>,
        /// The model.
        #[serde(default)]
        #[ts(optional)]
        model: Option<ToyModel>,
        /// How a loaded model goes on.
        #[serde(default)]
        #[ts(optional)]
        resumed: Option<ToyResumed>,
    },
    /// What the toy's models predict now (about 10 a second).
    ToySnapshot {
        /// The demo.
        id: u32,
        /// The snapshot.
        #[serde(flatten)]
        snapshot: ToySnapshot,
    },
    /// The toy's options or drawn points were refused; the running model
    /// (if any) goes on.
    ToyError {
        /// The demo.
        id: u32,
        /// Why, for the reader.
        message: String,
    },
    /// A new painting started on the picture `name`, or one loaded from the
    /// model file `model` going on from its epoch (`name` is then the
    /// picture the file keeps, or the file's for a file written before
    /// pictures' names were kept).
    PaintStart {
        /// The demo.
        id: u32,
        /// The picture.
        name: String,
        /// The model file it came from.
        model: Option<String>,
        /// The options it trains with.
        options: PaintOptions,
        /// Training width, px.
        width: u32,
        /// Training height, px.
        height: u32,
        /// Something to know about the upload.
        notice: Option<String>,
        /// The training picture.
        target: Rgba,
        /// Where a loaded model goes on from.
        resumed: Option<PaintResumed>,
    },
    /// The repaint after an epoch, made for the view `view`.
    PaintEpoch {
        /// The demo.
        id: u32,
        /// The view it was made for.
        view: String,
        /// The repaint.
        #[serde(flatten)]
        repaint: Repaint,
    },
    /// A coarse look at the painting before its first repaint.
    PaintPreview {
        /// The demo.
        id: u32,
        /// The preview.
        #[serde(flatten)]
        preview: Preview,
    },
    /// A picture or options were refused; the running painting (with
    /// `options`) goes on.
    PaintError {
        /// The demo.
        id: u32,
        /// What was refused, for the reader.
        what: String,
        /// Why.
        message: String,
        /// The running painting's options.
        options: Option<PaintOptions>,
    },
    /// Tests only: the answer of the test's third demo kind
    /// (`tests/fixtures/echo`), which echoes its options: the proof that a
    /// kind is one entry in `www/kinds.js`.
    TestEcho {
        /// The demo.
        id: u32,
        /// Its options, as it got them.
        #[ts(type = "Record<string, unknown>")]
        options: Opaque,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use strum::VariantNames;

    /// The constants' name of a message type: "toy-restart" → TOY_RESTART.
    fn constant(kebab: &str) -> String {
        kebab.replace('-', "_").to_uppercase()
    }

    fn protocol_js() -> String {
        let mut out = String::from(
            "/* GENERATED from crates/mdn-web/src/contract.rs by its test: do not edit\n \
             * (UPDATE_CONTRACT=1 cargo test --workspace --lib contract rewrites it).\n \
             *\n \
             * Every message between the page and the one Worker that runs the wasm, by\n \
             * its `type`: the only place a message type is spelled in JavaScript. The\n \
             * fields of each are in protocol.d.ts (ToWorker, FromWorker), as are the\n \
             * fields of a demo's live state (LiveState), listed here too.\n \
             *\n \
             * A classic script, so that the worker can load it with importScripts\n \
             * (wasm-bindgen's `no-modules` bindings need a classic worker); the page and\n \
             * node import it as a module for its side effect. Either way it defines\n \
             * `globalThis.MdnProtocol` and `globalThis.MdnLiveState`.\n \
             */\n'use strict';\n\n(function define(global) {\n  if (global.MdnProtocol) return;\n  global.MdnProtocol = Object.freeze({\n",
        );
        let groups = [
            ("Page → worker", ToWorker::VARIANTS),
            ("Worker → page", FromWorker::VARIANTS),
        ];
        for (title, names) in groups {
            out.push_str(&format!("    // {title}.\n"));
            for name in names {
                out.push_str(&format!("    {}: '{name}',\n", constant(name)));
            }
        }
        out.push_str("  });\n");
        out.push_str(
            "  // Every field of a demo's live state (LiveState in protocol.d.ts):\n  \
             // <mdn-demo> refuses any other but those its kind adds (www/kinds.js).\n",
        );
        out.push_str("  global.MdnLiveState = Object.freeze([\n");
        for key in live_state_keys() {
            out.push_str(&format!("    '{key}',\n"));
        }
        out.push_str("  ]);\n})(globalThis);\n");
        out
    }

    /// LiveState's fields as serde names them: a default's every field
    /// serialises (as null).
    fn live_state_keys() -> Vec<String> {
        match serde_json::to_value(LiveState::default()) {
            Ok(serde_json::Value::Object(map)) => {
                // Sorted, whatever serde_json's features keep.
                let mut keys: Vec<String> = map.keys().cloned().collect();
                keys.sort();
                keys
            }
            other => panic!("LiveState serialises as an object, not {other:?}"),
        }
    }

    fn declaration<T: TS>(cfg: &ts_rs::Config) -> String {
        let docs = T::docs().unwrap_or_default();
        format!("{docs}export {}\n", T::decl(cfg))
    }

    fn protocol_d_ts() -> String {
        let cfg = ts_rs::Config::new();
        let mut out = String::from(
            "// GENERATED from crates/mdn-web/src/contract.rs by its test: do not edit\n\
             // (UPDATE_CONTRACT=1 cargo test --workspace --lib contract rewrites it).\n\
             // The worker's messages and what the wasm hands the page, for editors and\n\
             // for authors who script <mdn-demo>.\n\n",
        );
        for decl in [
            declaration::<ToWorker>(&cfg),
            declaration::<FromWorker>(&cfg),
            declaration::<ToyOptions>(&cfg),
            declaration::<PaintOptions>(&cfg),
            declaration::<Raw>(&cfg),
            declaration::<Bounds>(&cfg),
            declaration::<Tau>(&cfg),
            declaration::<PaintView>(&cfg),
            declaration::<NamedFile>(&cfg),
            declaration::<ToyModel>(&cfg),
            declaration::<ToyDataset>(&cfg),
            declaration::<ToyResumed>(&cfg),
            declaration::<PaintResumed>(&cfg),
            declaration::<Probe>(&cfg),
            declaration::<ToySnapshot>(&cfg),
            declaration::<Repaint>(&cfg),
            declaration::<Preview>(&cfg),
            declaration::<PictureHeader>(&cfg),
            declaration::<LiveState>(&cfg),
        ] {
            out.push_str(&decl);
            out.push('\n');
        }
        out
    }

    /// Compares `generated` with the file at `path` (from the workspace's
    /// root), or rewrites it with UPDATE_CONTRACT set.
    fn check_generated(path: &str, generated: &str) {
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(path);
        if std::env::var_os("UPDATE_CONTRACT").is_some() {
            std::fs::write(&file, generated).expect("write the generated file");
            return;
        }
        let current = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            current == generated,
            "{path} is not what contract.rs generates: run UPDATE_CONTRACT=1 cargo test --workspace --lib contract"
        );
    }

    #[test]
    fn generated_files_are_current() {
        check_generated("www/protocol.js", &protocol_js());
        check_generated("www/protocol.d.ts", &protocol_d_ts());
    }

    #[test]
    fn every_message_type_is_declared_in_typescript_as_named() {
        // strum's names (protocol.js) and serde's tags (the wire, and the
        // declarations) come from two derives: they must agree.
        let d_ts = protocol_d_ts();
        for name in ToWorker::VARIANTS.iter().chain(FromWorker::VARIANTS) {
            assert!(
                d_ts.contains(&format!("\"type\": \"{name}\"")),
                "{name} is not a declared tag"
            );
        }
    }

    #[test]
    fn message_names_are_unique_across_directions() {
        let mut all: Vec<_> = ToWorker::VARIANTS
            .iter()
            .chain(FromWorker::VARIANTS)
            .collect();
        let count = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), count);
    }
}
