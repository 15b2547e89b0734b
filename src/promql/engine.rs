//! The embedded PromQL evaluator: an in-memory series store and Prometheus 2.42 evaluation semantics, used as the
//! offline querier of `tocsin test` and `tocsin replay --dry-run`.
//!
//! Place in the pipeline: `rule/` asks a querier for instant results; offline that querier is an [`Engine`] over a
//! [`Storage`] (or any other [`SeriesSource`]). Expressions come parsed by `promql-parser`; this module evaluates the
//! AST and never parses text itself.
//!
//! Must not: do IO of any kind (network, filesystem, clocks), spawn tasks, or keep state between queries. Time is
//! always passed in, in milliseconds since the Unix epoch.
//!
//! Semantics are documented in `docs/promql-engine.md`, including the written differences from Prometheus 2.42.

mod aggregate;
mod binary;
mod eval;
mod functions;
mod numeric;
mod regex_cache;
mod selector;
mod storage;
mod subquery;
mod value;

pub use storage::{SeriesSource, SeriesView, Storage};
pub use value::{Labels, METRIC_NAME, Point, STALE_NAN, Sample, Series, Value, is_stale_nan};

/// A range-query result: series sorted by labels.
pub type Matrix = Vec<Series>;

use promql_parser::parser::Expr;

/// Default lookback window of instant selectors (Prometheus `--query.lookback-delta`): 5 minutes.
pub const DEFAULT_LOOKBACK_MS: i64 = 5 * 60 * 1000;

/// Knobs of the evaluator. `Default` gives Prometheus 2.42 (and promtool 2.42) behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineOptions {
    /// How far back an instant selector looks for the latest sample, in milliseconds (default 5m).
    pub lookback_delta_ms: i64,
    /// Step of subqueries written without one (`x[5m:]`), in milliseconds. promtool uses the test file's
    /// `evaluation_interval` (default 1m); Prometheus uses the global evaluation interval.
    pub default_subquery_step_ms: i64,
    /// Prometheus 3 range boundaries: ranges and the lookback window exclude their left end (`(t-r, t]`).
    /// `false` (default) keeps Prometheus 2.x closed ranges (`[t-r, t]`).
    pub left_open_ranges: bool,
    /// Upper bound on evaluation steps of one range query or one subquery; keeps every loop bounded.
    pub max_steps: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            lookback_delta_ms: DEFAULT_LOOKBACK_MS,
            default_subquery_step_ms: 60_000,
            left_open_ranges: false,
            max_steps: 1_000_000,
        }
    }
}

/// What can go wrong while evaluating a parsed expression. Messages follow Prometheus' where it has one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// A function, aggregation or binary operation produced two samples with one label set.
    #[error("vector cannot contain metrics with the same labelset")]
    DuplicateLabelset,
    /// One side of a one-to-one or many-to-one match has two series in one match group.
    #[error(
        "found duplicate series for the match group {group} on the {side} hand-side of the operation: [{first}, {second}];many-to-many matching not allowed: matching labels must be unique on one side"
    )]
    DuplicateMatchGroup {
        /// The matching labels of the group.
        group: String,
        /// `left` or `right`.
        side: &'static str,
        /// The series found second.
        first: String,
        /// The series found first.
        second: String,
    },
    /// A one-to-one match found several series on the "many" side.
    #[error(
        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"
    )]
    ManyToOneNotExplicit,
    /// `group_left`/`group_right` produced the same output series twice.
    #[error("multiple matches for labels: grouping labels must ensure unique matches")]
    GroupingNotUnique,
    /// A function or aggregation argument is out of its domain (bad regex, label name, factor, k).
    #[error("{0}")]
    InvalidArgument(String),
    /// The expression uses something this evaluator does not implement (native histograms, `info`, ...).
    #[error("unsupported in the embedded evaluator: {0}")]
    Unsupported(String),
    /// An operand had a type the evaluator cannot use here; the parser normally prevents it.
    #[error("unexpected value type: expected {expected}, got {got}")]
    UnexpectedType {
        /// What the operation needed.
        expected: &'static str,
        /// What the operand evaluated to.
        got: &'static str,
    },
    /// A range query or subquery would take more steps than [`EngineOptions::max_steps`], or a step is not positive.
    #[error("invalid step: {0}")]
    InvalidStep(String),
}

/// Evaluates parsed PromQL expressions over a [`SeriesSource`]. Cheap to create; holds its options and a memo of
/// compiled `label_replace` patterns (clones share it), nothing that changes a result.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    opts: EngineOptions,
    regexes: regex_cache::RegexCache,
}

impl Engine {
    /// An engine with the given options.
    pub fn new(opts: EngineOptions) -> Self {
        Self {
            opts,
            regexes: regex_cache::RegexCache::default(),
        }
    }

    /// The options this engine runs with.
    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// Instant query at `ts_ms`, like Prometheus' `/api/v1/query`. Vector samples carry `ts_ms` as their timestamp;
    /// a bare range selector or subquery returns a [`Value::Matrix`] of raw points.
    pub fn instant(
        &self,
        source: &dyn SeriesSource,
        expr: &Expr,
        ts_ms: i64,
    ) -> Result<Value, EvalError> {
        let ev = eval::Evaluator::new(source, &self.opts, &self.regexes, ts_ms, ts_ms);
        ev.eval(expr, ts_ms)
    }

    /// Range query from `start_ms` to `end_ms` inclusive every `step_ms`, like `/api/v1/query_range`. Scalars become
    /// a series with no labels. Series are sorted by labels.
    pub fn range(
        &self,
        source: &dyn SeriesSource,
        expr: &Expr,
        start_ms: i64,
        end_ms: i64,
        step_ms: i64,
    ) -> Result<Matrix, EvalError> {
        let steps = eval::step_count(start_ms, end_ms, step_ms, self.opts.max_steps)?;
        let ev = eval::Evaluator::new(source, &self.opts, &self.regexes, start_ms, end_ms);
        let mut acc = value::SeriesAccumulator::default();
        for i in 0..steps {
            let ts = start_ms + (i as i64) * step_ms;
            match ev.eval(expr, ts)? {
                Value::Scalar(v, _) => acc.push(&Labels::default(), Point { t: ts, v }),
                Value::Vector(samples) => {
                    for s in samples {
                        acc.push(&s.labels, Point { t: ts, v: s.v });
                    }
                }
                other => {
                    return Err(EvalError::UnexpectedType {
                        expected: "vector or scalar",
                        got: other.type_name(),
                    });
                }
            }
        }
        let mut out = acc.into_series();
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(out)
    }
}
