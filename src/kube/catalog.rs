//! Every rule object watched, and the rule set they make: which objects are selected, each one's groups or the
//! reasons it was rejected, and the groups of all accepted objects in a stable order.
//!
//! The set is a function of the objects and settings only (objects in key order, groups in written order), so
//! every replica that has seen the same objects publishes the same groups. An invalid object is rejected alone:
//! the others, and the groups they had, are unaffected.
//!
//! A PrometheusRule and a VMRule with the same namespace and name would give groups with the same source name;
//! the VMRule wins (the VictoriaMetrics operator converts PrometheusRules into VMRules of the same name, so with
//! both watched every rule would otherwise run twice) and the PrometheusRule is reported as shadowed.
//!
//! Pure: the watchers feed it; it does no IO.

use super::convert::{Converted, convert};
use super::object::{ObjectKey, ObjectKind, RuleObject};
use super::selector::Selection;
use super::tenancy::Tenancy;
use crate::config::{Group, LoadOptions, Severity};
use std::collections::{BTreeMap, HashMap};

/// What the catalog needs besides the objects.
#[derive(Debug, Clone)]
pub struct CatalogSettings {
    pub load: LoadOptions,
    pub selection: Selection,
    pub tenancy: Tenancy,
}

/// The verdict on one selected object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Loaded, with this many groups.
    Ok { groups: usize },
    /// Rejected; every reason, one per line.
    Invalid(Vec<String>),
}

impl Verdict {
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Ok { .. })
    }

    /// The text shown in status, events and the API: empty when ok.
    pub fn reason(&self) -> String {
        match self {
            Verdict::Ok { .. } => String::new(),
            Verdict::Invalid(reasons) => reasons.join("\n"),
        }
    }
}

/// One selected object and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectStatus {
    pub key: ObjectKey,
    pub uid: String,
    pub generation: Option<i64>,
    pub verdict: Verdict,
    /// Warnings from loading (e.g. an ignored `partial_response_strategy`).
    pub warnings: Vec<String>,
}

/// The current rule set from Kubernetes: what [`super::KubeRuleSource::subscribe`] publishes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KubeRules {
    /// True once every enabled watcher has listed its objects at least once. Until then the set is empty and
    /// must not replace anything.
    pub ready: bool,
    /// The groups of every accepted object; each group's `file` is `<namespace>/<name>`.
    pub groups: Vec<Group>,
    /// One entry per selected object, in key order.
    pub objects: Vec<ObjectStatus>,
}

impl KubeRules {
    /// The rule objects' verdicts in the Prometheus text format, for `/metrics`:
    /// `tocsin_kube_objects{kind, verdict}` counts selected objects, `tocsin_kube_object_invalid{kind, namespace,
    /// name}` is 1 for every rejected one (so an alert can name it).
    pub fn exposition(&self) -> String {
        let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for kind in [ObjectKind::VmRule, ObjectKind::PrometheusRule] {
            for verdict in ["ok", "invalid"] {
                counts.insert((kind.kind(), verdict), 0);
            }
        }
        let mut out = String::from(
            "# HELP tocsin_kube_objects Selected Kubernetes rule objects by verdict.\n# TYPE tocsin_kube_objects gauge\n",
        );
        for o in &self.objects {
            let verdict = if o.verdict.is_ok() { "ok" } else { "invalid" };
            *counts.entry((o.key.kind.kind(), verdict)).or_default() += 1;
        }
        for ((kind, verdict), n) in &counts {
            out.push_str(&format!(
                "tocsin_kube_objects{{kind=\"{kind}\",verdict=\"{verdict}\"}} {n}\n"
            ));
        }
        out.push_str("# HELP tocsin_kube_object_invalid 1 for each rejected Kubernetes rule object.\n# TYPE tocsin_kube_object_invalid gauge\n");
        for o in self.objects.iter().filter(|o| !o.verdict.is_ok()) {
            // Kubernetes names and namespaces are DNS labels: nothing to escape.
            out.push_str(&format!(
                "tocsin_kube_object_invalid{{kind=\"{}\",namespace=\"{}\",name=\"{}\"}} 1\n",
                o.key.kind.kind(),
                o.key.namespace,
                o.key.name
            ));
        }
        out
    }
}

/// A conversion remembered while the object's spec is unchanged (status updates change the resource version but
/// not the spec).
#[derive(Debug, Clone)]
struct Cached {
    uid: String,
    spec: serde_json::Value,
    converted: Converted,
}

/// The objects and namespaces watched so far.
#[derive(Debug, Default)]
pub struct Catalog {
    objects: BTreeMap<ObjectKey, RuleObject>,
    namespaces: BTreeMap<String, BTreeMap<String, String>>,
    cache: HashMap<ObjectKey, Cached>,
}

impl Catalog {
    pub fn new() -> Self {
        Catalog::default()
    }

    pub fn apply(&mut self, object: RuleObject) {
        self.objects.insert(object.key.clone(), object);
    }

    pub fn delete(&mut self, key: &ObjectKey) {
        self.objects.remove(key);
        self.cache.remove(key);
    }

    /// Replaces every object of `kind` with `objects` (a completed relist: what is not listed is gone).
    pub fn replace_kind(&mut self, kind: ObjectKind, objects: Vec<RuleObject>) {
        self.objects.retain(|k, _| k.kind != kind);
        self.cache.retain(|k, _| k.kind != kind);
        for o in objects {
            self.apply(o);
        }
    }

    pub fn apply_namespace(&mut self, name: String, labels: BTreeMap<String, String>) {
        self.namespaces.insert(name, labels);
    }

    pub fn delete_namespace(&mut self, name: &str) {
        self.namespaces.remove(name);
    }

    pub fn replace_namespaces(&mut self, namespaces: BTreeMap<String, BTreeMap<String, String>>) {
        self.namespaces = namespaces;
    }

    /// The rule set of the selected objects under `settings`.
    pub fn build(&mut self, settings: &CatalogSettings) -> KubeRules {
        let mut out = KubeRules {
            ready: true,
            ..KubeRules::default()
        };
        let mut groups_per_namespace: BTreeMap<&str, usize> = BTreeMap::new();
        let selected: Vec<&RuleObject> = self
            .objects
            .values()
            .filter(|o| {
                settings.selection.selects(
                    o.key.kind,
                    &o.key.namespace,
                    self.namespaces.get(&o.key.namespace),
                    &o.labels,
                )
            })
            .collect();
        let selected_vmrules: Vec<(&str, &str)> = selected
            .iter()
            .filter(|o| o.key.kind == ObjectKind::VmRule)
            .map(|o| (o.key.namespace.as_str(), o.key.name.as_str()))
            .collect();
        for obj in selected {
            let converted = cached_convert(&mut self.cache, obj, &settings.load);
            let warnings: Vec<String> = converted
                .diagnostics
                .iter()
                .filter(|d| d.severity != Severity::Error)
                .map(|d| d.to_string())
                .collect();
            let status = |verdict| ObjectStatus {
                key: obj.key.clone(),
                uid: obj.uid.clone(),
                generation: obj.generation,
                verdict,
                warnings: warnings.clone(),
            };
            if obj.key.kind == ObjectKind::PrometheusRule
                && selected_vmrules.contains(&(obj.key.namespace.as_str(), obj.key.name.as_str()))
            {
                out.objects.push(status(Verdict::Invalid(vec![format!(
                    "shadowed by VMRule {}: both would load as {}",
                    obj.key.source_name(),
                    obj.key.source_name()
                )])));
                continue;
            }
            if converted.has_errors() {
                let reasons = converted.errors().map(|d| d.to_string()).collect();
                out.objects.push(status(Verdict::Invalid(reasons)));
                continue;
            }
            let mut groups = converted.groups.clone();
            if let Err(reasons) = settings.tenancy.apply(&obj.key, &mut groups) {
                out.objects.push(status(Verdict::Invalid(reasons)));
                continue;
            }
            let max = settings.tenancy.limits.max_groups_per_namespace;
            let used = groups_per_namespace
                .entry(obj.key.namespace.as_str())
                .or_default();
            if max > 0 && !settings.tenancy.is_exempt(&obj.key) && *used + groups.len() > max {
                out.objects.push(status(Verdict::Invalid(vec![format!(
                    "namespace {:?} would have {} groups with this object's {}; the limit per namespace is {} \
                     (objects are counted in kind, namespace, name order)",
                    obj.key.namespace,
                    *used + groups.len(),
                    groups.len(),
                    max
                )])));
                continue;
            }
            *used += groups.len();
            out.objects.push(status(Verdict::Ok {
                groups: groups.len(),
            }));
            out.groups.extend(groups);
        }
        out
    }
}

fn cached_convert<'c>(
    cache: &'c mut HashMap<ObjectKey, Cached>,
    obj: &RuleObject,
    load: &LoadOptions,
) -> &'c Converted {
    let fresh = match cache.get(&obj.key) {
        Some(c) => c.uid != obj.uid || c.spec != obj.spec,
        None => true,
    };
    if fresh {
        cache.insert(
            obj.key.clone(),
            Cached {
                uid: obj.uid.clone(),
                spec: obj.spec.clone(),
                converted: convert(obj, load),
            },
        );
    }
    // Inserted just above when missing.
    &cache[&obj.key].converted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Dialect;
    use crate::kube::selector::LabelSelector;
    use crate::kube::tenancy::TenantLimits;
    use serde_json::json;

    fn obj(kind: ObjectKind, ns: &str, name: &str, spec: serde_json::Value) -> RuleObject {
        RuleObject {
            key: ObjectKey::new(kind, ns, name),
            uid: format!("{ns}-{name}"),
            generation: Some(1),
            resource_version: "1".into(),
            labels: Default::default(),
            spec,
        }
    }

    fn group(name: &str) -> serde_json::Value {
        json!({"name": name, "rules": [{"alert": "A", "expr": "up"}]})
    }

    fn settings() -> CatalogSettings {
        CatalogSettings {
            load: LoadOptions {
                dialect: Dialect::Vmalert,
                ..LoadOptions::default()
            },
            selection: Selection {
                rule_selector: Some(LabelSelector::default()),
                namespace_selector: Some(LabelSelector::default()),
                ..Selection::default()
            },
            tenancy: Tenancy::default(),
        }
    }

    fn with_namespaces(c: &mut Catalog, names: &[&str]) {
        for n in names {
            c.apply_namespace(n.to_string(), BTreeMap::new());
        }
    }

    #[test]
    fn invalid_objects_are_rejected_alone() {
        let mut c = Catalog::new();
        with_namespaces(&mut c, &["a", "b"]);
        c.apply(obj(
            ObjectKind::VmRule,
            "a",
            "good",
            json!({"groups": [group("g1")]}),
        ));
        c.apply(obj(
            ObjectKind::VmRule,
            "b",
            "bad",
            json!({"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "rate(x"}]}]}),
        ));
        c.apply(obj(
            ObjectKind::PrometheusRule,
            "b",
            "good",
            json!({"groups": [group("g2")]}),
        ));
        let rules = c.build(&settings());
        let files: Vec<&str> = rules.groups.iter().map(|g| g.file.as_str()).collect();
        assert_eq!(files, vec!["a/good", "b/good"]);
        assert!(
            rules.objects[1]
                .verdict
                .reason()
                .contains("spec.groups[0].rules[0].expr")
        );
        assert!(!rules.objects[1].verdict.is_ok());
        assert_eq!(rules.objects.len(), 3);
        let text = rules.exposition();
        for line in [
            "tocsin_kube_objects{kind=\"VMRule\",verdict=\"ok\"} 1",
            "tocsin_kube_objects{kind=\"VMRule\",verdict=\"invalid\"} 1",
            "tocsin_kube_objects{kind=\"PrometheusRule\",verdict=\"ok\"} 1",
            "tocsin_kube_objects{kind=\"PrometheusRule\",verdict=\"invalid\"} 0",
            "tocsin_kube_object_invalid{kind=\"VMRule\",namespace=\"b\",name=\"bad\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("tocsin_kube_object_invalid{"))
                .count(),
            1
        );
    }

    #[test]
    fn the_vmrule_shadows_a_prometheusrule_of_the_same_name() {
        let mut c = Catalog::new();
        with_namespaces(&mut c, &["a"]);
        c.apply(obj(
            ObjectKind::PrometheusRule,
            "a",
            "r",
            json!({"groups": [group("g")]}),
        ));
        c.apply(obj(
            ObjectKind::VmRule,
            "a",
            "r",
            json!({"groups": [group("g")]}),
        ));
        let rules = c.build(&settings());
        assert_eq!(rules.groups.len(), 1);
        assert!(
            rules.objects[1]
                .verdict
                .reason()
                .starts_with("shadowed by VMRule a/r")
        );
    }

    #[test]
    fn groups_per_namespace_are_counted_in_key_order() {
        let mut c = Catalog::new();
        with_namespaces(&mut c, &["a", "b"]);
        c.apply(obj(
            ObjectKind::VmRule,
            "a",
            "x",
            json!({"groups": [group("g1"), group("g2")]}),
        ));
        c.apply(obj(
            ObjectKind::VmRule,
            "a",
            "y",
            json!({"groups": [group("g1")]}),
        ));
        c.apply(obj(
            ObjectKind::VmRule,
            "b",
            "z",
            json!({"groups": [group("g1"), group("g2")]}),
        ));
        let mut s = settings();
        s.tenancy.limits = TenantLimits {
            max_groups_per_namespace: 2,
            ..TenantLimits::default()
        };
        let rules = c.build(&s);
        let verdicts: Vec<bool> = rules.objects.iter().map(|o| o.verdict.is_ok()).collect();
        assert_eq!(verdicts, vec![true, false, true]);
        assert!(
            rules.objects[1]
                .verdict
                .reason()
                .contains("the limit per namespace is 2")
        );
    }

    #[test]
    fn unselected_objects_get_no_status_and_relists_replace() {
        let mut c = Catalog::new();
        with_namespaces(&mut c, &["a"]);
        let mut labelled = obj(
            ObjectKind::VmRule,
            "a",
            "x",
            json!({"groups": [group("g")]}),
        );
        labelled.labels.insert("team".into(), "a".into());
        c.apply(labelled);
        c.apply(obj(
            ObjectKind::VmRule,
            "a",
            "y",
            json!({"groups": [group("g")]}),
        ));
        let mut s = settings();
        s.selection.rule_selector = Some(LabelSelector::parse("team=a").expect("selector"));
        let rules = c.build(&s);
        assert_eq!(rules.objects.len(), 1);
        assert_eq!(rules.objects[0].key.name, "x");
        c.replace_kind(ObjectKind::VmRule, vec![]);
        assert!(c.build(&s).groups.is_empty());
    }
}
