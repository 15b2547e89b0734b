//! What the UI needs to know about Alertmanager peers, as small plain structs the notifier fills through the
//! provider closures in [`super::UiState`]: each peer's queue and last outcomes, and the alerts each peer has
//! acknowledged from this replica. Also their view models. Pure: the UI never talks to a peer itself.

use super::view::{Pair, When, pairs};
use crate::rule::Labels;
use serde::Serialize;

/// One Alertmanager peer's delivery status.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PeerStatus {
    /// The peer's address as shown to people: no credentials in it.
    pub url: String,
    /// Alerts waiting in this peer's queue.
    pub queue_depth: usize,
    pub queue_capacity: usize,
    /// The last acknowledged send (milliseconds since the epoch).
    pub last_success_ms: Option<i64>,
    /// The last failed send and why, secrets scrubbed.
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
    pub sent_total: u64,
    pub errors_total: u64,
}

/// The notifier's per-peer status as the UI shows it: the queue depth counts the batch in flight too.
impl From<crate::notifier::PeerStatus> for PeerStatus {
    fn from(s: crate::notifier::PeerStatus) -> Self {
        PeerStatus {
            url: s.addr,
            queue_depth: s.queue_depth + s.in_flight,
            queue_capacity: s.queue_capacity,
            last_success_ms: s.last_success_ms,
            last_error: s.last_error,
            last_error_ms: s.last_error_ms,
            sent_total: s.sent_total,
            errors_total: s.errors_total,
        }
    }
}

/// What one peer acknowledged from this replica, latest send per alert.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PeerDeliveries {
    pub url: String,
    pub alerts: Vec<DeliveredAlert>,
}

/// One alert as a peer last received it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveredAlert {
    pub labels: Labels,
    /// `firing` or `resolved`, as the payload said (`endsAt` in the past means resolved).
    pub resolved: bool,
    /// When the peer acknowledged it.
    pub sent_ms: i64,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
}

/// A row of the notifiers page.
#[derive(Debug, Serialize)]
pub struct PeerRow {
    pub url: String,
    pub queue_depth: usize,
    pub queue_capacity: usize,
    pub queue_full: bool,
    pub last_success: Option<When>,
    pub last_error: Option<String>,
    pub last_error_at: Option<When>,
    pub sent_total: u64,
    pub errors_total: u64,
    /// The peer failed after its last success (or never succeeded).
    pub failing: bool,
}

/// The notifiers page.
#[derive(Debug, Serialize)]
pub struct NotifiersView {
    pub peers: Vec<PeerRow>,
    pub failing: usize,
    pub peers_href: String,
}

pub fn notifiers_view(peers: Vec<PeerStatus>, prefix: &str, now_ms: i64) -> NotifiersView {
    let rows: Vec<PeerRow> = peers
        .into_iter()
        .map(|p| {
            let failing = match (p.last_error_ms, p.last_success_ms) {
                (Some(e), Some(s)) => e >= s,
                (Some(_), None) => true,
                (None, _) => false,
            };
            PeerRow {
                queue_full: p.queue_capacity > 0 && p.queue_depth >= p.queue_capacity,
                last_success: When::maybe(p.last_success_ms, now_ms),
                last_error_at: When::maybe(p.last_error_ms, now_ms),
                url: p.url,
                queue_depth: p.queue_depth,
                queue_capacity: p.queue_capacity,
                last_error: p.last_error,
                sent_total: p.sent_total,
                errors_total: p.errors_total,
                failing,
            }
        })
        .collect();
    NotifiersView {
        failing: rows.iter().filter(|r| r.failing).count(),
        peers: rows,
        peers_href: format!("{prefix}/vmalert/peers"),
    }
}

/// One alert on the delivered page.
#[derive(Debug, Serialize)]
pub struct DeliveredRow {
    pub alertname: String,
    pub labels: Vec<Pair>,
    pub state: &'static str,
    pub sent: When,
    pub starts_at: String,
    pub ends_at: String,
}

/// One peer on the delivered page.
#[derive(Debug, Serialize)]
pub struct PeerDeliveriesView {
    pub url: String,
    pub firing: usize,
    pub resolved: usize,
    pub alerts: Vec<DeliveredRow>,
}

/// The delivered page: what every peer holds from this replica, so a missing or stale alert on one peer shows.
#[derive(Debug, Serialize)]
pub struct DeliveriesView {
    pub peers: Vec<PeerDeliveriesView>,
    /// Alerts the peers do not agree on: missing on some, or firing on one and resolved on another.
    pub differing: Vec<Difference>,
    pub differing_count: usize,
}

/// One alert the peers disagree on.
#[derive(Debug, Serialize)]
pub struct Difference {
    /// The label set, `{a="b", …}`.
    pub labels: String,
    /// `url: firing`, `url: resolved` or `url: missing`, one per peer.
    pub states: Vec<String>,
}

pub fn deliveries_view(peers: Vec<PeerDeliveries>, now_ms: i64) -> DeliveriesView {
    let label_set = |l: &Labels| {
        let inner: Vec<String> = l.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
        format!("{{{}}}", inner.join(", "))
    };
    // label set -> state on each peer (None: the peer does not hold it).
    let mut seen: std::collections::BTreeMap<String, Vec<Option<&'static str>>> =
        std::collections::BTreeMap::new();
    for (i, p) in peers.iter().enumerate() {
        for a in &p.alerts {
            let states = seen
                .entry(label_set(&a.labels))
                .or_insert_with(|| vec![None; peers.len()]);
            states[i] = Some(if a.resolved { "resolved" } else { "firing" });
        }
    }
    let differing: Vec<Difference> = seen
        .into_iter()
        .filter(|(_, states)| states.iter().any(|s| *s != states[0]))
        .map(|(labels, states)| Difference {
            labels,
            states: peers
                .iter()
                .zip(states)
                .map(|(p, s)| format!("{}: {}", p.url, s.unwrap_or("missing")))
                .collect(),
        })
        .collect();
    let peers = peers
        .into_iter()
        .map(|p| {
            let mut alerts: Vec<DeliveredRow> = p
                .alerts
                .iter()
                .map(|a| DeliveredRow {
                    alertname: a.labels.get("alertname").cloned().unwrap_or_default(),
                    labels: pairs(&a.labels),
                    state: if a.resolved { "resolved" } else { "firing" },
                    sent: When::at(a.sent_ms, now_ms),
                    starts_at: super::view::utc(a.starts_at_ms),
                    ends_at: super::view::utc(a.ends_at_ms),
                })
                .collect();
            alerts.sort_by(|a, b| (a.state, &a.alertname).cmp(&(b.state, &b.alertname)));
            PeerDeliveriesView {
                firing: p.alerts.iter().filter(|a| !a.resolved).count(),
                resolved: p.alerts.iter().filter(|a| a.resolved).count(),
                url: p.url,
                alerts,
            }
        })
        .collect();
    DeliveriesView {
        differing_count: differing.len(),
        peers,
        differing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifier_status_maps_onto_the_ui_row() {
        let n = crate::notifier::PeerStatus {
            addr: "http://am-0:9093".to_string(),
            queue_depth: 3,
            in_flight: 2,
            queue_capacity: 10,
            sent_total: 7,
            errors_total: 4,
            last_error: Some("unexpected status 503".to_string()),
            last_error_ms: Some(5),
            last_success_ms: Some(4),
            ..Default::default()
        };
        let ui = PeerStatus::from(n);
        assert_eq!(ui.url, "http://am-0:9093");
        assert_eq!((ui.queue_depth, ui.queue_capacity), (5, 10));
        assert_eq!((ui.sent_total, ui.errors_total), (7, 4));
        assert_eq!(ui.last_error.as_deref(), Some("unexpected status 503"));
        assert_eq!((ui.last_error_ms, ui.last_success_ms), (Some(5), Some(4)));
    }
}
