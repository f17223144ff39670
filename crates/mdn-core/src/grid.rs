//! The learned multiresolution grid (Müller et al. 2022, "Instant Neural
//! Graphics Primitives with a Multiresolution Hash Encoding", §3) as a burn
//! module: one trainable table holding every level's nodes (laid out as
//! [`GridLayout`] says), read by [`ops::grid_encode`].

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use rand_distr::{Distribution, Normal};

use crate::ops;
use crate::spec::GridLayout;

/// Standard deviation of the initial node features (W5: N(0, 0.01²)).
pub const GRID_INIT_STD: f32 = 0.01;

/// A learned multiresolution grid: points (x, y) in [−1, 1]² to
/// `layout.outputs()` features.
#[derive(Module, Debug)]
pub struct GridEncoding {
    /// Every level's node features, `[layout.total_entries(), F]`.
    table: Param<Tensor<2>>,
    #[module(skip)]
    layout: GridLayout,
}

impl GridEncoding {
    /// A grid laid out as `layout` on `device`, its features drawn from
    /// N(0, [`GRID_INIT_STD`]²) with `rng`.
    pub fn init(layout: GridLayout, rng: &mut impl Rng, device: &Device) -> Self {
        let normal = Normal::new(0.0, GRID_INIT_STD).unwrap_or_else(|_| {
            unreachable!("a positive standard deviation is a valid normal distribution")
        });
        let rows = layout.total_entries();
        let values: Vec<f32> = (0..rows * layout.features)
            .map(|_| normal.sample(rng))
            .collect();
        let table = Tensor::from_data(TensorData::new(values, [rows, layout.features]), device);
        Self {
            table: Param::from_tensor(table),
            layout,
        }
    }

    /// The features `[batch, L · F]` of points `coords` `[batch, 2]`.
    pub fn forward(&self, coords: Tensor<2>) -> Tensor<2> {
        ops::grid_encode(coords, self.table.val(), &self.layout)
    }

    /// The grid's levels and sizes.
    pub fn layout(&self) -> GridLayout {
        self.layout
    }
}
