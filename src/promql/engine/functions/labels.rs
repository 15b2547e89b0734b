//! Label functions: `label_replace` and `label_join`. Both keep the metric name.
//! See <https://prometheus.io/docs/prometheus/2.42/querying/functions/#label_replace>.
//!
//! Must not: change values.

use promql_parser::parser::Expr;

use super::super::EvalError;
use super::super::eval::{Evaluator, unwrap_parens};
use super::super::value::Sample;
use super::arg;

/// Whether `name` is a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub(crate) fn is_valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn string_arg(args: &[&Expr], i: usize) -> Result<String, EvalError> {
    match unwrap_parens(arg(args, i)?) {
        Expr::StringLiteral(s) => Ok(s.val.clone()),
        _ => Err(EvalError::InvalidArgument(format!(
            "argument {} must be a string",
            i + 1
        ))),
    }
}

/// `label_replace(v, dst, replacement, src, regex)`: when `regex` (anchored) matches the value of `src`, sets `dst`
/// to the expanded replacement (removing it when that is empty).
pub(crate) fn label_replace(
    ev: &Evaluator<'_>,
    args: &[&Expr],
    ts: i64,
) -> Result<Vec<Sample>, EvalError> {
    let vec = ev.eval_vector(arg(args, 0)?, ts)?;
    let dst = string_arg(args, 1)?;
    let repl = string_arg(args, 2)?;
    let src = string_arg(args, 3)?;
    let regex_src = string_arg(args, 4)?;
    let re = ev.regexes.get(&format!("^(?:{regex_src})$")).map_err(|_| {
        EvalError::InvalidArgument(format!(
            "invalid regular expression in label_replace(): {regex_src}"
        ))
    })?;
    if !is_valid_label_name(&dst) {
        return Err(EvalError::InvalidArgument(format!(
            "invalid destination label name in label_replace(): {dst}"
        )));
    }
    Ok(vec
        .into_iter()
        .map(|mut s| {
            let value = s.labels.value(&src).to_string();
            if let Some(caps) = re.captures(&value) {
                let mut out = String::new();
                caps.expand(&repl, &mut out);
                s.labels.set(&dst, &out);
            }
            s
        })
        .collect())
}

/// `label_join(v, dst, separator, src...)`: sets `dst` to the `src` values joined by `separator` (removing it when
/// the result is empty).
pub(crate) fn label_join(
    ev: &Evaluator<'_>,
    args: &[&Expr],
    ts: i64,
) -> Result<Vec<Sample>, EvalError> {
    let vec = ev.eval_vector(arg(args, 0)?, ts)?;
    let dst = string_arg(args, 1)?;
    let sep = string_arg(args, 2)?;
    let mut srcs = Vec::with_capacity(args.len().saturating_sub(3));
    for i in 3..args.len() {
        let src = string_arg(args, i)?;
        if !is_valid_label_name(&src) {
            return Err(EvalError::InvalidArgument(format!(
                "invalid source label name in label_join(): {src}"
            )));
        }
        srcs.push(src);
    }
    if !is_valid_label_name(&dst) {
        return Err(EvalError::InvalidArgument(format!(
            "invalid destination label name in label_join(): {dst}"
        )));
    }
    Ok(vec
        .into_iter()
        .map(|mut s| {
            let joined = srcs
                .iter()
                .map(|n| s.labels.value(n))
                .collect::<Vec<_>>()
                .join(&sep);
            s.labels.set(&dst, &joined);
            s
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names() {
        assert!(is_valid_label_name("_a1"));
        assert!(!is_valid_label_name("1a"));
        assert!(!is_valid_label_name(""));
        assert!(!is_valid_label_name("a-b"));
    }
}
