//! The toy's panels and data: the density over the plot, the components,
//! the conditional mode and the probe; the data sets' generators; a reader's
//! own points in their own units.

mod common;

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use mdn_core::data::{
    MAX_TOY_POINTS, Scaling, TOY_POINTS, TOY_Y_MAX, ToyData, ToyDataError, ToySet,
};
use mdn_core::inference::read_f32;
use mdn_core::toy::{
    Bounds, DENSITY_ROWS, GRID_POINTS, Mixture1d, ToyConfig, ToyRun, ToySnapshot, conditional_mode,
};
use mdn_core::training::{Demo, Guarded};

fn snapshot(run: &mut ToyRun) -> Guarded<ToySnapshot> {
    let frame = pollster::block_on(run.snapshot(1.0, 1.0)).unwrap();
    run.settle(frame)
}

fn read<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    pollster::block_on(read_f32(vec![tensor])).unwrap().concat()
}

/// log N(y; μ, σ²) of a one-dimensional mixture, in f64 on the host.
fn log_density(pi: &[f32], mu: &[f32], sigma: &[f32], y: f64) -> f64 {
    let terms: Vec<f64> = (0..pi.len())
        .map(|k| {
            let (m, s) = (f64::from(mu[k]), f64::from(sigma[k]));
            let z = (y - m) / s;
            f64::from(pi[k]).ln() - s.ln() - 0.5 * z * z - 0.5 * (2.0 * std::f64::consts::PI).ln()
        })
        .collect();
    let top = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    top + terms.iter().map(|t| (t - top).exp()).sum::<f64>().ln()
}

#[test]
fn the_density_integrates_to_one_along_y_and_agrees_with_the_device_s_log_prob() {
    for (name, device) in common::devices() {
        let mut run = ToyRun::new(ToyConfig::demo(3), &device);
        run.train(if name == "cpu" { 300 } else { 30 });
        let xs: Vec<f32> = (0..9).map(|i| -12.0 + 3.0 * i as f32).collect();
        let inputs = Tensor::from_data(TensorData::new(xs.clone(), [xs.len(), 1]), &device);
        let mixture = run.mdn().valid().forward(inputs.clone());
        let pi = read(mixture.log_pi.clone().exp());
        let mu = read(mixture.mu.clone());
        let sigma = read(mixture.log_sigma.clone().exp());
        let k = 24;
        for (i, x) in xs.iter().enumerate() {
            let m = Mixture1d {
                pi: &pi[i * k..][..k],
                mu: &mu[i * k..][..k],
                sigma: &sigma[i * k..][..k],
            };
            // A y range that covers every component's ±6σ, fine enough for
            // the narrowest one.
            let lo = (0..k)
                .map(|c| m.mu[c] - 6.0 * m.sigma[c])
                .fold(f32::INFINITY, f32::min);
            let hi = (0..k)
                .map(|c| m.mu[c] + 6.0 * m.sigma[c])
                .fold(f32::NEG_INFINITY, f32::max);
            let step = m.sigma.iter().copied().fold(f32::INFINITY, f32::min) / 8.0;
            let rows = ((hi - lo) / step).ceil() as usize + 1;
            let step = (hi - lo) / (rows - 1) as f32;
            let density: Vec<f64> = (0..rows)
                .map(|h| f64::from(m.log_density(lo + step * h as f32)).exp())
                .collect();
            let trapezoid: f64 = density
                .windows(2)
                .map(|w| 0.5 * (w[0] + w[1]) * f64::from(step))
                .sum();
            assert!(
                (trapezoid - 1.0).abs() < 0.01,
                "{name}: ∫ p(y | x = {x}) dy = {trapezoid}"
            );
            // The weighted components sum to the density.
            let y = 0.5 * (lo + hi);
            let sum: f32 = (0..k).map(|c| m.weighted(c, y)).sum();
            assert!((sum.ln() - m.log_density(y)).abs() < 1e-4);
        }
        // The host's log p equals the device's Mixture::log_prob.
        let ys: Vec<f32> = (0..xs.len()).map(|i| -8.0 + 2.0 * i as f32).collect();
        let targets = Tensor::from_data(TensorData::new(ys.clone(), [ys.len(), 1]), &device);
        let device_log_prob = read(mixture.log_prob(targets));
        for (i, y) in ys.iter().enumerate() {
            let m = Mixture1d {
                pi: &pi[i * k..][..k],
                mu: &mu[i * k..][..k],
                sigma: &sigma[i * k..][..k],
            };
            let host = m.log_density(*y);
            assert!(
                (host - device_log_prob[i]).abs() < 1e-3 * (1.0 + host.abs()),
                "{name}: log p({y} | {}) host {host}, device {}",
                xs[i],
                device_log_prob[i]
            );
        }
    }
}

#[test]
fn a_snapshot_s_density_components_and_probe_agree_in_the_reader_s_units() {
    // Bishop's toy trains in coordinates scaled by about 16: every value
    // the snapshot gives must be back in the reader's.
    let config = ToyConfig {
        set: ToySet::Bishop,
        components: 5,
        hidden: 16,
        ..ToyConfig::demo(4)
    };
    let mut run = ToyRun::new(config, &Device::flex());
    run.train(400);
    let probe_at = GRID_POINTS / 3;
    let x0 = snapshot(&mut run).grid_x[probe_at];
    run.set_probe(Some(x0));
    let s = snapshot(&mut run).value;
    let k = 5;
    let c = &s.components;
    assert_eq!(
        (c.pi.len(), c.mu.len(), c.sigma.len()),
        (GRID_POINTS * k, GRID_POINTS * k, GRID_POINTS * k)
    );
    assert_eq!(s.log_density.len(), GRID_POINTS * DENSITY_ROWS);
    assert_eq!(
        (s.grid_x.len(), s.grid_y.len()),
        (GRID_POINTS, DENSITY_ROWS)
    );
    for g in 0..GRID_POINTS {
        let row = g * k..(g + 1) * k;
        let sum: f32 = c.pi[row.clone()].iter().sum();
        assert!((sum - 1.0).abs() < 1e-5, "Σπ at grid x {g} is {sum}");
        assert!(c.sigma[row.clone()].iter().all(|&v| v > 0.0));
        if g % 25 == 0 {
            for h in (0..DENSITY_ROWS).step_by(10) {
                let expected = log_density(
                    &c.pi[row.clone()],
                    &c.mu[row.clone()],
                    &c.sigma[row.clone()],
                    f64::from(s.grid_y[h]),
                );
                let got = f64::from(s.log_density[g * DENSITY_ROWS + h]);
                assert!(
                    (got - expected).abs() < 1e-3 * (1.0 + expected.abs()),
                    "log p at ({}, {}): {got} against {expected} from the components",
                    s.grid_x[g],
                    s.grid_y[h]
                );
            }
        }
    }
    // Bishop's targets lie in [0, 1]: the MDN's means, in the reader's
    // units, near there too where the weight is.
    let heavy: Vec<f32> = (0..c.pi.len())
        .filter(|&i| c.pi[i] > 0.2)
        .map(|i| c.mu[i])
        .collect();
    assert!(!heavy.is_empty());
    assert!(
        heavy.iter().all(|m| (-0.3..1.3).contains(m)),
        "means of heavy components: {heavy:?}"
    );
    let probe = s.probe.expect("a probe was set");
    assert_eq!(probe.x, x0);
    assert_eq!(probe.components.len(), k * DENSITY_ROWS);
    for h in 0..DENSITY_ROWS {
        let expected = s.log_density[probe_at * DENSITY_ROWS + h].exp();
        let sum: f32 = (0..k).map(|j| probe.components[j * DENSITY_ROWS + h]).sum();
        assert!(
            (probe.density[h] - expected).abs() <= 1e-3 * expected.max(1e-3),
            "probe p(y_{h}) {} against the grid's {expected}",
            probe.density[h]
        );
        assert!((sum - probe.density[h]).abs() <= 1e-4 * sum.max(1e-3));
    }
    run.set_probe(None);
    assert!(snapshot(&mut run).probe.is_none());
}

#[test]
fn the_conditional_mode_climbs_to_the_nearest_peak_and_the_grid_start_finds_the_highest() {
    let (pi, mu, sigma) = ([0.3f32, 0.7], [-2.0f32, 3.0], [0.5f32, 0.8]);
    // Started anywhere on the right, the heavier peak; on the far left, the
    // lighter one.
    for start in [1.0, 2.5, 4.0, 6.0] {
        let mode = conditional_mode(&pi, &mu, &sigma, start);
        assert!((mode - 3.0).abs() < 0.05, "from {start}: {mode}");
    }
    let mode = conditional_mode(&pi, &mu, &sigma, -2.5);
    assert!((mode + 2.0).abs() < 0.05, "from -2.5: {mode}");
    // From the best of a coarse grid, as snapshots start it: the global mode.
    let best = (0..41)
        .map(|i| -10.0 + 0.5 * i as f32)
        .max_by(|a, b| {
            log_density(&pi, &mu, &sigma, f64::from(*a)).total_cmp(&log_density(
                &pi,
                &mu,
                &sigma,
                f64::from(*b),
            ))
        })
        .unwrap();
    let mode = conditional_mode(&pi, &mu, &sigma, best);
    assert!((mode - 3.0).abs() < 0.05, "{mode}");
}

#[test]
fn the_trained_toy_s_mode_lies_on_a_branch() {
    let mut run = ToyRun::new(ToyConfig::demo(7), &Device::flex());
    run.train(2000);
    let s = snapshot(&mut run).value;
    // Every branch of x = 7 sin(0.75 y) + 0.5 y is a y with residual 0; the
    // mode at each x inside the data should be within the noise of one.
    let inside: Vec<(f32, f32)> = s
        .grid_x
        .iter()
        .zip(&s.mode)
        .filter(|(x, _)| x.abs() < 9.0)
        .map(|(&x, &m)| (x, m))
        .collect();
    let off = inside
        .iter()
        .filter(|(x, m)| (7.0 * (0.75 * m).sin() + 0.5 * m - x).abs() > 2.0)
        .count();
    assert!(
        off * 10 <= inside.len(),
        "{off} of {} modes lie off every branch",
        inside.len()
    );
}

#[test]
fn each_data_set_matches_its_formula() {
    let forward = ToyData::generate(ToySet::Forward, TOY_POINTS, 5);
    assert_eq!(forward.len(), TOY_POINTS);
    assert!(
        forward
            .x
            .iter()
            .all(|x| (-TOY_Y_MAX..TOY_Y_MAX).contains(x))
    );
    let residual: Vec<f32> = forward
        .x
        .iter()
        .zip(&forward.y)
        .map(|(x, y)| y - 7.0 * (0.75 * x).sin() - 0.5 * x)
        .collect();
    let mean = residual.iter().sum::<f32>() / residual.len() as f32;
    let var = residual.iter().map(|r| (r - mean).powi(2)).sum::<f32>() / residual.len() as f32;
    assert!(mean.abs() < 0.1 && (var - 1.0).abs() < 0.15, "{mean} {var}");

    let bishop = ToyData::generate(ToySet::Bishop, TOY_POINTS, 5);
    assert!(bishop.y.iter().all(|x| (0.0..1.0).contains(x)));
    let noise: Vec<f32> = bishop
        .x
        .iter()
        .zip(&bishop.y)
        .map(|(t, x)| t - x - 0.3 * (std::f32::consts::TAU * x).sin())
        .collect();
    assert!(noise.iter().all(|n| n.abs() <= 0.1 + 1e-5));
    // Uniform noise: its variance is 0.2² / 12.
    let var = noise.iter().map(|n| n * n).sum::<f32>() / noise.len() as f32;
    assert!((var - 0.04 / 12.0).abs() < 0.0004, "noise variance {var}");

    // W1 trains as it is; the others are scaled onto W1's range.
    let inverse = ToyData::generate(ToySet::Inverse, TOY_POINTS, 5);
    assert_eq!(inverse, ToyData::sinusoid_inversion(TOY_POINTS, 5));
    assert_eq!(inverse.scaling, Scaling::IDENTITY);
    for data in [&forward, &bishop] {
        for (values, axis) in [(&data.x, data.scaling.x), (&data.y, data.scaling.y)] {
            let scaled: Vec<f32> = values.iter().map(|&v| axis.apply(v)).collect();
            let lo = scaled.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = scaled.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            assert!((lo + TOY_Y_MAX).abs() < 1e-3 && (hi - TOY_Y_MAX).abs() < 1e-3);
            assert!((axis.invert(axis.apply(values[0])) - values[0]).abs() < 1e-4);
        }
    }
}

#[test]
fn a_reader_s_points_are_checked() {
    let line = |n: usize| -> (Vec<f32>, Vec<f32>) {
        let x: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let y = x.iter().map(|v| 2.0 * v).collect();
        (x, y)
    };
    let (x, y) = line(4);
    assert_eq!(ToyData::from_points(x, y), Err(ToyDataError::TooFew(4)));
    let (x, y) = line(MAX_TOY_POINTS + 1);
    assert_eq!(
        ToyData::from_points(x, y),
        Err(ToyDataError::TooMany(MAX_TOY_POINTS + 1))
    );
    let (x, mut y) = line(10);
    y[6] = f32::NAN;
    assert_eq!(ToyData::from_points(x, y), Err(ToyDataError::NotFinite(7)));
    assert_eq!(
        ToyData::from_points(vec![1.0; 6], vec![1.0; 5]),
        Err(ToyDataError::Mismatch(6, 5))
    );
    // All on one x: a zero range is centred, not divided by.
    let same = ToyData::from_points(vec![3.0; 6], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    assert!(same.scaling.x.apply(3.0).abs() < 1e-6);
}

#[test]
fn the_toy_learns_a_reader_s_points_in_their_own_units() {
    // Two branches, as someone might draw an X, in pixel-like units.
    let mut x = vec![];
    let mut y = vec![];
    for i in 0..300 {
        let u = 100.0 + i as f32 / 3.0;
        x.extend([u, u]);
        let wiggle = ((i * 37) % 11) as f32 - 5.0;
        y.extend([
            400.0 + 2.0 * (u - 100.0) + wiggle,
            600.0 - 2.0 * (u - 100.0) + wiggle,
        ]);
    }
    let data = ToyData::from_points(x, y).unwrap();
    let bounds = Bounds::around(&data);
    // Over seeds 0–39, the NLL fell by 3.8 to 15.9 in 3000 steps.
    for seed in common::floor_seeds(2) {
        learns_an_x(seed, data.clone(), bounds);
    }
}

fn learns_an_x(seed: u64, data: ToyData, bounds: Bounds) {
    let config = ToyConfig {
        components: 4,
        hidden: 16,
        ..ToyConfig::demo(seed)
    };
    let mut run = ToyRun::on_data(config, data, bounds, &Device::flex());
    run.train(1);
    let first = snapshot(&mut run).nll;
    run.train(3000);
    let s = snapshot(&mut run).value;
    common::above_floor(
        "a reader's X: the NLL's fall in 3000 steps",
        seed,
        first - s.nll,
        1.0,
    );
    if common::sweeping_floors() {
        // Where the samples fall is this test's own seed's, not a floor.
        return;
    }
    assert_eq!(s.components.pi.len(), GRID_POINTS * 4);
    // Where the branches are apart, the samples gather on both, in the
    // reader's units.
    let (upper, lower) = (400.0 + 2.0 * 80.0, 600.0 - 2.0 * 80.0);
    let g = s.grid_x.iter().position(|&u| u > 180.0).unwrap();
    let draws = &s.samples[g * 10..][..10];
    let near = |branch: f32| draws.iter().filter(|v| (*v - branch).abs() < 25.0).count();
    assert!(
        near(upper) >= 2 && near(lower) >= 2 && near(upper) + near(lower) >= 8,
        "draws at x = {}: {draws:?} (branches at {upper} and {lower})",
        s.grid_x[g]
    );
}
