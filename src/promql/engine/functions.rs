//! Function calls: dispatch by name to one family module per file, and the shared drivers for functions over
//! range vectors (`rate`, `*_over_time`, ...) and over instant vectors (`abs`, `clamp`, ...).
//!
//! Metric names: functions drop `__name__` except `last_over_time`, `label_replace`, `label_join`, `sort*`
//! (as in Prometheus 2.42). Must not: evaluate a function Prometheus 2.42 lacks without saying so in the docs.

mod absent;
mod histogram;
pub(crate) mod labels;
mod math;
mod over_time;
mod rate;
mod sort;
mod time;
mod trend;

use promql_parser::parser::{Call, Expr};

use super::EvalError;
use super::eval::{Evaluator, check_unique, unwrap_parens};
use super::value::{Point, Sample, Value};

/// What a range function sees besides the points of one series.
pub(crate) struct RangeCtx {
    /// Range length, ms.
    pub(crate) range_ms: i64,
    /// Right end of the range (`@` and `offset` applied), ms.
    pub(crate) end_ms: i64,
    /// Evaluation time, ms.
    pub(crate) ts: i64,
    /// The scalar arguments, in call order (the range argument left out).
    pub(crate) params: Vec<f64>,
}

/// A function over the (non-empty) points of one series in a range; `None` drops the series from the output.
pub(crate) type RangeFn = fn(&[Point], &RangeCtx) -> Result<Option<f64>, EvalError>;

pub(crate) fn call(ev: &Evaluator<'_>, c: &Call, ts: i64) -> Result<Value, EvalError> {
    let name = c.func.name;
    let args: Vec<&Expr> = c.args.args.iter().map(|a| a.as_ref()).collect();
    if let Some(f) = range_function(name) {
        return call_range(ev, name, f, &args, ts);
    }
    let out = match name {
        "time" => return Ok(Value::Scalar(ts as f64 / 1000.0, ts)),
        "pi" => return Ok(Value::Scalar(std::f64::consts::PI, ts)),
        "scalar" => {
            let v = ev.eval_vector(arg(&args, 0)?, ts)?;
            let x = if v.len() == 1 { v[0].v } else { f64::NAN };
            return Ok(Value::Scalar(x, ts));
        }
        "vector" => vec![Sample {
            labels: Default::default(),
            t: ts,
            v: ev.eval_scalar(arg(&args, 0)?, ts)?,
        }],
        "absent" => absent::absent(ev, arg(&args, 0)?, ts)?,
        "absent_over_time" => absent::absent_over_time(ev, arg(&args, 0)?, ts)?,
        "timestamp" => time::timestamp(ev, arg(&args, 0)?, ts)?,
        "label_replace" => labels::label_replace(ev, &args, ts)?,
        "label_join" => labels::label_join(ev, &args, ts)?,
        "sort" | "sort_desc" | "sort_by_label" | "sort_by_label_desc" => {
            sort::sort(ev, name, &args, ts)?
        }
        "histogram_quantile" => histogram::histogram_quantile(ev, &args, ts)?,
        "histogram_count" | "histogram_sum" | "histogram_avg" | "histogram_fraction"
        | "histogram_stddev" | "histogram_stdvar" => histogram::native_only(ev, &args, ts)?,
        "clamp" | "clamp_min" | "clamp_max" | "round" => math::clamp_round(ev, name, &args, ts)?,
        _ => {
            if let Some(f) = time::date_function(name) {
                time::date(ev, f, &args, ts)?
            } else if let Some(f) = math::simple_function(name) {
                map_values(ev.eval_vector(arg(&args, 0)?, ts)?, f)
            } else {
                return Err(EvalError::Unsupported(format!("function {name}()")));
            }
        }
    };
    check_unique(&out)?;
    Ok(Value::Vector(out))
}

/// The `i`-th argument, which the parser guarantees for fixed-arity functions.
pub(crate) fn arg<'e>(args: &[&'e Expr], i: usize) -> Result<&'e Expr, EvalError> {
    args.get(i)
        .copied()
        .ok_or_else(|| EvalError::InvalidArgument(format!("missing argument {}", i + 1)))
}

/// Applies `f` to every value, dropping the metric name.
pub(crate) fn map_values(samples: Vec<Sample>, f: impl Fn(f64) -> f64) -> Vec<Sample> {
    samples
        .into_iter()
        .map(|s| Sample {
            labels: s.labels.without_name(),
            t: s.t,
            v: f(s.v),
        })
        .collect()
}

fn range_function(name: &str) -> Option<RangeFn> {
    Some(match name {
        "rate" => rate::rate,
        "increase" => rate::increase,
        "delta" => rate::delta,
        "irate" => rate::irate,
        "idelta" => rate::idelta,
        "deriv" => trend::deriv,
        "predict_linear" => trend::predict_linear,
        "holt_winters" | "double_exponential_smoothing" => trend::holt_winters,
        "avg_over_time" => over_time::avg,
        "sum_over_time" => over_time::sum,
        "min_over_time" => over_time::min,
        "max_over_time" => over_time::max,
        "count_over_time" => over_time::count,
        "last_over_time" => over_time::last,
        "first_over_time" => over_time::first,
        "present_over_time" => over_time::present,
        "quantile_over_time" => over_time::quantile,
        "stddev_over_time" => over_time::stddev,
        "stdvar_over_time" => over_time::stdvar,
        "changes" => over_time::changes,
        "resets" => over_time::resets,
        _ => return None,
    })
}

fn is_range_expr(e: &Expr) -> bool {
    matches!(
        unwrap_parens(e),
        Expr::MatrixSelector(_) | Expr::Subquery(_)
    )
}

/// Evaluates a function with one range-vector argument and scalar others, series by series.
fn call_range(
    ev: &Evaluator<'_>,
    name: &str,
    f: RangeFn,
    args: &[&Expr],
    ts: i64,
) -> Result<Value, EvalError> {
    let Some(range_idx) = args.iter().position(|a| is_range_expr(a)) else {
        return Err(EvalError::UnexpectedType {
            expected: "range vector argument",
            got: "no range vector",
        });
    };
    let mut params = Vec::with_capacity(args.len().saturating_sub(1));
    for (i, a) in args.iter().enumerate() {
        if i != range_idx {
            params.push(ev.eval_scalar(a, ts)?);
        }
    }
    let range = ev.range_arg(args[range_idx], ts)?;
    let ctx = RangeCtx {
        range_ms: range.range_ms,
        end_ms: range.end_ms,
        ts,
        params,
    };
    let keep_name = name == "last_over_time";
    let mut out = Vec::with_capacity(range.series.len());
    for s in range.series {
        if s.points.is_empty() {
            continue;
        }
        if let Some(v) = f(&s.points, &ctx)? {
            out.push(Sample {
                labels: if keep_name {
                    s.labels
                } else {
                    s.labels.without_name()
                },
                t: ts,
                v,
            });
        }
    }
    check_unique(&out)?;
    Ok(Value::Vector(out))
}
