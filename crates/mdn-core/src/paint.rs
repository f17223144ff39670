//! The painting demo: an MDN from pixel coordinates to a mixture over
//! (R, G, B), trained on one picture, and its repaints.

use std::future::Future;
use std::sync::Arc;

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::data::Dataset;
use crate::encoding::EncodingConfig;
use crate::inference::{Read, ReadbackError, Reads, read_f32};
use crate::model::{Mdn, MdnConfig, PAINT_SIGMA_MIN};
use crate::model_file::{ENCODING_IN_MODEL, ModelFileError, ModelKind, ModelReader, ModelWriter};
use crate::picture::{MAX_TRAIN_SIDE, MIN_SIDE, Picture, pixel_coordinates, psnr};
use crate::records::rename_tensors;
use crate::settings::{self, SettingError};
use crate::spec::{Covariance, Encoding, GridLayout};
use crate::training::{Demo, Frame, Guarded, LOSS, TrainConfig, Trainer, read_checked};

/// Largest side [`PaintRun::render`] paints, in pixels.
pub const MAX_RENDER_SIDE: u32 = 8192;

/// Pixels per forward pass of [`PaintRun::render`] and of a repaint
/// (bounds their memory: a 256-unit hidden layer of 2¹⁶ pixels is 64 MiB,
/// under WebGPU's default 128 MiB storage binding, where W4's 512 × 512
/// pixels in one pass needed 256 MiB and failed on wgpu).
const RENDER_CHUNK: usize = 1 << 16;

/// The page's gradient clipping: a bound on each parameter tensor's
/// gradient norm that ordinary steps stay under, so only the rare outsized
/// minibatch (a component collapsing onto a flat patch) is tamed.
pub const CLIP_NORM: f32 = 10.0;

/// The `grid` encoding's gradient clipping: tighter than [`CLIP_NORM`],
/// since at lr = 1e-2 an outsized step reorganises the mixture (the mode
/// colour of whole regions flips to another component for a few epochs).
pub const GRID_CLIP_NORM: f32 = 1.0;

/// Once a painting has shown this PSNR (dB) of its mode colours, a later
/// repaint under it is turned down by the guard (see [`PaintRun`]'s
/// `settle`) when it is under [`SETBACK_FLOOR_DB`] or [`SETBACK_DB`] under
/// the last repaint shown: the mode colour of a whole region flipping to
/// another component for an epoch. Early training moves by several dB
/// between epochs, up and down, and so does a painting far above it (a
/// drop from 48 to 44 dB is invisible), so neither is judged.
pub const SETBACK_ARMED_DB: f32 = 25.0;

/// See [`SETBACK_ARMED_DB`]: the lowest PSNR (dB) a painting that has
/// shown 25 dB is shown at.
pub const SETBACK_FLOOR_DB: f32 = 22.0;

/// See [`SETBACK_ARMED_DB`]: the largest drop (dB) under 25 dB shown.
pub const SETBACK_DB: f32 = 3.0;

/// Factor of the learning rate at each setback (down to the decay's floor,
/// [`PaintConfig::lr_min`]): calmer steps make the same flip less likely
/// when training goes on from the model before it.
pub const SETBACK_LR: f64 = 0.5;

/// [`crate::training::Recovery::cause`] of a setback.
pub const SETBACK: &str = "the painting fell back under 25 dB";

/// How many times larger a `grid` painting's minibatch is where its grid
/// has hashed levels (see [`PaintConfig::sized_for`]).
pub const HASHED_BATCH_FACTOR: usize = 4;

/// The `grid` encoding's learning rate factor per epoch.
pub const GRID_LR_DECAY: f64 = 0.96;

/// Octaves of Fourier features of the `fourier` encoding (see
/// [`crate::encoding::fourier_features`]).
pub const FOURIER_OCTAVES: usize = 4;

/// The most octaves of Fourier features a model file may ask for. Octave
/// 10 already has a period of one pixel at the largest training size
/// (1024 px): the bound only refuses a file made by hand.
pub const MAX_OCTAVES: usize = 16;

/// The largest grid a model file may ask for, in table values (rows ·
/// features per node, 64 MiB of `f32`): the page's grid for 1024 px holds
/// 873 728.
pub const MAX_GRID_VALUES: usize = 1 << 24;

/// Settings of a painting run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PaintConfig {
    /// How a pixel's position reaches the network.
    pub encoding: Encoding,
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
    /// Adam's β2 (the decay of its second-moment estimate).
    pub beta_2: f64,
    /// Factor of the learning rate after every epoch (see
    /// [`TrainConfig::lr_decay`]).
    pub lr_decay: f64,
    /// The learning rate's floor under the decay.
    pub lr_min: f64,
    /// Seed of the initial weights and the shuffles.
    pub seed: u64,
    /// Gradient clipping per parameter tensor (see
    /// [`TrainConfig::clip_norm`]); `None` in the workloads.
    pub clip_norm: Option<f32>,
    /// Whether training is guarded (see [`crate::training`]); off in the
    /// workloads.
    pub guard: bool,
}

impl Default for PaintConfig {
    /// The page's settings with its default encoding (see
    /// [`PaintConfig::for_encoding`]).
    fn default() -> Self {
        Self::for_encoding(Encoding::default())
    }
}

impl PaintConfig {
    /// The page's settings for `encoding`, K = 8 diagonal Gaussians,
    /// guarded:
    ///
    /// - `grid`: workload W5's model (a learned grid of 4 features per node
    ///   doubling from 8 nodes to the training size, 2 × 64 tanh), trained
    ///   on minibatches of 256 at lr = 1e-2 with the paper's β2 = 0.99
    ///   (Müller et al. 2022, §4), each parameter's gradient norm clipped
    ///   at [`GRID_CLIP_NORM`] and the rate decayed by [`GRID_LR_DECAY`] per
    ///   epoch down to 1e-3 (a floor of 1e-4 left the default photo 1.5 dB
    ///   lower after 500 epochs). Chosen by measurement
    ///   (`examples/psnr_curve.rs`): over 40 seeds the default photo was at
    ///   27.8–32.6 dB after 20 epochs, against 22.1–27.9 dB on batches of
    ///   512 (a fifth of the seeds under 24 dB). No setting tried keeps
    ///   every painting that has passed 25 dB above 22 dB by itself: on
    ///   rocket, 2 runs of 8 with batches of 256 (to 19.4 dB) and 2 of 10
    ///   with 512 (to 19.8 dB) dipped for one epoch, the mode colour of a
    ///   whole region flipping to another component and back; so the guard
    ///   turns such repaints down (see [`SETBACK_ARMED_DB`]). With it, over
    ///   40 runs (the 4 shared photos and the default one × 6 seeds, rocket
    ///   × 10 more, 200–300 epochs) none was shown under 22 dB after 25
    ///   (the lowest, 23.7 dB), taking 6 setbacks in all.
    ///   With batches of 1024 at a constant rate (clipping at 10) paintings
    ///   fell as low as 16.7 dB, with clipping at 1 and a decay of 0.98 on
    ///   batches of 512 as low as 18.3 dB;
    /// - `fourier`: workload W2's model (4 × 128 tanh) fed 4 octaves of
    ///   Fourier features, minibatches of 256 at lr = 3e-3;
    /// - `raw`: the same on the plain coordinates (the original MDN
    ///   painting), which learns only a blur.
    pub fn for_encoding(encoding: Encoding) -> Self {
        let base = Self {
            encoding,
            covariance: Covariance::default(),
            components: settings::COMPONENTS.default_whole() as usize,
            hidden_width: 128,
            hidden_layers: 4,
            batch_size: 256,
            learning_rate: 3e-3,
            beta_2: 0.999,
            lr_decay: 1.0,
            lr_min: 0.0,
            seed: 0,
            clip_norm: Some(CLIP_NORM),
            guard: true,
        };
        match encoding {
            Encoding::Grid => Self {
                hidden_width: 64,
                hidden_layers: 2,
                batch_size: 256,
                learning_rate: 1e-2,
                beta_2: 0.99,
                lr_decay: GRID_LR_DECAY,
                lr_min: 1e-3,
                clip_norm: Some(GRID_CLIP_NORM),
                ..base
            },
            Encoding::Fourier | Encoding::Raw => base,
        }
    }

    /// These settings for a `width` × `height` picture: where the `grid`
    /// encoding has hashed levels (a longer side above 256 px, see
    /// [`GridLayout::for_side`]), minibatches 4 times as large
    /// ([`HASHED_BATCH_FACTOR`]). Every step updates the whole table with
    /// Adam, whatever the batch, and the hashed levels make that table
    /// large: measured natively on one thread (`examples/psnr_curve.rs`,
    /// astronaut's middle 512 × 384, seed 0), at 512 × 384 batches of 256
    /// took 105 s for 12 epochs, to 31.3 dB, and batches of 1024 107 s for
    /// 24 epochs, to 32.8 dB, ahead at every time (512: 79 s for 12
    /// epochs, 30.8 dB; 2048: 94 s for 24, 32.0 dB). At 256 × 192, with no
    /// hashed level, batches of 256 stay ahead: 30 epochs in 39 s to
    /// 37.0 dB, against 33 s to 35.0 dB on batches of 512.
    pub fn sized_for(self, width: u32, height: u32) -> Self {
        let side = width.max(height) as usize;
        let hashed = match self.encoding_for(side) {
            EncodingConfig::Grid(layout) => (0..layout.levels).any(|level| layout.hashed(level)),
            EncodingConfig::Fourier { .. } | EncodingConfig::Raw => false,
        };
        if hashed {
            Self {
                batch_size: self.batch_size * HASHED_BATCH_FACTOR,
                ..self
            }
        } else {
            self
        }
    }

    /// The encoding these settings give a model for a picture whose longer
    /// side is `side` pixels: [`FOURIER_OCTAVES`] octaves of Fourier
    /// features, or a grid doubling up to `side` nodes
    /// ([`GridLayout::for_side`]), or the raw positions.
    pub fn encoding_for(&self, side: usize) -> EncodingConfig {
        match self.encoding {
            Encoding::Grid => EncodingConfig::Grid(GridLayout::for_side(side)),
            Encoding::Fourier => EncodingConfig::Fourier {
                octaves: FOURIER_OCTAVES,
            },
            Encoding::Raw => EncodingConfig::Raw,
        }
    }

    /// The MDN these settings train for a picture whose longer side is
    /// `side` pixels: a pixel's (x, y) in, encoded as
    /// [`PaintConfig::encoding_for`] says, the hidden layers, K Gaussians
    /// over (R, G, B).
    pub fn model(&self, side: usize) -> MdnConfig {
        MdnConfig {
            input_dim: 2,
            encoding: self.encoding_for(side),
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
            beta_2: self.beta_2,
            lr_decay: self.lr_decay,
            lr_min: self.lr_min,
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
/// and the benchmark workloads' (W2–W5, unguarded).
pub struct PaintRun {
    config: PaintConfig,
    picture: Arc<Picture>,
    trainer: Trainer<Mdn>,
    data: Dataset,
    /// Seeds the samples of each repaint's sample view.
    rng: StdRng,
    /// The last repaint shown (see [`SETBACK_DB`]).
    shown: Option<Repaint>,
    /// Whether a repaint shown has reached [`SETBACK_ARMED_DB`].
    armed: bool,
    /// The picture's name (its file's), kept in the model file.
    picture_name: Option<String>,
}

/// What a repaint shows besides every pixel's mode and mean colours.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum View {
    /// The mode colour (the mean of the heaviest component): nothing more.
    #[default]
    Mode,
    /// The mixture mean E[y|x]: nothing more (it is always read).
    Mean,
    /// One colour drawn from every pixel's mixture at temperatures τ_π and
    /// τ_σ (see [`crate::mixture::Mixture::sample`]).
    Sample {
        /// Mixture temperature τ_π.
        tau_pi: f32,
        /// Width temperature τ_σ.
        tau_sigma: f32,
    },
    /// The model's uncertainty: every pixel's predictive standard deviation
    /// √(tr Var[y|x]) (see [`crate::mixture::Mixture::total_variance`]).
    Uncertainty,
}

impl View {
    /// The view that [`crate::settings::VIEW`]'s choice `name` stands for,
    /// with the temperatures of the sample view.
    pub fn from_name(name: &str, tau_pi: f32, tau_sigma: f32) -> Option<Self> {
        match name {
            "mode" => Some(View::Mode),
            "mean" => Some(View::Mean),
            "sample" => Some(View::Sample { tau_pi, tau_sigma }),
            "uncertainty" => Some(View::Uncertainty),
            _ => None,
        }
    }
}

/// One repaint: every pixel's mode and mean colour, the view asked for, and
/// how good they are.
#[derive(Clone, Debug, PartialEq)]
pub struct Repaint {
    /// Epochs completed when it was made.
    pub epoch: usize,
    /// What it was made for.
    pub view: View,
    /// NLL over all pixels, nats per pixel (colours in [0, 1]).
    pub nll: f32,
    /// PSNR of the mode colours against the training picture, dB.
    pub psnr: f32,
    /// PSNR of the mean colours, dB.
    pub psnr_mean: f32,
    /// PSNR of what the view shows, dB: the mean's, the sample's, or the
    /// mode's (for the mode and uncertainty views).
    pub psnr_view: f32,
    /// Row-major `[height, width, 3]` mode colours (unclamped).
    pub rgb: Vec<f32>,
    /// Row-major `[height, width, 3]` mean colours.
    pub mean_rgb: Vec<f32>,
    /// The [`View::Sample`] colours, `[height, width, 3]`, when asked for.
    pub sample_rgb: Option<Vec<f32>>,
    /// The [`View::Uncertainty`] standard deviations, `[height, width]` in
    /// colour units, when asked for.
    pub spread: Option<Vec<f32>>,
}

/// A coarse render of the running model before its epoch ends
/// ([`PaintRun::preview`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    /// Epochs completed.
    pub epoch: usize,
    /// The share of the current epoch's steps taken, 0 to 1.
    pub epoch_fraction: f32,
    /// Render width, px.
    pub width: u32,
    /// Render height, px.
    pub height: u32,
    /// Row-major `[height, width, 3]` mode colours (unclamped).
    pub rgb: Vec<f32>,
}

impl PaintRun {
    /// A run on `picture` (already at its training size) with the model of
    /// [`PaintConfig::model`] for its size, on `device` (a plain device: autodiff is
    /// added here).
    ///
    /// # Errors
    /// [`SettingError`] when K is outside [`settings::COMPONENTS`]' range.
    pub fn new(
        picture: Picture,
        config: PaintConfig,
        device: &Device,
    ) -> Result<Self, SettingError> {
        let side = picture.width.max(picture.height) as usize;
        let model = config.model(side);
        Self::with_model(picture, config, &model, device)
    }

    /// [`PaintRun::new`] with the model `model` (a model file's, whose
    /// encoding the file says).
    fn with_model(
        picture: Picture,
        config: PaintConfig,
        model: &MdnConfig,
        device: &Device,
    ) -> Result<Self, SettingError> {
        config.check()?;
        let train_device = device.clone().autodiff();
        let trainer = Trainer::new(
            model.init(config.seed, &train_device),
            picture.to_dataset(&train_device),
            config.train(),
        );
        Ok(Self {
            config,
            data: picture.to_dataset(device),
            picture: Arc::new(picture),
            trainer,
            rng: StdRng::seed_from_u64(config.seed.wrapping_add(3)),
            shown: None,
            armed: false,
            picture_name: None,
        })
    }

    /// The picture being painted (already downscaled to the training size).
    pub fn picture(&self) -> &Picture {
        &self.picture
    }

    /// The run's settings.
    pub fn config(&self) -> &PaintConfig {
        &self.config
    }

    /// The name of the picture being painted (its file's, as the page or
    /// the command line was given it), which [`PaintRun::save`] keeps;
    /// `None` until [`PaintRun::set_picture_name`], and for a model file
    /// written before names were kept.
    pub fn picture_name(&self) -> Option<&str> {
        self.picture_name.as_deref()
    }

    /// Names the picture being painted (see [`PaintRun::picture_name`]).
    pub fn set_picture_name(&mut self, name: &str) {
        self.picture_name = Some(name.to_owned());
    }

    /// The run as a model file (see [`crate::model_file`]): the settings,
    /// the model's encoding with its parameters, the picture at its
    /// training size, the model, Adam's state and the counts, so that
    /// [`PaintRun::load`] goes on exactly from here, as they are at the
    /// call. Reads the model back from the device
    /// asynchronously; the future owns what it needs.
    ///
    /// # Errors
    /// [`ModelFileError::Save`] when the device cannot be read or burn
    /// cannot write a record.
    pub fn save(&self) -> impl Future<Output = Result<Vec<u8>, ModelFileError>> + 'static {
        let c = &self.config;
        let p = &self.picture;
        let state = self.trainer.state();
        let mut file = ModelWriter::new(ModelKind::Paint);
        file.text("encoding", c.encoding.name())
            .text("covariance", c.covariance.name())
            .count("components", c.components)
            .count("hidden_width", c.hidden_width)
            .count("hidden_layers", c.hidden_layers)
            .count("batch_size", c.batch_size)
            .number("learning_rate", c.learning_rate)
            .number("beta_2", c.beta_2)
            .number("lr_decay", c.lr_decay)
            .number("lr_min", c.lr_min)
            .whole("seed", c.seed)
            .flag("guard", c.guard)
            .flag("had_transparency", p.had_transparency)
            .floats(
                "picture",
                &p.rgb,
                vec![p.height as usize, p.width as usize, 3],
            );
        if let Some(norm) = c.clip_norm {
            file.number("clip_norm", f64::from(norm));
        }
        if let Some(name) = &self.picture_name {
            file.text("picture_name", name);
        }
        write_encoding(&mut file, self.trainer.model().encoding());
        async move {
            let state = state
                .await
                .map_err(|e| ModelFileError::Save(e.to_string()))?;
            file.trainer("mdn", state);
            file.finish()
        }
    }

    /// A run from a model file [`PaintRun::save`] wrote, on `device` (a
    /// plain device; the file may come from any device), going on where it
    /// stopped: the next epoch is the one the saved run would have trained.
    ///
    /// Files of every format version load (see [`crate::model_file`]):
    /// before version 3 the encoding was the one the settings gave then (4
    /// octaves of Fourier features, [`GridLayout::for_side`] of the
    /// picture), and the grid's table was the model's `grid.table`.
    ///
    /// # Errors
    /// [`ModelFileError`]: not a model file, damaged or cut short, a newer
    /// format version, or a toy model.
    pub fn load(bytes: &[u8], device: &Device) -> Result<Self, ModelFileError> {
        let file = ModelReader::open(bytes, ModelKind::Paint)?;
        let bad = |what: String| ModelFileError::Damaged(what);
        let encoding =
            settings::encoding(file.text("encoding")?).map_err(|e| bad(e.to_string()))?;
        let covariance =
            settings::covariance(file.text("covariance")?).map_err(|e| bad(e.to_string()))?;
        let config = PaintConfig {
            encoding,
            covariance,
            components: file.count_upto("components", 32)?,
            hidden_width: file.count_upto("hidden_width", 4096)?,
            hidden_layers: file.count_upto("hidden_layers", 64)?,
            batch_size: file.count_upto("batch_size", 1 << 24)?,
            learning_rate: file.number("learning_rate")?,
            beta_2: file.number("beta_2")?,
            lr_decay: file.number("lr_decay")?,
            lr_min: file.number("lr_min")?,
            seed: file.whole("seed")?,
            clip_norm: match file.has("clip_norm") {
                true => Some(file.number("clip_norm")? as f32),
                false => None,
            },
            guard: file.flag("guard")?,
        };
        let (rgb, shape) = file.floats("picture")?;
        let side = |v: usize| (MIN_SIDE as usize..=MAX_TRAIN_SIDE as usize).contains(&v);
        let [height, width, 3] = shape[..] else {
            return Err(bad(format!("a picture of shape {shape:?}")));
        };
        if !side(width) || !side(height) || rgb.len() != width * height * 3 {
            return Err(bad(format!("a picture of {width} × {height} px")));
        }
        let picture = Picture {
            width: width as u32,
            height: height as u32,
            rgb,
            had_transparency: file.flag("had_transparency")?,
        };
        let longer = width.max(height);
        let model = MdnConfig {
            encoding: read_encoding(&file, encoding, longer)?,
            ..config.model(longer)
        };
        let mut state = file.trainer("mdn")?;
        if file.version() < ENCODING_IN_MODEL {
            state.model = rename_tensors(&state.model, |path| {
                path.strip_prefix("grid.")
                    .map(|rest| format!("encoding.Grid.{rest}"))
            })
            .map_err(|e| bad(e.to_string()))?;
        }
        let mut run =
            Self::with_model(picture, config, &model, device).map_err(|e| bad(e.to_string()))?;
        run.trainer
            .restore(&state)
            .map_err(|e| bad(e.to_string()))?;
        if file.has("picture_name") {
            run.set_picture_name(file.text("picture_name")?);
        }
        Ok(run)
    }

    /// The size [`PaintRun::render`] paints for a longer side of `side`
    /// pixels: the training picture's aspect ratio kept (each side rounded,
    /// at least 1).
    pub fn render_size(&self, side: u32) -> (u32, u32) {
        let (w, h) = (self.picture.width, self.picture.height);
        let longer = w.max(h);
        let scale = |v: u32| {
            ((u64::from(v) * u64::from(side) + u64::from(longer) / 2) / u64::from(longer)).max(1)
                as u32
        };
        (scale(w), scale(h))
    }

    /// The current model's mode colours at the pixel centres of a `width`
    /// × `height` grid over the same picture (the positions of
    /// [`pixel_coordinates`], which the model encodes: a coordinate network
    /// paints at any size), row-major `[height, width, 3]`, unclamped.
    /// Sides are clamped to 1..=[`MAX_RENDER_SIDE`]. The future owns what
    /// it needs.
    pub fn render(
        &self,
        width: u32,
        height: u32,
    ) -> impl Future<Output = Result<Vec<f32>, ReadbackError>> + 'static {
        let (width, height) = (
            width.clamp(1, MAX_RENDER_SIDE),
            height.clamp(1, MAX_RENDER_SIDE),
        );
        let device = self.data.inputs.device();
        let model = self.trainer.model().valid();
        let positions = pixel_coordinates(width, height);
        let colours: Vec<Tensor<1>> = crate::pool::run(move || {
            positions
                .chunks(RENDER_CHUNK * 2)
                .map(|chunk| {
                    let rows = chunk.len() / 2;
                    let x = Tensor::<2>::from_data(
                        burn::tensor::TensorData::new(chunk.to_vec(), [rows, 2]),
                        &device,
                    );
                    model.forward(x).mode().reshape([rows * 3])
                })
                .collect()
        });
        async move { Ok(read_f32(colours).await?.concat()) }
    }

    /// A coarse look at the model while an epoch trains: the mode colours
    /// at [`PaintRun::render_size`]`(side)` (never above the training
    /// size), with how far the current epoch has got. At 512 px an epoch
    /// on one CPU thread takes seconds; a 128 px render costs a sixteenth
    /// of a full repaint's forward pass and none of its NLL, so the page
    /// can show the painting forming from the first second on. The future
    /// owns what it needs.
    pub fn preview(
        &self,
        side: u32,
    ) -> impl Future<Output = Result<Preview, ReadbackError>> + 'static {
        let longer = self.picture.width.max(self.picture.height);
        let (width, height) = self.render_size(side.min(longer));
        let per_epoch = self.steps_per_epoch().max(1);
        let done = self
            .trainer
            .steps()
            .saturating_sub(self.epochs() * per_epoch);
        let epoch_fraction = (done as f32 / per_epoch as f32).min(1.0);
        let epoch = self.epochs();
        let render = self.render(width, height);
        async move {
            Ok(Preview {
                epoch,
                epoch_fraction,
                width,
                height,
                rgb: render.await?,
            })
        }
    }

    /// Runs up to `max_steps` steps, stopping early at the end of an epoch.
    /// Returns whether an epoch was completed. Queues device work only.
    /// On the CPU with threads the steps run on rayon's pool
    /// ([`crate::pool`]).
    pub fn train(&mut self, max_steps: usize) -> bool {
        let trainer = &mut self.trainer;
        crate::pool::run(|| (0..max_steps).any(|_| trainer.step().1))
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

    /// Predicts every pixel's mode and mean colour, what `view` asks for,
    /// and the NLL over all pixels; the returned future owns what it needs,
    /// so training may go on meanwhile. Its frame then goes to
    /// [`Demo::settle`].
    pub fn repaint(
        &mut self,
        view: View,
    ) -> impl Future<Output = Result<Frame<Repaint>, ReadbackError>> + 'static {
        let data = self.data.clone();
        let seed = self.rng.next_u64();
        let read = move |mdn: &Mdn| {
            let (mdn, data) = (mdn.clone(), data.clone());
            crate::pool::run(move || repaint_view(&mdn, &data, view, seed))
        };
        let checkpoint = self.trainer.checkpoint();
        let picture = Arc::clone(&self.picture);
        let epoch = self.epochs();
        async move {
            let frame = read_checked(checkpoint, read).await?;
            frame.try_map(|read| unpack_repaint(read, view, epoch, &picture))
        }
    }
}

/// Writes `encoding`'s parameters into a painting's file (its name is the
/// `encoding` text field, the settings' own): for the `fourier` encoding
/// `encoding.octaves`; for the `grid` encoding its [`GridLayout`],
/// `encoding.levels`, `encoding.base`, `encoding.top`, `encoding.features`,
/// `encoding.hash_above` and `encoding.table`; nothing for `raw`.
fn write_encoding(file: &mut ModelWriter, encoding: EncodingConfig) {
    match encoding {
        EncodingConfig::Raw => {}
        EncodingConfig::Fourier { octaves } => {
            file.count("encoding.octaves", octaves);
        }
        EncodingConfig::Grid(layout) => {
            file.count("encoding.levels", layout.levels)
                .count("encoding.base", layout.base)
                .count("encoding.top", layout.top)
                .count("encoding.features", layout.features)
                .count("encoding.hash_above", layout.hash_above)
                .count("encoding.table", layout.table);
        }
    }
}

/// The encoding of a painting's model read from its file: `kind` (the
/// `encoding` text field) with the parameters [`write_encoding`] wrote, or
/// for a file before version 3, which had none,
/// [`encoding_before_version_3`] for a picture whose longer side is `side`.
///
/// # Errors
/// [`ModelFileError::Damaged`] when a parameter is missing or out of range:
/// at most [`MAX_OCTAVES`] octaves; a grid of 1 to 32 levels, sides from 2
/// (`base` ≤ `top` ≤ 4096), 1 to 16 features per node, a power-of-two
/// hashed table, at most [`MAX_GRID_VALUES`] values in all.
fn read_encoding(
    file: &ModelReader,
    kind: Encoding,
    side: usize,
) -> Result<EncodingConfig, ModelFileError> {
    if file.version() < ENCODING_IN_MODEL {
        return Ok(encoding_before_version_3(kind, side));
    }
    Ok(match kind {
        Encoding::Raw => EncodingConfig::Raw,
        Encoding::Fourier => EncodingConfig::Fourier {
            octaves: file.count_upto("encoding.octaves", MAX_OCTAVES)?,
        },
        Encoding::Grid => {
            let layout = GridLayout {
                levels: file.count_upto("encoding.levels", 32)?,
                base: file.count_upto("encoding.base", 4096)?,
                top: file.count_upto("encoding.top", 4096)?,
                features: file.count_upto("encoding.features", 16)?,
                hash_above: file.count_upto("encoding.hash_above", MAX_GRID_VALUES)?,
                table: file.count_upto("encoding.table", MAX_GRID_VALUES)?,
            };
            // The sides' bound keeps every level's R² and the table's rows
            // within a 32-bit usize (the wasm's); the values' bound, the
            // allocation.
            let fits = layout.base >= 2
                && layout.base <= layout.top
                && layout.table.is_power_of_two()
                && layout
                    .total_entries()
                    .checked_mul(layout.features)
                    .is_some_and(|values| values <= MAX_GRID_VALUES);
            if !fits {
                return Err(ModelFileError::Damaged(format!(
                    "a grid laid out as {layout:?}"
                )));
            }
            EncodingConfig::Grid(layout)
        }
    })
}

/// The encoding every painting's model had before model files kept it
/// (format versions 1 and 2), for a picture whose longer side is `side`:
/// 4 octaves of Fourier features (written out, not [`FOURIER_OCTAVES`],
/// which may change), the grid of [`GridLayout::for_side`], or the raw
/// positions. `tests/model_file.rs` loads version 2 files of each
/// encoding, so a change of the page's grid that would misread them fails
/// there.
fn encoding_before_version_3(kind: Encoding, side: usize) -> EncodingConfig {
    match kind {
        Encoding::Grid => EncodingConfig::Grid(GridLayout::for_side(side)),
        Encoding::Fourier => EncodingConfig::Fourier { octaves: 4 },
        Encoding::Raw => EncodingConfig::Raw,
    }
}

impl Demo for PaintRun {
    type View = Repaint;

    /// Applies a repaint's verdict to the training: going back and lowering
    /// the learning rate if it diverged, and also, with the guard on, at a
    /// setback (see [`SETBACK_ARMED_DB`]): the trainer goes back to the
    /// last good model, whose repaint is the last one shown, so that one is
    /// shown again, with the frame's epoch, and the learning rate is
    /// multiplied by [`SETBACK_LR`] (not below [`PaintConfig::lr_min`]). So
    /// once a painting has shown 25 dB, it is never shown under 22 dB, nor
    /// 3 dB under its last repaint unless it stays above 25 dB.
    fn settle(&mut self, frame: Frame<Repaint>) -> Guarded<Repaint> {
        let value = frame.value();
        let shown = self.shown.take().filter(|shown| {
            self.armed
                && frame.healthy()
                && shown.view == value.view
                && value.psnr < SETBACK_ARMED_DB
                && (value.psnr < SETBACK_FLOOR_DB || value.psnr < shown.psnr - SETBACK_DB)
        });
        let epoch = value.epoch;
        let guarded = match shown {
            Some(shown) => match self.trainer.turn_down(frame, SETBACK_LR, SETBACK) {
                Ok(recovery) => Guarded {
                    value: Repaint { epoch, ..shown },
                    learning_rate: self.trainer.learning_rate(),
                    recovery: Some(recovery),
                },
                Err(frame) => self.trainer.settle(frame),
            },
            None => self.trainer.settle(frame),
        };
        self.armed |= guarded.value.psnr >= SETBACK_ARMED_DB;
        self.shown = Some(guarded.value.clone());
        guarded
    }
}

/// What a repaint reads back for `model` on the picture's `data` (plain
/// device): the NLL over all pixels ([`LOSS`], `[1]`), every pixel's
/// `mode` and `mean` colour (`[pixels · 3]` each), then the `sample`
/// colours (`[pixels · 3]`, drawn with `seed`) or the standard deviations
/// (`spread`, `[pixels]`) if `view` asks.
fn repaint_view(model: &Mdn, data: &Dataset, view: View, seed: u64) -> Reads {
    // One forward pass for the colours, the guard's NLL and what the view
    // adds (on the CPU the first two come from one fused pass over the
    // head's outputs), RENDER_CHUNK pixels at a time.
    let model = model.valid();
    let pixels = data.len();
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut nll_sum, mut modes, mut means, mut extras) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for start in (0..pixels).step_by(RENDER_CHUNK) {
        let rows = RENDER_CHUNK.min(pixels - start);
        let outputs = model.outputs(data.inputs.clone().narrow(0, start, rows));
        let readout = outputs.readout(data.targets.clone().narrow(0, start, rows));
        nll_sum.push(readout.log_prob.sum());
        modes.push(readout.mode.reshape([rows * 3]));
        means.push(readout.mean.reshape([rows * 3]));
        match view {
            View::Sample { tau_pi, tau_sigma } => {
                let sample = outputs.mixture().sample(tau_pi, tau_sigma, &mut rng);
                extras.push(sample.reshape([rows * 3]));
            }
            View::Uncertainty => {
                extras.push(outputs.mixture().total_variance().clamp_min(0.0).sqrt());
            }
            View::Mode | View::Mean => {}
        }
    }
    let nll = Tensor::cat(nll_sum, 0)
        .sum()
        .div_scalar(pixels as f32)
        .neg();
    let reads = Reads::default()
        .with(LOSS, nll)
        .with("mode", Tensor::cat(modes, 0))
        .with("mean", Tensor::cat(means, 0));
    match view {
        View::Sample { .. } => reads.with("sample", Tensor::cat(extras, 0)),
        View::Uncertainty => reads.with("spread", Tensor::cat(extras, 0)),
        View::Mode | View::Mean => reads,
    }
}

/// A [`Repaint`] from the values [`repaint_view`] read back for `view`,
/// scored against `picture`.
///
/// # Errors
/// [`ReadbackError`] when a value the view reads is missing or has the
/// wrong length.
fn unpack_repaint(
    mut read: Read,
    view: View,
    epoch: usize,
    picture: &Picture,
) -> Result<Repaint, ReadbackError> {
    let colours = picture.rgb.len();
    let mut take = |name: &str, len: usize| -> Result<Vec<f32>, ReadbackError> {
        let values = read.take(name)?;
        if values.len() == len {
            Ok(values)
        } else {
            Err(ReadbackError(format!(
                "the repaint's {name} has {} values, not {len}",
                values.len()
            )))
        }
    };
    let rgb = take("mode", colours)?;
    let mean_rgb = take("mean", colours)?;
    let (sample_rgb, spread) = match view {
        View::Sample { .. } => (Some(take("sample", colours)?), None),
        View::Uncertainty => (None, Some(take("spread", colours / 3)?)),
        View::Mode | View::Mean => (None, None),
    };
    let nll = read.scalar(LOSS)?;
    let psnr_mode = psnr(&picture.rgb, &rgb);
    let psnr_mean = psnr(&picture.rgb, &mean_rgb);
    let psnr_view = match (view, &sample_rgb) {
        (View::Mean, _) => psnr_mean,
        (View::Sample { .. }, Some(sample)) => psnr(&picture.rgb, sample),
        _ => psnr_mode,
    };
    Ok(Repaint {
        epoch,
        view,
        nll,
        psnr: psnr_mode,
        psnr_mean,
        psnr_view,
        rgb,
        mean_rgb,
        sample_rgb,
        spread,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_s_minibatch_grows_where_its_levels_are_hashed() {
        let batch = |encoding, w, h| {
            PaintConfig::for_encoding(encoding)
                .sized_for(w, h)
                .batch_size
        };
        assert_eq!(batch(Encoding::Grid, 32, 24), 256);
        assert_eq!(batch(Encoding::Grid, 128, 128), 256);
        assert_eq!(batch(Encoding::Grid, 256, 256), 256, "no level hashed");
        assert_eq!(batch(Encoding::Grid, 384, 288), 1024);
        assert_eq!(batch(Encoding::Grid, 384, 512), 1024);
        assert_eq!(batch(Encoding::Fourier, 512, 384), 256, "no table");
    }

    /// A painting's file holding `encoding` as [`PaintRun::save`] writes
    /// it, read back.
    fn file_with(encoding: EncodingConfig) -> ModelReader {
        let mut file = ModelWriter::new(ModelKind::Paint);
        file.text("encoding", encoding.kind().name());
        write_encoding(&mut file, encoding);
        let bytes = file.finish().expect("writes");
        ModelReader::open(&bytes, ModelKind::Paint).expect("reads")
    }

    #[test]
    fn a_file_keeps_every_encoding_with_its_parameters() {
        let encodings = [
            EncodingConfig::Raw,
            EncodingConfig::Fourier { octaves: 4 },
            EncodingConfig::Fourier { octaves: 7 },
            EncodingConfig::Grid(GridLayout::for_side(128)),
            EncodingConfig::Grid(GridLayout::for_side(1024)),
            EncodingConfig::Grid(GridLayout {
                features: 2,
                ..GridLayout::for_side(12)
            }),
        ];
        for encoding in encodings {
            let file = file_with(encoding);
            // The side is not read: the file says the layout.
            assert_eq!(
                read_encoding(&file, encoding.kind(), 64),
                Ok(encoding),
                "{encoding:?}"
            );
        }
    }

    #[test]
    fn a_file_s_encoding_out_of_range_is_damage() {
        let grid = GridLayout::for_side(64);
        let encodings = [
            EncodingConfig::Fourier { octaves: 0 },
            EncodingConfig::Fourier {
                octaves: MAX_OCTAVES + 1,
            },
            EncodingConfig::Grid(GridLayout { base: 1, ..grid }),
            EncodingConfig::Grid(GridLayout { top: 4, ..grid }),
            EncodingConfig::Grid(GridLayout { levels: 0, ..grid }),
            EncodingConfig::Grid(GridLayout {
                table: 1000,
                ..grid
            }),
            EncodingConfig::Grid(GridLayout {
                features: 17,
                ..grid
            }),
            // 2049² values per feature: over MAX_GRID_VALUES.
            EncodingConfig::Grid(GridLayout {
                levels: 1,
                top: 2049,
                hash_above: MAX_GRID_VALUES,
                ..grid
            }),
        ];
        for encoding in encodings {
            let file = file_with(encoding);
            assert!(
                matches!(
                    read_encoding(&file, encoding.kind(), 64),
                    Err(ModelFileError::Damaged(_))
                ),
                "{encoding:?}"
            );
        }
        // No parameters at all in a version 3 file.
        let mut file = ModelWriter::new(ModelKind::Paint);
        file.text("encoding", "grid");
        let bytes = file.finish().expect("writes");
        let file = ModelReader::open(&bytes, ModelKind::Paint).expect("reads");
        assert!(read_encoding(&file, Encoding::Grid, 64).is_err());
    }
}
