//! Devices every core test runs on: burn's CPU backend (flex) always, and
//! wgpu (over Mesa's lavapipe on a machine without a GPU) with `--features wgpu`.

use burn::tensor::Device;

pub fn devices() -> Vec<(&'static str, Device)> {
    #[allow(unused_mut)]
    let mut devices = vec![("cpu", Device::flex())];
    #[cfg(feature = "wgpu")]
    devices.push((
        "wgpu",
        Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
    ));
    devices
}
