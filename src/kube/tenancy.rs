//! Namespace tenancy: every rule of a tenant's object reads only its own namespace's series and carries its
//! namespace as a label, and tenants stay within limits.
//!
//! With `-kube.enforcedNamespaceLabel=NAME`, for every rule of an object in namespace `ns` (unless exempt):
//! - the rule label `NAME="ns"` is set, replacing any value the tenant wrote (the group label too), so results
//!   and alerts can only be attributed to `ns`;
//! - `NAME="ns"` is enforced in every series selector of the expression (`metricsql::inject_matchers`: inside
//!   subqueries, function arguments, aggregations, both sides of `or`/`unless`/`and`, every `or` alternative of a
//!   selector's braces). A matcher the tenant wrote on `NAME` (`=`, `!=`, `=~".*"`, `!~`) is **replaced** by the
//!   enforced one, as prometheus-operator's namespace labeler and prom-label-proxy do: nothing written about
//!   `NAME` can widen what the query reads; asking for another namespace reads the own one instead;
//! - an expression that does not parse as MetricsQL rejects the object (nothing that cannot be rewritten runs);
//! - `query` calls in templates are enforced when they run ([`EnforcingQuerier`]), whatever text the template
//!   builds; the group's [`Group::query_matchers`] says which matchers;
//! - group `headers` and `params` other than [`SAFE_PARAMS`] reject the object: they could change which data
//!   the datasource serves (credentials, tenant headers, `extra_label`).
//!
//! Limits ([`TenantLimits`]) reject an object with a reason rather than letting it in: rules per group here,
//! groups per namespace in `catalog`; series and alerts per rule clamp the group `limit`, so a rule that returns
//! more fails its evaluation with vmalert's "exceeded limit" error instead of growing without bound.
//!
//! Pure: no IO.

use super::object::ObjectKey;
use crate::config::identity::rule_id;
use crate::config::{Group, RuleKind};
use crate::promql::metricsql::{self, LabelMatcher, MatchOp};
use crate::template::{QuerySample, TemplateQuerier};
use std::time::SystemTime;

/// Group `params` a tenant may set when tenancy is enforced: they change caching and lookback only.
pub const SAFE_PARAMS: &[&str] = &["nocache", "latency_offset"];

/// Objects that are not tenants: platform rules read every namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exemption {
    /// Every object in this namespace.
    Namespace(String),
    /// One object, by namespace and name (either kind).
    Object { namespace: String, name: String },
}

impl Exemption {
    /// Reads `ns` or `ns/name`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.split_once('/') {
            None if !text.is_empty() => Ok(Exemption::Namespace(text.to_string())),
            Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => {
                Ok(Exemption::Object {
                    namespace: ns.to_string(),
                    name: name.to_string(),
                })
            }
            _ => Err(format!(
                "invalid exemption {text:?}; want a namespace or namespace/name"
            )),
        }
    }

    fn covers(&self, key: &ObjectKey) -> bool {
        match self {
            Exemption::Namespace(ns) => *ns == key.namespace,
            Exemption::Object { namespace, name } => {
                *namespace == key.namespace && *name == key.name
            }
        }
    }
}

/// Per-tenant limits; 0 means no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TenantLimits {
    pub max_rules_per_group: usize,
    pub max_groups_per_namespace: usize,
    /// The highest group `limit` (alerts or series per rule) a tenant gets; groups without a limit get this one.
    pub max_series_per_rule: usize,
}

/// Tenancy settings from the `-kube.*` flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tenancy {
    /// `-kube.enforcedNamespaceLabel`; `None` turns enforcement off (limits still apply).
    pub label: Option<String>,
    pub exempt: Vec<Exemption>,
    pub limits: TenantLimits,
}

impl Tenancy {
    pub fn is_exempt(&self, key: &ObjectKey) -> bool {
        self.exempt.iter().any(|e| e.covers(key))
    }

    /// Applies enforcement and per-group limits to one object's groups; the errors reject the object.
    pub fn apply(&self, key: &ObjectKey, groups: &mut [Group]) -> Result<(), Vec<String>> {
        if self.is_exempt(key) {
            return Ok(());
        }
        let mut errors = Vec::new();
        let limits = self.limits;
        for g in groups.iter_mut() {
            if limits.max_rules_per_group > 0 && g.rules.len() > limits.max_rules_per_group {
                errors.push(format!(
                    "group {:?} has {} rules; the limit per group is {}",
                    g.name,
                    g.rules.len(),
                    limits.max_rules_per_group
                ));
            }
            if limits.max_series_per_rule > 0
                && (g.limit == 0 || g.limit > limits.max_series_per_rule)
            {
                g.limit = limits.max_series_per_rule;
            }
            if let Some(label) = &self.label
                && let Err(e) = enforce_group(g, label, &key.namespace)
            {
                errors.extend(e);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Enforces `label="value"` on every rule of `group`: rule and group label, every selector, and the group's
/// template queries. Rule IDs are recomputed from the rewritten expression and labels.
pub fn enforce_group(group: &mut Group, label: &str, value: &str) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    if !group.headers.is_empty() {
        errors.push(format!(
            "group {:?}: headers are not allowed under namespace tenancy (they could change what the datasource serves)",
            group.name
        ));
    }
    for (name, _) in &group.params {
        if !SAFE_PARAMS.contains(&name.as_str()) {
            errors.push(format!(
                "group {:?}: query parameter {name:?} is not allowed under namespace tenancy; allowed: {}",
                group.name,
                SAFE_PARAMS.join(", ")
            ));
        }
    }
    if group.labels.contains_key(label) {
        group.labels.insert(label.to_string(), value.to_string());
    }
    group
        .query_matchers
        .retain(|(name, _)| name.as_str() != label);
    group
        .query_matchers
        .push((label.to_string(), value.to_string()));
    for rule in &mut group.rules {
        match enforce_expr(&rule.expr, label, value) {
            Ok(expr) => rule.expr = expr,
            Err(e) => errors.push(format!(
                "group {:?}, rule {:?}: cannot enforce {label}={value:?}: {e}",
                group.name,
                rule.name()
            )),
        }
        let mut labels = rule.labels.to_labels();
        labels.insert(label.to_string(), value.to_string());
        rule.id = rule_id(
            &rule.expr,
            matches!(rule.kind, RuleKind::Alerting { .. }),
            rule.name(),
            &labels,
        );
        rule.labels = labels.into();
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// `expr` with `label="value"` enforced in every series selector, printed back as MetricsQL.
pub fn enforce_expr(expr: &str, label: &str, value: &str) -> Result<String, String> {
    enforce_matchers(expr, &[(label.to_string(), value.to_string())])
}

/// `expr` with every `name="value"` of `matchers` enforced in every series selector.
pub fn enforce_matchers(expr: &str, matchers: &[(String, String)]) -> Result<String, String> {
    let mut tree = metricsql::parse(expr).map_err(|e| e.to_string())?;
    let matchers: Vec<LabelMatcher> = matchers
        .iter()
        .map(|(n, v)| LabelMatcher::new(n.clone(), MatchOp::Equal, v.clone()))
        .collect();
    metricsql::inject_matchers(&mut tree, &matchers);
    Ok(tree.to_string())
}

/// A template querier that enforces a group's [`Group::query_matchers`] on every `query` call before it runs,
/// so a template cannot read another tenant's series whatever query text it builds.
pub struct EnforcingQuerier<'a> {
    pub inner: &'a dyn TemplateQuerier,
    pub matchers: &'a [(String, String)],
}

impl TemplateQuerier for EnforcingQuerier<'_> {
    fn query(&self, expr: &str, ts: SystemTime) -> Result<Vec<QuerySample>, String> {
        if self.matchers.is_empty() {
            return self.inner.query(expr, ts);
        }
        let enforced = enforce_matchers(expr, self.matchers)?;
        self.inner.query(&enforced, ts)
    }
}

#[cfg(test)]
mod tests;
