//! `WITH` expansion: turns the [`Raw`] tree into the final [`Expr`], substituting template variables and
//! functions the way VictoriaMetrics does (lexical scope, later definitions shadow earlier ones, a template never
//! sees itself), folding parentheses and unary minus on numbers, concatenating strings.
//!
//! Pure. Bounded: expansion depth and output size have hard limits, so a hostile template cannot blow up.

use std::rc::Rc;

use super::ast::grow;
use super::ast::{
    AggrModifier, Aggregate, Binary, BinaryOp, Call, Expr, Grouping, LabelMatcher, MatchOp,
    NumberLit, Rollup, Selector, Span, StringLit, VectorMatching,
};
use super::error::ParseError;
use super::raw::{Name, Raw, RawFilter, RawSelector, RawStr, StrPart, WithDef};
use super::strings::check_regex;

/// Deepest template-within-template expansion allowed.
const MAX_DEPTH: usize = 4000;
/// Largest expanded tree, in nodes.
const MAX_NODES: usize = 200_000;

/// One visible name: a `WITH` definition (with the scope it was defined in) or a bound template argument.
enum Binding<'r> {
    Def(&'r WithDef, Env<'r>),
    Arg(String, Expr),
}

/// A persistent scope: newest binding first.
type Env<'r> = Option<Rc<Scope<'r>>>;

struct Scope<'r> {
    binding: Binding<'r>,
    parent: Env<'r>,
}

fn push<'r>(env: &Env<'r>, binding: Binding<'r>) -> Env<'r> {
    Some(Rc::new(Scope {
        binding,
        parent: env.clone(),
    }))
}

fn lookup<'e, 'r>(env: &'e Env<'r>, name: &str) -> Option<&'e Binding<'r>> {
    let mut cur = env.as_ref();
    // Walks a finite linked list.
    while let Some(scope) = cur {
        let found = match &scope.binding {
            Binding::Def(d, _) => d.name.text == name,
            Binding::Arg(n, _) => n == name,
        };
        if found {
            return Some(&scope.binding);
        }
        cur = scope.parent.as_ref();
    }
    None
}

/// Expands `raw` (parsed from `src`) into the final tree.
pub fn expand(src: &str, raw: &Raw) -> Result<Expr, ParseError> {
    let mut x = Expander {
        src,
        depth: 0,
        nodes: 0,
    };
    x.expr(&None, raw)
}

struct Expander<'s> {
    src: &'s str,
    depth: usize,
    nodes: usize,
}

impl<'s> Expander<'s> {
    fn err(&self, span: Span, message: impl Into<String>) -> ParseError {
        ParseError::at_span(self.src, span, message)
    }

    fn expr<'r>(&mut self, env: &Env<'r>, raw: &'r Raw) -> Result<Expr, ParseError> {
        self.depth += 1;
        self.nodes += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(
                raw.span(),
                format!("WITH templates nest deeper than {MAX_DEPTH} levels"),
            ));
        }
        if self.nodes > MAX_NODES {
            return Err(self.err(
                raw.span(),
                format!("expression grows past {MAX_NODES} nodes when WITH templates are expanded"),
            ));
        }
        let e = grow(|| self.expr_inner(env, raw));
        self.depth -= 1;
        e
    }

    fn expr_inner<'r>(&mut self, env: &Env<'r>, raw: &'r Raw) -> Result<Expr, ParseError> {
        Ok(match raw {
            Raw::Number { value, text, span } => Expr::Number(NumberLit {
                value: *value,
                text: Some(text.clone()),
                span: *span,
            }),
            Raw::Duration(d) => Expr::Duration(d.clone()),
            Raw::Str(s) => Expr::String(StringLit {
                value: self.string(env, s)?,
                span: s.span,
            }),
            Raw::Selector(sel) => self.selector(env, sel)?,
            Raw::Rollup {
                expr,
                window,
                step,
                inherit_step,
                offset,
                at,
                span,
            } => Expr::Rollup(Rollup {
                expr: Box::new(self.expr(env, expr)?),
                window: window.clone(),
                step: step.clone(),
                inherit_step: *inherit_step,
                offset: offset.clone(),
                at: match at {
                    Some(a) => Some(Box::new(self.expr(env, a)?)),
                    None => None,
                },
                span: *span,
            }),
            Raw::Binary {
                op,
                return_bool,
                matching,
                grouping,
                lhs,
                rhs,
                unary,
                span,
            } => {
                let l = self.expr(env, lhs)?;
                let r = self.expr(env, rhs)?;
                if *unary && let Expr::Number(n) = &r {
                    return Ok(Expr::Number(NumberLit {
                        value: -n.value,
                        text: n.text.as_ref().map(|t| format!("-{t}")),
                        span: *span,
                    }));
                }
                if *op == BinaryOp::Add
                    && let (Expr::String(a), Expr::String(b)) = (&l, &r)
                {
                    return Ok(Expr::String(StringLit {
                        value: format!("{}{}", a.value, b.value),
                        span: *span,
                    }));
                }
                Expr::Binary(Binary {
                    op: *op,
                    return_bool: *return_bool,
                    matching: match matching {
                        Some((kind, names)) => Some(VectorMatching {
                            kind: *kind,
                            labels: self.label_list(env, names)?,
                        }),
                        None => None,
                    },
                    grouping: match grouping {
                        Some((side, names)) => Some(Grouping {
                            side: *side,
                            labels: match names {
                                Some(n) => self.label_list(env, n)?,
                                None => Vec::new(),
                            },
                        }),
                        None => None,
                    },
                    lhs: Box::new(l),
                    rhs: Box::new(r),
                    span: *span,
                })
            }
            Raw::Call {
                name,
                args,
                keep_metric_names,
                span,
            } => {
                let args = self.exprs(env, args)?;
                if let Some(e) = self.call_template(env, name, &args)? {
                    return Ok(e);
                }
                Expr::Call(Call {
                    name: name.text.to_ascii_lowercase(),
                    args,
                    keep_metric_names: *keep_metric_names,
                    span: *span,
                })
            }
            Raw::Aggr {
                name,
                args,
                modifier,
                limit,
                span,
            } => {
                let args = self.exprs(env, args)?;
                if let Some(e) = self.call_template(env, name, &args)? {
                    return Ok(e);
                }
                Expr::Aggregate(Aggregate {
                    name: name.text.clone(),
                    args,
                    modifier: match modifier {
                        Some((kind, names)) => Some(AggrModifier {
                            kind: *kind,
                            labels: self.label_list(env, names)?,
                        }),
                        None => None,
                    },
                    limit: *limit,
                    span: *span,
                })
            }
            Raw::Parens { items, span } => {
                let mut items = self.exprs(env, items)?;
                if items.len() == 1 {
                    return Ok(items.remove(0));
                }
                Expr::Call(Call {
                    name: String::new(),
                    args: items,
                    keep_metric_names: false,
                    span: *span,
                })
            }
            Raw::With { defs, body, .. } => {
                let mut scope = env.clone();
                for def in defs {
                    let before = scope.clone();
                    scope = push(&scope, Binding::Def(def, before));
                }
                self.expr(&scope, body)?
            }
        })
    }

    fn exprs<'r>(&mut self, env: &Env<'r>, raws: &'r [Raw]) -> Result<Vec<Expr>, ParseError> {
        raws.iter().map(|r| self.expr(env, r)).collect()
    }

    /// If `name(args)` names a template, its expansion.
    fn call_template<'r>(
        &mut self,
        env: &Env<'r>,
        name: &Name,
        args: &[Expr],
    ) -> Result<Option<Expr>, ParseError> {
        match lookup(env, &name.text) {
            None => Ok(None),
            Some(Binding::Arg(_, e)) => {
                if !args.is_empty() {
                    return Err(self.err(
                        name.span,
                        format!(
                            "invalid number of args for {:?}; got {}; want 0",
                            name.text,
                            args.len()
                        ),
                    ));
                }
                Ok(Some(e.clone()))
            }
            Some(Binding::Def(def, def_env)) => {
                if def.params.len() != args.len() {
                    return Err(self
                        .err(
                            name.span,
                            format!(
                                "invalid number of args for {:?}; got {}; want {}",
                                name.text,
                                args.len(),
                                def.params.len()
                            ),
                        )
                        .with_hint(format!(
                            "the WITH template {:?} takes {} argument(s)",
                            name.text,
                            def.params.len()
                        )));
                }
                let mut scope = def_env.clone();
                for (p, a) in def.params.iter().zip(args) {
                    scope = push(&scope, Binding::Arg(p.text.clone(), a.clone()));
                }
                Ok(Some(self.expr(&scope, &def.body)?))
            }
        }
    }

    /// The value a bare name stands for (a parameterless template or an argument), expanded.
    fn variable<'r>(&mut self, env: &Env<'r>, name: &str) -> Result<Option<Expr>, ParseError> {
        match lookup(env, name) {
            None => Ok(None),
            Some(Binding::Arg(_, e)) => Ok(Some(e.clone())),
            Some(Binding::Def(def, def_env)) => {
                if !def.params.is_empty() {
                    return Ok(None);
                }
                let def_env = def_env.clone();
                Ok(Some(self.expr(&def_env, &def.body)?))
            }
        }
    }

    fn string<'r>(&mut self, env: &Env<'r>, s: &RawStr) -> Result<String, ParseError> {
        let mut out = String::new();
        for part in &s.parts {
            match part {
                StrPart::Lit(l) => out.push_str(l),
                StrPart::Var(name) => match self.variable(env, &name.text)? {
                    Some(Expr::String(v)) => out.push_str(&v.value),
                    Some(_) => {
                        return Err(self.err(
                            name.span,
                            format!("{:?} must be a string expression", name.text),
                        ));
                    }
                    None => {
                        return Err(self
                            .err(name.span, format!("missing {:?} value inside a string expression", name.text))
                            .with_hint("only strings and WITH names holding strings can be added to a string"));
                    }
                },
            }
        }
        Ok(out)
    }

    /// Names in `by (…)`, `on (…)` and friends: a `WITH` name holding a bare metric name, or a parenthesised
    /// list of them, stands for those names.
    fn label_list<'r>(&mut self, env: &Env<'r>, names: &[Name]) -> Result<Vec<String>, ParseError> {
        let mut out: Vec<String> = Vec::new();
        for n in names {
            let substituted = match lookup(env, &n.text) {
                Some(Binding::Def(d, _)) if !d.params.is_empty() => None,
                Some(_) => self.variable(env, &n.text)?,
                None => None,
            };
            let items = match substituted {
                None => vec![n.text.clone()],
                Some(e) => {
                    let list: Vec<&Expr> = match &e {
                        Expr::Call(c) if c.name.is_empty() => c.args.iter().collect(),
                        other => vec![other],
                    };
                    let mut names = Vec::new();
                    for item in list {
                        match item {
                            Expr::Selector(s) if s.groups.is_empty() && s.name.is_some() => {
                                names.push(s.name.clone().unwrap_or_default());
                            }
                            _ => {
                                return Err(self.err(
                                    n.span,
                                    format!("cannot use the value of {:?} as a label list", n.text),
                                ));
                            }
                        }
                    }
                    names
                }
            };
            for item in items {
                if !out.contains(&item) {
                    out.push(item);
                }
            }
        }
        Ok(out)
    }

    fn selector<'r>(&mut self, env: &Env<'r>, sel: &'r RawSelector) -> Result<Expr, ParseError> {
        let mut groups: Vec<Vec<LabelMatcher>> = Vec::new();
        for raw_group in &sel.groups {
            // Alternatives of this written group: splices of multi-group selectors multiply them out.
            let mut alts: Vec<Vec<LabelMatcher>> = vec![Vec::new()];
            for f in raw_group {
                match f {
                    RawFilter::Match {
                        label,
                        op,
                        value,
                        span,
                    } => {
                        let value = self.string(env, value)?;
                        if matches!(op, MatchOp::Regex | MatchOp::NotRegex) {
                            check_regex(&value).map_err(|m| self.err(*span, m))?;
                        }
                        let m = LabelMatcher {
                            label: label.clone(),
                            op: *op,
                            value,
                            span: *span,
                        };
                        alts.iter_mut().for_each(|a| a.push(m.clone()));
                    }
                    RawFilter::Splice(name) => {
                        let groups_of = match self.variable(env, &name.text)? {
                            Some(Expr::Selector(s)) if s.name.is_none() => s.groups,
                            Some(_) => {
                                return Err(self.err(
                                    name.span,
                                    format!(
                                        "{:?} must hold label filters such as {{a=\"b\"}}",
                                        name.text
                                    ),
                                ));
                            }
                            None => {
                                return Err(self
                                    .err(name.span, format!("missing {:?} value inside a selector", name.text))
                                    .with_hint("a bare name inside {} must be a WITH name holding label filters"));
                            }
                        };
                        alts = cross(&alts, &groups_of);
                    }
                }
            }
            groups.extend(alts);
        }
        // A splice of `{}` leaves an alternative empty: alone it is `{}`; next to others it cannot be written.
        if groups.len() == 1 && groups[0].is_empty() {
            groups.clear();
        } else if groups.iter().any(Vec::is_empty) {
            return Err(self.err(
                sel.span,
                "an \"or\" alternative of this selector has no label filters",
            ));
        }
        let mut name = sel.name.as_ref().map(|n| n.text.clone());
        normalise(&mut name, &mut groups);
        let span = sel.span;
        // A metric name that is a parameterless WITH name (or argument) is replaced by its value.
        let Some(metric) = name.clone() else {
            return Ok(Expr::Selector(Selector { name, groups, span }));
        };
        let (value, is_arg) = match lookup(env, &metric) {
            Some(Binding::Def(d, _)) if !d.params.is_empty() => (None, false),
            Some(Binding::Arg(..)) => (self.variable(env, &metric)?, true),
            Some(_) => (self.variable(env, &metric)?, false),
            None => (None, false),
        };
        let Some(value) = value else {
            return Ok(Expr::Selector(Selector { name, groups, span }));
        };
        // A template argument keeps the caller's position; a template variable points at its use.
        let pick = |w: &Selector| if is_arg { w.span } else { span };
        match value {
            Expr::Selector(w) => {
                let at = pick(&w);
                Ok(Expr::Selector(merge(w, &groups, at)))
            }
            Expr::Rollup(mut r) if matches!(*r.expr, Expr::Selector(_)) => {
                if let Expr::Selector(w) = *r.expr {
                    let at = pick(&w);
                    r.expr = Box::new(Expr::Selector(merge(w, &groups, at)));
                }
                Ok(Expr::Rollup(r))
            }
            other if groups.is_empty() => Ok(other),
            _ => Err(self.err(span, format!("cannot add label filters to {metric:?}: its WITH value is not a series selector"))),
        }
    }
}

/// Every combination of one alternative from `a` and one from `b` (an empty side leaves the other unchanged).
fn cross(a: &[Vec<LabelMatcher>], b: &[Vec<LabelMatcher>]) -> Vec<Vec<LabelMatcher>> {
    if b.is_empty() {
        return a.to_vec();
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            let mut g = x.clone();
            g.extend(y.iter().cloned());
            out.push(g);
        }
    }
    out
}

/// The selector `w` (a template's value) with the filters written after the template name added.
fn merge(w: Selector, groups: &[Vec<LabelMatcher>], span: Span) -> Selector {
    let mut name = w.name;
    let mut all = if w.groups.is_empty() {
        groups.to_vec()
    } else if groups.is_empty() {
        w.groups
    } else {
        cross(&w.groups, groups)
    };
    normalise(&mut name, &mut all);
    Selector {
        name,
        groups: all,
        span,
    }
}

/// Drops repeated matchers, and reads a leading `__name__="x"` of a single group as the metric name.
fn normalise(name: &mut Option<String>, groups: &mut Vec<Vec<LabelMatcher>>) {
    for g in groups.iter_mut() {
        let mut seen: Vec<LabelMatcher> = Vec::with_capacity(g.len());
        for m in g.drain(..) {
            if !seen
                .iter()
                .any(|s| s.label == m.label && s.op == m.op && s.value == m.value)
            {
                seen.push(m);
            }
        }
        *g = seen;
    }
    if name.is_none()
        && groups.len() == 1
        && groups[0]
            .first()
            .is_some_and(|m| m.label == "__name__" && m.op == MatchOp::Equal)
    {
        let first = groups[0].remove(0);
        *name = Some(first.value);
        if groups[0].is_empty() {
            groups.clear();
        }
    }
}
