//! The networks: an MDN (input encoding + tanh MLP trunk + mixture head)
//! and the least-squares regressor it is compared with.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::encoding::{EncodingConfig, InputEncoding};
use crate::head::{HeadOutput, MixtureHead, MixtureHeadConfig};
use crate::mixture::Mixture;
use crate::ops;
use crate::spec::{Activation, Covariance, SIGMA_MIN};

/// Floor of the colour scales of the painting MDN: colours are 8-bit, so
/// no colour is known more finely than a fraction of 1/255.
pub const PAINT_SIGMA_MIN: f32 = 2e-3;

/// Shape of an MDN: the positions' width, how they are encoded, tanh
/// hidden layers, and the mixture it outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct MdnConfig {
    /// Width P of the positions the model is given (1 for the toy's x, 2
    /// for a pixel's (x, y)).
    pub input_dim: usize,
    /// How the positions become the trunk's features (the grid needs
    /// `input_dim` 2).
    pub encoding: EncodingConfig,
    /// Widths of the tanh hidden layers, input side first.
    pub hidden: Vec<usize>,
    /// Number of mixture components K.
    pub components: usize,
    /// Target dimension D (1 for the toy, 3 for RGB).
    pub output_dim: usize,
    /// Covariance parametrisation.
    pub covariance: Covariance,
    /// Floor of every scale σ, in target units.
    pub sigma_min: f32,
}

impl MdnConfig {
    /// The sinusoid-inversion model of workload W1: 1 → 24 tanh → K = 24
    /// one-dimensional components (72 outputs).
    pub fn toy() -> Self {
        Self::toy_with(24, 24)
    }

    /// The toy's model at another size: 1 → `hidden` tanh → K =
    /// `components` one-dimensional components.
    pub fn toy_with(components: usize, hidden: usize) -> Self {
        Self {
            input_dim: 1,
            encoding: EncodingConfig::Raw,
            hidden: vec![hidden],
            components,
            output_dim: 1,
            covariance: Covariance::Diagonal,
            sigma_min: SIGMA_MIN,
        }
    }

    /// The trunk's input width: the encoding's features.
    fn trunk_inputs(&self) -> usize {
        self.encoding.features(self.input_dim)
    }

    /// The mixture head's configuration.
    pub fn head(&self) -> MixtureHeadConfig {
        MixtureHeadConfig {
            features: self.hidden.last().copied().unwrap_or(self.trunk_inputs()),
            components: self.components,
            dim: self.output_dim,
            covariance: self.covariance,
            sigma_min: self.sigma_min,
        }
    }

    /// A freshly initialised model on `device` (an autodiff device to train
    /// it). Weights and biases are U(−1/√fan_in, 1/√fan_in), PyTorch's
    /// default for linear layers, drawn from `seed`, so the same seed gives
    /// the same model on every backend. The grid's features, if any, are
    /// drawn after them (see [`EncodingConfig::init`]).
    pub fn init(&self, seed: u64, device: &Device) -> Mdn {
        let mut rng = StdRng::seed_from_u64(seed);
        let trunk = trunk(self.trunk_inputs(), &self.hidden, &mut rng, device);
        let head = self.head();
        let out = linear(head.features, head.outputs(), &mut rng, device);
        let encoding = self.encoding.init(&mut rng, device);
        Mdn {
            encoding,
            trunk,
            head: head.init_with(out),
        }
    }
}

/// A Mixture Density Network: x ↦ input encoding ↦ tanh MLP ↦ mixture
/// parameters of p(y|x).
#[derive(Module, Debug)]
pub struct Mdn {
    /// First, where the grid was before it: the parameters are visited
    /// (the guard's Σ|θ|, the records) in the order they were.
    encoding: InputEncoding,
    trunk: Vec<Linear>,
    head: MixtureHead,
}

impl Mdn {
    /// The mixture p(y|x) for positions `[batch, input_dim]`.
    pub fn forward(&self, inputs: Tensor<2>) -> Mixture {
        self.outputs(inputs).mixture()
    }

    /// log p(y_i | x_i) of every sample, `[batch]` in nats, for positions
    /// `[batch, input_dim]` and targets `[batch, D]` (see
    /// [`ops::head_log_prob`]).
    pub fn log_prob(&self, inputs: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        ops::head_log_prob(self.raw(inputs), targets, &self.head.layout())
    }

    /// The head's raw outputs `[batch, outputs]` for positions `[batch,
    /// input_dim]`: the trunk and the head's layer, one stack of dense
    /// layers (one pass each way on the CPU, [`ops::mlp`]).
    fn raw(&self, positions: Tensor<2>) -> Tensor<2> {
        let layers = dense_stack(&self.trunk, self.head.linear());
        ops::mlp(&layers, self.encoding.forward(positions))
    }

    /// Negative log-likelihood averaged over the batch, `[1]`, in nats: the
    /// MDN training loss −mean_i log p(y_i | x_i) (Bishop 1994, eq. 29).
    pub fn nll(&self, inputs: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        ops::batch_mean(self.log_prob(inputs, targets)).neg()
    }

    /// The head's raw outputs for positions `[batch, input_dim]`, read as a
    /// repaint's colours or as the mixtures (see [`HeadOutput`]).
    pub fn outputs(&self, inputs: Tensor<2>) -> HeadOutput {
        self.head.read(self.raw(inputs))
    }

    /// The output head (K, D and covariance kind).
    pub fn head(&self) -> &MixtureHead {
        &self.head
    }

    /// How the model encodes its positions, as it was built.
    pub fn encoding(&self) -> EncodingConfig {
        self.encoding.config()
    }
}

/// Least-squares regression y ≈ f(x) with the same tanh trunk as an MDN:
/// the baseline that can only learn the conditional mean E[y|x].
#[derive(Module, Debug)]
pub struct Regressor {
    trunk: Vec<Linear>,
    out: Linear,
}

impl Regressor {
    /// A model `input_dim` → `hidden` tanh layers → `output_dim`, initialised
    /// as [`MdnConfig::init`] does.
    pub fn init(
        input_dim: usize,
        hidden: &[usize],
        output_dim: usize,
        seed: u64,
        device: &Device,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let trunk = trunk(input_dim, hidden, &mut rng, device);
        let features = hidden.last().copied().unwrap_or(input_dim);
        let out = linear(features, output_dim, &mut rng, device);
        Self { trunk, out }
    }

    /// Predictions `[batch, output_dim]` for inputs `[batch, input_dim]`.
    pub fn forward(&self, inputs: Tensor<2>) -> Tensor<2> {
        ops::mlp(&dense_stack(&self.trunk, &self.out), inputs)
    }
}

/// The trunk's layers, each with its tanh, then the output layer `out`
/// without one: a model's dense stack for [`ops::mlp`].
fn dense_stack<'a>(trunk: &'a [Linear], out: &'a Linear) -> Vec<(&'a Linear, Activation)> {
    trunk
        .iter()
        .map(|layer| (layer, Activation::Tanh))
        .chain([(out, Activation::Identity)])
        .collect()
}

fn trunk(input_dim: usize, hidden: &[usize], rng: &mut StdRng, device: &Device) -> Vec<Linear> {
    let mut fan_in = input_dim;
    hidden
        .iter()
        .map(|&width| {
            let layer = linear(fan_in, width, rng, device);
            fan_in = width;
            layer
        })
        .collect()
}

fn linear(fan_in: usize, fan_out: usize, rng: &mut StdRng, device: &Device) -> Linear {
    let bound = 1.0 / (fan_in as f32).sqrt();
    let mut uniform =
        |n: usize| -> Vec<f32> { (0..n).map(|_| rng.random_range(-bound..bound)).collect() };
    let weight = TensorData::new(uniform(fan_in * fan_out), [fan_in, fan_out]);
    let bias = TensorData::new(uniform(fan_out), [fan_out]);
    Linear {
        weight: Param::from_tensor(Tensor::from_data(weight, device)),
        bias: Some(Param::from_tensor(Tensor::from_data(bias, device))),
    }
}
