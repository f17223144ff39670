//! The guard against divergence: a [`Checkpoint`] of the model, its loss
//! and parameters read back with what the caller shows ([`read_checked`],
//! a [`Frame`]), and the trainer's verdict on it ([`Trainer::settle`]):
//! the new last good model, or back to the last good one with the learning
//! rate lowered ([`Recovery`]).

use super::*;

impl<M: Objective> Trainer<M> {
    /// The current model, to be judged once its loss and parameters are
    /// read back (see [`read_checked`] and [`Trainer::settle`]). Cheap: the
    /// model's tensors are shared, not copied.
    pub fn checkpoint(&self) -> Checkpoint<M> {
        Checkpoint {
            model: self.model.clone(),
            step: self.steps,
            generation: self.generation,
            guard: self.config.guard,
            fallback: self.last_good.model.clone(),
            yardstick: self.yardstick.clone(),
        }
    }

    /// Applies a frame's verdict and returns what the frame shows, guarded:
    /// a healthy checkpoint becomes the last good model; a diverged one
    /// (non-finite loss or parameter, or a loss [`DIVERGENCE_NATS`] above
    /// the lowest the guard has accepted) makes the trainer go back to the
    /// last good model with a fresh Adam state and the learning rate
    /// lowered by [`LR_BACKOFF`], and the result says so. (Judged against
    /// the last good frame instead, a rate too large for the model could
    /// raise the loss by a little less than the margin at every frame,
    /// unseen, until the network sat saturated on a flat loss: the
    /// article's figure 9 did so in 2 of 6 seeds.)
    ///
    /// A verdict on a checkpoint taken before an earlier recovery is
    /// ignored: its model is no longer the one being trained.
    pub fn settle<T>(&mut self, frame: Frame<T, M>) -> Guarded<T> {
        let recovery = self.apply(frame.verdict);
        Guarded {
            value: frame.value,
            learning_rate: self.learning_rate,
            recovery,
        }
    }

    fn apply(&mut self, verdict: Verdict<M>) -> Option<Recovery> {
        let Verdict {
            checkpoint,
            loss,
            healthy,
            yardstick,
        } = verdict;
        if !self.judges(&checkpoint) {
            return None;
        }
        if healthy {
            if checkpoint.step >= self.last_good.step {
                self.last_good = Good {
                    model: checkpoint.model,
                    step: checkpoint.step,
                };
            }
            let best = match self.yardstick {
                Yardstick::Best(best) => Some(best),
                Yardstick::FirstStep(_) => yardstick,
            };
            self.yardstick = Yardstick::Best(best.map_or(loss, |best| best.min(loss)));
            return None;
        }
        self.optim = adam(&self.config, &self.device, &self.copying);
        self.learning_rate *= LR_BACKOFF;
        Some(self.go_back(DIVERGED, checkpoint.step))
    }

    /// Whether a verdict on `checkpoint` applies: unguarded runs keep no
    /// last good model, and a checkpoint taken before a recovery judges a
    /// model no longer trained.
    fn judges(&self, checkpoint: &Checkpoint<M>) -> bool {
        checkpoint.guard && checkpoint.generation == self.generation
    }

    /// Goes back to the last good model from the checkpoint of `step`, with
    /// the learning rate and Adam state the caller has set, and says so.
    fn go_back(&mut self, cause: &'static str, step: usize) -> Recovery {
        self.model = self.last_good.model.clone();
        self.generation += 1;
        Recovery {
            cause,
            step,
            restored_step: self.last_good.step,
            learning_rate: self.learning_rate,
        }
    }

    /// Turns down a frame the guard found healthy but a demo will not show
    /// (`cause` says why, for [`Recovery`]'s sentence): the trainer goes
    /// back to the last good model, keeping Adam's state (the model did
    /// not blow up, so its moments are sound), and multiplies the learning
    /// rate by `factor`, never below the decay's floor
    /// ([`TrainConfig::lr_min`]), so training goes on at a calmer rate and
    /// never stalls. The value to show is then the last good model's, which
    /// the caller holds.
    ///
    /// # Errors
    /// Gives the frame back, doing nothing, for an unguarded run or a frame
    /// taken before an earlier recovery (whose verdicts
    /// [`Trainer::settle`] ignores too).
    pub fn turn_down<T>(
        &mut self,
        frame: Frame<T, M>,
        factor: f64,
        cause: &'static str,
    ) -> Result<Recovery, Frame<T, M>> {
        if !self.judges(&frame.verdict.checkpoint) {
            return Err(frame);
        }
        self.learning_rate = (self.learning_rate * factor).max(self.config.lr_min);
        Ok(self.go_back(cause, frame.verdict.checkpoint.step))
    }
}

/// [`Recovery::cause`] of a diverged model.
pub const DIVERGED: &str = "training diverged";

/// A model taken from a [`Trainer`], with the last model the guard accepted
/// before it (its fallback).
#[derive(Clone)]
pub struct Checkpoint<M> {
    model: M,
    step: usize,
    generation: usize,
    /// Whether the model is judged at all (see [`TrainConfig::guard`]).
    guard: bool,
    fallback: M,
    yardstick: Yardstick,
}

impl<M: Module> Checkpoint<M> {
    /// The model at this checkpoint.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// Steps the model had taken.
    pub fn step(&self) -> usize {
        self.step
    }
}

/// Whether a model with this `loss` (nats) and `parameter_sum` (Σ|θ|) is
/// healthy: both finite, and the loss not [`DIVERGENCE_NATS`] above the
/// `yardstick` (`None`: not known yet, and any finite loss passes).
fn judge(loss: f32, parameter_sum: f32, yardstick: Option<f32>) -> bool {
    loss.is_finite()
        && parameter_sum.is_finite()
        && yardstick.is_none_or(|best| loss <= best + DIVERGENCE_NATS)
}

/// The guard's finding on a [`Checkpoint`].
pub struct Verdict<M> {
    checkpoint: Checkpoint<M>,
    loss: f32,
    healthy: bool,
    /// The loss it was judged against, if known.
    yardstick: Option<f32>,
}

/// What a demo shows (`value`: a toy snapshot, a repaint), read back for a
/// checkpoint but not yet judged: pass it to [`Trainer::settle`] (through
/// [`Demo::settle`]).
pub struct Frame<T, M = Mdn> {
    value: T,
    verdict: Verdict<M>,
}

impl<T, M> Frame<T, M> {
    /// The same frame showing `f(value)`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Frame<U, M> {
        Frame {
            value: f(self.value),
            verdict: self.verdict,
        }
    }

    /// The same frame showing `f(value)`, or `f`'s error.
    ///
    /// # Errors
    /// What `f` returns.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Frame<U, M>, E> {
        Ok(Frame {
            value: f(self.value)?,
            verdict: self.verdict,
        })
    }

    /// What the frame shows.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Whether the guard found the checkpoint's model healthy.
    pub fn healthy(&self) -> bool {
        self.verdict.healthy
    }
}

/// What a demo shows once the guard has judged it: the value (of the last
/// good model when training had diverged), the learning rate from now on,
/// and what the guard did, if anything. Derefs to the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Guarded<T> {
    /// What is shown.
    pub value: T,
    /// The learning rate from now on.
    pub learning_rate: f64,
    /// Set when this frame found training diverged: `value` is then that of
    /// the last good model, which training went back to.
    pub recovery: Option<Recovery>,
}

impl<T> Deref for Guarded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// A demo's training run as the page and the command line drive it: frames
/// read back asynchronously, then settled by the guard.
pub trait Demo {
    /// What one frame shows: a toy snapshot, a repaint.
    type View;

    /// Judges a frame of this run (see [`Trainer::settle`]).
    fn settle(&mut self, frame: Frame<Self::View>) -> Guarded<Self::View>;
}

/// What the trainer did after training diverged (or a demo turned a frame
/// down, see [`Trainer::turn_down`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recovery {
    /// Why, as the start of a sentence: [`DIVERGED`], or a demo's reason.
    pub cause: &'static str,
    /// Step at which it was found.
    pub step: usize,
    /// Step of the restored (last good) parameters.
    pub restored_step: usize,
    /// The learning rate from now on.
    pub learning_rate: f64,
}

impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at step {}: went back to the parameters of step {} and lowered the learning rate to {:.1e}",
            self.cause, self.step, self.restored_step, self.learning_rate
        )
    }
}

/// Σ|θ| over every float parameter, `[1]`, without autodiff: finite if
/// and only if every parameter is (barring an overflow of the sum, which is
/// itself a sign of divergence). `None` for a model without parameters.
pub fn parameter_sum<M: Module>(model: &M) -> Option<Tensor<1>> {
    struct AbsSum(Option<Tensor<1>>);
    impl ModuleVisitor for AbsSum {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let sum = param.val().without_autodiff().abs().sum();
            self.0 = Some(match self.0.take() {
                Some(total) => total + sum,
                None => sum,
            });
        }
    }
    let mut visitor = AbsSum(None);
    model.visit(&mut visitor);
    visitor.0
}

/// The name under which a view given to [`read_checked`] reads its model's
/// loss (`[1]`, nats).
pub const LOSS: &str = "loss";

/// The name of the parameters' Σ|θ| that [`read_checked`] adds.
const PARAMETER_SUM: &str = "parameter sum";

/// The name of the first step's loss that [`read_checked`] adds until the
/// guard has accepted a frame.
const FIRST_STEP_LOSS: &str = "first step loss";

/// Reads back `view(model)` for a checkpoint's model, which must read the
/// model's loss as [`LOSS`], judging the model by that loss, its parameters
/// (read in the same transaction) and the finiteness of every value read
/// (see [`DIVERGENCE_NATS`]). When the model diverged, `view` runs again
/// on the last good model, so a caller never shows a diverged model's
/// output. Returns the values read, by name, as a frame for
/// [`Trainer::settle`]. With the guard off, only `view` is read and the
/// frame counts as healthy.
///
/// # Errors
/// [`ReadbackError`] when the device fails, or `view` read no loss.
pub async fn read_checked<M: Module>(
    checkpoint: Checkpoint<M>,
    view: impl Fn(&M) -> Reads,
) -> Result<Frame<Read, M>, ReadbackError> {
    if !checkpoint.guard {
        let value = view(&checkpoint.model).read().await?;
        let loss = value.scalar(LOSS)?;
        return Ok(Frame {
            value,
            verdict: Verdict {
                checkpoint,
                loss,
                healthy: true,
                yardstick: None,
            },
        });
    }
    let mut reads = view(&checkpoint.model);
    let summed = parameter_sum(&checkpoint.model);
    let has_sum = summed.is_some();
    if let Some(sum) = summed {
        reads.push(PARAMETER_SUM, sum);
    }
    if let Yardstick::FirstStep(Some(loss)) = &checkpoint.yardstick {
        reads.push(FIRST_STEP_LOSS, Tensor::clone(loss));
    }
    let mut value = reads.read().await?;
    let mut take_scalar = |name| -> Result<f32, ReadbackError> {
        let scalar = value.scalar(name)?;
        value.take(name)?;
        Ok(scalar)
    };
    let parameter_sum = if has_sum {
        take_scalar(PARAMETER_SUM)?
    } else {
        0.0
    };
    let yardstick = match &checkpoint.yardstick {
        Yardstick::Best(loss) => Some(*loss),
        // A first step that was not finite is no yardstick.
        Yardstick::FirstStep(Some(_)) => {
            Some(take_scalar(FIRST_STEP_LOSS)?).filter(|l| l.is_finite())
        }
        Yardstick::FirstStep(None) => None,
    };
    let loss = value.scalar(LOSS)?;
    // What is shown must be finite too: a model can keep a finite loss
    // while one of its components' σ overflows, and its samples with it.
    let healthy = value.all_finite() && judge(loss, parameter_sum, yardstick);
    if !healthy {
        value = view(&checkpoint.fallback).read().await?;
    }
    Ok(Frame {
        value,
        verdict: Verdict {
            checkpoint,
            loss,
            healthy,
            yardstick,
        },
    })
}
