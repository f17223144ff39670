//! The Gaussian mixture output of a Mixture Density Network and its likelihood.
//!
//! An MDN (Bishop 1994, "Mixture Density Networks", NCRG/94/004, eq. 22–26)
//! outputs, for every input, the parameters of
//! p(y|x) = Σ_k π_k(x) N(y; μ_k(x), Σ_k(x)) and is trained by minimising the
//! negative log-likelihood of the targets. Everything here works on any burn
//! device and with or without autodiff.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::{log_softmax, softplus};
use burn::tensor::{Device, Int, Tensor};

/// ln(2π), the constant of the Gaussian log-density.
pub const LN_2PI: f32 = 1.837_877_1;

/// Default floor of every scale σ, in target units: it keeps the likelihood
/// bounded, so the NLL stays finite when a component collapses onto
/// noise-free data.
pub const SIGMA_MIN: f32 = 1e-4;

/// How each component's covariance Σ_k is parametrised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Covariance {
    /// Σ_k = σ_k² I: one scale per component.
    Isotropic,
    /// Σ_k = diag(σ_k,1², …, σ_k,D²): one scale per component and dimension.
    #[default]
    Diagonal,
}

impl Covariance {
    /// Every kind, in the order a user would pick from.
    pub const ALL: [Covariance; 2] = [Covariance::Isotropic, Covariance::Diagonal];

    /// Number of raw scale outputs per component for targets in `dim` dimensions.
    pub fn scale_outputs(self, dim: usize) -> usize {
        match self {
            Covariance::Isotropic => 1,
            Covariance::Diagonal => dim,
        }
    }

    /// The short name used on the page and the command line: `isotropic`, `diagonal`.
    pub fn name(self) -> &'static str {
        match self {
            Covariance::Isotropic => "isotropic",
            Covariance::Diagonal => "diagonal",
        }
    }
}

impl std::str::FromStr for Covariance {
    type Err = String;

    /// Accepts the names of [`Covariance::name`] and the short forms `iso` and `diag`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "isotropic" | "iso" => Ok(Covariance::Isotropic),
            "diagonal" | "diag" => Ok(Covariance::Diagonal),
            other => Err(format!(
                "unknown covariance '{other}': expected isotropic or diagonal"
            )),
        }
    }
}

/// The parameters of a batch of Gaussian mixtures, one mixture per input.
///
/// Shapes: `log_pi` `[batch, K]` (log mixture weights, log-softmax of the
/// logits, so each row's exp sums to 1), `mu` `[batch, K, D]` (means, in
/// target units), `log_sigma` `[batch, K, S]` with S = 1 (isotropic) or D
/// (diagonal): σ = exp(log_sigma), in target units.
#[derive(Clone, Debug)]
pub struct Mixture {
    /// Log mixture weights, `[batch, K]`.
    pub log_pi: Tensor<2>,
    /// Component means, `[batch, K, D]`.
    pub mu: Tensor<3>,
    /// Log scales, `[batch, K, S]`, S = 1 or D.
    pub log_sigma: Tensor<3>,
}

impl Mixture {
    /// Log-density of each target under its mixture, `[batch]`, in nats.
    ///
    /// `targets` is `[batch, D]`. Each component's diagonal Gaussian gives
    /// log N = −½ Σ_d ((y_d − μ_d)/σ_d)² − Σ_d ln σ_d − (D/2) ln 2π, and the
    /// mixture combines them as logsumexp_k(log π_k + log N_k) (Bishop 1994,
    /// eq. 23 and 29, evaluated in log space so that no density underflows).
    pub fn log_prob(&self, targets: Tensor<2>) -> Tensor<1> {
        let [batch, components, dim] = self.mu.dims();
        let scales = self.log_sigma.dims()[2];
        let y = targets.unsqueeze_dim::<3>(1);
        let z = (y - self.mu.clone()) / self.log_sigma.clone().exp();
        let sum_log_sigma = self
            .log_sigma
            .clone()
            .sum_dim(2)
            .mul_scalar((dim / scales) as f32);
        let log_normal = (z.square().sum_dim(2).mul_scalar(-0.5) - sum_log_sigma)
            .sub_scalar(0.5 * dim as f32 * LN_2PI);
        let joint = self.log_pi.clone() + log_normal.reshape([batch, components]);
        logsumexp(joint, 1).reshape([batch])
    }

    /// Negative log-likelihood averaged over the batch, `[1]`, in nats.
    ///
    /// The MDN training loss: −mean_i log p(y_i | x_i) (Bishop 1994, eq. 29).
    pub fn nll(&self, targets: Tensor<2>) -> Tensor<1> {
        self.log_prob(targets).mean().neg()
    }

    /// Mode prediction, `[batch, D]`: the mean of the component with the
    /// largest weight π_k (Bishop 1994, section 7's "most probable branch").
    pub fn mode(&self) -> Tensor<2> {
        let [batch, _, dim] = self.mu.dims();
        let best: Tensor<2, Int> = self.log_pi.clone().argmax(1);
        let index = best.unsqueeze_dim::<3>(2).repeat_dim(2, dim);
        self.mu.clone().gather(1, index).reshape([batch, dim])
    }
}

/// log Σ exp along `dim`, keeping `dim` with size 1.
///
/// Subtracts the (gradient-free) maximum first so that neither `exp`
/// overflows nor every term underflows.
pub fn logsumexp<const D: usize>(x: Tensor<D>, dim: usize) -> Tensor<D> {
    let max = x.clone().max_dim(dim).detach();
    (x - max.clone()).exp().sum_dim(dim).log() + max
}

/// Configuration of a [`MixtureHead`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MixtureHeadConfig {
    /// Width of the feature vector fed to the head.
    pub features: usize,
    /// Number of mixture components K (≥ 1).
    pub components: usize,
    /// Target dimension D (≥ 1).
    pub dim: usize,
    /// Covariance parametrisation.
    pub covariance: Covariance,
    /// Floor of every scale, σ = σ_min + exp(raw), in target units (> 0).
    pub sigma_min: f32,
}

impl MixtureHeadConfig {
    /// Number of raw outputs: K logits, K·D means and K·S log scales.
    pub fn outputs(&self) -> usize {
        self.components * (1 + self.dim + self.covariance.scale_outputs(self.dim))
    }

    /// A head whose linear layer comes from `linear` (see [`crate::model`]).
    pub fn init_with(&self, linear: Linear) -> MixtureHead {
        MixtureHead {
            linear,
            components: self.components,
            dim: self.dim,
            covariance: self.covariance,
            sigma_min: self.sigma_min,
        }
    }

    /// A head with burn's default (PyTorch-like) initialisation on `device`.
    pub fn init(&self, device: &Device) -> MixtureHead {
        self.init_with(LinearConfig::new(self.features, self.outputs()).init(device))
    }
}

/// The output layer of an MDN: one linear map from features to the raw
/// mixture parameters, split into logits, means and scales: π = softmax(logits),
/// μ = raw, σ = σ_min + exp(raw) (Bishop 1994, eq. 25–27, with a floor).
#[derive(Module, Debug)]
pub struct MixtureHead {
    linear: Linear,
    #[module(skip)]
    components: usize,
    #[module(skip)]
    dim: usize,
    #[module(skip)]
    covariance: Covariance,
    #[module(skip)]
    sigma_min: f32,
}

impl MixtureHead {
    /// Mixture parameters for `features` `[batch, features]`.
    pub fn forward(&self, features: Tensor<2>) -> Mixture {
        let raw = self.linear.forward(features);
        let batch = raw.dims()[0];
        let (k, d) = (self.components, self.dim);
        let s = self.covariance.scale_outputs(d);
        let logits = raw.clone().narrow(1, 0, k);
        let mu = raw.clone().narrow(1, k, k * d).reshape([batch, k, d]);
        let raw_scale = raw.narrow(1, k + k * d, k * s).reshape([batch, k, s]);
        // ln(σ_min + e^raw), computed without overflow for any raw.
        let ln_min = self.sigma_min.ln();
        let log_sigma = softplus(raw_scale.sub_scalar(ln_min), 1.0).add_scalar(ln_min);
        Mixture {
            log_pi: log_softmax(logits, 1),
            mu,
            log_sigma,
        }
    }

    /// Number of components K.
    pub fn components(&self) -> usize {
        self.components
    }

    /// Target dimension D.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Covariance parametrisation.
    pub fn covariance(&self) -> Covariance {
        self.covariance
    }
}
