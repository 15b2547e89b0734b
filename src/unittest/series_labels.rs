//! The label set of a series written in PromQL notation (`name{a="b"}`), as test files give them in
//! `input_series[].series` and `exp_samples[].labels`.
//!
//! The common shape (a plain metric name, `=` matchers with quoted values free of escapes) is read by a small
//! scanner; everything else goes through the PromQL parser, which also words every error. Test files hold hundreds
//! of these strings and the full parser costs tens of microseconds each (more than a whole evaluation step of a small
//! test), so the scanner is a measurable part of `tocsin test`'s start-up. Must not: accept a string the parser
//! would read differently or refuse (the tests below hold the two paths to the same answers).

use promql_parser::parser::Expr;

use crate::rule::Labels;

/// Labels of a series written in PromQL notation: `name{a="b"}`, `{a="b"}`, `{}` or empty.
pub fn parse_series_labels(text: &str) -> Result<Labels, String> {
    let t = text.trim();
    if t.is_empty() || t == "{}" {
        return Ok(Labels::new());
    }
    match scan(t) {
        Some(labels) => Ok(labels),
        None => parse_full(t),
    }
}

/// The PromQL parser's reading: a vector selector with `=` matchers only, no `offset`, `@` or `or`.
fn parse_full(t: &str) -> Result<Labels, String> {
    let expr = crate::promql::parse_promql(t)?;
    let Expr::VectorSelector(vs) = expr else {
        return Err(format!("{t:?} is not a series"));
    };
    let mut out = Labels::new();
    if let Some(n) = &vs.name {
        out.insert("__name__".into(), n.clone());
    }
    for m in &vs.matchers.matchers {
        if m.op != promql_parser::label::MatchOp::Equal {
            return Err(format!("{t:?}: only = matchers describe a series"));
        }
        if !m.value.is_empty() {
            out.insert(m.name.clone(), m.value.clone());
        }
    }
    if vs.offset.is_some() || vs.at.is_some() || !vs.matchers.or_matchers.is_empty() {
        return Err(format!("{t:?} is not a series"));
    }
    Ok(out)
}

/// Words the PromQL lexer reads as something other than a metric name (any case): left to the parser.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "atan2",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "start",
    "end",
    "inf",
    "nan",
    "sum",
    "avg",
    "count",
    "min",
    "max",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "count_values",
    "quantile",
    "limitk",
    "limit_ratio",
];

/// Reads `name`, `name{l="v", ...}` or `{l="v", ...}` when every part is plain; `None` sends the text to the parser.
fn scan(t: &str) -> Option<Labels> {
    let b = t.as_bytes();
    let mut i = 0;
    let mut out = Labels::new();
    // Metric name: [a-zA-Z_:][a-zA-Z0-9_:]*, not a keyword.
    if b.first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_' || *c == b':')
    {
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
            i += 1;
        }
        let name = &t[..i];
        if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(name)) {
            return None;
        }
        out.insert("__name__".into(), name.to_string());
        if i == b.len() {
            return Some(out);
        }
    }
    if b.get(i) != Some(&b'{') || b.last() != Some(&b'}') {
        return None;
    }
    let inner = &t[i + 1..t.len() - 1];
    let mut any_value = !out.is_empty();
    // Bounded: every pass consumes at least one byte of `inner` (a name and a quoted value).
    let mut rest = inner.trim_start_matches([' ', '\t']);
    while !rest.is_empty() {
        let rb = rest.as_bytes();
        if !(rb[0].is_ascii_alphabetic() || rb[0] == b'_') {
            return None;
        }
        let n = rb
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
            .unwrap_or(rb.len());
        let name = &rest[..n];
        if name == "__name__" {
            return None;
        }
        rest = rest[n..].trim_start_matches([' ', '\t']);
        rest = rest.strip_prefix('=')?;
        if rest.starts_with(['=', '~']) {
            return None;
        }
        rest = rest.trim_start_matches([' ', '\t']);
        let quote = match rest.chars().next()? {
            q @ ('"' | '\'') => q,
            _ => return None,
        };
        let body = &rest[1..];
        let end = body.find(quote)?;
        let value = &body[..end];
        if value.contains(['\\', '\n', '\r']) {
            return None;
        }
        if !value.is_empty() {
            any_value = true;
            out.insert(name.to_string(), value.to_string());
        }
        rest = body[end + 1..].trim_start_matches([' ', '\t']);
        if let Some(after) = rest.strip_prefix(',') {
            rest = after.trim_start_matches([' ', '\t']);
        } else if !rest.is_empty() {
            return None;
        }
    }
    // `{a=""}` alone is an error of the parser ("at least one non-empty matcher"): let it word it.
    any_value.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_labels() {
        let l = parse_series_labels("up{job=\"a\", x=\"\"}").unwrap_or_default();
        assert_eq!(l.len(), 2);
        assert_eq!(l["__name__"], "up");
        assert!(parse_series_labels("{}").is_ok_and(|l| l.is_empty()));
        assert!(parse_series_labels("up{a=~\"x\"}").is_err());
        assert!(parse_series_labels("rate(x[5m])").is_err());
    }

    /// Every string is read by both paths where the scanner takes it; the parser is the oracle.
    #[test]
    fn scanner_agrees_with_the_parser() {
        let cases = [
            "up",
            "up{}",
            "job:up:sum",
            "_x",
            ":a",
            r#"up{job="a"}"#,
            r#"up{job="a",}"#,
            r#"up{ job = "a" , instance='h:9100' }"#,
            r#"{job="a"}"#,
            r#"{a="1", a="2"}"#,
            r#"up{b="2", a="1"}"#,
            r#"up{a=""}"#,
            r#"up{a="", b="x"}"#,
            r#"{a="é ü 日本"}"#,
            r#"{a="{}", b=","}"#,
            r#"m{a="it's"}"#,
            r#"m{a='say "hi"'}"#,
            r#"Up_Time{Le="+Inf"}"#,
        ];
        for c in cases {
            let scanned = scan(c);
            assert!(scanned.is_some(), "scanner refused {c:?}");
            assert_eq!(scanned, parse_full(c).ok(), "{c:?}");
        }
    }

    /// Strings the scanner must leave to the parser (escapes, keywords, other matchers, odd shapes).
    #[test]
    fn scanner_leaves_the_rest_to_the_parser() {
        let cases = [
            r#"up{a="x\"y"}"#,
            r#"up{a="\u00e9"}"#,
            "sum",
            "Inf",
            "nan",
            "by",
            r#"up{a!="x"}"#,
            r#"up{a=~"x"}"#,
            r#"up{a=="x"}"#,
            r#"up{__name__="x"}"#,
            r#"{__name__="x"}"#,
            r#"{a=""}"#,
            r#"up{a=`x`}"#,
            r#"up{"a"="x"}"#,
            r#"up{a="x" b="y"}"#,
            r#"up{a="x"} offset 5m"#,
            r#"up{a="x"}[5m]"#,
            "rate(x[5m])",
            "1",
            "up offset 5m",
            r#"up{a="x"}}"#,
            r#"up{a="x",,}"#,
        ];
        for c in cases {
            assert_eq!(scan(c), None, "scanner took {c:?}");
        }
        // Through the public function they still get the parser's verdict.
        assert_eq!(
            parse_series_labels(r#"up{a="x\"y"}"#)
                .ok()
                .map(|l| l["a"].clone()),
            Some("x\"y".to_string())
        );
        assert!(parse_series_labels(r#"up{a!="x"}"#).is_err());
        assert!(parse_series_labels(r#"{a=""}"#).is_err());
    }
}
