//! The mixture log-likelihood against an independent f64 computation.

mod common;

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use mdn_core::inference::read_f32;
use mdn_core::mixture::{Covariance, Mixture};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

struct Case {
    batch: usize,
    k: usize,
    d: usize,
    s: usize,
    logits: Vec<f32>,
    mu: Vec<f32>,
    log_sigma: Vec<f32>,
    y: Vec<f32>,
}

fn random_case(seed: u64, batch: usize, k: usize, d: usize, covariance: Covariance) -> Case {
    let mut rng = StdRng::seed_from_u64(seed);
    let s = covariance.scale_outputs(d);
    let mut uniform = |n: usize, lo: f32, hi: f32| -> Vec<f32> {
        (0..n).map(|_| rng.random_range(lo..hi)).collect()
    };
    Case {
        batch,
        k,
        d,
        s,
        logits: uniform(batch * k, -3.0, 3.0),
        mu: uniform(batch * k * d, -2.0, 2.0),
        log_sigma: uniform(batch * k * s, -1.5, 1.0),
        y: uniform(batch * d, -3.0, 3.0),
    }
}

/// log Σ_k π_k Π_d N(y_d; μ_kd, σ_kd²), straight from the definition, in f64.
fn reference_log_prob(c: &Case) -> Vec<f64> {
    (0..c.batch)
        .map(|i| {
            let logits: Vec<f64> = (0..c.k).map(|k| f64::from(c.logits[i * c.k + k])).collect();
            let norm: f64 = logits.iter().map(|l| l.exp()).sum();
            let density: f64 = (0..c.k)
                .map(|k| {
                    let pi = logits[k].exp() / norm;
                    let gauss: f64 = (0..c.d)
                        .map(|d| {
                            let sigma =
                                f64::from(c.log_sigma[(i * c.k + k) * c.s + d.min(c.s - 1)]).exp();
                            let z = (f64::from(c.y[i * c.d + d])
                                - f64::from(c.mu[(i * c.k + k) * c.d + d]))
                                / sigma;
                            (-0.5 * z * z).exp() / (sigma * (2.0 * std::f64::consts::PI).sqrt())
                        })
                        .product();
                    pi * gauss
                })
                .sum();
            density.ln()
        })
        .collect()
}

fn mixture(c: &Case, device: &Device) -> (Mixture, Tensor<2>) {
    let t3 = |v: &Vec<f32>, last: usize| {
        Tensor::<3>::from_data(TensorData::new(v.clone(), [c.batch, c.k, last]), device)
    };
    let logits = Tensor::<2>::from_data(TensorData::new(c.logits.clone(), [c.batch, c.k]), device);
    let mixture = Mixture {
        log_pi: log_softmax(logits, 1),
        mu: t3(&c.mu, c.d),
        log_sigma: t3(&c.log_sigma, c.s),
    };
    let y = Tensor::<2>::from_data(TensorData::new(c.y.clone(), [c.batch, c.d]), device);
    (mixture, y)
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    let tolerance = 1e-4 * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} vs reference {expected}"
    );
}

#[test]
fn log_prob_and_nll_match_the_definition() {
    for (name, device) in common::devices() {
        for covariance in Covariance::ALL {
            for (seed, d) in [(1, 1), (2, 2), (3, 3)] {
                let case = random_case(seed, 16, 5, d, covariance);
                let expected = reference_log_prob(&case);
                let (mixture, y) = mixture(&case, &device);
                let log_prob = mixture.log_prob(y.clone());
                let nll = mixture.nll(y);
                let read = pollster::block_on(read_f32(vec![log_prob]))
                    .unwrap()
                    .concat();
                let nll = pollster::block_on(read_f32(vec![nll])).unwrap().concat()[0];
                let what = format!("{name} {covariance:?} D={d}");
                for (a, e) in read.iter().zip(&expected) {
                    assert_close(f64::from(*a), *e, &what);
                }
                let expected_nll = -expected.iter().sum::<f64>() / expected.len() as f64;
                assert_close(f64::from(nll), expected_nll, &format!("{what} nll"));
            }
        }
    }
}

#[test]
fn mode_is_the_mean_of_the_heaviest_component() {
    let device = Device::flex();
    let case = random_case(7, 9, 4, 3, Covariance::Diagonal);
    let (mixture, _) = mixture(&case, &device);
    let mode = pollster::block_on(read_f32(vec![mixture.mode()]))
        .unwrap()
        .concat();
    for i in 0..case.batch {
        let logits = &case.logits[i * case.k..][..case.k];
        let best = (0..case.k).fold(0, |b, k| if logits[k] > logits[b] { k } else { b });
        assert_eq!(
            &mode[i * 3..][..3],
            &case.mu[(i * case.k + best) * 3..][..3]
        );
    }
}
