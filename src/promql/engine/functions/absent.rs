//! `absent(v)` and `absent_over_time(r)`: one sample of value 1 when the argument is empty, labelled with the
//! selector's equality matchers (except the name, and except labels matched more than once).
//! See <https://prometheus.io/docs/prometheus/2.42/querying/functions/#absent>.
//!
//! Must not: unwrap parentheses around the argument when deriving labels (Prometheus 2.42 does not).

use std::collections::HashSet;

use promql_parser::label::MatchOp;
use promql_parser::parser::{Expr, VectorSelector};

use super::super::EvalError;
use super::super::eval::Evaluator;
use super::super::value::{Labels, METRIC_NAME, Sample};

fn absent_labels(expr: &Expr) -> Labels {
    let vs: &VectorSelector = match expr {
        Expr::VectorSelector(vs) => vs,
        Expr::MatrixSelector(ms) => &ms.vs,
        _ => return Labels::default(),
    };
    let mut out = Labels::default();
    let mut seen = HashSet::new();
    for m in &vs.matchers.matchers {
        if m.name == METRIC_NAME {
            continue;
        }
        if m.op == MatchOp::Equal && seen.insert(m.name.clone()) {
            out.set(&m.name, &m.value);
        } else {
            out.remove(&m.name);
        }
    }
    out
}

pub(crate) fn absent(ev: &Evaluator<'_>, a: &Expr, ts: i64) -> Result<Vec<Sample>, EvalError> {
    if !ev.eval_vector(a, ts)?.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![Sample {
        labels: absent_labels(a),
        t: ts,
        v: 1.0,
    }])
}

pub(crate) fn absent_over_time(
    ev: &Evaluator<'_>,
    a: &Expr,
    ts: i64,
) -> Result<Vec<Sample>, EvalError> {
    if ev
        .range_arg(a, ts)?
        .series
        .iter()
        .any(|s| !s.points.is_empty())
    {
        return Ok(Vec::new());
    }
    Ok(vec![Sample {
        labels: absent_labels(a),
        t: ts,
        v: 1.0,
    }])
}
