//! The custom resource types tocsin reads, declared with kube's derive. The CRDs belong to the operators
//! (tocsin installs none), so no schema is derived.
//!
//! `spec.groups` stays JSON: one malformed object must be reported with its field paths (`kube::convert`), not fail
//! the decoding of a whole list and stall every watcher. The API server's own CRD validation guarantees `spec`
//! exists. Types only; no IO.

use super::object::{ObjectKey, ObjectKind, RuleObject};
use kube::{CustomResource, ResourceExt};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `operator.victoriametrics.com/v1beta1` `VMRule` spec.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "operator.victoriametrics.com",
    version = "v1beta1",
    kind = "VMRule",
    plural = "vmrules",
    namespaced,
    status = "VmRuleStatus",
    schema = "disabled"
)]
pub struct VmRuleSpec {
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub groups: serde_json::Value,
    /// Anything else in `spec` (reported as an unknown field).
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// `VMRule.status`, as the VictoriaMetrics operator writes it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VmRuleStatus {
    /// `operational` or `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<serde_json::Value>,
}

/// `monitoring.coreos.com/v1` `PrometheusRule` spec.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "monitoring.coreos.com",
    version = "v1",
    kind = "PrometheusRule",
    plural = "prometheusrules",
    namespaced,
    schema = "disabled"
)]
pub struct PrometheusRuleSpec {
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub groups: serde_json::Value,
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

fn spec_value(
    groups: &serde_json::Value,
    extra: &BTreeMap<String, serde_json::Value>,
) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    if !groups.is_null() {
        map.insert("groups".into(), groups.clone());
    }
    for (k, v) in extra {
        map.insert(k.clone(), v.clone());
    }
    serde_json::Value::Object(map)
}

fn rule_object<K: ResourceExt>(kind: ObjectKind, o: &K, spec: serde_json::Value) -> RuleObject {
    RuleObject {
        key: ObjectKey::new(kind, &o.namespace().unwrap_or_default(), &o.name_any()),
        uid: o.uid().unwrap_or_default(),
        generation: o.meta().generation,
        resource_version: o.resource_version().unwrap_or_default(),
        labels: o.labels().clone(),
        spec,
    }
}

impl From<&VMRule> for RuleObject {
    fn from(o: &VMRule) -> Self {
        rule_object(
            ObjectKind::VmRule,
            o,
            spec_value(&o.spec.groups, &o.spec.extra),
        )
    }
}

impl From<&PrometheusRule> for RuleObject {
    fn from(o: &PrometheusRule) -> Self {
        rule_object(
            ObjectKind::PrometheusRule,
            o,
            spec_value(&o.spec.groups, &o.spec.extra),
        )
    }
}
