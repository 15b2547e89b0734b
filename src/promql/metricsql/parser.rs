//! MetricsQL parser: tokens → [`Raw`] tree, following VictoriaMetrics' grammar (PromQL plus `WITH`, `default`,
//! `if`/`ifnot`, `keep_metric_names`, `limit N`, optional rollup windows, `or` inside selectors, string
//! concatenation). Binary operators are re-balanced by precedence as VictoriaMetrics does, so unary minus binds
//! like `0 - …`.
//!
//! Pure. Does not expand templates or look up functions: that happens after expansion, in [`super::with`] and
//! [`super::functions`].

use super::ast::{
    AggrModifierKind, BinaryOp, DurationLit, GroupSide, MatchOp, MatchingKind, Span, grow,
};
use super::error::ParseError;
use super::lexer::{self, Kind, Token};
use super::raw::{Name, Raw, RawFilter, RawSelector, RawStr, StrPart, WithDef};
use super::strings::{unescape_ident, unquote};

/// How deep operands may nest while parsing (parentheses, calls, unary signs): bounds recursion. The stack itself
/// grows on demand; the tighter limit users meet is the tree depth checked after expansion.
const MAX_DEPTH: usize = 4000;

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

    /// `"a"`, or `"a" + "b" + var` (a `+` followed by a call or selector stays a binary operation).
    fn string_expr(&mut self) -> Result<RawStr, ParseError> {
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

    fn aggregate(&mut self) -> Result<Raw, ParseError> {
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

    fn aggr_modifier(&mut self) -> Result<(AggrModifierKind, Vec<Name>), ParseError> {
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

    fn call(&mut self) -> Result<Raw, ParseError> {
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
    fn arg_list(&mut self) -> Result<(Vec<Raw>, Span), ParseError> {
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
    fn ident_list(&mut self) -> Result<Vec<Name>, ParseError> {
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

    /// `name`, `name{…}` or `{…}`; inside the braces, matchers separated by `,` and alternatives by `or`.
    fn selector(&mut self) -> Result<RawSelector, ParseError> {
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

    fn filter(&mut self) -> Result<RawFilter, ParseError> {
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

    /// `[window]`, `[window:step]`, `[:step]`, `[window:]`, then `@ t` and `offset d` in either order.
    fn rollup(&mut self, expr: Raw) -> Result<Raw, ParseError> {
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

    fn starts_with_colon(&self) -> bool {
        self.kind() == Kind::Ident && self.text().starts_with(':')
    }

    fn at(&mut self) -> Result<Raw, ParseError> {
        self.advance();
        self.enter()?;
        let e = self.single_without_suffix()?;
        self.depth -= 1;
        Ok(e)
    }

    /// An offset: a positive duration with an optional leading `-`.
    fn duration(&mut self) -> Result<DurationLit, ParseError> {
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

    fn positive_duration(&mut self) -> Result<DurationLit, ParseError> {
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

    /// `WITH (name = expr, f(a, b) = expr, …) body`.
    fn with(&mut self) -> Result<Raw, ParseError> {
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

    fn with_def(&mut self) -> Result<WithDef, ParseError> {
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
