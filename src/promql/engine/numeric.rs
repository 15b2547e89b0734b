//! Float helpers with Go's semantics, shared by functions and aggregations: Kahan-Neumaier summation, Go's
//! `math.Max`/`math.Min` (NaN wins), the quantile of a sample list, and Go's `strconv.FormatFloat(v, 'f', -1)`.
//!
//! Must not: know about labels or expressions.

/// One step of Kahan-Neumaier summation: returns the new sum and compensation.
pub(crate) fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if sum.abs() >= inc.abs() {
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

/// Go's `math.Max`: +Inf if either is +Inf, NaN if either is NaN, +0 beats -0.
pub(crate) fn go_max(a: f64, b: f64) -> f64 {
    if a == f64::INFINITY || b == f64::INFINITY {
        return f64::INFINITY;
    }
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && b == 0.0 {
        return if a.is_sign_negative() { b } else { a };
    }
    if a > b { a } else { b }
}

/// Go's `math.Min`: -Inf if either is -Inf, NaN if either is NaN, -0 beats +0.
pub(crate) fn go_min(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY || b == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    if a == 0.0 && b == 0.0 {
        return if a.is_sign_negative() { a } else { b };
    }
    if a < b { a } else { b }
}

/// Sorts ascending with NaN first, as Prometheus' `vectorByValueHeap` orders values for quantiles.
pub(crate) fn sort_nan_first(values: &mut [f64]) {
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
    });
}

/// The φ-quantile of `values` with linear interpolation between closest ranks (Prometheus `quantile`).
/// Empty input or NaN φ gives NaN; φ < 0 gives -Inf and φ > 1 gives +Inf.
pub(crate) fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    sort_nan_first(values);
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = go_max(0.0, rank.floor());
    let upper = go_min(n - 1.0, lower + 1.0);
    let weight = rank - rank.floor();
    values[lower as usize] * (1.0 - weight) + values[upper as usize] * weight
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`: shortest round-trip digits, no exponent; `+Inf`, `-Inf`, `NaN`.
pub(crate) fn format_go_f(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v == f64::INFINITY {
        "+Inf".to_string()
    } else if v == f64::NEG_INFINITY {
        "-Inf".to_string()
    } else {
        // Rust's Display prints the shortest round-trip digits without an exponent, as Go's 'f', -1 does.
        format!("{v}")
    }
}

/// Go's `float64 -> int64` conversion on amd64: truncation, with NaN and out-of-range values giving `i64::MIN`.
pub(crate) fn go_f64_to_i64(v: f64) -> i64 {
    if fits_i64(v) { v as i64 } else { i64::MIN }
}

/// Whether truncating `v` gives a valid `i64` (Prometheus' `convertibleToInt64`, NaN excluded).
pub(crate) fn fits_i64(v: f64) -> bool {
    (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_min_max_nan_and_zero() {
        assert!(go_max(1.0, f64::NAN).is_nan());
        assert_eq!(go_max(f64::NAN, f64::INFINITY), f64::INFINITY);
        assert!(go_max(-0.0, 0.0).is_sign_positive());
        assert!(go_min(-0.0, 0.0).is_sign_negative());
        assert_eq!(go_min(f64::NAN, f64::NEG_INFINITY), f64::NEG_INFINITY);
    }

    #[test]
    fn format_like_go() {
        assert_eq!(format_go_f(1.0), "1");
        assert_eq!(format_go_f(1e21), "1000000000000000000000");
        assert_eq!(format_go_f(0.1), "0.1");
        assert_eq!(format_go_f(-0.0), "-0");
        assert_eq!(format_go_f(f64::INFINITY), "+Inf");
    }

    #[test]
    fn quantile_interpolates() {
        assert_eq!(quantile(0.5, &mut [3.0, 1.0, 2.0, 4.0]), 2.5);
        assert!(quantile(0.5, &mut []).is_nan());
        assert_eq!(quantile(-1.0, &mut [1.0]), f64::NEG_INFINITY);
    }
}
