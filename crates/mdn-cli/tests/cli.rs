//! The `mdn` binary end to end: `paint` on a real photo, `toy`, `bench W1`,
//! and every user error's message and exit status. Each training test runs
//! on the CPU backend and, with the `wgpu` feature, on wgpu (Mesa's
//! lavapipe on a machine without a GPU). Sizes and step counts are small:
//! these check behaviour, never speed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mdn_core::picture::{Picture, psnr};

const MDN: &str = env!("CARGO_BIN_EXE_mdn");

fn backends() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut backends = vec!["cpu"];
    #[cfg(feature = "wgpu")]
    backends.push("wgpu");
    backends
}

/// `shared/data/images`, beside the repository.
fn images() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|dir| dir.join("shared/data/images"))
        .find(|dir| dir.is_dir())
        .expect("shared/data/images beside the repository")
}

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn mdn(args: &[&str]) -> Output {
    Command::new(MDN).args(args).output().expect("run mdn")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts that `output` failed with exit status 1 and a one-line stderr
/// containing `message`, without a panic or backtrace.
fn assert_user_error(output: &Output, message: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains(message),
        "expected '{message}' in: {stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn read_rgb(path: &Path) -> (u32, u32, Vec<f32>) {
    let image = image::open(path).expect("a PNG").into_rgb8();
    let (w, h) = image.dimensions();
    let rgb = image
        .into_raw()
        .iter()
        .map(|&b| f32::from(b) / 255.0)
        .collect();
    (w, h, rgb)
}

#[test]
fn paint_writes_the_repaint_and_its_psnr_rises_with_epochs() {
    let photo = images().join("chelsea.png");
    let bytes = std::fs::read(&photo).expect("chelsea.png");
    let target = Picture::decode(&bytes, 32).expect("decodes");
    for backend in backends() {
        let dir = scratch(&format!("paint-{backend}"));
        let out = dir.join("painted.png");
        let frames = dir.join("frames");
        let output = mdn(&[
            "paint",
            photo.to_str().expect("utf-8 path"),
            "--backend",
            backend,
            "--size",
            "32",
            "--epochs",
            "12",
            "--out",
            out.to_str().expect("utf-8 path"),
            "--frames",
            frames.to_str().expect("utf-8 path"),
        ]);
        let stdout = text(&output.stdout);
        assert!(
            output.status.success(),
            "{backend}: {}",
            text(&output.stderr)
        );
        assert!(stdout.contains(&format!("backend {backend}")), "{stdout}");

        let (w, h, painted) = read_rgb(&out);
        assert_eq!((w, h), (target.width, target.height), "{backend}");
        for epoch in 1..=12 {
            let frame = frames.join(format!("frame_{epoch:04}.png"));
            assert!(frame.is_file(), "{backend}: {} missing", frame.display());
        }
        let first = psnr(&target.rgb, &read_rgb(&frames.join("frame_0001.png")).2);
        let last = psnr(&target.rgb, &painted);
        assert!(
            last > first + 1.0,
            "{backend}: PSNR {first:.2} dB after 1 epoch, {last:.2} dB after 12"
        );
    }
}

#[test]
fn toy_writes_a_plot() {
    for backend in backends() {
        let dir = scratch(&format!("toy-{backend}"));
        let out = dir.join("toy.png");
        let output = mdn(&[
            "toy",
            "--backend",
            backend,
            "--steps",
            "200",
            "--out",
            out.to_str().expect("utf-8 path"),
        ]);
        assert!(
            output.status.success(),
            "{backend}: {}",
            text(&output.stderr)
        );
        let (w, h, rgb) = read_rgb(&out);
        assert_eq!((w, h), (900, 600));
        // Not blank: data, samples and the fit are drawn over the white.
        let dark = rgb.chunks_exact(3).filter(|p| p[0] < 0.8).count();
        assert!(dark > 1000, "{backend}: {dark} non-white pixels");
    }
}

#[test]
fn bench_w1_prints_json_with_every_field() {
    for backend in backends() {
        let output = mdn(&["bench", "W1", "--backend", backend, "--steps", "80"]);
        assert!(
            output.status.success(),
            "{backend}: {}",
            text(&output.stderr)
        );
        let report: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("one JSON object on stdout");
        assert_eq!(report["workload"], "W1");
        assert_eq!(report["backend"], backend);
        assert_eq!(report["exact"], false);
        assert!(!report["adapter"].as_str().unwrap_or("").is_empty());
        assert!(report["threads"].as_u64().unwrap_or(0) >= 1);
        assert_eq!(report["steps"], 80);
        assert_eq!(report["warmup_steps"], 50);
        assert_eq!(report["timed_steps"], 30);
        for stat in ["min", "median", "max"] {
            let ms = report["ms_per_step"][stat].as_f64().expect(stat);
            assert!(ms > 0.0, "{backend}: {stat} {ms}");
        }
        assert!(report["nll"].as_f64().is_some_and(f64::is_finite));
    }
}

#[test]
fn a_missing_file_is_one_line_and_status_1() {
    let output = mdn(&["paint", "no/such/photo.png"]);
    assert_user_error(&output, "cannot read no/such/photo.png");
}

#[test]
fn an_unreadable_image_is_one_line_and_status_1() {
    let dir = scratch("unreadable");
    let fake = dir.join("fake.png");
    std::fs::write(&fake, b"this is not a picture").expect("write");
    let output = mdn(&["paint", fake.to_str().expect("utf-8 path")]);
    assert_user_error(&output, "not an image in a supported format");
}

#[test]
fn bad_sizes_are_one_line_and_status_1() {
    let photo = images().join("chelsea.png");
    let photo = photo.to_str().expect("utf-8 path");
    let output = mdn(&["paint", photo, "--size", "4"]);
    assert_user_error(
        &output,
        "training size must be between 8 and 1024 px, not 4",
    );
    let output = mdn(&["paint", photo, "--components", "0"]);
    assert_user_error(&output, "--components must be between 1 and 32, not 0");
    let output = mdn(&["paint", photo, "--epochs", "0"]);
    assert_user_error(&output, "--epochs must be at least 1");
}

#[cfg(feature = "wgpu")]
#[test]
fn no_gpu_adapter_is_one_line_and_status_1() {
    // Vulkan's loader and EGL's vendor library find no driver, so wgpu
    // finds no adapter on any graphics API.
    let output = Command::new(MDN)
        .args(["toy", "--backend", "wgpu", "--steps", "1", "--out"])
        .arg(scratch("no-adapter").join("toy.png"))
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .env("__EGL_VENDOR_LIBRARY_FILENAMES", "/nonexistent/egl.json")
        .env("__EGL_VENDOR_LIBRARY_DIRS", "/nonexistent")
        .output()
        .expect("run mdn");
    assert_user_error(&output, "no usable GPU adapter for --backend wgpu");
}
