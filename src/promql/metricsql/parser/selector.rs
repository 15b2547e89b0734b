//! Series selectors and strings: `name{a="b", c=~"d" or e!="f"}`, template splices `{cf}`, and string
//! concatenation `"a" + "b" + var`.
//!
//! Part of the parser; builds [`Raw`] nodes only, resolves no template names.

use super::Parser;
use crate::promql::metricsql::ast::MatchOp;
use crate::promql::metricsql::error::ParseError;
use crate::promql::metricsql::lexer::Kind;
use crate::promql::metricsql::raw::{Name, RawFilter, RawSelector, RawStr, StrPart};
use crate::promql::metricsql::strings::{unescape_ident, unquote};

impl Parser<'_> {
    /// `"a"`, or `"a" + "b" + var` (a `+` followed by a call or selector stays a binary operation).
    pub(super) fn string_expr(&mut self) -> Result<RawStr, ParseError> {
        let start = self.tok().span;
        let mut span = start;
        let mut parts = Vec::new();
        // Each iteration consumes a string or identifier token.
        loop {
            let tok = self.tok();
            match tok.kind {
                Kind::Str => {
                    parts.push(StrPart::Lit(unquote(self.text()).map_err(|m| self.err(m))?))
                }
                Kind::Ident => parts.push(StrPart::Var(Name {
                    text: unescape_ident(self.text()),
                    span: tok.span,
                })),
                _ => return Err(self.unexpected("a string")),
            }
            span = span.to(tok.span);
            self.advance();
            if !(self.kind() == Kind::Op && self.text() == "+") {
                break;
            }
            match self.peek_kind(1) {
                Kind::Str => self.advance(),
                Kind::Ident if !matches!(self.peek_kind(2), Kind::LParen | Kind::LBrace) => {
                    self.advance()
                }
                _ => break,
            }
        }
        Ok(RawStr { parts, span })
    }
    /// `name`, `name{…}` or `{…}`; inside the braces, matchers separated by `,` and alternatives by `or`.
    pub(super) fn selector(&mut self) -> Result<RawSelector, ParseError> {
        let start = self.tok().span;
        let mut name = None;
        if self.kind() == Kind::Ident {
            name = Some(Name {
                text: unescape_ident(self.text()),
                span: start,
            });
            self.advance();
            if self.kind() != Kind::LBrace {
                return Ok(RawSelector {
                    name,
                    groups: Vec::new(),
                    span: start,
                });
            }
        }
        self.expect(Kind::LBrace, "\"{\"")?;
        let mut groups = vec![Vec::new()];
        // Each iteration consumes a matcher and a separator, or the closing brace.
        loop {
            if self.kind() == Kind::RBrace {
                break;
            }
            let filter = self.filter()?;
            if let Some(group) = groups.last_mut() {
                group.push(filter);
            }
            match self.kind() {
                Kind::Comma => self.advance(),
                Kind::RBrace => break,
                Kind::Ident if self.is_word("or") => {
                    self.advance();
                    if self.kind() != Kind::Ident {
                        return Err(self.unexpected("a label matcher after \"or\""));
                    }
                    groups.push(Vec::new());
                }
                _ => return Err(self.unexpected("\",\", \"}\" or \"or\"")),
            }
        }
        let end = self.tok().span;
        self.advance();
        if groups.len() == 1 && groups[0].is_empty() {
            groups.clear();
        }
        Ok(RawSelector {
            name,
            groups,
            span: start.to(end),
        })
    }
    pub(super) fn filter(&mut self) -> Result<RawFilter, ParseError> {
        let start = self.tok().span;
        if self.kind() != Kind::Ident {
            return Err(self.unexpected("a label name"));
        }
        let label = unescape_ident(self.text());
        self.advance();
        let op = match (self.kind(), self.text()) {
            (Kind::MatchOp, "=") => MatchOp::Equal,
            (Kind::MatchOp, "=~") => MatchOp::Regex,
            (Kind::MatchOp, "!~") => MatchOp::NotRegex,
            (Kind::Op, "!=") => MatchOp::NotEqual,
            (Kind::Comma | Kind::RBrace, _) => {
                return Ok(RawFilter::Splice(Name {
                    text: label,
                    span: start,
                }));
            }
            (Kind::Ident, _) if self.is_word("or") => {
                return Ok(RawFilter::Splice(Name {
                    text: label,
                    span: start,
                }));
            }
            _ => {
                let mut e = self.unexpected("\"=\", \"!=\", \"=~\" or \"!~\"");
                if self.kind() == Kind::Op && self.text() == "==" {
                    e = e.with_hint("label matchers use a single \"=\"");
                }
                return Err(e);
            }
        };
        self.advance();
        let value = self.string_expr()?;
        let span = start.to(value.span);
        Ok(RawFilter::Match {
            label,
            op,
            value,
            span,
        })
    }
}
