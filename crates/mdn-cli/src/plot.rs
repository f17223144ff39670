//! The toy's PNG: the data, the MDN's samples and the least-squares fit;
//! with panels, as in Bishop's PRML fig. 5.21, also the density p(y | x)
//! behind them, the conditional mode, and under the plot, on the same x
//! axis, each component's weight π_k(x) and mean μ_k(x) ± σ_k(x).

use std::ops::Range;
use std::path::Path;

use anyhow::{Context, anyhow};
use mdn_core::data::{ToyData, ToySet};
use mdn_core::toy::{SAMPLES_PER_X, ToySnapshot};
use plotters::chart::SeriesAnno;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf32;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::{FontStyle, register_font};

/// Width of either picture, pixels.
const WIDTH: u32 = 900;
/// Height of the scatter plot alone, pixels.
const HEIGHT: u32 = 600;
/// Height with the panels, pixels.
const PANELS_HEIGHT: u32 = 1100;
/// Height of the density plot within the panels, pixels.
const MAIN_HEIGHT: u32 = 590;
/// Height of the π panel, pixels (the μ panel takes the rest).
const PI_HEIGHT: u32 = 215;
/// Width of the strip right of every panel (the density's colour bar),
/// pixels.
const STRIP: u32 = 86;
/// Width of the y axis' labels, the same on every panel so that they share
/// the x axis.
const Y_LABELS: u32 = 64;
/// The density's colour ramp spans this many nats below its maximum.
const DENSITY_RANGE: f32 = 8.0;

/// The data's colour in the scatter plot.
const GREY: RGBColor = RGBColor(170, 170, 170);
/// The samples' colour in the scatter plot.
const BLUE: RGBColor = RGBColor(31, 119, 180);
/// The least-squares fit's colour.
const RED: RGBColor = RGBColor(214, 39, 40);
/// The conditional mode's colour.
const ORANGE: RGBColor = RGBColor(255, 140, 0);

type Chart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf32, RangedCoordf32>>;
type Area<'b> = DrawingArea<BitMapBackend<'b>, Shift>;
type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// A toy's plot: its points and what the models predict.
pub struct Plot<'a> {
    /// What the data is, for the title.
    pub title: &'a str,
    /// The training points.
    pub data: &'a ToyData,
    /// The models' predictions.
    pub snapshot: &'a ToySnapshot,
}

/// A built-in set's name in a title.
pub fn set_title(set: ToySet) -> &'static str {
    match set {
        ToySet::Inverse => "Sinusoid inversion",
        ToySet::Forward => "Forward sinusoid",
        ToySet::Bishop => "Bishop's inverse toy problem",
    }
}

impl Plot<'_> {
    /// Draws the plot into a PNG at `path`: 900 × 600 px, or with `panels`
    /// 900 × 1100 px.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write(&self, path: &Path, panels: bool) -> anyhow::Result<()> {
        // Text is drawn with an embedded font: no system font libraries needed.
        register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| anyhow!("the embedded font is unreadable"))?;
        let height = if panels { PANELS_HEIGHT } else { HEIGHT };
        let mut buffer = vec![0u8; (WIDTH * height * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buffer, (WIDTH, height)).into_drawing_area();
            let drawn = if panels {
                self.panels(&root)
            } else {
                self.scatter(&root)
            };
            drawn
                .and_then(|()| Ok(root.present()?))
                .map_err(|e| anyhow!("cannot draw the plot: {e}"))?;
        }
        image::RgbImage::from_raw(WIDTH, height, buffer)
            .context("the plot buffer has the wrong size")?
            .save_with_format(path, image::ImageFormat::Png)
            .with_context(|| format!("cannot write {}", path.display()))
    }

    fn caption(&self) -> String {
        format!(
            "{}: {} steps, MDN NLL {:.3}",
            self.title, self.snapshot.step, self.snapshot.nll
        )
    }

    /// The x and y ranges of the plot.
    fn ranges(&self) -> (Range<f32>, Range<f32>) {
        let b = self.snapshot.bounds;
        (b.x0..b.x1, b.y0..b.y1)
    }

    /// The data (grey), `SAMPLES_PER_X` mixture samples per grid x (blue)
    /// and the least-squares fit (red).
    fn scatter(&self, root: &Area) -> DrawResult {
        root.fill(&WHITE)?;
        let (xs, ys) = self.ranges();
        let mut chart = ChartBuilder::on(root)
            .caption(self.caption(), ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(48)
            .build_cartesian_2d(xs, ys)?;
        chart
            .configure_mesh()
            .x_desc("x")
            .y_desc("y")
            .label_style(("sans-serif", 14))
            .light_line_style(WHITE)
            .draw()?;
        self.data_points(&mut chart, GREY.filled(), 2)?;
        self.samples(&mut chart, BLUE.filled(), 2)?;
        self.least_squares(&mut chart)?;
        legend(&mut chart)
    }

    /// The density plot over the π and μ panels, one x axis.
    fn panels(&self, root: &Area) -> DrawResult {
        root.fill(&WHITE)?;
        let (main, rest) = root.split_vertically(MAIN_HEIGHT);
        let (pi_panel, mu_panel) = rest.split_vertically(PI_HEIGHT);
        let (main, strip) = main.split_horizontally(WIDTH - STRIP);
        let (xs, ys) = self.ranges();
        let s = self.snapshot;

        let mut chart = ChartBuilder::on(&main)
            .caption(self.caption(), ("sans-serif", 22))
            .margin_top(12)
            .margin_left(12)
            .x_label_area_size(10)
            .y_label_area_size(Y_LABELS)
            .build_cartesian_2d(xs.clone(), ys.clone())?;
        mesh(&mut chart, "y", false)?;
        let pixels = chart.plotting_area().get_pixel_range();
        let top = self.density(root, pixels.clone())?;
        self.data_points(&mut chart, WHITE.mix(0.8).filled(), 1)?;
        self.samples(&mut chart, BLACK.mix(0.55).filled(), 1)?;
        self.least_squares(&mut chart)?;
        let mode = s.grid_x.iter().zip(&s.mode);
        chart
            .draw_series(
                mode.filter(|(_, y)| ys.contains(y))
                    .map(|(&x, &y)| Circle::new((x, y), 2, ORANGE.filled())),
            )?
            .label("conditional mode")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, ORANGE.filled()));
        legend(&mut chart)?;
        colour_bar(root, strip.get_pixel_range().0.start + 10, pixels.1, top)?;

        let k = components(s);
        let colours = component_colours(s, k);
        let mut pi_chart = ChartBuilder::on(&pi_panel)
            .margin_top(8)
            .margin_left(12)
            .x_label_area_size(10)
            .y_label_area_size(Y_LABELS)
            .margin_right(STRIP)
            .build_cartesian_2d(xs.clone(), 0f32..1.02f32)?;
        mesh(&mut pi_chart, "weight πₖ(x)", false)?;
        for &(c, colour) in &colours {
            let line = s
                .grid_x
                .iter()
                .enumerate()
                .map(|(g, &x)| (x, s.components.pi[g * k + c]));
            pi_chart.draw_series(LineSeries::new(line, colour.stroke_width(2)))?;
        }

        let mut mu_chart = ChartBuilder::on(&mu_panel)
            .margin_top(8)
            .margin_left(12)
            .margin_bottom(8)
            .x_label_area_size(40)
            .y_label_area_size(Y_LABELS)
            .margin_right(STRIP)
            .build_cartesian_2d(xs, ys.clone())?;
        mesh(&mut mu_chart, "mean μₖ(x) ± σₖ(x)", true)?;
        self.data_points(&mut mu_chart, RGBAColor(0, 0, 0, 0.12).filled(), 1)?;
        self.component_means(root, &mut mu_chart, &colours)?;
        Ok(())
    }

    /// The training points, one circle of `radius` px each.
    fn data_points<'a, 'b: 'a>(
        &self,
        chart: &mut Chart<'a, 'b>,
        style: ShapeStyle,
        radius: u32,
    ) -> DrawResult {
        let points = self.data.x.iter().zip(&self.data.y);
        chart
            .draw_series(points.map(|(&x, &y)| Circle::new((x, y), radius, style)))?
            .label("data")
            .legend(move |(x, y)| marker((x, y), style));
        Ok(())
    }

    /// `SAMPLES_PER_X` mixture samples at each grid x (those inside the plot).
    fn samples<'a, 'b: 'a>(
        &self,
        chart: &mut Chart<'a, 'b>,
        style: ShapeStyle,
        radius: u32,
    ) -> DrawResult {
        let s = self.snapshot;
        let ys = self.ranges().1;
        let samples = s.grid_x.iter().enumerate().flat_map(|(i, &gx)| {
            s.samples[i * SAMPLES_PER_X..][..SAMPLES_PER_X]
                .iter()
                .map(move |&y| (gx, y))
        });
        chart
            .draw_series(
                samples
                    .filter(|(_, y)| ys.contains(y))
                    .map(|p| Circle::new(p, radius, style)),
            )?
            .label(format!("MDN: {SAMPLES_PER_X} samples per x"))
            .legend(move |(x, y)| marker((x, y), style));
        Ok(())
    }

    /// The least-squares fit, a red line (where there is one).
    fn least_squares(&self, chart: &mut Chart) -> DrawResult {
        let s = self.snapshot;
        if s.mse_y.is_empty() {
            return Ok(());
        }
        let line = s.grid_x.iter().zip(&s.mse_y).map(|(&x, &y)| (x, y));
        draw_runs(chart, line, RED.stroke_width(3))?
            .label("least squares")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(3)));
        Ok(())
    }

    /// The density p(y | x) as a heat map over the plot's `pixels` (x and
    /// y ranges in `root`): log density, bilinear between the grid's
    /// points, on the viridis ramp over [max − 8, max] nats. Returns the
    /// max.
    fn density(
        &self,
        root: &Area,
        (columns, rows): (Range<i32>, Range<i32>),
    ) -> Result<f32, Box<dyn std::error::Error>> {
        let s = self.snapshot;
        let top = s
            .log_density
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(f32::NEG_INFINITY, f32::max);
        let (g_count, h_count) = (s.grid_x.len(), s.grid_y.len());
        if !top.is_finite() || s.log_density.len() != g_count * h_count || g_count.min(h_count) < 2
        {
            return Ok(0.0);
        }
        let at = |g: usize, h: usize| s.log_density[g * h_count + h];
        // The grids span the plot's bounds, which span the pixels.
        for py in rows.clone() {
            let fy = (1.0 - fraction(py, &rows)) * (h_count - 1) as f32;
            let h = (fy.floor() as usize).min(h_count - 2);
            let ty = fy - h as f32;
            for px in columns.clone() {
                let fx = fraction(px, &columns) * (g_count - 1) as f32;
                let g = (fx.floor() as usize).min(g_count - 2);
                let tx = fx - g as f32;
                let value = (1.0 - tx) * ((1.0 - ty) * at(g, h) + ty * at(g, h + 1))
                    + tx * ((1.0 - ty) * at(g + 1, h) + ty * at(g + 1, h + 1));
                root.draw_pixel((px, py), &ViridisRGB::get_color(shade(value, top)))?;
            }
        }
        Ok(top)
    }

    /// Each component's mean μ_k(x) and a ±σ_k(x) band, both fading with
    /// the component's weight π_k(x), in its colour of the π panel. The
    /// bands are drawn one pixel column at a time into `root`, so that
    /// neighbouring pieces never overlap, then the means over them.
    fn component_means(
        &self,
        root: &Area,
        chart: &mut Chart,
        colours: &[(usize, RGBColor)],
    ) -> DrawResult {
        let s = self.snapshot;
        let ys = self.ranges().1;
        let c = &s.components;
        let (k, g_count) = (colours.len(), s.grid_x.len());
        if g_count < 2 || c.pi.len() != g_count * k {
            return Ok(());
        }
        let (columns, rows) = chart.plotting_area().get_pixel_range();
        let row = |y: f32| {
            let y = y.clamp(ys.start, ys.end);
            chart
                .backend_coord(&(s.grid_x[0], y))
                .1
                .clamp(rows.start, rows.end - 1)
        };
        for &(comp, colour) in colours {
            for px in columns.clone() {
                let fx = fraction(px, &columns) * (g_count - 1) as f32;
                let g = (fx.floor() as usize).min(g_count - 2);
                let t = fx - g as f32;
                let lerp = |v: &[f32]| (1.0 - t) * v[g * k + comp] + t * v[(g + 1) * k + comp];
                let weight = opacity(lerp(&c.pi));
                let (lo, hi) = (lerp(&c.mu) - lerp(&c.sigma), lerp(&c.mu) + lerp(&c.sigma));
                if weight < 0.02 || lo > ys.end || hi < ys.start {
                    continue;
                }
                root.draw(&Rectangle::new(
                    [(px, row(hi)), (px + 1, row(lo))],
                    colour.mix(0.18 * f64::from(weight)).filled(),
                ))?;
            }
        }
        for &(comp, colour) in colours {
            for g in 0..g_count - 1 {
                let (a, b) = (g * k + comp, (g + 1) * k + comp);
                let weight = opacity(0.5 * (c.pi[a] + c.pi[b]));
                if weight < 0.02 || !(ys.contains(&c.mu[a]) && ys.contains(&c.mu[b])) {
                    continue;
                }
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(s.grid_x[g], c.mu[a]), (s.grid_x[g + 1], c.mu[b])],
                    colour.mix(f64::from(weight)).stroke_width(2),
                )))?;
            }
        }
        Ok(())
    }
}

/// Where pixel `i` lies along `span`, 0 at its first pixel to 1 at its last.
fn fraction(i: i32, span: &Range<i32>) -> f32 {
    (i - span.start) as f32 / (span.end - span.start - 1).max(1) as f32
}

/// The mesh of a panel: y axis described by `y_desc`, x labels only on the
/// `bottom` panel.
fn mesh(chart: &mut Chart, y_desc: &str, bottom: bool) -> DrawResult {
    let mut mesh = chart.configure_mesh();
    mesh.y_desc(y_desc)
        .y_labels(8)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(WHITE);
    if bottom {
        mesh.x_desc("x");
    } else {
        mesh.x_label_formatter(&|_| String::new());
    }
    mesh.draw()?;
    Ok(())
}

/// A legend's dot in `style` at `at`, outlined so that a white one shows.
fn marker<'a, DB: DrawingBackend + 'a>(
    at: (i32, i32),
    style: ShapeStyle,
) -> impl IntoDynElement<'a, DB, (i32, i32)> {
    let outline = BLACK.mix(0.6).stroke_width(1);
    EmptyElement::at((at.0 + 10, at.1))
        + Circle::new((0, 0), 3, style)
        + Circle::new((0, 0), 3, outline)
}

/// The legend of the series labelled so far, upper left.
fn legend<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>) -> DrawResult {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    Ok(())
}

/// The density's colour bar right of the plot, at `left` (pixels), along
/// the plot's `rows`: the viridis ramp from `top` − 8 nats to `top`,
/// labelled.
fn colour_bar(root: &Area, left: i32, rows: Range<i32>, top: f32) -> DrawResult {
    let (bar, span) = (left..left + 16, (rows.end - rows.start).max(1));
    for row in rows.clone() {
        let t = 1.0 - (row - rows.start) as f32 / span as f32;
        let colour = ViridisRGB::get_color(t);
        root.draw(&Rectangle::new(
            [(bar.start, row), (bar.end, row + 1)],
            colour.filled(),
        ))?;
    }
    let font = ("sans-serif", 13).into_font().color(&BLACK);
    for step in 0..=4 {
        let value = top - DENSITY_RANGE * step as f32 / 4.0;
        let row = rows.start + span * step / 4;
        root.draw(&PathElement::new(
            vec![(bar.end, row), (bar.end + 4, row)],
            BLACK,
        ))?;
        root.draw(&Text::new(
            format!("{value:.1}"),
            (bar.end + 6, row - 7),
            font.clone(),
        ))?;
    }
    root.draw(&Text::new(
        "log p(y|x)".to_string(),
        (left - 8, rows.start - 28),
        font,
    ))?;
    Ok(())
}

/// Draws a polyline's runs of points inside the plot's y range (what
/// leaves the plot is left out rather than drawn over the axes).
fn draw_runs<'c, 'a, 'b>(
    chart: &'c mut Chart<'a, 'b>,
    points: impl Iterator<Item = (f32, f32)>,
    style: ShapeStyle,
) -> Result<&'c mut SeriesAnno<'a, BitMapBackend<'b>>, Box<dyn std::error::Error>> {
    let ys = chart.y_range();
    let mut runs: Vec<Vec<(f32, f32)>> = vec![vec![]];
    for (x, y) in points {
        match runs.last_mut() {
            Some(run) if ys.contains(&y) => run.push((x, y)),
            _ => runs.push(vec![]),
        }
    }
    Ok(chart.draw_series(
        runs.into_iter()
            .filter(|run| run.len() > 1)
            .map(move |run| PathElement::new(run, style)),
    )?)
}

/// Where `log_density` falls on the colour ramp, 0 (`top` − 8 nats or less)
/// to 1 (`top`).
fn shade(log_density: f32, top: f32) -> f32 {
    if log_density.is_finite() {
        ((log_density - top + DENSITY_RANGE) / DENSITY_RANGE).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// How opaque a component of weight `pi` is drawn: √π, so that a branch
/// shared by a few components stays visible while dead ones fade out.
fn opacity(pi: f32) -> f32 {
    pi.clamp(0.0, 1.0).sqrt()
}

/// The snapshot's number of components K.
fn components(s: &ToySnapshot) -> usize {
    s.components.pi.len() / s.grid_x.len().max(1)
}

/// Ten well-separated colours (matplotlib's tab10, with indigo for its
/// grey, which the faint data would hide), then their light variants
/// (tab20's and tab20b's).
const PALETTE: [RGBColor; 20] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(57, 59, 121),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(174, 199, 232),
    RGBColor(255, 187, 120),
    RGBColor(152, 223, 138),
    RGBColor(255, 152, 150),
    RGBColor(197, 176, 213),
    RGBColor(196, 156, 148),
    RGBColor(247, 182, 210),
    RGBColor(156, 158, 222),
    RGBColor(219, 219, 141),
    RGBColor(158, 218, 229),
];

/// Each of the `k` components with its colour, the same in both panels,
/// in drawing order: the palette's colours go to the components in the
/// order of their largest weight over x, so that those that matter get the
/// most distinct ones (any past the palette's twenty, all but dead, a light
/// grey), and are drawn last, on top.
fn component_colours(s: &ToySnapshot, k: usize) -> Vec<(usize, RGBColor)> {
    let peak = |c: usize| {
        (0..s.grid_x.len())
            .map(|g| s.components.pi[g * k + c])
            .fold(0.0f32, f32::max)
    };
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| peak(b).total_cmp(&peak(a)));
    let colours = order.into_iter().enumerate().map(|(rank, c)| {
        let colour = PALETTE.get(rank).copied();
        (c, colour.unwrap_or(RGBColor(210, 210, 210)))
    });
    let mut colours: Vec<_> = colours.collect();
    colours.reverse();
    colours
}
