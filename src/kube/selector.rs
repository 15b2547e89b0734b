//! Which objects tocsin loads: Kubernetes label selectors (`a=b,c!=d,e in (f,g),h notin (i),j,!k`), each
//! operator's meaning of an absent and an empty selector, and allowed and denied namespace lists.
//!
//! An *absent* selector (flag not given) and an *empty* one (flag given as `""`, like `{}` in a CR) differ, and
//! each kind follows the operator that owns it:
//!
//! | kind | rule selector | namespace selector | both absent |
//! |---|---|---|---|
//! | VMRule (VictoriaMetrics operator) | absent: any labels | absent: own namespace only | every object if `-kube.selectAllByDefault`, else none |
//! | PrometheusRule (prometheus-operator) | absent: **none** | absent: own namespace only | none |
//!
//! An empty selector selects everything. "Own namespace" is the namespace tocsin runs in. The namespace lists apply
//! on top: an object in a denied namespace, or outside a non-empty allowed list, is never loaded.
//!
//! Pure: matching works on labels handed in.

use super::object::ObjectKind;
use std::collections::BTreeMap;

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector; the empty selector matches every label set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Parses the selector syntax of `kubectl -l`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            requirements.push(parse_requirement(part)?);
        }
        Ok(LabelSelector { requirements })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::NotExists(k) => !labels.contains_key(k),
        })
    }
}

/// Splits on commas outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn label_key(k: &str, whole: &str) -> Result<String, String> {
    let k = k.trim();
    let valid = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if valid {
        Ok(k.to_string())
    } else {
        Err(format!(
            "invalid label key {k:?} in selector requirement {whole:?}"
        ))
    }
}

fn parse_requirement(part: &str) -> Result<Requirement, String> {
    if let Some(k) = part.strip_prefix('!') {
        return Ok(Requirement::NotExists(label_key(k, part)?));
    }
    if let Some((k, v)) = part.split_once("!=") {
        return Ok(Requirement::NotEquals(
            label_key(k, part)?,
            v.trim().to_string(),
        ));
    }
    if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
        return Ok(Requirement::Equals(
            label_key(k, part)?,
            v.trim().to_string(),
        ));
    }
    for (op, notin) in [(" notin ", true), (" in ", false)] {
        if let Some((k, rest)) = part.split_once(op) {
            let rest = rest.trim();
            let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) else {
                return Err(format!("expected a parenthesised value list in {part:?}"));
            };
            let values = inner.split(',').map(|v| v.trim().to_string()).collect();
            let key = label_key(k, part)?;
            return Ok(if notin {
                Requirement::NotIn(key, values)
            } else {
                Requirement::In(key, values)
            });
        }
    }
    Ok(Requirement::Exists(label_key(part, part)?))
}

/// What to load, from the `-kube.*` selection flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// `-kube.ruleSelector`: `None` when the flag is absent.
    pub rule_selector: Option<LabelSelector>,
    /// `-kube.ruleNamespaceSelector`: `None` when the flag is absent.
    pub namespace_selector: Option<LabelSelector>,
    /// `-kube.selectAllByDefault` (VMRule only, as in the VictoriaMetrics operator).
    pub select_all_by_default: bool,
    /// The namespace tocsin runs in.
    pub own_namespace: String,
    /// `-kube.namespaces`: when not empty, only these namespaces.
    pub allowed_namespaces: Vec<String>,
    /// `-kube.denyNamespaces`: never these namespaces.
    pub denied_namespaces: Vec<String>,
}

impl Selection {
    /// True when tocsin needs namespace labels (a namespace selector is set).
    pub fn needs_namespaces(&self) -> bool {
        self.namespace_selector.is_some()
    }

    /// Whether an object of `kind` in `namespace`, with `labels`, is loaded. `namespace_labels` are the labels of
    /// its namespace (`None` when unknown: a namespace selector then does not match).
    pub fn selects(
        &self,
        kind: ObjectKind,
        namespace: &str,
        namespace_labels: Option<&BTreeMap<String, String>>,
        labels: &BTreeMap<String, String>,
    ) -> bool {
        if self.denied_namespaces.iter().any(|n| n == namespace)
            || (!self.allowed_namespaces.is_empty()
                && !self.allowed_namespaces.iter().any(|n| n == namespace))
        {
            return false;
        }
        let namespace_ok = |sel: &Option<LabelSelector>| match sel {
            None => namespace == self.own_namespace,
            Some(s) => namespace_labels.is_some_and(|l| s.matches(l)),
        };
        match kind {
            ObjectKind::VmRule => match (&self.rule_selector, &self.namespace_selector) {
                (None, None) => self.select_all_by_default,
                (rule, ns) => rule.as_ref().is_none_or(|r| r.matches(labels)) && namespace_ok(ns),
            },
            ObjectKind::PrometheusRule => match &self.rule_selector {
                None => false,
                Some(r) => r.matches(labels) && namespace_ok(&self.namespace_selector),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn selector_syntax() {
        let s = LabelSelector::parse("team=a, env in (prod, stage),tier!=db,managed,!legacy")
            .expect("parses");
        assert!(s.matches(&labels(&[("team", "a"), ("env", "prod"), ("managed", "")])));
        assert!(!s.matches(&labels(&[("team", "a"), ("env", "dev"), ("managed", "")])));
        assert!(!s.matches(&labels(&[("team", "a"), ("env", "prod")])));
        assert!(!s.matches(&labels(&[
            ("team", "a"),
            ("env", "prod"),
            ("managed", ""),
            ("legacy", "1")
        ])));
        assert!(!s.matches(&labels(&[
            ("team", "a"),
            ("env", "prod"),
            ("managed", ""),
            ("tier", "db")
        ])));
        let n = LabelSelector::parse("app.kubernetes.io/name notin (x,y)").expect("parses");
        assert!(n.matches(&labels(&[])));
        assert!(!n.matches(&labels(&[("app.kubernetes.io/name", "x")])));
        assert!(
            LabelSelector::parse("")
                .expect("empty")
                .matches(&labels(&[("a", "b")]))
        );
        assert!(LabelSelector::parse("a in b").is_err());
        assert!(LabelSelector::parse("=b").is_err());
    }

    /// Absent / empty / matching / non-matching selectors for both kinds, as the operators define them.
    #[test]
    fn operator_semantics_table() {
        let sel = |s: Option<&str>| s.map(|t| LabelSelector::parse(t).expect("selector"));
        let team = labels(&[("team", "a")]);
        let ns_labels = labels(&[("tenant", "yes")]);
        /// (rule selector, namespace selector, select all by default, namespace, VMRule?, PrometheusRule?)
        type Case<'a> = (Option<&'a str>, Option<&'a str>, bool, &'a str, bool, bool);
        let cases: &[Case] = &[
            (None, None, false, "monitoring", false, false),
            (None, None, true, "other", true, false),
            (Some(""), None, false, "monitoring", true, true),
            (Some(""), None, false, "other", false, false),
            (Some("team=a"), None, false, "monitoring", true, true),
            (Some("team=b"), None, false, "monitoring", false, false),
            (None, Some(""), false, "other", true, false),
            (Some(""), Some(""), false, "other", true, true),
            (
                Some("team=a"),
                Some("tenant=yes"),
                false,
                "other",
                true,
                true,
            ),
            (
                Some("team=a"),
                Some("tenant=no"),
                false,
                "other",
                false,
                false,
            ),
            (None, Some("tenant=yes"), false, "other", true, false),
        ];
        for (i, (rule, ns, all, namespace, vm, prom)) in cases.iter().enumerate() {
            let s = Selection {
                rule_selector: sel(*rule),
                namespace_selector: sel(*ns),
                select_all_by_default: *all,
                own_namespace: "monitoring".into(),
                ..Selection::default()
            };
            assert_eq!(
                s.selects(ObjectKind::VmRule, namespace, Some(&ns_labels), &team),
                *vm,
                "case {i}: VMRule"
            );
            assert_eq!(
                s.selects(
                    ObjectKind::PrometheusRule,
                    namespace,
                    Some(&ns_labels),
                    &team
                ),
                *prom,
                "case {i}: PrometheusRule"
            );
        }
    }

    #[test]
    fn namespace_lists_apply_on_top() {
        let s = Selection {
            rule_selector: Some(LabelSelector::default()),
            namespace_selector: Some(LabelSelector::default()),
            allowed_namespaces: vec!["a".into(), "b".into()],
            denied_namespaces: vec!["b".into()],
            ..Selection::default()
        };
        let l = labels(&[]);
        assert!(s.selects(ObjectKind::PrometheusRule, "a", Some(&l), &l));
        assert!(!s.selects(ObjectKind::PrometheusRule, "b", Some(&l), &l));
        assert!(!s.selects(ObjectKind::VmRule, "c", Some(&l), &l));
        // An unknown namespace never matches a namespace selector.
        assert!(!s.selects(ObjectKind::VmRule, "a", None, &l));
    }
}
