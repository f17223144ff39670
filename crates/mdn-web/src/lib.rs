//! The wasm module the demo page loads, in a dedicated Worker: a thin
//! wasm-bindgen layer over `mdn-core`.
//!
//! JavaScript picks the backend once ([`init_backend`]), then drives the two
//! demos ([`ToyDemo`], [`PaintDemo`]): training calls only queue device
//! work, and every readback is a Promise, so the Worker never blocks on the
//! GPU.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use burn::tensor::Device;
use js_sys::Promise;
use mdn_core::data::{ToyData, ToySet};
use mdn_core::inference::ReadbackError;
use mdn_core::paint::{PaintConfig, PaintRun, View};
use mdn_core::picture::{self, Picture, PictureError};
use mdn_core::settings::{self, Setting};
use mdn_core::toy::{Bounds, ToyConfig, ToyRun};
use mdn_core::training::{Demo, Frame};
use mdn_core::workloads::PaintWorkload;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

pub mod contract;

use contract::{
    F32s, PaintOptions, PictureHeader, Preview, Raw, Repaint, Rgba, ToyDataset, ToyModel,
    ToyOptions, ToySnapshot,
};

thread_local! {
    /// The device every demo of this module trains on, set by [`init_backend`].
    static DEVICE: RefCell<Option<Device>> = const { RefCell::new(None) };
}

/// Makes Rust panics readable in the console.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Initialises the backend every demo will use: `"webgpu"` (burn's wgpu
/// backend on the browser's WebGPU; the module built with the `webgpu`
/// feature) or `"cpu"` (burn's flex backend, compiled to wasm; the module
/// built with `cpu`). Call once, before creating a demo.
///
/// Resolves to a short description of the device.
///
/// # Errors
/// Rejects when `kind` is neither, or not the module's backend, or when
/// WebGPU cannot be initialised (no adapter, device request refused); the
/// caller can then load the CPU module instead.
#[wasm_bindgen]
pub async fn init_backend(kind: String) -> Result<String, JsError> {
    let (device, name) = match kind.as_str() {
        #[cfg(feature = "webgpu")]
        "webgpu" => {
            let device = Device::wgpu_options()
                .init_async()
                .await
                .map_err(|e| JsError::new(&e.to_string()))?;
            (device, "burn wgpu backend on WebGPU")
        }
        #[cfg(not(feature = "webgpu"))]
        "webgpu" => {
            return Err(JsError::new(
                "this module was built without WebGPU: load the WebGPU module",
            ));
        }
        #[cfg(feature = "cpu")]
        "cpu" => (Device::flex(), "burn flex backend (CPU, wasm)"),
        #[cfg(not(feature = "cpu"))]
        "cpu" => {
            return Err(JsError::new(
                "this module was built without the CPU backend: load the CPU module",
            ));
        }
        other => {
            return Err(JsError::new(&format!(
                "unknown backend '{other}': use webgpu or cpu"
            )));
        }
    };
    DEVICE.with(|d| *d.borrow_mut() = Some(device));
    Ok(name.to_string())
}

/// An uploaded file's format and size from its header, before any pixel
/// is decoded: a [`PictureHeader`].
///
/// # Errors
/// Throws an Error whose message is meant for the person who chose the
/// file: empty, not an image, a format the painting does not take, a JPEG
/// cut short, too small or too large.
#[wasm_bindgen]
pub fn inspect_picture(bytes: &[u8]) -> Result<JsValue, JsError> {
    let header = picture::inspect(bytes).map_err(|e| JsError::new(&e.to_string()))?;
    js(&PictureHeader {
        format: header.format.name().to_string(),
        width: header.width,
        height: header.height,
    })
}

/// Checks a message from the page against the contract: it must be one
/// of [`contract::ToWorker`]'s, with its fields of their types (fields it
/// does not declare are ignored; typed arrays and buffers only need to be
/// there, see `contract`'s `js_typed`).
///
/// # Errors
/// Throws an Error naming what is wrong (an unknown `type`, a missing or
/// mistyped field), as serde found it.
#[wasm_bindgen]
pub fn check_message(message: JsValue) -> Result<(), JsError> {
    serde_wasm_bindgen::from_value::<contract::ToWorker>(without_buffers(&message, 3))
        .map(drop)
        .map_err(|e| JsError::new(&format!("a message the contract does not allow: {e}")))
}

/// `value` with every buffer and typed array in it (`depth` objects deep)
/// replaced by `true`: serde_wasm_bindgen reads no typed array but a
/// `Uint8Array`, and none through an internally tagged enum's buffer, and
/// the check only needs to see that they are there.
fn without_buffers(value: &JsValue, depth: u32) -> JsValue {
    if value.is_instance_of::<js_sys::ArrayBuffer>() || js_sys::ArrayBuffer::is_view(value) {
        return JsValue::TRUE;
    }
    if depth == 0 || !value.is_object() || js_sys::Array::is_array(value) {
        return value.clone();
    }
    let copy = js_sys::Object::new();
    for entry in js_sys::Object::entries(value.unchecked_ref()).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        let _ = js_sys::Reflect::set(
            &copy,
            &pair.get(0),
            &without_buffers(&pair.get(1), depth - 1),
        );
    }
    copy.into()
}

/// The message for a file that passed [`inspect_picture`] but that the
/// decoder (the browser's, or the TIFF module) could not read; `detail`
/// says why.
#[wasm_bindgen]
pub fn undecodable_picture(detail: &str) -> String {
    PictureError::Decode(detail.to_string()).to_string()
}

/// Traps the wasm (a Rust panic, which aborts), as a crash would: for the
/// browser tests of the page's recovery, which call it only through a hook
/// a test must switch on (see www/worker.js).
///
/// # Panics
/// Always.
#[wasm_bindgen]
pub fn trap_for_tests() {
    panic!("a test asked the wasm to trap");
}

fn device() -> Result<Device, JsError> {
    DEVICE
        .with(|d| d.borrow().clone())
        .ok_or_else(|| JsError::new("init_backend must be awaited before creating a demo"))
}

/// `value` as the page receives it (see [`contract::to_js`]).
fn js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    contract::to_js(value).map_err(|e| JsError::new(&e.to_string()))
}

/// A Promise of `future`'s value, converted by `to_js`; a core error
/// rejects it with an Error carrying the core's message.
fn promise<T, E: std::fmt::Display>(
    future: impl Future<Output = Result<T, E>> + 'static,
    to_js: impl FnOnce(T) -> Result<JsValue, JsError> + 'static,
) -> Promise {
    future_to_promise(async move {
        let value = future.await.map_err(|e| JsError::new(&e.to_string()))?;
        Ok(to_js(value)?)
    })
}

/// A Promise of what a demo's frame shows once its readback resolves and
/// the guard has judged it: the contract's type `wire` makes of the frame,
/// the learning rate from now on and, when training had diverged, the
/// recovery's sentence for the page (what is shown is then the restored
/// model's).
fn settled<D: Demo + 'static, W: Serialize>(
    run: &Rc<RefCell<D>>,
    frame: impl Future<Output = Result<Frame<D::View>, ReadbackError>> + 'static,
    wire: impl FnOnce(&D::View, f64, Option<String>) -> W + 'static,
) -> Promise {
    let run = Rc::clone(run);
    promise(frame, move |frame| {
        let guarded = run.borrow_mut().settle(frame);
        let recovery = guarded.recovery.as_ref().map(ToString::to_string);
        js(&wire(&guarded.value, guarded.learning_rate, recovery))
    })
}

/// A Promise of a model file's bytes as a `Uint8Array`.
fn model_file(
    save: impl Future<Output = Result<Vec<u8>, mdn_core::model_file::ModelFileError>> + 'static,
) -> Promise {
    promise(save, |bytes| {
        Ok(contract::Bytes::from_slice(&bytes).0.into())
    })
}

/// Reads a demo's options object (`undefined` or `null`: all defaults).
fn options<T: Default + for<'de> Deserialize<'de>>(raw: JsValue, what: &str) -> Result<T, JsError> {
    if raw.is_undefined() || raw.is_null() {
        return Ok(T::default());
    }
    serde_wasm_bindgen::from_value(raw)
        .map_err(|e| JsError::new(&format!("bad {what} options: {e}")))
}

/// A toy: an MDN and a least-squares fit trained side by side on one of
/// the toy data sets or the reader's own points, with the panels that show
/// what the MDN outputs.
#[wasm_bindgen]
pub struct ToyDemo {
    // Shared with pending snapshots, which settle the guard's verdict once
    // their readback resolves.
    run: Rc<RefCell<ToyRun>>,
}

#[wasm_bindgen]
impl ToyDemo {
    /// A fresh run: data (of a built-in set) and models drawn from `seed`,
    /// with `options` (see [`ToyOptions`]).
    ///
    /// # Errors
    /// When [`init_backend`] has not run; a bad option (its message names
    /// the allowed range); drawn points that cannot be trained on (too few,
    /// too many, not finite), with a message for the reader.
    #[wasm_bindgen(constructor)]
    pub fn new(seed: u32, options: JsValue) -> Result<ToyDemo, JsError> {
        let options: ToyOptions = self::options(options, "toy")?;
        let set = match options.data {
            None => Some(ToySet::default()),
            Some(raw) => {
                settings::toy_set(&raw.text()).map_err(|e| JsError::new(&e.to_string()))?
            }
        };
        let config = ToyConfig {
            components: whole(&settings::TOY_COMPONENTS, options.components)? as usize,
            hidden: whole(&settings::HIDDEN, options.hidden)? as usize,
            ..ToyConfig::demo(u64::from(seed))
        };
        let learning_rate = number(&settings::LEARNING_RATE, options.learning_rate)?;
        let device = device()?;
        let mut run = match set {
            Some(set) => ToyRun::new(ToyConfig { set, ..config }, &device),
            None => {
                let data = ToyData::from_points(
                    options.x.unwrap_or_default(),
                    options.y.unwrap_or_default(),
                )
                .map_err(|e| JsError::new(&e.to_string()))?;
                let bounds = options
                    .bounds
                    .map_or_else(|| Bounds::around(&data), Bounds::from);
                ToyRun::on_data(config, data, bounds, &device)
            }
        };
        run.set_learning_rate(learning_rate);
        Ok(Self {
            run: Rc::new(RefCell::new(run)),
        })
    }

    /// A run from a model file ([`ToyDemo::save`] or `mdn toy --save`)
    /// that goes on where it stopped.
    ///
    /// # Errors
    /// When [`init_backend`] has not run, or the file cannot be loaded
    /// (not a model file, damaged or cut short, a newer format, a
    /// painting), with a message for the reader.
    pub fn load(bytes: &[u8]) -> Result<ToyDemo, JsError> {
        let run = ToyRun::load(bytes, &device()?).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Self {
            run: Rc::new(RefCell::new(run)),
        })
    }

    /// Resolves to the run as a model file (`Uint8Array`), as it is at
    /// the call: the settings, the points, both models with Adam's state.
    /// Read back asynchronously, so it works on WebGPU.
    pub fn save(&self) -> Promise {
        model_file(self.run.borrow().save())
    }

    /// Steps taken so far.
    #[wasm_bindgen(getter)]
    pub fn steps(&self) -> u32 {
        self.run.borrow().steps() as u32
    }

    /// The training points, the plot and the model's size: a
    /// [`ToyDataset`], the reader's units.
    ///
    /// # Errors
    /// None in practice (the contract's types all serialize).
    pub fn data(&self) -> Result<JsValue, JsError> {
        let run = self.run.borrow();
        let head = run.mdn().head().config();
        js(&ToyDataset {
            x: F32s::from_slice(&run.data().x),
            y: F32s::from_slice(&run.data().y),
            bounds: run.bounds().into(),
            model: ToyModel {
                set: run.config().set.name().to_string(),
                components: head.components as u32,
                hidden: head.features as u32,
            },
        })
    }

    /// Runs `steps` full-batch Adam steps on both models; returns the total
    /// step count. Only queues device work.
    pub fn train(&mut self, steps: u32) -> u32 {
        let mut run = self.run.borrow_mut();
        run.train(steps as usize);
        run.steps() as u32
    }

    /// Resolves to the MDN's NLL on its latest step (training units), once
    /// all training queued so far has run: a cheap readback for a slice
    /// that shows nothing.
    pub fn loss(&self) -> Promise {
        promise(self.run.borrow().loss(), |loss| Ok(f64::from(loss).into()))
    }

    /// Sets the x₀ (reader's units) whose conditional density the next
    /// snapshots carry; `undefined` clears it.
    pub fn set_probe(&mut self, x: Option<f32>) {
        self.run.borrow_mut().set_probe(x);
    }

    /// Resolves to a [`ToySnapshot`]: samples are drawn at temperatures
    /// `tau_pi` (mixture weights) and `tau_sigma` (variance), both 1 when
    /// omitted. With `panels` false (default true) the panels' arrays are
    /// empty and `probe` null, and the snapshot is cheaper.
    pub fn snapshot(
        &mut self,
        tau_pi: Option<f32>,
        tau_sigma: Option<f32>,
        panels: Option<bool>,
    ) -> Promise {
        let frame = self.run.borrow_mut().snapshot_of(
            tau_pi.unwrap_or(1.0),
            tau_sigma.unwrap_or(1.0),
            panels.unwrap_or(true),
        );
        settled(&self.run, frame, ToySnapshot::new)
    }
}

/// `raw` parsed by `setting` into a whole number (its default when absent).
fn whole(setting: &Setting, raw: Option<Raw>) -> Result<u32, JsError> {
    match raw {
        None => Ok(setting.default_whole()),
        Some(raw) => setting
            .whole(&raw.text())
            .map_err(|e| JsError::new(&e.to_string())),
    }
}

/// `raw` parsed by `setting` into a number (its default when absent).
fn number(setting: &Setting, raw: Option<Raw>) -> Result<f64, JsError> {
    let text = raw.map_or_else(|| setting.default_text(), |raw| raw.text());
    match setting.parse(&text) {
        Ok(settings::Value::Number(value)) => Ok(value),
        Ok(_) => Err(JsError::new(&format!(
            "{} is not a number setting",
            setting.name
        ))),
        Err(e) => Err(JsError::new(&e.to_string())),
    }
}

/// A choice option read by its setting's parser (`settings::covariance`,
/// `settings::encoding`), or the default when absent.
fn choice<T: Default>(
    raw: Option<Raw>,
    parse: fn(&str) -> Result<T, settings::SettingError>,
) -> Result<T, JsError> {
    match raw {
        None => Ok(T::default()),
        Some(raw) => parse(&raw.text()).map_err(|e| JsError::new(&e.to_string())),
    }
}

/// The painting's settings and training size from the page's options.
fn paint_config(options: JsValue) -> Result<(PaintConfig, u32), JsError> {
    let options: PaintOptions = self::options(options, "painting")?;
    let covariance = choice(options.covariance, settings::covariance)?;
    let encoding = choice(options.encoding, settings::encoding)?;
    let components = whole(&settings::COMPONENTS, options.components)? as usize;
    let size = whole(&settings::SIZE, options.size)?;
    let seed = u64::from(options.seed.unwrap_or(0));
    let base = match options.workload.as_deref() {
        None => PaintConfig::for_encoding(encoding),
        Some("w2") => PaintWorkload::w2().config(seed),
        Some("w5") => PaintWorkload::w5().config(seed),
        Some(other) => {
            return Err(JsError::new(&format!(
                "unknown workload '{other}': use w2 or w5"
            )));
        }
    };
    let config = PaintConfig {
        covariance,
        components,
        seed,
        ..base
    };
    Ok((config, size))
}

/// An MDN painting one picture: (x, y) ↦ mixture over (R, G, B).
#[wasm_bindgen]
pub struct PaintDemo {
    // Shared with pending repaints, which settle the guard's verdict once
    // their readback resolves.
    run: Rc<RefCell<PaintRun>>,
}

#[wasm_bindgen]
impl PaintDemo {
    /// Takes a decoded picture, `width` × `height` RGBA8 pixels `rgba`
    /// (row-major, from the browser's decoder or the TIFF module, after
    /// [`inspect_picture`]), downscales it to `size` px on its longer side
    /// (default 128), and sets up training with the `encoding` ("grid",
    /// "fourier" or "raw"; default grid), `covariance` ("isotropic",
    /// "diagonal" or "full"; default diagonal), K = `components` (1–32,
    /// default 8) and `seed`.
    ///
    /// # Errors
    /// Throws an Error whose message is meant for the person who chose the
    /// file: too small or too large; or bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        width: u32,
        height: u32,
        rgba: &[u8],
        options: JsValue,
    ) -> Result<PaintDemo, JsError> {
        let (config, size) = paint_config(options)?;
        let picture = Picture::from_rgba8(width, height, rgba, size)
            .map_err(|e| JsError::new(&e.to_string()))?;
        PaintDemo::run(picture, config)
    }

    /// A run from a model file ([`PaintDemo::save`] or `mdn paint
    /// --save`) that goes on where it stopped: its picture, settings,
    /// model and Adam's state.
    ///
    /// # Errors
    /// When [`init_backend`] has not run, or the file cannot be loaded
    /// (not a model file, damaged or cut short, a newer format, a toy
    /// model), with a message for the person who chose it.
    pub fn load(bytes: &[u8]) -> Result<PaintDemo, JsError> {
        let run = PaintRun::load(bytes, &device()?).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Self {
            run: Rc::new(RefCell::new(run)),
        })
    }

    /// Resolves to the run as a model file (`Uint8Array`), as it is at
    /// the call. Read back asynchronously, so it works on WebGPU.
    pub fn save(&self) -> Promise {
        model_file(self.run.borrow().save())
    }

    /// The options the run trains with, as [`PaintDemo::new`] takes them
    /// ([`PaintOptions`]: size, the training picture's longer side in px;
    /// encoding; covariance; components).
    ///
    /// # Errors
    /// None in practice (the contract's types all serialize).
    pub fn options(&self) -> Result<JsValue, JsError> {
        let run = self.run.borrow();
        let (c, p) = (run.config(), run.picture());
        js(&PaintOptions {
            size: Some(Raw::Number(f64::from(p.width.max(p.height)))),
            encoding: Some(Raw::Text(c.encoding.name().to_string())),
            covariance: Some(Raw::Text(c.covariance.name().to_string())),
            components: Some(Raw::Number(c.components as f64)),
            ..PaintOptions::default()
        })
    }

    /// A new run on this run's picture with other `options` (as
    /// [`PaintDemo::new`] takes them): a loaded model's picture painted
    /// again, fitted to `size` (never upscaled).
    ///
    /// # Errors
    /// Bad options, with a message naming the allowed range.
    pub fn with_options(&self, options: JsValue) -> Result<PaintDemo, JsError> {
        let (config, size) = paint_config(options)?;
        let picture = self
            .run
            .borrow()
            .picture()
            .fitted(size)
            .map_err(|e| JsError::new(&e.to_string()))?;
        PaintDemo::run(picture, config)
    }

    fn run(picture: Picture, config: PaintConfig) -> Result<PaintDemo, JsError> {
        let config = config.sized_for(picture.width, picture.height);
        let run =
            PaintRun::new(picture, config, &device()?).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Self {
            run: Rc::new(RefCell::new(run)),
        })
    }

    /// The picture's name (its file's), which [`PaintDemo::save`] keeps in
    /// the model file; `undefined` until set, and for a file written
    /// before names were kept.
    #[wasm_bindgen(getter)]
    pub fn picture_name(&self) -> Option<String> {
        self.run.borrow().picture_name().map(str::to_owned)
    }

    /// Names the picture being painted.
    #[wasm_bindgen(setter)]
    pub fn set_picture_name(&self, name: &str) {
        self.run.borrow_mut().set_picture_name(name);
    }

    /// Training width in pixels.
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.run.borrow().picture().width
    }

    /// Training height in pixels.
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.run.borrow().picture().height
    }

    /// Epochs completed.
    #[wasm_bindgen(getter)]
    pub fn epoch(&self) -> u32 {
        self.run.borrow().epochs() as u32
    }

    /// Minibatch steps per epoch.
    #[wasm_bindgen(getter)]
    pub fn steps_per_epoch(&self) -> u32 {
        self.run.borrow().steps_per_epoch() as u32
    }

    /// Something the person should know about their upload, if anything.
    #[wasm_bindgen(getter)]
    pub fn notice(&self) -> Option<String> {
        self.run
            .borrow()
            .picture()
            .had_transparency
            .then(|| "The image has transparent pixels; they are painted over white.".to_string())
    }

    /// The training picture as RGBA8, `width · height · 4` bytes.
    pub fn target_rgba(&self) -> js_sys::Uint8ClampedArray {
        Rgba::from_slice(&self.run.borrow().picture().to_rgba8()).0
    }

    /// Runs up to `max_steps` minibatch steps, stopping at the end of an
    /// epoch; true when an epoch was completed. Only queues device work.
    pub fn train(&mut self, max_steps: u32) -> bool {
        self.run.borrow_mut().train(max_steps as usize)
    }

    /// Resolves to the NLL of the latest minibatch (nats per pixel), once
    /// all training queued so far has run.
    pub fn loss(&self) -> Promise {
        promise(self.run.borrow().loss(), |loss| Ok(f64::from(loss).into()))
    }

    /// Resolves to a [`Preview`]: the running model's mode colours at
    /// `side` px on the longer side (at most the training size), and how
    /// far the current epoch has got. No NLL, no PSNR, no guard: a look,
    /// not a verdict.
    pub fn preview(&self, side: u32) -> Promise {
        promise(self.run.borrow().preview(side), |p| js(&Preview::new(&p)))
    }

    /// Resolves to a [`Repaint`]: the mode and mean colour of every pixel,
    /// the NLL over all pixels, the PSNRs against the training picture, and
    /// what `view` (a [`settings::VIEW`] name: "mode", "mean", "sample"
    /// drawn at `tau_pi` and `tau_sigma`, or "uncertainty") adds.
    ///
    /// # Errors
    /// Throws when `view` is not a view's name.
    pub fn repaint(
        &self,
        view: &str,
        tau_pi: Option<f32>,
        tau_sigma: Option<f32>,
    ) -> Result<Promise, JsError> {
        let name = settings::VIEW
            .choice(view)
            .map_err(|e| JsError::new(&e.to_string()))?;
        let view = View::from_name(name, tau_pi.unwrap_or(1.0), tau_sigma.unwrap_or(1.0))
            .ok_or_else(|| JsError::new(&format!("no view named {name}")))?;
        let frame = self.run.borrow_mut().repaint(view);
        Ok(settled(&self.run, frame, Repaint::new))
    }
}
