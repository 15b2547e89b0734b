//! Histogram functions over classic buckets: `histogram_quantile` with bucket coalescing and the monotonicity fix
//! of Prometheus 2.42. Native histograms are not stored, so the `histogram_count/sum/...` family returns nothing.
//! See <https://prometheus.io/docs/prometheus/2.42/querying/functions/#histogram_quantile>.
//!
//! Must not: mix series of different label sets (minus `le`) into one histogram.

use promql_parser::parser::Expr;

use super::super::EvalError;
use super::super::eval::Evaluator;
use super::super::value::{FastMap, Labels, METRIC_NAME, Sample};
use super::arg;

/// One classic bucket: upper bound and cumulative count.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bucket {
    pub(crate) upper: f64,
    pub(crate) count: f64,
}

/// The φ-quantile of cumulative buckets, interpolating linearly inside the bucket that holds the rank.
pub(crate) fn bucket_quantile(q: f64, buckets: &mut [Bucket]) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    buckets.sort_by(|a, b| {
        a.upper
            .partial_cmp(&b.upper)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    match buckets.last() {
        Some(b) if b.upper == f64::INFINITY => {}
        _ => return f64::NAN,
    }
    // Coalesce equal upper bounds.
    let mut merged: Vec<Bucket> = Vec::with_capacity(buckets.len());
    for b in buckets.iter() {
        match merged.last_mut() {
            Some(last) if last.upper == b.upper => last.count += b.count,
            _ => merged.push(*b),
        }
    }
    // Make counts monotonic.
    let mut max = merged[0].count;
    for b in merged.iter_mut().skip(1) {
        if b.count > max {
            max = b.count;
        } else if b.count < max {
            b.count = max;
        }
    }
    if merged.len() < 2 {
        return f64::NAN;
    }
    let n = merged.len();
    let observations = merged[n - 1].count;
    if observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let b = merged[..n - 1].partition_point(|bk| bk.count < rank);
    if b == n - 1 {
        return merged[n - 2].upper;
    }
    if b == 0 && merged[0].upper <= 0.0 {
        return merged[0].upper;
    }
    let mut start = 0.0;
    let end = merged[b].upper;
    let mut count = merged[b].count;
    if b > 0 {
        start = merged[b - 1].upper;
        count -= merged[b - 1].count;
        rank -= merged[b - 1].count;
    }
    start + (end - start) * (rank / count)
}

/// Go's `strconv.ParseFloat` for the `le` values that occur in practice.
fn parse_le(s: &str) -> Option<f64> {
    let t = s.trim_start_matches('+');
    match t.to_ascii_lowercase().as_str() {
        "inf" | "infinity" => {
            return Some(if s.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        "-inf" | "-infinity" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    s.parse().ok()
}

pub(crate) fn histogram_quantile(
    ev: &Evaluator<'_>,
    args: &[&Expr],
    ts: i64,
) -> Result<Vec<Sample>, EvalError> {
    let q = ev.eval_scalar(arg(args, 0)?, ts)?;
    let vec = ev.eval_vector(arg(args, 1)?, ts)?;
    let mut index: FastMap<Labels, usize> = FastMap::default();
    let mut groups: Vec<(Labels, Vec<Bucket>)> = Vec::new();
    for s in vec {
        let Some(upper) = parse_le(s.labels.value("le")) else {
            continue;
        };
        let key = s.labels.filtered(|k| k != "le");
        let i = *index.entry(key.clone()).or_insert_with(|| {
            groups.push((key.filtered(|k| k != METRIC_NAME), Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(Bucket { upper, count: s.v });
    }
    Ok(groups
        .into_iter()
        .map(|(labels, mut buckets)| Sample {
            labels,
            t: ts,
            v: bucket_quantile(q, &mut buckets),
        })
        .collect())
}

/// Native-histogram functions: every input sample is a float, so the output is empty (as in Prometheus).
pub(crate) fn native_only(
    ev: &Evaluator<'_>,
    args: &[&Expr],
    ts: i64,
) -> Result<Vec<Sample>, EvalError> {
    for a in args {
        ev.eval(a, ts)?;
    }
    Ok(Vec::new())
}
