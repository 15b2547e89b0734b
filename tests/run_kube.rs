//! `tocsin run` with rules from Kubernetes objects only: the real binary against the in-process fake API server,
//! victoria-metrics 1.79 and a recording Alertmanager. A VMRule created in a tenant namespace is picked up without a
//! restart; its expression and the `query` calls of its templates only see the tenant's series
//! (`-kube.enforcedNamespaceLabel`); an unrelated object's arrival leaves its alert untouched; deleting the object
//! resolves its alert at once instead of leaving Alertmanager to expire it.

mod kube_fake;
mod peers;

use kube_fake::{FakeApi, namespace, vmrule};
use peers::{FakeAm, Vm, now_ms, parse_rfc3339_ms, poll};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vmrule_is_loaded_enforced_and_resolved_on_delete() {
    let vm = Vm::start(&[]).await;
    let now = now_ms();
    let mut data = String::new();
    for i in -20..=120 {
        let t = now + i * 1000;
        data.push_str(&format!(
            "demo_value{{namespace=\"team-a\",instance=\"a\"}} 3 {t}\n"
        ));
        data.push_str(&format!(
            "demo_value{{namespace=\"team-b\",instance=\"b\"}} 3 {t}\n"
        ));
    }
    vm.seed(&data, "demo_value", now, 2).await;
    let api = FakeApi::start().await;
    for ns in ["team-a", "team-b"] {
        api.put(namespace(ns, json!({})));
    }
    let am = FakeAm::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = peers::write_file(
        dir.path(),
        "kubeconfig",
        &format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\n\
             contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: nobody\n    namespace: monitoring\n\
             users:\n- name: nobody\n  user: {{}}\ncurrent-context: fake\n",
            api.url
        ),
    );
    let args = |http_port: u16| {
        vec![
            "run".to_string(),
            "-kube.vmrules".to_string(),
            format!("-kube.kubeconfig={}", kubeconfig.display()),
            "-kube.selectAllByDefault".to_string(),
            "-kube.enforcedNamespaceLabel=namespace".to_string(),
            format!("-datasource.url={}", vm.url()),
            format!("-notifier.url={}", am.url()),
            "-rule.evalDelay=0s".to_string(),
            format!("-httpListenAddr=127.0.0.1:{http_port}"),
        ]
    };
    let (mut tocsin, http_port) = peers::tocsin_listening("tocsin", args).await;
    // Created after tocsin started: picked up through the watch.
    tokio::time::sleep(Duration::from_secs(1)).await;
    api.put(vmrule(
        "team-a",
        "demo",
        json!({}),
        json!([{"name": "demo", "interval": "1s",
                "rules": [{"alert": "DemoHigh", "expr": "demo_value > 2",
                           "annotations": {"seen": "{{ query \"demo_value\" | len }}"}}]}]),
    ));
    let fired = poll(Duration::from_secs(20), "alert from the VMRule", || async {
        am.alerts().into_iter().next()
    })
    .await;
    let labels = &fired.1["labels"];
    assert_eq!(labels["namespace"], "team-a", "{}", fired.1);
    assert_eq!(
        labels["instance"], "a",
        "only the tenant's series: {}",
        fired.1
    );
    assert_eq!(
        fired.1["annotations"]["seen"], "1",
        "`query` in a template is enforced too: {}",
        fired.1
    );
    // An unrelated object arriving (a reload) leaves the firing alert untouched: same startsAt, no resolve.
    api.put(vmrule(
        "team-b",
        "other",
        json!({}),
        json!([{"name": "other", "interval": "1s",
                "rules": [{"record": "b:demo", "expr": "demo_value"}]}]),
    ));
    let changed_at = now_ms();
    poll(
        Duration::from_secs(10),
        "a send after the change",
        || async {
            am.alerts()
                .into_iter()
                .find(|(t, _)| *t > changed_at + 1500)
        },
    )
    .await;
    for (t, a) in am.alerts() {
        assert_eq!(a["startsAt"], fired.1["startsAt"], "{a}");
        assert!(
            parse_rfc3339_ms(a["endsAt"].as_str().unwrap_or("")) > t,
            "no resolve while the object is unchanged: {a}"
        );
    }
    assert!(
        am.alerts()
            .iter()
            .all(|(_, a)| a["labels"]["instance"] == "a"),
        "team-b's series never reached the alert"
    );

    // An invalid object is skipped alone, and says why in the API, the UI and /metrics.
    api.put(vmrule(
        "team-b",
        "broken",
        json!({}),
        json!([{"name": "broken", "rules": [{"alert": "Broken", "expr": "sum(up"}]}]),
    ));
    let base = format!("http://127.0.0.1:{http_port}");
    let objects = poll(Duration::from_secs(10), "the invalid object listed", || {
        let url = format!("{base}/tocsin/api/v1/objects");
        async move {
            let v: serde_json::Value = peers::client()
                .get(&url)
                .send()
                .await
                .ok()?
                .bytes()
                .await
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())?;
            let list = v["data"]["objects"].as_array()?.clone();
            list.iter().any(|o| o["name"] == "broken").then_some(list)
        }
    })
    .await;
    let broken = objects
        .iter()
        .find(|o| o["name"] == "broken")
        .expect("broken listed");
    assert_eq!(broken["status"], "invalid", "{broken}");
    assert!(
        broken["reasons"][0].as_str().unwrap_or("").contains("expr"),
        "the reason names the field: {broken}"
    );
    let demo = objects
        .iter()
        .find(|o| o["name"] == "demo")
        .expect("demo listed");
    assert_eq!(
        (demo["status"].clone(), demo["groups"].clone()),
        (json!("ok"), json!(1))
    );
    let page = peers::client()
        .get(format!("{base}/vmalert/objects"))
        .send()
        .await
        .expect("UI")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains("team-b/broken") && page.contains("invalid"),
        "{page}"
    );
    let metrics = peers::client()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(
            "tocsin_kube_object_invalid{kind=\"VMRule\",namespace=\"team-b\",name=\"broken\"} 1"
        ),
        "{metrics}"
    );

    api.delete("VMRule", "team-a", "demo");
    let deleted_at = now_ms();
    poll(Duration::from_secs(10), "resolve after delete", || async {
        am.alerts()
            .into_iter()
            .find(|(t, a)| {
                *t + 1000 >= deleted_at
                    && parse_rfc3339_ms(a["endsAt"].as_str().unwrap_or("")) <= *t
            })
            .map(|_| ())
    })
    .await;
    let code = tocsin.terminate(Duration::from_secs(15));
    assert_eq!(code, Some(0), "{}", tocsin.log());
}
