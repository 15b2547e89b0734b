//! Binary operators: arithmetic, comparison (with and without `bool`), `atan2`, and the set operators `and`, `or`,
//! `unless`, with `on`/`ignoring` and `group_left`/`group_right` vector matching, as in Prometheus 2.42.
//!
//! Metric names: arithmetic drops `__name__`; comparisons without `bool` filter and keep the left-hand labels
//! (minus what one-to-one `on`/`ignoring` removes); `bool` drops the name; set operators keep labels untouched.
//! Must not: reorder operands (Prometheus' error messages depend on which side is which).

use promql_parser::label::Labels as LabelNames;
use promql_parser::parser::token::{
    T_ADD, T_ATAN2, T_DIV, T_EQLC, T_GTE, T_GTR, T_LAND, T_LOR, T_LSS, T_LTE, T_LUNLESS, T_MOD,
    T_MUL, T_NEQ, T_POW, T_SUB, TokenId,
};
use promql_parser::parser::{BinaryExpr, LabelModifier, VectorMatchCardinality};

use super::EvalError;
use super::eval::{Evaluator, check_unique};
use super::value::{FastMap, FastSet, Labels, METRIC_NAME, Sample, Value};

pub(crate) fn eval(ev: &Evaluator<'_>, b: &BinaryExpr, ts: i64) -> Result<Value, EvalError> {
    let op = b.op.id();
    let return_bool = b.modifier.as_ref().is_some_and(|m| m.return_bool);
    if b.modifier
        .as_ref()
        .is_some_and(|m| m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some())
    {
        return Err(EvalError::Unsupported(
            "fill modifiers of binary operators".into(),
        ));
    }
    let lhs = ev.eval(&b.lhs, ts)?;
    let rhs = ev.eval(&b.rhs, ts)?;
    let out = match (lhs, rhs) {
        (Value::Scalar(l, _), Value::Scalar(r, _)) => {
            return Ok(Value::Scalar(scalar_op(op, l, r)?, ts));
        }
        (Value::Vector(l), Value::Vector(r)) => {
            let matching = Matching::of(b);
            match op {
                T_LAND => and(l, r, &matching),
                T_LOR => or(l, r, &matching),
                T_LUNLESS => unless(l, r, &matching),
                _ => vector_vector(op, l, r, &matching, return_bool)?,
            }
        }
        (Value::Vector(l), Value::Scalar(r, _)) => vector_scalar(op, l, r, false, return_bool)?,
        (Value::Scalar(l, _), Value::Vector(r)) => vector_scalar(op, r, l, true, return_bool)?,
        (l, r) => {
            return Err(EvalError::UnexpectedType {
                expected: "scalar or vector operands",
                got: if matches!(l, Value::Scalar(..) | Value::Vector(_)) {
                    r.type_name()
                } else {
                    l.type_name()
                },
            });
        }
    };
    check_unique(&out)?;
    Ok(Value::Vector(out))
}

fn is_comparison(op: TokenId) -> bool {
    matches!(op, T_EQLC | T_NEQ | T_GTR | T_LSS | T_GTE | T_LTE)
}

fn drops_name(op: TokenId) -> bool {
    matches!(op, T_ADD | T_SUB | T_MUL | T_DIV | T_POW | T_MOD)
}

/// `op` on two numbers; comparisons give 0 or 1 (scalar comparisons always need `bool`).
fn scalar_op(op: TokenId, l: f64, r: f64) -> Result<f64, EvalError> {
    let (v, keep) = elem_op(op, l, r)?;
    Ok(if is_comparison(op) {
        f64::from(u8::from(keep))
    } else {
        v
    })
}

/// `op` on two vector elements: the value and whether a comparison holds (always true for arithmetic).
fn elem_op(op: TokenId, l: f64, r: f64) -> Result<(f64, bool), EvalError> {
    Ok(match op {
        T_ADD => (l + r, true),
        T_SUB => (l - r, true),
        T_MUL => (l * r, true),
        T_DIV => (l / r, true),
        T_POW => (l.powf(r), true),
        T_MOD => (l % r, true),
        T_ATAN2 => (l.atan2(r), true),
        T_EQLC => (l, l == r),
        T_NEQ => (l, l != r),
        T_GTR => (l, l > r),
        T_LSS => (l, l < r),
        T_GTE => (l, l >= r),
        T_LTE => (l, l <= r),
        other => {
            return Err(EvalError::Unsupported(format!(
                "binary operator (token {other})"
            )));
        }
    })
}

fn vector_scalar(
    op: TokenId,
    vec: Vec<Sample>,
    scalar: f64,
    swap: bool,
    return_bool: bool,
) -> Result<Vec<Sample>, EvalError> {
    let mut out = Vec::with_capacity(vec.len());
    for mut s in vec {
        let (l, r) = if swap { (scalar, s.v) } else { (s.v, scalar) };
        let (mut value, mut keep) = elem_op(op, l, r)?;
        if is_comparison(op) && swap {
            value = r;
        }
        if return_bool {
            value = f64::from(u8::from(keep));
            keep = true;
        }
        if keep {
            s.v = value;
            if drops_name(op) || return_bool {
                s.labels.remove(METRIC_NAME);
            }
            out.push(s);
        }
    }
    Ok(out)
}

/// How two vectors are matched: `on(...)` or `ignoring(...)`, cardinality and the `group_x` extra labels.
struct Matching {
    on: bool,
    names: Vec<String>,
    card: Card,
    include: Vec<String>,
}

#[derive(PartialEq)]
enum Card {
    OneToOne,
    ManyToOne,
    OneToMany,
}

impl Matching {
    fn of(b: &BinaryExpr) -> Self {
        let (on, names) = match b.modifier.as_ref().and_then(|m| m.matching.as_ref()) {
            Some(LabelModifier::Include(l)) => (true, l.labels.clone()),
            Some(LabelModifier::Exclude(l)) => (false, l.labels.clone()),
            None => (false, Vec::new()),
        };
        let names_of = |l: &LabelNames| l.labels.clone();
        let (card, include) = match b.modifier.as_ref().map(|m| &m.card) {
            Some(VectorMatchCardinality::ManyToOne(l)) => (Card::ManyToOne, names_of(l)),
            Some(VectorMatchCardinality::OneToMany(l)) => (Card::OneToMany, names_of(l)),
            _ => (Card::OneToOne, Vec::new()),
        };
        Self {
            on,
            names,
            card,
            include,
        }
    }

    /// The labels two series must share to match (`on`: the listed ones; `ignoring`: all but those and the name).
    fn signature(&self, l: &Labels) -> Labels {
        if self.on {
            l.keep_only(&self.names)
        } else {
            l.filtered(|k| k != METRIC_NAME && !self.names.iter().any(|n| n == k))
        }
    }
}

fn and(lhs: Vec<Sample>, rhs: Vec<Sample>, m: &Matching) -> Vec<Sample> {
    if lhs.is_empty() || rhs.is_empty() {
        return Vec::new();
    }
    let right: FastSet<Labels> = rhs.iter().map(|s| m.signature(&s.labels)).collect();
    lhs.into_iter()
        .filter(|s| right.contains(&m.signature(&s.labels)))
        .collect()
}

fn or(lhs: Vec<Sample>, rhs: Vec<Sample>, m: &Matching) -> Vec<Sample> {
    if lhs.is_empty() {
        return rhs;
    }
    if rhs.is_empty() {
        return lhs;
    }
    let left: FastSet<Labels> = lhs.iter().map(|s| m.signature(&s.labels)).collect();
    let mut out = lhs;
    out.extend(
        rhs.into_iter()
            .filter(|s| !left.contains(&m.signature(&s.labels))),
    );
    out
}

fn unless(lhs: Vec<Sample>, rhs: Vec<Sample>, m: &Matching) -> Vec<Sample> {
    if lhs.is_empty() || rhs.is_empty() {
        return lhs;
    }
    let right: FastSet<Labels> = rhs.iter().map(|s| m.signature(&s.labels)).collect();
    lhs.into_iter()
        .filter(|s| !right.contains(&m.signature(&s.labels)))
        .collect()
}

fn vector_vector(
    op: TokenId,
    lhs: Vec<Sample>,
    rhs: Vec<Sample>,
    m: &Matching,
    return_bool: bool,
) -> Result<Vec<Sample>, EvalError> {
    if lhs.is_empty() || rhs.is_empty() {
        return Ok(Vec::new());
    }
    let one_to_many = m.card == Card::OneToMany;
    // The "one" side goes right, as Prometheus does; values are swapped back before the operation.
    let (many, one) = if one_to_many { (rhs, lhs) } else { (lhs, rhs) };
    let mut right: FastMap<Labels, &Sample> =
        FastMap::with_capacity_and_hasher(one.len(), Default::default());
    for s in &one {
        let sig = m.signature(&s.labels);
        if let Some(dup) = right.get(&sig) {
            return Err(EvalError::DuplicateMatchGroup {
                group: sig.to_string(),
                side: if one_to_many { "left" } else { "right" },
                first: s.labels.to_string(),
                second: dup.labels.to_string(),
            });
        }
        right.insert(sig, s);
    }
    let mut matched: FastMap<Labels, FastSet<Labels>> = FastMap::default();
    let mut out = Vec::new();
    for ls in &many {
        let sig = m.signature(&ls.labels);
        let Some(rs) = right.get(&sig) else {
            continue;
        };
        let (vl, vr) = if one_to_many {
            (rs.v, ls.v)
        } else {
            (ls.v, rs.v)
        };
        let (mut value, keep) = elem_op(op, vl, vr)?;
        if return_bool {
            value = f64::from(u8::from(keep));
        } else if !keep {
            continue;
        }
        let mut metric = result_metric(&ls.labels, &rs.labels, op, m);
        if return_bool {
            metric.remove(METRIC_NAME);
        }
        if m.card == Card::OneToOne {
            if matched.contains_key(&sig) {
                return Err(EvalError::ManyToOneNotExplicit);
            }
            matched.insert(sig, FastSet::default());
        } else {
            let inserted = matched.entry(sig).or_default();
            if !inserted.insert(metric.clone()) {
                return Err(EvalError::GroupingNotUnique);
            }
        }
        out.push(Sample {
            labels: metric,
            t: ls.t,
            v: value,
        });
    }
    Ok(out)
}

/// Labels of a matched pair: the "many" side's, name dropped for arithmetic, narrowed by one-to-one `on`/`ignoring`,
/// plus the `group_x` labels copied from the "one" side.
fn result_metric(lhs: &Labels, rhs: &Labels, op: TokenId, m: &Matching) -> Labels {
    let mut out = if drops_name(op) {
        lhs.without_name()
    } else {
        lhs.clone()
    };
    if m.card == Card::OneToOne {
        out = if m.on {
            out.keep_only(&m.names)
        } else {
            out.without(&m.names)
        };
    }
    for name in &m.include {
        out.set(name, rhs.value(name));
    }
    out
}
