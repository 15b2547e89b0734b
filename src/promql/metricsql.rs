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
    check_depth(expr, &e)?;
    functions::check(expr, &e)?;
    Ok(e)
}

/// The deepest expression tree [`parse`] accepts. Checked on the tree rather than the text, so that whatever
/// parses also parses again once printed, however the printer parenthesises it.
pub const MAX_TREE_DEPTH: usize = 1000;

fn check_depth(src: &str, e: &Expr) -> Result<(), ParseError> {
    // Explicit stack: the check must not itself recurse on a tree it has not measured yet.
    let mut stack: Vec<(&Expr, usize)> = vec![(e, 1)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_TREE_DEPTH {
            return Err(ParseError::at_span(
                src,
                node.span(),
                format!("expression nests deeper than {MAX_TREE_DEPTH} levels"),
            )
            .with_hint("split it into recording rules"));
        }
        match node {
            Expr::Number(_) | Expr::String(_) | Expr::Duration(_) | Expr::Selector(_) => {}
            Expr::Rollup(r) => {
                stack.push((&r.expr, depth + 1));
                if let Some(at) = &r.at {
                    stack.push((at, depth + 1));
                }
            }
            Expr::Binary(b) => {
                stack.push((&b.lhs, depth + 1));
                stack.push((&b.rhs, depth + 1));
            }
            Expr::Call(c) => stack.extend(c.args.iter().map(|a| (a, depth + 1))),
            Expr::Aggregate(a) => stack.extend(a.args.iter().map(|x| (x, depth + 1))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
