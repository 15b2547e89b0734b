//! Direct fan-out without queues: one batch goes to **every** configured Alertmanager at once, and the caller waits
//! for one result per peer. `tocsin run` uses the queued [`super::Notifier`]; this is for one-shot sends and tests
//! of the client against real peers.
//!
//! Alertmanager peers do not share alerts with each other, so every alert must reach every peer; a slow or dead
//! peer must not hold up the others, so the sends run concurrently, each bounded by its own timeout. Whether an
//! alert counts as sent (`AlertingRule::mark_sent`) is the caller's decision, made from the [`SendReport`]: vmalert
//! marks regardless of the outcome, the HA design advances only on success. Knows nothing about evaluation.

use super::config::AlertmanagerSettings;
use super::dispatch::BLACKHOLE_ADDR;
use super::payload::{self, Payload, PayloadContext};
use super::send::{AlertmanagerClient, ClientError, PeerStats, SendError};
use crate::rule::Alert;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The outcome of one send to one peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerResult {
    /// The peer's redacted URL (`blackhole` for the blackhole notifier).
    pub addr: String,
    pub result: Result<(), SendError>,
}

/// The outcome of one batch, one entry per peer in configuration order. Empty when there was nothing to send.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendReport {
    pub peers: Vec<PeerResult>,
}

impl SendReport {
    /// Every peer accepted the batch (true for an empty report).
    pub fn all_ok(&self) -> bool {
        self.peers.iter().all(|p| p.result.is_ok())
    }

    /// At least one peer accepted the batch.
    pub fn any_ok(&self) -> bool {
        self.peers.iter().any(|p| p.result.is_ok())
    }

    /// The failures, in peer order.
    pub fn errors(&self) -> impl Iterator<Item = &SendError> {
        self.peers.iter().filter_map(|p| p.result.as_ref().err())
    }
}

/// Where notifications go: every configured Alertmanager, or nowhere (`-notifier.blackhole`).
#[derive(Debug, Clone)]
pub struct Fanout {
    targets: Targets,
}

#[derive(Debug, Clone)]
enum Targets {
    Alertmanagers(Vec<AlertmanagerClient>),
    /// Accepts and drops everything; counts what it dropped.
    Blackhole(Arc<PeerStats>),
}

impl Fanout {
    /// A notifier for these clients, sent to in this order (the order only matters for the report).
    pub fn new(clients: Vec<AlertmanagerClient>) -> Self {
        Fanout {
            targets: Targets::Alertmanagers(clients),
        }
    }

    /// Builds one client per `-notifier.url`.
    pub fn from_settings(settings: &[AlertmanagerSettings]) -> Result<Self, ClientError> {
        let clients = settings
            .iter()
            .map(AlertmanagerClient::new)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Fanout::new(clients))
    }

    /// `-notifier.blackhole`: every send succeeds at once and goes nowhere.
    pub fn blackhole() -> Self {
        Fanout {
            targets: Targets::Blackhole(Arc::new(PeerStats::default())),
        }
    }

    /// The peers, as `(addr, counters)`.
    pub fn peers(&self) -> Vec<(&str, &PeerStats)> {
        match &self.targets {
            Targets::Alertmanagers(clients) => {
                clients.iter().map(|c| (c.addr(), c.stats())).collect()
            }
            Targets::Blackhole(stats) => vec![(BLACKHOLE_ADDR, stats.as_ref())],
        }
    }

    /// The Alertmanager clients (none for the blackhole), for callers that queue per peer.
    pub fn clients(&self) -> &[AlertmanagerClient] {
        match &self.targets {
            Targets::Alertmanagers(clients) => clients,
            Targets::Blackhole(_) => &[],
        }
    }

    /// Builds the payload for `alerts` and sends it to every peer concurrently. Nothing is sent, and the report is
    /// empty, when `alerts` is empty.
    pub async fn send(
        &self,
        alerts: &[&Alert],
        ctx: &PayloadContext<'_>,
        notifier_headers: &[(String, String)],
    ) -> SendReport {
        if alerts.is_empty() {
            return SendReport::default();
        }
        self.send_payload(&payload::build(alerts, ctx), notifier_headers)
            .await
    }

    /// Sends an already built payload to every peer concurrently; returns when every peer has answered or timed
    /// out.
    pub async fn send_payload(
        &self,
        payload: &Payload,
        notifier_headers: &[(String, String)],
    ) -> SendReport {
        match &self.targets {
            Targets::Blackhole(stats) => {
                stats
                    .alerts_sent
                    .fetch_add(payload.alerts as u64, Ordering::Relaxed);
                SendReport {
                    peers: vec![PeerResult {
                        addr: BLACKHOLE_ADDR.to_string(),
                        result: Ok(()),
                    }],
                }
            }
            Targets::Alertmanagers(clients) => {
                let sends = clients.iter().map(|c| async move {
                    let result = c.send(payload, notifier_headers).await;
                    if let Err(e) = &result {
                        // Debug only: the caller logs the failure once, with its group and rule.
                        tracing::debug!(peer = c.addr(), alerts = payload.alerts, error = %e, "notifier send failed");
                    }
                    PeerResult {
                        addr: c.addr().to_string(),
                        result,
                    }
                });
                SendReport {
                    peers: futures_util::future::join_all(sends).await,
                }
            }
        }
    }
}
