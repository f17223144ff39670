//! Progress bars: shown on a terminal, silent when stdout is not one.

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use mdn_core::training::{Demo, Frame};

/// The bar on screen, so that an error message can clear it first.
static CURRENT: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// A bar of `len` units (`unit`: "epoch", "step"), with a message slot for
/// the loss; hidden when stdout is not a terminal.
pub fn bar(len: u64, unit: &str) -> ProgressBar {
    if !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    let template =
        format!("{{elapsed_precise}} [{{bar:30}}] {unit} {{pos}}/{{len}} {{msg}} (eta {{eta}})");
    let style = ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let bar = ProgressBar::new(len).with_style(style);
    if let Ok(mut current) = CURRENT.lock() {
        *current = Some(bar.clone());
    }
    bar
}

/// Clears the bar on screen, if any.
pub fn clear() {
    if let Ok(mut current) = CURRENT.lock()
        && let Some(bar) = current.take()
    {
        bar.finish_and_clear();
    }
}

/// Prints a line on stdout above the bar on screen, if any.
pub fn println(line: String) {
    match CURRENT.lock().ok().and_then(|current| current.clone()) {
        Some(bar) => bar.println(line),
        None => println!("{line}"),
    }
}

/// Judges a demo's frame: if training diverged, the run has gone back to
/// the last good model with a lower learning rate, which the user is told.
pub fn settle<D: Demo>(run: &mut D, frame: Frame<D::View>) -> D::View {
    let guarded = run.settle(frame);
    if let Some(recovery) = &guarded.recovery {
        println(recovery.to_string());
    }
    guarded.value
}
