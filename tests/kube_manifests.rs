//! `deploy/kubernetes/`: every manifest deserialises into the k8s-openapi type of its kind with no field dropped
//! (an unknown or misspelt field fails), and the manifests fit together: 3 replicas kept on distinct nodes, a PDB
//! that lets one go at a time, least-privilege RBAC bound to the pod's service account, the rule ConfigMap mounted
//! where `-rule` looks and loadable, and container arguments that `tocsin run` accepts.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Service, ServiceAccount};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy/kubernetes")
}

fn manifest(name: &str) -> Value {
    let text = std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Paths present in `original` but missing or different in `round`.
fn dropped(original: &Value, round: &Value, path: &str, out: &mut Vec<String>) {
    match (original, round) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                match b.get(k) {
                    Some(w) => dropped(v, w, &format!("{path}.{k}"), out),
                    None => out.push(format!("{path}.{k}")),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (v, w)) in a.iter().zip(b).enumerate() {
                dropped(v, w, &format!("{path}[{i}]"), out);
            }
        }
        (a, b) if a == b => {}
        // Numbers written as strings (quantities) or the other way round are different values to the API.
        _ => out.push(format!("{path}: {original} became {round}")),
    }
}

/// Deserialises strictly: whatever the type does not know is reported.
fn strict<T: DeserializeOwned + Serialize>(name: &str, value: &Value) -> T {
    let typed: T = serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let round = serde_json::to_value(&typed).expect("serialise");
    let mut missing = Vec::new();
    dropped(value, &round, "", &mut missing);
    assert!(
        missing.is_empty(),
        "{name}: fields unknown to the Kubernetes API: {missing:?}"
    );
    typed
}

struct Manifests {
    namespace: Namespace,
    service_account: ServiceAccount,
    role: ClusterRole,
    binding: ClusterRoleBinding,
    config_map: ConfigMap,
    deployment: Deployment,
    pdb: PodDisruptionBudget,
    service: Service,
}

fn load() -> Manifests {
    let kustomization = manifest("kustomization.yaml");
    let mut listed: Vec<String> = kustomization["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| r.as_str().unwrap_or_default().to_string())
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(dir())
        .expect("deploy dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".yaml") && n != "kustomization.yaml")
        .collect();
    listed.sort();
    files.sort();
    assert_eq!(listed, files, "kustomization.yaml lists every manifest");
    let mut by_kind: BTreeMap<String, (String, Value)> = BTreeMap::new();
    for f in &files {
        let v = manifest(f);
        let kind = v["kind"].as_str().unwrap_or_default().to_string();
        assert!(
            by_kind.insert(kind.clone(), (f.clone(), v)).is_none(),
            "two {kind} manifests"
        );
    }
    let take = |kind: &str| {
        by_kind
            .get(kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind}"))
    };
    macro_rules! typed {
        ($kind:literal) => {{
            let (f, v) = take($kind);
            strict(&f, &v)
        }};
    }
    let m = Manifests {
        namespace: typed!("Namespace"),
        service_account: typed!("ServiceAccount"),
        role: typed!("ClusterRole"),
        binding: typed!("ClusterRoleBinding"),
        config_map: typed!("ConfigMap"),
        deployment: typed!("Deployment"),
        pdb: typed!("PodDisruptionBudget"),
        service: typed!("Service"),
    };
    assert_eq!(by_kind.len(), 8, "{:?}", by_kind.keys());
    m
}

#[test]
fn manifests_are_valid_kubernetes_objects() {
    load();
    // The strictness check itself catches a misspelt field.
    let mut bad = manifest("service.yaml");
    bad["spec"]["selectr"] = serde_json::json!({});
    let result = std::panic::catch_unwind(|| strict::<Service>("bad", &bad));
    assert!(result.is_err(), "a misspelt field must fail");
}

#[test]
fn manifests_fit_together() {
    let m = load();
    let ns = m.namespace.metadata.name.clone().expect("namespace name");
    let pod_labels = m
        .deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|t| t.labels.clone())
        .expect("pod labels");
    let spec = m.deployment.spec.as_ref().expect("deployment spec");
    assert_eq!(spec.replicas, Some(3));
    assert_eq!(spec.selector.match_labels.as_ref(), Some(&pod_labels));
    let pod = spec.template.spec.as_ref().expect("pod spec");
    for meta in [
        &m.service_account.metadata,
        &m.config_map.metadata,
        &m.deployment.metadata,
        &m.pdb.metadata,
        &m.service.metadata,
    ] {
        assert_eq!(
            meta.namespace.as_deref(),
            Some(ns.as_str()),
            "{:?}",
            meta.name
        );
    }

    // Anti-affinity: required per node, on the pods' own labels.
    let anti = pod
        .affinity
        .as_ref()
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .expect("pod anti-affinity");
    let required = anti
        .required_during_scheduling_ignored_during_execution
        .as_ref()
        .expect("required anti-affinity");
    assert!(required.iter().any(|t| {
        t.topology_key == "kubernetes.io/hostname"
            && t.label_selector
                .as_ref()
                .and_then(|s| s.match_labels.as_ref())
                == Some(&pod_labels)
    }));

    // PDB: at most one replica down by choice, over the same pods.
    let pdb = m.pdb.spec.as_ref().expect("pdb spec");
    assert_eq!(pdb.min_available, Some(IntOrString::Int(2)));
    assert_eq!(
        pdb.selector.as_ref().and_then(|s| s.match_labels.as_ref()),
        Some(&pod_labels)
    );

    // Service: selects the pods, targets the container's named port.
    let svc = m.service.spec.as_ref().expect("service spec");
    assert_eq!(svc.selector.as_ref(), Some(&pod_labels));
    let container = &pod.containers[0];
    let port_names: Vec<_> = container
        .ports
        .iter()
        .flatten()
        .filter_map(|p| p.name.clone())
        .collect();
    for p in svc.ports.iter().flatten() {
        match &p.target_port {
            Some(IntOrString::String(name)) => assert!(port_names.contains(name), "{name}"),
            other => panic!("target port {other:?}"),
        }
    }

    // RBAC: exactly what the source needs, bound to the pods' service account.
    let sa = m.service_account.metadata.name.clone().expect("sa name");
    assert_eq!(pod.service_account_name.as_deref(), Some(sa.as_str()));
    let mut granted: Vec<String> = Vec::new();
    for rule in m.role.rules.iter().flatten() {
        for g in rule.api_groups.iter().flatten() {
            for r in rule.resources.iter().flatten() {
                for v in &rule.verbs {
                    assert!(g != "*" && r != "*" && v != "*", "no wildcards");
                    granted.push(format!("{g}/{r}:{v}"));
                }
            }
        }
    }
    granted.sort();
    assert_eq!(
        granted,
        vec![
            "/events:create",
            "/namespaces:list",
            "/namespaces:watch",
            "monitoring.coreos.com/prometheusrules:list",
            "monitoring.coreos.com/prometheusrules:watch",
            "operator.victoriametrics.com/vmrules/status:patch",
            "operator.victoriametrics.com/vmrules/status:update",
            "operator.victoriametrics.com/vmrules:list",
            "operator.victoriametrics.com/vmrules:watch",
        ]
    );
    assert_eq!(m.binding.role_ref.kind, "ClusterRole");
    assert_eq!(
        Some(&m.binding.role_ref.name),
        m.role.metadata.name.as_ref()
    );
    assert!(
        m.binding
            .subjects
            .iter()
            .flatten()
            .any(|s| s.kind == "ServiceAccount"
                && s.name == sa
                && s.namespace.as_deref() == Some(ns.as_str()))
    );

    // The rule ConfigMap is mounted where -rule looks, re-read by -configCheckInterval, and loads cleanly.
    let args = container.args.clone().expect("args");
    let mount = container
        .volume_mounts
        .iter()
        .flatten()
        .find(|v| v.name == "rules")
        .expect("rules mount");
    assert!(
        mount.sub_path.is_none(),
        "a subPath mount is never updated by the kubelet"
    );
    let volume = pod
        .volumes
        .iter()
        .flatten()
        .find(|v| v.name == "rules")
        .expect("rules volume");
    assert_eq!(
        volume.config_map.as_ref().map(|c| c.name.as_str()),
        m.config_map.metadata.name.as_deref()
    );
    assert!(args.contains(&format!("-rule={}/*.yaml", mount.mount_path)));
    assert!(args.iter().any(|a| a.starts_with("-configCheckInterval=")));
    let opts = tocsin::config::LoadOptions {
        dialect: tocsin::config::Dialect::Vmalert,
        ..tocsin::config::LoadOptions::default()
    };
    for (file, text) in m.config_map.data.iter().flatten() {
        let loaded = tocsin::config::load_text_with_env(file, text, &opts, |_| None);
        assert!(!loaded.has_errors(), "{file}: {:#?}", loaded.diagnostics);
        assert!(!loaded.groups.is_empty());
    }

    // tocsin run accepts the arguments and turns the Kubernetes source on.
    let parsed =
        tocsin::cli::flags::parse(&args, tocsin::cli::run_flags::RUN_FLAGS).expect("flags");
    let settings = tocsin::cli::run_settings::resolve(&parsed).expect("settings");
    let kube = settings.kube.expect("kube settings");
    assert!(kube.vmrules && kube.prometheusrules);
    assert_eq!(kube.catalog.tenancy.label.as_deref(), Some("namespace"));
    assert!(
        kube.catalog.selection.rule_selector.is_some(),
        "an empty, not absent, selector"
    );
}
