//! One Alertmanager peer: its bounded queue ([`PeerQueue`]), the client it sends with, its counters, and the
//! sender task that empties the queue one batch at a time.
//!
//! A send counts only on a 2xx answer. A failed batch goes back to the queue in its old place and the sender waits
//! an exponentially growing, bounded delay (backon) before the next try, so a dead peer costs one request per delay
//! and never holds up other peers or evaluation. Only an answer that says the request itself is wrong (400, 413,
//! 415, 422: retrying the same bytes cannot help) gives the batch up. Knows nothing about evaluation or discovery.

use super::config::AlertmanagerSettings;
use super::payload::Payload;
use super::queue::{Batch, Entry, Outcome, PeerQueue};
use super::relabel::Relabeling;
use super::send::{AlertmanagerClient, SendError};
use backon::BackoffBuilder;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Queue and retry settings shared by every peer.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSettings {
    /// Alerts that may wait per peer (`-notifier.queueSize`); the oldest are dropped beyond it.
    pub capacity: usize,
    /// Alerts per request.
    pub max_batch: usize,
    /// First retry delay after a failed send.
    pub min_backoff: Duration,
    /// Longest retry delay.
    pub max_backoff: Duration,
    /// Spread retry delays randomly, so that replicas do not hit a recovering peer in step.
    pub jitter: bool,
}

/// `-notifier.queueSize` default: as Prometheus's `--alertmanager.notification-queue-capacity`.
pub const DEFAULT_QUEUE_SIZE: usize = 10_000;

impl Default for QueueSettings {
    fn default() -> Self {
        QueueSettings {
            capacity: DEFAULT_QUEUE_SIZE,
            max_batch: 256,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            jitter: true,
        }
    }
}

/// How often at most a peer logs that its full queue dropped alerts.
const DROP_LOG_EVERY: Duration = Duration::from_secs(10);

/// A peer's delivery status, for the API, the UI and `/metrics`. No secrets: `addr` is redacted and errors are
/// scrubbed where they are made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerStatus {
    /// The redacted URL (`vmalert_alerts_sent_total{addr}`).
    pub addr: String,
    /// Labels the target kept after relabeling (discovered targets), for display.
    pub labels: crate::rule::Labels,
    /// Alerts waiting, and alerts in the request being sent.
    pub queue_depth: usize,
    pub in_flight: usize,
    pub queue_capacity: usize,
    /// Alerts in requests sent, successful or not (`vmalert_alerts_sent_total`).
    pub sent_total: u64,
    /// Alerts in requests that failed (`vmalert_alerts_send_errors_total`).
    pub errors_total: u64,
    /// Alerts the peer acknowledged with a 2xx.
    pub delivered_total: u64,
    /// Alerts dropped because the queue was full.
    pub dropped_total: u64,
    /// Queued alerts replaced by a newer state of the same alert before they were sent.
    pub superseded_total: u64,
    /// Alerts given up because the peer rejected the request as invalid (400, 413, 415, 422).
    pub rejected_total: u64,
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
    pub last_success_ms: Option<i64>,
    pub last_attempt_ms: Option<i64>,
}

/// How many distinct alerts a peer remembers as delivered, for the UI's page of what each peer received (the most
/// recently acknowledged ones; the map is trimmed back to this when it reaches twice as many).
const DELIVERED_KEPT: usize = 1000;

#[derive(Debug)]
struct State {
    queue: PeerQueue,
    status: PeerStatus,
    /// The last state of each alert this peer acknowledged: when, and the JSON object sent (bounded).
    /// Keyed by a hash of the alert's group and labels: the body holds the labels already, and a rare collision
    /// only hides one line of a diagnostic page.
    delivered: std::collections::HashMap<u64, (i64, bytes::Bytes)>,
    unlogged_drops: u64,
    last_drop_log: Option<std::time::Instant>,
}

/// One peer. Shared by the notifier (which pushes) and the sender task (which sends).
#[derive(Debug)]
pub(super) struct Peer {
    /// The full URL requests go to (user info removed): the peer's identity across reloads.
    pub endpoint: String,
    pub addr: String,
    state: Mutex<State>,
    client: Mutex<Arc<AlertmanagerClient>>,
    settings: Mutex<AlertmanagerSettings>,
    alert_relabel: Mutex<Arc<Relabeling>>,
    wake: tokio::sync::Notify,
    /// Set at shutdown: the sender returns once the queue is empty.
    closing: AtomicBool,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind; keep going with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn wall_ms() -> i64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn delivered_key(key: &super::queue::AlertKey) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// Keeps the `DELIVERED_KEPT` most recently acknowledged alerts.
fn trim_delivered(map: &mut std::collections::HashMap<u64, (i64, bytes::Bytes)>) {
    let mut entries: Vec<(u64, i64)> = map.iter().map(|(k, (t, _))| (*k, *t)).collect();
    entries.sort_unstable_by_key(|(_, t)| std::cmp::Reverse(*t));
    for (k, _) in entries.into_iter().skip(DELIVERED_KEPT) {
        map.remove(&k);
    }
}

/// True when retrying the same request cannot succeed: the peer says the request itself is invalid.
fn rejects_request(e: &SendError) -> bool {
    matches!(e.status(), Some(400 | 413 | 415 | 422))
}

impl Peer {
    /// A peer for `client`, with its sender task started on the current tokio runtime.
    pub fn start(
        client: AlertmanagerClient,
        settings: AlertmanagerSettings,
        alert_relabel: Arc<Relabeling>,
        labels: crate::rule::Labels,
        queue: &QueueSettings,
    ) -> Arc<Peer> {
        let peer = Arc::new(Peer {
            endpoint: client.endpoint().to_string(),
            addr: client.addr().to_string(),
            state: Mutex::new(State {
                queue: PeerQueue::new(queue.capacity),
                delivered: std::collections::HashMap::new(),
                status: PeerStatus {
                    addr: client.addr().to_string(),
                    labels,
                    queue_capacity: queue.capacity.max(1),
                    ..PeerStatus::default()
                },
                unlogged_drops: 0,
                last_drop_log: None,
            }),
            client: Mutex::new(Arc::new(client)),
            settings: Mutex::new(settings),
            alert_relabel: Mutex::new(alert_relabel),
            wake: tokio::sync::Notify::new(),
            closing: AtomicBool::new(false),
            task: Mutex::new(None),
        });
        let task = tokio::spawn(run(peer.clone(), queue.clone()));
        *lock(&peer.task) = Some(task);
        peer
    }

    pub fn settings(&self) -> AlertmanagerSettings {
        lock(&self.settings).clone()
    }

    pub fn alert_relabel(&self) -> Arc<Relabeling> {
        lock(&self.alert_relabel).clone()
    }

    /// Swaps in a client built from changed settings (a reload); the queue and counters stay.
    pub fn update(
        &self,
        client: Option<(AlertmanagerClient, AlertmanagerSettings)>,
        alert_relabel: Arc<Relabeling>,
        labels: crate::rule::Labels,
    ) {
        if let Some((c, s)) = client {
            *lock(&self.client) = Arc::new(c);
            *lock(&self.settings) = s;
        }
        *lock(&self.alert_relabel) = alert_relabel;
        lock(&self.state).status.labels = labels;
    }

    /// Queues entries for this peer and wakes the sender. Never waits for the network.
    pub fn push(&self, entries: Vec<Entry>) {
        if entries.is_empty() {
            return;
        }
        let mut st = lock(&self.state);
        let mut total = Outcome::default();
        for e in entries {
            let o = st.queue.push(e);
            total.superseded += o.superseded;
            total.dropped += o.dropped;
        }
        self.count(&mut st, total);
        drop(st);
        self.wake.notify_one();
    }

    fn count(&self, st: &mut State, o: Outcome) {
        st.status.superseded_total += o.superseded as u64;
        if o.dropped == 0 {
            return;
        }
        st.status.dropped_total += o.dropped as u64;
        st.unlogged_drops += o.dropped as u64;
        let due = st
            .last_drop_log
            .is_none_or(|t| t.elapsed() >= DROP_LOG_EVERY);
        if due {
            tracing::warn!(
                peer = %self.addr,
                dropped = st.unlogged_drops,
                dropped_total = st.status.dropped_total,
                capacity = st.queue.capacity(),
                "notifier queue full: dropped the oldest alerts"
            );
            st.unlogged_drops = 0;
            st.last_drop_log = Some(std::time::Instant::now());
        }
    }

    pub fn status(&self) -> PeerStatus {
        let st = lock(&self.state);
        PeerStatus {
            queue_depth: st.queue.waiting(),
            in_flight: st.queue.in_flight(),
            ..st.status.clone()
        }
    }

    /// The last state of each alert the peer acknowledged: (acknowledged at, the JSON object), newest first.
    pub fn delivered(&self) -> Vec<(i64, bytes::Bytes)> {
        let st = lock(&self.state);
        let mut out: Vec<(i64, bytes::Bytes)> = st.delivered.values().cloned().collect();
        out.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
        out
    }

    /// Alerts not delivered yet: waiting and in flight.
    pub fn undelivered(&self) -> usize {
        let st = lock(&self.state);
        st.queue.waiting() + st.queue.in_flight()
    }

    /// Asks the sender to finish once the queue is empty.
    pub fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    pub fn take_task(&self) -> Option<tokio::task::JoinHandle<()>> {
        lock(&self.task).take()
    }

    /// Stops the sender now and empties the queue; returns how many alerts were left undelivered.
    pub fn stop(&self) -> usize {
        if let Some(t) = self.take_task() {
            t.abort();
        }
        let mut st = lock(&self.state);
        let left = st.queue.waiting() + st.queue.in_flight();
        st.queue.clear();
        left
    }
}

/// The sender: take a batch, send it, account for the answer, back off after a failure.
async fn run(peer: Arc<Peer>, settings: QueueSettings) {
    let mut backoff: Option<backon::ExponentialBackoff> = None;
    loop {
        let batch: Batch = loop {
            let taken = lock(&peer.state).queue.take_batch(settings.max_batch);
            if let Some(b) = taken {
                break b;
            }
            if peer.closing.load(Ordering::SeqCst) {
                return;
            }
            peer.wake.notified().await;
        };
        let client = lock(&peer.client).clone();
        let n = batch.len() as u64;
        let payload = Payload {
            body: batch.body(),
            alerts: batch.len(),
        };
        let attempt_ms = wall_ms();
        let result = client.send(&payload, batch.headers()).await;
        let now = wall_ms();
        // The lock is held only in this block: nothing below it waits while holding it.
        let retry: Option<SendError> = {
            let mut st = lock(&peer.state);
            st.status.sent_total += n;
            st.status.last_attempt_ms = Some(attempt_ms);
            match result {
                Ok(()) => {
                    for entry in batch.entries() {
                        let key = delivered_key(&entry.key);
                        st.delivered.insert(key, (now, entry.body.clone()));
                    }
                    if st.delivered.len() >= 2 * DELIVERED_KEPT {
                        trim_delivered(&mut st.delivered);
                    }
                    st.queue.complete(batch);
                    st.status.delivered_total += n;
                    st.status.last_success_ms = Some(now);
                    None
                }
                Err(e) => {
                    st.status.errors_total += n;
                    st.status.last_error = Some(e.to_string());
                    st.status.last_error_ms = Some(now);
                    if rejects_request(&e) {
                        st.queue.complete(batch);
                        st.status.rejected_total += n;
                        tracing::warn!(peer = %peer.addr, alerts = n, error = %e, "alertmanager rejected the alerts; not retrying them");
                        None
                    } else {
                        let outcome = st.queue.give_back(batch);
                        peer.count(&mut st, outcome);
                        Some(e)
                    }
                }
            }
        };
        match retry {
            None => backoff = None,
            Some(e) => {
                let delay = backoff
                    .get_or_insert_with(|| {
                        let b = backon::ExponentialBuilder::default()
                            .with_min_delay(settings.min_backoff)
                            .with_max_delay(settings.max_backoff)
                            .with_factor(2.0)
                            .without_max_times();
                        if settings.jitter {
                            b.with_jitter().build()
                        } else {
                            b.build()
                        }
                    })
                    .next()
                    .unwrap_or(settings.max_backoff);
                tracing::warn!(peer = %peer.addr, alerts = n, retry_in = ?delay, error = %e, "cannot send alerts; will retry");
                tokio::time::sleep(delay).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_keeps_the_most_recent_deliveries() {
        let mut map = std::collections::HashMap::new();
        for i in 0..(2 * DELIVERED_KEPT as u64) {
            map.insert(i, (i as i64, bytes::Bytes::new()));
        }
        trim_delivered(&mut map);
        assert_eq!(map.len(), DELIVERED_KEPT);
        let oldest = map.values().map(|(t, _)| *t).min();
        assert_eq!(oldest, Some(DELIVERED_KEPT as i64));
    }
}
