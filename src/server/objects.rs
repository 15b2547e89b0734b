//! Kubernetes rule objects as the API and UI show them: each selected VMRule / PrometheusRule with its verdict
//! (loaded with N groups, or every reason it was rejected) and its load warnings, so a tenant sees why an object
//! does not run without reading tocsin's log. Plain data; the Kubernetes source provides it through a closure.

use serde::Serialize;
use std::sync::Arc;

/// One object, as `GET /tocsin/api/v1/objects` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiObject {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// `ok` or `invalid`.
    pub status: String,
    /// Groups the object contributes (0 when invalid).
    pub groups: usize,
    /// Why the object was rejected, one reason per entry.
    pub reasons: Vec<String>,
    pub warnings: Vec<String>,
}

/// The current objects; empty without `-kube.*`.
pub type ObjectsFn = Arc<dyn Fn() -> Vec<ApiObject> + Send + Sync>;

/// The objects of a Kubernetes rule set.
pub fn from_kube(rules: &crate::kube::KubeRules) -> Vec<ApiObject> {
    rules
        .objects
        .iter()
        .map(|o| {
            let (status, groups, reasons) = match &o.verdict {
                crate::kube::catalog::Verdict::Ok { groups } => ("ok", *groups, Vec::new()),
                crate::kube::catalog::Verdict::Invalid(r) => ("invalid", 0, r.clone()),
            };
            ApiObject {
                kind: o.key.kind.kind().to_string(),
                namespace: o.key.namespace.clone(),
                name: o.key.name.clone(),
                status: status.to_string(),
                groups,
                reasons,
                warnings: o.warnings.clone(),
            }
        })
        .collect()
}
