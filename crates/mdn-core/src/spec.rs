//! The model's vocabulary, without tensors: covariance kinds, the mixture
//! head's raw output layout, the indexing of Cholesky factors, activations
//! and the constants the maths shares.
//!
//! A leaf: the composed tensor maths ([`crate::mixture`]) and the fused CPU
//! kernels ([`crate::fused`]) both read it, and neither reads the other.

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

/// Terms of a log-sum-exp more than this many nats below its maximum count
/// as this far below it, and get no gradient: they add at most n·e^−80 ≈
/// n·1.8e−35 to a sum of at least 1, nothing in f32, and libm's `expf` takes
/// a slow path for every result that underflows.
pub const LOGSUMEXP_FLOOR: f32 = -80.0;

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

    /// Number of diagonal scales per component: 1 (isotropic) or D.
    pub fn diagonal_scales(self, dim: usize) -> usize {
        match self {
            Covariance::Isotropic => 1,
            Covariance::Diagonal | Covariance::Full => dim,
        }
    }

    /// The short name used on the page and the command line: `isotropic`,
    /// `diagonal`, `full` (see [`crate::settings`] for the accepted
    /// spellings).
    pub fn name(self) -> &'static str {
        match self {
            Covariance::Isotropic => "isotropic",
            Covariance::Diagonal => "diagonal",
            Covariance::Full => "full",
        }
    }

    /// The kind named `name` as [`Covariance::name`] spells it.
    pub fn from_name(name: &str) -> Option<Self> {
        Covariance::ALL.into_iter().find(|c| c.name() == name)
    }
}

impl std::fmt::Display for Covariance {
    /// The kind's [`Covariance::name`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
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

/// The activation after a dense layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// None: the layer's affine map as it is (the mixture head, the
    /// least-squares output).
    Identity,
    /// tanh, the MLP trunk's nonlinearity.
    Tanh,
}

/// The mixture a head outputs and how its raw outputs are laid out: per
/// sample, K logits, then K·D means, then per component its S log-scale
/// pre-activations (S = 1 for isotropic, D otherwise) followed, for the full
/// kind, by the D(D−1)/2 strictly lower entries of L_k (row by row, see
/// [`lower_index`]).
///
/// The activations (Bishop 1994, eq. 25–27, with a floor): π =
/// softmax(logits), μ = raw, σ = σ_min + e^min(raw, [`RAW_SIGMA_MAX`]),
/// lower entries = raw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeadLayout {
    /// Number of mixture components K (≥ 1).
    pub components: usize,
    /// Target dimension D (≥ 1).
    pub dim: usize,
    /// Covariance parametrisation.
    pub covariance: Covariance,
    /// Floor of every scale, in target units (> 0).
    pub sigma_min: f32,
}

impl HeadLayout {
    /// Raw outputs per sample: K logits, K·D means and K scale blocks.
    pub fn outputs(&self) -> usize {
        self.components * (1 + self.dim + self.scale_outputs())
    }

    /// Raw scale outputs per component (see [`Covariance::scale_outputs`]).
    pub fn scale_outputs(&self) -> usize {
        self.covariance.scale_outputs(self.dim)
    }

    /// Diagonal scales per component: 1 or D.
    pub fn diagonal_scales(&self) -> usize {
        self.covariance.diagonal_scales(self.dim)
    }

    /// Offset of the means in a sample's raw outputs (the logits start at 0).
    pub fn mu_offset(&self) -> usize {
        self.components
    }

    /// Offset of the first scale block in a sample's raw outputs.
    pub fn scale_offset(&self) -> usize {
        self.components * (1 + self.dim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_offsets_cover_every_output_once() {
        for covariance in Covariance::ALL {
            for dim in 1..=4 {
                let layout = HeadLayout {
                    components: 5,
                    dim,
                    covariance,
                    sigma_min: SIGMA_MIN,
                };
                assert_eq!(layout.mu_offset(), 5);
                assert_eq!(layout.scale_offset(), 5 + 5 * dim);
                assert_eq!(
                    layout.scale_offset() + 5 * layout.scale_outputs(),
                    layout.outputs()
                );
                assert_eq!(
                    layout.scale_outputs(),
                    layout.diagonal_scales()
                        + if covariance == Covariance::Full {
                            lower_entries(dim)
                        } else {
                            0
                        }
                );
            }
        }
    }

    #[test]
    fn lower_indices_enumerate_the_strict_lower_triangle_row_by_row() {
        let mut expected = 0;
        for i in 1..5 {
            for j in 0..i {
                assert_eq!(lower_index(i, j), expected);
                expected += 1;
            }
        }
        assert_eq!(expected, lower_entries(5));
    }
}
