//! The wasm module the demo page loads, in a dedicated Worker: a thin
//! wasm-bindgen layer over `mdn-core`.
//!
//! JavaScript picks the backend once ([`init_backend`]), then drives the two
//! demos ([`ToyDemo`], [`PaintDemo`]): training calls only queue device
//! work, and every readback is a Promise, so the Worker never blocks on the
//! GPU.

use std::cell::RefCell;

use burn::tensor::Device;
use js_sys::{Float32Array, Object, Promise, Reflect, Uint8ClampedArray};
use mdn_core::mixture::Covariance;
use mdn_core::paint::{MAX_COMPONENTS, PaintConfig, PaintRun};
use mdn_core::picture::{DEFAULT_TRAIN_SIDE, Picture, rgb_to_rgba8};
use mdn_core::toy::ToyRun;
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
    run: ToyRun,
}

#[wasm_bindgen]
impl ToyDemo {
    /// A fresh run: data and models drawn from `seed`.
    ///
    /// # Errors
    /// When [`init_backend`] has not run.
    #[wasm_bindgen(constructor)]
    pub fn new(seed: u32) -> Result<ToyDemo, JsError> {
        Ok(Self {
            run: ToyRun::new(u64::from(seed), &device()?),
        })
    }

    /// The training points: `{x: Float32Array, y: Float32Array}`, 2500 each.
    pub fn data(&self) -> Object {
        let object = Object::new();
        set(&object, "x", float32(&self.run.data().x));
        set(&object, "y", float32(&self.run.data().y));
        object
    }

    /// Runs `steps` full-batch Adam steps on both models; returns the total
    /// step count. Only queues device work.
    pub fn train(&mut self, steps: u32) -> u32 {
        self.run.train(steps as usize);
        self.run.steps() as u32
    }

    /// Resolves to `{step, nll, grid_x: Float32Array(G), samples:
    /// Float32Array(G·10), mse_y: Float32Array(G)}`: row i of `samples` is
    /// 10 draws of y from the mixture at `grid_x[i]`.
    pub fn snapshot(&mut self) -> Promise {
        let snapshot = self.run.snapshot();
        future_to_promise(async move {
            let s = snapshot.await.map_err(|e| JsError::new(&e.to_string()))?;
            let object = Object::new();
            set(&object, "step", s.step as f64);
            set(&object, "nll", f64::from(s.nll));
            set(&object, "grid_x", float32(&s.grid_x));
            set(&object, "samples", float32(&s.samples));
            set(&object, "mse_y", float32(&s.mse_y));
            Ok(object.into())
        })
    }
}

/// Options of a painting, all optional: `{size, covariance, components,
/// seed, workload}`; `workload: "w2"` trains with workload W2's exact
/// settings (for the benchmark) instead of the page's.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PaintOptions {
    size: Option<u32>,
    covariance: Option<String>,
    components: Option<u32>,
    seed: Option<u32>,
    workload: Option<String>,
}

/// An MDN painting one picture: (x, y) ↦ mixture over (R, G, B).
#[wasm_bindgen]
pub struct PaintDemo {
    run: PaintRun,
}

#[wasm_bindgen]
impl PaintDemo {
    /// Decodes `bytes` (PNG, JPEG, WebP or GIF), downscales it to `size` px
    /// on its longer side (default 128), and sets up training with
    /// `covariance` ("isotropic" or "diagonal", default diagonal), K =
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
        let covariance = match options.covariance.as_deref() {
            None => Covariance::default(),
            Some(name) => name.parse().map_err(|e: String| JsError::new(&e))?,
        };
        let components = options.components.unwrap_or(8) as usize;
        if !(1..=MAX_COMPONENTS).contains(&components) {
            return Err(JsError::new(&format!(
                "the number of components must be between 1 and {MAX_COMPONENTS}, not {components}"
            )));
        }
        let picture = Picture::decode(bytes, options.size.unwrap_or(DEFAULT_TRAIN_SIDE))
            .map_err(|e| JsError::new(&e.to_string()))?;
        let seed = u64::from(options.seed.unwrap_or(0));
        let base = match options.workload.as_deref() {
            None => PaintConfig::default(),
            Some("w2") => PaintConfig::w2(seed),
            Some(other) => {
                return Err(JsError::new(&format!("unknown workload '{other}': use w2")));
            }
        };
        let config = PaintConfig {
            covariance,
            components,
            seed,
            ..base
        };
        Ok(Self {
            run: PaintRun::new(picture, config, &device()?),
        })
    }

    /// Training width in pixels.
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.run.picture().width
    }

    /// Training height in pixels.
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.run.picture().height
    }

    /// Epochs completed.
    #[wasm_bindgen(getter)]
    pub fn epoch(&self) -> u32 {
        self.run.epochs() as u32
    }

    /// Minibatch steps per epoch.
    #[wasm_bindgen(getter)]
    pub fn steps_per_epoch(&self) -> u32 {
        self.run.steps_per_epoch() as u32
    }

    /// Something the person should know about their upload, if anything.
    #[wasm_bindgen(getter)]
    pub fn notice(&self) -> Option<String> {
        self.run
            .picture()
            .had_transparency
            .then(|| "The image has transparent pixels; they are painted over white.".to_string())
    }

    /// The training picture as RGBA8, `width · height · 4` bytes.
    pub fn target_rgba(&self) -> Uint8ClampedArray {
        rgba(&self.run.picture().to_rgba8())
    }

    /// Runs up to `max_steps` minibatch steps, stopping at the end of an
    /// epoch; true when an epoch was completed. Only queues device work.
    pub fn train(&mut self, max_steps: u32) -> bool {
        self.run.train(max_steps as usize)
    }

    /// Resolves to the NLL of the latest minibatch (nats per pixel), once
    /// all training queued so far has run.
    pub fn loss(&self) -> Promise {
        let loss = self.run.loss();
        future_to_promise(async move {
            let loss = loss.await.map_err(|e| JsError::new(&e.to_string()))?;
            Ok(f64::from(loss).into())
        })
    }

    /// Resolves to `{epoch, nll, psnr, rgba: Uint8ClampedArray}`: the mode
    /// colour of every pixel, the NLL over all pixels (nats per pixel) and
    /// the PSNR against the training picture (dB).
    pub fn repaint(&self) -> Promise {
        let repaint = self.run.repaint();
        future_to_promise(async move {
            let r = repaint.await.map_err(|e| JsError::new(&e.to_string()))?;
            let object = Object::new();
            set(&object, "epoch", r.epoch as f64);
            set(&object, "nll", f64::from(r.nll));
            set(&object, "psnr", f64::from(r.psnr));
            set(&object, "rgba", rgba(&rgb_to_rgba8(&r.rgb)));
            Ok(object.into())
        })
    }
}
