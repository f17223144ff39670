//! `mdn toy`: train a toy problem and plot it.

use std::path::PathBuf;

use anyhow::bail;
use mdn_core::data::ToyData;
use mdn_core::settings::{self, Setting};
use mdn_core::toy::{Bounds, ToyConfig, ToyRun};

use crate::ToyArgs;
use crate::backend::{Backend, BackendKind};
use crate::plot::{self, Plot};
use crate::{points, progress};

/// Where the toy's points come from.
enum Source {
    /// A built-in set, drawn from the seed.
    Set(mdn_core::data::ToySet),
    /// A CSV file of x, y points.
    File(PathBuf),
}

impl Source {
    /// `--data`: a set's name, or else a file's path.
    ///
    /// # Errors
    /// `draw` (the page's own points), or a path that does not exist.
    fn parse(raw: &str) -> anyhow::Result<Self> {
        match settings::toy_set(raw) {
            Ok(Some(set)) => Ok(Source::Set(set)),
            Ok(None) => bail!(
                "--data {raw}: drawn points are the page's; on the command line give inverse, forward, bishop or a CSV file of x, y points"
            ),
            Err(_) => {
                let path = PathBuf::from(raw);
                if !path.exists() {
                    bail!(
                        "--data {raw} is not inverse, forward or bishop, and no such file exists"
                    );
                }
                Ok(Source::File(path))
            }
        }
    }

    /// The plot's title for these points.
    fn title(&self) -> String {
        match self {
            Source::Set(set) => plot::set_title(*set).to_string(),
            Source::File(path) => path
                .file_name()
                .unwrap_or(path.as_os_str())
                .to_string_lossy()
                .into_owned(),
        }
    }
}

/// A whole-number flag checked against its setting's range.
///
/// # Errors
/// The value is out of range: the setting's own message.
fn whole(setting: &Setting, raw: &str) -> anyhow::Result<usize> {
    match setting.whole(raw) {
        Ok(value) => Ok(value as usize),
        Err(error) => bail!(error.flag_message(setting)),
    }
}

/// Runs `mdn toy`.
///
/// # Errors
/// A step count of 0, a K or hidden size out of range, `--data` neither a
/// set nor a readable file of points, no wgpu adapter, an unwritable
/// output, a failing device.
pub fn run(backend: BackendKind, args: ToyArgs) -> anyhow::Result<()> {
    if args.steps == 0 {
        bail!("--steps must be at least 1");
    }
    if let Some(path) = &args.resume {
        let bytes = crate::read_model(path)?;
        crate::check_out(&args.out)?;
        check_save(&args)?;
        let backend = Backend::open(backend)?;
        println!("{}", backend.describe());
        let run = ToyRun::load(&bytes, &backend.device)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        println!("resuming {} after {} steps", path.display(), run.steps());
        // A built-in set's title if the points are that set's, else the
        // model file's name.
        let c = run.config();
        let title = if ToyData::generate(c.set, c.points, c.seed) == *run.data() {
            plot::set_title(c.set).to_string()
        } else {
            let name = path.file_name().unwrap_or(path.as_os_str());
            name.to_string_lossy().into_owned()
        };
        return train_and_plot(run, title, &args);
    }
    let components = whole(&settings::TOY_COMPONENTS, &args.components)?;
    let hidden = whole(&settings::HIDDEN, &args.hidden_units)?;
    let source = Source::parse(&args.data)?;
    let file = match &source {
        Source::File(path) => Some(points::read(path)?),
        Source::Set(_) => None,
    };
    crate::check_out(&args.out)?;
    check_save(&args)?;
    let backend = Backend::open(backend)?;
    println!("{}", backend.describe());
    let config = ToyConfig {
        set: match source {
            Source::Set(set) => set,
            Source::File(_) => Default::default(),
        },
        components,
        hidden,
        ..ToyConfig::demo(args.seed)
    };
    let run = match file {
        Some(data) => with_bounds(config, data, &backend),
        None => ToyRun::new(config, &backend.device),
    };
    train_and_plot(run, source.title(), &args)
}

/// Fails early when `--save`'s folder does not exist.
fn check_save(args: &ToyArgs) -> anyhow::Result<()> {
    match &args.save {
        Some(save) => crate::check_out(save),
        None => Ok(()),
    }
}

/// Trains `run` for `--steps` more steps, plots it and saves it if asked.
fn train_and_plot(mut run: ToyRun, title: String, args: &ToyArgs) -> anyhow::Result<()> {
    let config = *run.config();
    let (components, hidden) = (config.components, config.hidden);
    println!(
        "{title}: {} points, K = {components}, {hidden} hidden units, {} steps",
        run.data().len(),
        args.steps
    );
    let bar = progress::bar(args.steps as u64, "step");
    let mut done = 0;
    while done < args.steps {
        // Snapshots (and the guard's checks) every 100 steps of the run.
        let chunk = (args.steps - done).min(100 - run.steps() % 100);
        run.train(chunk);
        done += chunk;
        let frame = pollster::block_on(run.snapshot(1.0, 1.0))?;
        let snapshot = progress::settle(&mut run, frame);
        bar.set_message(format!("nll {:.3}", snapshot.nll));
        bar.set_position(done as u64);
    }
    bar.finish_and_clear();
    let frame = pollster::block_on(run.snapshot(1.0, 1.0))?;
    let snapshot = progress::settle(&mut run, frame);
    let plot = Plot {
        title: &title,
        data: run.data(),
        snapshot: &snapshot,
    };
    plot.write(&args.out, args.panels)?;
    println!(
        "wrote {} after {} steps: NLL {:.4} nats per point",
        args.out.display(),
        snapshot.step,
        snapshot.nll
    );
    if let Some(save) = &args.save {
        crate::write_model(save, &pollster::block_on(run.save())?)?;
        println!("saved the model to {}", save.display());
    }
    Ok(())
}

/// A run on a reader's points, plotted around them.
fn with_bounds(config: ToyConfig, data: ToyData, backend: &Backend) -> ToyRun {
    let bounds = Bounds::around(&data);
    ToyRun::on_data(config, data, bounds, &backend.device)
}
