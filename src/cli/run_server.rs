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
        crate::server::metrics::write_remotewrite(e, &handle.stats().snapshot());
    })
}
