//! The MetricsQL syntax tree that [`super::parse`] returns: `WITH` templates already expanded, parentheses
//! folded into the tree's shape, every node carrying the span of the text it came from.
//!
//! Pure data. Spans never take part in equality: two trees are equal when they mean the same expression, which
//! is what the print → parse round trip checks.

/// A byte range inside the expression text. Nodes that came out of a `WITH` template point into the template
/// body, except selectors a name stood for: a template variable's selector points at that use of the name, a
/// template argument's at the argument the caller wrote.
#[derive(Debug, Clone, Copy, Default, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl PartialEq for Span {
    /// Always true: positions are metadata, not meaning. Compare `start`/`end` directly when they matter.
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

/// A MetricsQL expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(NumberLit),
    String(StringLit),
    /// A duration used as a value, e.g. `5m` in `x > 5m` (seconds at evaluation).
    Duration(DurationLit),
    Selector(Selector),
    Rollup(Rollup),
    Binary(Binary),
    /// A rollup, transform or label function call; an empty name is a union written as `(a, b, …)`.
    Call(Call),
    Aggregate(Aggregate),
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Number(n) => n.span,
            Expr::String(s) => s.span,
            Expr::Duration(d) => d.span,
            Expr::Selector(s) => s.span,
            Expr::Rollup(r) => r.span,
            Expr::Binary(b) => b.span,
            Expr::Call(c) => c.span,
            Expr::Aggregate(a) => a.span,
        }
    }
}

/// A number. `text` keeps the literal as written (`1Ki`, `0x1F`) so the printer can give it back.
#[derive(Debug, Clone)]
pub struct NumberLit {
    pub value: f64,
    pub text: Option<String>,
    pub span: Span,
}

impl PartialEq for NumberLit {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value || (self.value.is_nan() && other.value.is_nan())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StringLit {
    /// The unquoted value.
    pub value: String,
    pub span: Span,
}

/// A duration as written (`5m`, `1h-5m`, `3i`, `-5m` for a negative offset, or a bare number of seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct DurationLit {
    pub text: String,
    pub span: Span,
}

/// A series selector: `name{a="b", c=~"d" or e!="f"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    /// The metric name written before the braces (or as a leading `__name__="…"` equality).
    pub name: Option<String>,
    /// Alternatives separated by `or` inside the braces; each is a list of matchers that must all hold.
    /// Empty when there are no braces or they are empty.
    pub groups: Vec<Vec<LabelMatcher>>,
    pub span: Span,
}

/// One label matcher, `label op "value"`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelMatcher {
    pub label: String,
    pub op: MatchOp,
    pub value: String,
    pub span: Span,
}

impl LabelMatcher {
    /// A matcher with no source position (for injection).
    pub fn new(label: impl Into<String>, op: MatchOp, value: impl Into<String>) -> Self {
        LabelMatcher {
            label: label.into(),
            op,
            value: value.into(),
            span: Span::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

impl MatchOp {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

/// An expression with a window, subquery step, offset or `@`: `x[5m]`, `rate(x)[1h:5m] offset 1d @ end()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rollup {
    pub expr: Box<Expr>,
    pub window: Option<DurationLit>,
    pub step: Option<DurationLit>,
    /// `[5m:]`: a subquery with the default step.
    pub inherit_step: bool,
    pub offset: Option<DurationLit>,
    pub at: Option<Box<Expr>>,
    pub span: Span,
}

impl Rollup {
    /// True for subqueries (`[w:s]` or `[w:]`).
    pub fn is_subquery(&self) -> bool {
        self.step.is_some() || self.inherit_step
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Atan2,
    Eql,
    Neq,
    Gtr,
    Lss,
    Gte,
    Lte,
    And,
    Or,
    Unless,
    If,
    IfNot,
    Default,
}

impl BinaryOp {
    /// The operator for a (case-insensitive) token, if it is one.
    pub fn from_token(s: &str) -> Option<BinaryOp> {
        Some(match s.to_ascii_lowercase().as_str() {
            "+" => BinaryOp::Add,
            "-" => BinaryOp::Sub,
            "*" => BinaryOp::Mul,
            "/" => BinaryOp::Div,
            "%" => BinaryOp::Mod,
            "^" => BinaryOp::Pow,
            "atan2" => BinaryOp::Atan2,
            "==" => BinaryOp::Eql,
            "!=" => BinaryOp::Neq,
            ">" => BinaryOp::Gtr,
            "<" => BinaryOp::Lss,
            ">=" => BinaryOp::Gte,
            "<=" => BinaryOp::Lte,
            "and" => BinaryOp::And,
            "or" => BinaryOp::Or,
            "unless" => BinaryOp::Unless,
            "if" => BinaryOp::If,
            "ifnot" => BinaryOp::IfNot,
            "default" => BinaryOp::Default,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Pow => "^",
            BinaryOp::Atan2 => "atan2",
            BinaryOp::Eql => "==",
            BinaryOp::Neq => "!=",
            BinaryOp::Gtr => ">",
            BinaryOp::Lss => "<",
            BinaryOp::Gte => ">=",
            BinaryOp::Lte => "<=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Unless => "unless",
            BinaryOp::If => "if",
            BinaryOp::IfNot => "ifnot",
            BinaryOp::Default => "default",
        }
    }

    /// Binding strength; higher binds tighter (VictoriaMetrics' table, PromQL's order plus its own operators).
    pub fn precedence(self) -> i8 {
        match self {
            BinaryOp::Default => -1,
            BinaryOp::If | BinaryOp::IfNot => 0,
            BinaryOp::Or => 1,
            BinaryOp::And | BinaryOp::Unless => 2,
            BinaryOp::Eql
            | BinaryOp::Neq
            | BinaryOp::Gtr
            | BinaryOp::Lss
            | BinaryOp::Gte
            | BinaryOp::Lte => 3,
            BinaryOp::Add | BinaryOp::Sub => 4,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod | BinaryOp::Atan2 => 5,
            BinaryOp::Pow => 6,
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eql
                | BinaryOp::Neq
                | BinaryOp::Gtr
                | BinaryOp::Lss
                | BinaryOp::Gte
                | BinaryOp::Lte
        )
    }

    pub fn is_set_op(self) -> bool {
        matches!(self, BinaryOp::And | BinaryOp::Or | BinaryOp::Unless)
    }
}

/// `on (…)` or `ignoring (…)`.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorMatching {
    pub kind: MatchingKind,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchingKind {
    On,
    Ignoring,
}

/// `group_left (…)` or `group_right (…)`; a missing list is an empty one.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    pub side: GroupSide,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupSide {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Binary {
    pub op: BinaryOp,
    /// The `bool` modifier of comparisons.
    pub return_bool: bool,
    pub matching: Option<VectorMatching>,
    pub grouping: Option<Grouping>,
    pub lhs: Box<Expr>,
    pub rhs: Box<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Lowercase function name as found in the catalogue; empty for a parenthesised union.
    pub name: String,
    pub args: Vec<Expr>,
    pub keep_metric_names: bool,
    pub span: Span,
}

/// `by (…)` or `without (…)` on an aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct AggrModifier {
    pub kind: AggrModifierKind,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggrModifierKind {
    By,
    Without,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// Lowercase aggregate function name.
    pub name: String,
    pub args: Vec<Expr>,
    pub modifier: Option<AggrModifier>,
    /// `limit N`: at most N output series.
    pub limit: Option<u64>,
    pub span: Span,
}

/// Runs `f` with at least 256 KiB of stack left, moving to a fresh heap-allocated segment when the current one
/// runs low. Every recursive pass over a tree goes through it, so nesting depth is bounded by the parser's limits,
/// not by the caller's thread stack.
pub(crate) fn grow<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(256 * 1024, 2 * 1024 * 1024, f)
}

/// Calls `f` on `e` and every expression below it, parents first.
pub fn walk<'a>(e: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
    grow(|| walk_inner(e, f));
}

fn walk_inner<'a>(e: &'a Expr, f: &mut dyn FnMut(&'a Expr)) {
    f(e);
    match e {
        Expr::Number(_) | Expr::String(_) | Expr::Duration(_) | Expr::Selector(_) => {}
        Expr::Rollup(r) => {
            walk(&r.expr, f);
            if let Some(at) = &r.at {
                walk(at, f);
            }
        }
        Expr::Binary(b) => {
            walk(&b.lhs, f);
            walk(&b.rhs, f);
        }
        Expr::Call(c) => c.args.iter().for_each(|a| walk(a, f)),
        Expr::Aggregate(a) => a.args.iter().for_each(|x| walk(x, f)),
    }
}

/// Calls `f` on every expression, children before parents, with mutable access.
pub fn walk_mut(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
    grow(|| walk_mut_inner(e, f));
}

fn walk_mut_inner(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
    match e {
        Expr::Number(_) | Expr::String(_) | Expr::Duration(_) | Expr::Selector(_) => {}
        Expr::Rollup(r) => {
            walk_mut(&mut r.expr, f);
            if let Some(at) = &mut r.at {
                walk_mut(at, f);
            }
        }
        Expr::Binary(b) => {
            walk_mut(&mut b.lhs, f);
            walk_mut(&mut b.rhs, f);
        }
        Expr::Call(c) => c.args.iter_mut().for_each(|a| walk_mut(a, f)),
        Expr::Aggregate(a) => a.args.iter_mut().for_each(|x| walk_mut(x, f)),
    }
    f(e);
}
