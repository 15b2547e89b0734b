//! PromQL and MetricsQL: parsing expressions for validation, AST rewrites, and the embedded evaluator used by
//! `tocsin test`.
//!
//! Pure: never does network IO.

pub mod engine;
pub mod metricsql;

/// Parses a PromQL expression as Prometheus does, returning the parser's message on failure.
pub fn parse_promql(expr: &str) -> Result<promql_parser::parser::Expr, String> {
    promql_parser::parser::parse(expr)
}
