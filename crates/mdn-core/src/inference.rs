//! Reading predictions back to the host and drawing from them: mixture
//! samples, mode predictions.

use burn::tensor::Transaction;
use burn::tensor::{Tensor, TensorData};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

use crate::mixture::Mixture;

/// A device readback failed (the GPU device was lost, or a kernel failed).
#[derive(Debug, thiserror::Error)]
#[error("reading results back from the device failed: {0}")]
pub struct ReadbackError(pub String);

/// Reads tensors back in one transaction, each as row-major `f32`s.
///
/// # Errors
/// [`ReadbackError`] when the device fails.
pub async fn read_f32<const D: usize>(
    tensors: Vec<Tensor<D>>,
) -> Result<Vec<Vec<f32>>, ReadbackError> {
    let transaction = tensors
        .into_iter()
        .fold(Transaction::default(), |t, tensor| t.register(tensor));
    let data = transaction
        .execute_async()
        .await
        .map_err(|e| ReadbackError(format!("{e:?}")))?;
    data.into_iter().map(to_f32).collect()
}

fn to_f32(data: TensorData) -> Result<Vec<f32>, ReadbackError> {
    data.try_into_vec_as::<f32>()
        .map_err(|e| ReadbackError(format!("{e:?}")))
}

/// A batch of mixtures on the host (see [`Mixture`] for the meaning of
/// each field), row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct MixtureData {
    /// Number of mixtures (inputs).
    pub batch: usize,
    /// Components K.
    pub components: usize,
    /// Target dimension D.
    pub dim: usize,
    /// Log scales per component, S: 1 (isotropic) or D (diagonal).
    pub scales: usize,
    /// `[batch, K]` log mixture weights.
    pub log_pi: Vec<f32>,
    /// `[batch, K, D]` means.
    pub mu: Vec<f32>,
    /// `[batch, K, S]` log scales, σ = exp(log_sigma).
    pub log_sigma: Vec<f32>,
}

impl MixtureData {
    /// Reads `mixture` back from its device.
    ///
    /// # Errors
    /// [`ReadbackError`] when the device fails.
    pub async fn read(mixture: Mixture) -> Result<Self, ReadbackError> {
        let [batch, components, dim] = mixture.mu.dims();
        let scales = mixture.log_sigma.dims()[2];
        let log_pi = mixture.log_pi.unsqueeze_dim::<3>(2);
        let mut parts = read_f32(vec![log_pi, mixture.mu, mixture.log_sigma]).await?;
        let log_sigma = parts.pop().unwrap_or_default();
        let mu = parts.pop().unwrap_or_default();
        let log_pi = parts.pop().unwrap_or_default();
        Ok(Self {
            batch,
            components,
            dim,
            scales,
            log_pi,
            mu,
            log_sigma,
        })
    }

    /// One draw y ~ p(y | x_i), `[D]`: a component k ~ Categorical(π), then
    /// y_d = μ_k,d + σ_k,d ε_d with ε_d ~ N(0, 1).
    pub fn sample(&self, i: usize, rng: &mut impl Rng) -> Vec<f32> {
        let (k_count, d_count) = (self.components, self.dim);
        let log_pi = &self.log_pi[i * k_count..][..k_count];
        let mut u: f32 = rng.random();
        let mut k = k_count - 1;
        for (j, lp) in log_pi.iter().enumerate() {
            u -= lp.exp();
            if u <= 0.0 {
                k = j;
                break;
            }
        }
        let mu = &self.mu[(i * k_count + k) * d_count..][..d_count];
        let log_sigma = &self.log_sigma[(i * k_count + k) * self.scales..][..self.scales];
        (0..d_count)
            .map(|d| {
                let eps: f32 = StandardNormal.sample(rng);
                mu[d] + log_sigma[d.min(self.scales - 1)].exp() * eps
            })
            .collect()
    }

    /// `per_input` draws for every mixture, `[batch, per_input, D]`.
    pub fn samples(&self, per_input: usize, rng: &mut impl Rng) -> Vec<f32> {
        (0..self.batch)
            .flat_map(|i| (0..per_input).map(move |_| i))
            .flat_map(|i| self.sample(i, rng))
            .collect()
    }

    /// Mode predictions `[batch, D]`: the mean of each mixture's heaviest
    /// component.
    pub fn mode(&self) -> Vec<f32> {
        let (k_count, d_count) = (self.components, self.dim);
        (0..self.batch)
            .flat_map(|i| {
                let log_pi = &self.log_pi[i * k_count..][..k_count];
                let k = log_pi
                    .iter()
                    .enumerate()
                    .fold(0, |best, (j, lp)| if *lp > log_pi[best] { j } else { best });
                self.mu[(i * k_count + k) * d_count..][..d_count].to_vec()
            })
            .collect()
    }
}
