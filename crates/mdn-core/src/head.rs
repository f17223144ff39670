//! The output layer of an MDN: one dense layer from features to the raw
//! mixture parameters ([`HeadLayout`]), read as a [`Mixture`] or, for
//! training, straight to each sample's log-density ([`ops::head_log_prob`]).
//! The model runs the layer as the last of its dense stack.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::mixture::Mixture;
use crate::ops::{self, Readout};
use crate::spec::{Activation, Covariance, HeadLayout};

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
    /// The mixture and the layout of its raw outputs.
    pub fn layout(&self) -> HeadLayout {
        HeadLayout {
            components: self.components,
            dim: self.dim,
            covariance: self.covariance,
            sigma_min: self.sigma_min,
        }
    }

    /// Number of raw outputs: K logits, K·D means and K·S log scales.
    pub fn outputs(&self) -> usize {
        self.layout().outputs()
    }

    /// A head whose dense layer is `linear` (`[features, outputs]`, see
    /// [`crate::model`]).
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

/// The output layer of an MDN: one dense layer from features to the raw
/// mixture parameters, read as [`HeadLayout`] lays them out: π =
/// softmax(logits), μ = raw, σ = σ_min + exp(raw) (Bishop 1994, eq. 25–27,
/// with a floor) and, for the full kind, L_k's strictly lower entries = raw,
/// so that L_k's diagonal is σ and Σ_k = L_k L_kᵀ is positive definite.
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
    /// Mixture parameters for `features` `[batch, features]` (the head
    /// alone; the model runs its layer as the last of its dense stack).
    pub fn forward(&self, features: Tensor<2>) -> Mixture {
        let raw = ops::mlp(&[(&self.linear, Activation::Identity)], features);
        self.read(raw).mixture()
    }

    /// Its dense layer, `[features, outputs]`: the last layer of the
    /// model's stack ([`ops::mlp`]).
    pub(crate) fn linear(&self) -> &Linear {
        &self.linear
    }

    /// The head's raw outputs `raw` `[batch, outputs]` (its layer's, for
    /// some features), read as a repaint's colours or as the mixtures.
    pub fn read(&self, raw: Tensor<2>) -> HeadOutput {
        HeadOutput {
            raw,
            layout: self.layout(),
        }
    }

    /// The configuration this head was built from.
    pub fn config(&self) -> MixtureHeadConfig {
        MixtureHeadConfig {
            features: self.linear.weight.dims()[0],
            components: self.components,
            dim: self.dim,
            covariance: self.covariance,
            sigma_min: self.sigma_min,
        }
    }

    /// The mixture and the layout of the raw outputs.
    pub fn layout(&self) -> HeadLayout {
        self.config().layout()
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

/// A head's raw outputs `[batch, layout.outputs()]` (see
/// [`MixtureHead::read`]), read two ways.
#[derive(Clone, Debug)]
pub struct HeadOutput {
    raw: Tensor<2>,
    layout: HeadLayout,
}

impl HeadOutput {
    /// Each sample's log-density at `targets` `[batch, D]` and its mode and
    /// mean (see [`ops::head_readout`]: one pass on the CPU).
    pub fn readout(&self, targets: Tensor<2>) -> Readout {
        ops::head_readout(self.raw.clone(), targets, &self.layout)
    }

    /// The mixture parameters (see [`Mixture::from_raw`]).
    pub fn mixture(&self) -> Mixture {
        Mixture::from_raw(self.raw.clone(), &self.layout)
    }
}
