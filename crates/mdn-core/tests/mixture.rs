//! The mixture maths against an independent f64 implementation (nalgebra's
//! Cholesky factorisation of Σ = L Lᵀ and its triangular solves), burn's
//! gradients against central finite differences, and sampling statistics.

mod common;

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use mdn_core::inference::read_f32;
use mdn_core::mixture::Mixture;
use mdn_core::spec::{Covariance, lower_entries, lower_index};
use nalgebra::{DMatrix, DVector};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Random mixture parameters and targets, row-major, in f64 (the reference
/// works on these; burn gets them rounded to f32).
#[derive(Clone)]
struct Case {
    batch: usize,
    k: usize,
    d: usize,
    covariance: Covariance,
    logits: Vec<f64>,
    mu: Vec<f64>,
    log_sigma: Vec<f64>,
    lower: Vec<f64>,
    y: Vec<f64>,
}

impl Case {
    fn random(seed: u64, batch: usize, k: usize, d: usize, covariance: Covariance) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut uniform = |n: usize, lo: f64, hi: f64| -> Vec<f64> {
            (0..n)
                .map(|_| f64::from(rng.random_range(lo as f32..hi as f32)))
                .collect()
        };
        let m = if covariance == Covariance::Full {
            lower_entries(d)
        } else {
            0
        };
        Self {
            batch,
            k,
            d,
            covariance,
            logits: uniform(batch * k, -3.0, 3.0),
            mu: uniform(batch * k * d, -2.0, 2.0),
            log_sigma: uniform(batch * k * scales(covariance, d), -1.0, 0.7),
            lower: uniform(batch * k * m, -0.8, 0.8),
            y: uniform(batch * d, -3.0, 3.0),
        }
    }

    fn s(&self) -> usize {
        scales(self.covariance, self.d)
    }

    fn m(&self) -> usize {
        self.lower.len() / (self.batch * self.k)
    }

    /// Σ_ik = L Lᵀ, built from the parameters as the model defines them.
    fn sigma(&self, i: usize, k: usize) -> DMatrix<f64> {
        let (d, s, m) = (self.d, self.s(), self.m());
        let l = DMatrix::from_fn(d, d, |r, c| {
            if r == c {
                self.log_sigma[(i * self.k + k) * s + r.min(s - 1)].exp()
            } else if c < r && m > 0 {
                self.lower[(i * self.k + k) * m + lower_index(r, c)]
            } else {
                0.0
            }
        });
        &l * l.transpose()
    }

    /// log N(y_i; μ_ik, Σ_ik) from a fresh Cholesky factorisation of Σ.
    fn log_normal(&self, i: usize, k: usize) -> f64 {
        let d = self.d;
        let cholesky = self
            .sigma(i, k)
            .cholesky()
            .expect("Σ = L Lᵀ is positive definite");
        let r = DVector::from_fn(d, |j, _| {
            self.y[i * d + j] - self.mu[(i * self.k + k) * d + j]
        });
        let mahalanobis = r.dot(&cholesky.solve(&r));
        let log_det: f64 = cholesky.l().diagonal().iter().map(|v| 2.0 * v.ln()).sum();
        -0.5 * (mahalanobis + log_det + d as f64 * (2.0 * std::f64::consts::PI).ln())
    }

    /// log Σ_k π_k N(y_i; μ_ik, Σ_ik), the density summed directly.
    fn log_prob(&self, i: usize) -> f64 {
        let logits = &self.logits[i * self.k..][..self.k];
        let norm: f64 = logits.iter().map(|l| l.exp()).sum();
        (0..self.k)
            .map(|k| logits[k].exp() / norm * self.log_normal(i, k).exp())
            .sum::<f64>()
            .ln()
    }

    fn nll(&self) -> f64 {
        -(0..self.batch).map(|i| self.log_prob(i)).sum::<f64>() / self.batch as f64
    }

    /// The burn tensors: logits `[B, K]`, μ, log σ, lower, targets.
    fn tensors(&self, device: &Device) -> Tensors {
        let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<_>>();
        let t3 = |v: &[f64], last: usize| {
            Tensor::<3>::from_data(TensorData::new(f32s(v), [self.batch, self.k, last]), device)
        };
        Tensors {
            logits: Tensor::from_data(
                TensorData::new(f32s(&self.logits), [self.batch, self.k]),
                device,
            ),
            mu: t3(&self.mu, self.d),
            log_sigma: t3(&self.log_sigma, self.s()),
            lower: (self.m() > 0).then(|| t3(&self.lower, self.m())),
            y: Tensor::from_data(TensorData::new(f32s(&self.y), [self.batch, self.d]), device),
        }
    }
}

fn scales(covariance: Covariance, d: usize) -> usize {
    match covariance {
        Covariance::Isotropic => 1,
        Covariance::Diagonal | Covariance::Full => d,
    }
}

struct Tensors {
    logits: Tensor<2>,
    mu: Tensor<3>,
    log_sigma: Tensor<3>,
    lower: Option<Tensor<3>>,
    y: Tensor<2>,
}

impl Tensors {
    fn mixture(&self) -> Mixture {
        Mixture {
            log_pi: log_softmax(self.logits.clone(), 1),
            mu: self.mu.clone(),
            log_sigma: self.log_sigma.clone(),
            lower: self.lower.clone(),
        }
    }
}

fn read<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    pollster::block_on(read_f32(vec![tensor])).unwrap().concat()
}

fn assert_close(actual: f64, expected: f64, relative: f64, what: &str) {
    let tolerance = relative * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} vs reference {expected}"
    );
}

#[test]
fn log_prob_and_nll_match_an_independent_f64_implementation() {
    for (name, device) in common::devices() {
        for covariance in Covariance::ALL {
            for d in 1..=4 {
                let case = Case::random(10 * d as u64, 16, 5, d, covariance);
                let tensors = case.tensors(&device);
                let mixture = tensors.mixture();
                let what = format!("{name} {covariance:?} D={d}");
                let log_prob = read(mixture.log_prob(tensors.y.clone()));
                for (i, actual) in log_prob.iter().enumerate() {
                    assert_close(f64::from(*actual), case.log_prob(i), 1e-4, &what);
                }
                let nll = read(mixture.nll(tensors.y.clone()))[0];
                assert_close(f64::from(nll), case.nll(), 1e-4, &format!("{what} nll"));
                let components = read(mixture.component_log_prob(tensors.y.clone()));
                for i in 0..case.batch {
                    for k in 0..case.k {
                        let actual = f64::from(components[i * case.k + k]);
                        assert_close(actual, case.log_normal(i, k), 1e-4, &what);
                    }
                }
            }
        }
    }
}

#[test]
fn scale_tril_is_the_cholesky_factor_of_sigma() {
    let device = Device::flex();
    for covariance in Covariance::ALL {
        let case = Case::random(3, 4, 3, 3, covariance);
        let l = read(case.tensors(&device).mixture().scale_tril());
        for i in 0..case.batch {
            for k in 0..case.k {
                let expected = case.sigma(i, k).cholesky().unwrap().l();
                for r in 0..3 {
                    for c in 0..3 {
                        let actual = f64::from(l[((i * case.k + k) * 3 + r) * 3 + c]);
                        assert_close(
                            actual,
                            expected[(r, c)],
                            1e-5,
                            &format!("{covariance:?} L[{r},{c}]"),
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn nll_gradients_match_central_finite_differences() {
    for (name, plain) in common::devices() {
        let device = plain.clone().autodiff();
        for (covariance, d) in [
            (Covariance::Isotropic, 2),
            (Covariance::Diagonal, 2),
            (Covariance::Full, 3),
        ] {
            let case = Case::random(42, 3, 2, d, covariance);
            let t = case.tensors(&device);
            let t = Tensors {
                logits: t.logits.require_grad(),
                mu: t.mu.require_grad(),
                log_sigma: t.log_sigma.require_grad(),
                lower: t.lower.map(|l| l.require_grad()),
                y: t.y,
            };
            let grads = t.mixture().nll(t.y.clone()).backward();
            let mut analytic = vec![
                ("logits", read(t.logits.grad(&grads).unwrap())),
                ("mu", read(t.mu.grad(&grads).unwrap())),
                ("log_sigma", read(t.log_sigma.grad(&grads).unwrap())),
            ];
            if let Some(lower) = &t.lower {
                analytic.push(("lower", read(lower.grad(&grads).unwrap())));
            }
            for (field, gradient) in analytic {
                for (j, actual) in gradient.iter().enumerate() {
                    let h = 1e-5;
                    let nudged = |delta: f64| {
                        let mut c = case.clone();
                        let values = match field {
                            "logits" => &mut c.logits,
                            "mu" => &mut c.mu,
                            "log_sigma" => &mut c.log_sigma,
                            _ => &mut c.lower,
                        };
                        values[j] += delta;
                        c.nll()
                    };
                    let expected = (nudged(h) - nudged(-h)) / (2.0 * h);
                    assert!(
                        (f64::from(*actual) - expected).abs() <= 1e-3 + 1e-3 * expected.abs(),
                        "{name} {covariance:?} d nll / d {field}[{j}]: {actual} vs {expected}"
                    );
                }
            }
        }
    }
}

/// Per component: a 2-vector (mean) or a 2 × 2 matrix (covariance).
type Pair = [[f64; 2]; 2];

/// A fixed 2-component mixture in D = 2 with full covariance, repeated for
/// every row: π = (0.3, 0.7), means about 8 standard deviations apart.
fn two_components(rows: usize, device: &Device) -> (Mixture, Pair, [Pair; 2]) {
    let pi = [0.3f32, 0.7];
    let mu = [[-3.0f32, 2.0], [5.0, -3.0]];
    // L = [[σ0, 0], [l, σ1]].
    let sigma = [[0.5f32, 0.4], [1.0, 0.5]];
    let lower = [0.3f32, -0.6];
    let repeat = |v: Vec<f32>, shape: [usize; 3]| {
        let n = v.len();
        let data: Vec<f32> = v.iter().cycle().take(rows * n).copied().collect();
        Tensor::<3>::from_data(TensorData::new(data, shape), device)
    };
    let log_pi = repeat(pi.iter().map(|p| p.ln()).collect(), [rows, 2, 1]).reshape([rows, 2]);
    let mixture = Mixture {
        log_pi,
        mu: repeat(mu.concat(), [rows, 2, 2]),
        log_sigma: repeat(
            sigma.concat().iter().map(|s| s.ln()).collect(),
            [rows, 2, 2],
        ),
        lower: Some(repeat(lower.to_vec(), [rows, 2, 1])),
    };
    let covariance = |k: usize| {
        let (a, l, b) = (
            f64::from(sigma[k][0]),
            f64::from(lower[k]),
            f64::from(sigma[k][1]),
        );
        [[a * a, a * l], [a * l, l * l + b * b]]
    };
    let means = [mu[0].map(f64::from), mu[1].map(f64::from)];
    (mixture, means, [covariance(0), covariance(1)])
}

/// Splits 2-D samples by the nearer mean (the components are many σ
/// apart) and returns each side's share, mean and covariance.
fn split(samples: &[f32], means: &[[f64; 2]; 2]) -> Vec<(f64, [f64; 2], [[f64; 2]; 2])> {
    let points: Vec<[f64; 2]> = samples
        .chunks(2)
        .map(|p| [f64::from(p[0]), f64::from(p[1])])
        .collect();
    let distance = |p: &[f64; 2], m: &[f64; 2]| (p[0] - m[0]).powi(2) + (p[1] - m[1]).powi(2);
    (0..2)
        .map(|k| {
            let mine: Vec<&[f64; 2]> = points
                .iter()
                .filter(|p| distance(p, &means[k]) < distance(p, &means[1 - k]))
                .collect();
            let n = mine.len() as f64;
            let mean = [0, 1].map(|d| mine.iter().map(|p| p[d]).sum::<f64>() / n.max(1.0));
            let cov = [0, 1].map(|a| {
                [0, 1].map(|b| {
                    mine.iter()
                        .map(|p| (p[a] - mean[a]) * (p[b] - mean[b]))
                        .sum::<f64>()
                        / (n - 1.0).max(1.0)
                })
            });
            (n / points.len() as f64, mean, cov)
        })
        .collect()
}

#[test]
fn sampling_reproduces_weights_means_and_covariances() {
    const N: usize = 20_000;
    for (name, device) in common::devices() {
        let (mixture, means, covariances) = two_components(N, &device);
        let mut rng = StdRng::seed_from_u64(9);

        // τ = 1: the model. Tolerances are about 5 standard errors at N = 20 000.
        let parts = split(&read(mixture.sample(1.0, 1.0, &mut rng)), &means);
        for (k, (share, mean, cov)) in parts.iter().enumerate() {
            let pi = [0.3, 0.7][k];
            assert!((share - pi).abs() < 0.017, "{name}: π_{k} {share} vs {pi}");
            for a in 0..2 {
                assert!(
                    (mean[a] - means[k][a]).abs() < 0.05,
                    "{name}: μ_{k} {mean:?} vs {:?}",
                    means[k]
                );
                for b in 0..2 {
                    let expected = covariances[k][a][b];
                    assert!(
                        (cov[a][b] - expected).abs() < 0.03 + 0.06 * expected.abs(),
                        "{name}: Σ_{k} {cov:?} vs {:?}",
                        covariances[k]
                    );
                }
            }
        }

        // τ_σ = 0.5 halves every covariance.
        let parts = split(&read(mixture.sample(1.0, 0.5, &mut rng)), &means);
        for (k, (_, _, cov)) in parts.iter().enumerate() {
            for a in 0..2 {
                for b in 0..2 {
                    let expected = 0.5 * covariances[k][a][b];
                    assert!(
                        (cov[a][b] - expected).abs() < 0.02 + 0.06 * expected.abs(),
                        "{name}: τ_σ = 0.5: Σ_{k} {cov:?} vs half of {:?}",
                        covariances[k]
                    );
                }
            }
        }

        // τ_π → 0 picks the heaviest component for every draw (τ_σ small so
        // that no draw lands in the tail nearer the other mean); with τ_σ = 0
        // too, every draw is the mode.
        let parts = split(&read(mixture.sample(1e-3, 0.01, &mut rng)), &means);
        assert_eq!(
            parts[1].0, 1.0,
            "{name}: τ_π = 1e-3 drew from the lighter component"
        );
        let cold = read(mixture.sample(0.0, 0.0, &mut rng));
        assert_eq!(cold, read(mixture.mode()), "{name}: τ = 0 is not the mode");

        // The mixture's expectation: Σ π_k μ_k.
        let mean = read(mixture.mean().narrow(0, 0, 1));
        for d in 0..2 {
            let expected = 0.3 * means[0][d] + 0.7 * means[1][d];
            assert!(
                (f64::from(mean[d]) - expected).abs() < 1e-5,
                "{name}: mean {mean:?}"
            );
        }
    }
}

#[test]
fn mode_is_the_mean_of_the_heaviest_component() {
    let device = Device::flex();
    let case = Case::random(7, 9, 4, 3, Covariance::Diagonal);
    let mode = read(case.tensors(&device).mixture().mode());
    for i in 0..case.batch {
        let logits = &case.logits[i * case.k..][..case.k];
        let best = (0..case.k).fold(0, |b, k| if logits[k] > logits[b] { k } else { b });
        for d in 0..3 {
            assert_eq!(
                f64::from(mode[i * 3 + d]),
                case.mu[(i * case.k + best) * 3 + d]
            );
        }
    }
}

#[test]
fn extreme_logits_and_far_targets_give_finite_nll_and_gradients() {
    for (name, plain) in common::devices() {
        let device = plain.clone().autodiff();
        for covariance in Covariance::ALL {
            let mut case = Case::random(11, 8, 4, 3, covariance);
            for (j, logit) in case.logits.iter_mut().enumerate() {
                *logit = if j % 2 == 0 { 1e4 } else { -1e4 };
            }
            // Every target 1000 units from every mean, scales at the floor.
            case.mu.iter_mut().for_each(|m| *m = 0.0);
            case.y.iter_mut().for_each(|y| *y = 1e3);
            case.log_sigma.iter_mut().for_each(|s| *s = 1e-4f64.ln());
            let t = case.tensors(&device);
            let (logits, mu, log_sigma) = (
                t.logits.clone().require_grad(),
                t.mu.clone().require_grad(),
                t.log_sigma.clone().require_grad(),
            );
            let mixture = Mixture {
                log_pi: log_softmax(logits.clone(), 1),
                mu: mu.clone(),
                log_sigma: log_sigma.clone(),
                lower: t.lower.clone(),
            };
            let nll = mixture.nll(t.y.clone());
            let grads = nll.backward();
            let what = format!("{name} {covariance:?}");
            assert!(
                read(nll).iter().all(|v| v.is_finite()),
                "{what}: NLL not finite"
            );
            for gradient in [
                read(logits.grad(&grads).unwrap()),
                read(mu.grad(&grads).unwrap()),
                read(log_sigma.grad(&grads).unwrap()),
            ] {
                assert!(
                    gradient.iter().all(|v| v.is_finite()),
                    "{what}: gradient not finite"
                );
            }
        }
    }
}

#[test]
fn heads_have_the_workloads_output_counts_and_stay_finite_on_huge_features() {
    use mdn_core::head::MixtureHeadConfig;
    for (covariance, outputs) in [
        (Covariance::Isotropic, 8 + 24 + 8),
        (Covariance::Diagonal, 8 + 24 + 24),
        (Covariance::Full, 8 + 24 + 48),
    ] {
        let config = MixtureHeadConfig {
            features: 16,
            components: 8,
            dim: 3,
            covariance,
            sigma_min: 1e-4,
        };
        assert_eq!(config.outputs(), outputs, "{covariance:?}");

        let device = Device::flex().autodiff();
        let head = config.init(&device);
        let mut rng = StdRng::seed_from_u64(1);
        let features: Vec<f32> = (0..4 * 16)
            .map(|_| rng.random_range(-1e4f32..1e4))
            .collect();
        let features =
            Tensor::<2>::from_data(TensorData::new(features, [4, 16]), &device).require_grad();
        let mixture = head.forward(features.clone());
        assert_eq!(mixture.covariance(), covariance);
        assert_eq!(mixture.mu.dims(), [4, 8, 3]);
        let y = Tensor::<2>::from_data(TensorData::new(vec![0.5f32; 12], [4, 3]), &device);
        let nll = mixture.nll(y);
        let grads = nll.backward();
        assert!(
            read(nll).iter().all(|v| v.is_finite()),
            "{covariance:?}: NLL"
        );
        let gradient = read(features.grad(&grads).unwrap());
        assert!(
            gradient.iter().all(|v| v.is_finite()),
            "{covariance:?}: gradient"
        );
    }
}
