//! Training data: the sinusoid inversion toy problem and pixel-coordinate
//! grids, and their upload to a device.

use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

/// Range of the toy targets: y ~ U(−Y_MAX, Y_MAX).
pub const TOY_Y_MAX: f32 = 10.5;

/// Number of points of workload W1.
pub const TOY_POINTS: usize = 2500;

/// The sinusoid inversion data of workload W1 (Bishop 1994, section 6, in
/// the form of the 2015 "mixture density networks" demos): y ~ U(−10.5,
/// 10.5), ε ~ N(0, 1), x = 7 sin(0.75 y) + 0.5 y + ε. The model learns y from
/// x, an inverse problem where one x has up to five answers.
#[derive(Clone, Debug, PartialEq)]
pub struct ToyData {
    /// Inputs x, `[n]`, roughly in [−13, 13].
    pub x: Vec<f32>,
    /// Targets y, `[n]`, in [−10.5, 10.5].
    pub y: Vec<f32>,
}

impl ToyData {
    /// `n` points drawn from `seed`.
    pub fn sinusoid_inversion(n: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut x, mut y) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            let yi: f32 = rng.random_range(-TOY_Y_MAX..TOY_Y_MAX);
            let noise: f32 = StandardNormal.sample(&mut rng);
            x.push(7.0 * (0.75 * yi).sin() + 0.5 * yi + noise);
            y.push(yi);
        }
        Self { x, y }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// The data on `device`: inputs `[n, 1]` (x) and targets `[n, 1]` (y).
    pub fn to_dataset(&self, device: &Device) -> Dataset {
        Dataset::new(self.x.clone(), 1, self.y.clone(), 1, device)
    }
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
