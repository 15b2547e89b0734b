//! Rollup suffixes and durations: `[5m]`, `[1h:5m]`, `[5m:]`, `[:1m]`, `offset -1h`, `@ end()`.
//!
//! Part of the parser; checks duration syntax the way VictoriaMetrics 1.79 can evaluate it.

use super::Parser;
use crate::promql::metricsql::ast::{DurationLit, Span};
use crate::promql::metricsql::error::ParseError;
use crate::promql::metricsql::lexer::{self, Kind};
use crate::promql::metricsql::raw::Raw;

impl Parser<'_> {
    /// `[window]`, `[window:step]`, `[:step]`, `[window:]`, then `@ t` and `offset d` in either order.
    pub(super) fn rollup(&mut self, expr: Raw) -> Result<Raw, ParseError> {
        let mut window = None;
        let mut step = None;
        let mut inherit_step = false;
        let mut offset = None;
        let mut at = None;
        let mut end = expr.span();
        if self.kind() == Kind::LBracket {
            self.advance();
            if !self.starts_with_colon() {
                window = Some(self.positive_duration()?);
            }
            if self.starts_with_colon() {
                let tok = self.tok();
                let rest = &self.text()[1..];
                if rest.is_empty() {
                    self.advance();
                    if self.kind() == Kind::RBracket {
                        inherit_step = true;
                    } else {
                        step = Some(self.positive_duration()?);
                    }
                } else {
                    if !valid_positive_duration(rest) {
                        return Err(self.err(format!("cannot parse subquery step {rest:?}")));
                    }
                    step = Some(DurationLit {
                        text: rest.to_string(),
                        span: Span::new(tok.span.start + 1, tok.span.end),
                    });
                    self.advance();
                }
            }
            end = self.expect(Kind::RBracket, "\"]\"")?;
        }
        if self.kind() == Kind::At {
            let a = self.at()?;
            end = a.span();
            at = Some(Box::new(a));
        }
        if self.is_word("offset") {
            self.advance();
            let d = self.duration()?;
            end = d.span;
            offset = Some(d);
        }
        if self.kind() == Kind::At {
            if at.is_some() {
                return Err(self.err("duplicate \"@\" modifier"));
            }
            let a = self.at()?;
            end = a.span();
            at = Some(Box::new(a));
        }
        let span = expr.span().to(end);
        Ok(Raw::Rollup {
            expr: Box::new(expr),
            window,
            step,
            inherit_step,
            offset,
            at,
            span,
        })
    }
    pub(super) fn starts_with_colon(&self) -> bool {
        self.kind() == Kind::Ident && self.text().starts_with(':')
    }
    pub(super) fn at(&mut self) -> Result<Raw, ParseError> {
        self.advance();
        self.enter()?;
        let e = self.single_without_suffix()?;
        self.depth -= 1;
        Ok(e)
    }
    /// An offset: a positive duration with an optional leading `-`.
    pub(super) fn duration(&mut self) -> Result<DurationLit, ParseError> {
        if self.kind() == Kind::Op && self.text() == "-" {
            let start = self.tok().span;
            self.advance();
            let d = self.positive_duration()?;
            return Ok(DurationLit {
                text: format!("-{}", d.text),
                span: start.to(d.span),
            });
        }
        self.positive_duration()
    }
    pub(super) fn positive_duration(&mut self) -> Result<DurationLit, ParseError> {
        let tok = self.tok();
        let text = self.text();
        let ok = match tok.kind {
            Kind::Duration | Kind::Number => valid_positive_duration(text),
            _ => false,
        };
        if !ok {
            return Err(self
                .unexpected("a duration such as 5m")
                .with_hint("durations look like 30s, 5m, 1h30m or 3i"));
        }
        self.advance();
        Ok(DurationLit {
            text: text.to_string(),
            span: tok.span,
        })
    }
}

/// True for `5m`, `1h-5m`, `3i` and plain positive numbers of seconds (`30`, `1.5`).
fn valid_positive_duration(s: &str) -> bool {
    if lexer::is_positive_duration(s) {
        return lexer::duration_ms(s, 1.0).is_some();
    }
    // VictoriaMetrics 1.79 reads a bare number of seconds with Go's ParseFloat only when it ends in a digit or
    // `.`; other numbers (`1k`, `0x10`) pass its parser and then crash its evaluator, so they are refused here.
    lexer::is_positive_number_prefix(s)
        && s.ends_with(|c: char| c.is_ascii_digit() || c == '.')
        && s.bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        && s.parse::<f64>().is_ok()
}
