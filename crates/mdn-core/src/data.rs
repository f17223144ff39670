//! Training data: the toy problems (the sinusoid inversion of W1, its
//! forward twin, Bishop's toy, a reader's own points) and their upload to a
//! device.

use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

/// Range of the toy targets: y ~ U(−Y_MAX, Y_MAX).
pub const TOY_Y_MAX: f32 = 10.5;

/// Number of points of workload W1.
pub const TOY_POINTS: usize = 2500;

/// The toy's built-in data sets (the `data` setting; the page adds points
/// a reader draws, the command line a CSV file: [`ToyData::from_points`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ToySet {
    /// The sinusoid inversion of workload W1: y from x, up to five answers
    /// per x.
    #[default]
    Inverse,
    /// The same curve the other way round, x ↦ y: one answer per x, where
    /// the MDN and least squares agree.
    Forward,
    /// Bishop's toy problem (Pattern Recognition and Machine Learning, 2006,
    /// §5.6, fig. 5.19), inverted: x from t = x + 0.3 sin(2πx) + U(−0.1, 0.1).
    Bishop,
}

impl ToySet {
    /// Every built-in set, in the order a reader picks from.
    pub const ALL: [ToySet; 3] = [ToySet::Inverse, ToySet::Forward, ToySet::Bishop];

    /// The name used on the page and the command line.
    pub fn name(self) -> &'static str {
        match self {
            ToySet::Inverse => "inverse",
            ToySet::Forward => "forward",
            ToySet::Bishop => "bishop",
        }
    }

    /// The set named `name` as [`ToySet::name`] spells it.
    pub fn from_name(name: &str) -> Option<Self> {
        ToySet::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Most points a toy data set given by a reader may have (drawn or read
/// from a file): a full-batch step stays within a frame's budget.
pub const MAX_TOY_POINTS: usize = 5000;

/// Fewest points a toy data set given by a reader must have.
pub const MIN_TOY_POINTS: usize = 5;

/// Points a reader gave that cannot be trained on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ToyDataError {
    /// Fewer than [`MIN_TOY_POINTS`].
    #[error("too few points to train on: {0}, at least {MIN_TOY_POINTS} needed")]
    TooFew(usize),
    /// More than [`MAX_TOY_POINTS`].
    #[error("too many points: {0}, at most {MAX_TOY_POINTS} allowed")]
    TooMany(usize),
    /// x and y of different lengths.
    #[error("{0} x values but {1} y values")]
    Mismatch(usize, usize),
    /// A NaN or infinite coordinate (its 1-based row).
    #[error("point {0} is not a finite number")]
    NotFinite(usize),
}

/// The toy's training points, in the reader's coordinates, and the affine
/// map into the coordinates the model trains in ([`Scaling`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ToyData {
    /// Inputs x, `[n]` (roughly [−13, 13] for W1).
    pub x: Vec<f32>,
    /// Targets y, `[n]` (in [−10.5, 10.5] for W1).
    pub y: Vec<f32>,
    /// Reader's coordinates → training coordinates.
    pub scaling: Scaling,
}

impl ToyData {
    /// `n` points of `set`, drawn from `seed`.
    pub fn generate(set: ToySet, n: usize, seed: u64) -> Self {
        match set {
            ToySet::Inverse => Self::sinusoid_inversion(n, seed),
            ToySet::Forward => Self::sinusoid_forward(n, seed),
            ToySet::Bishop => Self::bishop_inverse(n, seed),
        }
    }

    /// The sinusoid inversion data of workload W1 (Bishop 1994, section 6,
    /// in the form of the 2015 "mixture density networks" demos): y ~
    /// U(−10.5, 10.5), ε ~ N(0, 1), x = 7 sin(0.75 y) + 0.5 y + ε. The model
    /// learns y from x, an inverse problem where one x has up to five
    /// answers. Trained as it is ([`Scaling::IDENTITY`]): W1 is defined in
    /// these coordinates.
    pub fn sinusoid_inversion(n: usize, seed: u64) -> Self {
        let (y, x) = Self::sinusoid(n, seed);
        Self {
            x,
            y,
            scaling: Scaling::IDENTITY,
        }
    }

    /// The forward sinusoid: x ~ U(−10.5, 10.5), y = 7 sin(0.75 x) + 0.5 x +
    /// ε, ε ~ N(0, 1) (one answer per x).
    pub fn sinusoid_forward(n: usize, seed: u64) -> Self {
        let (x, y) = Self::sinusoid(n, seed);
        Self::scaled(x, y)
    }

    /// Bishop's inverted toy (PRML §5.6): x ~ U(0, 1), t = x + 0.3 sin(2πx)
    /// + U(−0.1, 0.1); the model learns x (here `y`) from t (here `x`).
    pub fn bishop_inverse(n: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut t, mut x) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let xi: f32 = rng.random_range(0.0..1.0);
            let noise: f32 = rng.random_range(-0.1..0.1);
            t.push(xi + 0.3 * (std::f32::consts::TAU * xi).sin() + noise);
            x.push(xi);
        }
        Self::scaled(t, x)
    }

    /// Points a reader gave (drawn on the page, or a CSV file), in their own
    /// coordinates.
    ///
    /// # Errors
    /// [`ToyDataError`]: fewer than [`MIN_TOY_POINTS`] or more than
    /// [`MAX_TOY_POINTS`] points, x and y of different lengths, a
    /// coordinate that is not finite.
    pub fn from_points(x: Vec<f32>, y: Vec<f32>) -> Result<Self, ToyDataError> {
        if x.len() != y.len() {
            return Err(ToyDataError::Mismatch(x.len(), y.len()));
        }
        if x.len() < MIN_TOY_POINTS {
            return Err(ToyDataError::TooFew(x.len()));
        }
        if x.len() > MAX_TOY_POINTS {
            return Err(ToyDataError::TooMany(x.len()));
        }
        if let Some(i) = x
            .iter()
            .zip(&y)
            .position(|(a, b)| !(a.is_finite() && b.is_finite()))
        {
            return Err(ToyDataError::NotFinite(i + 1));
        }
        Ok(Self::scaled(x, y))
    }

    /// (u, v) with u ~ U(−10.5, 10.5), v = 7 sin(0.75 u) + 0.5 u + N(0, 1).
    fn sinusoid(n: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut u, mut v) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let ui: f32 = rng.random_range(-TOY_Y_MAX..TOY_Y_MAX);
            let noise: f32 = StandardNormal.sample(&mut rng);
            v.push(7.0 * (0.75 * ui).sin() + 0.5 * ui + noise);
            u.push(ui);
        }
        (u, v)
    }

    fn scaled(x: Vec<f32>, y: Vec<f32>) -> Self {
        let scaling = Scaling {
            x: Affine::onto_toy_range(&x),
            y: Affine::onto_toy_range(&y),
        };
        Self { x, y, scaling }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// The data on `device` in training coordinates: inputs `[n, 1]` (x)
    /// and targets `[n, 1]` (y).
    pub fn to_dataset(&self, device: &Device) -> Dataset {
        let x = self.x.iter().map(|&v| self.scaling.x.apply(v)).collect();
        let y = self.y.iter().map(|&v| self.scaling.y.apply(v)).collect();
        Dataset::new(x, 1, y, 1, device)
    }
}

/// v ↦ v · scale + offset: one axis of the reader's coordinates into the
/// training coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Affine {
    /// Training units per reader unit (> 0).
    pub scale: f32,
    /// Training value of the reader's 0.
    pub offset: f32,
}

impl Affine {
    /// The identity.
    pub const IDENTITY: Affine = Affine {
        scale: 1.0,
        offset: 0.0,
    };

    /// The map of `values`' range onto [−10.5, 10.5], W1's y range, the
    /// scale the toy's model and learning rate were chosen for (a range of
    /// zero is centred at unit scale).
    pub fn onto_toy_range(values: &[f32]) -> Affine {
        let (lo, hi) = values
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        if hi <= lo {
            let centre = if lo.is_finite() { lo } else { 0.0 };
            return Affine {
                scale: 1.0,
                offset: -centre,
            };
        }
        let scale = 2.0 * TOY_Y_MAX / (hi - lo);
        Affine {
            scale,
            offset: -TOY_Y_MAX - lo * scale,
        }
    }

    /// Reader's `v` in training units.
    pub fn apply(self, v: f32) -> f32 {
        v * self.scale + self.offset
    }

    /// Training `v` in reader's units.
    pub fn invert(self, v: f32) -> f32 {
        (v - self.offset) / self.scale
    }
}

/// The toy's reader → training coordinates, one [`Affine`] per axis, so that
/// drawn points or a file in any units train like W1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scaling {
    /// Of the inputs x.
    pub x: Affine,
    /// Of the targets y.
    pub y: Affine,
}

impl Scaling {
    /// Training in the reader's coordinates.
    pub const IDENTITY: Scaling = Scaling {
        x: Affine::IDENTITY,
        y: Affine::IDENTITY,
    };
}

/// Inputs and targets resident on a device, row i of each one sample.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// `[n, input_dim]`.
    pub inputs: Tensor<2>,
    /// `[n, output_dim]`.
    pub targets: Tensor<2>,
}

impl Dataset {
    /// Uploads row-major `inputs` (`n × input_dim`) and `targets`
    /// (`n × output_dim`).
    ///
    /// # Panics
    /// If the lengths do not agree on n (a programming error, not user input).
    pub fn new(
        inputs: Vec<f32>,
        input_dim: usize,
        targets: Vec<f32>,
        output_dim: usize,
        device: &Device,
    ) -> Self {
        let n = inputs.len() / input_dim;
        assert_eq!(n * input_dim, inputs.len(), "inputs are not n × input_dim");
        assert_eq!(
            n * output_dim,
            targets.len(),
            "targets disagree with inputs on n"
        );
        Self {
            inputs: Tensor::from_data(TensorData::new(inputs, [n, input_dim]), device),
            targets: Tensor::from_data(TensorData::new(targets, [n, output_dim]), device),
        }
    }

    /// Number of samples n.
    pub fn len(&self) -> usize {
        self.inputs.dims()[0]
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Evenly spaced values from `start` to `end` inclusive, `[n]`.
pub fn linspace(start: f32, end: f32, n: usize) -> Vec<f32> {
    match n {
        0 => Vec::new(),
        1 => vec![start],
        _ => (0..n)
            .map(|i| start + (end - start) * i as f32 / (n - 1) as f32)
            .collect(),
    }
}
