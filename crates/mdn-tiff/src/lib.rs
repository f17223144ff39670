//! The TIFF decoder of the demo page, a wasm module of its own: the page's
//! training modules carry no image decoder (the browser decodes PNG, JPEG,
//! WebP, GIF and BMP), and Chrome and Firefox cannot decode TIFF, so the
//! worker loads this one on a TIFF upload (www/worker/picture.js), in a
//! worker of its own (www/worker/tiff.js). The upload has passed
//! `mdn_core::picture::inspect`'s checks (its size among them) first.

use std::io::Cursor;

use image::{ImageFormat, ImageReader};
use wasm_bindgen::prelude::*;

/// A TIFF file's first image as RGBA8 pixels, row-major `[height, width,
/// 4]`, with its size in pixels.
///
/// # Errors
/// The `image` crate's explanation when the file cannot be decoded
/// (damaged, cut short, or a TIFF variant it does not read).
pub fn decode(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), String> {
    let image = ImageReader::with_format(Cursor::new(bytes), ImageFormat::Tiff)
        .decode()
        .map_err(|e| e.to_string())?
        .into_rgba8();
    let (width, height) = image.dimensions();
    Ok((width, height, image.into_raw()))
}

/// [`decode`] for the page: `{width, height, rgba}` (`rgba` a
/// `Uint8Array`).
///
/// # Errors
/// Throws an Error with [`decode`]'s explanation.
#[wasm_bindgen]
pub fn decode_tiff(bytes: &[u8]) -> Result<js_sys::Object, JsError> {
    let (width, height, rgba) = decode(bytes).map_err(|e| JsError::new(&e))?;
    let object = js_sys::Object::new();
    // Setting a property of a fresh plain object cannot fail.
    let set = |key: &str, value: JsValue| {
        let _ = js_sys::Reflect::set(&object, &key.into(), &value);
    };
    set("width", width.into());
    set("height", height.into());
    set("rgba", js_sys::Uint8Array::from(rgba.as_slice()).into());
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TIFF written by `image` comes back pixel for pixel; half of it is
    /// refused with a reason.
    #[test]
    fn decodes_a_tiff_and_refuses_a_cut_one() {
        let source = image::RgbaImage::from_fn(5, 3, |x, y| {
            image::Rgba([x as u8 * 40, y as u8 * 80, 7, 255])
        });
        let mut bytes = Vec::new();
        source
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Tiff)
            .expect("image writes TIFF");
        let (width, height, rgba) = decode(&bytes).expect("a whole TIFF decodes");
        assert_eq!((width, height), (5, 3));
        assert_eq!(rgba, source.into_raw());
        let error = decode(&bytes[..bytes.len() / 2]).expect_err("half a TIFF");
        assert!(!error.is_empty());
    }
}
