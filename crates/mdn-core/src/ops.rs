//! Where the backend is chosen: the operations the model is built from,
//! each with a body per backend, picked here and nowhere else.
//!
//! - [`mlp`]: a stack of dense layers act(x W + b), the trunk and the
//!   head's layer;
//! - [`head_log_prob`]: the mixture head's log-density from its raw outputs;
//! - [`head_readout`]: the same with each sample's mode and mean, for a
//!   repaint;
//! - [`grid_encode`]: a learned multiresolution grid's features of points;
//! - [`adam_step`]: Adam's update of one parameter, which training takes
//!   after every batch;
//! - [`minibatch_rows`]: the rows of the training data that make a batch.
//!
//! On burn's flex CPU backend (the `flex` feature) each runs as one fused
//! pass forward and one backward (`crate::fused`), where burn's composed tensor operations
//! take dozens of passes over memory. On every other backend (wgpu) the
//! composed operations run as they are, which a GPU runs as fast kernels,
//! except the grid, which has its own two kernels there (`crate::cube`):
//! the backward pass of burn's `select` walks the batch serially.
//! Both bodies give the same values and gradients to f32 rounding (tested
//! below). The model and the mixture maths call these functions and never
//! ask which backend they run on.

#[cfg(feature = "flex")]
use burn::backend::Dispatch;
use burn::nn::Linear;
#[cfg(any(feature = "flex", feature = "wgpu"))]
use burn::optim::AdaptiveMomentumState;
use burn::optim::{Adam, AdamConfig, AdamState, LearningRate, Optimizer};
#[cfg(feature = "flex")]
use burn::tensor::{DType, Device};
use burn::tensor::{Int, Tensor, TensorData};

#[cfg(any(feature = "flex", feature = "wgpu"))]
use crate::adam::AdamStep;
#[cfg(feature = "wgpu")]
use crate::cube::CubeOps;
#[cfg(feature = "flex")]
use crate::fused::{FusedOps, MAX_DIM};
use crate::mixture::Mixture;
use crate::spec::{Activation, GRID_HASH_PRIME, GridLayout, HeadLayout};

/// The last output of a stack of burn `Linear` layers, each followed by
/// its activation (y_l = act_l(y_{l−1} W_l + b_l), y_0 = x), for inputs x
/// `[batch, fan_in]` of the first: `[batch, fan_out]` of the last (x itself
/// for no layer). On flex the whole stack is one pass forward and one
/// backward; the fused tanh is within 1.4e-7 of the exact value.
pub fn mlp(layers: &[(&Linear, Activation)], x: Tensor<2>) -> Tensor<2> {
    #[cfg(feature = "flex")]
    if on_flex(&x) && !layers.is_empty() && layers.iter().all(|(layer, _)| layer.bias.is_some()) {
        return fused_mlp(layers, x);
    }
    layers
        .iter()
        .fold(x, |h, &(layer, activation)| dense(layer, h, activation))
}

/// act(x W + b), `[batch, fan_out]`, of one layer off flex.
fn dense(layer: &Linear, x: Tensor<2>, activation: Activation) -> Tensor<2> {
    #[cfg(feature = "wgpu")]
    if on_cube(&x) && layer.bias.is_some() {
        return cube_dense(layer, x, activation);
    }
    composed_dense(layer, x, activation)
}

/// log p(y_i | x_i), `[batch]` in nats, of the mixtures that a head laid out
/// as `layout` reads from its raw outputs `raw` (`[batch,
/// layout.outputs()]`), at `targets` (`[batch, D]`): what
/// [`Mixture::from_raw`] then [`Mixture::log_prob`] compute. No gradient
/// reaches the targets.
pub fn head_log_prob(raw: Tensor<2>, targets: Tensor<2>, layout: &HeadLayout) -> Tensor<1> {
    #[cfg(feature = "flex")]
    if on_flex(&raw) && layout.dim <= MAX_DIM {
        return fused_head_log_prob(raw, targets, layout);
    }
    #[cfg(feature = "wgpu")]
    if on_cube(&raw) && on_cube(&targets) {
        return cube_head_log_prob(raw, targets, layout);
    }
    composed_head_log_prob(raw, targets, layout)
}

/// The mean over the batch of `values` `[batch]`: `[1]`. On a cubecl
/// device a sum by workgroup trees (`crate::cube`), where burn's reduction
/// gives one invocation the whole batch.
pub fn batch_mean(values: Tensor<1>) -> Tensor<1> {
    #[cfg(feature = "wgpu")]
    if on_cube(&values) {
        let batch = values.dims()[0];
        return cube_batch_sum(values.reshape([batch, 1]))
            .reshape([1])
            .div_scalar(batch as f32);
    }
    values.mean()
}

/// The rows `rows` of the training data `values` (`[n, width]`), in that
/// order: a minibatch, `[rows.len(), width]`. Data, not parameters: on flex
/// no gradient reaches `values`.
///
/// # Panics
/// If a row is negative or not below n.
pub fn minibatch_rows(values: Tensor<2>, rows: &[i32]) -> Tensor<2> {
    #[cfg(feature = "flex")]
    if on_flex(&values) {
        let rows = rows
            .iter()
            .map(|&row| usize::try_from(row).expect("minibatch_rows: a negative row"))
            .collect();
        return Tensor::from_dispatch(<Dispatch as FusedOps>::fused_gather_rows(
            values.into_dispatch(),
            rows,
        ));
    }
    let device = values.device();
    let index = Tensor::<1, Int>::from_data(TensorData::new(rows.to_vec(), [rows.len()]), &device);
    values.select(0, index)
}

/// What a repaint reads from a head's raw outputs `raw` (`[batch,
/// layout.outputs()]`) at `targets` (`[batch, D]`): each sample's
/// log-density and its mode and mean predictions, as [`Mixture::log_prob`],
/// [`Mixture::mode`] and [`Mixture::mean`] give them. Values only, no
/// gradient.
pub fn head_readout(raw: Tensor<2>, targets: Tensor<2>, layout: &HeadLayout) -> Readout {
    #[cfg(feature = "flex")]
    if on_flex(&raw) && layout.dim <= MAX_DIM {
        return fused_head_readout(raw, targets, layout);
    }
    #[cfg(feature = "wgpu")]
    if on_cube(&raw) && on_cube(&targets) {
        return cube_head_readout(raw, targets, layout);
    }
    composed_head_readout(raw, targets, layout)
}

/// See [`head_readout`].
#[derive(Clone, Debug)]
pub struct Readout {
    /// log p(y_i | x_i), `[batch]` in nats.
    pub log_prob: Tensor<1>,
    /// The mean of the component with the largest π_k, `[batch, D]`.
    pub mode: Tensor<2>,
    /// The mixture's expectation Σ_k π_k μ_k, `[batch, D]`.
    pub mean: Tensor<2>,
}

impl Readout {
    /// The readout from the kernels' packing, `[batch, 1 + 2D]`: log p,
    /// then the mode, then the mean.
    #[cfg(any(feature = "flex", feature = "wgpu"))]
    fn unpack(packed: Tensor<2>) -> Self {
        let [batch, width] = packed.dims();
        let dim = (width - 1) / 2;
        Self {
            log_prob: packed.clone().narrow(1, 0, 1).reshape([batch]),
            mode: packed.clone().narrow(1, 1, dim),
            mean: packed.narrow(1, 1 + dim, dim),
        }
    }
}

/// The features `[batch, L · F]` of points `coords` (`[batch, 2]`, x and y
/// in [−1, 1]) in a grid laid out as `layout` with its table `[rows, F]`:
/// level by level, the bilinear interpolation of the four surrounding
/// nodes (Müller et al. 2022, §3). The gradient reaches the table only.
pub fn grid_encode(coords: Tensor<2>, table: Tensor<2>, layout: &GridLayout) -> Tensor<2> {
    #[cfg(feature = "flex")]
    if on_flex(&table) {
        return fused_grid(coords, table, layout);
    }
    #[cfg(feature = "wgpu")]
    if on_cube(&table) && on_cube(&coords) {
        return cube_grid(coords, table, layout);
    }
    composed_grid(coords, table, layout)
}

/// Whether `tensor` is f32 on a cubecl device (wgpu), with or without
/// autodiff, where the grid's kernels run.
#[cfg(feature = "wgpu")]
fn on_cube<const D: usize>(tensor: &Tensor<D>) -> bool {
    tensor.dtype() == burn::tensor::DType::F32
        && matches!(
            tensor.device().without_autodiff().as_dispatch(),
            burn::backend::DispatchDevice::Cube(_)
        )
}

/// The grid's two kernels on a cubecl device (`crate::cube`): one
/// invocation per (sample, level, feature) forward and backward.
#[cfg(feature = "wgpu")]
fn cube_grid(coords: Tensor<2>, table: Tensor<2>, layout: &GridLayout) -> Tensor<2> {
    Tensor::from_dispatch(<burn::backend::Dispatch as CubeOps>::grid_features(
        coords.into_dispatch(),
        table.into_dispatch(),
        *layout,
    ))
}

/// A dense layer on a cubecl device (`crate::cube`): burn's matrix
/// product and one kernel for the bias and the activation; backward, the
/// weight gradient split over the batch and the bias's by workgroup trees.
#[cfg(feature = "wgpu")]
fn cube_dense(layer: &Linear, x: Tensor<2>, activation: Activation) -> Tensor<2> {
    let Some(bias) = &layer.bias else {
        return composed_dense(layer, x, activation);
    };
    Tensor::from_dispatch(<burn::backend::Dispatch as CubeOps>::dense(
        x.into_dispatch(),
        layer.weight.val().into_dispatch(),
        bias.val().into_dispatch(),
        activation,
    ))
}

/// The head's log-density on a cubecl device (`crate::cube`): one kernel
/// forward, one backward.
#[cfg(feature = "wgpu")]
fn cube_head_log_prob(raw: Tensor<2>, targets: Tensor<2>, layout: &HeadLayout) -> Tensor<1> {
    Tensor::from_dispatch(<burn::backend::Dispatch as CubeOps>::head_log_prob(
        raw.into_dispatch(),
        targets.into_dispatch(),
        *layout,
    ))
}

/// Σ over the rows of `values` `[rows, columns]`: `[1, columns]`
/// (`crate::cube`).
#[cfg(feature = "wgpu")]
fn cube_batch_sum(values: Tensor<2>) -> Tensor<2> {
    Tensor::from_dispatch(<burn::backend::Dispatch as CubeOps>::batch_sum(
        values.into_dispatch(),
    ))
}

/// Adam's hyper-parameters (Kingma & Ba 2015, Algorithm 1); no weight
/// decay, no AMSGrad.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamSettings {
    /// The first moment's decay β1, in [0, 1).
    pub beta_1: f32,
    /// The second moment's decay β2, in [0, 1).
    pub beta_2: f32,
    /// ε (> 0), added to √v̂.
    pub epsilon: f32,
}

impl AdamSettings {
    /// burn's `Adam` with these settings: the composed body of
    /// [`adam_step`], and what reads and writes its state's records.
    pub fn adam(&self) -> Adam {
        AdamConfig::new()
            .with_beta_1(self.beta_1)
            .with_beta_2(self.beta_2)
            .with_epsilon(self.epsilon)
            .build()
    }
}

/// One Adam step of a parameter `param` (any shape, plain tensors) with
/// its gradient `grad` (the same shape) at learning rate `lr`, from its
/// state after the steps before (`None` before its first): the new
/// parameter and state. The state is burn's `AdamState` on every backend,
/// so that records are the same; on flex the step is one pass over the
/// values (`crate::fused::adam`), elsewhere burn's `Adam` (thirteen tensor
/// operations, which a GPU runs as fast kernels), to f32 rounding the same
/// values (tested below).
pub fn adam_step<const D: usize>(
    settings: &AdamSettings,
    lr: LearningRate,
    param: Tensor<D>,
    grad: Tensor<D>,
    state: Option<AdamState<D>>,
) -> (Tensor<D>, Option<AdamState<D>>) {
    #[cfg(feature = "flex")]
    if on_flex(&param)
        && on_flex(&grad)
        && state
            .as_ref()
            .is_none_or(|state| state.momentum.max_moment_2.is_none())
    {
        return fused_adam_step(settings, lr, param, grad, state);
    }
    #[cfg(feature = "wgpu")]
    if on_cube(&param)
        && on_cube(&grad)
        && state
            .as_ref()
            .is_none_or(|state| state.momentum.max_moment_2.is_none())
    {
        return cube_adam_step(settings, lr, param, grad, state);
    }
    settings.adam().step(lr, param, grad, state)
}

/// This step's number, constants and moments (zeros before a parameter's
/// first step), for the one-pass bodies of [`adam_step`].
#[cfg(any(feature = "flex", feature = "wgpu"))]
fn adam_inputs<const D: usize>(
    settings: &AdamSettings,
    lr: LearningRate,
    param: &Tensor<D>,
    state: Option<AdamState<D>>,
) -> (AdamStep, Tensor<D>, Tensor<D>) {
    let (time, moment_1, moment_2) = match state {
        Some(state) => (
            state.momentum.time + 1,
            state.momentum.moment_1,
            state.momentum.moment_2,
        ),
        None => (1, param.zeros_like(), param.zeros_like()),
    };
    let step = AdamStep {
        lr: lr as f32,
        beta_1: settings.beta_1,
        beta_2: settings.beta_2,
        epsilon: settings.epsilon,
        time,
    };
    (step, moment_1, moment_2)
}

/// The new parameter and burn's `AdamState` after step `time`.
#[cfg(any(feature = "flex", feature = "wgpu"))]
fn adam_outputs<const D: usize>(
    time: usize,
    param: Tensor<D>,
    moment_1: Tensor<D>,
    moment_2: Tensor<D>,
) -> (Tensor<D>, Option<AdamState<D>>) {
    let momentum = AdaptiveMomentumState::new(time, moment_1, moment_2);
    (param, Some(AdamState::new(momentum)))
}

#[cfg(feature = "flex")]
fn fused_adam_step<const D: usize>(
    settings: &AdamSettings,
    lr: LearningRate,
    param: Tensor<D>,
    grad: Tensor<D>,
    state: Option<AdamState<D>>,
) -> (Tensor<D>, Option<AdamState<D>>) {
    let (step, moment_1, moment_2) = adam_inputs(settings, lr, &param, state);
    let (param, moment_1, moment_2) = <Dispatch as FusedOps>::fused_adam(
        param.into_dispatch(),
        grad.into_dispatch(),
        moment_1.into_dispatch(),
        moment_2.into_dispatch(),
        step,
    );
    adam_outputs(
        step.time,
        Tensor::from_dispatch(param),
        Tensor::from_dispatch(moment_1),
        Tensor::from_dispatch(moment_2),
    )
}

/// Adam's step on a cubecl device (`crate::cube`): one kernel writes the
/// new parameter and moments, `[3, n]`, read back as three views.
#[cfg(feature = "wgpu")]
fn cube_adam_step<const D: usize>(
    settings: &AdamSettings,
    lr: LearningRate,
    param: Tensor<D>,
    grad: Tensor<D>,
    state: Option<AdamState<D>>,
) -> (Tensor<D>, Option<AdamState<D>>) {
    let (step, moment_1, moment_2) = adam_inputs(settings, lr, &param, state);
    let shape = param.shape();
    let packed: Tensor<2> = Tensor::from_dispatch(<burn::backend::Dispatch as CubeOps>::adam(
        param.into_dispatch(),
        grad.into_dispatch(),
        moment_1.into_dispatch(),
        moment_2.into_dispatch(),
        step,
    ));
    let row = |i: usize| packed.clone().slice(i..i + 1).reshape(shape.clone());
    adam_outputs(step.time, row(0), row(1), row(2))
}

/// Whether `tensor` is f32 on the flex device (with or without autodiff),
/// where the fused kernels run.
#[cfg(feature = "flex")]
fn on_flex<const D: usize>(tensor: &Tensor<D>) -> bool {
    tensor.dtype() == DType::F32 && tensor.device().without_autodiff() == Device::flex()
}

/// The stack as one fused operation: its parameters packed into one
/// tensor (each W flattened, then its b), whose gradient burn's `cat`
/// hands back to every layer's parameters.
#[cfg(feature = "flex")]
fn fused_mlp(layers: &[(&Linear, Activation)], x: Tensor<2>) -> Tensor<2> {
    let mut params = Vec::with_capacity(2 * layers.len());
    let mut stack = Vec::with_capacity(layers.len());
    for &(layer, activation) in layers {
        let [fan_in, fan_out] = layer.weight.dims();
        params.push(layer.weight.val().reshape([fan_in * fan_out]));
        params.extend(layer.bias.as_ref().map(|bias| bias.val()));
        stack.push(crate::fused::mlp::Layer {
            fan_in,
            fan_out,
            activation,
        });
    }
    Tensor::from_dispatch(<Dispatch as FusedOps>::fused_mlp(
        x.into_dispatch(),
        Tensor::cat(params, 0).into_dispatch(),
        stack,
    ))
}

fn composed_dense(layer: &Linear, x: Tensor<2>, activation: Activation) -> Tensor<2> {
    let z = layer.forward(x);
    match activation {
        Activation::Identity => z,
        Activation::Tanh => z.tanh(),
    }
}

#[cfg(feature = "flex")]
fn fused_head_log_prob(raw: Tensor<2>, targets: Tensor<2>, layout: &HeadLayout) -> Tensor<1> {
    Tensor::from_dispatch(<Dispatch as FusedOps>::fused_head_log_prob(
        raw.into_dispatch(),
        targets.into_dispatch(),
        *layout,
    ))
}

fn composed_head_log_prob(raw: Tensor<2>, targets: Tensor<2>, layout: &HeadLayout) -> Tensor<1> {
    Mixture::from_raw(raw, layout).log_prob(targets)
}

fn composed_head_readout(raw: Tensor<2>, targets: Tensor<2>, layout: &HeadLayout) -> Readout {
    let mixture = Mixture::from_raw(raw.detach(), layout);
    Readout {
        log_prob: mixture.log_prob(targets),
        mode: mixture.mode(),
        mean: mixture.mean(),
    }
}

#[cfg(feature = "flex")]
fn fused_head_readout(raw: Tensor<2>, targets: Tensor<2>, layout: &HeadLayout) -> Readout {
    Readout::unpack(Tensor::from_dispatch(
        <Dispatch as FusedOps>::fused_head_readout(
            raw.into_dispatch(),
            targets.into_dispatch(),
            *layout,
        ),
    ))
}

/// The readout on a cubecl device (`crate::cube`): one kernel.
#[cfg(feature = "wgpu")]
fn cube_head_readout(raw: Tensor<2>, targets: Tensor<2>, layout: &HeadLayout) -> Readout {
    Readout::unpack(Tensor::from_dispatch(
        <burn::backend::Dispatch as CubeOps>::head_readout(
            raw.into_dispatch(),
            targets.into_dispatch(),
            *layout,
        ),
    ))
}

#[cfg(feature = "flex")]
fn fused_grid(coords: Tensor<2>, table: Tensor<2>, layout: &GridLayout) -> Tensor<2> {
    Tensor::from_dispatch(<Dispatch as FusedOps>::fused_grid(
        coords.into_dispatch(),
        table.into_dispatch(),
        *layout,
    ))
}

/// The grid from burn's tensor operations: corner rows from the
/// coordinates, `select` of those rows from the table (whose backward adds
/// the gradients back row by row, without float atomics, so it runs on
/// WebGPU too) and the bilinear weights.
fn composed_grid(coords: Tensor<2>, table: Tensor<2>, layout: &GridLayout) -> Tensor<2> {
    let batch = coords.dims()[0];
    let x = coords.clone().narrow(1, 0, 1);
    let y = coords.narrow(1, 1, 1);
    let levels = (0..layout.levels)
        .map(|l| {
            let level = layout.level(l);
            let last = (level.side - 1) as f32;
            let scaled = |c: Tensor<2>| c.add_scalar(1.0).mul_scalar(0.5 * last).clamp(0.0, last);
            let (u, v) = (scaled(x.clone()), scaled(y.clone()));
            // The cell's lower corner, one short of the last node.
            let i = u.clone().floor().clamp_max(last - 1.0);
            let j = v.clone().floor().clamp_max(last - 1.0);
            let (fx, fy) = (u - i.clone(), v - j.clone());
            let (i, j) = (i.int(), j.int());
            let row = |di: i32, dj: i32| -> Tensor<1, Int> {
                let (i, j) = (i.clone().add_scalar(di), j.clone().add_scalar(dj));
                let local = if level.hashed {
                    i.bitwise_xor(j.mul_scalar(GRID_HASH_PRIME))
                        .bitwise_and_scalar(level.table as i64 - 1)
                } else {
                    j.mul_scalar(level.side as i64) + i
                };
                local.add_scalar(level.offset as i64).reshape([batch])
            };
            let corner = |di, dj, w: Tensor<2>| table.clone().select(0, row(di, dj)) * w;
            let (gx, gy) = (
                fx.clone().neg().add_scalar(1.0),
                fy.clone().neg().add_scalar(1.0),
            );
            corner(0, 0, gx.clone() * gy.clone())
                + corner(1, 0, fx.clone() * gy)
                + corner(0, 1, gx * fy.clone())
                + corner(1, 1, fx * fy)
        })
        .collect();
    Tensor::cat(levels, 1)
}

/// The fused bodies against the composed ones, on flex (where both run).
#[cfg(all(test, feature = "flex"))]
mod tests {
    use burn::module::Param;
    use burn::tensor::TensorData;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};

    use super::*;
    use crate::spec::{Covariance, SIGMA_MIN};

    fn values_of<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
        tensor.into_data().try_to_vec::<f32>().expect("f32 values")
    }

    /// Every element of `fused` within `tolerance` of `composed`, relative
    /// to `1 + |composed|` for that element.
    fn assert_close(fused: &[f32], composed: &[f32], tolerance: f32, what: &str) {
        assert_eq!(fused.len(), composed.len(), "{what}: length");

        for (i, (&f, &c)) in fused.iter().zip(composed).enumerate() {
            assert!(
                (f - c).abs() <= tolerance * (1.0 + c.abs()),
                "{what}[{i}]: fused {f}, composed {c}"
            );
        }
    }

    /// As `assert_close`, relative to `1 +` the largest `|composed|` of all:
    /// for sums whose rounding follows the size of the whole array rather
    /// than of one element that cancels to near zero.
    fn assert_close_in_scale(fused: &[f32], composed: &[f32], tolerance: f32, what: &str) {
        let largest = composed.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert_eq!(fused.len(), composed.len(), "{what}: length");

        for (i, (&f, &c)) in fused.iter().zip(composed).enumerate() {
            assert!(
                (f - c).abs() <= tolerance * (1.0 + largest),
                "{what}[{i}]: fused {f}, composed {c} (largest {largest})"
            );
        }
    }

    /// The fused stack against burn's composed layers (`Linear::forward`,
    /// flex's tanh): values, and the gradients of the input and of every
    /// weight and bias, for both activations and a batch that reaches
    /// tanh's saturation.
    #[test]
    fn fused_stack_matches_the_composed_layers() {
        check_stack(&Device::flex().autodiff(), 300);
    }

    /// As on flex, on a cubecl device (lavapipe here), where the stack is
    /// one dense kernel per layer, against burn's composed layers there:
    /// 300 rows split into blocks of 60 for the weight gradient and summed
    /// in two rounds for the bias's, and 1000 (blocks of 50), 40 (no split)
    /// and 67 (prime: the product whole).
    #[cfg(feature = "wgpu")]
    #[test]
    fn cube_dense_layer_matches_the_composed_layer() {
        let device = Device::wgpu(burn::tensor::DeviceKind::DefaultDevice).autodiff();
        for batch in [300, 1000, 40, 67] {
            check_stack(&device, batch);
        }
    }

    /// A layer `fan_in` → `fan_out` with burn's initialiser as in
    /// `LinearConfig::init` (U(±1/√fan_in)), drawn from `rng` so that
    /// every run checks the same layer.
    fn seeded_layer(rng: &mut StdRng, fan_in: usize, fan_out: usize, device: &Device) -> Linear {
        let k = (1.0 / fan_in as f32).sqrt();
        let mut values =
            |n: usize| -> Vec<f32> { (0..n).map(|_| rng.random_range(-k..k)).collect() };
        let weight = TensorData::new(values(fan_in * fan_out), [fan_in, fan_out]);
        let bias = TensorData::new(values(fan_out), [fan_out]);
        Linear {
            weight: Param::from_tensor(Tensor::from_data(weight, device)),
            bias: Some(Param::from_tensor(Tensor::from_data(bias, device))),
        }
    }

    /// [`mlp`] on `device` against burn's composed layers there, for a
    /// stack 6 → 9 (each activation in turn) → 4 (identity) and a batch of
    /// `batch` rows: values, and the gradients of the input and of both
    /// layers' weights and biases.
    fn check_stack(device: &Device, batch: usize) {
        let (fan_in, hidden, fan_out) = (6, 9, 4);
        let mut rng = StdRng::seed_from_u64(7);
        let first = seeded_layer(&mut rng, fan_in, hidden, device);
        let second = seeded_layer(&mut rng, hidden, fan_out, device);
        let mut values = |n: usize, scale: f32| -> Vec<f32> {
            (0..n).map(|_| rng.random_range(-scale..scale)).collect()
        };
        let x = values(batch * fan_in, 12.0);
        let c = values(batch * fan_out, 1.0);
        let c = Tensor::<2>::from_data(TensorData::new(c, [batch, fan_out]), device);
        let run = |fused: bool, activation| {
            let x = Tensor::<2>::from_data(TensorData::new(x.clone(), [batch, fan_in]), device)
                .require_grad();
            let layers = [(&first, activation), (&second, Activation::Identity)];
            let y = if fused {
                mlp(&layers, x.clone())
            } else {
                layers.iter().fold(x.clone(), |h, &(layer, activation)| {
                    composed_dense(layer, h, activation)
                })
            };
            let grads = (y.clone() * c.clone()).sum().backward();
            let mut got = vec![
                values_of(y),
                values_of(x.grad(&grads).expect("x takes part in the graph")),
            ];
            for layer in [&first, &second] {
                let bias = layer.bias.as_ref().expect("layers have a bias").val();
                got.push(values_of(
                    layer.weight.val().grad(&grads).expect("weight takes part"),
                ));
                got.push(values_of(
                    bias.grad(&grads).expect("bias takes part in the graph"),
                ));
            }
            got
        };
        for activation in [Activation::Identity, Activation::Tanh] {
            let fused = run(true, activation);
            let composed = run(false, activation);
            for (j, (fused, composed)) in fused.iter().zip(&composed).enumerate() {
                let what = [
                    "y",
                    "grad x",
                    "grad weight 1",
                    "grad bias 1",
                    "grad weight 2",
                    "grad bias 2",
                ][j];
                let what = format!("{activation:?} batch {batch} {what}");
                // The weights' and the biases' gradients are sums over the
                // batch, added in another order by the fused blocks than by
                // burn's matmul: their rounding follows the size of the
                // gradient, not of one element that cancels to near zero
                // (a CI run saw 2.4e-5 on an element of 0.19 at 1000 rows,
                // 1.3e-4 relative).
                if j < 2 {
                    assert_close(fused, composed, 2e-5, &what);
                } else {
                    assert_close_in_scale(fused, composed, 2e-5, &what);
                }
            }
        }
    }

    /// A head of 5 components laid out for `covariance` over D = `dim`,
    /// with `batch` rows of raw outputs on `device` (logits and means in
    /// ±3, raw scales from −12 to 1 with the last one above the cap) and
    /// targets in ±1.5.
    fn head_case(
        rng: &mut StdRng,
        covariance: Covariance,
        dim: usize,
        batch: usize,
        device: &Device,
    ) -> (HeadLayout, Tensor<2>, Tensor<2>) {
        let layout = HeadLayout {
            components: 5,
            dim,
            covariance,
            sigma_min: SIGMA_MIN,
        };
        let outputs = layout.outputs();
        let scale_start = layout.scale_offset();
        let values: Vec<f32> = (0..batch * outputs)
            .map(|j| match j % outputs {
                j if j < scale_start => rng.random_range(-3.0..3.0),
                // One raw scale above the cap, some far below zero.
                j if j == outputs - 1 => 85.0,
                _ => rng.random_range(-12.0..1.0),
            })
            .collect();
        let targets: Vec<f32> = (0..batch * dim)
            .map(|_| rng.random_range(-1.5..1.5))
            .collect();
        (
            layout,
            Tensor::from_data(TensorData::new(values, [batch, outputs]), device),
            Tensor::from_data(TensorData::new(targets, [batch, dim]), device),
        )
    }

    #[test]
    fn fused_head_log_prob_matches_the_composed_operations() {
        check_head_log_prob(&Device::flex().autodiff(), fused_head_log_prob);
    }

    /// As on flex, on a cubecl device (lavapipe here): the head's two
    /// kernels against burn's composed operations there.
    #[cfg(feature = "wgpu")]
    #[test]
    fn cube_head_log_prob_matches_the_composed_operations() {
        let device = Device::wgpu(burn::tensor::DeviceKind::DefaultDevice).autodiff();
        check_head_log_prob(&device, cube_head_log_prob);
    }

    /// The mean by workgroup trees against burn's, with its gradient, for
    /// batches of one, of one workgroup less one, and of three rounds.
    #[cfg(feature = "wgpu")]
    #[test]
    fn cube_batch_mean_matches_burns_mean() {
        let device = Device::wgpu(burn::tensor::DeviceKind::DefaultDevice).autodiff();
        let mut rng = StdRng::seed_from_u64(5);
        for batch in [1, 255, 70_000] {
            let values: Vec<f32> = (0..batch).map(|_| rng.random_range(-2.0..3.0)).collect();
            let exact = values.iter().map(|&v| f64::from(v)).sum::<f64>() / batch as f64;
            let run = |body: fn(Tensor<1>) -> Tensor<1>| {
                let x = Tensor::<1>::from_data(TensorData::new(values.clone(), [batch]), &device)
                    .require_grad();
                let mean = body(x.clone());
                let grads = (mean.clone() * 3.0).sum().backward();
                (
                    values_of(mean),
                    values_of(x.grad(&grads).expect("x takes part")),
                )
            };
            let (mean, grad) = run(batch_mean);
            let (burns, burns_grad) = run(|x| x.mean());
            assert!(
                (f64::from(mean[0]) - exact).abs() < 1e-5,
                "batch {batch}: {mean:?}, exact {exact}"
            );
            assert_close(&mean, &burns, 1e-5, &format!("batch {batch}: mean"));
            assert_close(
                &grad,
                &burns_grad,
                1e-6,
                &format!("batch {batch}: gradient"),
            );
        }
    }

    /// `body` against the composed tensor operations on `device`:
    /// log-densities and the gradients of the raw outputs, for every kind
    /// and D = 1..4, with scales near σ_min and above the cap, and
    /// components far enough from the target to fall below the log-sum-exp
    /// floor.
    fn check_head_log_prob(
        device: &Device,
        body: fn(Tensor<2>, Tensor<2>, &HeadLayout) -> Tensor<1>,
    ) {
        let mut rng = StdRng::seed_from_u64(7);
        for covariance in Covariance::ALL {
            for dim in 1..=4 {
                let batch = 6;
                let (layout, raw, targets) = head_case(&mut rng, covariance, dim, batch, device);
                let raw = raw.require_grad();
                // Weights per sample, so that a per-row mistake shows.
                let weights = Tensor::<1>::from_data(
                    TensorData::new((1..=batch).map(|i| i as f32).collect(), [batch]),
                    device,
                );
                let run = |body: fn(Tensor<2>, Tensor<2>, &HeadLayout) -> Tensor<1>| {
                    let log_prob = body(raw.clone(), targets.clone(), &layout);
                    let grads = (log_prob.clone() * weights.clone()).sum().backward();
                    let grad = raw.grad(&grads).expect("raw takes part in the graph");
                    (values_of(log_prob), values_of(grad))
                };
                let what = format!("{covariance:?} D={dim}");
                let (fused, fused_grad) = run(body);
                let (composed, composed_grad) = run(composed_head_log_prob);
                assert_close(&fused, &composed, 1e-5, &format!("{what}: log p"));
                assert_close(
                    &fused_grad,
                    &composed_grad,
                    1e-4,
                    &format!("{what}: gradient"),
                );
            }
        }
    }

    /// The fused readout against the composed one, for every kind and D =
    /// 1..4, with and without autodiff, scales as in [`head_case`]:
    /// log-densities, modes and means (the mode's component is the largest
    /// logit, ties impossible here).
    #[test]
    fn fused_head_readout_matches_the_composed_operations() {
        check_head_readout(
            &[Device::flex(), Device::flex().autodiff()],
            fused_head_readout,
        );
    }

    /// As on flex, on a cubecl device (lavapipe here).
    #[cfg(feature = "wgpu")]
    #[test]
    fn cube_head_readout_matches_the_composed_operations() {
        let device = Device::wgpu(burn::tensor::DeviceKind::DefaultDevice);
        check_head_readout(&[device.clone(), device.autodiff()], cube_head_readout);
    }

    /// `body` against the composed readout on each of `devices`.
    fn check_head_readout(
        devices: &[Device],
        body: fn(Tensor<2>, Tensor<2>, &HeadLayout) -> Readout,
    ) {
        let mut rng = StdRng::seed_from_u64(11);
        for device in devices {
            for covariance in Covariance::ALL {
                for dim in 1..=4 {
                    let (layout, raw, targets) = head_case(&mut rng, covariance, dim, 40, device);
                    let what = format!("{covariance:?} D={dim} on {device:?}");
                    let fused = body(raw.clone(), targets.clone(), &layout);
                    let composed = composed_head_readout(raw, targets, &layout);
                    assert_close(
                        &values_of(fused.log_prob),
                        &values_of(composed.log_prob),
                        1e-5,
                        &format!("{what}: log p"),
                    );
                    assert_eq!(
                        values_of(fused.mode),
                        values_of(composed.mode),
                        "{what}: mode"
                    );
                    assert_close(
                        &values_of(fused.mean),
                        &values_of(composed.mean),
                        1e-5,
                        &format!("{what}: mean"),
                    );
                }
            }
        }
    }

    /// The fused gather of a minibatch's rows against burn's `select`, on
    /// the widths of the workloads' inputs and targets and a wider one.
    #[test]
    fn minibatch_rows_match_select() {
        let device = Device::flex().autodiff();
        let rows = [4, 0, 2, 2, 9];
        for width in [1, 2, 3, 7] {
            let values: Vec<f32> = (0..10 * width).map(|i| i as f32 * 0.5).collect();
            let data = Tensor::<2>::from_data(TensorData::new(values, [10, width]), &device);
            let index = Tensor::<1, Int>::from_data(TensorData::new(rows.to_vec(), [5]), &device);
            let want = values_of(data.clone().select(0, index));
            let got = minibatch_rows(data, &rows);
            assert_eq!(got.dims(), [5, width]);
            assert_eq!(values_of(got), want, "width {width}");
        }
    }

    /// The fused grid against the composed one: features, and the table's
    /// gradient, on a grid with a hashed level.
    #[test]
    fn fused_grid_matches_the_composed_grid() {
        let device = Device::flex().autodiff();
        let layout = GridLayout {
            levels: 3,
            base: 4,
            top: 20,
            features: 3,
            hash_above: 128,
            table: 128,
        };
        assert!(layout.hashed(2));
        let mut rng = StdRng::seed_from_u64(3);
        let rows = layout.total_entries();
        let table: Vec<f32> = (0..rows * 3).map(|_| rng.random_range(-1.0..1.0)).collect();
        let batch = 200;
        let coords: Vec<f32> = (0..batch * 2)
            .map(|i| {
                if i < 8 {
                    [-1.0, 1.0][i % 2]
                } else {
                    rng.random_range(-1.0..1.0)
                }
            })
            .collect();
        let c: Vec<f32> = (0..batch * layout.outputs())
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        let c = Tensor::<2>::from_data(TensorData::new(c, [batch, layout.outputs()]), &device);
        let run = |body: fn(Tensor<2>, Tensor<2>, &GridLayout) -> Tensor<2>| {
            let table = Tensor::<2>::from_data(TensorData::new(table.clone(), [rows, 3]), &device)
                .require_grad();
            let coords =
                Tensor::<2>::from_data(TensorData::new(coords.clone(), [batch, 2]), &device);
            let features = body(coords, table.clone(), &layout);
            let grads = (features.clone() * c.clone()).sum().backward();
            let grad = table
                .grad(&grads)
                .expect("the table takes part in the graph");
            (values_of(features), values_of(grad))
        };
        let (fused, fused_grad) = run(fused_grid);
        let (composed, composed_grad) = run(composed_grid);
        assert_close(&fused, &composed, 1e-5, "grid features");
        assert_close(&fused_grad, &composed_grad, 1e-4, "grid table gradient");
    }

    /// The fused Adam step against burn's `Adam` over six steps of a
    /// matrix and of a vector: the parameters, both moments and the step
    /// count, with gradients that include zeros and values far apart in
    /// size.
    #[test]
    fn fused_adam_step_matches_burns_adam() {
        let mut rng = StdRng::seed_from_u64(23);
        check_adam([7, 13], &mut rng, &Device::flex(), fused_adam_step);
        check_adam([61], &mut rng, &Device::flex(), fused_adam_step);
    }

    /// As on flex, on a cubecl device (lavapipe here).
    #[cfg(feature = "wgpu")]
    #[test]
    fn cube_adam_step_matches_burns_adam() {
        let device = Device::wgpu(burn::tensor::DeviceKind::DefaultDevice);
        let mut rng = StdRng::seed_from_u64(23);
        check_adam([7, 13], &mut rng, &device, cube_adam_step);
        check_adam([61], &mut rng, &device, cube_adam_step);
    }

    /// One Adam step's body, as [`adam_step`] takes it.
    type AdamBody<const D: usize> = fn(
        &AdamSettings,
        LearningRate,
        Tensor<D>,
        Tensor<D>,
        Option<AdamState<D>>,
    ) -> (Tensor<D>, Option<AdamState<D>>);

    /// Six steps of `body` against burn's `Adam` on `device`, from the same
    /// start and gradients (some zero, some tiny): parameters and both
    /// moments after every step.
    fn check_adam<const D: usize>(
        shape: [usize; D],
        rng: &mut StdRng,
        device: &Device,
        body: AdamBody<D>,
    ) {
        let settings = AdamSettings {
            beta_1: 0.9,
            beta_2: 0.99,
            epsilon: 1e-8,
        };
        let n = shape.iter().product::<usize>();
        let mut random = |scale: f32| -> Tensor<D> {
            let values = (0..n)
                .map(|i| match i % 5 {
                    0 => 0.0,
                    1 => rng.random_range(-scale..scale) * 1e-4,
                    _ => rng.random_range(-scale..scale),
                })
                .collect::<Vec<f32>>();
            Tensor::from_data(TensorData::new(values, shape), device)
        };
        let start = random(1.0);
        let (mut fused, mut fused_state) = (start.clone(), None);
        let (mut composed, mut composed_state) = (start, None);
        for step in 1..=6 {
            let grad = random(3.0);
            let lr = 1e-2 / step as f64;
            (fused, fused_state) = body(&settings, lr, fused, grad.clone(), fused_state);
            (composed, composed_state) = settings.adam().step(lr, composed, grad, composed_state);
            let (Some(f), Some(c)) = (&fused_state, &composed_state) else {
                panic!("Adam keeps a state after every step");
            };
            assert_eq!(f.momentum.time, step);
            assert_eq!(c.momentum.time, step);
            let what = format!("rank {D}, step {step}");
            let (f_m, c_m) = (&f.momentum, &c.momentum);
            for (fused, composed, name) in [
                (&f_m.moment_1, &c_m.moment_1, "moment_1"),
                (&f_m.moment_2, &c_m.moment_2, "moment_2"),
                (&fused, &composed, "parameter"),
            ] {
                assert_eq!(fused.dims(), composed.dims());
                let (fused, composed) = (values_of(fused.clone()), values_of(composed.clone()));
                assert_close(&fused, &composed, 1e-6, &format!("{what}: {name}"));
            }
        }
    }
}
