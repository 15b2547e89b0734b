//! Subqueries `expr[range:step]`: the inner expression evaluated at absolutely aligned steps.
//!
//! Steps are the multiples of the step (default: [`super::EngineOptions::default_subquery_step_ms`]) inside
//! `[end - range, end]`, where `end` is the evaluation time with `@` and `offset` applied. With left-open ranges the
//! step on the left end is still evaluated (as in Prometheus 3) and dropped only when a function reads the
//! subquery as its range argument. Must not: evaluate more than `max_steps` steps.

use promql_parser::parser::SubqueryExpr;

use super::EvalError;
use super::eval::{Evaluator, RangeArg, duration_ms, step_count};
use super::value::{Point, SeriesAccumulator, Value};

pub(crate) fn eval(ev: &Evaluator<'_>, sq: &SubqueryExpr, ts: i64) -> Result<RangeArg, EvalError> {
    let end = ev.reference_time(&sq.at, &sq.offset, ts);
    let range_ms = duration_ms(&sq.range);
    let step = sq
        .step
        .as_ref()
        .map(duration_ms)
        .unwrap_or(ev.opts.default_subquery_step_ms);
    if step <= 0 {
        return Err(EvalError::InvalidStep(format!(
            "subquery step must be positive, got {step}ms"
        )));
    }
    let lo = end.saturating_sub(range_ms);
    let mut start = lo.div_euclid(step) * step;
    if start < lo {
        start += step;
    }
    let steps = step_count(start, end, step, ev.opts.max_steps)?;
    let mut acc = SeriesAccumulator::default();
    for i in 0..steps {
        let t = start + (i as i64) * step;
        match ev.eval(&sq.expr, t)? {
            Value::Vector(samples) => {
                for s in samples {
                    acc.push(&s.labels, Point { t, v: s.v });
                }
            }
            Value::Scalar(v, _) => acc.push(&Default::default(), Point { t, v }),
            other => {
                return Err(EvalError::UnexpectedType {
                    expected: "vector",
                    got: other.type_name(),
                });
            }
        }
    }
    Ok(RangeArg {
        series: acc.into_series(),
        range_ms,
        end_ms: end,
    })
}
