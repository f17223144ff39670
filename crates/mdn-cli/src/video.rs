//! `mdn paint --video out.gif`: the painting forming, one frame per epoch
//! with the epoch and PSNR as a caption, as an animated GIF written by the
//! `image` crate's encoder (no external program).

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, RgbaImage};
use mdn_core::picture::rgb_to_rgba8;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// Height of the caption bar under each frame, pixels.
const CAPTION: u32 = 24;
/// Frames are at least this wide: small paintings are scaled up by whole
/// factors (nearest), so that the caption fits and the pixels show.
const MIN_WIDTH: u32 = 320;
/// Time each frame is shown, milliseconds.
const FRAME_MS: u32 = 100;

/// An animated GIF being written, one frame per [`Video::push`].
pub struct Video {
    path: PathBuf,
    encoder: GifEncoder<BufWriter<File>>,
    frames: usize,
}

impl Video {
    /// Starts `path`, which must name a `.gif` file.
    ///
    /// # Errors
    /// Another extension (WebM needs a video codec this program does not
    /// carry), or a file that cannot be created.
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        let gif = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("gif"));
        if !gif {
            bail!(
                "--video writes an animated GIF: give a .gif file, not {} (the page records WebM)",
                path.display()
            );
        }
        register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| anyhow!("the embedded font is unreadable"))?;
        let file =
            File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
        let mut encoder = GifEncoder::new_with_speed(BufWriter::new(file), 10);
        encoder
            .set_repeat(Repeat::Infinite)
            .context("cannot start the GIF")?;
        Ok(Self {
            path: path.to_path_buf(),
            encoder,
            frames: 0,
        })
    }

    /// Adds a frame: `colours` (row-major `[height, width, 3]` in [0, 1])
    /// scaled up by a whole factor to at least [`MIN_WIDTH`] px, over a
    /// caption bar with `caption`.
    ///
    /// # Errors
    /// The frame cannot be drawn or encoded.
    pub fn push(
        &mut self,
        colours: &[f32],
        width: u32,
        height: u32,
        caption: &str,
    ) -> anyhow::Result<()> {
        let scale = MIN_WIDTH.div_ceil(width.max(1)).max(1);
        let (w, h) = (width * scale, height * scale + CAPTION);
        let rgba = rgb_to_rgba8(colours);
        let mut rgb = vec![255u8; (w * h * 3) as usize];
        for y in 0..height * scale {
            for x in 0..w {
                let src = (((y / scale) * width + x / scale) * 4) as usize;
                let dst = ((y * w + x) * 3) as usize;
                rgb[dst..dst + 3].copy_from_slice(&rgba[src..src + 3]);
            }
        }
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
            root.draw_text(
                caption,
                &TextStyle::from(("sans-serif", 15).into_font()).color(&BLACK),
                (6, (height * scale + 4) as i32),
            )
            .map_err(|e| anyhow!("cannot draw the caption: {e}"))?;
            root.present()
                .map_err(|e| anyhow!("cannot draw the caption: {e}"))?;
        }
        let rgba: Vec<u8> = rgb
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect();
        let image = RgbaImage::from_raw(w, h, rgba).context("the frame has the wrong size")?;
        let delay = Delay::from_numer_denom_ms(FRAME_MS, 1);
        self.encoder
            .encode_frame(Frame::from_parts(image, 0, 0, delay))
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.frames += 1;
        Ok(())
    }

    /// Frames written.
    pub fn frames(&self) -> usize {
        self.frames
    }
}
