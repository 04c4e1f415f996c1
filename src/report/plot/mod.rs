//! The report's plots: each chart is a plain description (`LineChart`, `Whiskers`)
//! drawn with plotters as SVG (inlined in `report.html`), then rasterised to PNG by
//! resvg, so the two files show the same picture. The PNG's text uses the bundled
//! DejaVu Sans (`assets/fonts`, Bitstream Vera licence), so nothing needs installing;
//! the SVG names `sans-serif` and the browser picks its own.
//! (plotters' own bitmap backend was tried first: its ab_glyph text drops each glyph's
//! side bearing, which spaces letters unevenly.)

mod lines;
mod whiskers;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{AggregateRow, StalenessRow, TimeseriesRow};

use lines::{backend_load, errors, hit_rate, staleness_cdf};
use whiskers::comparison;

/// One chart, drawn.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File stem under `plots/`, e.g. `hit-rate`.
    pub stem: String,
    /// Its title.
    pub title: String,
    /// One or two sentences on how to read it.
    pub caption: String,
    /// The SVG text.
    pub svg: String,
    /// The PNG bytes; none when built without the `png` feature.
    pub png: Option<Vec<u8>>,
}

/// What the charts are drawn from.
pub struct PlotData<'a> {
    /// Configuration names, in order.
    pub names: &'a [String],
    /// Index of the baseline in `names`.
    pub baseline: usize,
    /// Window length in seconds.
    pub window_s: f64,
    /// Measured length in seconds.
    pub duration_s: f64,
    /// Every configuration's time series.
    pub series: &'a [TimeseriesRow],
    /// Every configuration's staleness distributions.
    pub staleness: &'a [StalenessRow],
    /// `aggregate.csv`'s rows.
    pub aggregate: &'a [AggregateRow],
    /// The metrics to compare configuration by configuration.
    pub compare: &'a [crate::metrics::Metric],
    /// The scenario's checks, drawn as threshold lines on their metric's chart.
    pub checks: &'a [crate::metrics::Check],
}

/// Every chart of a report: hit rate and backend load over time, the staleness CDF,
/// error responses over time when there were any, and a comparison chart per metric of
/// `data.compare` that is not zero everywhere. The SVGs are drawn in turn, then
/// rasterised in parallel (on the current rayon pool: most of a report's time).
pub fn charts(data: &PlotData<'_>) -> anyhow::Result<Vec<Chart>> {
    let mut out = vec![
        render("hit-rate", &hit_rate(data))?,
        render("backend-load", &backend_load(data))?,
        render("staleness-cdf", &staleness_cdf(data))?,
    ];
    if let Some(chart) = errors(data) {
        out.push(render("errors", &chart)?);
    }
    for metric in data.compare {
        if let Some(w) = comparison(data, *metric) {
            out.push(render(&format!("compare-{metric}"), &w)?);
        }
    }
    use rayon::prelude::*;
    out.par_iter_mut().try_for_each(|chart| {
        chart.png =
            rasterise(&chart.svg).map_err(|e| anyhow::anyhow!("drawing {}: {e}", chart.stem))?;
        anyhow::Ok(())
    })?;
    Ok(out)
}

/// Chart size in pixels.
const SIZE: (u32, u32) = (1000, 520);

/// Something drawable on any plotters backend.
pub(crate) trait Drawing {
    fn title(&self) -> &str;
    fn caption(&self) -> &str;
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>;
}

fn render(stem: &str, chart: &impl Drawing) -> anyhow::Result<Chart> {
    let fail = |e: String| anyhow::anyhow!("drawing {stem}: {e}");
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        chart.draw(&root).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    Ok(Chart {
        stem: stem.to_owned(),
        title: chart.title().to_owned(),
        caption: chart.caption().to_owned(),
        svg,
        png: None,
    })
}

/// The bundled font, for the PNGs' text.
#[cfg(feature = "png")]
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// No PNG without the `png` feature: the report links the SVG alone.
#[cfg(not(feature = "png"))]
fn rasterise(_svg: &str) -> Result<Option<Vec<u8>>, String> {
    Ok(None)
}

/// The PNG of an SVG, with the bundled font standing in for every family.
#[cfg(feature = "png")]
fn rasterise(svg: &str) -> Result<Option<Vec<u8>>, String> {
    use resvg::{tiny_skia, usvg};
    // The font is parsed once for every chart.
    static OPTIONS: std::sync::LazyLock<usvg::Options<'static>> = std::sync::LazyLock::new(|| {
        let mut options = usvg::Options::default();
        let fonts = options.fontdb_mut();
        fonts.load_font_data(FONT.to_vec());
        fonts.set_sans_serif_family("DejaVu Sans");
        options.font_family = "DejaVu Sans".into();
        options
    });
    let tree = usvg::Tree::from_str(svg, &OPTIONS).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| "the chart has no area".to_owned())?;
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().map(Some).map_err(|e| e.to_string())
}

/// Tableau 10: distinct, colour-blind-aware hues; repeats after ten configurations.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xED, 0xC9, 0x48),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0xBA, 0xB0, 0xAC),
];

/// The colour of configuration `i` in every chart.
pub(crate) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// `name`, cut to `max` characters by an ellipsis in the middle (sweep names differ at
/// both ends: `ttl=60,size=0.5` vs `ttl=3600,size=6.1`).
fn shorten(name: &str, max: usize) -> String {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= max {
        return name.to_owned();
    }
    let keep = max.saturating_sub(1);
    let head = keep / 2;
    let tail = keep - head;
    let mut s: String = chars[..head].iter().collect();
    s.push('…');
    s.extend(&chars[chars.len() - tail..]);
    s
}

/// A padded axis range around `lo..hi` (never empty).
fn padded(lo: f64, hi: f64, from_zero: bool) -> std::ops::Range<f64> {
    let lo = if from_zero { lo.min(0.0) } else { lo };
    let span = hi - lo;
    if !span.is_finite() || span <= 0.0 {
        let pad = if hi.abs() > 0.0 { hi.abs() * 0.1 } else { 1.0 };
        return (lo - pad)..(hi + pad);
    }
    let pad = span * 0.06;
    let lo = if from_zero && lo >= 0.0 { lo } else { lo - pad };
    lo..(hi + pad)
}

/// A tick label for an axis over `range`: as short as [`tick`], with as many decimals
/// as ticks about a tenth of the range apart need to read differently (no `209, 209,
/// 210` on a narrow range, no `120k` eight times).
fn tick_in(v: f64, range: &std::ops::Range<f64>) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let widest = range.start.abs().max(range.end.abs());
    let (scale, unit) = if widest >= 1e6 {
        (1e6, "M")
    } else if widest >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let step = (range.end - range.start).abs() / 10.0 / scale;
    let decimals = if step > 0.0 && step.is_finite() {
        (-step.log10()).ceil().clamp(0.0, 6.0) as usize
    } else {
        0
    };
    let text = format!("{:.*}", decimals, v / scale);
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    format!("{text}{unit}")
}

/// A short, readable tick label.
fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .into()
    } else {
        format!("{v:.4}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .into()
    }
}

#[cfg(test)]
mod tests;
