//! The painting demo: an MDN from pixel coordinates to a mixture over
//! (R, G, B), trained on one picture, and its repaints.

use std::future::Future;
use std::sync::Arc;

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::data::Dataset;
use crate::inference::{ReadbackError, read_f32};
use crate::mixture::Covariance;
use crate::model::{Mdn, MdnConfig};
use crate::picture::{Picture, psnr};
use crate::training::{Recovery, TrainConfig, Trainer, Verdict, read_checked};
use crate::workloads::PaintWorkload;

/// Largest number of mixture components the painting accepts.
pub const MAX_COMPONENTS: usize = 32;

/// The page's gradient clipping: a bound on each parameter tensor's
/// gradient norm that ordinary steps stay under, so only the rare outsized
/// minibatch (a component collapsing onto a flat patch) is tamed.
pub const CLIP_NORM: f32 = 10.0;

/// Settings of a painting run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PaintConfig {
    /// Covariance parametrisation of the colour mixture.
    pub covariance: Covariance,
    /// Mixture components K, 1..=32.
    pub components: usize,
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
}

impl Default for PaintConfig {
    /// The page's settings: workload W2's model (4 × 128 tanh, K = 8
    /// diagonal Gaussians) fed 4 octaves of Fourier features, trained on
    /// minibatches of 256 at lr = 3e-3. On a 128 px photo the repaint is
    /// recognisable within ten epochs, where W2's settings still show a blur
    /// after a hundred.
    fn default() -> Self {
        Self {
            covariance: Covariance::Diagonal,
            components: 8,
            batch_size: 256,
            learning_rate: 3e-3,
            seed: 0,
            octaves: 4,
            clip_norm: Some(CLIP_NORM),
        }
    }
}

impl PaintConfig {
    /// Exactly workload W2, as [`PaintWorkload::w2`] defines it (its model
    /// and optimiser, raw coordinates in, no clipping), with weights and
    /// shuffles drawn from `seed`: what the page's benchmark trains.
    pub fn w2(seed: u64) -> Self {
        let w2 = PaintWorkload::w2();
        let pixels = w2.side as usize * w2.side as usize;
        Self {
            covariance: w2.model.covariance,
            components: w2.model.components,
            batch_size: w2.train.batch_size.unwrap_or(pixels),
            learning_rate: w2.train.learning_rate,
            seed,
            octaves: 0,
            clip_norm: w2.train.clip_norm,
        }
    }

    /// The MDN these settings train: [`MdnConfig::paint`] with 2 + 4 ×
    /// `octaves` inputs and K clamped to 1..=[`MAX_COMPONENTS`].
    pub fn model(&self) -> MdnConfig {
        let components = self.components.clamp(1, MAX_COMPONENTS);
        MdnConfig::paint(2 + 4 * self.octaves, self.covariance, components)
    }

    /// The optimiser settings.
    pub fn train(&self) -> TrainConfig {
        TrainConfig {
            learning_rate: self.learning_rate,
            batch_size: Some(self.batch_size),
            seed: self.seed,
            clip_norm: self.clip_norm,
        }
    }
}

/// A training run that paints one picture.
pub struct PaintRun {
    picture: Arc<Picture>,
    trainer: Trainer<Mdn>,
    data: Dataset,
    loss: Option<Tensor<1>>,
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
    /// The learning rate from now on.
    pub learning_rate: f64,
    /// Set when this repaint found training diverged: the repaint is then
    /// that of the last good model, which training went back to.
    pub recovery: Option<Recovery>,
}

/// A repaint read back but not yet judged: pass it to [`PaintRun::settle`].
pub struct PaintFrame {
    repaint: Repaint,
    verdict: Verdict<Mdn>,
}

impl PaintRun {
    /// A run on `picture` with a model of [`MdnConfig::paint`], on `device`
    /// (a plain device: autodiff is added here).
    ///
    /// `config.components` is clamped to 1..=[`MAX_COMPONENTS`].
    pub fn new(picture: Picture, config: PaintConfig, device: &Device) -> Self {
        let train_device = device.clone().autodiff();
        let model = config.model().init(config.seed, &train_device);
        let trainer = Trainer::new(
            model,
            picture.to_dataset(config.octaves, &train_device),
            config.train(),
        );
        Self {
            data: picture.to_dataset(config.octaves, device),
            picture: Arc::new(picture),
            trainer,
            loss: None,
        }
    }

    /// The picture being painted (already downscaled to the training size).
    pub fn picture(&self) -> &Picture {
        &self.picture
    }

    /// Runs up to `max_steps` steps, stopping early at the end of an epoch.
    /// Returns whether an epoch was completed. Queues device work only.
    pub fn train(&mut self, max_steps: usize) -> bool {
        for _ in 0..max_steps {
            let (loss, epoch_done) = self.trainer.step();
            self.loss = Some(loss);
            if epoch_done {
                return true;
            }
        }
        false
    }

    /// The NLL of the latest minibatch (nats per pixel; NaN before the first
    /// step). Awaiting it also waits for all training queued so far.
    pub fn loss(&self) -> impl Future<Output = Result<f32, ReadbackError>> + 'static {
        let loss = self.loss.clone();
        async move {
            Ok(match loss {
                Some(loss) => read_f32(vec![loss]).await?.concat()[0],
                None => f32::NAN,
            })
        }
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
    /// Its frame then goes to [`PaintRun::settle`].
    pub fn repaint(&self) -> impl Future<Output = Result<PaintFrame, ReadbackError>> + 'static {
        let data = self.data.clone();
        let view = move |mdn: &Mdn| repaint_view(mdn, &data);
        let checkpoint = self.trainer.checkpoint();
        let picture = Arc::clone(&self.picture);
        let epoch = self.epochs();
        let learning_rate = self.learning_rate();
        async move {
            let (values, verdict) = read_checked(checkpoint, view).await?;
            Ok(PaintFrame {
                repaint: unpack_repaint(values, epoch, &picture, learning_rate),
                verdict,
            })
        }
    }

    /// Applies a frame's verdict to the training (going back and lowering
    /// the learning rate if it diverged) and returns its repaint.
    pub fn settle(&mut self, frame: PaintFrame) -> Repaint {
        let recovery = self.trainer.settle(frame.verdict);
        Repaint {
            learning_rate: self.learning_rate(),
            recovery,
            ..frame.repaint
        }
    }
}

/// What a repaint reads back for `model` on the picture's `data` (plain
/// device): the NLL over all pixels, `[1]`, then every pixel's mode colour,
/// `[pixels · 3]`.
pub(crate) fn repaint_view(model: &Mdn, data: &Dataset) -> Vec<Tensor<1>> {
    let mixture = model.valid().forward(data.inputs.clone());
    let pixels = data.len();
    vec![
        mixture.nll(data.targets.clone()),
        mixture.mode().reshape([pixels * 3]),
    ]
}

/// A [`Repaint`] from the values [`repaint_view`] read back, scored
/// against `picture`; no recovery (the caller's guard adds one).
pub(crate) fn unpack_repaint(
    mut values: Vec<Vec<f32>>,
    epoch: usize,
    picture: &Picture,
    learning_rate: f64,
) -> Repaint {
    let rgb = values.pop().unwrap_or_default();
    let nll = values.pop().and_then(|v| v.first().copied());
    Repaint {
        epoch,
        nll: nll.unwrap_or(f32::NAN),
        psnr: psnr(&picture.rgb, &rgb),
        rgb,
        learning_rate,
        recovery: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page's benchmark and `mdn bench W2` train the same workload.
    #[test]
    fn w2_settings_are_the_workloads() {
        let config = PaintConfig::w2(7);
        let w2 = PaintWorkload::w2();
        assert_eq!(config.model(), w2.model);
        assert_eq!(
            config.train(),
            TrainConfig {
                seed: 7,
                ..w2.train
            }
        );
    }
}
