//! MetricsQL: the VictoriaMetrics dialect of PromQL, parsed, validated, rewritten and printed.
//!
//! Pipeline: [`lexer`] (text → tokens) → [`parser`] (tokens → unexpanded [`raw`] tree) → [`with`] (`WITH`
//! expansion → [`ast::Expr`]) → [`functions`] (catalogue check: names and argument counts). [`print`] turns a
//! tree back into text; [`rewrite`] enforces label matchers for tenancy. What is accepted follows
//! VictoriaMetrics 1.79 (the peer tocsin is tested against); deliberate differences are listed in
//! `docs/metricsql.md`.
//!
//! Pure: never does network IO, never evaluates.

pub mod ast;
pub mod error;
pub mod functions;
mod lexer;
mod parser;
pub mod print;
mod raw;
pub mod rewrite;
mod strings;
mod with;

pub use ast::{
    AggrModifier, AggrModifierKind, Aggregate, Binary, BinaryOp, Call, DurationLit, Expr,
    GroupSide, Grouping, LabelMatcher, MatchOp, MatchingKind, NumberLit, Rollup, Selector, Span,
    StringLit, VectorMatching,
};
pub use error::ParseError;
pub use rewrite::inject_matchers;

/// Parses a MetricsQL expression: `WITH` templates expanded, every function call checked against the catalogue.
///
/// Errors carry the line and column inside `expr` (1-based) and, where possible, a hint.
pub fn parse(expr: &str) -> Result<Expr, ParseError> {
    let raw = parser::parse_raw(expr)?;
    let e = with::expand(expr, &raw)?;
    functions::check(expr, &e)?;
    Ok(e)
}

#[cfg(test)]
mod tests;
