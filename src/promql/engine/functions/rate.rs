//! `rate`, `increase`, `delta` (extrapolated, counter-reset aware for the first two) and `irate`, `idelta` (last two
//! samples). Matches Prometheus 2.42 `extrapolatedRate` and `instantValue`; see
//! <https://prometheus.io/docs/prometheus/2.42/querying/functions/#rate>.
//!
//! Must not: look outside the points handed in (the range was already cut by the selector).

use super::super::EvalError;
use super::super::value::Point;
use super::RangeCtx;

pub(crate) fn rate(p: &[Point], c: &RangeCtx) -> Result<Option<f64>, EvalError> {
    Ok(extrapolated(p, c, true, true))
}

pub(crate) fn increase(p: &[Point], c: &RangeCtx) -> Result<Option<f64>, EvalError> {
    Ok(extrapolated(p, c, true, false))
}

pub(crate) fn delta(p: &[Point], c: &RangeCtx) -> Result<Option<f64>, EvalError> {
    Ok(extrapolated(p, c, false, false))
}

pub(crate) fn irate(p: &[Point], _: &RangeCtx) -> Result<Option<f64>, EvalError> {
    Ok(instant(p, true))
}

pub(crate) fn idelta(p: &[Point], _: &RangeCtx) -> Result<Option<f64>, EvalError> {
    Ok(instant(p, false))
}

/// The increase over the sampled interval, extrapolated towards the range boundaries when the first/last sample is
/// close to them (within 1.1 average sample intervals), never below a counter's zero point.
pub(crate) fn extrapolated(
    points: &[Point],
    c: &RangeCtx,
    is_counter: bool,
    is_rate: bool,
) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let first = points[0];
    let last = points[points.len() - 1];
    let range_start = c.end_ms - c.range_ms;
    let range_end = c.end_ms;
    let mut result = last.v - first.v;
    if is_counter {
        let mut prev = 0.0;
        for p in points {
            if p.v < prev {
                result += prev;
            }
            prev = p.v;
        }
    }
    let mut duration_to_start = (first.t - range_start) as f64 / 1000.0;
    let duration_to_end = (range_end - last.t) as f64 / 1000.0;
    let sampled = (last.t - first.t) as f64 / 1000.0;
    let avg_between = sampled / (points.len() - 1) as f64;
    if is_counter && result > 0.0 && first.v >= 0.0 {
        let duration_to_zero = sampled * (first.v / result);
        if duration_to_zero < duration_to_start {
            duration_to_start = duration_to_zero;
        }
    }
    let threshold = avg_between * 1.1;
    let mut extrapolate_to = sampled;
    extrapolate_to += if duration_to_start < threshold {
        duration_to_start
    } else {
        avg_between / 2.0
    };
    extrapolate_to += if duration_to_end < threshold {
        duration_to_end
    } else {
        avg_between / 2.0
    };
    let mut factor = extrapolate_to / sampled;
    if is_rate {
        factor /= c.range_ms as f64 / 1000.0;
    }
    Some(result * factor)
}

/// The difference (or per-second rate, reset-aware) between the last two samples.
pub(crate) fn instant(points: &[Point], is_rate: bool) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let last = points[points.len() - 1];
    let prev = points[points.len() - 2];
    let mut result = if is_rate && last.v < prev.v {
        last.v
    } else {
        last.v - prev.v
    };
    let interval = last.t - prev.t;
    if interval == 0 {
        return None;
    }
    if is_rate {
        result /= interval as f64 / 1000.0;
    }
    Some(result)
}
