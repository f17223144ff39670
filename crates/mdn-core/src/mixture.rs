//! The Gaussian mixture output of a Mixture Density Network and its likelihood.
//!
//! An MDN (Bishop 1994, "Mixture Density Networks", NCRG/94/004, eq. 22–26)
//! outputs, for every input, the parameters of
//! p(y|x) = Σ_k π_k(x) N(y; μ_k(x), Σ_k(x)) and is trained by minimising the
//! negative log-likelihood of the targets. Everything here works on any burn
//! device and with or without autodiff.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

use crate::fused;
use crate::fused::linear::Activation;

/// ln(2π), the constant of the Gaussian log-density.
pub const LN_2PI: f32 = 1.837_877_1;

/// Default floor of every scale σ (and of every diagonal entry of a full
/// covariance's Cholesky factor), in target units: it keeps the likelihood
/// bounded, so the NLL stays finite when a component collapses onto
/// noise-free data.
pub const SIGMA_MIN: f32 = 1e-4;

/// Cap on a scale's raw output: σ ≤ σ_min + e^80 (about 5.5e34 target units,
/// far beyond any data), where e^raw and its gradient are still finite f32.
pub const RAW_SIGMA_MAX: f32 = 80.0;

/// How each component's covariance Σ_k is parametrised (workloads spec,
/// "Output heads").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Covariance {
    /// Σ_k = σ_k² I: one scale per component.
    Isotropic,
    /// Σ_k = diag(σ_k,1², …, σ_k,D²): one scale per component and dimension.
    #[default]
    Diagonal,
    /// Σ_k = L_k L_kᵀ with L_k lower triangular (the Cholesky factor,
    /// `scale_tril`): a positive diagonal and D(D−1)/2 free entries below it,
    /// so Σ_k is positive definite by construction (Williams 1996, "Using
    /// Neural Networks to Model Conditional Multivariate Densities").
    Full,
}

impl Covariance {
    /// Every kind, in the order a user would pick from.
    pub const ALL: [Covariance; 3] = [
        Covariance::Isotropic,
        Covariance::Diagonal,
        Covariance::Full,
    ];

    /// Number of raw scale outputs per component for targets in `dim`
    /// dimensions: 1, D, or D(D+1)/2 (the diagonal and the strictly lower
    /// triangle of L).
    pub fn scale_outputs(self, dim: usize) -> usize {
        match self {
            Covariance::Isotropic => 1,
            Covariance::Diagonal => dim,
            Covariance::Full => dim * (dim + 1) / 2,
        }
    }

    /// The short name used on the page and the command line: `isotropic`,
    /// `diagonal`, `full`.
    pub fn name(self) -> &'static str {
        match self {
            Covariance::Isotropic => "isotropic",
            Covariance::Diagonal => "diagonal",
            Covariance::Full => "full",
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
            "full" => Ok(Covariance::Full),
            other => Err(format!(
                "unknown covariance '{other}': expected isotropic, diagonal or full"
            )),
        }
    }
}

/// Number of entries strictly below the diagonal of a D × D matrix.
pub fn lower_entries(dim: usize) -> usize {
    dim * dim.saturating_sub(1) / 2
}

/// Index of L_ij (i > j) among the strictly lower entries, stored row by
/// row: L₁₀, L₂₀, L₂₁, L₃₀, …
pub fn lower_index(i: usize, j: usize) -> usize {
    i * (i - 1) / 2 + j
}

/// The parameters of a batch of Gaussian mixtures, one mixture per input.
///
/// Every covariance is held as its Cholesky factor Σ_k = L_k L_kᵀ:
/// `log_sigma` is the log of L_k's diagonal (for the isotropic and diagonal
/// kinds L_k = diag(σ_k) and that is all), and `lower`, for the full kind,
/// its strictly lower entries. Nothing ever forms Σ, its determinant or its
/// inverse: log|Σ_k| = 2 Σ_d log L_k,dd and the Mahalanobis term comes from
/// solving L_k z = y − μ_k by forward substitution.
///
/// Shapes: `log_pi` `[batch, K]`, `mu` `[batch, K, D]`, `log_sigma`
/// `[batch, K, S]` with S = 1 (isotropic) or D, `lower`
/// `[batch, K, D(D−1)/2]` (row-major, see [`lower_index`]). Means and scales
/// are in target units.
#[derive(Clone, Debug)]
pub struct Mixture {
    /// Log mixture weights, `[batch, K]`: each row's exp sums to 1.
    pub log_pi: Tensor<2>,
    /// Component means μ, `[batch, K, D]`.
    pub mu: Tensor<3>,
    /// Log of the Cholesky factor's diagonal (log σ), `[batch, K, S]`, S = 1 or D.
    pub log_sigma: Tensor<3>,
    /// Strictly lower entries of the Cholesky factor, `[batch, K, D(D−1)/2]`;
    /// `None` for the isotropic and diagonal kinds, and for D = 1.
    pub lower: Option<Tensor<3>>,
}

impl Mixture {
    /// The covariance kind these parameters describe (for D = 1 every kind
    /// is the same model; this then says diagonal).
    pub fn covariance(&self) -> Covariance {
        let [_, _, dim] = self.mu.dims();
        match (&self.lower, self.log_sigma.dims()[2]) {
            (Some(_), _) => Covariance::Full,
            (None, 1) if dim > 1 => Covariance::Isotropic,
            (None, _) => Covariance::Diagonal,
        }
    }

    /// Log-density of each target under each component, `[batch, K]`, in
    /// nats: log N(y; μ_k, L_k L_kᵀ) = −½‖z‖² − Σ_d log L_k,dd − (D/2) ln 2π
    /// with L_k z = y − μ_k.
    ///
    /// `targets` is `[batch, D]`.
    pub fn component_log_prob(&self, targets: Tensor<2>) -> Tensor<2> {
        let [batch, components, dim] = self.mu.dims();
        let scales = self.log_sigma.dims()[2];
        let residual = targets.unsqueeze_dim::<3>(1) - self.mu.clone();
        let z = self.whiten(residual);
        let half_log_det = self
            .log_sigma
            .clone()
            .sum_dim(2)
            .mul_scalar((dim / scales) as f32);
        (z.square().sum_dim(2).mul_scalar(-0.5) - half_log_det)
            .sub_scalar(0.5 * dim as f32 * LN_2PI)
            .reshape([batch, components])
    }

    /// z = L⁻¹ r for residuals r `[batch, K, D]`, by forward substitution:
    /// z_i = (r_i − Σ_{j<i} L_ij z_j) / L_ii.
    fn whiten(&self, residual: Tensor<3>) -> Tensor<3> {
        // Multiplying by e^(−log σ) rather than dividing by e^(log σ) keeps
        // the gradient finite (zero) where σ overflows to infinity.
        let inv_sigma = self.log_sigma.clone().neg().exp();
        let Some(lower) = &self.lower else {
            return residual * inv_sigma;
        };
        let dim = residual.dims()[2];
        let mut z: Vec<Tensor<3>> = Vec::with_capacity(dim);
        for i in 0..dim {
            let mut numerator = residual.clone().narrow(2, i, 1);
            for (j, z_j) in z.iter().enumerate() {
                numerator = numerator - lower.clone().narrow(2, lower_index(i, j), 1) * z_j.clone();
            }
            z.push(numerator * inv_sigma.clone().narrow(2, i, 1));
        }
        Tensor::cat(z, 2)
    }

    /// Log-density of each target under its mixture, `[batch]`, in nats:
    /// logsumexp_k(log π_k + log N_k) (Bishop 1994, eq. 22 and 29, in log
    /// space so that no density underflows).
    ///
    /// `targets` is `[batch, D]`. (Training goes through
    /// [`MixtureHead::log_prob`], which fuses this on the CPU.)
    pub fn log_prob(&self, targets: Tensor<2>) -> Tensor<1> {
        let batch = self.mu.dims()[0];
        let joint = self.log_pi.clone() + self.component_log_prob(targets);
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
        let best: Tensor<2, Int> = self.log_pi.clone().argmax(1);
        self.component_mean(best)
    }

    /// The mixture's expectation, `[batch, D]`: E[y|x] = Σ_k π_k μ_k (Bishop
    /// 1994, eq. 30), what least squares would predict.
    pub fn mean(&self) -> Tensor<2> {
        let [batch, _, dim] = self.mu.dims();
        (self.log_pi.clone().exp().unsqueeze_dim::<3>(2) * self.mu.clone())
            .sum_dim(1)
            .reshape([batch, dim])
    }

    /// The Cholesky factor of every covariance, `[batch, K, D, D]`, lower
    /// triangular with a positive diagonal: Σ_k = L_k L_kᵀ.
    pub fn scale_tril(&self) -> Tensor<4> {
        let [batch, components, dim] = self.mu.dims();
        let device = self.mu.device();
        let sigma = self.log_sigma.clone().exp();
        let scales = sigma.dims()[2];
        let rows = (0..dim)
            .map(|i| {
                let mut row: Vec<Tensor<3>> = (0..i)
                    .map(|j| match &self.lower {
                        Some(lower) => lower.clone().narrow(2, lower_index(i, j), 1),
                        None => Tensor::zeros([batch, components, 1], &device),
                    })
                    .collect();
                row.push(sigma.clone().narrow(2, i.min(scales - 1), 1));
                if i + 1 < dim {
                    row.push(Tensor::zeros([batch, components, dim - i - 1], &device));
                }
                Tensor::cat(row, 2).unsqueeze_dim::<4>(2)
            })
            .collect();
        Tensor::cat(rows, 2)
    }

    /// One draw y ~ p(y | x_i) per input, `[batch, D]`, with temperatures.
    ///
    /// A component k ~ Categorical(softmax(log π / τ_π)) (by the Gumbel-max
    /// trick), then y = μ_k + √τ_σ L_k ε with ε ~ N(0, I), so the draw's
    /// covariance is τ_σ Σ_k. τ_π = τ_σ = 1 samples the model; τ_π → 0 picks
    /// the heaviest component and τ_σ → 0 its mean, so both at 0 give
    /// [`Mixture::mode`]. Temperatures below 0 count as 0. The noise comes
    /// from `rng` (on the host), so a seed gives the same draws on every
    /// device.
    pub fn sample(&self, tau_pi: f32, tau_sigma: f32, rng: &mut impl Rng) -> Tensor<2> {
        let [batch, components, dim] = self.mu.dims();
        let device = self.mu.device();
        let logits = if tau_pi > 0.0 {
            let gumbel: Vec<f32> = (0..batch * components)
                .map(|_| {
                    // u in (0, 1]: −ln(−ln u) stays finite.
                    let u = 1.0 - rng.random::<f32>();
                    -(-u.ln()).max(f32::MIN_POSITIVE).ln()
                })
                .collect();
            self.log_pi.clone().div_scalar(tau_pi)
                + Tensor::from_data(TensorData::new(gumbel, [batch, components]), &device)
        } else {
            self.log_pi.clone()
        };
        let k: Tensor<2, Int> = logits.argmax(1);
        let mu = self.component_mean(k.clone());
        let eps: Vec<f32> = (0..batch * dim)
            .map(|_| StandardNormal.sample(rng))
            .collect();
        let eps = Tensor::<2>::from_data(TensorData::new(eps, [batch, dim]), &device);
        let sigma = pick(self.log_sigma.clone(), k.clone()).exp();
        let scaled = match &self.lower {
            None => sigma * eps,
            Some(lower) => {
                let lower = pick(lower.clone(), k);
                let columns = (0..dim)
                    .map(|i| {
                        let mut value = sigma.clone().narrow(1, i, 1) * eps.clone().narrow(1, i, 1);
                        for j in 0..i {
                            value = value
                                + lower.clone().narrow(1, lower_index(i, j), 1)
                                    * eps.clone().narrow(1, j, 1);
                        }
                        value
                    })
                    .collect();
                Tensor::cat(columns, 1)
            }
        };
        mu + scaled.mul_scalar(tau_sigma.max(0.0).sqrt())
    }

    /// μ of component `k[i]` of every mixture, `[batch, D]`; `k` is `[batch, 1]`.
    fn component_mean(&self, k: Tensor<2, Int>) -> Tensor<2> {
        pick(self.mu.clone(), k)
    }
}

/// Row i of `values[i, k[i], :]`: `values` `[batch, K, n]`, `k` `[batch, 1]`
/// → `[batch, n]`.
fn pick(values: Tensor<3>, k: Tensor<2, Int>) -> Tensor<2> {
    let [batch, _, n] = values.dims();
    let index = k.unsqueeze_dim::<3>(2).repeat_dim(2, n);
    values.gather(1, index).reshape([batch, n])
}

/// log Σ exp along `dim`, keeping `dim` with size 1.
///
/// Subtracts the (gradient-free) maximum first so that neither `exp`
/// overflows nor every term underflows. Terms more than 80 nats below the
/// maximum are raised to −80 first: they add at most n·e^−80 ≈ n·1.8e−35 to a
/// sum of at least 1, nothing in f32, and libm's `expf` takes a slow path
/// for every result that underflows (5 % of a W1 step, where most of the 24
/// components are far from most targets).
pub fn logsumexp<const D: usize>(x: Tensor<D>, dim: usize) -> Tensor<D> {
    let max = x.clone().max_dim(dim).detach();
    (x - max.clone()).clamp_min(-80.0).exp().sum_dim(dim).log() + max
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
/// μ = raw, σ = σ_min + exp(raw) (Bishop 1994, eq. 25–27, with a floor) and,
/// for the full kind, L_k's strictly lower entries = raw, so that
/// L_k's diagonal is σ and Σ_k = L_k L_kᵀ is positive definite.
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
    ///
    /// The raw outputs are laid out as K logits, K·D means, then per
    /// component its scale outputs: S log-scale pre-activations (S = 1, D,
    /// or D for the full kind's diagonal) followed, for the full kind, by
    /// the D(D−1)/2 strictly lower entries of L_k (identity activation).
    pub fn forward(&self, features: Tensor<2>) -> Mixture {
        self.activate(fused::dense(&self.linear, features, Activation::Identity))
    }

    /// log p(y_i | x_i), `[batch]` in nats, of the mixtures for `features`
    /// `[batch, features]` at `targets` `[batch, D]`: `forward` then
    /// [`Mixture::log_prob`], the training loss's per-sample term.
    ///
    /// On burn's flex CPU backend (D ≤ 4) the activations and the
    /// log-density are one fused pass with a hand-written backward
    /// ([`fused::head_log_prob`]), where the composed form takes some fifty
    /// tensor operations; both give the same values and gradients to f32
    /// rounding (tested below).
    pub fn log_prob(&self, features: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
        let raw = fused::dense(&self.linear, features, Activation::Identity);
        if fused::applies(&raw) && self.dim <= fused::kernels::MAX_DIM {
            return fused::head_log_prob(raw, targets, self.config());
        }
        self.activate(raw).log_prob(targets)
    }

    /// The mixture parameters from the raw outputs `[batch, outputs]`.
    ///
    /// The raw outputs are laid out as K logits, K·D means, then per
    /// component its scale outputs: S log-scale pre-activations (S = 1, D,
    /// or D for the full kind's diagonal) followed, for the full kind, by
    /// the D(D−1)/2 strictly lower entries of L_k (identity activation).
    fn activate(&self, raw: Tensor<2>) -> Mixture {
        let batch = raw.dims()[0];
        let (k, d) = (self.components, self.dim);
        let outputs = self.covariance.scale_outputs(d);
        let logits = raw.clone().narrow(1, 0, k);
        let mu = raw.clone().narrow(1, k, k * d).reshape([batch, k, d]);
        let scale = raw
            .narrow(1, k + k * d, k * outputs)
            .reshape([batch, k, outputs]);
        let diagonal = match self.covariance {
            Covariance::Isotropic => 1,
            Covariance::Diagonal | Covariance::Full => d,
        };
        let lower =
            (outputs > diagonal).then(|| scale.clone().narrow(2, diagonal, outputs - diagonal));
        // ln(σ_min + e^raw) with raw capped at RAW_SIGMA_MAX so that e^raw
        // stays finite (and its gradient too): one exp and one log, where a
        // softplus form costs an exp, a log1p and two masked passes.
        let log_sigma = scale
            .narrow(2, 0, diagonal)
            .clamp_max(RAW_SIGMA_MAX)
            .exp()
            .add_scalar(self.sigma_min)
            .log();
        Mixture {
            log_pi: log_softmax(logits, 1),
            mu,
            log_sigma,
            lower,
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn random(
        rng: &mut StdRng,
        shape: [usize; 3],
        low: f32,
        high: f32,
        device: &Device,
    ) -> Tensor<3> {
        let values = (0..shape.iter().product())
            .map(|_| rng.random_range(low..high))
            .collect();
        Tensor::from_data(TensorData::new(values, shape), device)
    }

    /// On flex, `MixtureHead::log_prob` takes the fused kernel: its values
    /// and the gradients of the raw outputs must equal those of the
    /// composed tensor operations (which wgpu runs), for every kind and
    /// D = 1..4, with scales near σ_min and above the cap, and components
    /// far enough from the target to fall below the log-sum-exp floor.
    #[test]
    fn fused_head_log_prob_matches_the_composed_operations() {
        let device = Device::flex().autodiff();
        let mut rng = StdRng::seed_from_u64(7);
        for covariance in Covariance::ALL {
            for dim in 1..=4 {
                let (batch, components) = (6, 5);
                let config = MixtureHeadConfig {
                    features: 3,
                    components,
                    dim,
                    covariance,
                    sigma_min: SIGMA_MIN,
                };
                let head = config.init(&device);
                let outputs = config.outputs();
                let scale_start = components * (1 + dim);
                let values: Vec<f32> = (0..batch * outputs)
                    .map(|j| match j % outputs {
                        j if j < scale_start => rng.random_range(-3.0..3.0),
                        // One raw scale above the cap, some far below zero.
                        j if j == outputs - 1 => 85.0,
                        _ => rng.random_range(-12.0..1.0),
                    })
                    .collect();
                let raw: Tensor<2> =
                    Tensor::from_data(TensorData::new(values, [batch, outputs]), &device)
                        .require_grad();
                let targets: Tensor<2> =
                    random(&mut rng, [batch, dim, 1], -1.5, 1.5, &device).reshape([batch, dim]);
                let what = format!("{covariance:?} D={dim}");
                let fused = fused::head_log_prob(raw.clone(), targets.clone(), config);
                let composed = head.activate(raw.clone()).log_prob(targets);
                let gradient = |log_prob: Tensor<1>| {
                    // Weights per sample, so that a per-row mistake shows.
                    let weights = Tensor::<1>::from_data(
                        TensorData::new((1..=batch).map(|i| i as f32).collect(), [batch]),
                        &device,
                    );
                    let grads = (log_prob * weights).sum().backward();
                    let grad = raw.grad(&grads).expect("raw grad").into_data();
                    grad.try_to_vec::<f32>().expect("f32")
                };
                let values = |t: Tensor<1>| t.into_data().try_to_vec::<f32>().expect("f32");
                for (a, b) in values(fused.clone()).iter().zip(values(composed.clone())) {
                    assert!(
                        (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                        "{what}: log p {a} vs {b}"
                    );
                }
                for (a, b) in gradient(fused).iter().zip(gradient(composed)) {
                    assert!(
                        (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                        "{what}: gradient {a} vs {b}"
                    );
                }
            }
        }
    }
}
