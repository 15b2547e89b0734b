//! Wiring of the HTTP server for `tocsin run`: its state from the resolved settings, the flags as `/flags`
//! shows them, and the metric families of the notifier and remote write. Wiring only.

use super::flags::ParsedFlags;
use super::run_flags::RUN_FLAGS;
use super::run_settings::RunSettings;
use crate::group::snapshot::StateRegistry;
use crate::notifier::Notifier;
use crate::remotewrite::RemoteWriteHandle;
use crate::server::{ApiNotifier, ApiTarget, MetricsProvider, ServerState};
use std::sync::Arc;

/// The flags given, as `/flags` shows them: secrets masked, credentials in URLs redacted.
pub fn shown_flags(parsed: &ParsedFlags) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, values) in &parsed.values {
        let secret = RUN_FLAGS.iter().any(|s| s.name == *name && s.secret);
        let value = if secret {
            "secret".to_string()
        } else if name.ends_with(".url") || name.ends_with("URL") {
            values
                .iter()
                .map(|v| crate::notifier::redact(v))
                .collect::<Vec<_>>()
                .join(",")
        } else {
            values.join(",")
        };
        out.push((name.to_string(), value));
    }
    out
}

/// The server's state for `tocsin run`.
pub fn state(
    settings: &RunSettings,
    parsed: &ParsedFlags,
    registry: Arc<StateRegistry>,
    alert_source: Arc<dyn crate::notifier::AlertSource>,
    notifier: Notifier,
) -> ServerState {
    let mut s = ServerState::new(registry).with_path_prefix(&settings.http_path_prefix);
    s.auth = settings.http_auth.clone();
    s.alert_source = alert_source;
    s.datasource_url = crate::notifier::redact(&settings.datasource.url);
    s.update_entries_limit = settings.update_entries_limit;
    s.flags = shown_flags(parsed);
    let peers = notifier.clone();
    s.notifiers = Arc::new(move || {
        let targets: Vec<ApiTarget> = peers
            .peers()
            .into_iter()
            .map(|p| ApiTarget {
                address: p.addr,
                labels: p.labels,
                last_error: p.last_error.unwrap_or_default(),
            })
            .collect();
        if targets.is_empty() {
            Vec::new()
        } else {
            vec![ApiNotifier {
                kind: "static".to_string(),
                targets,
            }]
        }
    });
    let notifier_metrics: MetricsProvider = Arc::new(move |e| {
        crate::server::metrics::write_notifier(e, &notifier.peers());
    });
    s.metrics.push(notifier_metrics);
    s
}

/// `/metrics` families of the remote writer.
pub fn remotewrite_metrics(handle: RemoteWriteHandle) -> MetricsProvider {
    Arc::new(move |e| {
        let stats = handle.stats().snapshot();
        crate::server::metrics::write_remotewrite(e, &stats);
        crate::server::metrics::write_remotewrite_disk(e, &stats, handle.disk_usage());
    })
}

/// What each Alertmanager peer acknowledged, for the UI's peers page: the notifier keeps the JSON objects it sent;
/// this reads back labels, `startsAt` and `endsAt` (an `endsAt` at or before the acknowledgement means resolved).
pub fn deliveries(notifier: &crate::notifier::Notifier) -> Vec<crate::server::ui::PeerDeliveries> {
    notifier
        .deliveries()
        .into_iter()
        .map(|(url, sent)| crate::server::ui::PeerDeliveries {
            url,
            alerts: sent
                .iter()
                .filter_map(|(at, body)| delivered_alert(*at, body))
                .collect(),
        })
        .collect()
}

fn delivered_alert(sent_ms: i64, body: &[u8]) -> Option<crate::server::ui::DeliveredAlert> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let time = |k: &str| {
        v.get(k)
            .and_then(|t| t.as_str())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp_millis())
    };
    let labels = v
        .get("labels")?
        .as_object()?
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let ends_at_ms = time("endsAt").unwrap_or(0);
    Some(crate::server::ui::DeliveredAlert {
        labels,
        resolved: ends_at_ms != 0 && ends_at_ms <= sent_ms,
        sent_ms,
        starts_at_ms: time("startsAt").unwrap_or(0),
        ends_at_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_object_reads_back_for_the_peers_page() {
        let body = br#"{"labels":{"alertname":"A","x":"1"},"annotations":{},"startsAt":"2026-11-25T07:00:00Z","endsAt":"2026-11-25T07:00:10.5Z","generatorURL":""}"#;
        let start = 1_795_590_000_000; // 2026-11-25T07:00:00Z
        let firing = delivered_alert(start + 5_000, body).expect("parsed");
        assert_eq!(firing.labels.get("x").map(String::as_str), Some("1"));
        assert_eq!(
            (firing.starts_at_ms, firing.ends_at_ms),
            (start, start + 10_500)
        );
        assert!(!firing.resolved, "endsAt still ahead when acknowledged");
        assert!(
            delivered_alert(start + 20_000, body)
                .expect("parsed")
                .resolved
        );
        assert!(delivered_alert(1, b"not json").is_none());
    }
}
