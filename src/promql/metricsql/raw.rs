//! The tree as written, before `WITH` expansion: keeps parentheses, `WITH` blocks, template parameters and
//! identifiers inside string concatenations. Only [`super::parser`] builds it and only [`super::with`] reads it.
//!
//! Pure data; never validated on its own (function names and arities are checked after expansion).

use super::ast::{AggrModifierKind, BinaryOp, DurationLit, GroupSide, MatchOp, MatchingKind, Span};

/// A name with where it was written.
#[derive(Debug, Clone)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Raw {
    Number {
        value: f64,
        text: String,
        span: Span,
    },
    Duration(DurationLit),
    Str(RawStr),
    Selector(RawSelector),
    Rollup {
        expr: Box<Raw>,
        window: Option<DurationLit>,
        step: Option<DurationLit>,
        inherit_step: bool,
        offset: Option<DurationLit>,
        at: Option<Box<Raw>>,
        span: Span,
    },
    Binary {
        op: BinaryOp,
        return_bool: bool,
        matching: Option<(MatchingKind, Vec<Name>)>,
        grouping: Option<(GroupSide, Option<Vec<Name>>)>,
        lhs: Box<Raw>,
        rhs: Box<Raw>,
        /// Written as a unary minus (`-x` is `0 - x`).
        unary: bool,
        span: Span,
    },
    Call {
        /// As written (unescaped, original case): `WITH` templates match names exactly.
        name: Name,
        args: Vec<Raw>,
        keep_metric_names: bool,
        span: Span,
    },
    Aggr {
        /// Lowercase.
        name: Name,
        args: Vec<Raw>,
        modifier: Option<(AggrModifierKind, Vec<Name>)>,
        limit: Option<u64>,
        span: Span,
    },
    Parens {
        items: Vec<Raw>,
        span: Span,
    },
    With {
        defs: Vec<WithDef>,
        body: Box<Raw>,
        span: Span,
    },
}

impl Raw {
    pub fn span(&self) -> Span {
        match self {
            Raw::Number { span, .. }
            | Raw::Rollup { span, .. }
            | Raw::Binary { span, .. }
            | Raw::Call { span, .. }
            | Raw::Aggr { span, .. }
            | Raw::Parens { span, .. }
            | Raw::With { span, .. } => *span,
            Raw::Duration(d) => d.span,
            Raw::Str(s) => s.span,
            Raw::Selector(s) => s.span,
        }
    }
}

/// A string, possibly concatenated from literals and `WITH` variables: `"a" + x + "b"`.
#[derive(Debug, Clone)]
pub struct RawStr {
    pub parts: Vec<StrPart>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum StrPart {
    Lit(String),
    Var(Name),
}

#[derive(Debug, Clone)]
pub struct RawSelector {
    pub name: Option<Name>,
    pub groups: Vec<Vec<RawFilter>>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum RawFilter {
    Match {
        label: String,
        op: MatchOp,
        value: RawStr,
        span: Span,
    },
    /// `{f}`: the filters of `WITH` variable `f` go here.
    Splice(Name),
}

/// One `name(params) = body` entry of a `WITH (…)` block.
#[derive(Debug, Clone)]
pub struct WithDef {
    pub name: Name,
    pub params: Vec<Name>,
    pub body: Raw,
}
