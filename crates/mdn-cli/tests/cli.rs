//! The `mdn` binary end to end: `paint` on a real photo, `toy`, `bench W1`,
//! and every user error's message and exit status. Each training test runs
//! on the CPU backend and, with the `wgpu` feature, on wgpu (Mesa's
//! lavapipe on a machine without a GPU). Sizes and step counts are small:
//! these check behaviour, never speed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mdn_core::picture::{Picture, psnr};

#[path = "../../mdn-core/tests/common/floors.rs"]
mod floors;

const MDN: &str = env!("CARGO_BIN_EXE_mdn");

fn backends() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut backends = vec!["cpu"];
    #[cfg(feature = "wgpu")]
    backends.push("wgpu");
    backends
}

/// The repository's `tests/images`.
fn images() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/images")
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
    // Over seeds 0–39 on the CPU, from epoch 1 to 12 the PSNR rose by 3.7
    // to 16.8 dB.
    for (backend, seed) in backends().into_iter().flat_map(|b| {
        floors::floor_seeds(0)
            .into_iter()
            .map(move |seed| (b, seed))
    }) {
        let dir = scratch(&format!("paint-{backend}"));
        let seed_arg = seed.to_string();
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
            "--seed",
            &seed_arg,
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
        let what = format!("{backend} paint: PSNR after epoch 12 − after epoch 1");
        floors::above_floor(&what, seed, last - first, 1.0);
    }
}

#[test]
fn paint_writes_a_gif_with_one_captioned_frame_per_epoch() {
    use image::AnimationDecoder;
    let photo = images().join("coffee.png");
    let dir = scratch("paint-video");
    let video = dir.join("painting.gif");
    let output = mdn(&[
        "paint",
        photo.to_str().expect("utf-8 path"),
        "--size",
        "24",
        "--epochs",
        "3",
        "--out",
        dir.join("painted.png").to_str().expect("utf-8 path"),
        "--video",
        video.to_str().expect("utf-8 path"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("(3 frames)"));
    let file = std::io::BufReader::new(std::fs::File::open(&video).expect("the GIF"));
    let frames = image::codecs::gif::GifDecoder::new(file)
        .expect("a GIF")
        .into_frames()
        .collect_frames()
        .expect("its frames");
    assert_eq!(frames.len(), 3, "one frame per epoch");
    for frame in &frames {
        let buffer = frame.buffer();
        // 24 px scaled ×14 to 336 px, over a 24 px caption bar with text in it.
        assert_eq!(buffer.dimensions(), (336, 16 * 14 + 24));
        let caption_ink = (0..336)
            .flat_map(|x| (16 * 14..16 * 14 + 24).map(move |y| (x, y)))
            .filter(|&(x, y)| buffer.get_pixel(x, y).0[0] < 128)
            .count();
        assert!(
            caption_ink > 100,
            "the caption is drawn ({caption_ink} dark px)"
        );
    }
    // Another format is refused before training, and nothing is written.
    let webm = dir.join("painting.webm");
    let output = mdn(&[
        "paint",
        photo.to_str().expect("utf-8 path"),
        "--size",
        "24",
        "--video",
        webm.to_str().expect("utf-8 path"),
    ]);
    assert_user_error(&output, "--video writes an animated GIF: give a .gif file");
    assert!(!webm.exists());
}

#[test]
fn toy_writes_a_plot() {
    // What is checked is the drawing, not the training: a few steps (on
    // lavapipe each of the toy's steps takes about 165 ms of Mesa's
    // software shaders, so 200 had taken half a minute of the test).
    for backend in backends() {
        let dir = scratch(&format!("toy-{backend}"));
        let out = dir.join("toy.png");
        let output = mdn(&[
            "toy",
            "--backend",
            backend,
            "--steps",
            "20",
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

/// The coloured pixels (not white, grey or black: what the axes, grid and
/// labels are drawn in) among the rows `rows` of an RGB image `width` wide:
/// how many distinct colours and how many pixels.
fn coloured(width: u32, rgb: &[f32], rows: std::ops::Range<u32>) -> (usize, usize) {
    let row = 3 * width as usize;
    let mut colours: Vec<[u8; 3]> = rgb[rows.start as usize * row..rows.end as usize * row]
        .chunks_exact(3)
        .filter(|p| {
            p.iter().copied().fold(0.0, f32::max) - p.iter().copied().fold(1.0, f32::min) > 0.1
        })
        .map(|p| [p[0], p[1], p[2]].map(|v| (v * 255.0).round() as u8))
        .collect();
    let pixels = colours.len();
    colours.sort_unstable();
    colours.dedup();
    (colours.len(), pixels)
}

#[test]
fn toy_panels_draw_the_density_and_every_component_under_the_plot() {
    let toy = |backend: &str, out: &Path, panels: bool| {
        let mut args = vec![
            "toy",
            "--backend",
            backend,
            "--data",
            "bishop",
            "--steps",
            "100",
            "--out",
            out.to_str().expect("utf-8 path"),
        ];
        args.extend(panels.then_some("--panels"));
        let output = mdn(&args);
        assert!(
            output.status.success(),
            "{backend}: {}",
            text(&output.stderr)
        );
        let stdout = text(&output.stdout);
        assert!(
            stdout.contains("Bishop's inverse toy problem: 2500 points"),
            "{stdout}"
        );
        read_rgb(out)
    };
    let dir = scratch("toy-panels");
    // Without the panels (on the CPU only: what differs is the drawing).
    let (w, h, scatter) = toy("cpu", &dir.join("plain.png"), false);
    assert_eq!((w, h), (900, 600));
    let (_, scatter_pixels) = coloured(w, &scatter, 100..500);
    for backend in backends() {
        let (w, h, rgb) = toy(backend, &dir.join(format!("panels-{backend}.png")), true);
        assert_eq!((w, h), (900, 1100));
        // The density fills the plot with the colour ramp, where the
        // scatter has its points on white.
        let (ramp, pixels) = coloured(w, &rgb, 100..500);
        assert!(
            ramp > 300 && pixels > 250_000 && pixels > 3 * scatter_pixels,
            "{backend}: {ramp} colours, {pixels} coloured pixels with panels; {scatter_pixels} without"
        );
        // The π and μ panels: a colour per component, faded by its weight.
        for (panel, rows, least) in [("π", 600..800, 5_000), ("μ", 810..1040, 15_000)] {
            let (colours, pixels) = coloured(w, &rgb, rows);
            assert!(
                colours > 30 && pixels > least,
                "{backend}: the {panel} panel has {colours} colours in {pixels} coloured pixels"
            );
        }
    }
}

#[test]
fn toy_trains_on_the_points_of_a_csv_file() {
    let dir = scratch("toy-csv");
    let csv = dir.join("points.csv");
    let points: String = (0..300)
        .map(|i| {
            let x = i as f32 / 30.0;
            format!("{x}; {}\n", (2.0 * x).sin() + 0.1 * ((i * 7) % 11) as f32)
        })
        .collect();
    std::fs::write(&csv, format!("x; y\n{points}")).expect("write");
    let out = dir.join("toy.png");
    let output = mdn(&[
        "toy",
        "--data",
        csv.to_str().expect("utf-8 path"),
        "--components",
        "3",
        "--hidden-units",
        "8",
        "--steps",
        "100",
        "--panels",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        stdout.contains("points.csv: 300 points, K = 3, 8 hidden units"),
        "{stdout}"
    );
    assert!(stdout.contains("after 100 steps"), "{stdout}");
    let (w, h, _) = read_rgb(&out);
    assert_eq!((w, h), (900, 1100));
}

#[test]
fn bad_toy_data_and_sizes_are_one_line_and_status_1_and_write_nothing() {
    let dir = scratch("toy-bad");
    let out = dir.join("toy.png");
    let out = out.to_str().expect("utf-8 path");
    let five = "1,1\n2,2\n3,3\n4,4\n5,5\n";
    let cases = [
        (
            "x,y\n1,1\n2,oops\n3,3\n",
            "bad.csv: line 3: \"oops\" is not a number",
        ),
        (
            "1,1\n2,2\n",
            "too few points to train on: 2, at least 5 needed",
        ),
        (
            &format!("{five}6,NaN\n"),
            "line 6: NaN is not a finite number",
        ),
        (
            &format!("{five}6,6,6\n"),
            "line 6 has 3 values, not two (x and y)",
        ),
    ];
    for (contents, message) in cases {
        let csv = dir.join("bad.csv");
        std::fs::write(&csv, contents).expect("write");
        let output = mdn(&[
            "toy",
            "--data",
            csv.to_str().expect("utf-8 path"),
            "--out",
            out,
        ]);
        assert_user_error(&output, message);
    }
    for (args, message) in [
        (
            &["--data", "no/such/points.csv"][..],
            "--data no/such/points.csv is not inverse, forward or bishop, and no such file exists",
        ),
        (
            &["--data", "draw"],
            "--data draw: drawn points are the page's",
        ),
        (
            &["--components", "0"],
            "--components must be between 1 and 32, not 0",
        ),
        (
            &["--hidden-units", "200"],
            "--hidden-units must be between 4 and 128, not 200",
        ),
        (
            &["--hidden-units", "many"],
            "--hidden-units must be between 4 and 128, not many",
        ),
    ] {
        let mut all = vec!["toy", "--out", out];
        all.extend(args);
        assert_user_error(&mdn(&all), message);
    }
    assert!(!Path::new(out).exists(), "nothing is written");
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
        // Counted per step: no readback while training; kernel dispatches
        // on wgpu only.
        assert_eq!(report["per_step"]["readbacks"], 0.0, "{backend}");
        let dispatches = &report["per_step"]["dispatches"];
        match backend {
            "wgpu" => assert!(dispatches.as_f64().is_some_and(|d| d >= 1.0)),
            _ => assert!(dispatches.is_null(), "{backend}: {dispatches}"),
        }
    }
}

/// Threads must not change the maths: W1 and W5 trained on one thread and
/// on two reach the same NLL. The page's threaded module runs these same
/// kernels (mdn-core's `rayon` split, burn-flex and gemm over rayon's
/// pool). Not bit for bit: two blocks' weight gradients are added in
/// another order than one block's rows. Measured: W1 equal after 60
/// steps; W5 2e-7 apart (relative) after its first epoch of 16 steps,
/// then training amplifies the rounding (1e-3 after 2 epochs, 3e-2 after
/// 4), so W5 is compared after one. A lost or doubled block would be
/// off by far more at the first step.
#[test]
fn one_thread_and_two_train_to_the_same_nll() {
    for (workload, length) in [("W1", ["--steps", "60"]), ("W5", ["--epochs", "1"])] {
        let nll = |threads: &str| {
            let args = ["--threads", threads, "bench", workload, "--backend", "cpu"];
            let output = mdn(&[&args[..], &length[..]].concat());
            assert!(output.status.success(), "{}", text(&output.stderr));
            let report: serde_json::Value =
                serde_json::from_slice(&output.stdout).expect("one JSON object on stdout");
            assert_eq!(report["threads"], threads.parse::<u64>().expect("a count"));
            report["nll"].as_f64().expect("an NLL")
        };
        let (one, two) = (nll("1"), nll("2"));
        assert!(
            (one - two).abs() <= 1e-5 * one.abs().max(1.0),
            "{workload}: NLL {one} on one thread, {two} on two"
        );
    }
}

/// 2 × 2 box averages of an RGB image `width` wide (even sides).
fn box_downscale(width: u32, height: u32, rgb: &[f32]) -> Vec<f32> {
    let (w, h) = (width as usize, height as usize);
    let mut out = Vec::with_capacity(w * h * 3 / 4);
    for y in (0..h).step_by(2) {
        for x in (0..w).step_by(2) {
            for c in 0..3 {
                let at = |dx: usize, dy: usize| rgb[((y + dy) * w + x + dx) * 3 + c];
                out.push((at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4.0);
            }
        }
    }
    out
}

#[test]
fn paint_saves_a_model_that_resumes_training_and_renders_at_twice_the_size() {
    let photo = images().join("chelsea.png");
    let bytes = std::fs::read(&photo).expect("chelsea.png");
    let target = Picture::decode(&bytes, 32).expect("decodes");
    let dir = scratch("paint-model");
    let path = |name: &str| dir.join(name).to_str().expect("utf-8 path").to_string();
    let output = mdn(&[
        "paint",
        photo.to_str().expect("utf-8 path"),
        "--size",
        "32",
        "--epochs",
        "4",
        "--out",
        &path("first.png"),
        "--save",
        &path("model.mdn"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains(&format!("saved the model to {}", path("model.mdn"))),
        "{}",
        text(&output.stdout)
    );

    // Twice the training size, the training picture's aspect kept.
    let output = mdn(&[
        "render",
        &path("model.mdn"),
        "--size",
        "64",
        "--out",
        &path("big.png"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (w, h, big) = read_rgb(Path::new(&path("big.png")));
    assert_eq!((w, h), (2 * target.width, 2 * target.height));
    let (_, _, first) = read_rgb(Path::new(&path("first.png")));
    let repainted = psnr(&target.rgb, &first);
    let rendered = psnr(&target.rgb, &box_downscale(w, h, &big));
    assert!(
        (rendered - repainted).abs() < 1.0,
        "the render at 2× downscaled: {rendered:.2} dB; the repaint: {repainted:.2} dB"
    );

    // Resumed: no photo needed, training goes on from epoch 4.
    let output = mdn(&[
        "paint",
        "--resume",
        &path("model.mdn"),
        "--epochs",
        "2",
        "--out",
        &path("resumed.png"),
        "--save",
        &path("model.mdn"),
    ]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(stdout.contains("after 4 epochs"), "{stdout}");
    assert!(stdout.contains("after 6 epochs"), "{stdout}");
    let (w, h, _) = read_rgb(Path::new(&path("resumed.png")));
    assert_eq!((w, h), (target.width, target.height));
    let output = mdn(&["render", &path("model.mdn"), "--out", &path("again.png")]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("for 6 epochs"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn toy_saves_a_model_that_resumes_training() {
    let dir = scratch("toy-model");
    let path = |name: &str| dir.join(name).to_str().expect("utf-8 path").to_string();
    let output = mdn(&[
        "toy",
        "--data",
        "bishop",
        "--steps",
        "150",
        "--out",
        &path("toy.png"),
        "--save",
        &path("toy.mdn"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = mdn(&[
        "toy",
        "--resume",
        &path("toy.mdn"),
        "--steps",
        "50",
        "--out",
        &path("more.png"),
    ]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(stdout.contains("resuming"), "{stdout}");
    assert!(
        stdout.contains("Bishop's inverse toy problem: 2500 points"),
        "{stdout}"
    );
    assert!(stdout.contains("after 200 steps"), "{stdout}");
}

#[test]
fn bad_model_files_are_one_line_and_status_1() {
    let dir = scratch("bad-model");
    let path = |name: &str| dir.join(name).to_str().expect("utf-8 path").to_string();
    let picture = images().join("chelsea.png");
    let renamed = path("chelsea.mdn");
    std::fs::copy(&picture, &renamed).expect("copy");
    assert_user_error(
        &mdn(&["paint", "--resume", &renamed, "--out", &path("out.png")]),
        "chelsea.mdn: this is not an MDN model file (it looks like a PNG image)",
    );
    assert_user_error(
        &mdn(&["render", &renamed, "--out", &path("out.png")]),
        "this is not an MDN model file",
    );
    assert_user_error(
        &mdn(&["toy", "--resume", "no/such/model.mdn"]),
        "cannot read no/such/model.mdn",
    );
    let output = mdn(&[
        "toy",
        "--steps",
        "10",
        "--out",
        &path("toy.png"),
        "--save",
        &path("toy.mdn"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_user_error(
        &mdn(&["render", &path("toy.mdn"), "--out", &path("out.png")]),
        "toy.mdn: this file holds a toy model, not a painting",
    );
    let toy = std::fs::read(path("toy.mdn")).expect("read");
    std::fs::write(path("cut.mdn"), &toy[..toy.len() / 2]).expect("write");
    assert_user_error(
        &mdn(&[
            "toy",
            "--resume",
            &path("cut.mdn"),
            "--out",
            &path("out.png"),
        ]),
        "cut.mdn: the model file is damaged: its contents do not match its checksum",
    );
    assert!(!Path::new(&path("out.png")).exists(), "nothing is written");
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
