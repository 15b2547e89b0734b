//! MetricsQL parser: tokens → [`Raw`] tree, following VictoriaMetrics' grammar (PromQL plus `WITH`, `default`,
//! `if`/`ifnot`, `keep_metric_names`, `limit N`, optional rollup windows, `or` inside selectors, string
//! concatenation). Binary operators are re-balanced by precedence as VictoriaMetrics does, so unary minus binds
//! like `0 - …`.
//!
//! Pure. Does not expand templates or look up functions: that happens after expansion, in [`super::with`] and
//! [`super::functions`].

use super::ast::{BinaryOp, GroupSide, MatchingKind, Span, grow};
use super::error::ParseError;
use super::lexer::{self, Kind, Token};
use super::raw::Raw;

mod call;
mod rollup;
mod selector;
mod with_block;

pub use call::is_aggregate;

/// How deep operands may nest while parsing (parentheses, calls, unary signs): bounds recursion. The stack itself
/// grows on demand; the tighter limit users meet is the tree depth checked after expansion.
const MAX_DEPTH: usize = 4000;

/// Parses a whole expression into the unexpanded tree.
pub fn parse_raw(src: &str) -> Result<Raw, ParseError> {
    let tokens = lexer::tokenize(src)?;
    let mut p = Parser {
        src,
        tokens,
        pos: 0,
        depth: 0,
    };
    let e = p.expr()?;
    if p.kind() != Kind::Eof {
        return Err(p.unexpected("an operator or the end of the expression"));
    }
    Ok(e)
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn tok(&self) -> Token {
        // The token list always ends with Eof and `pos` never passes it.
        self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn kind(&self) -> Kind {
        self.tok().kind
    }

    fn peek_kind(&self, n: usize) -> Kind {
        self.tokens.get(self.pos + n).map_or(Kind::Eof, |t| t.kind)
    }

    fn text(&self) -> &'a str {
        let s = self.tok().span;
        &self.src[s.start..s.end]
    }

    fn text_at(&self, n: usize) -> &'a str {
        self.tokens
            .get(self.pos + n)
            .map_or("", |t| &self.src[t.span.start..t.span.end])
    }

    fn advance(&mut self) {
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
    }

    /// True when the current token is the identifier `word` (any case).
    fn is_word(&self, word: &str) -> bool {
        self.kind() == Kind::Ident && self.text().eq_ignore_ascii_case(word)
    }

    fn err(&self, message: impl Into<String>) -> ParseError {
        ParseError::at(self.src, self.tok().span.start, message)
    }

    fn unexpected(&self, want: &str) -> ParseError {
        let found = match self.kind() {
            Kind::Eof => "end of expression".to_string(),
            _ => format!("{:?}", self.text()),
        };
        self.err(format!("unexpected {found}; want {want}"))
    }

    fn expect(&mut self, kind: Kind, what: &str) -> Result<Span, ParseError> {
        if self.kind() != kind {
            return Err(self.unexpected(what));
        }
        let span = self.tok().span;
        self.advance();
        Ok(span)
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(format!("expression nests deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn binary_op(&self) -> Option<BinaryOp> {
        match self.kind() {
            Kind::Op | Kind::Ident => BinaryOp::from_token(self.text()),
            _ => None,
        }
    }

    fn expr(&mut self) -> Result<Raw, ParseError> {
        grow(|| self.expr_inner())
    }

    fn expr_inner(&mut self) -> Result<Raw, ParseError> {
        let mut e = self.single()?;
        // Each iteration consumes an operator token.
        while let Some(op) = self.binary_op() {
            self.advance();
            let mut return_bool = false;
            if self.is_word("bool") {
                if !op.is_comparison() {
                    return Err(self
                        .err(format!(
                            "bool modifier cannot be applied to {:?}",
                            op.as_str()
                        ))
                        .with_hint("bool only goes with comparisons (== != > < >= <=)"));
                }
                return_bool = true;
                self.advance();
            }
            let mut matching = None;
            let mut grouping = None;
            if self.is_word("on") || self.is_word("ignoring") {
                let kind = if self.is_word("on") {
                    MatchingKind::On
                } else {
                    MatchingKind::Ignoring
                };
                self.advance();
                matching = Some((kind, self.ident_list()?));
                if self.is_word("group_left") || self.is_word("group_right") {
                    if op.is_set_op() {
                        return Err(self.err(format!(
                            "modifier {:?} cannot be applied to {:?}",
                            self.text().to_ascii_lowercase(),
                            op.as_str()
                        )));
                    }
                    let side = if self.is_word("group_left") {
                        GroupSide::Left
                    } else {
                        GroupSide::Right
                    };
                    self.advance();
                    let labels = if self.kind() == Kind::LParen {
                        Some(self.ident_list()?)
                    } else {
                        None
                    };
                    grouping = Some((side, labels));
                }
            }
            let rhs = self.single()?;
            let span = e.span().to(rhs.span());
            e = balance(Raw::Binary {
                op,
                return_bool,
                matching,
                grouping,
                lhs: Box::new(e),
                rhs: Box::new(rhs),
                unary: false,
                span,
            });
        }
        Ok(e)
    }

    /// One operand: anything but a binary operation, with an optional `[…]`, `offset` or `@` suffix.
    fn single(&mut self) -> Result<Raw, ParseError> {
        grow(|| self.single_inner())
    }

    fn single_inner(&mut self) -> Result<Raw, ParseError> {
        self.enter()?;
        let e = if self.is_word("with") && self.peek_kind(1) == Kind::LParen {
            self.with()?
        } else {
            let e = self.single_without_suffix()?;
            if self.kind() == Kind::LBracket || self.kind() == Kind::At || self.is_word("offset") {
                self.rollup(e)?
            } else {
                e
            }
        };
        self.depth -= 1;
        Ok(e)
    }

    fn single_without_suffix(&mut self) -> Result<Raw, ParseError> {
        let tok = self.tok();
        match tok.kind {
            Kind::Duration => {
                let d = self.positive_duration()?;
                Ok(Raw::Duration(d))
            }
            Kind::Str => Ok(Raw::Str(self.string_expr()?)),
            Kind::Number => self.number(),
            Kind::Ident
                if self.text().len() == 3
                    && ["inf", "nan"].contains(&self.text().to_ascii_lowercase().as_str()) =>
            {
                self.number()
            }
            Kind::Ident => self.ident_expr(),
            Kind::LParen => {
                let (items, span) = self.arg_list()?;
                Ok(Raw::Parens { items, span })
            }
            Kind::LBrace => Ok(Raw::Selector(self.selector()?)),
            Kind::Op if self.text() == "-" => {
                self.advance();
                let e = self.single()?;
                let span = tok.span.to(e.span());
                Ok(Raw::Binary {
                    op: BinaryOp::Sub,
                    return_bool: false,
                    matching: None,
                    grouping: None,
                    lhs: Box::new(Raw::Number {
                        value: 0.0,
                        text: "0".into(),
                        span: tok.span,
                    }),
                    rhs: Box::new(e),
                    unary: true,
                    span,
                })
            }
            Kind::Op if self.text() == "+" => {
                self.advance();
                self.single()
            }
            _ => Err(self.unexpected("an expression")),
        }
    }

    fn number(&mut self) -> Result<Raw, ParseError> {
        let text = self.text();
        let span = self.tok().span;
        let value = match text.to_ascii_lowercase().as_str() {
            "inf" => f64::INFINITY,
            "nan" => f64::NAN,
            _ => lexer::parse_positive_number(text).map_err(|m| self.err(m))?,
        };
        self.advance();
        Ok(Raw::Number {
            value,
            text: text.to_string(),
            span,
        })
    }

    fn ident_expr(&mut self) -> Result<Raw, ParseError> {
        let next = self.peek_kind(1);
        let next_text = self.text_at(1);
        match next {
            Kind::Eof
            | Kind::Op
            | Kind::LBrace
            | Kind::LBracket
            | Kind::RParen
            | Kind::Comma
            | Kind::At => Ok(Raw::Selector(self.selector()?)),
            Kind::Ident if next_text.eq_ignore_ascii_case("offset") => {
                Ok(Raw::Selector(self.selector()?))
            }
            Kind::Ident if is_aggregate(self.text()) => self.aggregate(),
            Kind::Ident => Ok(Raw::Selector(self.selector()?)),
            Kind::LParen if is_aggregate(self.text()) => self.aggregate(),
            Kind::LParen => self.call(),
            _ => {
                self.advance();
                Err(self
                    .unexpected("\"(\", \"{\", \"[\", an operator or the end of the expression"))
            }
        }
    }
}

/// Re-hangs `lhs op rhs` so that a left operand that is itself a binary operation of weaker binding (or equal
/// binding, for right-associative `^`) takes this operation as its right operand.
fn balance(e: Raw) -> Raw {
    grow(|| balance_inner(e))
}

fn balance_inner(e: Raw) -> Raw {
    let Raw::Binary {
        op,
        return_bool,
        matching,
        grouping,
        lhs,
        rhs,
        unary,
        span,
    } = e
    else {
        return e;
    };
    let rebuild = |lhs: Box<Raw>, rhs: Box<Raw>| Raw::Binary {
        op,
        return_bool,
        matching: matching.clone(),
        grouping: grouping.clone(),
        span: lhs.span().to(rhs.span()).to(span),
        lhs,
        rhs,
        unary,
    };
    match *lhs {
        Raw::Binary {
            op: lop,
            return_bool: lbool,
            matching: lmatching,
            grouping: lgrouping,
            lhs: llhs,
            rhs: lrhs,
            unary: lunary,
            span: lspan,
        } => {
            let (lp, rp) = (lop.precedence(), op.precedence());
            if rp < lp || (rp == lp && op != BinaryOp::Pow) {
                let left = Raw::Binary {
                    op: lop,
                    return_bool: lbool,
                    matching: lmatching,
                    grouping: lgrouping,
                    lhs: llhs,
                    rhs: lrhs,
                    unary: lunary,
                    span: lspan,
                };
                return rebuild(Box::new(left), rhs);
            }
            let inner = balance(rebuild(lrhs, rhs));
            let span = llhs.span().to(inner.span());
            Raw::Binary {
                op: lop,
                return_bool: lbool,
                matching: lmatching,
                grouping: lgrouping,
                lhs: llhs,
                rhs: Box::new(inner),
                unary: lunary,
                span,
            }
        }
        other => rebuild(Box::new(other), rhs),
    }
}
