//! Instant and range selectors: lookback, staleness, `offset` and `@`.
//!
//! Instant selector: the latest sample at or before the reference time, no older than the lookback delta, unless
//! it is a staleness marker. Range selector: every non-stale sample in the window. Must not: change labels.

use promql_parser::parser::VectorSelector;

use super::EvalError;
use super::eval::{Evaluator, RangeArg};
use super::value::{Point, Sample, Series, is_stale_nan};

/// Evaluates an instant selector at `ts`. Samples carry `ts` as timestamp, or their own timestamp when
/// `sample_times` is set (what `timestamp()` needs).
pub(crate) fn instant(
    ev: &Evaluator<'_>,
    vs: &VectorSelector,
    ts: i64,
    sample_times: bool,
) -> Result<Vec<Sample>, EvalError> {
    let reference = ev.reference_time(&vs.at, &vs.offset, ts);
    let lookback = ev.opts.lookback_delta_ms;
    let mint = reference.saturating_sub(lookback);
    let views = ev
        .src
        .select(vs.name.as_deref(), &vs.matchers, mint, reference);
    let mut out = Vec::with_capacity(views.len());
    for view in views {
        let Some(last) = view.points.last() else {
            continue;
        };
        if ev.opts.left_open_ranges && last.t <= mint {
            continue;
        }
        if is_stale_nan(last.v) {
            continue;
        }
        out.push(Sample {
            labels: view.labels.clone(),
            t: if sample_times { last.t } else { ts },
            v: last.v,
        });
    }
    Ok(out)
}

/// Evaluates a range selector `vs[range]` at `ts`: series with at least one non-stale point in the window.
pub(crate) fn range(
    ev: &Evaluator<'_>,
    vs: &VectorSelector,
    range_ms: i64,
    ts: i64,
) -> Result<RangeArg, EvalError> {
    let end = ev.reference_time(&vs.at, &vs.offset, ts);
    let start = end.saturating_sub(range_ms);
    let views = ev.src.select(vs.name.as_deref(), &vs.matchers, start, end);
    let mut series = Vec::with_capacity(views.len());
    for view in views {
        let points: Vec<Point> = view
            .points
            .iter()
            .filter(|p| !(is_stale_nan(p.v) || (ev.opts.left_open_ranges && p.t <= start)))
            .copied()
            .collect();
        if !points.is_empty() {
            series.push(Series {
                labels: view.labels.clone(),
                points,
            });
        }
    }
    Ok(RangeArg {
        series,
        range_ms,
        end_ms: end,
    })
}
