//! `mdn render`: repaint a saved painting model at any size.

use anyhow::bail;
use mdn_core::paint::{MAX_RENDER_SIDE, PaintRun};

use crate::RenderArgs;
use crate::backend::{Backend, BackendKind};

/// Runs `mdn render`.
///
/// # Errors
/// An unreadable or bad model file (or a toy model), a size out of range,
/// no wgpu adapter, an unwritable output, a failing device.
pub fn run(backend: BackendKind, args: RenderArgs) -> anyhow::Result<()> {
    if !(1..=MAX_RENDER_SIDE).contains(&args.size) {
        bail!(
            "--size must be between 1 and {MAX_RENDER_SIDE}, not {}",
            args.size
        );
    }
    crate::check_out(&args.out)?;
    let bytes = crate::read_model(&args.model)?;
    let backend = Backend::open(backend)?;
    println!("{}", backend.describe());
    let run = PaintRun::load(&bytes, &backend.device)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.model.display()))?;
    let (width, height) = run.render_size(args.size);
    let rgb = pollster::block_on(run.render(width, height))?;
    crate::paint::write_png(&args.out, width, height, &rgb)?;
    let picture = run.picture();
    println!(
        "wrote {} ({width} × {height} px) from a painting trained at {} × {} px for {} epochs",
        args.out.display(),
        picture.width,
        picture.height,
        run.epochs()
    );
    Ok(())
}
