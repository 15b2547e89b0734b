//! Namespace tenancy against a real VictoriaMetrics: the rules of a VMRule in `team-a`, enforced through the
//! Kubernetes conversion path, return only `team-a`'s series whatever they write (other namespaces named
//! outright, regexes over every namespace, `__name__` regexes, `or`, subqueries, `absent`, a forged
//! `label_replace`). `team-b`'s samples are all ≥ 1000, `team-a`'s below 10, so any leak shows in the values.
//! (`or` inside a selector's braces is newer than VictoriaMetrics 1.79 and is covered by the unit tests.)

mod peers;

use peers::{Vm, now_ms};
use serde_json::json;
use tocsin::config::{Dialect, LoadOptions};
use tocsin::kube::RuleObject;
use tocsin::kube::convert::convert;
use tocsin::kube::tenancy::{Tenancy, TenantLimits};

fn seed(ts: i64) -> String {
    [
        r#"up{namespace="team-a",job="api"} 1"#,
        r#"up{namespace="team-a",job="db"} 3"#,
        r#"up{namespace="team-b",job="api"} 1000"#,
        r#"secret_total{namespace="team-b"} 5000"#,
        r#"up{job="no-namespace"} 2000"#,
    ]
    .iter()
    .map(|l| format!("{l} {ts}\n"))
    .collect()
}

/// (expression as the tenant wrote it, expected number of series, expected sum of values)
const CASES: &[(&str, usize, f64)] = &[
    ("up", 2, 4.0),
    (r#"up{namespace="team-b"}"#, 2, 4.0),
    (r#"up{namespace=~".*"}"#, 2, 4.0),
    (r#"up{namespace!="team-a"}"#, 2, 4.0),
    (r#"{__name__=~".+"}"#, 2, 4.0),
    (
        r#"{__name__=~"secret.*|up", namespace=~"team-b|team-a"}"#,
        2,
        4.0,
    ),
    ("sum(up)", 1, 4.0),
    (r#"count({namespace=~".+"})"#, 1, 2.0),
    ("up or on() secret_total", 2, 4.0),
    (
        r#"sum(up) unless on() secret_total{namespace="team-b"}"#,
        1,
        4.0,
    ),
    ("max_over_time(secret_total[1h:1m])", 0, 0.0),
    (r#"absent(secret_total{namespace="team-b"})"#, 1, 1.0),
    (
        r#"label_replace(secret_total, "namespace", "team-a", "", "")"#,
        0,
        0.0,
    ),
    (
        r#"label_replace(up{namespace="team-b"}, "namespace", "team-b", "", "")"#,
        2,
        4.0,
    ),
];

#[tokio::test]
async fn a_tenant_rule_returns_only_its_own_series() {
    let vm = Vm::start(&[]).await;
    let ts = now_ms() - 60_000;
    vm.seed(&seed(ts), "up", ts, 4).await;

    let rules: Vec<serde_json::Value> = CASES
        .iter()
        .enumerate()
        .map(|(i, (expr, _, _))| json!({"record": format!("case:{i}"), "expr": expr}))
        .collect();
    let object = RuleObject::from_manifest(
        &json!({"apiVersion": "operator.victoriametrics.com/v1beta1", "kind": "VMRule",
            "metadata": {"namespace": "team-a", "name": "sneaky"},
            "spec": {"groups": [{"name": "g", "rules": rules}]}}),
        "default",
    )
    .expect("object");
    let opts = LoadOptions {
        dialect: Dialect::Vmalert,
        ..LoadOptions::default()
    };
    let converted = convert(&object, &opts);
    assert!(!converted.has_errors(), "{:#?}", converted.diagnostics);
    let mut groups = converted.groups;
    let tenancy = Tenancy {
        label: Some("namespace".into()),
        exempt: Vec::new(),
        limits: TenantLimits::default(),
    };
    tenancy.apply(&object.key, &mut groups).expect("enforced");

    for (rule, (written, series, sum)) in groups[0].rules.iter().zip(CASES) {
        let result = vm.query(&rule.expr, ts).await;
        let values: Vec<f64> = result
            .iter()
            .filter_map(|r| r["value"][1].as_str().and_then(|v| v.parse().ok()))
            .collect();
        assert!(
            values.iter().all(|v| *v < 10.0),
            "{written} → {}: another tenant's samples leaked: {result:?}",
            rule.expr
        );
        assert_eq!(
            result.len(),
            *series,
            "{written} → {}: {result:?}",
            rule.expr
        );
        assert_eq!(
            values.iter().sum::<f64>(),
            *sum,
            "{written} → {}",
            rule.expr
        );
        assert_eq!(rule.labels.get("namespace"), Some("team-a"));
    }
    // The same expressions without enforcement do read team-b (the test data can show a leak).
    let open = vm.query(r#"{__name__=~".+"}"#, ts).await;
    assert_eq!(open.len(), 5);
}
