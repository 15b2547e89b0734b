//! VMRule and PrometheusRule `spec`s → compiled [`Group`]s, through the validation rule files go through.
//!
//! The spec (JSON, as the API server serves it) becomes the YAML node tree the file loader reads
//! (`config::yaml::Node`), so every check, message and field path is the file loader's; only the accepted keys
//! differ, following each CRD. Field paths are prefixed with `spec.`; the diagnostics' file is the object's source
//! name `<namespace>/<name>`, which is also the groups' `file`, so identities match on every replica.
//!
//! PrometheusRule's `query_offset` is read as the group's `query_offset`, which tocsin's scheduler applies as an
//! evaluation delay (the query time is moved back by it), as Prometheus does. vmalert's operator maps it to
//! `eval_offset`, which instead pins the evaluation instant within the interval: not what Prometheus means.
//! `partial_response_strategy` (Thanos) is accepted and ignored with a warning.
//!
//! An object with any error yields no groups: it is skipped alone. Pure: no IO.

use super::object::RuleObject;
use crate::config::diagnostic::Report;
use crate::config::raw::{self, FieldSet};
use crate::config::yaml::{Node, NodeKind, Pos};
use crate::config::{Diagnostic, Group, LoadOptions, Severity, validate};

/// Group fields of a VMRule (`operator.victoriametrics.com/v1beta1`): vmalert's, without `debug`.
pub const VMRULE_GROUP_FIELDS: &[&str] = &[
    "name",
    "interval",
    "rules",
    "limit",
    "eval_offset",
    "eval_delay",
    "eval_alignment",
    "concurrency",
    "labels",
    "tenant",
    "params",
    "type",
    "headers",
    "notifier_headers",
];

/// Rule fields of a VMRule.
pub const VMRULE_RULE_FIELDS: &[&str] = &[
    "record",
    "alert",
    "expr",
    "debug",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
    "update_entries_limit",
];

/// Group fields of a PrometheusRule (`monitoring.coreos.com/v1`).
pub const PROMETHEUSRULE_GROUP_FIELDS: &[&str] = &[
    "name",
    "interval",
    "query_offset",
    "limit",
    "labels",
    "partial_response_strategy",
    "rules",
];

/// Rule fields of a PrometheusRule.
pub const PROMETHEUSRULE_RULE_FIELDS: &[&str] = &[
    "record",
    "alert",
    "expr",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
];

/// The keys a kind accepts.
pub fn field_set(kind: super::ObjectKind) -> FieldSet {
    match kind {
        super::ObjectKind::VmRule => FieldSet {
            group: VMRULE_GROUP_FIELDS,
            rule: VMRULE_RULE_FIELDS,
        },
        super::ObjectKind::PrometheusRule => FieldSet {
            group: PROMETHEUSRULE_GROUP_FIELDS,
            rule: PROMETHEUSRULE_RULE_FIELDS,
        },
    }
}

/// The outcome of converting one object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Converted {
    /// The object's groups; empty when any error was found.
    pub groups: Vec<Group>,
    /// Every finding, errors and warnings, with `spec.`-prefixed field paths.
    pub diagnostics: Vec<Diagnostic>,
}

impl Converted {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

/// Converts one object's spec into groups, validated as a rule file is with `opts`.
pub fn convert(object: &RuleObject, opts: &LoadOptions) -> Converted {
    let file = object.key.source_name();
    let mut report = Report::new(&file);
    let root = spec_root(&object.spec, &mut report);
    let raw = raw::read_groups_with(&[root], field_set(object.key.kind), &mut report);
    let groups = validate::compile_groups(&file, &raw, opts, &mut report);
    let mut diagnostics = report.items;
    for d in &mut diagnostics {
        d.path = if d.path.is_empty() {
            "spec".to_string()
        } else {
            format!("spec.{}", d.path)
        };
    }
    let failed = diagnostics.iter().any(|d| d.severity == Severity::Error);
    Converted {
        groups: if failed { Vec::new() } else { groups },
        diagnostics,
    }
}

/// The spec as a rule-file tree: `{groups: …}`. Keys other than `groups` are reported as unknown by the reader.
fn spec_root(spec: &serde_json::Value, report: &mut Report) -> Node {
    match spec {
        serde_json::Value::Object(_) => json_to_node(spec),
        serde_json::Value::Null => {
            report.error(Pos::default(), "", "spec is missing");
            null_node()
        }
        _ => {
            report.error(Pos::default(), "", "spec must be an object");
            null_node()
        }
    }
}

fn null_node() -> Node {
    Node {
        pos: Pos::default(),
        kind: NodeKind::Scalar {
            value: String::new(),
            quoted: false,
        },
    }
}

/// A JSON value as the file loader's tree: strings are quoted scalars (so `"5"` is not an integer), numbers and
/// booleans plain scalars (so `expr: 5`, an IntOrString, reads as the text `5`), null an absent value. JSON has no
/// useful positions: every node is at 0:0, and diagnostics name the field path instead.
pub fn json_to_node(value: &serde_json::Value) -> Node {
    use serde_json::Value;
    let scalar = |value: String, quoted: bool| NodeKind::Scalar { value, quoted };
    let kind = match value {
        Value::Null => scalar(String::new(), false),
        Value::Bool(b) => scalar(b.to_string(), false),
        Value::Number(n) => scalar(n.to_string(), false),
        Value::String(s) => scalar(s.clone(), true),
        Value::Array(items) => NodeKind::Seq(items.iter().map(json_to_node).collect()),
        Value::Object(map) => NodeKind::Map(
            map.iter()
                .map(|(k, v)| {
                    (
                        Node {
                            pos: Pos::default(),
                            kind: scalar(k.clone(), false),
                        },
                        json_to_node(v),
                    )
                })
                .collect(),
        ),
    };
    Node {
        pos: Pos::default(),
        kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Dialect, RuleKind};
    use crate::kube::{ObjectKey, ObjectKind};
    use serde_json::json;

    fn object(kind: ObjectKind, spec: serde_json::Value) -> RuleObject {
        RuleObject {
            key: ObjectKey::new(kind, "team-a", "rules"),
            uid: "u1".into(),
            generation: Some(1),
            resource_version: "1".into(),
            labels: Default::default(),
            spec,
        }
    }

    fn opts() -> LoadOptions {
        LoadOptions {
            dialect: Dialect::Vmalert,
            ..LoadOptions::default()
        }
    }

    fn errors(c: &Converted) -> Vec<String> {
        c.errors().map(|d| d.to_string()).collect()
    }

    #[test]
    fn prometheus_rule_fields_map_as_documented() {
        let spec = json!({"groups": [{
        "name": "g", "interval": "30s", "limit": 10, "labels": {"team": "a"},
        "query_offset": "1m", "partial_response_strategy": "warn",
        "rules": [
            {"alert": "A", "expr": 1, "for": "5m", "keep_firing_for": "1m",
             "labels": {"severity": "page"}, "annotations": {"summary": "s"}},
            {"record": "r:sum", "expr": "sum(up)"}
        ]}]});
        let c = convert(&object(ObjectKind::PrometheusRule, spec), &opts());
        assert!(errors(&c).is_empty(), "{:#?}", c.diagnostics);
        let warnings: Vec<String> = c.diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            warnings,
            vec![
                "team-a/rules: spec.groups[0].partial_response_strategy (group \"g\"): partial_response_strategy is a Thanos field and is ignored"
            ]
        );
        let g = &c.groups[0];
        assert_eq!(g.file, "team-a/rules");
        assert_eq!(g.interval.as_millis(), 30_000);
        assert_eq!(g.limit, 10);
        assert_eq!(g.query_offset.map(|d| d.as_millis()), Some(60_000));
        assert_eq!(g.eval_offset, None);
        assert_eq!(g.labels.get("team").map(String::as_str), Some("a"));
        assert_eq!(g.rules[0].expr, "1");
        assert!(matches!(&g.rules[0].kind,
            RuleKind::Alerting { for_, keep_firing_for, annotations, .. }
            if for_.as_millis() == 300_000 && keep_firing_for.as_millis() == 60_000
                && annotations.get("summary") == Some("s")));
        assert!(matches!(&g.rules[1].kind, RuleKind::Recording { name } if name == "r:sum"));
    }

    #[test]
    fn vmrule_fields_map_one_to_one() {
        let spec = json!({"groups": [{
            "name": "g", "interval": "1m", "eval_offset": "10s", "concurrency": 2,
            "params": {"nocache": ["1"]}, "headers": ["X-A: b"], "notifier_headers": ["X-N: c"],
            "eval_alignment": false, "type": "prometheus",
            "rules": [{"alert": "A", "expr": "up == 0", "debug": true, "update_entries_limit": 5}]}]});
        let c = convert(&object(ObjectKind::VmRule, spec), &opts());
        assert!(c.diagnostics.is_empty(), "{:#?}", c.diagnostics);
        let g = &c.groups[0];
        assert_eq!(g.eval_offset.map(|d| d.as_millis()), Some(10_000));
        assert_eq!(g.concurrency, 2);
        assert_eq!(g.params, vec![("nocache".to_string(), "1".to_string())]);
        assert_eq!(g.headers, vec![("X-A".to_string(), "b".to_string())]);
        assert_eq!(
            g.notifier_headers,
            vec![("X-N".to_string(), "c".to_string())]
        );
        assert_eq!(g.eval_alignment, Some(false));
        assert!(g.rules[0].debug);
        assert_eq!(g.rules[0].update_entries_limit, Some(5));
    }

    #[test]
    fn fields_of_the_other_kind_are_unknown() {
        let spec = json!({"groups": [{"name": "g", "concurrency": 2, "rules": [
            {"alert": "A", "expr": "up", "debug": true}]}]});
        let c = convert(&object(ObjectKind::PrometheusRule, spec), &opts());
        let got = errors(&c);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].contains("spec.groups[0].concurrency"), "{}", got[0]);
        assert!(
            got[1].contains("spec.groups[0].rules[0].debug"),
            "{}",
            got[1]
        );
        assert!(c.groups.is_empty());
        let spec = json!({"groups": [{"name": "g", "query_offset": "1m", "rules": []}]});
        assert!(convert(&object(ObjectKind::VmRule, spec), &opts()).has_errors());
    }

    #[test]
    fn one_error_rejects_the_whole_object_with_every_reason() {
        let spec = json!({"groups": [
            {"name": "ok", "rules": [{"alert": "A", "expr": "up"}]},
            {"name": "bad", "rules": [{"alert": "B", "expr": "rate(up"}, {"record": "x", "alert": "y", "expr": "1"}]},
            {"name": "ok", "rules": []}]});
        let c = convert(&object(ObjectKind::VmRule, spec), &opts());
        let got = errors(&c);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(
            got.iter()
                .any(|e| e.contains("spec.groups[1].rules[0].expr"))
        );
        assert!(got.iter().any(|e| e.contains("repeated")));
        assert!(c.groups.is_empty());
    }

    #[test]
    fn strings_where_numbers_belong_and_bad_specs_are_reported() {
        let c = convert(
            &object(
                ObjectKind::PrometheusRule,
                json!({"groups": [{"name": "g", "limit": "5", "rules": []}]}),
            ),
            &opts(),
        );
        assert!(errors(&c)[0].contains("expected an integer, got the string \"5\""));
        let c = convert(
            &object(ObjectKind::VmRule, serde_json::Value::Null),
            &opts(),
        );
        assert_eq!(errors(&c), vec!["team-a/rules: spec: spec is missing"]);
        let c = convert(&object(ObjectKind::VmRule, json!({"groups": 3})), &opts());
        assert!(errors(&c)[0].contains("spec.groups: expected a list"));
    }

    #[test]
    fn identities_depend_on_namespace_and_name_only() {
        let spec = json!({"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "up"}]}]});
        let mut a = object(ObjectKind::VmRule, spec.clone());
        let first = convert(&a, &opts());
        a.uid = "recreated".into();
        a.resource_version = "99".into();
        a.generation = Some(7);
        assert_eq!(convert(&a, &opts()).groups[0].id, first.groups[0].id);
        a.key.namespace = "team-b".into();
        assert_ne!(convert(&a, &opts()).groups[0].id, first.groups[0].id);
    }
}
