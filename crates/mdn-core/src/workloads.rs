//! The standard workloads of `shared/bench/WORKLOADS.md` (W1–W4): their data,
//! models and optimiser settings, and the training runs that a benchmark
//! times. Timing and reporting are the caller's (the command-line `bench`).
//!
//! One deviation from the text, shared with the rest of the project: every
//! scale is floored, σ = σ_min + exp(s) (σ_min = 1e-4 for W1, 2e-3 for the
//! 8-bit colours of W2–W4), so that the likelihood stays bounded. It costs
//! the same element-wise work as σ = exp(s).

use std::future::Future;
use std::sync::Arc;

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::data::{Dataset, TOY_POINTS, ToyData};
use crate::inference::{ReadbackError, read_f32};
use crate::mixture::Covariance;
use crate::model::{Mdn, MdnConfig};
use crate::paint::{Repaint, repaint_view, unpack_repaint};
use crate::picture::Picture;
use crate::training::{TrainConfig, Trainer};

/// One of the standard workloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Workload {
    /// W1 toy-inverse: the sinusoid inversion, full batch.
    W1,
    /// W2 paint-128-diag.
    W2,
    /// W3 paint-256-full.
    W3,
    /// W4 paint-512-diag (scale).
    W4,
}

impl Workload {
    /// Every workload this build can run, in order.
    pub const ALL: [Workload; 4] = [Workload::W1, Workload::W2, Workload::W3, Workload::W4];

    /// The workload's short name: `W1` … `W4`.
    pub fn name(self) -> &'static str {
        match self {
            Workload::W1 => "W1",
            Workload::W2 => "W2",
            Workload::W3 => "W3",
            Workload::W4 => "W4",
        }
    }

    /// The painting workload's settings; `None` for W1.
    pub fn paint(self) -> Option<PaintWorkload> {
        match self {
            Workload::W1 => None,
            Workload::W2 => Some(PaintWorkload::w2()),
            Workload::W3 => Some(PaintWorkload::w3()),
            Workload::W4 => Some(PaintWorkload::w4()),
        }
    }
}

impl std::str::FromStr for Workload {
    type Err = String;

    /// Accepts `W1` … `W4` in either case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Workload::ALL
            .into_iter()
            .find(|w| w.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<&str> = Workload::ALL.iter().map(|w| w.name()).collect();
                format!(
                    "unknown workload '{s}': expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// W1's settings: N = 2500 points, 1 → 24 tanh → K = 24, full batch, Adam at
/// lr = 1e-3; ms per step is the median over steps 51–1050 (50 warm-up
/// steps), the NLL is taken after 10 000 steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToyWorkload {
    /// Data points N.
    pub points: usize,
    /// Untimed steps before the timing window.
    pub warmup_steps: usize,
    /// Steps in the timing window.
    pub timed_steps: usize,
    /// Steps after which the NLL is reported.
    pub steps: usize,
}

impl ToyWorkload {
    /// Exactly W1.
    pub const W1: ToyWorkload = ToyWorkload {
        points: TOY_POINTS,
        warmup_steps: 50,
        timed_steps: 1000,
        steps: 10_000,
    };
}

/// A W1 training run: the MDN alone (no least-squares twin), full batch.
pub struct ToyBench {
    trainer: Trainer<Mdn>,
    data: Dataset,
}

impl ToyBench {
    /// W1's data (`points` of them, drawn from `seed`) and model (drawn from
    /// `seed + 1`) on `device` (a plain device: autodiff is added here).
    pub fn new(points: usize, seed: u64, device: &Device) -> Self {
        let data = ToyData::sinusoid_inversion(points, seed);
        let model = MdnConfig::toy().init(seed.wrapping_add(1), &device.clone().autodiff());
        Self {
            trainer: Trainer::new(
                model,
                data.to_dataset(&device.clone().autodiff()),
                TrainConfig::full_batch(seed),
            ),
            data: data.to_dataset(device),
        }
    }

    /// One full-batch Adam step; returns its loss, `[1]` (nats per point).
    /// Queues device work only.
    pub fn step(&mut self) -> Tensor<1> {
        self.trainer.step().0
    }

    /// Steps taken.
    pub fn steps(&self) -> usize {
        self.trainer.steps()
    }

    /// The NLL of the current model over all points, nats per point.
    ///
    /// # Errors
    /// [`ReadbackError`] when the device fails.
    pub fn nll(&self) -> impl Future<Output = Result<f32, ReadbackError>> + 'static {
        let nll = self
            .trainer
            .model()
            .valid()
            .nll(self.data.inputs.clone(), self.data.targets.clone());
        async move {
            let nll = read_f32(vec![nll]).await?.concat();
            Ok(nll.first().copied().unwrap_or(f32::NAN))
        }
    }
}

/// A painting workload (W2–W4): which photo at which size, the model, the
/// optimiser, how many epochs to train and which of them to time.
#[derive(Clone, Debug, PartialEq)]
pub struct PaintWorkload {
    /// File name in `shared/data/images`.
    pub image: &'static str,
    /// Training size (both sides), pixels.
    pub side: u32,
    /// The MDN: 2 raw coordinates in, tanh trunk, K Gaussians over RGB.
    pub model: MdnConfig,
    /// Minibatch size, Adam at lr = 1e-3, shuffle seed.
    pub train: TrainConfig,
    /// First and last epoch (1-based, inclusive) of the timing window.
    pub timed_epochs: (usize, usize),
    /// Epochs to train; NLL and PSNR are reported after the last one.
    pub epochs: usize,
}

impl PaintWorkload {
    /// W2 paint-128-diag: astronaut.png at 128 × 128, 4 × 128 tanh, K = 8
    /// diagonal, minibatches of 1024 (16 steps an epoch), epochs 2–21
    /// timed, NLL and PSNR after 100 epochs.
    pub fn w2() -> Self {
        Self {
            image: "astronaut.png",
            side: 128,
            model: MdnConfig::paint(2, Covariance::Diagonal, 8),
            train: TrainConfig::minibatch(1024, 0),
            timed_epochs: (2, 21),
            epochs: 100,
        }
    }

    /// W3 paint-256-full: as W2 but at 256 × 256 (64 steps an epoch) with
    /// K = 8 full-covariance Gaussians (Cholesky factor `scale_tril`),
    /// epochs 2–11 timed, NLL and PSNR after 30 epochs.
    pub fn w3() -> Self {
        Self {
            image: "astronaut.png",
            side: 256,
            model: MdnConfig::paint(2, Covariance::Full, 8),
            train: TrainConfig::minibatch(1024, 0),
            timed_epochs: (2, 11),
            epochs: 30,
        }
    }

    /// W4 paint-512-diag: astronaut.png at 512 × 512, 4 × 256 tanh, K = 16
    /// diagonal, minibatches of 4096 (64 steps an epoch), epochs 2–6 timed.
    pub fn w4() -> Self {
        let mut model = MdnConfig::paint(2, Covariance::Diagonal, 16);
        model.hidden = vec![256; 4];
        Self {
            image: "astronaut.png",
            side: 512,
            model,
            train: TrainConfig::minibatch(4096, 0),
            timed_epochs: (2, 6),
            epochs: 6,
        }
    }
}

/// A painting workload's training run on one picture.
pub struct PaintBench {
    picture: Arc<Picture>,
    trainer: Trainer<Mdn>,
    data: Dataset,
}

impl PaintBench {
    /// A run of `workload`'s model and optimiser on `picture` (already at
    /// the training size) on `device` (a plain device: autodiff is added
    /// here), the weights drawn from `seed`.
    pub fn new(picture: Picture, workload: &PaintWorkload, seed: u64, device: &Device) -> Self {
        let train_device = device.clone().autodiff();
        let model = workload.model.init(seed, &train_device);
        let train = TrainConfig {
            seed,
            ..workload.train
        };
        Self {
            trainer: Trainer::new(model, picture.to_dataset(0, &train_device), train),
            data: picture.to_dataset(0, device),
            picture: Arc::new(picture),
        }
    }

    /// Trains one epoch (a fresh shuffle, ⌈n / batch⌉ steps); returns the
    /// last minibatch's NLL, `[1]`. Queues device work only.
    pub fn epoch(&mut self) -> Tensor<1> {
        loop {
            let (loss, epoch_done) = self.trainer.step();
            if epoch_done {
                return loss;
            }
        }
    }

    /// Epochs completed.
    pub fn epochs(&self) -> usize {
        self.trainer.epochs()
    }

    /// Steps in one epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.trainer.steps_per_epoch()
    }

    /// Predicts every pixel's mode colour and the NLL over all pixels, as
    /// [`crate::paint::PaintRun::repaint`] does, without its divergence
    /// check (the workloads train without a guard).
    ///
    /// # Errors
    /// [`ReadbackError`] when the device fails.
    pub fn repaint(&self) -> impl Future<Output = Result<Repaint, ReadbackError>> + 'static {
        let tensors = repaint_view(self.trainer.model(), &self.data);
        let picture = Arc::clone(&self.picture);
        let epoch = self.epochs();
        let learning_rate = self.trainer.learning_rate();
        async move {
            let values = read_f32(tensors).await?;
            Ok(unpack_repaint(values, epoch, &picture, learning_rate))
        }
    }
}
