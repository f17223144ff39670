//! The Gaussian mixture output of a Mixture Density Network and its likelihood.
//!
//! An MDN (Bishop 1994, "Mixture Density Networks", NCRG/94/004, eq. 22–26)
//! outputs, for every input, the parameters of
//! p(y|x) = Σ_k π_k(x) N(y; μ_k(x), Σ_k(x)) and is trained by minimising the
//! negative log-likelihood of the targets. Everything here works on any burn
//! device and with or without autodiff.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor, TensorData};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

use crate::spec::{Covariance, HeadLayout, LN_2PI, LOGSUMEXP_FLOOR, RAW_SIGMA_MAX, lower_index};

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
    /// The mixture parameters a head's raw outputs `raw` (`[batch,
    /// layout.outputs()]`, laid out as [`HeadLayout`] says) stand for: π =
    /// softmax(logits), μ = raw, log σ = ln(σ_min + e^min(raw, 80)) and, for
    /// the full kind, the lower entries as they are (Bishop 1994, eq. 25–27,
    /// with a floor on σ).
    pub fn from_raw(raw: Tensor<2>, layout: &HeadLayout) -> Mixture {
        let batch = raw.dims()[0];
        let (k, d) = (layout.components, layout.dim);
        let outputs = layout.scale_outputs();
        let diagonal = layout.diagonal_scales();
        let logits = raw.clone().narrow(1, 0, k);
        let mu = raw
            .clone()
            .narrow(1, layout.mu_offset(), k * d)
            .reshape([batch, k, d]);
        let scale = raw
            .narrow(1, layout.scale_offset(), k * outputs)
            .reshape([batch, k, outputs]);
        let lower =
            (outputs > diagonal).then(|| scale.clone().narrow(2, diagonal, outputs - diagonal));
        // ln(σ_min + e^raw) with raw capped at RAW_SIGMA_MAX so that e^raw
        // stays finite (and its gradient too): one exp and one log, where a
        // softplus form costs an exp, a log1p and two masked passes.
        let log_sigma = scale
            .narrow(2, 0, diagonal)
            .clamp_max(RAW_SIGMA_MAX)
            .exp()
            .add_scalar(layout.sigma_min)
            .log();
        Mixture {
            log_pi: log_softmax(logits, 1),
            mu,
            log_sigma,
            lower,
        }
    }

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
    /// [`crate::model::Mdn::log_prob`], which fuses this on the CPU.)
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
    /// largest weight π_k (Bishop 1994, section 7's "most probable branch";
    /// the workloads' "mode colour"). Not always the density's highest
    /// point, which a narrow light component can hold: the toy finds that
    /// one, its conditional mode, with [`crate::toy::conditional_mode`].
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

    /// The total variance of each mixture, `[batch]`, in squared target
    /// units: trace Var[y|x] = Σ_k π_k (tr Σ_k + ‖μ_k‖²) − ‖E[y|x]‖² (the law
    /// of total variance, Bishop 1994, eq. 31's sum over D), with tr Σ_k =
    /// Σ_ij (L_k)_ij² read from the Cholesky factor. Large where the model
    /// is unsure, whether from wide components or from components that
    /// disagree.
    pub fn total_variance(&self) -> Tensor<1> {
        let [batch, components, dim] = self.mu.dims();
        let scales = self.log_sigma.dims()[2];
        // tr Σ_k: the squared diagonal (the isotropic σ counted D times) and
        // the lower entries.
        let diagonal = self
            .log_sigma
            .clone()
            .mul_scalar(2.0)
            .exp()
            .sum_dim(2)
            .mul_scalar((dim / scales) as f32);
        let trace = match &self.lower {
            Some(lower) => diagonal + lower.clone().square().sum_dim(2),
            None => diagonal,
        };
        let second_moment = trace + self.mu.clone().square().sum_dim(2);
        let pi = self.log_pi.clone().exp().reshape([batch, components, 1]);
        let expected = (pi * second_moment).sum_dim(1).reshape([batch]);
        expected - self.mean().square().sum_dim(1).reshape([batch])
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
/// overflows nor every term underflows; terms below the maximum by more
/// than [`LOGSUMEXP_FLOOR`] are raised to it first (5 % of a W1 step went to
/// libm's underflow path before, most of the 24 components being far from
/// most targets).
pub fn logsumexp<const D: usize>(x: Tensor<D>, dim: usize) -> Tensor<D> {
    let max = x.clone().max_dim(dim).detach();
    (x - max.clone())
        .clamp_min(LOGSUMEXP_FLOOR)
        .exp()
        .sum_dim(dim)
        .log()
        + max
}
