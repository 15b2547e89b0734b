//! `*_over_time` aggregations over a range (`avg sum min max count last first present quantile stddev stdvar`) and
//! `changes`, `resets`. Same arithmetic as Prometheus 2.42 (Kahan sums, NaN handling of min/max).
//! See <https://prometheus.io/docs/prometheus/2.42/querying/functions/#aggregation_over_time>.
//!
//! Must not: see staleness markers (the range selector removed them) or empty ranges (the driver skips them).

use super::super::EvalError;
use super::super::numeric::{kahan_inc, quantile as quantile_of};
use super::super::value::Point;
use super::RangeCtx;

type Out = Result<Option<f64>, EvalError>;

pub(crate) fn avg(p: &[Point], _: &RangeCtx) -> Out {
    let (mut mean, mut count, mut c) = (0.0f64, 0.0f64, 0.0f64);
    for pt in p {
        count += 1.0;
        if mean.is_infinite() {
            if pt.v.is_infinite() && (mean > 0.0) == (pt.v > 0.0) {
                continue;
            }
            if !pt.v.is_infinite() && !pt.v.is_nan() {
                continue;
            }
        }
        (mean, c) = kahan_inc(pt.v / count - mean / count, mean, c);
    }
    Ok(Some(if mean.is_infinite() { mean } else { mean + c }))
}

pub(crate) fn sum(p: &[Point], _: &RangeCtx) -> Out {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for pt in p {
        (s, c) = kahan_inc(pt.v, s, c);
    }
    Ok(Some(if s.is_infinite() { s } else { s + c }))
}

pub(crate) fn min(p: &[Point], _: &RangeCtx) -> Out {
    let mut m = p[0].v;
    for pt in p {
        if pt.v < m || m.is_nan() {
            m = pt.v;
        }
    }
    Ok(Some(m))
}

pub(crate) fn max(p: &[Point], _: &RangeCtx) -> Out {
    let mut m = p[0].v;
    for pt in p {
        if pt.v > m || m.is_nan() {
            m = pt.v;
        }
    }
    Ok(Some(m))
}

pub(crate) fn count(p: &[Point], _: &RangeCtx) -> Out {
    Ok(Some(p.len() as f64))
}

pub(crate) fn last(p: &[Point], _: &RangeCtx) -> Out {
    Ok(p.last().map(|pt| pt.v))
}

pub(crate) fn first(p: &[Point], _: &RangeCtx) -> Out {
    Ok(p.first().map(|pt| pt.v))
}

pub(crate) fn present(_: &[Point], _: &RangeCtx) -> Out {
    Ok(Some(1.0))
}

pub(crate) fn quantile(p: &[Point], c: &RangeCtx) -> Out {
    let q = c.params.first().copied().unwrap_or(f64::NAN);
    let mut values: Vec<f64> = p.iter().map(|pt| pt.v).collect();
    Ok(Some(quantile_of(q, &mut values)))
}

/// Welford's running variance with Kahan-compensated mean and sum of squares (population variance).
fn variance(p: &[Point]) -> f64 {
    let (mut count, mut mean, mut c_mean, mut aux, mut c_aux) =
        (0.0f64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for pt in p {
        count += 1.0;
        let delta = pt.v - (mean + c_mean);
        (mean, c_mean) = kahan_inc(delta / count, mean, c_mean);
        (aux, c_aux) = kahan_inc(delta * (pt.v - (mean + c_mean)), aux, c_aux);
    }
    (aux + c_aux) / count
}

pub(crate) fn stddev(p: &[Point], _: &RangeCtx) -> Out {
    Ok(Some(variance(p).sqrt()))
}

pub(crate) fn stdvar(p: &[Point], _: &RangeCtx) -> Out {
    Ok(Some(variance(p)))
}

/// Number of times the value changed (NaN to NaN is no change).
pub(crate) fn changes(p: &[Point], _: &RangeCtx) -> Out {
    let mut n = 0u64;
    for w in p.windows(2) {
        let (prev, cur) = (w[0].v, w[1].v);
        if cur != prev && !(cur.is_nan() && prev.is_nan()) {
            n += 1;
        }
    }
    Ok(Some(n as f64))
}

/// Number of decreases (counter resets).
pub(crate) fn resets(p: &[Point], _: &RangeCtx) -> Out {
    Ok(Some(p.windows(2).filter(|w| w[1].v < w[0].v).count() as f64))
}
