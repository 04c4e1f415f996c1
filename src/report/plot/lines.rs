//! Line charts: hit rate and backend load over time (each configuration's mean across
//! replications with its 95% confidence band) and the staleness CDF.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{Drawing, PlotData, color, padded, shorten, tick, tick_in};
use crate::report::{TimeseriesRow, mean_ci};

/// One configuration's line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub name: String,
    pub color: RGBColor,
    /// `(x, y)`, x increasing.
    pub points: Vec<(f64, f64)>,
    /// `(x, low, high)`: the 95% band; empty with a single replication.
    pub band: Vec<(f64, f64, f64)>,
}

/// A chart of lines over a shared x axis, with a legend beside it.
#[derive(Debug, Clone)]
pub(crate) struct LineChart {
    pub title: String,
    pub caption: String,
    pub x_desc: String,
    pub y_desc: String,
    pub lines: Vec<Line>,
    /// Start the y axis at 0.
    pub y_from_zero: bool,
    /// Cap the y axis (e.g. 1 for a fraction).
    pub y_cap: Option<f64>,
}

/// Per configuration, per window: the mean of `value` across replications and its 95%
/// interval, `(window start, mean, low, high)`; windows where no replication has a value
/// are left out.
pub(crate) fn bands(
    series: &[TimeseriesRow],
    name: &str,
    value: impl Fn(&TimeseriesRow) -> Option<f64>,
) -> Vec<(f64, f64, f64, f64)> {
    let mut by_window: Vec<(f64, Vec<f64>)> = Vec::new();
    for row in series.iter().filter(|r| r.variant == name) {
        let Some(v) = value(row) else { continue };
        match by_window.iter_mut().find(|(t, _)| *t == row.window_start_s) {
            Some((_, xs)) => xs.push(v),
            None => by_window.push((row.window_start_s, vec![v])),
        }
    }
    by_window.sort_by(|a, b| a.0.total_cmp(&b.0));
    by_window
        .into_iter()
        .map(|(t, xs)| {
            let (mean, _, ci) = mean_ci(&xs);
            let (lo, hi) = ci.unwrap_or((mean, mean));
            (t, mean, lo, hi)
        })
        .collect()
}

/// Minutes for runs over 20 minutes, else seconds.
fn time_axis(data: &PlotData<'_>) -> (f64, &'static str) {
    if data.duration_s > 1_200.0 {
        (60.0, "time after warm-up (min)")
    } else {
        (1.0, "time after warm-up (s)")
    }
}

fn over_time(
    data: &PlotData<'_>,
    value: impl Fn(&TimeseriesRow) -> Option<f64>,
) -> (Vec<Line>, &'static str) {
    let (unit, desc) = time_axis(data);
    let lines = data
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let b = bands(data.series, name, &value);
            let replications: std::collections::BTreeSet<u32> = data
                .series
                .iter()
                .filter(|r| r.variant == *name)
                .map(|r| r.replication)
                .collect();
            let several = replications.len() > 1;
            Line {
                name: name.clone(),
                color: color(i),
                points: b.iter().map(|&(t, m, _, _)| (t / unit, m)).collect(),
                band: if several {
                    b.iter().map(|&(t, _, lo, hi)| (t / unit, lo, hi)).collect()
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    (lines, desc)
}

/// Hit rate per window over time.
pub(crate) fn hit_rate(data: &PlotData<'_>) -> LineChart {
    let (lines, x_desc) = over_time(data, |r| {
        let n = r.cache_hits + r.cache_misses;
        (n > 0).then(|| r.cache_hits as f64 / n as f64)
    });
    LineChart {
        title: "Cache hit rate over time".into(),
        caption: format!(
            "Hits / (hits + misses) in each {}-second window, as CloudWatch's CacheHitCount and CacheMissCount count them: the mean across replications, with its 95% confidence band when there are several. Configurations that behave alike draw over each other (the later one on top).",
            tick(data.window_s)
        ),
        x_desc: x_desc.into(),
        y_desc: "hit rate".into(),
        lines,
        y_from_zero: false,
        y_cap: Some(1.0),
    }
}

/// Backend requests per second over time.
pub(crate) fn backend_load(data: &PlotData<'_>) -> LineChart {
    let w = data.window_s;
    let (lines, x_desc) = over_time(data, |r| Some(r.backend_requests as f64 / w));
    LineChart {
        title: "Backend load over time".into(),
        caption: format!(
            "Requests reaching the backend per second, averaged over each {}-second window (backend_rps_peak in the table is the busiest single second): the mean across replications, with its 95% confidence band. Configurations that behave alike draw over each other (the later one on top).",
            tick(w)
        ),
        x_desc: x_desc.into(),
        y_desc: "backend requests/s".into(),
        lines,
        y_from_zero: true,
        y_cap: None,
    }
}

/// Error responses (5xx and 429) per second over time; none when no window has one.
pub(crate) fn errors(data: &PlotData<'_>) -> Option<LineChart> {
    if data
        .series
        .iter()
        .all(|r| r.errors_5xx == 0 && r.throttled_429 == 0)
    {
        return None;
    }
    let w = data.window_s;
    let (lines, x_desc) = over_time(data, |r| Some((r.errors_5xx + r.throttled_429) as f64 / w));
    Some(LineChart {
        title: "Error responses over time".into(),
        caption: format!(
            "Responses per second that were not a success, by when their request arrived, averaged over each {}-second window: 5xx (backend errors, cached errors served, 504 timeouts, a backend's refusals at its limit) and 429 (throttled); 403s are in the table. The mean across replications, with its 95% confidence band. Configurations that behave alike draw over each other (the later one on top).",
            tick(w)
        ),
        x_desc: x_desc.into(),
        y_desc: "error responses/s".into(),
        lines,
        y_from_zero: true,
        y_cap: None,
    })
}

/// The staleness of stale responses as a CDF: at each quantile, the mean across
/// replications of that quantile (replications without stale responses left out).
pub(crate) fn staleness_cdf(data: &PlotData<'_>) -> LineChart {
    let lines = data
        .names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut by_q: Vec<(f64, Vec<f64>)> = Vec::new();
            let mut stale = Vec::new();
            for r in data.staleness.iter().filter(|r| r.variant == *name) {
                if r.quantile == 0.0 {
                    stale.push(r.stale_responses as f64);
                }
                match by_q.iter_mut().find(|(q, _)| *q == r.quantile) {
                    Some((_, xs)) => xs.push(r.staleness_ms),
                    None => by_q.push((r.quantile, vec![r.staleness_ms])),
                }
            }
            by_q.sort_by(|a, b| a.0.total_cmp(&b.0));
            let label = if stale.is_empty() {
                format!("{name} (nothing stale)")
            } else {
                let mean = stale.iter().sum::<f64>() / stale.len() as f64;
                format!("{name} ({} stale)", tick(mean))
            };
            Line {
                name: label,
                color: color(i),
                points: by_q
                    .into_iter()
                    .map(|(q, xs)| (xs.iter().sum::<f64>() / xs.len() as f64 / 1_000.0, q))
                    .collect(),
                band: Vec::new(),
            }
        })
        .collect();
    LineChart {
        title: "Staleness of stale responses (CDF)".into(),
        caption: "For responses served after their data had changed: the fraction (y) that were at most x seconds behind the first change they missed. Quantiles are averaged across replications; the legend gives the mean number of stale responses per replication.".into(),
        x_desc: "staleness (s)".into(),
        y_desc: "fraction of stale responses".into(),
        lines,
        y_from_zero: true,
        y_cap: Some(1.0),
    }
}

/// Width of the legend beside the plot, in pixels.
const LEGEND: u32 = 360;

impl Drawing for LineChart {
    fn title(&self) -> &str {
        &self.title
    }

    fn caption(&self) -> &str {
        &self.caption
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        area.fill(&WHITE)?;
        let (w, _) = area.dim_in_pixel();
        let (plot, legend) = area.split_horizontally(w.saturating_sub(LEGEND));
        let xs = self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
        let (x_lo, x_hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        let ys = self.lines.iter().flat_map(|l| {
            l.points
                .iter()
                .map(|p| p.1)
                .chain(l.band.iter().flat_map(|b| [b.1, b.2]))
        });
        let (y_lo, y_hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
            (lo.min(y), hi.max(y))
        });
        let empty = !x_lo.is_finite();
        let x = if empty {
            0.0..1.0
        } else {
            let r = padded(x_lo, x_hi, true);
            x_lo.min(r.start)..r.end
        };
        let mut y = if empty {
            0.0..1.0
        } else {
            padded(y_lo, y_hi, self.y_from_zero)
        };
        if let Some(cap) = self.y_cap {
            y.end = y.end.min(cap * 1.02);
            y.start = y.start.max(0.0).min(y.end - 1e-9);
        }
        let (x_range, y_range) = (x.clone(), y.clone());
        let mut chart = ChartBuilder::on(&plot)
            .caption(&self.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(x, y)?;
        chart
            .configure_mesh()
            .x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .axis_desc_style(("sans-serif", 15))
            .label_style(("sans-serif", 13))
            .x_label_formatter(&|v| tick_in(*v, &x_range))
            .y_label_formatter(&|v| tick_in(*v, &y_range))
            .light_line_style(WHITE)
            .bold_line_style(BLACK.mix(0.08))
            .draw()?;
        for line in &self.lines {
            if line.band.len() > 1 {
                let upper = line.band.iter().map(|&(x, _, hi)| (x, hi));
                let lower = line.band.iter().rev().map(|&(x, lo, _)| (x, lo));
                chart.draw_series(std::iter::once(Polygon::new(
                    upper.chain(lower).collect::<Vec<_>>(),
                    line.color.mix(0.18).filled(),
                )))?;
            }
        }
        for line in &self.lines {
            if line.points.len() == 1 {
                chart.draw_series(std::iter::once(Circle::new(
                    line.points[0],
                    3,
                    line.color.filled(),
                )))?;
            } else {
                chart.draw_series(std::iter::once(PathElement::new(
                    line.points.clone(),
                    line.color.stroke_width(2),
                )))?;
            }
        }
        if empty {
            plot.draw(&Text::new(
                "no data",
                (w.saturating_sub(LEGEND) as i32 / 2 - 30, 240),
                ("sans-serif", 18).into_font().color(&BLACK.mix(0.6)),
            ))?;
        }
        let step = (440 / self.lines.len().max(1) as i32).clamp(8, 22);
        for (i, line) in self.lines.iter().enumerate() {
            let y = 60 + step * i as i32;
            legend.draw(&PathElement::new(
                vec![(8, y), (34, y)],
                line.color.stroke_width(3),
            ))?;
            legend.draw(&Text::new(
                shorten(&line.name, 48),
                (42, y - 8),
                ("sans-serif", 13).into_font(),
            ))?;
        }
        Ok(())
    }
}
