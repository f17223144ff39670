//! Devices the core tests run on: burn's CPU backend (flex) always, and
//! wgpu (over Mesa's lavapipe on a machine without a GPU) with `--features wgpu`.

use burn::tensor::Device;
use mdn_core::picture::Picture;

mod floors;
#[allow(unused_imports)] // Not every test file has a floor.
pub use floors::{above_floor, floor_seeds, sweeping_floors};

/// Every device a numerical test checks: flex, and wgpu when built with it.
#[allow(dead_code)] // Not every test file uses every helper.
pub fn devices() -> Vec<(&'static str, Device)> {
    #[allow(unused_mut)]
    let mut devices = vec![("cpu", Device::flex())];
    #[cfg(feature = "wgpu")]
    devices.push(("wgpu", wgpu()));
    devices
}

/// The default wgpu device (lavapipe on a machine without a GPU).
#[cfg(feature = "wgpu")]
pub fn wgpu() -> Device {
    Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)
}

/// A smooth colour field, 32 × 24, with a little deterministic noise, as in
/// a photo: noise-free colours let σ collapse to its floor.
#[allow(dead_code)] // Not every test file uses every helper.
pub fn colour_field() -> Picture {
    let (w, h) = (32u32, 24u32);
    let rgb: Vec<f32> = (0..h)
        .flat_map(|y| {
            (0..w).flat_map(move |x| {
                let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
                let noise =
                    |c: u32| ((x * 7919 + y * 104_729 + c * 1_299_709) % 61) as f32 / 1000.0 - 0.03;
                [
                    0.5 + 0.4 * (3.0 * u).sin() + noise(0),
                    0.5 + 0.4 * (2.0 * v).cos() + noise(1),
                    0.5 + 0.3 * (2.0 * (u + v)).sin() + noise(2),
                ]
            })
        })
        .collect();
    Picture {
        width: w,
        height: h,
        rgb,
        had_transparency: false,
    }
}

/// `name` from the repository's `tests/images`, at `size` px.
#[allow(dead_code)] // Not every test file uses every helper.
pub fn photo(name: &str, size: u32) -> Picture {
    let images = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/images");
    let bytes = std::fs::read(images.join(name)).expect(name);
    Picture::decode(&bytes, size).expect("decodes")
}
