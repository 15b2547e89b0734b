//! Trend functions: `deriv`, `predict_linear` (least-squares regression with Kahan sums) and `holt_winters`
//! (Prometheus 3 calls it `double_exponential_smoothing`; promql-parser only knows that name).
//! See <https://prometheus.io/docs/prometheus/2.42/querying/functions/#deriv>.
//!
//! Must not: reorder the arithmetic (the regression is compared bit for bit with Prometheus).

use super::super::EvalError;
use super::super::numeric::kahan_inc;
use super::super::value::Point;
use super::RangeCtx;

/// Slope and intercept (at `intercept_time`, ms) of the least-squares line through the points.
pub(crate) fn linear_regression(points: &[Point], intercept_time: i64) -> (f64, f64) {
    let (mut n, mut sum_x, mut c_x, mut sum_y, mut c_y) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut sum_xy, mut c_xy, mut sum_x2, mut c_x2) = (0.0, 0.0, 0.0, 0.0);
    let init_y = points[0].v;
    let mut const_y = true;
    for (i, p) in points.iter().enumerate() {
        if const_y && i > 0 && p.v != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = (p.t - intercept_time) as f64 / 1e3;
        (sum_x, c_x) = kahan_inc(x, sum_x, c_x);
        (sum_y, c_y) = kahan_inc(p.v, sum_y, c_y);
        (sum_xy, c_xy) = kahan_inc(x * p.v, sum_xy, c_xy);
        (sum_x2, c_x2) = kahan_inc(x * x, sum_x2, c_x2);
    }
    if const_y {
        if init_y.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init_y);
    }
    let (sum_x, sum_y, sum_xy, sum_x2) = (sum_x + c_x, sum_y + c_y, sum_xy + c_xy, sum_x2 + c_x2);
    let cov_xy = sum_xy - sum_x * sum_y / n;
    let var_x = sum_x2 - sum_x * sum_x / n;
    let slope = cov_xy / var_x;
    let intercept = sum_y / n - slope * sum_x / n;
    (slope, intercept)
}

pub(crate) fn deriv(p: &[Point], _: &RangeCtx) -> Result<Option<f64>, EvalError> {
    if p.len() < 2 {
        return Ok(None);
    }
    Ok(Some(linear_regression(p, p[0].t).0))
}

pub(crate) fn predict_linear(p: &[Point], c: &RangeCtx) -> Result<Option<f64>, EvalError> {
    if p.len() < 2 {
        return Ok(None);
    }
    let duration = c.params.first().copied().unwrap_or(0.0);
    let (slope, intercept) = linear_regression(p, c.ts);
    Ok(Some(slope * duration + intercept))
}

pub(crate) fn holt_winters(p: &[Point], c: &RangeCtx) -> Result<Option<f64>, EvalError> {
    let sf = c.params.first().copied().unwrap_or(f64::NAN);
    let tf = c.params.get(1).copied().unwrap_or(f64::NAN);
    if sf <= 0.0 || sf >= 1.0 {
        return Err(EvalError::InvalidArgument(format!(
            "invalid smoothing factor. Expected: 0 < sf < 1, got: {sf:.6}"
        )));
    }
    if tf <= 0.0 || tf >= 1.0 {
        return Err(EvalError::InvalidArgument(format!(
            "invalid trend factor. Expected: 0 < tf < 1, got: {tf:.6}"
        )));
    }
    if p.len() < 2 {
        return Ok(None);
    }
    let mut s0 = 0.0;
    let mut s1 = p[0].v;
    let mut b = p[1].v - p[0].v;
    for (i, pt) in p.iter().enumerate().skip(1) {
        let x = sf * pt.v;
        b = if i == 1 {
            b
        } else {
            tf * (s1 - s0) + (1.0 - tf) * b
        };
        let y = (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
    }
    Ok(Some(s1))
}
