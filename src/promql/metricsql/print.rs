//! The printer: `Display` for [`Expr`], giving text that VictoriaMetrics (and [`super::parse`]) reads back to the
//! same tree. It adds parentheses wherever the tree's shape would otherwise be lost, prints numbers as they were
//! written when it can, and escapes names that would read as keywords.
//!
//! Pure; never re-parses or validates.

use std::fmt::{self, Display, Formatter, Write};

use super::ast::grow;
use super::ast::{
    AggrModifierKind, Aggregate, Binary, BinaryOp, Call, Expr, GroupSide, LabelMatcher,
    MatchingKind, NumberLit, Rollup, Selector,
};
use super::parser::is_aggregate;
use super::strings::{escape_ident, quote};

/// Words the parser reads specially in the position of a metric name.
const KEYWORDS: [&str; 20] = [
    "inf",
    "nan",
    "with",
    "offset",
    "bool",
    "and",
    "or",
    "unless",
    "if",
    "ifnot",
    "default",
    "atan2",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "by",
    "without",
    "limit",
    "keep_metric_names",
];

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        grow(|| write_expr(f, self))
    }
}

fn write_expr(f: &mut Formatter<'_>, e: &Expr) -> fmt::Result {
    {
        match e {
            Expr::Number(n) => write_number(f, n),
            Expr::String(s) => f.write_str(&quote(&s.value)),
            Expr::Duration(d) => f.write_str(&d.text),
            Expr::Selector(s) => write_selector(f, s),
            Expr::Rollup(r) => write_rollup(f, r),
            Expr::Binary(b) => write_binary(f, b),
            Expr::Call(c) => write_call(f, c),
            Expr::Aggregate(a) => write_aggregate(f, a),
        }
    }
}

fn write_number(f: &mut Formatter<'_>, n: &NumberLit) -> fmt::Result {
    if let Some(t) = &n.text {
        return f.write_str(t);
    }
    let v = n.value;
    if v.is_nan() {
        f.write_str("NaN")
    } else if v.is_infinite() {
        f.write_str(if v > 0.0 { "Inf" } else { "-Inf" })
    } else {
        // `{:?}` never loses precision and uses an exponent for very large or small values.
        write!(f, "{v:?}")
    }
}

fn is_negative_number(e: &Expr) -> bool {
    match e {
        Expr::Number(n) => n
            .text
            .as_deref()
            .map_or(n.value.is_sign_negative(), |t| t.starts_with('-')),
        _ => false,
    }
}

/// True for expressions that print as one operand and can take a suffix or sit after `@` unchanged.
fn is_atom(e: &Expr) -> bool {
    match e {
        Expr::Number(_) => !is_negative_number(e),
        Expr::String(_) | Expr::Duration(_) | Expr::Selector(_) => true,
        Expr::Call(c) => !c.name.is_empty() || c.args.len() != 1,
        _ => false,
    }
}

fn write_parenthesised(f: &mut Formatter<'_>, e: &Expr, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

fn write_name(f: &mut Formatter<'_>, name: &str) -> fmt::Result {
    let lower = name.to_ascii_lowercase();
    if KEYWORDS.contains(&lower.as_str()) {
        // A backslash keeps the word an identifier without changing the name it stands for.
        let mut chars = name.chars();
        if let Some(c) = chars.next() {
            return write!(f, "\\{c}{}", escape_ident(chars.as_str()));
        }
    }
    f.write_str(&escape_ident(name))
}

fn write_labels(f: &mut Formatter<'_>, labels: &[String]) -> fmt::Result {
    f.write_char('(')?;
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str(&escape_ident(l))?;
    }
    f.write_char(')')
}

fn write_matcher(f: &mut Formatter<'_>, m: &LabelMatcher) -> fmt::Result {
    write!(
        f,
        "{}{}{}",
        escape_ident(&m.label),
        m.op.as_str(),
        quote(&m.value)
    )
}

fn write_selector(f: &mut Formatter<'_>, s: &Selector) -> fmt::Result {
    match &s.name {
        Some(n) if !n.is_empty() => write_name(f, n)?,
        Some(n) => {
            // An empty metric name has no identifier form.
            write!(f, "{{__name__={}", quote(n))?;
            for g in &s.groups {
                for m in g {
                    f.write_str(", ")?;
                    write_matcher(f, m)?;
                }
            }
            return f.write_char('}');
        }
        None => {}
    }
    if s.groups.is_empty() {
        // `{}` keeps a name such as `sum` a selector even before `by` or an operator word.
        if s.name.as_deref().is_none_or(is_aggregate) {
            f.write_str("{}")?;
        }
        return Ok(());
    }
    f.write_char('{')?;
    for (gi, g) in s.groups.iter().enumerate() {
        if gi > 0 {
            f.write_str(" or ")?;
        }
        for (i, m) in g.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write_matcher(f, m)?;
        }
    }
    f.write_char('}')
}

fn write_rollup(f: &mut Formatter<'_>, r: &Rollup) -> fmt::Result {
    write_parenthesised(f, &r.expr, !is_atom(&r.expr))?;
    if r.window.is_some() || r.step.is_some() || r.inherit_step {
        f.write_char('[')?;
        if let Some(w) = &r.window {
            f.write_str(&w.text)?;
        }
        if let Some(s) = &r.step {
            write!(f, ":{}", s.text)?;
        } else if r.inherit_step {
            f.write_char(':')?;
        }
        f.write_char(']')?;
    }
    if let Some(o) = &r.offset {
        write!(f, " offset {}", o.text)?;
    }
    if let Some(at) = &r.at {
        f.write_str(" @ ")?;
        write_parenthesised(f, at, !is_atom(at))?;
    }
    Ok(())
}

fn write_binary(f: &mut Formatter<'_>, b: &Binary) -> fmt::Result {
    // Parentheses only where precedence or associativity needs them (`^` groups to the right, the rest left).
    let p = b.op.precedence();
    let wrap_lhs = match &*b.lhs {
        Expr::Binary(l) => {
            l.op.precedence() < p || (l.op.precedence() == p && b.op == BinaryOp::Pow)
        }
        other => is_negative_number(other),
    };
    write_parenthesised(f, &b.lhs, wrap_lhs)?;
    write!(f, " {}", b.op.as_str())?;
    if b.return_bool {
        f.write_str(" bool")?;
    }
    if let Some(m) = &b.matching {
        f.write_str(match m.kind {
            MatchingKind::On => " on",
            MatchingKind::Ignoring => " ignoring",
        })?;
        f.write_char(' ')?;
        write_labels(f, &m.labels)?;
    }
    if let Some(g) = &b.grouping {
        f.write_str(match g.side {
            GroupSide::Left => " group_left",
            GroupSide::Right => " group_right",
        })?;
        f.write_char(' ')?;
        write_labels(f, &g.labels)?;
    }
    f.write_char(' ')?;
    write_parenthesised(f, &b.rhs, wraps_rhs(b))
}

/// Whether the right operand of `b` needs parentheses.
fn wraps_rhs(b: &Binary) -> bool {
    let p = b.op.precedence();
    let by_precedence = match &*b.rhs {
        Expr::Binary(r) => {
            r.op.precedence() < p || (r.op.precedence() == p && b.op != BinaryOp::Pow)
        }
        _ => false,
    };
    // `"s" + name` reads as string concatenation: after a bare string, `+` must not meet a bare operand.
    let after_string = b.op == BinaryOp::Add
        && ends_with_string(&b.lhs)
        && !matches!(*b.rhs, Expr::Call(_) | Expr::Aggregate(_));
    by_precedence || after_string
}

/// True when `e` prints ending in a bare string literal.
fn ends_with_string(e: &Expr) -> bool {
    match e {
        Expr::String(_) => true,
        Expr::Binary(b) => !wraps_rhs(b) && ends_with_string(&b.rhs),
        // `x @ "t"` ends with its `@` operand, printed bare when it is an atom.
        Expr::Rollup(r) => {
            r.at.as_deref()
                .is_some_and(|at| is_atom(at) && ends_with_string(at))
        }
        _ => false,
    }
}

fn write_args(f: &mut Formatter<'_>, args: &[Expr]) -> fmt::Result {
    f.write_char('(')?;
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{a}")?;
    }
    f.write_char(')')
}

fn write_call(f: &mut Formatter<'_>, c: &Call) -> fmt::Result {
    if c.name.is_empty() && c.args.len() == 1 {
        // A one-element union has no parenthesised form; `union` means the same.
        f.write_str("union")?;
    } else if is_aggregate(&c.name) {
        // A backslash keeps an aggregation's name a plain function call.
        write!(f, "\\{}", escape_ident(&c.name))?;
    } else if !c.name.is_empty() {
        write_name(f, &c.name)?;
    }
    write_args(f, &c.args)?;
    if c.keep_metric_names {
        f.write_str(" keep_metric_names")?;
    }
    Ok(())
}

fn write_aggregate(f: &mut Formatter<'_>, a: &Aggregate) -> fmt::Result {
    f.write_str(&escape_ident(&a.name))?;
    write_args(f, &a.args)?;
    if let Some(m) = &a.modifier {
        f.write_str(match m.kind {
            AggrModifierKind::By => " by ",
            AggrModifierKind::Without => " without ",
        })?;
        write_labels(f, &m.labels)?;
    }
    if let Some(l) = a.limit {
        write!(f, " limit {l}")?;
    }
    Ok(())
}
