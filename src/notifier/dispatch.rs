//! [`Notifier`]: where a group runner's due alerts go. Every alert is queued for **every** Alertmanager peer (never
//! one of N), each peer with its own bounded queue and sender (`peer.rs`), so [`Notifier::enqueue`] returns at once
//! and a dead or slow peer delays nobody. Alert relabeling happens here: the global `alert_relabel_configs` once
//! per alert, then each target's own.
//!
//! The set of peers can be replaced while running ([`Notifier::apply`]): peers whose endpoint is unchanged keep their
//! queue and counters. Shutdown drains the queues within a bound and says what was left.
//!
//! Knows nothing about evaluation: it is handed finished alerts and never chooses or changes them.

use super::config::AlertmanagerSettings;
use super::payload::{self, PayloadContext};
use super::peer::{Peer, PeerStatus, QueueSettings};
use super::queue::{AlertKey, Entry};
use super::relabel::Relabeling;
use super::send::{AlertmanagerClient, ClientError};
use crate::rule::labels;
use crate::rule::{Alert, Labels};
use bytes::Bytes;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The `addr` the blackhole notifier reports, as vmalert does.
pub const BLACKHOLE_ADDR: &str = "blackhole";

/// One Alertmanager to deliver to.
#[derive(Debug, Clone)]
pub struct Target {
    pub settings: AlertmanagerSettings,
    /// The target's own `alert_relabel_configs`, run after the global ones.
    pub alert_relabel: Arc<Relabeling>,
    /// What discovery and target relabeling left, shown with the peer's status.
    pub labels: Labels,
}

impl Target {
    pub fn new(settings: AlertmanagerSettings) -> Self {
        Target {
            settings,
            alert_relabel: Arc::new(Relabeling::default()),
            labels: Labels::new(),
        }
    }
}

/// Every peer to deliver to, and the global alert relabeling.
#[derive(Debug, Clone, Default)]
pub struct TargetSet {
    pub targets: Vec<Target>,
    pub alert_relabel: Arc<Relabeling>,
}

/// What [`Notifier::apply`] changed, by redacted address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadReport {
    pub added: Vec<String>,
    pub kept: Vec<String>,
    /// Removed peers and the alerts that were still queued for them.
    pub removed: Vec<(String, usize)>,
    /// Targets left out because another target has the same endpoint (the caller reports them, unless
    /// `-notifier.suppressDuplicateTargetErrors`).
    pub duplicates: Vec<String>,
}

impl ReloadReport {
    /// Logs every skipped duplicate target as an error (at debug level with `suppress`).
    pub fn log_duplicates(&self, suppress: bool) {
        for d in &self.duplicates {
            if suppress {
                tracing::debug!(peer = %d, "skipping duplicate notifier target with the same address");
            } else {
                tracing::error!(peer = %d, "skipping duplicate notifier target with the same address; check static_configs, discovery and relabel_configs");
            }
        }
    }
}

/// What [`Notifier::shutdown`] could not deliver in time, per peer (redacted address, alerts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    pub undelivered: Vec<(String, usize)>,
}

impl ShutdownReport {
    pub fn total(&self) -> usize {
        self.undelivered.iter().map(|(_, n)| n).sum()
    }
}

#[derive(Debug)]
struct Inner {
    /// `-notifier.blackhole`: every alert is accepted and counted here.
    blackhole: Option<Mutex<PeerStatus>>,
    peers: Mutex<Vec<Arc<Peer>>>,
    alert_relabel: Mutex<Arc<Relabeling>>,
    queue: QueueSettings,
    /// The discovery loop feeding [`Notifier::apply`], stopped at shutdown or when replaced.
    discovery: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Delivers alerts to every Alertmanager peer through per-peer queues. Cheap to clone; clones share everything.
#[derive(Debug, Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain data behind these locks; a panic elsewhere does not make it unusable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Notifier {
    /// A notifier with no peers yet (see [`Notifier::apply`]); needs a tokio runtime for its sender tasks.
    pub fn empty(queue: QueueSettings) -> Self {
        Notifier {
            inner: Arc::new(Inner {
                blackhole: None,
                peers: Mutex::new(Vec::new()),
                alert_relabel: Mutex::new(Arc::new(Relabeling::default())),
                queue,
                discovery: Mutex::new(None),
            }),
        }
    }

    /// One peer per `-notifier.url`, in order.
    pub fn from_settings(
        settings: &[AlertmanagerSettings],
        queue: QueueSettings,
    ) -> Result<Self, ClientError> {
        let n = Notifier::empty(queue);
        let report = n.apply(TargetSet {
            targets: settings.iter().cloned().map(Target::new).collect(),
            alert_relabel: Arc::new(Relabeling::default()),
        })?;
        report.log_duplicates(false);
        Ok(n)
    }

    /// `-notifier.blackhole`: every alert is accepted at once and goes nowhere.
    pub fn blackhole() -> Self {
        Notifier {
            inner: Arc::new(Inner {
                blackhole: Some(Mutex::new(PeerStatus {
                    addr: BLACKHOLE_ADDR.to_string(),
                    ..PeerStatus::default()
                })),
                peers: Mutex::new(Vec::new()),
                alert_relabel: Mutex::new(Arc::new(Relabeling::default())),
                queue: QueueSettings::default(),
                discovery: Mutex::new(None),
            }),
        }
    }

    pub fn queue_settings(&self) -> &QueueSettings {
        &self.inner.queue
    }

    /// Replaces the set of peers. Every client is built first: if one cannot be, nothing changes. A peer whose
    /// endpoint stays keeps its queue and counters (its client is rebuilt only when its settings changed); new
    /// peers start empty; removed peers are stopped and their queued alerts dropped (reported).
    pub fn apply(&self, set: TargetSet) -> Result<ReloadReport, ClientError> {
        let mut report = ReloadReport::default();
        let mut built: Vec<(AlertmanagerClient, Target)> = Vec::with_capacity(set.targets.len());
        for t in set.targets {
            let client = AlertmanagerClient::new(&t.settings)?;
            if built.iter().any(|(c, _)| c.endpoint() == client.endpoint()) {
                report.duplicates.push(client.addr().to_string());
                continue;
            }
            built.push((client, t));
        }
        let mut peers = lock(&self.inner.peers);
        let mut next = Vec::with_capacity(built.len());
        for (client, t) in built {
            match peers.iter().find(|p| p.endpoint == client.endpoint()) {
                Some(p) => {
                    let changed = p.settings() != t.settings;
                    p.update(
                        changed.then_some((client, t.settings)),
                        t.alert_relabel,
                        t.labels,
                    );
                    report.kept.push(p.addr.clone());
                    next.push(p.clone());
                }
                None => {
                    let p = Peer::start(
                        client,
                        t.settings,
                        t.alert_relabel,
                        t.labels,
                        &self.inner.queue,
                    );
                    report.added.push(p.addr.clone());
                    next.push(p);
                }
            }
        }
        for old in peers.iter() {
            if !next.iter().any(|p| Arc::ptr_eq(p, old)) {
                let left = old.stop();
                if left > 0 {
                    tracing::warn!(peer = %old.addr, alerts = left, "notifier target removed with alerts still queued");
                }
                report.removed.push((old.addr.clone(), left));
            }
        }
        *peers = next;
        drop(peers);
        *lock(&self.inner.alert_relabel) = set.alert_relabel;
        Ok(report)
    }

    /// Queues `alerts` (one rule's due alerts, all of group `ctx.group_id`) for every peer, after alert relabeling,
    /// and returns at once. True when they were accepted: the blackhole, or at least one peer to queue for (alerts
    /// that relabeling drops count as accepted). False when there is no peer at all (nothing discovered yet).
    pub fn enqueue(
        &self,
        alerts: &[Arc<Alert>],
        ctx: &PayloadContext<'_>,
        headers: &[(String, String)],
    ) -> bool {
        if let Some(bh) = &self.inner.blackhole {
            let mut st = lock(bh);
            st.sent_total += alerts.len() as u64;
            st.delivered_total += alerts.len() as u64;
            return true;
        }
        let peers = lock(&self.inner.peers).clone();
        if peers.is_empty() {
            return false;
        }
        if alerts.is_empty() {
            return true;
        }
        let global = lock(&self.inner.alert_relabel).clone();
        let headers = Arc::new(headers.to_vec());
        // Labels after the global relabeling, and the body every peer without its own relabeling shares.
        let prepared: Vec<(&Alert, Labels, Bytes)> = alerts
            .iter()
            .filter_map(|a| {
                let base = payload::sent_labels(a.labels.iter());
                let labels = if global.is_empty() {
                    Some(base)
                } else {
                    global.apply(&base)
                }?;
                let body = Bytes::from(payload::alert_object(a, labels::pairs(&labels), ctx));
                Some((a.as_ref(), labels, body))
            })
            .collect();
        for peer in &peers {
            let own = peer.alert_relabel();
            let entries: Vec<Entry> = prepared
                .iter()
                .filter_map(|(a, labels, shared)| {
                    let body = if own.is_empty() {
                        shared.clone()
                    } else {
                        let l = own.apply(labels)?;
                        Bytes::from(payload::alert_object(a, labels::pairs(&l), ctx))
                    };
                    Some(Entry {
                        key: AlertKey {
                            group_id: ctx.group_id,
                            labels: a.labels.clone(),
                        },
                        body,
                        headers: headers.clone(),
                    })
                })
                .collect();
            peer.push(entries);
        }
        true
    }

    /// Every peer's status, in target order (the blackhole's, with `-notifier.blackhole`).
    pub fn peers(&self) -> Vec<PeerStatus> {
        if let Some(bh) = &self.inner.blackhole {
            return vec![lock(bh).clone()];
        }
        lock(&self.inner.peers).iter().map(|p| p.status()).collect()
    }

    /// Per peer (its redacted address): the last state of each alert it acknowledged, as (time, JSON object).
    pub fn deliveries(&self) -> Vec<(String, Vec<(i64, bytes::Bytes)>)> {
        lock(&self.inner.peers)
            .iter()
            .map(|p| (p.addr.clone(), p.delivered()))
            .collect()
    }

    /// Hands the discovery loop to the notifier, which stops it at shutdown or when another one is set.
    pub fn set_discovery(&self, task: tokio::task::JoinHandle<()>) {
        if let Some(old) = lock(&self.inner.discovery).replace(task) {
            old.abort();
        }
    }

    pub(super) fn take_discovery(&self) -> Option<tokio::task::JoinHandle<()>> {
        lock(&self.inner.discovery).take()
    }

    /// Stops discovery, lets every sender empty its queue for at most `timeout`, then stops them. Returns what was
    /// left undelivered per peer.
    pub async fn shutdown(&self, timeout: Duration) -> ShutdownReport {
        if let Some(d) = self.take_discovery() {
            d.abort();
        }
        let peers = lock(&self.inner.peers).clone();
        let mut tasks = Vec::with_capacity(peers.len());
        for p in &peers {
            p.close();
            if let Some(t) = p.take_task() {
                tasks.push(t);
            }
        }
        let aborts: Vec<tokio::task::AbortHandle> =
            tasks.iter().map(|t| t.abort_handle()).collect();
        if tokio::time::timeout(timeout, futures_util::future::join_all(tasks))
            .await
            .is_err()
        {
            for a in aborts {
                a.abort();
            }
        }
        ShutdownReport {
            undelivered: peers
                .iter()
                .map(|p| (p.addr.clone(), p.undelivered()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests;
