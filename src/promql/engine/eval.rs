//! The evaluator's dispatch: walks the AST at one timestamp and hands each node to its family module.
//!
//! Every node is evaluated as an instant query at `ts`; range queries and subqueries call it once per step, which is
//! equivalent to Prometheus' step-wise range evaluation. Must not: hold state between calls or read a clock.

use std::time::{Duration, SystemTime};

use promql_parser::parser::{AtModifier, Expr, Offset, VectorSelector};

use super::regex_cache::RegexCache;
use super::storage::SeriesSource;
use super::value::{FastSet, Sample, Series, Value};
use super::{EngineOptions, EvalError, aggregate, binary, functions, selector, subquery};

/// One query's evaluation context: the source, the options and the query's start and end (for `@ start()/end()`).
pub(crate) struct Evaluator<'a> {
    pub(crate) src: &'a dyn SeriesSource,
    pub(crate) opts: &'a EngineOptions,
    pub(crate) regexes: &'a RegexCache,
    query_start: i64,
    query_end: i64,
}

/// A range vector ready for a range function: the series' points in `(end - range, end]` or `[end - range, end]`.
pub(crate) struct RangeArg {
    pub(crate) series: Vec<Series>,
    /// Length of the range in ms.
    pub(crate) range_ms: i64,
    /// Right end of the range (evaluation time, `@` and `offset` applied), ms.
    pub(crate) end_ms: i64,
}

impl<'a> Evaluator<'a> {
    pub(crate) fn new(
        src: &'a dyn SeriesSource,
        opts: &'a EngineOptions,
        regexes: &'a RegexCache,
        query_start: i64,
        query_end: i64,
    ) -> Self {
        Self {
            src,
            opts,
            regexes,
            query_start,
            query_end,
        }
    }

    /// Evaluates `expr` at `ts` (ms).
    pub(crate) fn eval(&self, expr: &Expr, ts: i64) -> Result<Value, EvalError> {
        match expr {
            Expr::NumberLiteral(n) => Ok(Value::Scalar(n.val, ts)),
            Expr::StringLiteral(s) => Ok(Value::String(s.val.clone())),
            Expr::Paren(p) => self.eval(&p.expr, ts),
            Expr::Unary(u) => match self.eval(&u.expr, ts)? {
                Value::Scalar(v, t) => Ok(Value::Scalar(-v, t)),
                Value::Vector(samples) => {
                    let out: Vec<Sample> = samples
                        .into_iter()
                        .map(|s| Sample {
                            labels: s.labels.without_name(),
                            t: s.t,
                            v: -s.v,
                        })
                        .collect();
                    check_unique(&out)?;
                    Ok(Value::Vector(out))
                }
                other => Err(EvalError::UnexpectedType {
                    expected: "scalar or vector",
                    got: other.type_name(),
                }),
            },
            Expr::Binary(b) => binary::eval(self, b, ts),
            Expr::Aggregate(a) => aggregate::eval(self, a, ts),
            Expr::Call(c) => functions::call(self, c, ts),
            Expr::VectorSelector(vs) => Ok(Value::Vector(selector::instant(self, vs, ts, false)?)),
            Expr::MatrixSelector(_) => Ok(Value::Matrix(self.range_arg(expr, ts)?.series)),
            Expr::Subquery(sq) => Ok(Value::Matrix(subquery::eval(self, sq, ts)?.series)),
            Expr::Extension(e) => Err(EvalError::Unsupported(format!(
                "extension expression {}",
                e.expr.name()
            ))),
        }
    }

    /// Evaluates a range-vector expression (range selector or subquery, maybe in parentheses) at `ts`.
    pub(crate) fn range_arg(&self, expr: &Expr, ts: i64) -> Result<RangeArg, EvalError> {
        match unwrap_parens(expr) {
            Expr::MatrixSelector(ms) => selector::range(self, &ms.vs, duration_ms(&ms.range), ts),
            Expr::Subquery(sq) => {
                let mut arg = subquery::eval(self, sq, ts)?;
                if self.opts.left_open_ranges {
                    let start = arg.end_ms - arg.range_ms;
                    for s in &mut arg.series {
                        s.points.retain(|p| p.t > start);
                    }
                    arg.series.retain(|s| !s.points.is_empty());
                }
                Ok(arg)
            }
            other => Err(EvalError::UnexpectedType {
                expected: "matrix",
                got: value_type_name(other),
            }),
        }
    }

    /// Evaluates an expression that must give an instant vector.
    pub(crate) fn eval_vector(&self, expr: &Expr, ts: i64) -> Result<Vec<Sample>, EvalError> {
        match self.eval(expr, ts)? {
            Value::Vector(v) => Ok(v),
            other => Err(EvalError::UnexpectedType {
                expected: "vector",
                got: other.type_name(),
            }),
        }
    }

    /// Evaluates an expression that must give a scalar.
    pub(crate) fn eval_scalar(&self, expr: &Expr, ts: i64) -> Result<f64, EvalError> {
        match self.eval(expr, ts)? {
            Value::Scalar(v, _) => Ok(v),
            other => Err(EvalError::UnexpectedType {
                expected: "scalar",
                got: other.type_name(),
            }),
        }
    }

    /// The time a selector or subquery reads at: its `@` time if any, else `ts`; then its offset subtracted.
    pub(crate) fn reference_time(
        &self,
        at: &Option<AtModifier>,
        offset: &Option<Offset>,
        ts: i64,
    ) -> i64 {
        let base = match at {
            None => ts,
            Some(AtModifier::Start) => self.query_start,
            Some(AtModifier::End) => self.query_end,
            Some(AtModifier::At(t)) => system_time_ms(*t),
        };
        base - offset_ms(offset)
    }
}

/// Strips any number of parentheses.
pub(crate) fn unwrap_parens(mut expr: &Expr) -> &Expr {
    // Bounded by the depth of the (finite) AST.
    while let Expr::Paren(p) = expr {
        expr = &p.expr;
    }
    expr
}

/// The vector selector inside `expr` if it is one, parentheses aside.
pub(crate) fn as_vector_selector(expr: &Expr) -> Option<&VectorSelector> {
    match unwrap_parens(expr) {
        Expr::VectorSelector(vs) => Some(vs),
        _ => None,
    }
}

fn value_type_name(expr: &Expr) -> &'static str {
    match expr {
        Expr::StringLiteral(_) => "string",
        Expr::NumberLiteral(_) => "scalar",
        _ => "vector",
    }
}

/// Fails with Prometheus' "same labelset" error when two samples share a label set.
pub(crate) fn check_unique(samples: &[Sample]) -> Result<(), EvalError> {
    if samples.len() < 2 {
        return Ok(());
    }
    let mut seen = FastSet::with_capacity_and_hasher(samples.len(), Default::default());
    for s in samples {
        if !seen.insert(&s.labels) {
            return Err(EvalError::DuplicateLabelset);
        }
    }
    Ok(())
}

pub(crate) fn duration_ms(d: &Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn offset_ms(o: &Option<Offset>) -> i64 {
    match o {
        None => 0,
        Some(Offset::Pos(d)) => duration_ms(d),
        Some(Offset::Neg(d)) => -duration_ms(d),
    }
}

fn system_time_ms(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => duration_ms(&d),
        Err(e) => -duration_ms(&e.duration()),
    }
}

/// Number of steps of `[start, end]` every `step`, checked against the bound.
pub(crate) fn step_count(start: i64, end: i64, step: i64, max: usize) -> Result<usize, EvalError> {
    if step <= 0 {
        return Err(EvalError::InvalidStep(format!(
            "step must be positive, got {step}ms"
        )));
    }
    if end < start {
        return Ok(0);
    }
    let n = (end - start) / step + 1;
    match usize::try_from(n) {
        Ok(n) if n <= max => Ok(n),
        _ => Err(EvalError::InvalidStep(format!(
            "{n} steps exceed the limit of {max}"
        ))),
    }
}
