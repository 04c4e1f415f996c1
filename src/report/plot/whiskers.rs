//! Comparison charts: one metric, a row per configuration, its mean across replications
//! as a dot with the 95% confidence interval as whiskers, and the baseline's mean as a
//! vertical reference line.

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use super::{Drawing, PlotData, color, padded, shorten, tick, tick_in};
use crate::metrics::Metric;

/// One configuration's row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WhiskerRow {
    pub name: String,
    pub color: RGBColor,
    pub mean: f64,
    /// The 95% interval, when there are several replications.
    pub ci: Option<(f64, f64)>,
    /// Its difference from the baseline is significant.
    pub significant: bool,
}

/// A comparison chart of one metric.
#[derive(Debug, Clone)]
pub(crate) struct Whiskers {
    pub title: String,
    pub caption: String,
    pub x_desc: String,
    pub rows: Vec<WhiskerRow>,
    pub baseline: usize,
    /// The bounds of the scenario's checks on this metric, as written (`<= 300`).
    pub thresholds: Vec<(f64, String)>,
}

/// The comparison chart of `metric`; none when every configuration has the same mean
/// and no spread (nothing to compare; the report's table still shows the value).
pub(crate) fn comparison(data: &PlotData<'_>, metric: Metric) -> Option<Whiskers> {
    let rows: Vec<WhiskerRow> = data
        .names
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let r = data
                .aggregate
                .iter()
                .find(|r| r.variant == *name && r.metric == metric)?;
            Some(WhiskerRow {
                name: name.clone(),
                color: color(i),
                mean: r.mean,
                ci: r.ci95_low.zip(r.ci95_high),
                significant: r.significant,
            })
        })
        .collect();
    let first = rows.first().map_or(0.0, |r| r.mean);
    let all_same = rows
        .iter()
        .all(|r| r.mean == first && r.ci.is_none_or(|(lo, hi)| lo == hi));
    // One configuration compares with nothing (the report's table has its interval).
    if rows.len() < 2 || rows.len() != data.names.len() || all_same {
        return None;
    }
    let thresholds: Vec<(f64, String)> = data
        .checks
        .iter()
        .filter(|c| c.metric == metric)
        .map(|c| {
            let op = c.text.split_whitespace().nth(1).unwrap_or("");
            (c.value, format!("{op} {}", tick(c.value)))
        })
        .collect();
    let label = metric.title();
    let checks = if thresholds.is_empty() {
        String::new()
    } else {
        let written: Vec<String> = data
            .checks
            .iter()
            .filter(|c| c.metric == metric)
            .map(|c| format!("`{}`", c.text))
            .collect();
        format!(" The red line is the check {}.", written.join(" and "))
    };
    Some(Whiskers {
        title: format!("{}, by configuration", capitalised(&label)),
        caption: format!(
            "`{metric}`: each configuration's mean across replications (dot) with its 95% confidence interval (whiskers); the grey line is the baseline's mean. A filled dot marks a difference from the baseline that is significant (its paired 95% interval excludes 0); the baseline's own dot is a ring.{checks}"
        ),
        x_desc: label,
        rows,
        baseline: data.baseline,
        thresholds,
    })
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

impl Drawing for Whiskers {
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
        let n = self.rows.len();
        let (lo, hi) = self
            .rows
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
                let (a, b) = r.ci.unwrap_or((r.mean, r.mean));
                (lo.min(a).min(r.mean), hi.max(b).max(r.mean))
            });
        // A threshold within reach of the data is shown; one far off would squash it.
        let span = (hi - lo).max(hi.abs() * 0.05).max(1e-9);
        let (lo, hi) = self
            .thresholds
            .iter()
            .filter(|(t, _)| *t >= lo - 2.0 * span && *t <= hi + 2.0 * span)
            .fold((lo, hi), |(lo, hi), (t, _)| (lo.min(*t), hi.max(*t)));
        let x = padded(lo, hi, false);
        let x_range = x.clone();
        let names: Vec<String> = self.rows.iter().map(|r| shorten(&r.name, 56)).collect();
        let longest = names.iter().map(|s| s.chars().count()).max().unwrap_or(4);
        // The first configuration at the top.
        let row_y = |i: usize| SegmentValue::CenterOf(n - 1 - i);
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size((longest as u32 * 7 + 20).clamp(60, 420))
            // plotters' integer ranges include their end: n rows are 0..n-1.
            .build_cartesian_2d(x, (0..n.saturating_sub(1)).into_segmented())?;
        chart
            .configure_mesh()
            .x_desc(&self.x_desc)
            .axis_desc_style(("sans-serif", 15))
            .label_style(("sans-serif", 13))
            .x_label_formatter(&|v| tick_in(*v, &x_range))
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) if *i < n => names[n - 1 - i].clone(),
                _ => String::new(),
            })
            .light_line_style(WHITE)
            .bold_line_style(BLACK.mix(0.08))
            .draw()?;
        if let Some(base) = self.rows.get(self.baseline) {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![
                    (base.mean, SegmentValue::Exact(0)),
                    (base.mean, SegmentValue::Last),
                ],
                BLACK.mix(0.35).stroke_width(1),
            )))?;
        }
        let red = RGBColor(0xc6, 0x28, 0x28);
        for (t, text) in &self.thresholds {
            if !x_range.contains(t) {
                continue;
            }
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(*t, SegmentValue::Exact(0)), (*t, SegmentValue::Last)],
                red.stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("check {text}"),
                (*t, SegmentValue::Last),
                ("sans-serif", 13).into_font().color(&red),
            )))?;
        }
        for (i, r) in self.rows.iter().enumerate() {
            if let Some((lo, hi)) = r.ci {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(lo, row_y(i)), (hi, row_y(i))],
                    r.color.stroke_width(3),
                )))?;
            }
            let style = if r.significant && i != self.baseline {
                r.color.filled()
            } else {
                r.color.stroke_width(2)
            };
            chart.draw_series(std::iter::once(Circle::new((r.mean, row_y(i)), 6, style)))?;
        }
        Ok(())
    }
}
