use super::*;
use crate::config::{Dialect, LoadOptions};
use crate::kube::{ObjectKind, RuleObject, convert::convert};
use crate::promql::metricsql::ast::walk;
use crate::promql::metricsql::{Expr, parse};
use proptest::prelude::*;

/// Parses `printed` again and lists every selector that does not carry exactly `label="value"` in every `or`
/// alternative (and no other matcher on `label`).
fn unenforced(printed: &str, label: &str, value: &str) -> Vec<String> {
    let tree = match parse(printed) {
        Ok(t) => t,
        Err(e) => return vec![format!("rewritten expression does not parse: {e}")],
    };
    let mut bad = Vec::new();
    walk(&tree, &mut |e| {
        if let Expr::Selector(s) = e {
            let ok = !s.groups.is_empty()
                && s.groups.iter().all(|g| {
                    let on_label: Vec<_> = g.iter().filter(|m| m.label == label).collect();
                    on_label.len() == 1
                        && on_label[0].op == MatchOp::Equal
                        && on_label[0].value == value
                });
            if !ok {
                bad.push(format!("{}", Expr::Selector(s.clone())));
            }
        }
    });
    bad
}

const ADVERSARIAL: &[&str] = &[
    "up",
    r#"{__name__=~".+"}"#,
    r#"{__name__=~"up|node_.*", namespace=~".*"}"#,
    r#"up{namespace="team-b"}"#,
    r#"up{namespace!="team-a"}"#,
    r#"up{namespace=~"team-a|team-b"}"#,
    r#"up{namespace!~"x", namespace=~".*"}"#,
    r#"up{job="a" or namespace="team-b"}"#,
    r#"up or on() other_metric"#,
    r#"up unless ignoring(namespace) down{namespace="team-b"}"#,
    r#"rate(http_requests_total[5m])[1h:1m]"#,
    r#"max_over_time(sum by (namespace) (rate(x{namespace="team-b"}[5m]))[30m:])"#,
    r#"label_replace(up{namespace="team-b"}, "namespace", "team-a", "", "")"#,
    r#"label_replace(up, "namespace", "$1", "job", "(.*)")"#,
    r#"absent(up{namespace="team-b"})"#,
    r#"absent_over_time(nonexistent[5m])"#,
    r#"sum(up) / on() group_left count(up offset 1h @ end())"#,
    r#"WITH (x = up{namespace="team-b"}) x + x"#,
    r#"vector(1) + scalar(up)"#,
    r#"histogram_quantile(0.9, sum by (le) (rate(h_bucket{namespace=~".*"}[5m])))"#,
    r#"count_values("namespace", up)"#,
    r#"topk(1, up) and bottomk(1, {__name__="down", namespace="kube-system"})"#,
];

#[test]
fn adversarial_expressions_read_only_the_tenant() {
    for expr in ADVERSARIAL {
        let got =
            enforce_expr(expr, "namespace", "team-a").unwrap_or_else(|e| panic!("{expr}: {e}"));
        let bad = unenforced(&got, "namespace", "team-a");
        assert!(bad.is_empty(), "{expr} → {got}: unenforced {bad:?}");
    }
}

#[test]
fn conflicting_matchers_are_replaced() {
    assert_eq!(
        enforce_expr(r#"up{namespace="team-b", job="x"}"#, "namespace", "team-a").as_deref(),
        Ok(r#"up{job="x", namespace="team-a"}"#)
    );
    assert_eq!(
        enforce_expr(r#"{namespace=~".*"}"#, "namespace", "team-a").as_deref(),
        Ok(r#"{namespace="team-a"}"#)
    );
    assert!(enforce_expr("rate(up[5m]", "namespace", "a").is_err());
}

fn object(ns: &str, name: &str, spec: serde_json::Value) -> RuleObject {
    RuleObject {
        key: ObjectKey::new(ObjectKind::VmRule, ns, name),
        uid: String::new(),
        generation: None,
        resource_version: String::new(),
        labels: Default::default(),
        spec,
    }
}

fn groups(obj: &RuleObject) -> Vec<Group> {
    let opts = LoadOptions {
        dialect: Dialect::Vmalert,
        ..LoadOptions::default()
    };
    let c = convert(obj, &opts);
    assert!(!c.has_errors(), "{:#?}", c.diagnostics);
    c.groups
}

fn tenancy() -> Tenancy {
    Tenancy {
        label: Some("namespace".into()),
        exempt: vec![
            Exemption::Namespace("monitoring".into()),
            Exemption::Object {
                namespace: "team-c".into(),
                name: "platform".into(),
            },
        ],
        limits: TenantLimits::default(),
    }
}

#[test]
fn rules_get_the_label_the_matcher_and_new_ids() {
    let obj = object(
        "team-a",
        "r",
        serde_json::json!({"groups": [{"name": "g", "labels": {"namespace": "forged"}, "rules": [
            {"alert": "A", "expr": "up == 0", "labels": {"namespace": "team-b"}},
            {"record": "r:x", "expr": "sum(rate(x[5m]))"}]}]}),
    );
    let mut gs = groups(&obj);
    let before: Vec<u64> = gs[0].rules.iter().map(|r| r.id).collect();
    tenancy().apply(&obj.key, &mut gs).expect("enforced");
    let g = &gs[0];
    assert_eq!(
        g.labels.get("namespace").map(String::as_str),
        Some("team-a")
    );
    assert_eq!(
        g.query_matchers,
        vec![("namespace".to_string(), "team-a".to_string())]
    );
    for (r, old) in g.rules.iter().zip(before) {
        assert_eq!(r.labels.get("namespace"), Some("team-a"));
        assert!(
            unenforced(&r.expr, "namespace", "team-a").is_empty(),
            "{}",
            r.expr
        );
        assert_ne!(r.id, old);
    }
    assert_eq!(g.rules[1].expr, r#"sum(rate(x{namespace="team-a"}[5m]))"#);
}

#[test]
fn exempt_objects_are_left_alone() {
    for (ns, name) in [("monitoring", "any"), ("team-c", "platform")] {
        let obj = object(
            ns,
            name,
            serde_json::json!({"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "up"}]}]}),
        );
        let mut gs = groups(&obj);
        let before = gs.clone();
        tenancy().apply(&obj.key, &mut gs).expect("exempt");
        assert_eq!(gs, before);
    }
    let obj = object(
        "team-c",
        "other",
        serde_json::json!({"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "up"}]}]}),
    );
    let mut gs = groups(&obj);
    tenancy().apply(&obj.key, &mut gs).expect("enforced");
    assert_eq!(gs[0].rules[0].expr, r#"up{namespace="team-c"}"#);
    assert!(Exemption::parse("a/b/c").is_err());
    assert!(Exemption::parse("").is_err());
    assert_eq!(
        Exemption::parse("ns"),
        Ok(Exemption::Namespace("ns".into()))
    );
}

#[test]
fn headers_unsafe_params_and_limits_reject_with_reasons() {
    let obj = object(
        "team-a",
        "r",
        serde_json::json!({"groups": [{"name": "g", "headers": ["AccountID: 7"],
            "params": {"nocache": ["1"], "extra_label": ["namespace=team-b"]},
            "rules": [{"alert": "A", "expr": "up"}, {"alert": "B", "expr": "up"}]}]}),
    );
    let mut gs = groups(&obj);
    let mut t = tenancy();
    t.limits.max_rules_per_group = 1;
    let errors = t.apply(&obj.key, &mut gs).expect_err("rejected");
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(errors[0].contains("has 2 rules; the limit per group is 1"));
    assert!(errors[1].contains("headers are not allowed"));
    assert!(errors[2].contains("\"extra_label\" is not allowed"));
}

#[test]
fn series_limit_clamps_the_group_limit() {
    let obj = object(
        "team-a",
        "r",
        serde_json::json!({"groups": [
            {"name": "none", "rules": [{"alert": "A", "expr": "up"}]},
            {"name": "high", "limit": 5000, "rules": [{"alert": "A", "expr": "up"}]},
            {"name": "low", "limit": 10, "rules": [{"alert": "A", "expr": "up"}]}]}),
    );
    let mut gs = groups(&obj);
    let mut t = tenancy();
    t.limits.max_series_per_rule = 100;
    t.apply(&obj.key, &mut gs).expect("ok");
    assert_eq!(
        gs.iter().map(|g| g.limit).collect::<Vec<_>>(),
        vec![100, 100, 10]
    );
}

struct Recorder(std::cell::RefCell<Vec<String>>);

impl TemplateQuerier for Recorder {
    fn query(&self, expr: &str, _ts: SystemTime) -> Result<Vec<QuerySample>, String> {
        self.0.borrow_mut().push(expr.to_string());
        Ok(Vec::new())
    }
}

#[test]
fn template_queries_are_enforced_at_call_time() {
    let rec = Recorder(Default::default());
    let m = vec![("namespace".to_string(), "team-a".to_string())];
    let q = EnforcingQuerier {
        inner: &rec,
        matchers: &m,
    };
    q.query(
        r#"sum(up{namespace="team-b"}) or vector(0)"#,
        SystemTime::UNIX_EPOCH,
    )
    .expect("query");
    assert!(q.query("up{", SystemTime::UNIX_EPOCH).is_err());
    assert_eq!(
        rec.0.borrow().as_slice(),
        [r#"sum(up{namespace="team-a"}) or vector(0)"#]
    );
    let open = EnforcingQuerier {
        inner: &rec,
        matchers: &[],
    };
    open.query("up{", SystemTime::UNIX_EPOCH)
        .expect("passed through");
}

/// Expressions built from selectors (with adversarial matchers on the enforced label and `__name__`) under
/// functions, aggregations, subqueries and binary and set operators.
fn arb_selector() -> impl Strategy<Value = String> {
    let name = prop::option::of(prop::sample::select(vec!["up", "x_total", "on", "offset"]));
    let matcher = (
        prop::sample::select(vec!["namespace", "job", "__name__", "instance"]),
        prop::sample::select(vec!["=", "!=", "=~", "!~"]),
        prop::sample::select(vec!["team-b", ".*", "", "team-a|team-b", "up"]),
    )
        .prop_map(|(l, op, v)| format!("{l}{op}{v:?}"));
    let group = prop::collection::vec(matcher, 1..3).prop_map(|m| m.join(", "));
    (name, prop::collection::vec(group, 0..3)).prop_map(|(name, groups)| {
        let inner = groups.join(" or ");
        match name {
            None if groups.is_empty() => r#"{__name__="up"}"#.to_string(),
            None => format!("{{{inner}}}"),
            // Names that read as keywords are written as a `__name__` matcher.
            Some(n) if n == "on" || n == "offset" => {
                let sep = if groups.is_empty() { "" } else { ", " };
                format!("{{__name__={n:?}{sep}{inner}}}")
            }
            Some(n) if groups.is_empty() => n.to_string(),
            Some(n) => format!("{n}{{{inner}}}"),
        }
    })
}

fn arb_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        arb_selector(),
        arb_selector().prop_map(|s| format!("rate({s}[5m])")),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            inner
                .clone()
                .prop_map(|e| format!("max_over_time(({e})[1h:1m])")),
            inner
                .clone()
                .prop_map(|e| format!("sum by (namespace) ({e})")),
            inner.clone().prop_map(|e| format!("absent({e})")),
            inner
                .clone()
                .prop_map(|e| format!(r#"label_replace({e}, "namespace", "team-b", "", "")"#)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) or ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) unless on() ({b})")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("({a}) / ignoring(namespace) ({b})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_selector_carries_the_tenant_matcher(expr in arb_expr()) {
        // Generated text that is not valid MetricsQL (e.g. a rollup of a rollup) is rejected, never passed through.
        match enforce_expr(&expr, "namespace", "team-a") {
            Ok(printed) => {
                let bad = unenforced(&printed, "namespace", "team-a");
                prop_assert!(bad.is_empty(), "{} → {}: unenforced {:?}", expr, printed, bad);
            }
            Err(_) => prop_assert!(parse(&expr).is_err()),
        }
    }
}

/// The generator is not vacuous: most of what it builds is valid MetricsQL, so the property above checks
/// rewrites, not only rejections.
#[test]
fn generated_expressions_are_mostly_valid() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = arb_expr();
    let mut valid = 0;
    for _ in 0..200 {
        let expr = strategy.new_tree(&mut runner).expect("tree").current();
        valid += usize::from(parse(&expr).is_ok());
    }
    assert!(
        valid >= 150,
        "only {valid} of 200 generated expressions parse"
    );
}
