//! The toy demos: an MDN and a least-squares baseline trained side by side
//! on one-dimensional data (the sinusoid inversion of W1, its forward twin,
//! Bishop's toy, or a reader's own points), and snapshots of what the MDN
//! outputs: samples, the density p(y | x) over the plot, every component's
//! π_k(x), μ_k(x) and σ_k(x), the conditional mode, and the conditional
//! density at one probed x₀ (Bishop 2006, PRML §5.6, fig. 5.21's panels).
//!
//! Everything a snapshot holds is in the reader's coordinates; the model
//! trains in [`crate::data::Scaling`]'s.

use std::future::Future;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::data::{Affine, Dataset, Scaling, TOY_POINTS, ToyData, ToySet, linspace};
use crate::inference::{ReadbackError, Reads, read_f32};
use crate::model::{Mdn, MdnConfig, Regressor};
use crate::model_file::{ModelFileError, ModelKind, ModelReader, ModelWriter};
use crate::spec::LN_2PI;
use crate::training::{Demo, Frame, Guarded, LOSS, StateError, TrainConfig, Trainer, read_checked};

/// Samples drawn from the mixture at each grid x.
pub const SAMPLES_PER_X: usize = 10;
/// Number of x values the predictions are shown at (the density grid's
/// columns).
pub const GRID_POINTS: usize = 200;
/// Number of y values the density is shown at (the density grid's rows and
/// the probe's curve).
pub const DENSITY_ROWS: usize = 150;
/// Mean-shift iterations of [`conditional_mode`].
const MODE_ITERATIONS: usize = 30;

/// Settings of a toy run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToyConfig {
    /// Seed of the data (`seed`), the MDN (`seed + 1`), the least-squares
    /// fit (`seed + 2`) and the samples (`seed + 3`).
    pub seed: u64,
    /// Data points N of a built-in set.
    pub points: usize,
    /// The built-in data set [`ToyRun::new`] draws.
    pub set: ToySet,
    /// Mixture components K (1–32).
    pub components: usize,
    /// Hidden tanh units of the MDN and of the least-squares fit (4–128).
    pub hidden: usize,
    /// Whether the least-squares fit trains beside the MDN (the demo's
    /// comparison; workload W1 times the MDN alone).
    pub baseline: bool,
    /// Whether the MDN's training is guarded (see [`crate::training`]).
    pub guard: bool,
}

impl ToyConfig {
    /// The demo: W1's 2500 points of the sinusoid inversion and W1's model
    /// (K = 24, 24 hidden units), with the least-squares fit, guarded.
    pub fn demo(seed: u64) -> Self {
        Self {
            seed,
            points: TOY_POINTS,
            set: ToySet::Inverse,
            components: 24,
            hidden: 24,
            baseline: true,
            guard: true,
        }
    }

    /// The MDN's shape.
    pub fn model(&self) -> MdnConfig {
        MdnConfig::toy_with(self.components, self.hidden)
    }
}

/// The rectangle a toy is plotted in, reader's units: x from `x0` to `x1`,
/// y from `y0` to `y1`.
#[derive(Clone, Copy, Debug, PartialEq)]
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

impl Bounds {
    /// The data's range with a margin (4 % of the span on x, 6 % on y), so
    /// no point sits on the frame.
    pub fn around(data: &ToyData) -> Bounds {
        let (x0, x1) = range(&data.x);
        let (y0, y1) = range(&data.y);
        let px = 0.04 * nonzero(x1 - x0);
        let py = 0.06 * nonzero(y1 - y0);
        Bounds {
            x0: x0 - px,
            x1: x1 + px,
            y0: y0 - py,
            y1: y1 + py,
        }
    }
}

fn range(values: &[f32]) -> (f32, f32) {
    values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

fn nonzero(span: f32) -> f32 {
    if span > 0.0 { span } else { 1.0 }
}

/// A training run of a toy problem: the MDN of [`ToyConfig::model`] and, as
/// a baseline, a 1 → hidden tanh → 1 least-squares fit, both full batch
/// with Adam at lr = 1e-3. The MDN's training is guarded (see
/// [`crate::training`]); the least-squares fit cannot diverge at this rate.
pub struct ToyRun {
    config: ToyConfig,
    data: ToyData,
    dataset: Dataset,
    mdn: Trainer<Mdn>,
    mse: Option<Trainer<Regressor>>,
    bounds: Bounds,
    grid_x: Vec<f32>,
    grid_y: Vec<f32>,
    /// `grid_x` in training units, `[G, 1]`.
    grid: Tensor<2>,
    /// Each training-unit grid x `SAMPLES_PER_X` times, `[G · S, 1]`.
    sample_grid: Tensor<2>,
    probe: Option<f32>,
    rng: StdRng,
}

/// Every component's parameters at each grid x, reader's units, `[G, K]`
/// row-major each.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Components {
    /// Weights π_k(x) in [0, 1], each row summing to 1.
    pub pi: Vec<f32>,
    /// Means μ_k(x), y units.
    pub mu: Vec<f32>,
    /// Standard deviations σ_k(x) > 0, y units.
    pub sigma: Vec<f32>,
}

/// The conditional density p(y | x₀) at one probed x₀, over the snapshot's
/// `grid_y`.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// x₀, reader's units.
    pub x: f32,
    /// p(y_h | x₀), `[H]`, per y unit.
    pub density: Vec<f32>,
    /// π_k N(y_h; μ_k, σ_k²) at x₀, `[K, H]` row-major, per y unit: the
    /// terms `density` sums.
    pub components: Vec<f32>,
}

/// What the toy's models predict after some training, reader's units.
#[derive(Clone, Debug, PartialEq)]
pub struct ToySnapshot {
    /// Steps taken.
    pub step: usize,
    /// The shown MDN's NLL over all training points, nats per point (of the
    /// reader's y).
    pub nll: f32,
    /// The plot's rectangle, which the grids span.
    pub bounds: Bounds,
    /// The grid of inputs x, `[G]`, from `bounds.x0` to `bounds.x1`.
    pub grid_x: Vec<f32>,
    /// The grid of targets y, `[H]`, from `bounds.y0` to `bounds.y1`.
    pub grid_y: Vec<f32>,
    /// Mixture samples of y, `[G, SAMPLES_PER_X]`, drawn at the snapshot's
    /// temperatures.
    pub samples: Vec<f32>,
    /// The least-squares prediction of y, `[G]` (empty without the baseline).
    pub mse_y: Vec<f32>,
    /// log p(`grid_y[h]` | `grid_x[g]`), `[G, H]` row-major, nats (of the
    /// reader's y), at temperatures 1 (empty, like the next three, in a
    /// snapshot without panels).
    pub log_density: Vec<f32>,
    /// π, μ and σ of every component at each grid x.
    pub components: Components,
    /// The conditional mode argmax_y p(y | x) at each grid x, `[G]`.
    pub mode: Vec<f32>,
    /// The conditional density at the probed x₀, if one is set
    /// ([`ToyRun::set_probe`]).
    pub probe: Option<Probe>,
}

impl ToyRun {
    /// A fresh run on `device` (a plain device: autodiff is added here):
    /// `config.points` points of `config.set` and the models, drawn from
    /// `config.seed`, plotted around the data.
    pub fn new(config: ToyConfig, device: &Device) -> Self {
        let data = ToyData::generate(config.set, config.points, config.seed);
        let bounds = Bounds::around(&data);
        Self::on_data(config, data, bounds, device)
    }

    /// A fresh run on given `data` (a reader's points: `config.set` and
    /// `config.points` are not used), plotted in `bounds`.
    pub fn on_data(config: ToyConfig, data: ToyData, bounds: Bounds, device: &Device) -> Self {
        let seed = config.seed;
        let train_device = device.clone().autodiff();
        let train_data = data.to_dataset(&train_device);
        let model = config.model();
        let mdn = model.init(seed.wrapping_add(1), &train_device);
        let train = TrainConfig {
            guard: config.guard,
            ..TrainConfig::full_batch(seed)
        };
        let mse = config.baseline.then(|| {
            let regressor =
                Regressor::init(1, &model.hidden, 1, seed.wrapping_add(2), &train_device);
            Trainer::new(regressor, train_data.clone(), train)
        });
        let sx = data.scaling.x;
        let grid_x = linspace(bounds.x0, bounds.x1, GRID_POINTS);
        let grid_y = linspace(bounds.y0, bounds.y1, DENSITY_ROWS);
        let train_x: Vec<f32> = grid_x.iter().map(|&x| sx.apply(x)).collect();
        let repeated: Vec<f32> = train_x.iter().flat_map(|&x| [x; SAMPLES_PER_X]).collect();
        Self {
            config,
            mdn: Trainer::new(mdn, train_data, train),
            mse,
            dataset: data.to_dataset(device),
            data,
            bounds,
            grid: Tensor::from_data(TensorData::new(train_x, [GRID_POINTS, 1]), device),
            sample_grid: Tensor::from_data(
                TensorData::new(repeated, [GRID_POINTS * SAMPLES_PER_X, 1]),
                device,
            ),
            grid_x,
            grid_y,
            probe: None,
            rng: StdRng::seed_from_u64(seed.wrapping_add(3)),
        }
    }

    /// The plot's rectangle.
    pub fn bounds(&self) -> Bounds {
        self.bounds
    }

    /// The run's settings.
    pub fn config(&self) -> &ToyConfig {
        &self.config
    }

    /// The run as a model file (see [`crate::model_file`]): the settings,
    /// the points (reader's units) with their scaling, the plot's
    /// rectangle, the MDN and the least-squares fit with Adam's state of
    /// each and the counts, so that [`ToyRun::load`] goes on exactly from
    /// here, as they are at the call. Reads the models back from the
    /// device asynchronously; the future owns what it needs.
    ///
    /// # Errors
    /// [`ModelFileError::Save`] when the device cannot be read or burn
    /// cannot write a record.
    pub fn save(&self) -> impl Future<Output = Result<Vec<u8>, ModelFileError>> + 'static {
        let c = &self.config;
        let mut file = ModelWriter::new(ModelKind::Toy);
        let (d, b) = (&self.data, self.bounds);
        file.whole("seed", c.seed)
            .count("points", c.points)
            .text("set", c.set.name())
            .count("components", c.components)
            .count("hidden", c.hidden)
            .flag("guard", c.guard)
            .floats("data.x", &d.x, vec![d.len()])
            .floats("data.y", &d.y, vec![d.len()])
            .floats(
                "data.scaling",
                &[
                    d.scaling.x.scale,
                    d.scaling.x.offset,
                    d.scaling.y.scale,
                    d.scaling.y.offset,
                ],
                vec![4],
            )
            .floats("bounds", &[b.x0, b.x1, b.y0, b.y1], vec![4]);
        let mdn = self.mdn.state();
        let baseline = self.mse.as_ref().map(Trainer::state);
        async move {
            let saving = |e: StateError| ModelFileError::Save(e.to_string());
            file.trainer("mdn", mdn.await.map_err(saving)?);
            if let Some(baseline) = baseline {
                file.trainer("baseline", baseline.await.map_err(saving)?);
            }
            file.finish()
        }
    }

    /// A run from a model file [`ToyRun::save`] wrote, on `device` (a plain
    /// device; the file may come from any device), going on where it
    /// stopped: the next step is the one the saved run would have taken.
    /// The probe is cleared.
    ///
    /// # Errors
    /// [`ModelFileError`]: not a model file, damaged or cut short, a newer
    /// format version, or a painting.
    pub fn load(bytes: &[u8], device: &Device) -> Result<Self, ModelFileError> {
        let file = ModelReader::open(bytes, ModelKind::Toy)?;
        let bad = |what: String| ModelFileError::Damaged(what);
        let set = file.text("set")?;
        let config = ToyConfig {
            seed: file.whole("seed")?,
            points: file.count("points")?,
            set: ToySet::from_name(set).ok_or_else(|| bad(format!("a data set \"{set}\"")))?,
            components: file.count_upto("components", 32)?,
            hidden: file.count_upto("hidden", 1024)?,
            baseline: file.has("baseline.model"),
            guard: file.flag("guard")?,
        };
        let (x, _) = file.floats("data.x")?;
        let (y, _) = file.floats("data.y")?;
        let four = |key: &str| -> Result<[f32; 4], ModelFileError> {
            let (v, _) = file.floats(key)?;
            v.try_into()
                .map_err(|_| bad(format!("{key} is not 4 numbers")))
        };
        let [sx, ox, sy, oy] = four("data.scaling")?;
        let [x0, x1, y0, y1] = four("bounds")?;
        if x.len() != y.len() || x.is_empty() {
            return Err(bad(format!(
                "{} x values and {} y values",
                x.len(),
                y.len()
            )));
        }
        let data = ToyData {
            x,
            y,
            scaling: Scaling {
                x: Affine {
                    scale: sx,
                    offset: ox,
                },
                y: Affine {
                    scale: sy,
                    offset: oy,
                },
            },
        };
        let bounds = Bounds { x0, x1, y0, y1 };
        let mut run = Self::on_data(config, data, bounds, device);
        let restore = |e: burn::store::RecordError| bad(e.to_string());
        run.mdn.restore(&file.trainer("mdn")?).map_err(restore)?;
        if let Some(mse) = &mut run.mse {
            mse.restore(&file.trainer("baseline")?).map_err(restore)?;
        }
        Ok(run)
    }

    /// Sets (or, with `None`, clears) the x₀ whose conditional density the
    /// next snapshots carry, reader's units.
    pub fn set_probe(&mut self, x: Option<f32>) {
        self.probe = x.filter(|x| x.is_finite());
    }

    /// The training points.
    pub fn data(&self) -> &ToyData {
        &self.data
    }

    /// Runs `steps` Adam steps on both models; queues device work only. On
    /// the CPU with threads the steps run on rayon's pool ([`crate::pool`]).
    pub fn train(&mut self, steps: usize) {
        let (mdn, mut mse) = (&mut self.mdn, self.mse.as_mut());
        crate::pool::run(|| {
            for _ in 0..steps {
                mdn.step();
                if let Some(mse) = &mut mse {
                    mse.step();
                }
            }
        });
    }

    /// The MDN's NLL on the latest step (nats per point, in training units;
    /// NaN before the first). Awaiting it also waits for all training queued so far.
    pub fn loss(&self) -> impl Future<Output = Result<f32, ReadbackError>> + 'static {
        self.mdn.loss()
    }

    /// The MDN's NLL over all points (nats per point of the reader's y),
    /// unguarded: what the benchmark reports.
    pub fn nll(&self) -> impl Future<Output = Result<f32, ReadbackError>> + 'static {
        let nll = self
            .mdn
            .model()
            .valid()
            .nll(self.dataset.inputs.clone(), self.dataset.targets.clone());
        let shift = self.data.scaling.y.scale.ln();
        async move {
            let nll = read_f32(vec![nll]).await?.concat();
            Ok(nll.first().map_or(f32::NAN, |nll| nll - shift))
        }
    }

    /// Steps taken.
    pub fn steps(&self) -> usize {
        self.mdn.steps()
    }

    /// The MDN being trained.
    pub fn mdn(&self) -> &Mdn {
        self.mdn.model()
    }

    /// The MDN's learning rate (lowered at every recovery).
    pub fn learning_rate(&self) -> f64 {
        self.mdn.learning_rate()
    }

    /// Changes the MDN's learning rate from the next step on.
    pub fn set_learning_rate(&mut self, learning_rate: f64) {
        self.mdn.set_learning_rate(learning_rate);
    }

    /// Reads the current predictions back (see [`ToySnapshot`]), with
    /// mixture samples drawn at temperatures `tau_pi` (mixture weights) and
    /// `tau_sigma` (covariance; see [`crate::mixture::Mixture::sample`]).
    /// The returned future owns everything it needs, so training may go on
    /// while it waits; its frame then goes to [`Demo::settle`].
    pub fn snapshot(
        &mut self,
        tau_pi: f32,
        tau_sigma: f32,
    ) -> impl Future<Output = Result<Frame<ToySnapshot>, ReadbackError>> + 'static {
        self.snapshot_of(tau_pi, tau_sigma, true)
    }

    /// [`ToyRun::snapshot`] with the panels' values (`log_density`,
    /// `components`, `mode`, `probe`) only when `panels` is true; without
    /// them those are empty (`None`), and the snapshot costs what the
    /// samples and the NLL cost.
    pub fn snapshot_of(
        &mut self,
        tau_pi: f32,
        tau_sigma: f32,
        panels: bool,
    ) -> impl Future<Output = Result<Frame<ToySnapshot>, ReadbackError>> + 'static {
        let mse_y = self.mse.as_ref().map(|mse| {
            mse.model()
                .valid()
                .forward(self.grid.clone())
                .reshape([GRID_POINTS])
        });
        let scaling = self.data.scaling;
        let probe = self.probe.filter(|_| panels);
        // The probed x₀ is one more row after the grid's.
        let inputs = match probe {
            Some(x) => {
                let row = Tensor::from_data(
                    TensorData::new(vec![scaling.x.apply(x)], [1, 1]),
                    &self.grid.device(),
                );
                Tensor::cat(vec![self.grid.clone(), row], 0)
            }
            None => self.grid.clone(),
        };
        let dataset = self.dataset.clone();
        let sample_grid = self.sample_grid.clone();
        let seed = self.rng.next_u64();
        let view = move |mdn: &Mdn| {
            let mdn = mdn.valid();
            let nll = mdn.nll(dataset.inputs.clone(), dataset.targets.clone());
            let mut rng = StdRng::seed_from_u64(seed);
            let samples = mdn
                .forward(sample_grid.clone())
                .sample(tau_pi, tau_sigma, &mut rng)
                .reshape([GRID_POINTS * SAMPLES_PER_X]);
            let mut reads = Reads::default().with(LOSS, nll).with("samples", samples);
            if panels {
                // The network runs on the device; the density over the
                // plot is then arithmetic on 3 · K numbers per x, cheaper
                // on the host than a [G, H, K] tensor (measured natively on
                // flex: 5.5 ms a snapshot that way, 3.5 training steps).
                let mixture = mdn.forward(inputs.clone());
                reads = reads
                    .with("pi", mixture.log_pi.exp())
                    .with("mu", mixture.mu)
                    .with("sigma", mixture.log_sigma.exp());
            }
            if let Some(mse_y) = &mse_y {
                reads.push("least squares", mse_y.clone());
            }
            reads
        };
        let checkpoint = self.mdn.checkpoint();
        let (grid_x, grid_y, bounds) = (self.grid_x.clone(), self.grid_y.clone(), self.bounds);
        let has_mse = self.mse.is_some();
        async move {
            let step = checkpoint.step();
            let frame = read_checked(checkpoint, view).await?;
            frame.try_map(|mut read| {
                let nll = read.scalar(LOSS)?;
                let samples = read.take("samples")?;
                let mut panel = |name| if panels { read.take(name) } else { Ok(vec![]) };
                let parameters = [panel("pi")?, panel("mu")?, panel("sigma")?];
                let mse_y = if has_mse {
                    read.take("least squares")?
                } else {
                    vec![]
                };
                Ok(Snapshot {
                    scaling,
                    bounds,
                    grid_x,
                    grid_y,
                }
                .finish(step, nll, samples, mse_y, parameters, probe))
            })
        }
    }
}

/// What a snapshot knows besides the values read back, and how it turns
/// them into the reader's units.
struct Snapshot {
    scaling: Scaling,
    bounds: Bounds,
    grid_x: Vec<f32>,
    grid_y: Vec<f32>,
}

impl Snapshot {
    /// The [`ToySnapshot`] from the values read (training units; the
    /// mixture's π, μ and σ `[G (+1 probe row), K]`, empty without panels).
    fn finish(
        self,
        step: usize,
        nll: f32,
        samples: Vec<f32>,
        mse_y: Vec<f32>,
        [pi, mu, sigma]: [Vec<f32>; 3],
        probe: Option<f32>,
    ) -> ToySnapshot {
        let y = self.scaling.y;
        // log p of the reader's y = log p of the training y + ln |dy'/dy|.
        let log_jacobian = y.scale.ln();
        let rows = GRID_POINTS + usize::from(probe.is_some());
        let k = pi.len() / rows;
        // Every component in the reader's units, the probe's row last.
        let all = Components {
            mu: mu.iter().map(|&m| y.invert(m)).collect(),
            sigma: sigma.iter().map(|&s| s / y.scale).collect(),
            pi,
        };
        let at = |row: usize| Mixture1d {
            pi: &all.pi[row * k..][..k],
            mu: &all.mu[row * k..][..k],
            sigma: &all.sigma[row * k..][..k],
        };
        let mut log_density = Vec::new();
        let mut mode = Vec::new();
        if k > 0 {
            log_density.reserve(GRID_POINTS * DENSITY_ROWS);
            for g in 0..GRID_POINTS {
                let mixture = at(g);
                let start = log_density.len();
                log_density.extend(mixture.log_densities(&self.grid_y));
                let column = &log_density[start..];
                let best = column
                    .iter()
                    .enumerate()
                    .fold(0, |best, (h, &v)| if v > column[best] { h } else { best });
                mode.push(mixture.mode(self.grid_y.get(best).copied().unwrap_or(0.0)));
            }
        }
        let probe = probe.filter(|_| k > 0).map(|x| {
            let mixture = at(GRID_POINTS);
            let components: Vec<f32> = (0..k)
                .flat_map(|c| self.grid_y.iter().map(move |&v| (c, v)))
                .map(|(c, v)| mixture.weighted(c, v))
                .collect();
            let rows = self.grid_y.len();
            let density = (0..rows)
                .map(|h| (0..k).map(|c| components[c * rows + h]).sum())
                .collect();
            Probe {
                x,
                density,
                components,
            }
        });
        let grid = (GRID_POINTS * k).min(all.pi.len());
        let components = Components {
            pi: all.pi[..grid].to_vec(),
            mu: all.mu[..grid].to_vec(),
            sigma: all.sigma[..grid].to_vec(),
        };
        ToySnapshot {
            step,
            nll: nll - log_jacobian,
            bounds: self.bounds,
            grid_x: self.grid_x,
            grid_y: self.grid_y,
            samples: samples.into_iter().map(|v| y.invert(v)).collect(),
            mse_y: mse_y.into_iter().map(|v| y.invert(v)).collect(),
            log_density,
            components,
            mode,
            probe,
        }
    }
}

/// Terms more than this many nats below a log-sum-exp's largest add less
/// than e⁻¹⁷ ≈ 4·10⁻⁸ of it each, under half an f32's epsilon: skipped.
const NEGLIGIBLE_NATS: f32 = 17.0;

/// A one-dimensional Gaussian mixture p(y) = Σ_k π_k N(y; μ_k, σ_k²) (the
/// MDN's output at one x, Bishop 1994, eq. 22), `[K]` each, evaluated on the
/// host.
#[derive(Clone, Copy, Debug)]
pub struct Mixture1d<'a> {
    /// Weights π_k, summing to 1.
    pub pi: &'a [f32],
    /// Means μ_k.
    pub mu: &'a [f32],
    /// Standard deviations σ_k > 0.
    pub sigma: &'a [f32],
}

impl Mixture1d<'_> {
    /// log p(y), nats: see [`Mixture1d::log_densities`].
    pub fn log_density(&self, y: f32) -> f32 {
        self.log_densities(&[y])[0]
    }

    /// log p(y) of every y in `ys`, nats: logsumexp_k(ln π_k − ln σ_k −
    /// ½ ln 2π − ½ z_k²), z_k = (y − μ_k) / σ_k. The logs are taken once
    /// for all `ys`, and only the terms within `NEGLIGIBLE_NATS` of the
    /// largest are exponentiated (a few of K where the components are
    /// apart), so a column of the density grid costs little more than its
    /// arithmetic.
    pub fn log_densities(&self, ys: &[f32]) -> Vec<f32> {
        let k = self.pi.len();
        let log_c: Vec<f32> = (0..k)
            .map(|c| self.pi[c].max(f32::MIN_POSITIVE).ln() - self.sigma[c].ln() - 0.5 * LN_2PI)
            .collect();
        let inv_sigma: Vec<f32> = self.sigma.iter().map(|s| 1.0 / s).collect();
        let mut terms = vec![0.0f32; k];
        ys.iter()
            .map(|&y| {
                let mut top = f32::NEG_INFINITY;
                for c in 0..k {
                    let z = (y - self.mu[c]) * inv_sigma[c];
                    terms[c] = log_c[c] - 0.5 * z * z;
                    top = top.max(terms[c]);
                }
                let sum: f32 = terms
                    .iter()
                    .filter(|t| **t > top - NEGLIGIBLE_NATS)
                    .map(|t| (t - top).exp())
                    .sum();
                top + sum.ln()
            })
            .collect()
    }

    /// π_k N(y; μ_k, σ_k²), per y unit.
    pub fn weighted(&self, k: usize, y: f32) -> f32 {
        let z = (y - self.mu[k]) / self.sigma[k];
        self.pi[k] * (-0.5 * z * z - 0.5 * LN_2PI).exp() / self.sigma[k]
    }

    /// The mode nearest `start`: see [`conditional_mode`].
    pub fn mode(&self, start: f32) -> f32 {
        conditional_mode(self.pi, self.mu, self.sigma, start)
    }
}

/// The mode of a one-dimensional Gaussian mixture, the density's local
/// highest point (not [`crate::mixture::Mixture::mode`], the heaviest
/// component's mean) (weights `pi`, means
/// `mu`, standard deviations `sigma`, `[K]` each) nearest `start`, by the
/// mean-shift fixed point y ← Σ w_k μ_k / σ_k² / Σ w_k / σ_k² with w_k =
/// π_k N(y; μ_k, σ_k²) (Carreira-Perpiñán 2000, "Mode-finding for mixtures
/// of Gaussian distributions", eq. 9), which climbs the density from
/// `start`. Start at the best point of a grid to find the global mode.
pub fn conditional_mode(pi: &[f32], mu: &[f32], sigma: &[f32], start: f32) -> f32 {
    let log_c: Vec<f32> = (0..pi.len())
        .map(|k| pi[k].max(f32::MIN_POSITIVE).ln() - sigma[k].ln())
        .collect();
    let precision: Vec<f32> = sigma.iter().map(|s| 1.0 / (s * s)).collect();
    let mut y = start;
    let mut log_w = vec![0.0f32; pi.len()];
    for _ in 0..MODE_ITERATIONS {
        for (k, w) in log_w.iter_mut().enumerate() {
            let d = y - mu[k];
            *w = log_c[k] - 0.5 * d * d * precision[k];
        }
        let top = log_w.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let (mut num, mut den) = (0.0f32, 0.0f32);
        for k in 0..pi.len() {
            if log_w[k] < top - NEGLIGIBLE_NATS {
                continue;
            }
            let weight = (log_w[k] - top).exp() * precision[k];
            num += weight * mu[k];
            den += weight;
        }
        let next = num / den;
        if !next.is_finite() {
            break;
        }
        let done = (next - y).abs() < 1e-6 * (1.0 + y.abs());
        y = next;
        if done {
            break;
        }
    }
    y
}

impl Demo for ToyRun {
    type View = ToySnapshot;

    /// Applies a snapshot's verdict to the MDN's training (going back and
    /// lowering the learning rate if it diverged).
    fn settle(&mut self, frame: Frame<ToySnapshot>) -> Guarded<ToySnapshot> {
        self.mdn.settle(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{LEARNING_RATE, Value};

    /// Without a `learning-rate` of its own, a page's toy trains at the
    /// rate the toy trains at natively.
    #[test]
    fn the_learning_rate_setting_defaults_to_the_toys_own() {
        assert_eq!(
            LEARNING_RATE.parse(&LEARNING_RATE.default_text()),
            Ok(Value::Number(TrainConfig::full_batch(0).learning_rate))
        );
    }
}
