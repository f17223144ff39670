//! The painting demo: an MDN from pixel coordinates to a mixture over
//! (R, G, B), trained on one picture, and its repaints.

use std::future::Future;
use std::sync::Arc;

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::data::Dataset;
use crate::inference::ReadbackError;
use crate::model::{Mdn, MdnConfig, PAINT_SIGMA_MIN};
use crate::picture::{Picture, psnr};
use crate::settings::{self, SettingError};
use crate::spec::Covariance;
use crate::training::{Demo, Frame, Guarded, TrainConfig, Trainer, read_checked};

/// The page's gradient clipping: a bound on each parameter tensor's
/// gradient norm that ordinary steps stay under, so only the rare outsized
/// minibatch (a component collapsing onto a flat patch) is tamed.
pub const CLIP_NORM: f32 = 10.0;

/// Settings of a painting run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PaintConfig {
    /// Covariance parametrisation of the colour mixture.
    pub covariance: Covariance,
    /// Mixture components K, in [`settings::COMPONENTS`]' range.
    pub components: usize,
    /// Width of each tanh hidden layer.
    pub hidden_width: usize,
    /// Number of tanh hidden layers.
    pub hidden_layers: usize,
    /// Pixels per minibatch.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Seed of the initial weights and the shuffles.
    pub seed: u64,
    /// Fourier feature octaves of the pixel coordinates (0: raw (x, y), as
    /// in workload W2). See [`Picture::inputs`].
    pub octaves: usize,
    /// Gradient clipping per parameter tensor (see
    /// [`TrainConfig::clip_norm`]); `None` in the workloads.
    pub clip_norm: Option<f32>,
    /// Whether training is guarded (see [`crate::training`]); off in the
    /// workloads.
    pub guard: bool,
}

impl Default for PaintConfig {
    /// The page's settings: workload W2's model (4 × 128 tanh, K = 8
    /// diagonal Gaussians) fed 4 octaves of Fourier features, trained on
    /// minibatches of 256 at lr = 3e-3, guarded. On a 128 px photo the
    /// repaint is recognisable within ten epochs, where W2's settings still
    /// show a blur after a hundred.
    fn default() -> Self {
        Self {
            covariance: Covariance::default(),
            components: settings::COMPONENTS.default_whole() as usize,
            hidden_width: 128,
            hidden_layers: 4,
            batch_size: 256,
            learning_rate: 3e-3,
            seed: 0,
            octaves: 4,
            clip_norm: Some(CLIP_NORM),
            guard: true,
        }
    }
}

impl PaintConfig {
    /// The MDN these settings train: 2 + 4 × `octaves` inputs, the hidden
    /// layers, K Gaussians over (R, G, B).
    pub fn model(&self) -> MdnConfig {
        MdnConfig {
            input_dim: 2 + 4 * self.octaves,
            hidden: vec![self.hidden_width; self.hidden_layers],
            components: self.components,
            output_dim: 3,
            covariance: self.covariance,
            sigma_min: PAINT_SIGMA_MIN,
        }
    }

    /// The optimiser settings.
    pub fn train(&self) -> TrainConfig {
        TrainConfig {
            learning_rate: self.learning_rate,
            batch_size: Some(self.batch_size),
            seed: self.seed,
            clip_norm: self.clip_norm,
            guard: self.guard,
        }
    }

    /// Checks the settings a reader chooses against [`settings::PAINT`].
    ///
    /// # Errors
    /// [`SettingError`] naming the allowed range of K.
    pub fn check(&self) -> Result<(), SettingError> {
        settings::COMPONENTS.whole(&self.components.to_string())?;
        Ok(())
    }
}

/// A training run that paints one picture: the page's, the command line's
/// and the benchmark workloads' (W2–W4, unguarded).
pub struct PaintRun {
    picture: Arc<Picture>,
    trainer: Trainer<Mdn>,
    data: Dataset,
}

/// One repaint: the mode colour of every pixel and how good it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Repaint {
    /// Epochs completed when it was made.
    pub epoch: usize,
    /// NLL over all pixels, nats per pixel (colours in [0, 1]).
    pub nll: f32,
    /// PSNR of the repaint against the training picture, dB.
    pub psnr: f32,
    /// Row-major `[height, width, 3]` mode colours (unclamped).
    pub rgb: Vec<f32>,
}

impl PaintRun {
    /// A run on `picture` (already at its training size) with the model of
    /// [`PaintConfig::model`], on `device` (a plain device: autodiff is
    /// added here).
    ///
    /// # Errors
    /// [`SettingError`] when K is outside [`settings::COMPONENTS`]' range.
    pub fn new(
        picture: Picture,
        config: PaintConfig,
        device: &Device,
    ) -> Result<Self, SettingError> {
        config.check()?;
        let train_device = device.clone().autodiff();
        let model = config.model().init(config.seed, &train_device);
        let trainer = Trainer::new(
            model,
            picture.to_dataset(config.octaves, &train_device),
            config.train(),
        );
        Ok(Self {
            data: picture.to_dataset(config.octaves, device),
            picture: Arc::new(picture),
            trainer,
        })
    }

    /// The picture being painted (already downscaled to the training size).
    pub fn picture(&self) -> &Picture {
        &self.picture
    }

    /// Runs up to `max_steps` steps, stopping early at the end of an epoch.
    /// Returns whether an epoch was completed. Queues device work only.
    pub fn train(&mut self, max_steps: usize) -> bool {
        for _ in 0..max_steps {
            if self.trainer.step().1 {
                return true;
            }
        }
        false
    }

    /// The NLL of the latest minibatch (nats per pixel; NaN before the first
    /// step). Awaiting it also waits for all training queued so far.
    pub fn loss(&self) -> impl Future<Output = Result<f32, ReadbackError>> + 'static {
        self.trainer.loss()
    }

    /// Epochs completed.
    pub fn epochs(&self) -> usize {
        self.trainer.epochs()
    }

    /// Steps per epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.trainer.steps_per_epoch()
    }

    /// The trainer (model, step and epoch counts).
    pub fn trainer(&self) -> &Trainer<Mdn> {
        &self.trainer
    }

    /// The learning rate (lowered at every recovery).
    pub fn learning_rate(&self) -> f64 {
        self.trainer.learning_rate()
    }

    /// Changes the learning rate from the next step on.
    pub fn set_learning_rate(&mut self, learning_rate: f64) {
        self.trainer.set_learning_rate(learning_rate);
    }

    /// Predicts every pixel's mode colour and the NLL over all pixels; the
    /// returned future owns what it needs, so training may go on meanwhile.
    /// Its frame then goes to [`Demo::settle`].
    pub fn repaint(&self) -> impl Future<Output = Result<Frame<Repaint>, ReadbackError>> + 'static {
        let data = self.data.clone();
        let view = move |mdn: &Mdn| repaint_view(mdn, &data);
        let checkpoint = self.trainer.checkpoint();
        let picture = Arc::clone(&self.picture);
        let epoch = self.epochs();
        async move {
            let frame = read_checked(checkpoint, view).await?;
            Ok(frame.map(|values| unpack_repaint(values, epoch, &picture)))
        }
    }
}

impl Demo for PaintRun {
    type View = Repaint;

    /// Applies a repaint's verdict to the training (going back and lowering
    /// the learning rate if it diverged).
    fn settle(&mut self, frame: Frame<Repaint>) -> Guarded<Repaint> {
        self.trainer.settle(frame)
    }
}

/// What a repaint reads back for `model` on the picture's `data` (plain
/// device): the NLL over all pixels, `[1]`, then every pixel's mode colour,
/// `[pixels · 3]`.
fn repaint_view(model: &Mdn, data: &Dataset) -> Vec<Tensor<1>> {
    let mixture = model.valid().forward(data.inputs.clone());
    let pixels = data.len();
    vec![
        mixture.nll(data.targets.clone()),
        mixture.mode().reshape([pixels * 3]),
    ]
}

/// A [`Repaint`] from the values [`repaint_view`] read back, scored
/// against `picture`.
fn unpack_repaint(mut values: Vec<Vec<f32>>, epoch: usize, picture: &Picture) -> Repaint {
    let rgb = values.pop().unwrap_or_default();
    let nll = values.pop().and_then(|v| v.first().copied());
    Repaint {
        epoch,
        nll: nll.unwrap_or(f32::NAN),
        psnr: psnr(&picture.rgb, &rgb),
        rgb,
    }
}
