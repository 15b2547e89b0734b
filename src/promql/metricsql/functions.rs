//! The MetricsQL function catalogue (one table) and the check that every call in an expanded tree names a
//! known function with an accepted number of arguments.
//!
//! The table lists what VictoriaMetrics 1.79 evaluates (the peer tocsin is tested against): names and argument
//! counts were read from its answers to `f()` and `f(x, …)`, and match the MetricsQL documentation of that
//! release. Functions added to MetricsQL later are unknown here, as they are to that release (see
//! [`NEWER`]). Pure; never evaluates anything.

use super::ast::{Expr, walk};
use super::error::ParseError;
use super::strings::check_regex;

/// What a function does, as MetricsQL's documentation groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Works over a lookbehind window of raw samples (`rate`, `*_over_time`); the window may be omitted.
    Rollup,
    /// Works point by point on series (`abs`, `histogram_quantile`, `time`).
    Transform,
    /// Rewrites labels (`label_replace`, `label_set`).
    Label,
    /// Combines series (`sum`, `topk`); takes `by`/`without` and `limit`.
    Aggregate,
    /// A built-in `WITH` template of VictoriaMetrics (`ru`, `ttf`, `alias`, `median_over_time`, `range_median`).
    Template,
}

/// One catalogue entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    pub name: &'static str,
    pub kind: Kind,
    pub min_args: usize,
    /// `None`: no upper bound.
    pub max_args: Option<usize>,
}

const fn f(name: &'static str, kind: Kind, min_args: usize, max_args: Option<usize>) -> Function {
    Function {
        name,
        kind,
        min_args,
        max_args,
    }
}

use Kind::{Aggregate, Label, Rollup, Template, Transform};

/// Every function VictoriaMetrics 1.79 knows, sorted by name.
pub const FUNCTIONS: &[Function] = &[
    f("abs", Transform, 1, Some(1)),
    f("absent", Transform, 1, Some(1)),
    f("absent_over_time", Rollup, 1, Some(1)),
    f("acos", Transform, 1, Some(1)),
    f("acosh", Transform, 1, Some(1)),
    f("aggr_over_time", Rollup, 2, Some(2)),
    f("alias", Template, 2, Some(2)),
    f("any", Aggregate, 1, None),
    f("ascent_over_time", Rollup, 1, Some(1)),
    f("asin", Transform, 1, Some(1)),
    f("asinh", Transform, 1, Some(1)),
    f("atan", Transform, 1, Some(1)),
    f("atanh", Transform, 1, Some(1)),
    f("avg", Aggregate, 1, None),
    f("avg_over_time", Rollup, 1, Some(1)),
    f("bitmap_and", Transform, 2, Some(2)),
    f("bitmap_or", Transform, 2, Some(2)),
    f("bitmap_xor", Transform, 2, Some(2)),
    f("bottomk", Aggregate, 2, Some(2)),
    f("bottomk_avg", Aggregate, 2, Some(3)),
    f("bottomk_last", Aggregate, 2, Some(3)),
    f("bottomk_max", Aggregate, 2, Some(3)),
    f("bottomk_median", Aggregate, 2, Some(3)),
    f("bottomk_min", Aggregate, 2, Some(3)),
    f("buckets_limit", Transform, 2, Some(2)),
    f("ceil", Transform, 1, Some(1)),
    f("changes", Rollup, 1, Some(1)),
    f("changes_prometheus", Rollup, 1, Some(1)),
    f("clamp", Transform, 3, Some(3)),
    f("clamp_max", Transform, 2, Some(2)),
    f("clamp_min", Transform, 2, Some(2)),
    f("cos", Transform, 1, Some(1)),
    f("cosh", Transform, 1, Some(1)),
    f("count", Aggregate, 1, None),
    f("count_eq_over_time", Rollup, 2, Some(2)),
    f("count_gt_over_time", Rollup, 2, Some(2)),
    f("count_le_over_time", Rollup, 2, Some(2)),
    f("count_ne_over_time", Rollup, 2, Some(2)),
    f("count_over_time", Rollup, 1, Some(1)),
    f("count_values", Aggregate, 2, Some(2)),
    f("day_of_month", Transform, 0, Some(1)),
    f("day_of_week", Transform, 0, Some(1)),
    f("days_in_month", Transform, 0, Some(1)),
    f("decreases_over_time", Rollup, 1, Some(1)),
    f("default_rollup", Rollup, 1, Some(1)),
    f("deg", Transform, 1, Some(1)),
    f("delta", Rollup, 1, Some(1)),
    f("delta_prometheus", Rollup, 1, Some(1)),
    f("deriv", Rollup, 1, Some(1)),
    f("deriv_fast", Rollup, 1, Some(1)),
    f("descent_over_time", Rollup, 1, Some(1)),
    f("distinct", Aggregate, 1, None),
    f("distinct_over_time", Rollup, 1, Some(1)),
    f("drop_common_labels", Transform, 1, None),
    f("duration_over_time", Rollup, 2, Some(2)),
    f("end", Transform, 0, Some(0)),
    f("exp", Transform, 1, Some(1)),
    f("first_over_time", Rollup, 1, Some(1)),
    f("floor", Transform, 1, Some(1)),
    f("geomean", Aggregate, 1, None),
    f("geomean_over_time", Rollup, 1, Some(1)),
    f("group", Aggregate, 1, None),
    f("histogram", Aggregate, 1, None),
    f("histogram_avg", Transform, 1, Some(1)),
    f("histogram_over_time", Rollup, 1, Some(1)),
    f("histogram_quantile", Transform, 2, Some(3)),
    f("histogram_quantiles", Transform, 3, None),
    f("histogram_share", Transform, 2, Some(3)),
    f("histogram_stddev", Transform, 1, Some(1)),
    f("histogram_stdvar", Transform, 1, Some(1)),
    f("hoeffding_bound_lower", Rollup, 2, Some(2)),
    f("hoeffding_bound_upper", Rollup, 2, Some(2)),
    f("holt_winters", Rollup, 3, Some(3)),
    f("hour", Transform, 0, Some(1)),
    f("idelta", Rollup, 1, Some(1)),
    f("ideriv", Rollup, 1, Some(1)),
    f("increase", Rollup, 1, Some(1)),
    f("increase_prometheus", Rollup, 1, Some(1)),
    f("increase_pure", Rollup, 1, Some(1)),
    f("increases_over_time", Rollup, 1, Some(1)),
    f("integrate", Rollup, 1, Some(1)),
    f("interpolate", Transform, 1, Some(1)),
    f("irate", Rollup, 1, Some(1)),
    f("keep_last_value", Transform, 1, Some(1)),
    f("keep_next_value", Transform, 1, Some(1)),
    f("label_copy", Label, 1, None),
    f("label_del", Label, 1, None),
    f("label_graphite_group", Label, 2, None),
    f("label_join", Label, 3, None),
    f("label_keep", Label, 1, None),
    f("label_lowercase", Label, 2, None),
    f("label_map", Label, 2, None),
    f("label_match", Label, 3, Some(3)),
    f("label_mismatch", Label, 3, Some(3)),
    f("label_move", Label, 1, None),
    f("label_replace", Label, 5, Some(5)),
    f("label_set", Label, 1, None),
    f("label_transform", Label, 4, Some(4)),
    f("label_uppercase", Label, 2, None),
    f("label_value", Label, 2, Some(2)),
    f("lag", Rollup, 1, Some(1)),
    f("last_over_time", Rollup, 1, Some(1)),
    f("lifetime", Rollup, 1, Some(1)),
    f("limit_offset", Transform, 3, Some(3)),
    f("limitk", Aggregate, 2, Some(2)),
    f("ln", Transform, 1, Some(1)),
    f("log10", Transform, 1, Some(1)),
    f("log2", Transform, 1, Some(1)),
    f("mad", Aggregate, 1, None),
    f("max", Aggregate, 1, None),
    f("max_over_time", Rollup, 1, Some(1)),
    f("median", Aggregate, 1, None),
    f("median_over_time", Template, 1, Some(1)),
    f("min", Aggregate, 1, None),
    f("min_over_time", Rollup, 1, Some(1)),
    f("minute", Transform, 0, Some(1)),
    f("mode", Aggregate, 1, None),
    f("mode_over_time", Rollup, 1, Some(1)),
    f("month", Transform, 0, Some(1)),
    f("now", Transform, 0, Some(0)),
    f("outliers_mad", Aggregate, 2, Some(2)),
    f("outliersk", Aggregate, 2, Some(2)),
    f("pi", Transform, 0, Some(0)),
    f("predict_linear", Rollup, 2, Some(2)),
    f("present_over_time", Rollup, 1, Some(1)),
    f("prometheus_buckets", Transform, 1, Some(1)),
    f("quantile", Aggregate, 2, Some(2)),
    f("quantile_over_time", Rollup, 2, Some(2)),
    f("quantiles", Aggregate, 3, None),
    f("quantiles_over_time", Rollup, 3, None),
    f("rad", Transform, 1, Some(1)),
    f("rand", Transform, 0, Some(1)),
    f("rand_exponential", Transform, 0, Some(1)),
    f("rand_normal", Transform, 0, Some(1)),
    f("range_avg", Transform, 1, Some(1)),
    f("range_first", Transform, 1, Some(1)),
    f("range_last", Transform, 1, Some(1)),
    f("range_max", Transform, 1, Some(1)),
    f("range_median", Template, 1, Some(1)),
    f("range_min", Transform, 1, Some(1)),
    f("range_over_time", Rollup, 1, Some(1)),
    f("range_quantile", Transform, 2, Some(2)),
    f("range_sum", Transform, 1, Some(1)),
    f("rate", Rollup, 1, Some(1)),
    f("rate_over_sum", Rollup, 1, Some(1)),
    f("remove_resets", Transform, 1, Some(1)),
    f("resets", Rollup, 1, Some(1)),
    f("rollup", Rollup, 1, Some(1)),
    f("rollup_candlestick", Rollup, 1, Some(1)),
    f("rollup_delta", Rollup, 1, Some(1)),
    f("rollup_deriv", Rollup, 1, Some(1)),
    f("rollup_increase", Rollup, 1, Some(1)),
    f("rollup_rate", Rollup, 1, Some(1)),
    f("rollup_scrape_interval", Rollup, 1, Some(1)),
    f("round", Transform, 1, Some(2)),
    f("ru", Template, 2, Some(2)),
    f("running_avg", Transform, 1, Some(1)),
    f("running_max", Transform, 1, Some(1)),
    f("running_min", Transform, 1, Some(1)),
    f("running_sum", Transform, 1, Some(1)),
    f("scalar", Transform, 1, Some(1)),
    f("scrape_interval", Rollup, 1, Some(1)),
    f("sgn", Transform, 1, Some(1)),
    f("share_gt_over_time", Rollup, 2, Some(2)),
    f("share_le_over_time", Rollup, 2, Some(2)),
    f("sin", Transform, 1, Some(1)),
    f("sinh", Transform, 1, Some(1)),
    f("smooth_exponential", Transform, 2, Some(2)),
    f("sort", Transform, 1, Some(1)),
    f("sort_by_label", Transform, 2, None),
    f("sort_by_label_desc", Transform, 2, None),
    f("sort_desc", Transform, 1, Some(1)),
    f("sqrt", Transform, 1, Some(1)),
    f("stale_samples_over_time", Rollup, 1, Some(1)),
    f("start", Transform, 0, Some(0)),
    f("stddev", Aggregate, 1, None),
    f("stddev_over_time", Rollup, 1, Some(1)),
    f("stdvar", Aggregate, 1, None),
    f("stdvar_over_time", Rollup, 1, Some(1)),
    f("step", Transform, 0, Some(0)),
    f("sum", Aggregate, 1, None),
    f("sum2", Aggregate, 1, None),
    f("sum2_over_time", Rollup, 1, Some(1)),
    f("sum_over_time", Rollup, 1, Some(1)),
    f("tan", Transform, 1, Some(1)),
    f("tanh", Transform, 1, Some(1)),
    f("tfirst_over_time", Rollup, 1, Some(1)),
    f("time", Transform, 0, Some(0)),
    f("timestamp", Rollup, 1, Some(1)),
    f("timestamp_with_name", Rollup, 1, Some(1)),
    f("timezone_offset", Transform, 1, Some(1)),
    f("tlast_change_over_time", Rollup, 1, Some(1)),
    f("tlast_over_time", Rollup, 1, Some(1)),
    f("tmax_over_time", Rollup, 1, Some(1)),
    f("tmin_over_time", Rollup, 1, Some(1)),
    f("topk", Aggregate, 2, Some(2)),
    f("topk_avg", Aggregate, 2, Some(3)),
    f("topk_last", Aggregate, 2, Some(3)),
    f("topk_max", Aggregate, 2, Some(3)),
    f("topk_median", Aggregate, 2, Some(3)),
    f("topk_min", Aggregate, 2, Some(3)),
    f("ttf", Template, 1, Some(1)),
    f("union", Transform, 0, None),
    f("vector", Transform, 1, Some(1)),
    f("year", Transform, 0, Some(1)),
    f("zscore", Aggregate, 1, None),
    f("zscore_over_time", Rollup, 1, Some(1)),
];

/// Functions of later MetricsQL releases that VictoriaMetrics 1.79 does not know (used for hints only).
pub const NEWER: &[&str] = &[
    "count_values_over_time",
    "day_of_year",
    "drop_empty_series",
    "histogram_fraction",
    "labels_equal",
    "mad_over_time",
    "outlier_iqr_over_time",
    "outliers_iqr",
    "range_linear_regression",
    "range_mad",
    "range_normalize",
    "range_stddev",
    "range_stdvar",
    "range_trim_outliers",
    "range_trim_spikes",
    "range_trim_zscore",
    "range_zscore",
    "rate_prometheus",
    "share",
    "share_eq_over_time",
    "sort_by_label_numeric",
    "sort_by_label_numeric_desc",
    "sum_eq_over_time",
    "sum_gt_over_time",
    "sum_le_over_time",
];

/// Argument rules VictoriaMetrics enforces beyond counts: which arguments must be string literals, which of those
/// are regular expressions, and where an even number of (label, value) arguments must follow.
#[derive(Debug, Clone, Copy)]
pub struct ArgRule {
    pub name: &'static str,
    /// Arguments (0-based) that must be strings.
    pub strings: &'static [usize],
    /// Every argument from this index on must be a string.
    pub strings_from: Option<usize>,
    /// The argument (0-based) holding a regular expression.
    pub regex: Option<usize>,
    /// The arguments from this index on come in pairs.
    pub pairs_from: Option<usize>,
}

const fn rule(
    name: &'static str,
    strings: &'static [usize],
    strings_from: Option<usize>,
    regex: Option<usize>,
    pairs_from: Option<usize>,
) -> ArgRule {
    ArgRule {
        name,
        strings,
        strings_from,
        regex,
        pairs_from,
    }
}

/// Per-function argument rules (from VictoriaMetrics' answers: "arg #N contains non-string timeseries",
/// "cannot compile regex", "the number of string args must be even").
pub const ARG_RULES: &[ArgRule] = &[
    rule("alias", &[1], None, None, None),
    rule("bottomk_avg", &[2], None, None, None),
    rule("bottomk_last", &[2], None, None, None),
    rule("bottomk_max", &[2], None, None, None),
    rule("bottomk_median", &[2], None, None, None),
    rule("bottomk_min", &[2], None, None, None),
    rule("count_values", &[0], None, None, None),
    rule("histogram_quantile", &[2], None, None, None),
    rule("histogram_quantiles", &[0], None, None, None),
    rule("label_copy", &[], Some(1), None, Some(1)),
    rule("label_del", &[], Some(1), None, None),
    rule("label_join", &[], Some(1), None, None),
    rule("label_keep", &[], Some(1), None, None),
    rule("label_lowercase", &[], Some(1), None, None),
    rule("label_map", &[], Some(1), None, Some(2)),
    rule("label_match", &[], Some(1), Some(2), None),
    rule("label_mismatch", &[], Some(1), Some(2), None),
    rule("label_move", &[], Some(1), None, Some(1)),
    rule("label_replace", &[], Some(1), Some(4), None),
    rule("label_set", &[], Some(1), None, Some(1)),
    rule("label_transform", &[], Some(1), Some(2), None),
    rule("label_uppercase", &[], Some(1), None, None),
    rule("label_value", &[], Some(1), None, None),
    rule("quantiles", &[0], None, None, None),
    rule("quantiles_over_time", &[0], None, None, None),
    rule("sort_by_label", &[], Some(1), None, None),
    rule("sort_by_label_desc", &[], Some(1), None, None),
    rule("timezone_offset", &[0], None, None, None),
    rule("topk_avg", &[2], None, None, None),
    rule("topk_last", &[2], None, None, None),
    rule("topk_max", &[2], None, None, None),
    rule("topk_median", &[2], None, None, None),
    rule("topk_min", &[2], None, None, None),
];

/// Checks `args` of `name` against [`ARG_RULES`].
fn check_args(src: &str, name: &str, args: &[Expr]) -> Result<(), ParseError> {
    let Some(r) = ARG_RULES.iter().find(|r| r.name == name) else {
        return Ok(());
    };
    for (i, a) in args.iter().enumerate() {
        let must_be_string = r.strings.contains(&i) || r.strings_from.is_some_and(|from| i >= from);
        match a {
            Expr::String(s) if r.regex == Some(i) => {
                check_regex(&s.value).map_err(|m| ParseError::at_span(src, s.span, m))?;
            }
            Expr::String(_) => {}
            other if must_be_string => {
                return Err(ParseError::at_span(
                    src,
                    other.span(),
                    format!("argument {} of {name:?} must be a string", i + 1),
                )
                .with_hint("write it as a quoted string, e.g. \"label\""));
            }
            _ => {}
        }
    }
    if let Some(from) = r.pairs_from
        && args.len() > from
        && (args.len() - from) % 2 == 1
    {
        let last = args.last().map_or(Default::default(), Expr::span);
        return Err(ParseError::at_span(
            src,
            last,
            format!("{name:?} takes its string arguments in pairs"),
        )
        .with_hint("add the missing value or drop the extra name"));
    }
    Ok(())
}

/// The catalogue entry for `name` (case-insensitive).
pub fn lookup(name: &str) -> Option<&'static Function> {
    let lower = name.to_ascii_lowercase();
    FUNCTIONS
        .binary_search_by(|f| f.name.cmp(lower.as_str()))
        .ok()
        .map(|i| &FUNCTIONS[i])
}

/// Checks every call and aggregation in `e` against the catalogue.
pub fn check(src: &str, e: &Expr) -> Result<(), ParseError> {
    let mut first: Option<ParseError> = None;
    walk(e, &mut |node| {
        if first.is_some() {
            return;
        }
        let (name, nargs, span) = match node {
            Expr::Call(c) if c.name.is_empty() => return,
            Expr::Call(c) => (c.name.as_str(), c.args.len(), c.span),
            Expr::Aggregate(a) => (a.name.as_str(), a.args.len(), a.span),
            _ => return,
        };
        let Some(func) = lookup(name) else {
            let mut err = ParseError::at_span(src, span, format!("unknown function {name:?}"));
            if NEWER.contains(&name) {
                err = err.with_hint(format!("{name:?} needs a newer VictoriaMetrics than 1.79"));
            } else if let Some(near) = nearest(name) {
                err = err.with_hint(format!("did you mean {near:?}?"));
            }
            first = Some(err);
            return;
        };
        let too_few = nargs < func.min_args;
        let too_many = func.max_args.is_some_and(|m| nargs > m);
        if too_few || too_many {
            let want = match func.max_args {
                Some(m) if m == func.min_args => format!("{m}"),
                Some(m) => format!("{} to {m}", func.min_args),
                None => format!("at least {}", func.min_args),
            };
            first = Some(
                ParseError::at_span(
                    src,
                    span,
                    format!("wrong number of arguments to {name:?}: got {nargs}, want {want}"),
                )
                .with_hint(usage(func)),
            );
            return;
        }
        let args = match node {
            Expr::Call(c) => &c.args,
            Expr::Aggregate(a) => &a.args,
            _ => return,
        };
        if let Err(e) = check_args(src, name, args) {
            first = Some(e);
        }
    });
    first.map_or(Ok(()), Err)
}

fn usage(func: &Function) -> String {
    let args: Vec<String> = (1..=func.min_args).map(|i| format!("arg{i}")).collect();
    let more = match func.max_args {
        Some(m) if m > func.min_args => format!(" (up to {m} arguments)"),
        None => " (more arguments allowed)".to_string(),
        _ => String::new(),
    };
    format!("usage: {}({}){more}", func.name, args.join(", "))
}

/// The catalogue name closest to `name`, if it is close enough to be a typo.
fn nearest(name: &str) -> Option<&'static str> {
    FUNCTIONS
        .iter()
        .map(|f| (edit_distance(name, f.name), f.name))
        .filter(|(d, n)| *d <= 2.max(n.len() / 4))
        .min_by_key(|(d, n)| (*d, !n.starts_with(name)))
        .map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for w in FUNCTIONS.windows(2) {
            assert!(w[0].name < w[1].name, "{} / {}", w[0].name, w[1].name);
        }
        assert!(FUNCTIONS.len() > 200);
    }

    #[test]
    fn lookup_and_hints() {
        assert_eq!(lookup("RATE").map(|f| f.kind), Some(Kind::Rollup));
        assert_eq!(nearest("rat"), Some("rate"));
        assert_eq!(nearest("zzzzzzzz"), None);
    }
}
