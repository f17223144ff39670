//! Devices the core tests run on: burn's CPU backend (flex) always, and
//! wgpu (over Mesa's lavapipe on a machine without a GPU) with `--features wgpu`.

use burn::tensor::Device;

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
