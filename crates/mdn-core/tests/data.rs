//! The W1 generator and the picture pipeline: shapes, ranges, area
//! averaging, and every kind of bad upload.

use std::io::Cursor;

use image::{ImageFormat, Rgba, RgbaImage};
use mdn_core::data::{TOY_POINTS, TOY_Y_MAX, ToyData, linspace};
use mdn_core::picture::{Format, Header, Picture, PictureError, inspect, psnr, rgb_to_rgba8};

/// `image` without its alpha channel, as a `format` file.
fn rgb_file(image: &RgbaImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgba8(image.clone())
        .to_rgb8()
        .write_to(&mut Cursor::new(&mut bytes), format)
        .unwrap();
    bytes
}

fn png(image: &RgbaImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .unwrap();
    bytes
}

#[test]
fn sinusoid_inversion_has_the_w1_shape_and_ranges() {
    let data = ToyData::sinusoid_inversion(TOY_POINTS, 42);
    assert_eq!((data.x.len(), data.y.len()), (2500, 2500));
    assert!(data.y.iter().all(|y| (-TOY_Y_MAX..TOY_Y_MAX).contains(y)));
    // Uniform y: both ends of the range are visited.
    assert!(data.y.iter().any(|&y| y < -10.0) && data.y.iter().any(|&y| y > 10.0));
    // x = 7 sin(0.75 y) + 0.5 y + N(0, 1): the residual is unit Gaussian noise.
    let residual: Vec<f32> = data
        .x
        .iter()
        .zip(&data.y)
        .map(|(x, y)| x - 7.0 * (0.75 * y).sin() - 0.5 * y)
        .collect();
    let mean = residual.iter().sum::<f32>() / 2500.0;
    let var = residual.iter().map(|r| (r - mean).powi(2)).sum::<f32>() / 2500.0;
    assert!(mean.abs() < 0.1, "noise mean {mean}");
    assert!((var - 1.0).abs() < 0.15, "noise variance {var}");
    assert!(residual.iter().all(|r| r.abs() < 6.0));
    // Fixed seed: the same data every time; another seed, other data.
    assert_eq!(data, ToyData::sinusoid_inversion(TOY_POINTS, 42));
    assert_ne!(data, ToyData::sinusoid_inversion(TOY_POINTS, 43));
}

#[test]
fn linspace_spans_both_ends() {
    assert_eq!(linspace(-1.0, 1.0, 5), vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
    assert_eq!(linspace(2.0, 3.0, 1), vec![2.0]);
    assert!(linspace(0.0, 1.0, 0).is_empty());
}

#[test]
fn downscale_averages_each_source_block() {
    // 4 × 4 grey levels 0..16 (all three channels equal).
    let rgb: Vec<f32> = (0..16).flat_map(|v| [v as f32; 3]).collect();
    let picture = Picture {
        width: 4,
        height: 4,
        rgb,
        had_transparency: false,
    };
    let small = picture.downscale(2, 2);
    let grey: Vec<f32> = small.rgb.chunks(3).map(|p| p[0]).collect();
    // Top-left block is 0, 1, 4, 5: mean 2.5; and so on.
    assert_eq!(grey, vec![2.5, 4.5, 10.5, 12.5]);
    assert!(small.rgb.chunks(3).all(|p| p[0] == p[1] && p[1] == p[2]));
}

#[test]
fn downscale_weights_partly_covered_pixels() {
    // 3 px → 2 px: each output covers 1.5 source pixels.
    let rgb: Vec<f32> = [0.0, 3.0, 6.0].iter().flat_map(|&v| [v; 3]).collect();
    let small = Picture {
        width: 3,
        height: 1,
        rgb,
        had_transparency: false,
    }
    .downscale(2, 1);
    assert!((small.rgb[0] - 1.0).abs() < 1e-6, "{:?}", small.rgb); // (0 + 0.5·3) / 1.5
    assert!((small.rgb[3] - 5.0).abs() < 1e-6, "{:?}", small.rgb); // (0.5·3 + 6) / 1.5
}

#[test]
fn decode_downscales_to_the_training_size_keeping_the_aspect() {
    let image = RgbaImage::from_fn(300, 200, |x, _| Rgba([(x % 256) as u8, 40, 200, 255]));
    let picture = Picture::decode(&png(&image), 128).unwrap();
    assert_eq!((picture.width, picture.height), (128, 85));
    assert_eq!(picture.rgb.len(), 128 * 85 * 3);
    assert!(!picture.had_transparency);
    assert!(picture.rgb.iter().all(|v| (0.0..=1.0).contains(v)));
    assert!((picture.rgb[1] - 40.0 / 255.0).abs() < 1e-5);
    // Never upscales.
    let small = Picture::decode(&png(&RgbaImage::new(20, 10)), 128).unwrap();
    assert_eq!((small.width, small.height), (20, 10));
}

#[test]
fn coordinates_are_pixel_centres_in_the_unit_square() {
    let picture = Picture {
        width: 4,
        height: 2,
        rgb: vec![0.0; 24],
        had_transparency: false,
    };
    let c = picture.coordinates();
    assert_eq!(c.len(), 16);
    assert_eq!(&c[..4], &[-0.75, -0.5, -0.25, -0.5]);
    assert_eq!(&c[14..], &[0.75, 0.5]);
}

#[test]
fn transparent_pixels_are_painted_over_white() {
    let image = RgbaImage::from_pixel(32, 32, Rgba([0, 0, 0, 0]));
    let picture = Picture::decode(&png(&image), 128).unwrap();
    assert!(picture.had_transparency);
    assert!(picture.rgb.iter().all(|&v| v == 1.0));
}

#[test]
fn bmp_and_tiff_decode_and_a_jpeg_cut_short_is_refused() {
    let image = RgbaImage::from_fn(40, 30, |x, y| Rgba([x as u8 * 6, y as u8 * 8, 100, 255]));
    let want = Picture::decode(&png(&image), 128).unwrap();
    for format in [ImageFormat::Bmp, ImageFormat::Tiff] {
        let bytes = rgb_file(&image, format);
        assert_eq!(
            Picture::decode(&bytes, 128).as_ref(),
            Ok(&want),
            "{format:?}"
        );
    }
    let jpeg = rgb_file(&image, ImageFormat::Jpeg);
    assert!(Picture::decode(&jpeg, 128).is_ok());
    for cut in [jpeg.len() / 3, jpeg.len() - 2] {
        assert_eq!(
            Picture::decode(&jpeg[..cut], 128),
            Err(PictureError::Truncated),
            "cut to {cut} of {} bytes",
            jpeg.len()
        );
    }
}

/// The header check names each format with its size, and a picture from
/// decoded pixels (the browser's path) is the one `decode` makes of the
/// file (the native path); pixels that do not fill the size are refused.
#[test]
fn headers_are_read_and_decoded_pixels_make_the_same_picture() {
    let image = RgbaImage::from_fn(200, 90, |x, y| Rgba([x as u8, y as u8 * 2, 77, 255]));
    for (format, want) in [
        (ImageFormat::Png, Format::Png),
        (ImageFormat::Jpeg, Format::Jpeg),
        (ImageFormat::Gif, Format::Gif),
        (ImageFormat::Bmp, Format::Bmp),
        (ImageFormat::Tiff, Format::Tiff),
        (ImageFormat::WebP, Format::WebP),
    ] {
        let bytes = rgb_file(&image, format);
        assert_eq!(
            inspect(&bytes),
            Ok(Header {
                format: want,
                width: 200,
                height: 90
            }),
            "{format:?}"
        );
    }
    let decoded = Picture::decode(&png(&image), 64).unwrap();
    let from_pixels = Picture::from_rgba8(200, 90, image.as_raw(), 64).unwrap();
    assert_eq!(from_pixels, decoded);
    assert_eq!((from_pixels.width, from_pixels.height), (64, 29));
    assert!(matches!(
        Picture::from_rgba8(200, 90, &image.as_raw()[4..], 64),
        Err(PictureError::Decode(_))
    ));
    assert_eq!(
        Picture::from_rgba8(200, 90, image.as_raw(), 2000),
        Err(PictureError::BadTrainSize(2000))
    );
}

#[test]
fn bad_uploads_give_clear_errors() {
    let good = png(&RgbaImage::from_pixel(64, 64, Rgba([10, 20, 30, 255])));
    assert_eq!(Picture::decode(&[], 128), Err(PictureError::Empty));
    assert_eq!(
        Picture::decode(b"just some text, renamed to .png\n", 128),
        Err(PictureError::UnknownFormat)
    );
    let truncated = &good[..good.len() / 2];
    assert!(matches!(
        Picture::decode(truncated, 128),
        Err(PictureError::Decode(_))
    ));
    let tiny = png(&RgbaImage::new(1, 1));
    assert_eq!(
        Picture::decode(&tiny, 128),
        Err(PictureError::TooSmall {
            width: 1,
            height: 1
        })
    );
    assert_eq!(
        Picture::decode(&good, 4),
        Err(PictureError::BadTrainSize(4))
    );
    // An 8000 × 8000 PNG is refused from its header, before its pixels are decoded.
    let mut huge = Vec::new();
    image::GrayImage::new(8000, 8000)
        .write_to(&mut Cursor::new(&mut huge), ImageFormat::Png)
        .unwrap();
    let error = Picture::decode(&huge, 128).unwrap_err();
    assert_eq!(
        error,
        PictureError::TooLarge {
            width: 8000,
            height: 8000
        }
    );
    assert!(error.to_string().contains("8000 × 8000"));
    // A farbfeld image is recognised by its magic bytes, but its decoder is
    // not built in.
    let farbfeld = b"farbfeld\0\0\0\x10\0\0\0\x10";
    assert!(matches!(
        Picture::decode(farbfeld, 128),
        Err(PictureError::Unsupported(_))
    ));
    // An AVIF's header (its file-type box) is named as people know it.
    let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf";
    assert_eq!(
        Picture::decode(avif, 128),
        Err(PictureError::Unsupported("AVIF".to_string()))
    );
}

#[test]
fn psnr_and_rgba_conversion() {
    let a = vec![0.5f32; 30];
    let b: Vec<f32> = a.iter().map(|v| v + 0.1).collect();
    assert!((psnr(&a, &b) - 20.0).abs() < 1e-3);
    assert_eq!(psnr(&a, &a), 100.0);
    assert_eq!(
        rgb_to_rgba8(&[0.0, 0.5, 1.5, f32::NAN, -1.0, 1.0]),
        vec![0, 128, 255, 255, 0, 0, 255, 255]
    );
}
