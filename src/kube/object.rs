//! A VMRule or PrometheusRule as tocsin sees it: kind, namespace, name, the metadata that selection and status
//! need, and the raw `spec` left as JSON so that every problem in it can be reported with its field path.
//!
//! Pure data. Does no IO.

use std::collections::BTreeMap;
use std::fmt;

/// The two kinds of rule objects tocsin reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    /// `operator.victoriametrics.com/v1beta1` `VMRule`.
    VmRule,
    /// `monitoring.coreos.com/v1` `PrometheusRule`.
    PrometheusRule,
}

impl ObjectKind {
    pub fn kind(self) -> &'static str {
        match self {
            ObjectKind::VmRule => "VMRule",
            ObjectKind::PrometheusRule => "PrometheusRule",
        }
    }

    pub fn api_version(self) -> &'static str {
        match self {
            ObjectKind::VmRule => "operator.victoriametrics.com/v1beta1",
            ObjectKind::PrometheusRule => "monitoring.coreos.com/v1",
        }
    }

    /// The kind named by `apiVersion` and `kind`, if it is one tocsin reads.
    pub fn from_type(api_version: &str, kind: &str) -> Option<Self> {
        [ObjectKind::VmRule, ObjectKind::PrometheusRule]
            .into_iter()
            .find(|k| k.api_version() == api_version && k.kind() == kind)
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

/// Identifies one object: kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub kind: ObjectKind,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(kind: ObjectKind, namespace: &str, name: &str) -> Self {
        ObjectKey {
            kind,
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// The source name of the object's groups: `<namespace>/<name>`, the same on every replica and across
    /// re-creation of the object, so group identities and schedules match.
    pub fn source_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

/// One rule object.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleObject {
    pub key: ObjectKey,
    pub uid: String,
    pub generation: Option<i64>,
    pub resource_version: String,
    pub labels: BTreeMap<String, String>,
    /// `spec` as the API server sent it; `Null` when absent.
    pub spec: serde_json::Value,
}

/// Why a manifest could not be read as a rule object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    #[error("not a VMRule or PrometheusRule: apiVersion {api_version:?}, kind {kind:?}")]
    WrongType { api_version: String, kind: String },
    #[error("metadata.name is missing")]
    NoName,
}

impl RuleObject {
    /// Reads a whole manifest (`apiVersion`, `kind`, `metadata`, `spec`) as the API server would serve it.
    /// A manifest without `metadata.namespace` lands in `default_namespace`, as `kubectl apply` would put it.
    pub fn from_manifest(
        manifest: &serde_json::Value,
        default_namespace: &str,
    ) -> Result<Self, ObjectError> {
        fn text(v: Option<&serde_json::Value>) -> &str {
            v.and_then(|v| v.as_str()).unwrap_or("")
        }
        let api_version = text(manifest.get("apiVersion"));
        let kind_name = text(manifest.get("kind"));
        let kind = ObjectKind::from_type(api_version, kind_name).ok_or_else(|| {
            ObjectError::WrongType {
                api_version: api_version.to_string(),
                kind: kind_name.to_string(),
            }
        })?;
        let meta = manifest.get("metadata");
        let field = |name: &str| meta.and_then(|m| m.get(name));
        let name = text(field("name"));
        if name.is_empty() {
            return Err(ObjectError::NoName);
        }
        let namespace = match text(field("namespace")) {
            "" => default_namespace,
            ns => ns,
        };
        let labels = field("labels")
            .and_then(|l| l.as_object())
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(RuleObject {
            key: ObjectKey::new(kind, namespace, name),
            uid: text(field("uid")).to_string(),
            generation: field("generation").and_then(|g| g.as_i64()),
            resource_version: text(field("resourceVersion")).to_string(),
            labels,
            spec: manifest
                .get("spec")
                .cloned()
                .unwrap_or(serde_json::Value::Null),
        })
    }
}
