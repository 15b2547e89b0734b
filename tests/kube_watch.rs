//! The Kubernetes rule source against an in-process fake API server that speaks list and watch
//! (`tests/kube_fake`): objects added, changed and deleted reach the published rule set; invalid objects are
//! skipped alone with a VMRule status and an Event written; selectors and namespace lists apply; a 410 Gone forces
//! a relist that sees what changed meanwhile; loaded rules survive an API outage.

mod kube_fake;

use kube_fake::{FakeApi, namespace, prometheusrule, summary, vmrule};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tocsin::config::{Dialect, LoadOptions};
use tocsin::kube::catalog::CatalogSettings;
use tocsin::kube::selector::{LabelSelector, Selection};
use tocsin::kube::tenancy::Tenancy;
use tocsin::kube::{KubeRuleSource, KubeRules, KubeSettings};
use tokio::sync::watch;

fn settings(selection: Selection) -> KubeSettings {
    KubeSettings {
        vmrules: true,
        prometheusrules: true,
        kubeconfig: None,
        catalog: CatalogSettings {
            load: LoadOptions {
                dialect: Dialect::Vmalert,
                ..LoadOptions::default()
            },
            selection,
            tenancy: Tenancy::default(),
        },
        write_status: true,
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
    }
}

/// Selects everything everywhere.
fn everything() -> Selection {
    Selection {
        rule_selector: Some(LabelSelector::default()),
        namespace_selector: Some(LabelSelector::default()),
        ..Selection::default()
    }
}

fn start(api: &FakeApi, s: KubeSettings) -> KubeRuleSource {
    let (client, ns) = tocsin::kube::client::plain(&api.url, "monitoring").expect("client");
    KubeRuleSource::start(client, &ns, s).expect("source")
}

/// Waits (at most 20 s) for a published rule set satisfying `pred`.
async fn wait_for(
    rx: &mut watch::Receiver<Arc<KubeRules>>,
    what: &str,
    pred: impl Fn(&KubeRules) -> bool,
) -> Arc<KubeRules> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let current = rx.borrow_and_update().clone();
        if current.ready && pred(&current) {
            return current;
        }
        match tokio::time::timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => {}
            _ => panic!(
                "timed out waiting for {what}; last set: {:#?}",
                describe(&rx.borrow())
            ),
        }
    }
}

/// `(file, group, first expr)` of every group, and each object's verdict.
fn describe(r: &KubeRules) -> (Vec<(String, String, String)>, Vec<String>) {
    (
        r.groups
            .iter()
            .map(|g| {
                (
                    g.file.clone(),
                    g.name.clone(),
                    g.rules.first().map(|r| r.expr.clone()).unwrap_or_default(),
                )
            })
            .collect(),
        r.objects
            .iter()
            .map(|o| format!("{}: {}", o.key, o.verdict.reason()))
            .collect(),
    )
}

fn files(r: &KubeRules) -> Vec<String> {
    r.groups
        .iter()
        .map(|g| format!("{}#{}", g.file, g.name))
        .collect()
}

fn alert(name: &str, expr: &str) -> serde_json::Value {
    json!([{"name": name, "rules": [{"alert": name, "expr": expr}]}])
}

fn seed_namespaces(api: &FakeApi) {
    for ns in ["monitoring", "team-a", "team-b"] {
        api.put(namespace(ns, json!({})));
    }
}

#[tokio::test]
async fn objects_added_changed_and_deleted_reach_the_output() {
    let api = FakeApi::start().await;
    seed_namespaces(&api);
    api.put(vmrule("team-a", "api", json!({}), alert("a", "up == 0")));
    api.put(prometheusrule(
        "team-b",
        "db",
        json!({}),
        alert("b", "up == 1"),
    ));
    let source = start(&api, settings(everything()));
    let mut rx = source.subscribe();
    let r = wait_for(&mut rx, "the initial list", |r| r.groups.len() == 2).await;
    assert_eq!(files(&r), vec!["team-a/api#a", "team-b/db#b"]);
    let first_id = r.groups[0].id;

    api.put(vmrule("team-b", "new", json!({}), alert("n", "up")));
    let added = wait_for(&mut rx, "an added object", |r| {
        files(r).contains(&"team-b/new#n".to_string())
    })
    .await;
    // An unrelated change leaves the other groups exactly as they were (same IDs, so the reload keeps their
    // alert state).
    for g in &r.groups {
        assert!(added.groups.contains(g), "{} changed", g.file);
    }

    api.put(vmrule("team-a", "api", json!({}), alert("a", "up == 2")));
    let r = wait_for(&mut rx, "a changed object", |r| {
        r.groups.iter().any(|g| g.rules[0].expr == "up == 2")
    })
    .await;
    // Same source name, group name and interval: the group keeps its identity.
    assert_eq!(r.groups[0].id, first_id);

    api.delete("PrometheusRule", "team-b", "db");
    let r = wait_for(&mut rx, "a deleted object", |r| r.groups.len() == 2).await;
    assert_eq!(files(&r), vec!["team-a/api#a", "team-b/new#n"]);

    // A bookmark moves the resume point: after a dropped connection the watch resumes from it.
    let watches_before = api
        .requests()
        .iter()
        .filter(|q| q.query.contains_key("watch"))
        .count();
    let bookmark = api.bookmark();
    api.put(namespace("team-c", json!({})));
    api.drop_connections();
    let reqs = api
        .wait_requests("a resumed watch", |reqs| {
            reqs.iter()
                .filter(|q| q.query.contains_key("watch"))
                .count()
                >= watches_before + 3
        })
        .await;
    let resumed: Vec<u64> = reqs
        .iter()
        .filter(|q| q.query.contains_key("watch"))
        .skip(watches_before)
        .filter(|q| q.path.ends_with("/vmrules"))
        .filter_map(|q| q.query.get("resourceVersion").and_then(|v| v.parse().ok()))
        .collect();
    assert!(
        resumed.contains(&bookmark),
        "vmrules watch resumed from {resumed:?}, bookmark was {bookmark}"
    );
    assert!(reqs.iter().all(|q| !q.query.contains_key("watch")
        || q.query.get("allowWatchBookmarks").map(String::as_str) == Some("true")));
    api.put(vmrule("team-c", "late", json!({}), alert("l", "up")));
    wait_for(&mut rx, "an object after the reconnect", |r| {
        r.groups.len() == 3
    })
    .await;
}

#[tokio::test]
async fn invalid_objects_are_reported_and_skipped_alone() {
    let api = FakeApi::start().await;
    seed_namespaces(&api);
    api.put(vmrule("team-a", "good", json!({}), alert("g", "up")));
    api.put(vmrule(
        "team-a",
        "bad",
        json!({}),
        json!([{"name": "x", "rules": [{"alert": "X", "expr": "rate(up"}]}]),
    ));
    api.put(prometheusrule(
        "team-b",
        "badprom",
        json!({}),
        json!([{"name": "y", "interval": "soon", "rules": [{"record": "r", "expr": "up"}]}]),
    ));
    // Two replicas against the same API server.
    let one = start(&api, settings(everything()));
    let two = start(&api, settings(everything()));
    for source in [&one, &two] {
        let mut rx = source.subscribe();
        let r = wait_for(&mut rx, "the valid object only", |r| r.objects.len() == 3).await;
        assert_eq!(files(&r), vec!["team-a/good#g"]);
        let reasons: Vec<String> = r.objects.iter().map(|o| o.verdict.reason()).collect();
        assert!(
            reasons[0].contains("spec.groups[0].rules[0].expr"),
            "{reasons:#?}"
        );
        assert!(reasons[1].is_empty());
        assert!(
            reasons[2].contains("spec.groups[0].interval"),
            "{reasons:#?}"
        );
    }
    let reqs = api
        .wait_requests("status and events from both replicas", |reqs| {
            let patches = reqs.iter().filter(|q| q.method == "PATCH").count();
            let events = reqs.iter().filter(|q| q.method == "POST").count();
            patches >= 4 && events >= 4
        })
        .await;
    let bad = api.object("VMRule", "team-a", "bad").expect("bad object");
    assert_eq!(bad["status"]["updateStatus"], "failed", "{bad:#}");
    assert!(
        bad["status"]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("could not parse expression")
    );
    assert_eq!(bad["status"]["observedGeneration"], 1);
    let good = api.object("VMRule", "team-a", "good").expect("good object");
    assert_eq!(good["status"]["updateStatus"], "operational");
    // One Event per invalid object, of either kind; the second replica's identical create is refused.
    let posts: Vec<_> = reqs.iter().filter(|q| q.method == "POST").collect();
    let created: Vec<String> = posts
        .iter()
        .filter(|q| q.status == 201)
        .map(|q| {
            format!(
                "{} {}",
                q.path,
                q.body["involvedObject"]["name"].as_str().unwrap_or("")
            )
        })
        .collect();
    let mut sorted = created.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![
            "/api/v1/namespaces/team-a/events bad",
            "/api/v1/namespaces/team-b/events badprom"
        ],
        "{:#?}",
        summary(&reqs)
    );
    assert!(posts.iter().filter(|q| q.status == 409).count() >= 2);
    for p in posts.iter().filter(|q| q.status == 201) {
        assert_eq!(p.body["type"], "Warning");
        assert_eq!(p.body["reason"], "InvalidConfiguration");
        assert!(
            p.body["involvedObject"]["uid"]
                .as_str()
                .is_some_and(|u| u.starts_with("uid-"))
        );
    }
    // No status subresource is written for PrometheusRules.
    assert!(
        !reqs
            .iter()
            .any(|q| q.method == "PATCH" && q.path.contains("prometheusrules"))
    );

    // Fixing the object turns its status operational; the status write does not loop.
    api.put(vmrule(
        "team-a",
        "bad",
        json!({}),
        alert("x", "rate(up[5m])"),
    ));
    let mut rx = one.subscribe();
    wait_for(&mut rx, "the fixed object", |r| r.groups.len() == 2).await;
    api.wait_requests("an operational status", |_| {
        api.object("VMRule", "team-a", "bad").is_some_and(|o| {
            o["status"]["updateStatus"] == "operational" && o["status"]["observedGeneration"] == 2
        })
    })
    .await;
}

#[tokio::test]
async fn selectors_and_namespace_lists_apply() {
    let api = FakeApi::start().await;
    api.put(namespace("monitoring", json!({})));
    api.put(namespace("team-a", json!({"tenant": "yes"})));
    api.put(namespace("team-b", json!({"tenant": "no"})));
    api.put(namespace("team-d", json!({"tenant": "yes"})));
    for ns in ["monitoring", "team-a", "team-b", "team-d"] {
        api.put(vmrule(ns, "match", json!({"team": "x"}), alert("m", "up")));
        api.put(vmrule(ns, "other", json!({"team": "y"}), alert("o", "up")));
        api.put(prometheusrule(
            ns,
            "prom",
            json!({"team": "x"}),
            alert("p", "up"),
        ));
    }
    let selection = Selection {
        rule_selector: Some(LabelSelector::parse("team=x").expect("selector")),
        namespace_selector: Some(LabelSelector::parse("tenant=yes").expect("selector")),
        denied_namespaces: vec!["team-d".into()],
        ..Selection::default()
    };
    let mut s = settings(selection);
    s.catalog.tenancy.label = Some("namespace".into());
    let source = start(&api, s);
    let mut rx = source.subscribe();
    let r = wait_for(&mut rx, "selected objects", |r| r.groups.len() == 2).await;
    assert_eq!(files(&r), vec!["team-a/match#m", "team-a/prom#p"]);
    assert_eq!(r.groups[0].rules[0].expr, r#"up{namespace="team-a"}"#);
    assert_eq!(r.groups[0].rules[0].labels.get("namespace"), Some("team-a"));

    // Relabelling a namespace brings its objects in; relabelling an object takes it out.
    api.put(namespace("team-b", json!({"tenant": "yes"})));
    wait_for(&mut rx, "a relabelled namespace", |r| r.groups.len() == 4).await;
    api.put(vmrule(
        "team-a",
        "match",
        json!({"team": "z"}),
        alert("m", "up"),
    ));
    let r = wait_for(&mut rx, "a relabelled object", |r| r.groups.len() == 3).await;
    assert_eq!(
        files(&r),
        vec!["team-b/match#m", "team-a/prom#p", "team-b/prom#p"]
    );

    // Absent selectors: PrometheusRules are not selected at all, VMRules only in the own namespace.
    let own = start(
        &api,
        settings(Selection {
            rule_selector: None,
            namespace_selector: Some(LabelSelector::default()),
            ..Selection::default()
        }),
    );
    let mut rx = own.subscribe();
    let r = wait_for(&mut rx, "absent rule selector", |r| !r.groups.is_empty()).await;
    assert!(
        r.objects
            .iter()
            .all(|o| o.key.kind == tocsin::kube::ObjectKind::VmRule)
    );
    let own_ns = start(
        &api,
        settings(Selection {
            rule_selector: Some(LabelSelector::default()),
            namespace_selector: None,
            ..Selection::default()
        }),
    );
    let mut rx = own_ns.subscribe();
    let r = wait_for(&mut rx, "absent namespace selector", |r| {
        !r.groups.is_empty()
    })
    .await;
    assert_eq!(
        files(&r),
        vec![
            "monitoring/match#m",
            "monitoring/other#o",
            "monitoring/prom#p"
        ]
    );
}

#[tokio::test]
async fn gone_forces_a_relist_that_sees_changes_made_meanwhile() {
    let api = FakeApi::start().await;
    seed_namespaces(&api);
    api.put(vmrule("team-a", "stay", json!({}), alert("s", "up")));
    api.put(vmrule("team-a", "goes", json!({}), alert("g", "up")));
    let source = start(&api, settings(everything()));
    let mut rx = source.subscribe();
    wait_for(&mut rx, "the initial list", |r| r.groups.len() == 2).await;

    api.set_outage(true);
    api.delete("VMRule", "team-a", "goes");
    api.put(vmrule("team-b", "comes", json!({}), alert("c", "up")));
    api.compact();
    api.set_outage(false);
    let r = wait_for(&mut rx, "the relisted set", |r| {
        files(r) == vec!["team-a/stay#s", "team-b/comes#c"]
    })
    .await;
    assert_eq!(r.objects.len(), 2);
    let reqs = api.requests();
    let vm: Vec<_> = reqs
        .iter()
        .filter(|q| q.path.ends_with("/vmrules") && q.status == 200)
        .collect();
    let lists = vm.iter().filter(|q| !q.query.contains_key("watch")).count();
    assert!(
        api.expired_watches() >= 1,
        "no watch was answered 410: {:#?}",
        summary(&reqs)
    );
    assert!(lists >= 2, "a relist after 410: {:#?}", summary(&reqs));
}

#[tokio::test]
async fn loaded_rules_survive_an_api_outage() {
    let api = FakeApi::start().await;
    seed_namespaces(&api);
    api.put(vmrule("team-a", "r", json!({}), alert("a", "up")));
    api.put(prometheusrule("team-b", "p", json!({}), alert("b", "up")));
    let source = start(&api, settings(everything()));
    let mut rx = source.subscribe();
    let before = wait_for(&mut rx, "the initial list", |r| r.groups.len() == 2).await;

    let failed_before = api.requests().iter().filter(|q| q.status == 503).count();
    api.set_outage(true);
    api.wait_requests("several failed retries", |reqs| {
        reqs.iter().filter(|q| q.status == 503).count() >= failed_before + 6
    })
    .await;
    assert!(
        !rx.has_changed().unwrap_or(true),
        "nothing was published during the outage"
    );
    assert_eq!(*rx.borrow(), before);

    api.set_outage(false);
    api.put(vmrule("team-a", "after", json!({}), alert("n", "up")));
    let r = wait_for(&mut rx, "recovery", |r| r.groups.len() == 3).await;
    assert!(
        before.groups.iter().all(|g| r.groups.contains(g)),
        "{:#?}",
        describe(&r)
    );
}

#[tokio::test]
async fn a_kubeconfig_names_the_server_and_the_own_namespace() {
    let api = FakeApi::start().await;
    seed_namespaces(&api);
    api.put(vmrule("team-a", "r", json!({}), alert("a", "up")));
    api.put(vmrule("team-b", "r", json!({}), alert("b", "up")));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kubeconfig");
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\n\
         contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: nobody\n    namespace: team-b\n\
         users:\n- name: nobody\n  user: {{}}\ncurrent-context: fake\n",
        api.url
    );
    std::fs::write(&path, kubeconfig).expect("write kubeconfig");
    let mut s = settings(Selection {
        rule_selector: Some(LabelSelector::default()),
        namespace_selector: None,
        ..Selection::default()
    });
    s.kubeconfig = Some(path);
    let source = KubeRuleSource::connect(s).await.expect("connect");
    let mut rx = source.subscribe();
    let r = wait_for(&mut rx, "the context namespace's objects", |r| {
        !r.groups.is_empty()
    })
    .await;
    assert_eq!(files(&r), vec!["team-b/r#b"]);
}

#[tokio::test]
async fn a_missing_crd_holds_back_nothing() {
    let api = FakeApi::start().await;
    seed_namespaces(&api);
    api.hide("prometheusrules");
    api.put(vmrule("team-a", "r", json!({}), alert("a", "up")));
    let source = start(&api, settings(everything()));
    let mut rx = source.subscribe();
    let r = wait_for(&mut rx, "VMRules without the PrometheusRule CRD", |r| {
        r.groups.len() == 1
    })
    .await;
    assert_eq!(files(&r), vec!["team-a/r#a"]);
    // Once the CRD is installed, its objects come in.
    api.put(prometheusrule("team-b", "p", json!({}), alert("p", "up")));
    api.show("prometheusrules");
    wait_for(&mut rx, "the PrometheusRule after its CRD", |r| {
        r.groups.len() == 2
    })
    .await;
}

#[tokio::test]
async fn a_paged_list_loads_every_object() {
    let api = FakeApi::start().await;
    seed_namespaces(&api);
    for i in 0..1100 {
        api.put(vmrule(
            "team-a",
            &format!("r{i:04}"),
            json!({}),
            alert("a", "up"),
        ));
    }
    let source = start(&api, settings(everything()));
    let mut rx = source.subscribe();
    let r = wait_for(&mut rx, "every page", |r| r.groups.len() == 1100).await;
    assert_eq!(r.groups[1099].file, "team-a/r1099");
    let reqs = api.requests();
    let pages: Vec<_> = reqs
        .iter()
        .filter(|q| q.path.ends_with("/vmrules") && !q.query.contains_key("watch"))
        .collect();
    assert_eq!(pages.len(), 3, "{:#?}", summary(&reqs));
    assert!(pages[1].query.contains_key("continue"));
}
