//! Label enforcement: adds label matchers to every series selector of an expanded expression — inside
//! function arguments, aggregations, subqueries, `@` expressions, binary operands, every `or` alternative of a
//! selector, and whatever `WITH` templates expanded to. Shared with tenancy, which uses it to pin a query to one
//! tenant's series.
//!
//! Pure tree surgery; never parses or prints.
//!
//! Conflicts: an injected matcher **replaces** every existing matcher on the same label in that selector (the
//! enforced value wins, as prom-label-proxy does when it enforces a label). A query that asked for
//! `namespace="other"` therefore gets the enforced tenant's series and never another tenant's; nothing the query
//! says about the enforced label can widen what it reads.

use super::ast::{Expr, LabelMatcher, MatchOp, Span, walk_mut};

/// Adds (enforces) `matchers` in every selector of `expr` and returns the spans of the selectors it changed
/// (children before parents, left to right). A selector that comes from a `WITH` template is reported once per
/// expansion: at the use of the name when a template variable stood for it (`base` in
/// `WITH (base = m{…}) base / base`), at the caller's argument for a template parameter, else where it is
/// written inside the template body.
///
/// Matchers on `__name__` replace the metric name too. Selectors that already carry exactly the enforced
/// matchers (and nothing else on those labels) are left alone and not reported.
pub fn inject_matchers(expr: &mut Expr, matchers: &[LabelMatcher]) -> Vec<Span> {
    let mut touched = Vec::new();
    if matchers.is_empty() {
        return touched;
    }
    walk_mut(expr, &mut |e| {
        if let Expr::Selector(sel) = e {
            let mut changed = false;
            let sets_name = matchers.iter().any(|m| m.label == "__name__");
            if sets_name && let Some(name) = sel.name.take() {
                // Keep the old name as an ordinary matcher so the replacement below sees and drops it.
                let old = LabelMatcher::new("__name__", MatchOp::Equal, name);
                if sel.groups.is_empty() {
                    sel.groups.push(vec![old]);
                } else {
                    sel.groups.iter_mut().for_each(|g| g.insert(0, old.clone()));
                }
                changed = true;
            }
            if sel.groups.is_empty() {
                sel.groups.push(Vec::new());
            }
            for group in &mut sel.groups {
                for m in matchers {
                    let already = group.iter().filter(|g| g.label == m.label).count() == 1
                        && group
                            .iter()
                            .any(|g| g.label == m.label && g.op == m.op && g.value == m.value);
                    if already {
                        continue;
                    }
                    group.retain(|g| g.label != m.label);
                    group.push(m.clone());
                    changed = true;
                }
            }
            if changed {
                touched.push(sel.span);
            }
        }
    });
    touched
}
