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
use js_sys::{Float32Array, Object, Promise, Reflect, Uint8ClampedArray};
use mdn_core::inference::ReadbackError;
use mdn_core::paint::{PaintConfig, PaintRun, View};
use mdn_core::picture::{Picture, rgb_to_rgba8};
use mdn_core::settings::{self, Setting};
use mdn_core::toy::{ToyConfig, ToyRun};
use mdn_core::training::{Demo, Frame};
use mdn_core::workloads::PaintWorkload;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

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
/// backend on the browser's WebGPU) or `"cpu"` (burn's flex backend,
/// compiled to wasm). Call once, before creating a demo.
///
/// Resolves to a short description of the device.
///
/// # Errors
/// Rejects when `kind` is neither, or when WebGPU cannot be initialised
/// (no adapter, device request refused); the caller can then fall back to
/// `"cpu"`.
#[wasm_bindgen]
pub async fn init_backend(kind: String) -> Result<String, JsError> {
    let (device, name) = match kind.as_str() {
        "webgpu" => {
            let device = Device::wgpu_options()
                .init_async()
                .await
                .map_err(|e| JsError::new(&format!("WebGPU initialisation failed: {e}")))?;
            (device, "burn wgpu backend on WebGPU")
        }
        "cpu" => (Device::flex(), "burn flex backend (CPU, wasm)"),
        other => {
            return Err(JsError::new(&format!(
                "unknown backend '{other}': use webgpu or cpu"
            )));
        }
    };
    DEVICE.with(|d| *d.borrow_mut() = Some(device));
    Ok(name.to_string())
}

fn device() -> Result<Device, JsError> {
    DEVICE
        .with(|d| d.borrow().clone())
        .ok_or_else(|| JsError::new("init_backend must be awaited before creating a demo"))
}

/// Sets `object[key] = value`; setting a property of a fresh plain object
/// cannot fail.
fn set(object: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(object, &key.into(), &value.into());
}

/// A Promise of `future`'s value, converted by `to_js`; a core error
/// rejects it with an Error carrying the core's message.
fn promise<T, E: std::fmt::Display>(
    future: impl Future<Output = Result<T, E>> + 'static,
    to_js: impl FnOnce(T) -> JsValue + 'static,
) -> Promise {
    future_to_promise(async move {
        let value = future.await.map_err(|e| JsError::new(&e.to_string()))?;
        Ok(to_js(value))
    })
}

/// A Promise of what a demo's frame shows once its readback resolves and
/// the guard has judged it: the object `show` fills in, with
/// `learning_rate` and, when training had diverged, `recovery` (a sentence
/// for the page; what is shown is then the restored model's).
fn settled<D: Demo + 'static>(
    run: &Rc<RefCell<D>>,
    frame: impl Future<Output = Result<Frame<D::View>, ReadbackError>> + 'static,
    show: impl FnOnce(&D::View, &Object) + 'static,
) -> Promise {
    let run = Rc::clone(run);
    promise(frame, move |frame| {
        let guarded = run.borrow_mut().settle(frame);
        let object = Object::new();
        show(&guarded.value, &object);
        set(&object, "learning_rate", guarded.learning_rate);
        if let Some(recovery) = guarded.recovery {
            set(&object, "recovery", recovery.to_string());
        }
        object.into()
    })
}

fn float32(values: &[f32]) -> Float32Array {
    Float32Array::from(values)
}

fn rgba(bytes: &[u8]) -> Uint8ClampedArray {
    let array = Uint8ClampedArray::new_with_length(bytes.len() as u32);
    array.copy_from(bytes);
    array
}

/// The sinusoid inversion: an MDN (K = 24) and a least-squares fit trained
/// side by side on workload W1's data.
#[wasm_bindgen]
pub struct ToyDemo {
    // Shared with pending snapshots, which settle the guard's verdict once
    // their readback resolves.
    run: Rc<RefCell<ToyRun>>,
}

#[wasm_bindgen]
impl ToyDemo {
    /// A fresh run: data and models drawn from `seed`.
    ///
    /// # Errors
    /// When [`init_backend`] has not run.
    #[wasm_bindgen(constructor)]
    pub fn new(seed: u32) -> Result<ToyDemo, JsError> {
        let config = ToyConfig::demo(u64::from(seed));
        Ok(Self {
            run: Rc::new(RefCell::new(ToyRun::new(config, &device()?))),
        })
    }

    /// The training points: `{x: Float32Array, y: Float32Array}`, 2500 each.
    pub fn data(&self) -> Object {
        let run = self.run.borrow();
        let object = Object::new();
        set(&object, "x", float32(&run.data().x));
        set(&object, "y", float32(&run.data().y));
        object
    }

    /// Runs `steps` full-batch Adam steps on both models; returns the total
    /// step count. Only queues device work.
    pub fn train(&mut self, steps: u32) -> u32 {
        let mut run = self.run.borrow_mut();
        run.train(steps as usize);
        run.steps() as u32
    }

    /// Resolves to `{step, nll, grid_x: Float32Array(G), samples:
    /// Float32Array(G·10), mse_y: Float32Array(G), learning_rate,
    /// recovery?}`: row i of `samples` is 10 draws of y from the mixture at
    /// `grid_x[i]`, at temperatures `tau_pi` (mixture weights) and
    /// `tau_sigma` (variance), both 1 when omitted; `nll` is over all
    /// training points. `recovery` is a sentence for the page when training
    /// had diverged (the samples are then the restored model's).
    pub fn snapshot(&mut self, tau_pi: Option<f32>, tau_sigma: Option<f32>) -> Promise {
        let frame = self
            .run
            .borrow_mut()
            .snapshot(tau_pi.unwrap_or(1.0), tau_sigma.unwrap_or(1.0));
        settled(&self.run, frame, |s, object| {
            set(object, "step", s.step as f64);
            set(object, "nll", f64::from(s.nll));
            set(object, "grid_x", float32(&s.grid_x));
            set(object, "samples", float32(&s.samples));
            set(object, "mse_y", float32(&s.mse_y));
        })
    }
}

/// Options of a painting, all optional: `{size, encoding, covariance,
/// components, seed, workload}`; the first four as [`settings::PAINT`]
/// defines them (numbers or text); `workload: "w2"` or `"w5"` trains with
/// that workload's exact settings (for the benchmark) instead of the
/// page's.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PaintOptions {
    size: Option<Raw>,
    encoding: Option<Raw>,
    covariance: Option<Raw>,
    components: Option<Raw>,
    seed: Option<u32>,
    workload: Option<String>,
}

/// A setting's value as the page sends it.
#[derive(Deserialize)]
#[serde(untagged)]
enum Raw {
    Number(f64),
    Text(String),
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

impl Raw {
    fn text(&self) -> String {
        match self {
            Raw::Number(v) => v.to_string(),
            Raw::Text(t) => t.clone(),
        }
    }
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
    /// Decodes `bytes` (PNG, JPEG, WebP, GIF, BMP or TIFF), downscales it to `size` px
    /// on its longer side (default 128), and sets up training with the
    /// `encoding` ("grid", "fourier" or "raw"; default grid), `covariance`
    /// ("isotropic", "diagonal" or "full"; default diagonal), K =
    /// `components` (1–32, default 8) and `seed`.
    ///
    /// # Errors
    /// Throws an Error whose message is meant for the person who chose the
    /// file: empty, not an image, unsupported format, damaged, too small or
    /// too large; or bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8], options: JsValue) -> Result<PaintDemo, JsError> {
        let options: PaintOptions = if options.is_undefined() || options.is_null() {
            PaintOptions::default()
        } else {
            serde_wasm_bindgen::from_value(options)
                .map_err(|e| JsError::new(&format!("bad painting options: {e}")))?
        };
        let covariance = choice(options.covariance, settings::covariance)?;
        let encoding = choice(options.encoding, settings::encoding)?;
        let components = whole(&settings::COMPONENTS, options.components)? as usize;
        let size = whole(&settings::SIZE, options.size)?;
        let picture = Picture::decode(bytes, size).map_err(|e| JsError::new(&e.to_string()))?;
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
        let run =
            PaintRun::new(picture, config, &device()?).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Self {
            run: Rc::new(RefCell::new(run)),
        })
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
    pub fn target_rgba(&self) -> Uint8ClampedArray {
        rgba(&self.run.borrow().picture().to_rgba8())
    }

    /// Runs up to `max_steps` minibatch steps, stopping at the end of an
    /// epoch; true when an epoch was completed. Only queues device work.
    pub fn train(&mut self, max_steps: u32) -> bool {
        self.run.borrow_mut().train(max_steps as usize)
    }

    /// Resolves to the NLL of the latest minibatch (nats per pixel), once
    /// all training queued so far has run.
    pub fn loss(&self) -> Promise {
        promise(self.run.borrow().loss(), |loss| f64::from(loss).into())
    }

    /// Resolves to `{epoch, nll, psnr, psnr_mean, psnr_view, rgba,
    /// mean_rgba, view_rgba?, spread?, learning_rate, recovery?}`: the mode
    /// and mean colour of every pixel (`Uint8ClampedArray`s), the NLL over
    /// all pixels (nats per pixel), the PSNRs against the training picture
    /// (dB), and what `view` (a [`settings::VIEW`] name: "mode", "mean",
    /// "sample" drawn at `tau_pi` and `tau_sigma`, or "uncertainty") adds:
    /// `view_rgba` for the sample, `spread` (`Float32Array`, every pixel's
    /// predictive standard deviation in colour units) for the uncertainty.
    /// `recovery` is a sentence for the page when training had diverged
    /// (the repaint is then the restored model's).
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
        Ok(settled(&self.run, frame, |r, object| {
            set(object, "epoch", r.epoch as f64);
            set(object, "nll", f64::from(r.nll));
            set(object, "psnr", f64::from(r.psnr));
            set(object, "psnr_mean", f64::from(r.psnr_mean));
            set(object, "psnr_view", f64::from(r.psnr_view));
            set(object, "rgba", rgba(&rgb_to_rgba8(&r.rgb)));
            set(object, "mean_rgba", rgba(&rgb_to_rgba8(&r.mean_rgb)));
            if let Some(sample) = &r.sample_rgb {
                set(object, "view_rgba", rgba(&rgb_to_rgba8(sample)));
            }
            if let Some(spread) = &r.spread {
                set(object, "spread", float32(spread));
            }
        }))
    }
}
