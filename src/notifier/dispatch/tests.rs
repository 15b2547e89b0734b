//! The notifier's queues and senders against in-process fake Alertmanagers on 127.0.0.1 (scripted answers, or a
//! socket that never answers), on tokio's paused clock: backoff delays pass when the test advances time.

use super::*;
use crate::notifier::payload::DefaultAlertSource;
use crate::notifier::relabel::{RelabelRule, RelabelSpec};
use crate::rule::AlertState;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A fake Alertmanager: answers the first `fail` requests with 503, then 200; records every body.
struct FakeAm {
    url: String,
    bodies: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeAm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeAm {
    async fn start(fail: usize) -> FakeAm {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::new(AtomicUsize::new(0));
        let b = bodies.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let (b, seen) = (b.clone(), seen.clone());
                tokio::spawn(async move {
                    loop {
                        let Some(body) = read_request(&mut sock).await else {
                            return;
                        };
                        let n = seen.fetch_add(1, Ordering::SeqCst);
                        b.lock().expect("lock").push(body);
                        let status = if n < fail {
                            "503 Service Unavailable"
                        } else {
                            "200 OK"
                        };
                        let msg = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
                        if sock.write_all(msg.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        FakeAm { url, bodies, task }
    }

    fn bodies(&self) -> Vec<String> {
        self.bodies.lock().expect("lock").clone()
    }
}

/// Reads one HTTP/1.1 request; returns its body.
async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string())
}

/// Accepts connections and never answers.
async fn hanging_peer() -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    (url, task)
}

fn settings() -> QueueSettings {
    QueueSettings {
        jitter: false,
        ..QueueSettings::default()
    }
}

fn alert(name: &str, state: AlertState) -> Alert {
    let labels: Labels = [("alertname".to_string(), name.to_string())]
        .into_iter()
        .collect();
    Alert {
        id: crate::rule::labels::hash(&labels),
        labels: labels.into(),
        annotations: Default::default(),
        state,
        value: 1.0,
        active_at: 1_000,
        fired_at: Some(2_000),
        resolved_at: (state == AlertState::Inactive).then_some(5_000),
        keep_firing_since: None,
        last_sent: Default::default(),
        restored: false,
    }
}

fn enqueue(n: &Notifier, alerts: &[Alert]) -> bool {
    let alerts: Vec<Arc<Alert>> = alerts.iter().cloned().map(Arc::new).collect();
    let source = DefaultAlertSource {
        external_url: "http://tocsin".to_string(),
    };
    let ctx = PayloadContext {
        now_ms: 4_000,
        resolve_after_ms: 60_000,
        group_id: 7,
        source: &source,
    };
    n.enqueue(&alerts, &ctx, &[])
}

/// Lets the paused clock run in 100 ms steps until `done` holds; panics after `limit` of virtual time.
async fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let steps = limit.as_millis() / 100;
    for _ in 0..steps {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(done(), "not within {limit:?}: {what}");
}

#[tokio::test(start_paused = true)]
async fn a_failed_batch_is_retried_with_backoff_until_acknowledged() {
    let am = FakeAm::start(3).await;
    let n = Notifier::from_settings(&[AlertmanagerSettings::new(&am.url)], settings()).expect("n");
    assert!(enqueue(&n, &[alert("A", AlertState::Firing)]));
    let started = tokio::time::Instant::now();
    wait_for(Duration::from_secs(60), "delivered", || {
        n.peers()[0].delivered_total == 1
    })
    .await;
    // 0.5 s + 1 s + 2 s of backoff between the four attempts.
    assert!(
        started.elapsed() >= Duration::from_millis(3_500),
        "{:?}",
        started.elapsed()
    );
    let bodies = am.bodies();
    assert_eq!(bodies.len(), 4, "{bodies:?}");
    assert!(
        bodies.iter().all(|b| b == &bodies[0]),
        "the same batch is retried"
    );
    let s = &n.peers()[0];
    assert_eq!((s.sent_total, s.errors_total, s.delivered_total), (4, 3, 1));
    assert_eq!((s.queue_depth, s.in_flight), (0, 0));
    assert!(
        s.last_error.as_deref().unwrap_or("").contains("503"),
        "{s:?}"
    );
    assert!(s.last_success_ms >= s.last_error_ms);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_peer_does_not_delay_the_live_one() {
    let live = FakeAm::start(0).await;
    let (hang_url, _hang) = hanging_peer().await;
    let n = Notifier::from_settings(
        &[
            AlertmanagerSettings::new(&hang_url),
            AlertmanagerSettings::new(&live.url),
        ],
        settings(),
    )
    .expect("n");
    assert!(enqueue(&n, &[alert("A", AlertState::Firing)]));
    wait_for(Duration::from_secs(2), "live peer got the alert", || {
        live.bodies().len() == 1
    })
    .await;
    let hang = &n.peers()[0];
    // The hanging peer's request is still open (its 10 s timeout has not passed).
    assert_eq!((hang.in_flight, hang.errors_total), (1, 0), "{hang:?}");
    wait_for(Duration::from_secs(15), "hanging peer timed out", || {
        n.peers()[0].errors_total == 1
    })
    .await;
    assert!(
        n.peers()[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("no answer")
    );
}

#[tokio::test(start_paused = true)]
async fn a_resolve_supersedes_a_queued_firing_and_is_never_overtaken() {
    let am = FakeAm::start(2).await;
    let n = Notifier::from_settings(&[AlertmanagerSettings::new(&am.url)], settings()).expect("n");
    enqueue(&n, &[alert("A", AlertState::Firing)]);
    wait_for(Duration::from_secs(1), "first attempt failed", || {
        n.peers()[0].errors_total == 1
    })
    .await;
    // While the firing waits for its retry, the alert resolves, and another alert fires.
    enqueue(&n, &[alert("A", AlertState::Inactive)]);
    enqueue(&n, &[alert("B", AlertState::Firing)]);
    wait_for(Duration::from_secs(60), "delivered", || {
        n.peers()[0].queue_depth == 0 && n.peers()[0].delivered_total > 0
    })
    .await;
    let bodies = am.bodies();
    let last = bodies.last().expect("a body");
    // The delivered batch has B and A's resolve (endsAt 5 s after the epoch), and no firing A.
    assert!(last.contains("\"alertname\":\"B\""), "{last}");
    assert!(
        last.contains("\"endsAt\":\"1970-01-01T00:00:05Z\""),
        "{last}"
    );
    assert_eq!(last.matches("\"alertname\":\"A\"").count(), 1, "{last}");
    let s = &n.peers()[0];
    assert_eq!(s.superseded_total, 1);
    assert_eq!(s.delivered_total, 2);
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_drops_the_oldest_and_counts_per_peer() {
    let (hang_url, _hang) = hanging_peer().await;
    let live = FakeAm::start(0).await;
    let n = Notifier::from_settings(
        &[
            AlertmanagerSettings::new(&hang_url),
            AlertmanagerSettings::new(&live.url),
        ],
        QueueSettings {
            capacity: 2,
            ..settings()
        },
    )
    .expect("n");
    // The first alert goes in flight to the hanging peer; the next four overfill its queue of two.
    enqueue(&n, &[alert("A0", AlertState::Firing)]);
    tokio::task::yield_now().await;
    wait_for(Duration::from_secs(1), "in flight", || {
        n.peers()[0].in_flight == 1
    })
    .await;
    // One alert per evaluation; the live peer keeps up and never drops.
    for i in 1..5 {
        enqueue(&n, &[alert(&format!("A{i}"), AlertState::Firing)]);
        wait_for(Duration::from_secs(2), "live delivered", || {
            n.peers()[1].delivered_total == i + 1
        })
        .await;
    }
    let hang = &n.peers()[0];
    assert_eq!((hang.queue_depth, hang.dropped_total), (2, 2), "{hang:?}");
    assert_eq!(n.peers()[1].dropped_total, 0);
}

#[tokio::test(start_paused = true)]
async fn shutdown_drains_within_its_bound_and_reports_the_rest() {
    let live = FakeAm::start(0).await;
    let (hang_url, _hang) = hanging_peer().await;
    let n = Notifier::from_settings(
        &[
            AlertmanagerSettings::new(&live.url),
            AlertmanagerSettings::new(&hang_url),
        ],
        settings(),
    )
    .expect("n");
    enqueue(
        &n,
        &[
            alert("A", AlertState::Firing),
            alert("B", AlertState::Firing),
        ],
    );
    let report = n.shutdown(Duration::from_secs(3)).await;
    assert_eq!(
        report.undelivered,
        vec![(live.url.clone(), 0), (hang_url.clone(), 2)]
    );
    assert_eq!(report.total(), 2);
    assert_eq!(live.bodies().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn reload_keeps_the_queue_of_an_unchanged_peer() {
    let (hang_url, _hang) = hanging_peer().await;
    let (gone_url, _gone) = hanging_peer().await;
    let n = Notifier::from_settings(
        &[
            AlertmanagerSettings::new(&hang_url),
            AlertmanagerSettings::new(&gone_url),
        ],
        settings(),
    )
    .expect("n");
    enqueue(&n, &[alert("A", AlertState::Firing)]);
    wait_for(Duration::from_secs(1), "in flight", || {
        n.peers()[0].in_flight == 1
    })
    .await;
    enqueue(&n, &[alert("B", AlertState::Firing)]);
    let live = FakeAm::start(0).await;
    let mut changed = AlertmanagerSettings::new(&hang_url);
    changed.headers = vec![("X-Reloaded".to_string(), "1".to_string())];
    let report = n
        .apply(TargetSet {
            targets: vec![
                Target::new(changed),
                Target::new(AlertmanagerSettings::new(&live.url)),
            ],
            alert_relabel: Arc::new(Relabeling::default()),
        })
        .expect("apply");
    assert_eq!(report.kept, vec![hang_url.clone()]);
    assert_eq!(report.added, vec![live.url.clone()]);
    assert_eq!(report.removed, vec![(gone_url.clone(), 2)]);
    let kept = &n.peers()[0];
    assert_eq!((kept.in_flight, kept.queue_depth), (1, 1), "{kept:?}");
    // A bad target set changes nothing.
    assert!(
        n.apply(TargetSet {
            targets: vec![Target::new(AlertmanagerSettings::new("ftp://x"))],
            alert_relabel: Arc::new(Relabeling::default()),
        })
        .is_err()
    );
    assert_eq!(n.peers().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn alert_relabeling_global_then_per_target() {
    let a = FakeAm::start(0).await;
    let b = FakeAm::start(0).await;
    let rule = |s: RelabelSpec| RelabelRule::new(&s).expect("rule");
    let mut only_a = Target::new(AlertmanagerSettings::new(&a.url));
    only_a.alert_relabel = Arc::new(Relabeling::new(vec![rule(RelabelSpec {
        source_labels: Some(vec!["alertname".to_string()]),
        regex: Some("B".to_string()),
        action: Some("drop".to_string()),
        ..RelabelSpec::default()
    })]));
    let n = Notifier::empty(settings());
    n.apply(TargetSet {
        targets: vec![only_a, Target::new(AlertmanagerSettings::new(&b.url))],
        alert_relabel: Arc::new(Relabeling::new(vec![rule(RelabelSpec {
            source_labels: Some(vec!["alertname".to_string()]),
            target_label: Some("team".to_string()),
            replacement: Some("t-$1".to_string()),
            ..RelabelSpec::default()
        })])),
    })
    .expect("apply");
    enqueue(
        &n,
        &[
            alert("A", AlertState::Firing),
            alert("B", AlertState::Firing),
        ],
    );
    wait_for(Duration::from_secs(2), "both delivered", || {
        n.peers()[0].delivered_total == 1 && n.peers()[1].delivered_total == 2
    })
    .await;
    let body_a = &a.bodies()[0];
    assert!(body_a.contains("\"team\":\"t-A\""), "{body_a}");
    assert!(!body_a.contains("\"alertname\":\"B\""), "{body_a}");
    assert!(b.bodies()[0].contains("\"team\":\"t-B\""));
}

#[tokio::test(start_paused = true)]
async fn no_peer_means_not_accepted_and_the_blackhole_accepts_everything() {
    let n = Notifier::empty(settings());
    assert!(!enqueue(&n, &[alert("A", AlertState::Firing)]));
    let bh = Notifier::blackhole();
    assert!(enqueue(&bh, &[alert("A", AlertState::Firing)]));
    assert_eq!(bh.peers()[0].addr, BLACKHOLE_ADDR);
    assert_eq!(bh.peers()[0].sent_total, 1);
}
