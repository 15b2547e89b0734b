//! Aggregation operators: `sum avg min max count group stddev stdvar topk bottomk quantile count_values`, plus
//! `limitk` (Prometheus 3; `limit_ratio` is not supported), with `by`/`without`.
//!
//! Output labels: `by` keeps the listed labels (the name too if listed), `without` drops the listed ones and the
//! name, no clause gives `{}`; `topk`/`bottomk`/`limitk` return input samples unchanged. Arithmetic follows Prometheus
//! 2.42 step for step (plain float sum, running mean, Welford variance) so results match bit for bit.
//! Must not: sort the result (Prometheus leaves it in group order).

use promql_parser::parser::token::{
    T_AVG, T_BOTTOMK, T_COUNT, T_COUNT_VALUES, T_GROUP, T_LIMIT_RATIO, T_LIMITK, T_MAX, T_MIN,
    T_QUANTILE, T_STDDEV, T_STDVAR, T_SUM, T_TOPK, TokenId,
};
use promql_parser::parser::{AggregateExpr, Expr, LabelModifier};

use super::EvalError;
use super::eval::{Evaluator, unwrap_parens};
use super::functions::labels::is_valid_label_name;
use super::numeric::{fits_i64, format_go_f, quantile};
use super::value::{FastMap, Labels, METRIC_NAME, Sample, Value};

enum Grouping<'a> {
    By(&'a [String]),
    Without(&'a [String]),
}

impl Grouping<'_> {
    fn key(&self, l: &Labels, extra: Option<&str>) -> Labels {
        match self {
            Grouping::By(names) => l.filtered(|k| names.iter().any(|n| n == k) || Some(k) == extra),
            Grouping::Without(names) => {
                l.filtered(|k| k != METRIC_NAME && !names.iter().any(|n| n == k))
            }
        }
    }
}

struct Group {
    labels: Labels,
    value: f64,
    mean: f64,
    count: u64,
    members: Vec<Sample>,
}

pub(crate) fn eval(ev: &Evaluator<'_>, a: &AggregateExpr, ts: i64) -> Result<Value, EvalError> {
    let op = a.op.id();
    let grouping = match &a.modifier {
        Some(LabelModifier::Include(l)) => Grouping::By(&l.labels),
        Some(LabelModifier::Exclude(l)) => Grouping::Without(&l.labels),
        None => Grouping::By(&[]),
    };
    let (param, label_param) = match (&a.param, op) {
        (Some(p), T_COUNT_VALUES) => match unwrap_parens(p) {
            Expr::StringLiteral(s) => (0.0, Some(s.val.clone())),
            _ => {
                return Err(EvalError::InvalidArgument(
                    "count_values needs a string parameter".into(),
                ));
            }
        },
        (Some(p), _) => (ev.eval_scalar(p, ts)?, None),
        (None, _) => (0.0, None),
    };
    let input = ev.eval_vector(&a.expr, ts)?;
    let out = aggregate(op, &grouping, param, label_param.as_deref(), input)?;
    Ok(Value::Vector(
        out.into_iter()
            .map(|mut s| {
                s.t = ts;
                s
            })
            .collect(),
    ))
}

fn aggregate(
    op: TokenId,
    grouping: &Grouping<'_>,
    param: f64,
    value_label: Option<&str>,
    input: Vec<Sample>,
) -> Result<Vec<Sample>, EvalError> {
    let mut k = 0usize;
    if matches!(op, T_TOPK | T_BOTTOMK | T_LIMITK) {
        if !fits_i64(param) {
            return Err(EvalError::InvalidArgument(format!(
                "Scalar value {} overflows int64",
                go_v(param)
            )));
        }
        let ki = param as i64;
        if ki < 1 {
            return Ok(Vec::new());
        }
        k = usize::try_from(ki).unwrap_or(usize::MAX);
    }
    if op == T_LIMIT_RATIO {
        return Err(EvalError::Unsupported("limit_ratio".into()));
    }
    if op == T_COUNT_VALUES {
        let name = value_label.unwrap_or_default();
        if !is_valid_label_name(name) {
            return Err(EvalError::InvalidArgument(format!(
                "invalid label name {}",
                super::value::go_quote(name)
            )));
        }
    }
    let mut index: FastMap<Labels, usize> = FastMap::default();
    let mut groups: Vec<Group> = Vec::new();
    for mut s in input {
        if let Some(name) = value_label {
            s.labels.set(name, &format_go_f(s.v));
        }
        let key = grouping.key(&s.labels, value_label);
        let Some(&gi) = index.get(&key) else {
            index.insert(key.clone(), groups.len());
            let value = match op {
                T_STDDEV | T_STDVAR => 0.0,
                T_GROUP => 1.0,
                _ => s.v,
            };
            groups.push(Group {
                labels: key,
                value,
                mean: s.v,
                count: 1,
                members: if matches!(op, T_TOPK | T_BOTTOMK | T_QUANTILE | T_LIMITK) {
                    vec![s]
                } else {
                    Vec::new()
                },
            });
            continue;
        };
        let g = &mut groups[gi];
        match op {
            T_SUM => g.value += s.v,
            T_AVG => {
                g.count += 1;
                let n = g.count as f64;
                let skip = g.mean.is_infinite()
                    && ((s.v.is_infinite() && (g.mean > 0.0) == (s.v > 0.0))
                        || (!s.v.is_infinite() && !s.v.is_nan()));
                if !skip {
                    g.mean += s.v / n - g.mean / n;
                }
            }
            T_GROUP => {}
            T_MAX => {
                if g.value < s.v || g.value.is_nan() {
                    g.value = s.v;
                }
            }
            T_MIN => {
                if g.value > s.v || g.value.is_nan() {
                    g.value = s.v;
                }
            }
            T_COUNT | T_COUNT_VALUES => g.count += 1,
            T_STDDEV | T_STDVAR => {
                g.count += 1;
                let delta = s.v - g.mean;
                g.mean += delta / g.count as f64;
                g.value += delta * (s.v - g.mean);
            }
            T_TOPK => heap_offer(&mut g.members, s, k, top_less),
            T_BOTTOMK => heap_offer(&mut g.members, s, k, bottom_less),
            T_LIMITK => {
                if g.members.len() < k {
                    g.members.push(s);
                }
            }
            T_QUANTILE => g.members.push(s),
            other => {
                return Err(EvalError::Unsupported(format!(
                    "aggregation (token {other})"
                )));
            }
        }
    }
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let value = match op {
            T_AVG => g.mean,
            T_COUNT | T_COUNT_VALUES => g.count as f64,
            T_STDVAR => g.value / g.count as f64,
            T_STDDEV => (g.value / g.count as f64).sqrt(),
            T_TOPK | T_BOTTOMK | T_LIMITK => {
                let mut members = g.members;
                if op == T_TOPK {
                    members.sort_by(|a, b| desc_nan_last(a.v, b.v));
                } else if op == T_BOTTOMK {
                    members.sort_by(|a, b| {
                        nan_last(a.v, b.v)
                            .then(a.v.partial_cmp(&b.v).unwrap_or(std::cmp::Ordering::Equal))
                    });
                }
                out.extend(members);
                continue;
            }
            T_QUANTILE => {
                let mut values: Vec<f64> = g.members.iter().map(|s| s.v).collect();
                quantile(param, &mut values)
            }
            _ => g.value,
        };
        out.push(Sample {
            labels: g.labels,
            t: 0,
            v: value,
        });
    }
    Ok(out)
}

fn nan_last(a: f64, b: f64) -> std::cmp::Ordering {
    a.is_nan().cmp(&b.is_nan())
}

fn desc_nan_last(a: f64, b: f64) -> std::cmp::Ordering {
    nan_last(a, b).then(b.partial_cmp(&a).unwrap_or(std::cmp::Ordering::Equal))
}

/// Prometheus `vectorByValueHeap.Less`: NaN is smallest.
fn top_less(a: f64, b: f64) -> bool {
    a.is_nan() || a < b
}

/// Prometheus `vectorByReverseValueHeap.Less`: NaN is "smallest", larger values first.
fn bottom_less(a: f64, b: f64) -> bool {
    a.is_nan() || a > b
}

/// Offers `s` to a k-bounded heap exactly as Prometheus' topk/bottomk do with Go's `container/heap`, so that ties
/// and NaNs pick the same series.
fn heap_offer(h: &mut Vec<Sample>, s: Sample, k: usize, less: fn(f64, f64) -> bool) {
    let top = h[0].v;
    if h.len() < k || less(top, s.v) || top.is_nan() {
        if h.len() == k {
            if k == 1 {
                h[0] = s;
                return;
            }
            let n = h.len() - 1;
            h.swap(0, n);
            heap_down(h, 0, n, less);
            h.pop();
        }
        h.push(s);
        let j = h.len() - 1;
        heap_up(h, j, less);
    }
}

fn heap_up(h: &mut [Sample], mut j: usize, less: fn(f64, f64) -> bool) {
    // Each iteration moves j to its parent: at most log2(len) rounds.
    while j > 0 {
        let i = (j - 1) / 2;
        if !less(h[j].v, h[i].v) {
            break;
        }
        h.swap(i, j);
        j = i;
    }
}

fn heap_down(h: &mut [Sample], mut i: usize, n: usize, less: fn(f64, f64) -> bool) {
    // Each iteration moves i to a child: at most log2(n) rounds.
    loop {
        let j1 = 2 * i + 1;
        if j1 >= n {
            break;
        }
        let mut j = j1;
        if j1 + 1 < n && less(h[j1 + 1].v, h[j1].v) {
            j = j1 + 1;
        }
        if !less(h[j].v, h[i].v) {
            break;
        }
        h.swap(i, j);
        i = j;
    }
}

/// Go's `%v` for a float (`strconv` 'g', shortest): exponent form (`1e+20`, `1.5e-07`) for exponents below -4 or
/// from 6 on (Go uses precision 6 for that decision when printing the shortest form).
fn go_v(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let s = format!("{v:e}");
    match s.split_once('e') {
        Some((mantissa, exp))
            if v != 0.0 && exp.parse::<i32>().is_ok_and(|e| !(-4..6).contains(&e)) =>
        {
            let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        _ => format!("{v}"),
    }
}
