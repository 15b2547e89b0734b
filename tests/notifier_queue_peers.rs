//! Per-peer queues against real Alertmanager 0.25 peers: one peer is SIGKILLed while an alert is queued for both;
//! the live peer gets it at once, the dead one keeps failing, and once it is restarted on the same port the retry
//! delivers the alert there too.

mod peers;

use peers::{Alertmanager, free_port, now_ms, poll};
use std::time::Duration;
use tocsin::notifier::{
    AlertmanagerSettings, DefaultAlertSource, Notifier, PayloadContext, QueueSettings,
};
use tocsin::rule::{Alert, AlertState, labels};

const NAME: &str = "TocsinQueueTest";

fn firing(fired_at: i64) -> Alert {
    let l = labels::from_pairs(&[("alertname", NAME), ("instance", "host-1")]);
    Alert {
        id: labels::hash(&l),
        labels: l.into(),
        annotations: labels::from_pairs(&[("summary", "queued")]).into(),
        state: AlertState::Firing,
        value: 1.0,
        active_at: fired_at - 60_000,
        fired_at: Some(fired_at),
        resolved_at: None,
        keep_firing_since: None,
        last_sent: Default::default(),
        restored: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_peer_gets_the_alert_after_restart_and_the_live_peer_is_not_delayed() {
    let dead_port = free_port();
    let mut dead = Alertmanager::start_single(dead_port).await;
    let live = Alertmanager::start_single(free_port()).await;
    let notifier = Notifier::from_settings(
        &[
            AlertmanagerSettings::new(dead.url()),
            AlertmanagerSettings::new(live.url()),
        ],
        QueueSettings {
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(1),
            jitter: false,
            ..QueueSettings::default()
        },
    )
    .expect("notifier");
    dead.proc.kill();

    let source = DefaultAlertSource {
        external_url: "http://tocsin.test".to_string(),
    };
    let now = now_ms();
    let ctx = PayloadContext {
        now_ms: now,
        resolve_after_ms: 600_000,
        group_id: 1,
        source: &source,
    };
    assert!(notifier.enqueue(&[std::sync::Arc::new(firing(now - 30_000))], &ctx, &[]));

    // The live peer has the alert while the dead one is still failing.
    poll(
        Duration::from_secs(10),
        "live peer has the alert",
        || async { (!live.alerts_named(NAME).await.is_empty()).then_some(()) },
    )
    .await;
    let status = notifier.peers();
    assert_eq!(status[1].delivered_total, 1, "{:?}", status[1]);
    poll(
        Duration::from_secs(10),
        "dead peer failed at least twice",
        || async { (notifier.peers()[0].errors_total >= 2).then_some(()) },
    )
    .await;
    let dead_status = &notifier.peers()[0];
    assert_eq!(dead_status.delivered_total, 0);
    assert_eq!(dead_status.queue_depth + dead_status.in_flight, 1);
    assert!(dead_status.last_error.is_some());

    // Restarted on the same port, empty: the queued alert is retried until it lands.
    let restarted = Alertmanager::start_single(dead_port).await;
    let got = poll(
        Duration::from_secs(20),
        "restarted peer has the alert",
        || async {
            let a = restarted.alerts_named(NAME).await;
            (!a.is_empty()).then_some(a)
        },
    )
    .await;
    assert_eq!(got[0]["labels"]["instance"], "host-1");
    assert_eq!(got[0]["status"]["state"], "active");
    let s = &notifier.peers()[0];
    assert_eq!((s.delivered_total, s.queue_depth, s.in_flight), (1, 0, 0));
    // The live peer got exactly one request: nothing was re-sent to it while the other peer was retried.
    assert_eq!(notifier.peers()[1].sent_total, 1);
    let left = notifier.shutdown(Duration::from_secs(5)).await;
    assert_eq!(left.total(), 0);
}
