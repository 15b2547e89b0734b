//! PromQL and MetricsQL: parsing expressions for validation, AST rewrites, and the embedded evaluator used by
//! `tocsin test`.
//!
//! Pure: never does network IO.

pub mod engine;
pub mod metricsql;

/// Parses a PromQL expression as Prometheus 2.x does, returning the parser's message on failure.
///
/// promql-parser follows Prometheus 3, which renamed `holt_winters` to `double_exponential_smoothing`; rule files
/// written for 2.x still use the old name, so an expression the parser refuses for that name alone is parsed again
/// with the new one (same arguments, same algorithm in the embedded engine).
pub fn parse_promql(expr: &str) -> Result<promql_parser::parser::Expr, String> {
    match promql_parser::parser::parse(expr) {
        Err(e) if e.contains("holt_winters") => {
            promql_parser::parser::parse(&rename_holt_winters(expr)).map_err(|_| e)
        }
        other => other,
    }
}

/// Replaces the function name `holt_winters(` (an identifier followed by an opening parenthesis, optionally after
/// spaces) with `double_exponential_smoothing(`, outside quoted strings.
fn rename_holt_winters(expr: &str) -> String {
    const OLD: &str = "holt_winters";
    let bytes = expr.as_bytes();
    let mut out = String::with_capacity(expr.len() + 16);
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' && i + 1 < bytes.len() {
                    out.push_str(&expr[i..i + 2]);
                    i += 2;
                    continue;
                }
                if b == q {
                    quote = None;
                }
            }
            None if b == b'"' || b == b'\'' || b == b'`' => quote = Some(b),
            None if expr[i..].starts_with(OLD) => {
                let before_ok =
                    i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
                let rest = expr[i + OLD.len()..].trim_start();
                if before_ok && rest.starts_with('(') {
                    out.push_str("double_exponential_smoothing");
                    i += OLD.len();
                    continue;
                }
            }
            None => {}
        }
        let ch = expr[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holt_winters_is_accepted_under_its_prometheus_2_name() {
        assert!(parse_promql("holt_winters(rate(x[5m])[10m:], 0.5, 0.5)").is_ok());
        assert!(parse_promql("holt_winters (x[5m], 0.5, 0.5) > 1").is_ok());
        assert_eq!(
            rename_holt_winters(r#"holt_winters(x{a="holt_winters("}[5m], 0.1, 0.1)"#),
            r#"double_exponential_smoothing(x{a="holt_winters("}[5m], 0.1, 0.1)"#
        );
        assert!(parse_promql("my_holt_winters(x)").is_err());
        assert!(parse_promql("rate(x)").is_err());
    }
}
