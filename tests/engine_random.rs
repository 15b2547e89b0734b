//! Seeded random comparison of the engine's range functions with naive reference implementations.
//!
//! Series have irregular spacing, gaps, counter resets and edge values (NaN, ±Inf, -0.0, staleness markers). The
//! references below select the window themselves (closed `[t - range, t]`, markers dropped) and compute each
//! function from its documented definition in the plainest way; results must agree within 1e-9 relative, with NaN
//! and infinities matching exactly.

use tocsin::promql::engine::{
    Engine, EngineOptions, Labels, STALE_NAN, Storage, Value, is_stale_nan,
};

/// splitmix64: small, seeded, good enough to spread cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A counter-like series with resets, gaps and edge values.
fn random_series(rng: &mut Rng) -> Vec<(i64, f64)> {
    let mut out = Vec::new();
    let mut t = rng.below(60_000) as i64;
    let mut v = (rng.below(100) as f64) - 10.0;
    let n = 5 + rng.below(60);
    for _ in 0..n {
        let x = match rng.below(100) {
            0..=3 => f64::NAN,
            4..=5 => f64::INFINITY,
            6..=7 => f64::NEG_INFINITY,
            8..=10 => -0.0,
            11..=15 => STALE_NAN,
            16..=22 => {
                v = rng.below(5) as f64; // counter reset
                v
            }
            _ => {
                v += (rng.below(1000) as f64) / 10.0;
                v
            }
        };
        out.push((t, x));
        let spread = if rng.chance(10) { 400_000 } else { 60_000 };
        t += 1_000 + rng.below(spread) as i64;
    }
    out
}

/// The non-stale points in `[ts - range, ts]`, or `(ts - range, ts]` with left-open ranges.
fn window(series: &[(i64, f64)], ts: i64, range: i64, left_open: bool) -> Vec<(i64, f64)> {
    series
        .iter()
        .copied()
        .filter(|&(t, v)| {
            (t > ts - range || (!left_open && t == ts - range)) && t <= ts && !is_stale_nan(v)
        })
        .collect()
}

/// The instant-selector value: the latest sample within the 5m lookback, unless it is a staleness marker.
fn naive_instant(series: &[(i64, f64)], ts: i64, left_open: bool) -> Option<f64> {
    let lookback = 300_000;
    let last = series
        .iter()
        .rev()
        .find(|&&(t, _)| t <= ts && (t > ts - lookback || (!left_open && t == ts - lookback)))?;
    if is_stale_nan(last.1) {
        None
    } else {
        Some(last.1)
    }
}

fn naive_increase(
    w: &[(i64, f64)],
    ts: i64,
    range: i64,
    counter: bool,
    per_second: bool,
) -> Option<f64> {
    if w.len() < 2 {
        return None;
    }
    let (t0, v0) = w[0];
    let (tn, vn) = w[w.len() - 1];
    let mut raw = vn - v0;
    if counter {
        // Every decrease is a reset: the value before it was lost and is added back.
        for i in 0..w.len() {
            let before = if i == 0 { 0.0 } else { w[i - 1].1 };
            if w[i].1 < before {
                raw += before;
            }
        }
    }
    let secs = |ms: i64| ms as f64 / 1000.0;
    let covered = secs(tn - t0);
    let gap = covered / (w.len() - 1) as f64;
    let mut to_start = secs(t0 - (ts - range));
    let to_end = secs(ts - tn);
    if counter && raw > 0.0 && v0 >= 0.0 {
        to_start = to_start.min(covered * (v0 / raw));
    }
    let stretch = |d: f64| if d < gap * 1.1 { d } else { gap / 2.0 };
    let extended = covered + stretch(to_start) + stretch(to_end);
    let mut out = raw * (extended / covered);
    if per_second {
        out /= secs(range);
    }
    Some(out)
}

fn naive_last_two(w: &[(i64, f64)], per_second: bool) -> Option<f64> {
    if w.len() < 2 {
        return None;
    }
    let (tp, vp) = w[w.len() - 2];
    let (tl, vl) = w[w.len() - 1];
    if tl == tp {
        return None;
    }
    let d = if per_second && vl < vp { vl } else { vl - vp };
    Some(if per_second {
        d / ((tl - tp) as f64 / 1000.0)
    } else {
        d
    })
}

fn naive_quantile(q: f64, mut xs: Vec<f64>) -> f64 {
    if xs.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    xs.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.partial_cmp(b).unwrap(),
    });
    let rank = q * (xs.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(xs.len() - 1);
    let w = rank - rank.floor();
    xs[lo] * (1.0 - w) + xs[hi] * w
}

/// Prometheus' min/max over time: the first value, replaced by any greater (smaller) one, and NaN never sticks
/// once a number is seen after it.
fn naive_extreme(xs: &[f64], greater: bool) -> f64 {
    let mut m = xs[0];
    for &x in xs {
        if m.is_nan() || (greater && x > m) || (!greater && x < m) {
            m = x;
        }
    }
    m
}

/// Least-squares slope and value at `at_ms` (seconds as x), from centred sums; `None` if any value is not finite.
fn naive_regression(w: &[(i64, f64)], at_ms: i64, horizon_s: f64) -> Option<(f64, f64)> {
    if w.len() < 2 || w.iter().any(|p| !p.1.is_finite()) {
        return None;
    }
    let n = w.len() as f64;
    let xs: Vec<f64> = w.iter().map(|p| (p.0 - at_ms) as f64 / 1000.0).collect();
    let mx = xs.iter().sum::<f64>() / n;
    let my = w.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = xs.iter().zip(w).map(|(x, p)| (x - mx) * (p.1 - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    if w.iter().all(|p| p.1 == w[0].1) {
        return Some((0.0, w[0].1));
    }
    let slope = sxy / sxx;
    Some((slope, my - slope * mx + slope * horizon_s))
}

fn naive_variance(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n
}

fn naive(func: &str, w: &[(i64, f64)], ts: i64, range: i64) -> Option<f64> {
    if w.is_empty() {
        return None;
    }
    let xs: Vec<f64> = w.iter().map(|p| p.1).collect();
    match func {
        "rate" => naive_increase(w, ts, range, true, true),
        "increase" => naive_increase(w, ts, range, true, false),
        "delta" => naive_increase(w, ts, range, false, false),
        "irate" => naive_last_two(w, true),
        "idelta" => naive_last_two(w, false),
        "resets" => Some(xs.windows(2).filter(|p| p[1] < p[0]).count() as f64),
        "changes" => Some(
            xs.windows(2)
                .filter(|p| p[1] != p[0] && !(p[0].is_nan() && p[1].is_nan()))
                .count() as f64,
        ),
        "count_over_time" => Some(xs.len() as f64),
        "present_over_time" => Some(1.0),
        "last_over_time" => xs.last().copied(),
        "sum_over_time" => Some(xs.iter().sum()),
        "avg_over_time" => Some(xs.iter().sum::<f64>() / xs.len() as f64),
        "min_over_time" => Some(naive_extreme(&xs, false)),
        "max_over_time" => Some(naive_extreme(&xs, true)),
        "stdvar_over_time" => Some(naive_variance(&xs)),
        "stddev_over_time" => Some(naive_variance(&xs).sqrt()),
        "quantile_over_time" => Some(naive_quantile(0.7, xs)),
        "deriv" => naive_regression(w, w[0].0, 0.0).map(|r| r.0),
        "predict_linear" => naive_regression(w, ts, 600.0).map(|r| r.1),
        _ => unreachable!("no reference for {func}"),
    }
}

fn close(want: f64, got: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if want.is_infinite() || got.is_infinite() {
        return want == got;
    }
    want == got || (want - got).abs() <= 1e-9 * want.abs().max(got.abs()).max(1e-300)
}

/// Whether a reference that sums in another order may legitimately differ (overflow or cancellation of ±Inf).
fn order_sensitive(func: &str, xs: &[f64]) -> bool {
    matches!(
        func,
        "sum_over_time" | "avg_over_time" | "stdvar_over_time" | "stddev_over_time"
    ) && xs.iter().any(|x| x.is_infinite() || x.is_nan())
}

#[test]
fn range_functions_match_naive_references() {
    let funcs = [
        "rate",
        "increase",
        "delta",
        "irate",
        "idelta",
        "resets",
        "changes",
        "count_over_time",
        "present_over_time",
        "last_over_time",
        "sum_over_time",
        "avg_over_time",
        "min_over_time",
        "max_over_time",
        "stdvar_over_time",
        "stddev_over_time",
        "quantile_over_time",
        "deriv",
        "predict_linear",
    ];
    let closed = Engine::new(EngineOptions::default());
    let open = Engine::new(EngineOptions {
        left_open_ranges: true,
        ..EngineOptions::default()
    });
    let mut rng = Rng(0x7_0c51_u64);
    let (mut compared, mut mismatches) = (0usize, Vec::new());
    for seed in 0..300 {
        let series = random_series(&mut rng);
        let mut st = Storage::new();
        let labels = Labels::new([("__name__", "x"), ("seed", &seed.to_string())]);
        st.add_series(&labels, series.iter().copied());
        let range_s = [60, 120, 300, 600][rng.below(4) as usize];
        let range = range_s * 1000;
        let last_t = series.last().map_or(0, |p| p.0);
        let left_open = rng.chance(30);
        let engine = if left_open { &open } else { &closed };
        for _ in 0..8 {
            // Land on sample timestamps and range boundaries often: that is where closed and open ranges differ.
            let ts = match rng.below(3) {
                0 => series[rng.below(series.len() as u64) as usize].0,
                1 => series[rng.below(series.len() as u64) as usize].0 + range,
                _ => rng.below(last_t as u64 + 120_000) as i64,
            };
            let w = window(&series, ts, range, left_open);
            let instant = promql_parser::parser::parse("x").expect("parse");
            let got = match engine.instant(&st, &instant, ts).expect("eval") {
                Value::Vector(v) => v.first().map(|s| s.v),
                other => panic!("x: {other:?}"),
            };
            let want = naive_instant(&series, ts, left_open);
            if !matches!((want, got), (None, None))
                && !matches!((want, got), (Some(a), Some(b)) if close(a, b))
            {
                mismatches.push(format!(
                    "x at {ts} (left_open {left_open}): want {want:?}, got {got:?}"
                ));
            }
            for func in funcs {
                let q = match func {
                    "quantile_over_time" => format!("{func}(0.7, x[{range_s}s])"),
                    "predict_linear" => format!("{func}(x[{range_s}s], 600)"),
                    _ => format!("{func}(x[{range_s}s])"),
                };
                let expr = promql_parser::parser::parse(&q).expect("parse");
                let got = match engine.instant(&st, &expr, ts).expect("eval") {
                    Value::Vector(v) => v.first().map(|s| s.v),
                    other => panic!("{q}: {other:?}"),
                };
                let want = naive(func, &w, ts, range);
                let xs: Vec<f64> = w.iter().map(|p| p.1).collect();
                let regression = matches!(func, "deriv" | "predict_linear");
                let ok = match (want, got) {
                    // Not finite input: the reference abstains; the engine must still answer when it has 2 points.
                    (None, g) if regression => g.is_some() == (w.len() >= 2),
                    // Different but equivalent formulas: allow for cancellation in the sums.
                    (Some(a), Some(b)) if regression => {
                        (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
                    }
                    (None, None) => true,
                    (Some(a), Some(b)) => close(a, b) || order_sensitive(func, &xs),
                    _ => false,
                };
                compared += 1;
                if !ok {
                    mismatches.push(format!(
                        "{q} at {ts} over {w:?}: want {want:?}, got {got:?}"
                    ));
                }
            }
        }
    }
    assert!(compared > 30_000, "too few comparisons: {compared}");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(10)].join("\n")
    );
}
