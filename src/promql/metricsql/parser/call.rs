//! Calls, aggregations and parenthesised lists: `f(a, b) keep_metric_names`, `sum by (job) (x) limit 5`,
//! `(a, b)`, `by (…)` label lists.
//!
//! Part of the parser; builds [`Raw`] nodes only.

use super::Parser;
use crate::promql::metricsql::ast::{AggrModifierKind, Span};
use crate::promql::metricsql::error::ParseError;
use crate::promql::metricsql::lexer::Kind;
use crate::promql::metricsql::raw::{Name, Raw};
use crate::promql::metricsql::strings::unescape_ident;

/// Names that parse as aggregations (VictoriaMetrics 1.79's list): they take `by`/`without` and `limit`.
const AGGREGATES: [&str; 35] = [
    "any",
    "avg",
    "bottomk",
    "bottomk_avg",
    "bottomk_max",
    "bottomk_median",
    "bottomk_last",
    "bottomk_min",
    "count",
    "count_values",
    "distinct",
    "geomean",
    "group",
    "histogram",
    "limitk",
    "mad",
    "max",
    "median",
    "min",
    "mode",
    "outliers_mad",
    "outliersk",
    "quantile",
    "quantiles",
    "stddev",
    "stdvar",
    "sum",
    "sum2",
    "topk",
    "topk_avg",
    "topk_max",
    "topk_median",
    "topk_last",
    "topk_min",
    "zscore",
];

pub fn is_aggregate(name: &str) -> bool {
    AGGREGATES.contains(&name.to_ascii_lowercase().as_str())
}

impl Parser<'_> {
    pub(super) fn aggregate(&mut self) -> Result<Raw, ParseError> {
        let start = self.tok().span;
        let name = Name {
            text: unescape_ident(self.text()).to_ascii_lowercase(),
            span: start,
        };
        self.advance();
        let mut modifier = None;
        if self.kind() == Kind::Ident {
            modifier = Some(self.aggr_modifier()?);
        } else if self.kind() != Kind::LParen {
            return Err(self.unexpected("\"(\""));
        }
        let (args, args_span) = self.arg_list()?;
        let mut span = start.to(args_span);
        if modifier.is_none() && (self.is_word("by") || self.is_word("without")) {
            modifier = Some(self.aggr_modifier()?);
            // `pos` >= 1: the aggregation's name has been consumed.
            span = span.to(self.tokens[self.pos - 1].span);
        }
        let mut limit = None;
        if self.is_word("limit") {
            self.advance();
            let text = self.text();
            let n = (self.kind() == Kind::Number && text.bytes().all(|c| c.is_ascii_digit()))
                .then(|| text.parse::<i64>().ok())
                .flatten()
                .ok_or_else(|| {
                    self.err(format!("cannot parse limit {text:?}"))
                        .with_hint("limit takes a whole number")
                })?;
            span = span.to(self.tok().span);
            self.advance();
            // `limit 0` means no limit.
            limit = (n > 0).then_some(n as u64);
        }
        Ok(Raw::Aggr {
            name,
            args,
            modifier,
            limit,
            span,
        })
    }
    pub(super) fn aggr_modifier(&mut self) -> Result<(AggrModifierKind, Vec<Name>), ParseError> {
        let kind = if self.is_word("by") {
            AggrModifierKind::By
        } else if self.is_word("without") {
            AggrModifierKind::Without
        } else {
            return Err(self.unexpected("\"by\", \"without\" or \"(\""));
        };
        self.advance();
        Ok((kind, self.ident_list()?))
    }
    pub(super) fn call(&mut self) -> Result<Raw, ParseError> {
        let start = self.tok().span;
        let name = Name {
            text: unescape_ident(self.text()),
            span: start,
        };
        self.advance();
        let (args, args_span) = self.arg_list()?;
        let mut span = start.to(args_span);
        let mut keep_metric_names = false;
        if self.is_word("keep_metric_names") {
            keep_metric_names = true;
            span = span.to(self.tok().span);
            self.advance();
        }
        Ok(Raw::Call {
            name,
            args,
            keep_metric_names,
            span,
        })
    }
    /// `( expr, expr, … )` with an optional trailing comma.
    pub(super) fn arg_list(&mut self) -> Result<(Vec<Raw>, Span), ParseError> {
        let start = self.expect(Kind::LParen, "\"(\"")?;
        let mut args = Vec::new();
        // Each iteration consumes an argument and a separator, or the closing parenthesis.
        loop {
            if self.kind() == Kind::RParen {
                break;
            }
            args.push(self.expr()?);
            match self.kind() {
                Kind::Comma => self.advance(),
                Kind::RParen => break,
                _ => return Err(self.unexpected("\",\" or \")\"")),
            }
        }
        let end = self.tok().span;
        self.advance();
        Ok((args, start.to(end)))
    }
    /// `( name, name, … )`.
    pub(super) fn ident_list(&mut self) -> Result<Vec<Name>, ParseError> {
        self.expect(Kind::LParen, "\"(\"")?;
        let mut names = Vec::new();
        // Each iteration consumes a name and a separator, or the closing parenthesis.
        loop {
            match self.kind() {
                Kind::RParen => break,
                Kind::Ident => {
                    names.push(Name {
                        text: unescape_ident(self.text()),
                        span: self.tok().span,
                    });
                    self.advance();
                }
                _ => return Err(self.unexpected("a label name")),
            }
            match self.kind() {
                Kind::Comma => self.advance(),
                Kind::RParen => break,
                _ => return Err(self.unexpected("\",\" or \")\"")),
            }
        }
        self.advance();
        Ok(names)
    }
}
