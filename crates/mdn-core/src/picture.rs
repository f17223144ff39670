//! Photos as training data for the painting MDN: the checks an upload
//! must pass (read from its header before any pixel is decoded), decoding
//! with the `image` crate (`decoders` feature; the browser decodes with
//! its own), area-averaging downscale, pixel positions, and PSNR.

#[cfg(feature = "decoders")]
use std::io::Cursor;

use burn::tensor::Device;
#[cfg(feature = "decoders")]
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader};
use imagesize::ImageType;

use crate::data::Dataset;

/// Smallest accepted side of an uploaded image, in pixels.
pub const MIN_SIDE: u32 = 8;
/// Largest accepted image, in pixels (4096 × 4096): decoding a larger one
/// in a browser tab would take hundreds of megabytes for a picture that is
/// downscaled to 128 px anyway.
pub const MAX_PIXELS: u64 = 4096 * 4096;
/// Largest accepted training size (longer side), in pixels.
pub const MAX_TRAIN_SIDE: u32 = 1024;
/// Default training size (longer side), in pixels.
pub const DEFAULT_TRAIN_SIDE: u32 = 128;

/// Why an upload cannot be painted. The messages are written for the
/// person who chose the file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PictureError {
    /// Zero bytes.
    #[error("The file is empty.")]
    Empty,
    /// Not recognised as any image format.
    #[error("This file is not an image in a supported format (PNG, JPEG, WebP, GIF, BMP or TIFF).")]
    UnknownFormat,
    /// Recognised, but its decoder is not built in.
    #[error("{0} images are not supported: use PNG, JPEG, WebP, GIF, BMP or TIFF.")]
    Unsupported(String),
    /// More than [`MAX_PIXELS`] pixels.
    #[error(
        "The image is {width} × {height} px, too large: at most 16.8 megapixels (4096 × 4096) are accepted."
    )]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// A side shorter than [`MIN_SIDE`].
    #[error("The image is {width} × {height} px, too small: it needs at least 8 px on each side.")]
    TooSmall {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// A JPEG without its end-of-image marker: the file was cut short, and
    /// the decoder would fill what is missing with grey.
    #[error(
        "The JPEG file ends early (it has no end-of-image marker): it was cut short, so part of the picture is missing. Download or export it again."
    )]
    Truncated,
    /// The decoder failed, typically on a damaged or truncated file.
    #[error("The image could not be decoded ({0}); the file may be damaged or truncated.")]
    Decode(String),
    /// A training size outside [`MIN_SIDE`]..=[`MAX_TRAIN_SIDE`].
    #[error("The training size must be between {MIN_SIDE} and {MAX_TRAIN_SIDE} px, not {0}.")]
    BadTrainSize(u32),
}

/// An RGB picture with channels in [0, 1], row-major `[height, width, 3]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major `[height, width, 3]`, each channel in [0, 1].
    pub rgb: Vec<f32>,
    /// Whether the source had pixels that were not fully opaque; they are
    /// composited over white.
    pub had_transparency: bool,
}

/// The formats the painting takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// WebP.
    WebP,
    /// GIF (its first frame is painted).
    Gif,
    /// BMP.
    Bmp,
    /// TIFF.
    Tiff,
}

impl Format {
    /// The lower-case name: "png", "jpeg", "webp", "gif", "bmp" or "tiff"
    /// (the media type is "image/" and the name).
    pub fn name(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Jpeg => "jpeg",
            Format::WebP => "webp",
            Format::Gif => "gif",
            Format::Bmp => "bmp",
            Format::Tiff => "tiff",
        }
    }
}

/// What an upload's header says (see [`inspect`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The file's format.
    pub format: Format,
    /// Width in pixels, as stored (before any EXIF rotation).
    pub width: u32,
    /// Height in pixels, as stored.
    pub height: u32,
}

/// Checks an uploaded file before any of its pixels is decoded, from its
/// first bytes and its header (read with the `imagesize` crate): its
/// format, and its size against [`MAX_PIXELS`] and [`MIN_SIDE`], so that a
/// huge image is refused before hundreds of megabytes are allocated for it.
///
/// # Errors
/// [`PictureError::Empty`], [`PictureError::UnknownFormat`],
/// [`PictureError::Unsupported`] (an image format the painting does not
/// take), [`PictureError::Truncated`] (a JPEG cut short, which decoders
/// would fill with grey), [`PictureError::Decode`] (an unreadable header),
/// [`PictureError::TooLarge`] and [`PictureError::TooSmall`].
pub fn inspect(bytes: &[u8]) -> Result<Header, PictureError> {
    if bytes.is_empty() {
        return Err(PictureError::Empty);
    }
    let format = match imagesize::image_type(bytes) {
        Err(_) => return Err(PictureError::UnknownFormat),
        Ok(ImageType::Png) => Format::Png,
        Ok(ImageType::Jpeg) => Format::Jpeg,
        Ok(ImageType::Webp) => Format::WebP,
        Ok(ImageType::Gif) => Format::Gif,
        Ok(ImageType::Bmp) => Format::Bmp,
        Ok(ImageType::Tiff) => Format::Tiff,
        Ok(other) => return Err(PictureError::Unsupported(format_name(other))),
    };
    if format == Format::Jpeg && !jpeg_is_whole(bytes) {
        return Err(PictureError::Truncated);
    }
    let size = imagesize::blob_size(bytes).map_err(|e| PictureError::Decode(e.to_string()))?;
    let (width, height) = (
        u32::try_from(size.width).unwrap_or(u32::MAX),
        u32::try_from(size.height).unwrap_or(u32::MAX),
    );
    check_size(width, height)?;
    Ok(Header {
        format,
        width,
        height,
    })
}

/// A recognised format's name for a message: `imagesize`'s, without the
/// compression some carry, and HEIF's as phones and browsers name its two
/// kinds.
fn format_name(format: ImageType) -> String {
    let name = format!("{format:?}");
    match name.as_str() {
        "Heif(Av1)" => "AVIF".to_string(),
        "Heif(Hevc)" => "HEIC".to_string(),
        _ => name.split('(').next().unwrap_or("These").to_string(),
    }
}

impl Picture {
    /// Decodes an uploaded file (PNG, JPEG, WebP, GIF, BMP or TIFF; a GIF's
    /// first frame; its EXIF orientation applied) with the `image` crate,
    /// after [`inspect`]'s checks, then [`Picture::from_rgba8`].
    ///
    /// # Errors
    /// Every [`PictureError`] but none panics: a `train_side` outside
    /// 8..=1024, [`inspect`]'s refusals, and undecodable data.
    #[cfg(feature = "decoders")]
    pub fn decode(bytes: &[u8], train_side: u32) -> Result<Self, PictureError> {
        check_train_side(train_side)?;
        let header = inspect(bytes)?;
        let format = match header.format {
            Format::Png => image::ImageFormat::Png,
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::WebP => image::ImageFormat::WebP,
            Format::Gif => image::ImageFormat::Gif,
            Format::Bmp => image::ImageFormat::Bmp,
            Format::Tiff => image::ImageFormat::Tiff,
        };
        // As browsers do, a photo's EXIF orientation is applied.
        let mut decoder = ImageReader::with_format(Cursor::new(bytes), format)
            .into_decoder()
            .map_err(decode_error)?;
        let orientation = decoder.orientation().map_err(decode_error)?;
        let mut image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
        image.apply_orientation(orientation);
        let image = image.into_rgba8();
        let (width, height) = image.dimensions();
        Self::from_rgba8(width, height, image.as_raw(), train_side)
    }

    /// A picture from decoded pixels, RGBA8 row-major `[height, width, 4]`
    /// (what a browser's decoder or [`Picture::decode`] gives), downscaled
    /// by area averaging so that its longer side is at most `train_side`
    /// px, aspect ratio kept, never upscaled. Transparent pixels are
    /// composited over white.
    ///
    /// # Errors
    /// [`PictureError::BadTrainSize`] for a `train_side` outside 8..=1024,
    /// [`PictureError::TooLarge`] or [`PictureError::TooSmall`], and
    /// [`PictureError::Decode`] when `rgba` is not `width · height · 4`
    /// bytes.
    pub fn from_rgba8(
        width: u32,
        height: u32,
        rgba: &[u8],
        train_side: u32,
    ) -> Result<Self, PictureError> {
        check_train_side(train_side)?;
        check_size(width, height)?;
        if rgba.len() as u64 != u64::from(width) * u64::from(height) * 4 {
            return Err(PictureError::Decode(format!(
                "{} bytes of pixels for {width} × {height} px",
                rgba.len()
            )));
        }
        let (new_width, new_height) = fit(width, height, train_side);
        let had_transparency = rgba.chunks_exact(4).any(|p| p[3] < 255);
        // A byte's value in [0, 1], looked up: a phone photo has 12 million
        // pixels, each read by several output pixels, and in the browser's
        // wasm the divisions took most of the time from upload to training.
        let unit: [f32; 256] = std::array::from_fn(|v| v as f32 / 255.0);
        let rgb = area_downscale(width, height, new_width, new_height, |x, y| {
            let i = 4 * (y as usize * width as usize + x as usize);
            let alpha = unit[usize::from(rgba[i + 3])];
            std::array::from_fn(|c| unit[usize::from(rgba[i + c])] * alpha + (1.0 - alpha))
        });
        Ok(Self {
            width: new_width,
            height: new_height,
            rgb,
            had_transparency,
        })
    }

    /// This picture downscaled to `width` × `height` by area averaging: each
    /// output pixel is the mean of the source area it covers, partly
    /// covered source pixels weighted by the covered fraction.
    pub fn downscale(&self, width: u32, height: u32) -> Picture {
        let w = self.width as usize;
        let rgb = area_downscale(self.width, self.height, width, height, |x, y| {
            let i = 3 * (y as usize * w + x as usize);
            [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
        });
        Picture {
            width,
            height,
            rgb,
            had_transparency: self.had_transparency,
        }
    }

    /// Number of pixels.
    pub fn pixels(&self) -> usize {
        self.width as usize * self.height as usize
    }

    /// The pixel centres, row-major `[height · width, 2]` as (x, y) with
    /// x = (2i + 1)/W − 1 and y = (2j + 1)/H − 1, in (−1, 1): the positions
    /// a painting's model is given (it encodes them itself, see
    /// [`crate::encoding`]).
    pub fn coordinates(&self) -> Vec<f32> {
        pixel_coordinates(self.width, self.height)
    }

    /// Positions `[n, 2]` (see [`Picture::coordinates`]) and colours
    /// `[n, 3]` on `device`.
    pub fn to_dataset(&self, device: &Device) -> Dataset {
        Dataset::new(self.coordinates(), 2, self.rgb.clone(), 3, device)
    }

    /// RGBA8 bytes `[height, width, 4]`, opaque, for a canvas.
    pub fn to_rgba8(&self) -> Vec<u8> {
        rgb_to_rgba8(&self.rgb)
    }

    /// This picture with its longer side at most `train_side` px, area
    /// downscaled with its aspect ratio kept, never upscaled: what
    /// [`Picture::from_rgba8`] makes of the original at `train_side`, from a
    /// picture already decoded (a loaded model's, painted again with other
    /// settings).
    ///
    /// # Errors
    /// [`PictureError::BadTrainSize`] for a `train_side` outside 8..=1024.
    pub fn fitted(&self, train_side: u32) -> Result<Picture, PictureError> {
        check_train_side(train_side)?;
        let (width, height) = fit(self.width, self.height, train_side);
        Ok(if (width, height) == (self.width, self.height) {
            self.clone()
        } else {
            self.downscale(width, height)
        })
    }
}

/// The pixel centres of a `width` × `height` grid, row-major
/// `[height · width, 2]` as (x, y) with x = (2i + 1)/W − 1 and
/// y = (2j + 1)/H − 1, in (−1, 1): the same coordinates at every size, so a
/// model trained at one size can be evaluated at another.
pub fn pixel_coordinates(width: u32, height: u32) -> Vec<f32> {
    let (w, h) = (width as f32, height as f32);
    (0..height)
        .flat_map(|j| {
            (0..width)
                .flat_map(move |i| [(2 * i + 1) as f32 / w - 1.0, (2 * j + 1) as f32 / h - 1.0])
        })
        .collect()
}

/// RGBA8 bytes for row-major RGB floats in [0, 1] (clamped; NaN maps to 0),
/// alpha 255.
pub fn rgb_to_rgba8(rgb: &[f32]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .flat_map(|p| {
            let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            [byte(p[0]), byte(p[1]), byte(p[2]), 255]
        })
        .collect()
}

/// Peak signal-to-noise ratio in dB of `estimate` against `reference`, both
/// with values in [0, 1] (peak 1): 10 log10(1 / MSE). Capped at 100 dB for
/// identical inputs so that it stays finite.
pub fn psnr(reference: &[f32], estimate: &[f32]) -> f32 {
    let n = reference.len().min(estimate.len()).max(1);
    let mse = reference
        .iter()
        .zip(estimate)
        .map(|(a, b)| f64::from(a - b).powi(2))
        .sum::<f64>()
        / n as f64;
    (10.0 * (1.0 / mse).log10()).min(100.0) as f32
}

/// Whether a JPEG file has its end-of-image marker (FF D9) near its end
/// (some writers pad a few bytes after it). Entropy-coded data never holds
/// FF D9 (a data byte FF is stuffed as FF 00), so a file cut short lacks it.
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

#[cfg(feature = "decoders")]
fn decode_error(error: ImageError) -> PictureError {
    match error {
        ImageError::Unsupported(e) => PictureError::Unsupported(match e.format_hint() {
            image::error::ImageFormatHint::Exact(format) => format!("{format:?}"),
            _ => "These".to_string(),
        }),
        other => PictureError::Decode(other.to_string()),
    }
}

fn check_train_side(train_side: u32) -> Result<(), PictureError> {
    if (MIN_SIDE..=MAX_TRAIN_SIDE).contains(&train_side) {
        Ok(())
    } else {
        Err(PictureError::BadTrainSize(train_side))
    }
}

fn check_size(width: u32, height: u32) -> Result<(), PictureError> {
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        Err(PictureError::TooLarge { width, height })
    } else if width < MIN_SIDE || height < MIN_SIDE {
        Err(PictureError::TooSmall { width, height })
    } else {
        Ok(())
    }
}

/// The size with longer side at most `side`, aspect kept, never upscaled,
/// each side at least 1.
fn fit(width: u32, height: u32, side: u32) -> (u32, u32) {
    let longer = width.max(height);
    if longer <= side {
        return (width, height);
    }
    let scale = |v: u32| {
        ((u64::from(v) * u64::from(side) + u64::from(longer) / 2) / u64::from(longer)).max(1) as u32
    };
    (scale(width), scale(height))
}

/// For each output index along one axis, the source pixels it covers and
/// their weights (covered fraction / source pixels per output pixel).
fn area_weights(source: u32, target: u32) -> Vec<Vec<(u32, f32)>> {
    let step = f64::from(source) / f64::from(target);
    (0..target)
        .map(|i| {
            let (start, end) = (f64::from(i) * step, f64::from(i + 1) * step);
            let first = start.floor() as u32;
            let last = (end.ceil() as u32).min(source);
            (first..last)
                .map(|p| {
                    let covered = (end.min(f64::from(p + 1)) - start.max(f64::from(p))).max(0.0);
                    (p, (covered / step) as f32)
                })
                .filter(|&(_, w)| w > 0.0)
                .collect()
        })
        .collect()
}

/// Area-averaging resize, separable: rows first, then columns.
fn area_downscale(
    width: u32,
    height: u32,
    new_width: u32,
    new_height: u32,
    pixel: impl Fn(u32, u32) -> [f32; 3] + Send + Sync,
) -> Vec<f32> {
    let (wx, wy) = (
        area_weights(width, new_width),
        area_weights(height, new_height),
    );
    let row_len = new_width as usize * 3;
    // Rows, then columns; each output row on its own, so the threads (with
    // the `rayon` feature) share them.
    // [height, new_width, 3]
    let mut rows = vec![0.0f32; height as usize * row_len];
    crate::pool::for_each_chunk(&mut rows, row_len, |y, row| {
        for (out, taps) in row.chunks_exact_mut(3).zip(&wx) {
            for &(x, w) in taps {
                let p = pixel(x, y as u32);
                for c in 0..3 {
                    out[c] += w * p[c];
                }
            }
        }
    });
    let mut result = vec![0.0f32; new_height as usize * row_len];
    crate::pool::for_each_chunk(&mut result, row_len, |j, dst| {
        for &(y, w) in &wy[j] {
            let src = &rows[y as usize * row_len..][..row_len];
            for (d, s) in dst.iter_mut().zip(src) {
                *d += w * s;
            }
        }
    });
    result
}
