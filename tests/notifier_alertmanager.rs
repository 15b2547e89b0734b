//! The notifier against real Alertmanager 0.25 peers on loopback: a two-peer cluster that must both receive every
//! alert, its refresh and its resolve; and a dead and a hanging peer that must not keep the live one from
//! receiving.

mod common_am;

use common_am::{Alertmanager, fake, firing_alert, now_ms, parse_ms};
use serde_json::{Value, json};
use std::time::Duration;
use tocsin::notifier::{
    AlertmanagerSettings, DefaultAlertSource, Fanout, PayloadContext, SendError,
};
use tocsin::rule::AlertState;

const NAME: &str = "TocsinNotifierTest";

fn source() -> DefaultAlertSource {
    DefaultAlertSource {
        external_url: "http://tocsin.example:8880".to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn firing_refresh_and_resolve_reach_both_clustered_peers() {
    let (a, b) = Alertmanager::cluster_of_two().await;
    // The peers really form a cluster (not two independent instances).
    a.wait_peers(2, 30).await;
    b.wait_peers(2, 30).await;

    let notifier = Fanout::from_settings(&[
        AlertmanagerSettings::new(a.url()),
        AlertmanagerSettings::new(format!("{}/", b.url())),
    ])
    .expect("notifier");
    let source = source();
    let fired_at = now_ms() - 30_123;
    let mut alert = firing_alert(
        &[
            ("alertname", NAME),
            ("job", "node"),
            ("instance", "host-1:9100"),
            ("a:b", "colon"),
            ("empty", ""),
        ],
        &[
            ("summary", "température ≥ 30 °C 🔥 on \"rack-1\""),
            ("description", "it's <b>hot</b>\nsecond line"),
        ],
        fired_at,
    );
    let resolve_after = 240_000;

    // 1. Firing: both peers list it, active, with what was sent.
    let now = now_ms();
    let ctx = PayloadContext {
        now_ms: now,
        resolve_after_ms: resolve_after,
        group_id: 99,
        source: &source,
    };
    let report = notifier.send(&[&alert], &ctx, &[]).await;
    assert!(report.all_ok(), "{report:?}");
    assert_eq!(report.peers.len(), 2);
    let want_labels =
        json!({"alertname": NAME, "job": "node", "instance": "host-1:9100", "a_b": "colon"});
    let want_annotations = json!({
        "summary": "température ≥ 30 °C 🔥 on \"rack-1\"",
        "description": "it's <b>hot</b>\nsecond line",
    });
    let want_url = format!(
        "http://tocsin.example:8880/vmalert/alert?group_id=99&alert_id={}",
        alert.id
    );
    for peer in [&a, &b] {
        let listed = peer.wait_alerts(NAME, 10, |l| !l.is_empty()).await;
        assert_eq!(listed.len(), 1, "{listed:?}");
        let got = &listed[0];
        assert_eq!(got["labels"], want_labels, "{got}");
        assert_eq!(got["annotations"], want_annotations, "{got}");
        assert_eq!(got["generatorURL"], Value::from(want_url.clone()), "{got}");
        assert_eq!(got["status"]["state"], "active", "{got}");
        assert_eq!(parse_ms(&got["startsAt"]), fired_at, "{got}");
        assert_eq!(parse_ms(&got["endsAt"]), now + resolve_after, "{got}");
    }

    // 2. A refresh moves endsAt on both peers (a later endsAt wins); startsAt stays.
    let later = now + 5_000;
    let ctx = PayloadContext {
        now_ms: later,
        ..ctx
    };
    let report = notifier.send(&[&alert], &ctx, &[]).await;
    assert!(report.all_ok(), "{report:?}");
    for peer in [&a, &b] {
        let listed = peer
            .wait_alerts(NAME, 10, |l| {
                l.len() == 1 && parse_ms(&l[0]["endsAt"]) == later + resolve_after
            })
            .await;
        assert_eq!(parse_ms(&listed[0]["startsAt"]), fired_at);
    }

    // 3. Resolved (endsAt = the resolve time, in the past): both peers stop listing it. Alertmanager 0.25 leaves
    //    resolved alerts out of /api/v2/alerts whatever the filter, so disappearance is what is observable.
    alert.state = AlertState::Inactive;
    alert.resolved_at = Some(now_ms() - 1_000);
    let ctx = PayloadContext {
        now_ms: now_ms(),
        ..ctx
    };
    let report = notifier.send(&[&alert], &ctx, &[]).await;
    assert!(report.all_ok(), "{report:?}");
    for peer in [&a, &b] {
        peer.wait_alerts(NAME, 10, |l| l.is_empty()).await;
        let inactive = peer
            .get_json(&format!(
                "/api/v2/alerts?active=false&filter=alertname%3D%22{NAME}%22"
            ))
            .await;
        assert_eq!(inactive, json!([]), "resolved alerts are not listed at all");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_and_a_hanging_peer_do_not_hold_up_the_live_one() {
    let live = Alertmanager::spawn(None);
    live.wait_ready().await;
    let hanging = fake::Silent::start().await;
    let dead = fake::closed_port_url();

    let mut slow = AlertmanagerSettings::new(hanging.url());
    slow.timeout = Duration::from_secs(8);
    let notifier = Fanout::from_settings(&[
        AlertmanagerSettings::new(dead.clone()),
        slow,
        AlertmanagerSettings::new(live.url()),
    ])
    .expect("notifier");

    let alert = firing_alert(&[("alertname", NAME), ("peer", "test")], &[], now_ms());
    let task = tokio::spawn(async move {
        let source = source();
        let ctx = PayloadContext {
            now_ms: now_ms(),
            resolve_after_ms: 60_000,
            group_id: 1,
            source: &source,
        };
        notifier.send(&[&alert], &ctx, &[]).await
    });

    // The live peer has the alert while the send to the hanging peer is still waiting for an answer.
    live.wait_alerts(NAME, 6, |l| l.len() == 1).await;
    assert!(
        !task.is_finished(),
        "the batch finished before the hanging peer timed out"
    );
    assert_eq!(*hanging.connections.lock().expect("lock"), 1);

    let report = task.await.expect("send task");
    assert_eq!(report.peers.len(), 3);
    assert!(!report.all_ok() && report.any_ok());
    match &report.peers[0].result {
        Err(e @ SendError::Transport { addr, .. }) => {
            assert_eq!(addr, &dead);
            assert!(e.is_retryable());
        }
        other => panic!("dead peer: {other:?}"),
    }
    match &report.peers[1].result {
        Err(e @ SendError::Timeout { timeout, .. }) => {
            assert_eq!(*timeout, Duration::from_secs(8));
            assert!(e.is_retryable());
        }
        other => panic!("hanging peer: {other:?}"),
    }
    assert_eq!(report.peers[2].result, Ok(()));
    assert_eq!(report.peers[2].addr, live.url());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_rejects_what_vmalert_would_send_unsanitised() {
    // Why the payload sanitises names: Alertmanager 0.25 answers 400 for a ':' in a label name or a '-' in an
    // annotation name. (Posted raw here; tocsin never sends these.)
    let am = Alertmanager::spawn(None);
    am.wait_ready().await;
    let now = chrono::Utc::now().to_rfc3339();
    let client = reqwest::Client::new();
    let post = |body: String| {
        client
            .post(format!("{}/api/v2/alerts", am.url()))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    for bad in [
        format!(r#"[{{"startsAt":"{now}","labels":{{"alertname":"x","a:b":"1"}}}}]"#),
        format!(
            r#"[{{"startsAt":"{now}","labels":{{"alertname":"x"}},"annotations":{{"run-book":"1"}}}}]"#
        ),
    ] {
        let r = post(bad.clone()).await.expect("post");
        assert_eq!(r.status().as_u16(), 400, "{bad}");
    }
    // And without a JSON content type it answers 415.
    let r = client
        .post(format!("{}/api/v2/alerts", am.url()))
        .body("[]")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 415);
}
