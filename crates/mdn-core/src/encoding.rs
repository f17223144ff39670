//! How a model sees a position: the input encoding in front of an MDN's
//! trunk, one choice per model ([`EncodingConfig`]) that the model owns
//! ([`InputEncoding`], part of [`crate::model::Mdn`]). The data hold only
//! positions (a pixel's (x, y), the toy's x); the model turns them into
//! the trunk's features in its forward pass, on its device, so a model file
//! that keeps the model keeps its encoding, and a model paints at any size
//! from the positions alone.
//!
//! - raw: the positions as they are (the toy; the original MDN painting,
//!   which learns only a blur from them);
//! - Fourier features ([`fourier_features`]): fixed sinusoids of each
//!   coordinate at octave frequencies, with which a small tanh MLP learns a
//!   picture's edges (Tancik et al. 2020);
//! - the learned multiresolution grid ([`GridEncoding`], Müller et al.
//!   2022): trainable features interpolated from grids over (x, y).

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use rand::Rng;

use crate::grid::GridEncoding;
use crate::spec::{Encoding, GridLayout};

/// How a model encodes its input positions: which encoding, with what it
/// is built from. [`Encoding`] names the choice (the page's and the command
/// line's `grid`, `fourier`, `raw`); this is the choice as a model holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EncodingConfig {
    /// The positions as they are: P features for positions of width P.
    Raw,
    /// Fourier features in `octaves` octaves (see [`fourier_features`]):
    /// P · (1 + 2 · octaves) features, 2 + 4 · octaves for (x, y).
    Fourier {
        /// Octaves of sinusoids per coordinate (frequencies 2^o π, o = 0 …
        /// octaves − 1).
        octaves: usize,
    },
    /// A learned multiresolution grid over (x, y) in [−1, 1]² (positions of
    /// width 2): `layout.outputs()` features (see [`GridLayout`]).
    Grid(GridLayout),
}

impl EncodingConfig {
    /// The encoding's name (see [`Encoding`]).
    pub fn kind(&self) -> Encoding {
        match self {
            EncodingConfig::Raw => Encoding::Raw,
            EncodingConfig::Fourier { .. } => Encoding::Fourier,
            EncodingConfig::Grid(_) => Encoding::Grid,
        }
    }

    /// Features per sample it gives the trunk for positions of width
    /// `positions` (1 for the toy, 2 for a pixel).
    pub fn features(&self, positions: usize) -> usize {
        match self {
            EncodingConfig::Raw => positions,
            EncodingConfig::Fourier { octaves } => positions * (1 + 2 * octaves),
            EncodingConfig::Grid(layout) => layout.outputs(),
        }
    }

    /// The grid's layout, for the `grid` encoding.
    pub fn grid(&self) -> Option<GridLayout> {
        match self {
            EncodingConfig::Grid(layout) => Some(*layout),
            EncodingConfig::Raw | EncodingConfig::Fourier { .. } => None,
        }
    }

    /// The encoding on `device`: the grid's features drawn with `rng` (see
    /// [`GridEncoding::init`]); the others have no parameters and draw
    /// nothing.
    pub fn init(&self, rng: &mut impl Rng, device: &Device) -> InputEncoding {
        match *self {
            EncodingConfig::Raw => InputEncoding::Raw(Identity),
            EncodingConfig::Fourier { octaves } => {
                InputEncoding::Fourier(FourierFeatures { octaves })
            }
            EncodingConfig::Grid(layout) => {
                InputEncoding::Grid(GridEncoding::init(layout, rng, device))
            }
        }
    }
}

/// A model's input encoding (see [`EncodingConfig`]): positions
/// `[batch, P]` to the trunk's features `[batch, features]`. In burn's
/// records the grid's table is `Grid.table` under the field holding it.
#[derive(Module, Debug)]
pub enum InputEncoding {
    /// The positions as they are.
    Raw(Identity),
    /// Fourier features of the positions.
    Fourier(FourierFeatures),
    /// The learned multiresolution grid.
    Grid(GridEncoding),
}

impl InputEncoding {
    /// The features `[batch, features]` of positions `[batch, P]` (see
    /// [`EncodingConfig::features`]).
    pub fn forward(&self, positions: Tensor<2>) -> Tensor<2> {
        match self {
            InputEncoding::Raw(_) => positions,
            InputEncoding::Fourier(fourier) => fourier_features(positions, fourier.octaves),
            InputEncoding::Grid(grid) => grid.forward(positions),
        }
    }

    /// What it was built from.
    pub fn config(&self) -> EncodingConfig {
        match self {
            InputEncoding::Raw(_) => EncodingConfig::Raw,
            InputEncoding::Fourier(fourier) => EncodingConfig::Fourier {
                octaves: fourier.octaves,
            },
            InputEncoding::Grid(grid) => EncodingConfig::Grid(grid.layout()),
        }
    }
}

/// The raw encoding: no parameters, the positions as they are.
#[derive(Module, Debug)]
pub struct Identity;

/// The Fourier-feature encoding: no parameters, `octaves` octaves (see
/// [`fourier_features`]).
#[derive(Module, Debug)]
pub struct FourierFeatures {
    /// Octaves of sinusoids per coordinate.
    pub octaves: usize,
}

/// Frequency of octave `octave` of [`fourier_features`]: 2^octave · π, in
/// radians per unit of position (a period of 2 / 2^octave: the whole
/// [−1, 1] at octave 0).
pub fn octave_frequency(octave: usize) -> f32 {
    // A power of two times π is exact in f32, so each product f · p below
    // is rounded once, as when these features were computed on the host.
    std::f32::consts::PI * (1u32 << octave) as f32
}

/// Fourier features of positions `[batch, P]`: `[batch, P · (1 + 2 ·
/// octaves)]`, each row the position p itself followed, octave by octave
/// (o = 0 … octaves − 1) and coordinate by coordinate, by sin(2^o π p_i)
/// and cos(2^o π p_i); for a pixel (x, y) that is x, y, sin(π x), cos(π x),
/// sin(π y), cos(π y), sin(2π x), … (2 + 4 · octaves values). With them a
/// small tanh MLP can learn a picture's edges; from the raw coordinates it
/// learns only a blur (Tancik et al. 2020, "Fourier Features Let Networks
/// Learn High Frequency Functions in Low Dimensional Domains": this is
/// their positional encoding with scale 2 and the input kept, as NeRF's
/// γ(p), Mildenhall et al. 2020, eq. 4). No parameters: computed in the
/// forward pass, on the positions' device.
pub fn fourier_features(positions: Tensor<2>, octaves: usize) -> Tensor<2> {
    if octaves == 0 {
        return positions;
    }
    let [batch, width] = positions.dims();
    // [batch, octaves · P], columns (o, i): 2^o π p_i.
    let phases = Tensor::cat(
        (0..octaves)
            .map(|o| positions.clone().mul_scalar(octave_frequency(o)))
            .collect(),
        1,
    );
    // [batch, octaves · P, 2] (sin, cos) read row-major: sin and cos of
    // each phase side by side.
    let waves = Tensor::stack::<3>(vec![phases.clone().sin(), phases.cos()], 2)
        .reshape([batch, 2 * octaves * width]);
    Tensor::cat(vec![positions, waves], 1)
}

#[cfg(test)]
mod tests {
    use burn::tensor::TensorData;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn values(tensor: Tensor<2>) -> Vec<f32> {
        tensor.into_data().try_to_vec::<f32>().expect("f32 values")
    }

    /// The features of known pixels, against the formula computed here in
    /// f32 as the host once did (on the CPU they agree to the bit).
    #[test]
    fn fourier_features_of_known_positions_follow_the_formula() {
        let device = Device::flex();
        let positions = [[-0.25f32, -0.5], [0.75, 0.125], [0.0, 1.0]];
        let rows = positions.len();
        let input = Tensor::<2>::from_data(TensorData::new(positions.concat(), [rows, 2]), &device);
        let octaves = 3;
        let features = values(fourier_features(input, octaves));
        assert_eq!(features.len(), rows * (2 + 4 * octaves));
        for (row, [x, y]) in features.chunks_exact(2 + 4 * octaves).zip(positions) {
            let mut expected = vec![x, y];
            for o in 0..octaves {
                let f = std::f32::consts::PI * (1 << o) as f32;
                expected.extend([(f * x).sin(), (f * x).cos(), (f * y).sin(), (f * y).cos()]);
            }
            let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(row), bits(&expected), "{row:?} against {expected:?}");
        }
        // Octave 1 at x = −0.25: sin(−π/2) = −1, cos(−π/2) = 0.
        let second = &features[6..10];
        assert!((second[0] + 1.0).abs() < 1e-6 && second[1].abs() < 1e-6);
    }

    #[test]
    fn no_octaves_and_the_raw_encoding_give_the_positions() {
        let device = Device::flex();
        let positions = Tensor::<2>::from_data([[0.5f32, -0.5], [0.25, 1.0]], &device);
        let expected = values(positions.clone());
        assert_eq!(values(fourier_features(positions.clone(), 0)), expected);
        let raw = EncodingConfig::Raw.init(&mut StdRng::seed_from_u64(0), &device);
        assert_eq!(values(raw.forward(positions)), expected);
    }

    /// Each encoding's width is what its forward pass gives, for the toy's
    /// positions (P = 1) and a pixel's (P = 2), and each one's config is
    /// the one it was built from.
    #[test]
    fn every_encoding_gives_the_features_it_counts() {
        let device = Device::flex();
        let layout = GridLayout::for_side(32);
        let cases = [
            (EncodingConfig::Raw, 2, 2),
            (EncodingConfig::Raw, 1, 1),
            (EncodingConfig::Fourier { octaves: 4 }, 2, 18),
            (EncodingConfig::Fourier { octaves: 2 }, 1, 5),
            (EncodingConfig::Grid(layout), 2, 3 * 4),
        ];
        for (config, width, features) in cases {
            assert_eq!(config.features(width), features, "{config:?}");
            let encoding = config.init(&mut StdRng::seed_from_u64(1), &device);
            assert_eq!(encoding.config(), config);
            assert_eq!(encoding.config().kind(), config.kind());
            let positions = Tensor::<2>::zeros([5, width], &device).add_scalar(0.25);
            assert_eq!(
                encoding.forward(positions).dims(),
                [5, features],
                "{config:?}"
            );
        }
        assert_eq!(EncodingConfig::Grid(layout).grid(), Some(layout));
        assert_eq!(EncodingConfig::Fourier { octaves: 4 }.grid(), None);
        assert_eq!(
            EncodingConfig::Fourier { octaves: 4 }.kind(),
            Encoding::Fourier
        );
    }
}
