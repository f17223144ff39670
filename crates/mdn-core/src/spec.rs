//! The model's vocabulary, without tensors: covariance kinds, the mixture
//! head's raw output layout, the indexing of Cholesky factors, activations
//! and the constants the maths shares.
//!
//! A leaf: the composed tensor maths ([`crate::mixture`]) and the fused CPU
//! kernels (`crate::fused`) both read it, and neither reads the other.

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

/// How a painting feeds a pixel's position (x, y) to the network: the
/// choice by name, as the page and the command line offer it. A model
/// holds it with its parameters as [`crate::encoding::EncodingConfig`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// A learned multiresolution grid (Müller et al. 2022, see
    /// [`GridLayout`]) in front of a small tanh MLP.
    #[default]
    Grid,
    /// Fourier features of (x, y) (Tancik et al. 2020) into a tanh MLP.
    Fourier,
    /// The plain coordinates, as in the original MDN painting.
    Raw,
}

impl Encoding {
    /// Every encoding, in the order a user would pick from.
    pub const ALL: [Encoding; 3] = [Encoding::Grid, Encoding::Fourier, Encoding::Raw];

    /// The name used on the page and the command line.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Grid => "grid",
            Encoding::Fourier => "fourier",
            Encoding::Raw => "raw",
        }
    }

    /// The encoding named `name` as [`Encoding::name`] spells it.
    pub fn from_name(name: &str) -> Option<Self> {
        Encoding::ALL.into_iter().find(|e| e.name() == name)
    }
}

impl std::fmt::Display for Encoding {
    /// The encoding's [`Encoding::name`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The multiplier of the spatial hash (Müller et al. 2022, eq. 4: π₂ =
/// 2 654 435 761, π₁ = 1), as the wrapping i32 it is on a GPU.
pub const GRID_HASH_PRIME: i32 = 2_654_435_761_u32 as i32;

/// A learned multiresolution grid over the unit square [−1, 1]² (Müller et
/// al. 2022, "Instant Neural Graphics Primitives with a Multiresolution Hash
/// Encoding", §3): `levels` 2-D grids whose sides grow geometrically from
/// `base` to `top` nodes, each node holding `features` trainable values. A
/// level's node (i, j) sits at (−1 + 2i/(R − 1), −1 + 2j/(R − 1)) (corner
/// aligned); a point's features are the bilinear interpolation of its four
/// surrounding nodes, level by level, concatenated (`levels · features`
/// values). A level with more than `hash_above` nodes is hashed into `table`
/// entries (a power of two) as in the paper; the others are dense.
///
/// All levels live in one table `[total_entries, features]`, level after
/// level (see [`GridLayout::offset`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GridLayout {
    /// Number of levels L (≥ 1).
    pub levels: usize,
    /// Side of the coarsest level, nodes (≥ 2).
    pub base: usize,
    /// Side of the finest level, nodes (≥ `base`).
    pub top: usize,
    /// Features per node F.
    pub features: usize,
    /// Nodes above which a level is hashed.
    pub hash_above: usize,
    /// Entries of a hashed level (a power of two).
    pub table: usize,
}

impl GridLayout {
    /// Levels from 8 nodes up to `top` (the training size), one per doubling
    /// (5 for 128 px: 8, 16, 32, 64, 128), 4 features each, levels above
    /// 2^16 nodes hashed.
    pub fn for_side(top: usize) -> Self {
        let base = 8.min(top.max(2));
        let doublings = (top as f64 / base as f64).log2().ceil().max(0.0) as usize;
        Self {
            levels: doublings + 1,
            base,
            top: top.max(base),
            features: 4,
            hash_above: 1 << 16,
            table: 1 << 16,
        }
    }

    /// Side R of level `level`, nodes: base · (top / base)^(level / (L − 1)),
    /// rounded.
    pub fn side(&self, level: usize) -> usize {
        if self.levels <= 1 {
            return self.top;
        }
        let growth =
            (self.top as f64 / self.base as f64).powf(level as f64 / (self.levels - 1) as f64);
        ((self.base as f64 * growth).round() as usize).max(2)
    }

    /// Whether level `level` is hashed (it has more than `hash_above` nodes).
    pub fn hashed(&self, level: usize) -> bool {
        self.side(level) * self.side(level) > self.hash_above
    }

    /// Table entries of level `level`: R² dense, `table` hashed.
    pub fn entries(&self, level: usize) -> usize {
        let side = self.side(level);
        if self.hashed(level) {
            self.table
        } else {
            side * side
        }
    }

    /// First table row of level `level`.
    pub fn offset(&self, level: usize) -> usize {
        (0..level).map(|l| self.entries(l)).sum()
    }

    /// Rows of the whole table: Σ_l entries(l).
    pub fn total_entries(&self) -> usize {
        self.offset(self.levels)
    }

    /// Features per point: L · F.
    pub fn outputs(&self) -> usize {
        self.levels * self.features
    }

    /// The table row of node (i, j) of level `level` (see
    /// [`GridLevel::row`]).
    pub fn row(&self, level: usize, i: usize, j: usize) -> usize {
        self.level(level).row(i, j)
    }

    /// Level `level`'s side, place in the table and hashing, computed once.
    pub fn level(&self, level: usize) -> GridLevel {
        GridLevel {
            side: self.side(level),
            offset: self.offset(level),
            hashed: self.hashed(level),
            table: self.table,
        }
    }
}

/// One level of a [`GridLayout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GridLevel {
    /// Side R, nodes.
    pub side: usize,
    /// First row in the table.
    pub offset: usize,
    /// Whether nodes are hashed into `table` entries.
    pub hashed: bool,
    /// Entries of a hashed level (a power of two).
    pub table: usize,
}

impl GridLevel {
    /// The table row of node (i, j): offset + j·R + i for a dense level,
    /// offset + ((i ⊕ j·π₂) mod table) for a hashed one (Müller et al.
    /// 2022, eq. 4).
    #[inline(always)]
    pub fn row(&self, i: usize, j: usize) -> usize {
        let local = if self.hashed {
            let hash = (i as i32) ^ (j as i32).wrapping_mul(GRID_HASH_PRIME);
            hash as usize & (self.table - 1)
        } else {
            j * self.side + i
        };
        self.offset + local
    }
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
    fn grid_levels_double_up_to_the_training_size_and_hash_above_the_table() {
        let layout = GridLayout::for_side(128);
        let sides: Vec<usize> = (0..layout.levels).map(|l| layout.side(l)).collect();
        assert_eq!(sides, [8, 16, 32, 64, 128]);
        assert_eq!(layout.outputs(), 20);
        assert_eq!(layout.total_entries(), 64 + 256 + 1024 + 4096 + 16384);
        assert!((0..5).all(|l| !layout.hashed(l)));
        assert_eq!(layout.row(1, 3, 2), 64 + 2 * 16 + 3);

        let big = GridLayout::for_side(512);
        assert_eq!(big.side(big.levels - 1), 512);
        assert!(big.hashed(big.levels - 1) && !big.hashed(big.levels - 2));
        assert_eq!(big.entries(big.levels - 1), 1 << 16);
        let last = big.levels - 1;
        let rows = (0..512).flat_map(|j| (0..512).map(move |i| (i, j)));
        assert!(
            rows.map(|(i, j)| big.row(last, i, j))
                .all(|r| { (big.offset(last)..big.total_entries()).contains(&r) })
        );
        let odd = GridLayout::for_side(100);
        assert_eq!(odd.side(0), 8);
        assert_eq!(odd.side(odd.levels - 1), 100);
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
