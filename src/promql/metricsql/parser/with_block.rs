//! `WITH (name = expr, f(a, b) = expr, …) body` blocks, parsed as written; [`crate::promql::metricsql::with`] expands them.
//!
//! Part of the parser; checks only duplicate names and parameters.

use super::Parser;
use crate::promql::metricsql::error::ParseError;
use crate::promql::metricsql::lexer::Kind;
use crate::promql::metricsql::raw::{Name, Raw, WithDef};
use crate::promql::metricsql::strings::unescape_ident;

impl Parser<'_> {
    /// `WITH (name = expr, f(a, b) = expr, …) body`.
    pub(super) fn with(&mut self) -> Result<Raw, ParseError> {
        let start = self.tok().span;
        self.advance();
        self.expect(Kind::LParen, "\"(\"")?;
        let mut defs: Vec<WithDef> = Vec::new();
        // Each iteration consumes a definition and a separator, or the closing parenthesis.
        loop {
            if self.kind() == Kind::RParen {
                break;
            }
            let def = self.with_def()?;
            if defs.iter().any(|d| d.name.text == def.name.text) {
                return Err(ParseError::at_span(
                    self.src,
                    def.name.span,
                    format!("duplicate WITH name {:?}", def.name.text),
                ));
            }
            defs.push(def);
            match self.kind() {
                Kind::Comma => self.advance(),
                Kind::RParen => break,
                _ => return Err(self.unexpected("\",\" or \")\"")),
            }
        }
        self.advance();
        let body = self.expr()?;
        let span = start.to(body.span());
        Ok(Raw::With {
            defs,
            body: Box::new(body),
            span,
        })
    }
    pub(super) fn with_def(&mut self) -> Result<WithDef, ParseError> {
        if self.kind() != Kind::Ident {
            return Err(self.unexpected("a WITH name"));
        }
        let name = Name {
            text: unescape_ident(self.text()),
            span: self.tok().span,
        };
        self.advance();
        let mut params = Vec::new();
        if self.kind() == Kind::LParen {
            params = self.ident_list()?;
            for (i, p) in params.iter().enumerate() {
                if params[..i].iter().any(|q| q.text == p.text) {
                    return Err(ParseError::at_span(
                        self.src,
                        p.span,
                        format!("duplicate parameter {:?} in {:?}", p.text, name.text),
                    ));
                }
            }
        }
        if !(self.kind() == Kind::MatchOp && self.text() == "=") {
            return Err(self.unexpected("\"=\""));
        }
        self.advance();
        let body = self.expr()?;
        Ok(WithDef { name, params, body })
    }
}
