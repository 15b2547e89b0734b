//! How fast `Notifier::enqueue` accepts alerts: three peers whose senders cannot deliver (a closed port), 1000
//! distinct firing alerts re-offered in batches of 100 as a rule does at every evaluation, so every push
//! supersedes the waiting state of the same alert. Reports alerts accepted per second (each queued for three
//! peers) and the time one batch of 100 takes, the time a runner waits per rule.
//!
//! Run: `cargo bench --bench notifier_enqueue` (`NOTIFIER_BENCH_SECS` sets the measuring time, default 3).

use std::time::{Duration, Instant};
use tocsin::notifier::{
    AlertmanagerSettings, DefaultAlertSource, Notifier, PayloadContext, QueueSettings,
};
use tocsin::rule::{Alert, AlertState, labels};

fn alert(i: usize) -> Alert {
    let l = labels::from_pairs(&[
        ("alertname", "BenchAlert"),
        ("instance", &format!("host-{i}:9100")),
        ("job", "node"),
        ("severity", "page"),
    ]);
    Alert {
        id: labels::hash(&l),
        labels: l.into(),
        annotations: labels::from_pairs(&[
            ("summary", "instance is down"),
            ("description", "host has been down for more than 5 minutes"),
        ])
        .into(),
        state: AlertState::Firing,
        value: 1.0,
        active_at: 1_700_000_000_000,
        fired_at: Some(1_700_000_060_000),
        resolved_at: None,
        keep_firing_since: None,
        last_sent: Default::default(),
        restored: false,
    }
}

fn main() {
    let secs: u64 = std::env::var("NOTIFIER_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let settings: Vec<AlertmanagerSettings> = (0..3)
            .map(|i| AlertmanagerSettings::new(format!("http://127.0.0.{}:{closed}", i + 1)))
            .collect();
        let n = Notifier::from_settings(&settings, QueueSettings::default()).expect("notifier");
        let alerts: Vec<std::sync::Arc<Alert>> = (0..1000).map(|i| std::sync::Arc::new(alert(i))).collect();
        let source = DefaultAlertSource {
            external_url: "http://tocsin:8880".to_string(),
        };
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut batches = 0u64;
        let mut worst = Duration::ZERO;
        let started = Instant::now();
        while Instant::now() < deadline {
            for chunk in alerts.chunks(100) {
                let ctx = PayloadContext {
                    now_ms: 1_700_000_100_000,
                    resolve_after_ms: 240_000,
                    group_id: 1,
                    source: &source,
                };
                let t = Instant::now();
                assert!(n.enqueue(chunk, &ctx, &[]));
                worst = worst.max(t.elapsed());
                batches += 1;
            }
        }
        let took = started.elapsed();
        let alerts_done = batches * 100;
        println!(
            "notifier_enqueue: {:.0} alerts/s accepted for 3 peers ({} alerts in {:.2?}); {:.1} µs per batch of 100 (worst {:.2?})",
            alerts_done as f64 / took.as_secs_f64(),
            alerts_done,
            took,
            took.as_secs_f64() * 1e6 / batches as f64,
            worst
        );
        let s = n.peers();
        println!(
            "queued per peer: {} (capacity {}), superseded per peer: {}",
            s[0].queue_depth + s[0].in_flight,
            s[0].queue_capacity,
            s[0].superseded_total
        );
        let _ = n.shutdown(Duration::from_millis(10)).await;
    });
}
