//! What a run measures and what its measurements are called: the streaming
//! [`Recorder`] of one run, and the metric vocabulary ([`Metric`], the `summary.csv`
//! row, checks and the verdict's order) that every report file, check, ranking, table
//! and chart is derived from.

mod check;
mod metric;
mod recorder;

pub use check::{Check, CheckError, CheckOp, Rank};
pub use metric::{Direction, Metric, SummaryRow};
pub use recorder::{Counts, Recorder, SourceCounts, WindowCounts};
