//! Sorting functions: `sort`, `sort_desc` (NaN last), and Prometheus 3's `sort_by_label`, `sort_by_label_desc`.
//! Labels are kept. See <https://prometheus.io/docs/prometheus/2.42/querying/functions/#sort>.
//!
//! Must not: change samples; only their order.

use std::cmp::Ordering;

use promql_parser::parser::Expr;

use super::super::EvalError;
use super::super::eval::{Evaluator, unwrap_parens};
use super::super::value::Sample;
use super::arg;

pub(crate) fn sort(
    ev: &Evaluator<'_>,
    name: &str,
    args: &[&Expr],
    ts: i64,
) -> Result<Vec<Sample>, EvalError> {
    let mut vec = ev.eval_vector(arg(args, 0)?, ts)?;
    let nan_last = |a: &Sample, b: &Sample| a.v.is_nan().cmp(&b.v.is_nan());
    match name {
        "sort" => vec
            .sort_by(|a, b| nan_last(a, b).then(a.v.partial_cmp(&b.v).unwrap_or(Ordering::Equal))),
        "sort_desc" => vec
            .sort_by(|a, b| nan_last(a, b).then(b.v.partial_cmp(&a.v).unwrap_or(Ordering::Equal))),
        _ => {
            let mut names = Vec::new();
            for a in &args[1..] {
                match unwrap_parens(a) {
                    Expr::StringLiteral(s) => names.push(s.val.clone()),
                    _ => {
                        return Err(EvalError::InvalidArgument(
                            "sort_by_label needs label names".into(),
                        ));
                    }
                }
            }
            let by = |a: &Sample, b: &Sample| {
                names
                    .iter()
                    .map(|n| a.labels.value(n).cmp(b.labels.value(n)))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.labels.cmp(&b.labels))
            };
            if name == "sort_by_label" {
                vec.sort_by(by);
            } else {
                vec.sort_by(|a, b| by(b, a));
            }
        }
    }
    Ok(vec)
}
