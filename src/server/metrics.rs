//! `/metrics`: vmalert's self-metrics computed from registry snapshots (groups, rules, alerts, executions), the
//! reload counters, the families other modules contribute through [`MetricsProvider`]s (notifier, remote
//! write), and a few process metrics. Names and labels follow vmalert so its dashboards and alerts keep working;
//! `docs/api.md` lists them. Rendering only: counters live where the events happen.

use super::text::{Exposition, Kind};
use crate::group::snapshot::GroupSnapshot;
use crate::group::snapshot::ReloadStats;
use crate::rule::AlertState;
use std::sync::Arc;

/// Adds metric families to the exposition (each family complete in one call).
pub type MetricsProvider = Arc<dyn Fn(&mut Exposition) + Send + Sync>;

/// The quantiles vmalert's summaries report.
const QUANTILES: [(f64, &str); 5] = [
    (0.5, "0.5"),
    (0.9, "0.9"),
    (0.97, "0.97"),
    (0.99, "0.99"),
    (1.0, "1"),
];

/// Renders the whole `/metrics` page.
pub fn render(
    groups: &[Arc<GroupSnapshot>],
    reload: ReloadStats,
    providers: &[MetricsProvider],
) -> String {
    let mut e = Exposition::new();
    group_metrics(&mut e, groups);
    rule_metrics(&mut e, groups);
    reload_metrics(&mut e, reload);
    ha_metrics(&mut e, groups);
    for p in providers {
        p(&mut e);
    }
    super::process::write(&mut e);
    e.finish()
}

fn group_metrics(e: &mut Exposition, groups: &[Arc<GroupSnapshot>]) {
    type Get = fn(&GroupSnapshot) -> f64;
    let simple: [(&str, Kind, &str, Get); 4] = [
        (
            "vmalert_iteration_total",
            Kind::Counter,
            "evaluations of the group since it started",
            |g| g.iterations as f64,
        ),
        (
            "vmalert_iteration_missed_total",
            Kind::Counter,
            "ticks skipped because an evaluation overran",
            |g| g.missed as f64,
        ),
        (
            "vmalert_iteration_interval_seconds",
            Kind::Gauge,
            "the group's evaluation interval",
            |g| g.group.interval.as_millis() as f64 / 1000.0,
        ),
        (
            "vmalert_group_rule_results_limit",
            Kind::Gauge,
            "maximum alerts or series per rule of the group (0: no limit)",
            |g| g.group.limit as f64,
        ),
    ];
    for (name, kind, help, get) in simple {
        e.family(name, kind, help);
        for g in groups {
            e.sample(
                name,
                &[("group", &g.group.name), ("file", &g.group.file)],
                get(g),
            );
        }
    }
    let name = "vmalert_iteration_duration_seconds";
    e.family(
        name,
        Kind::Summary,
        "wall-clock time of group evaluations (quantiles over the latest evaluations)",
    );
    for g in groups {
        let labels = [
            ("group", g.group.name.as_str()),
            ("file", g.group.file.as_str()),
        ];
        let mut sorted = g.recent_durations_ms.clone();
        sorted.sort_unstable();
        for (q, text) in QUANTILES {
            if let Some(v) = quantile(&sorted, q) {
                e.sample(
                    name,
                    &[labels[0], labels[1], ("quantile", text)],
                    v as f64 / 1000.0,
                );
            }
        }
        e.sample(
            "vmalert_iteration_duration_seconds_sum",
            &labels,
            g.duration_sum_ms as f64 / 1000.0,
        );
        e.sample(
            "vmalert_iteration_duration_seconds_count",
            &labels,
            g.iterations as f64,
        );
    }
}

/// The `q` quantile of sorted values (nearest rank), `None` when empty.
fn quantile(sorted: &[u64], q: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * (sorted.len() - 1) as f64).round() as usize;
    sorted.get(rank.min(sorted.len() - 1)).copied()
}

/// One rule of one group, with what its per-rule metrics need.
struct RuleRow<'a> {
    alerting: bool,
    name: &'a str,
    group: &'a str,
    file: &'a str,
    id: String,
    pending: usize,
    firing: usize,
    failed: bool,
    errors: u64,
    samples: usize,
    series_fetched: Option<u64>,
}

fn rows(groups: &[Arc<GroupSnapshot>]) -> Vec<RuleRow<'_>> {
    let mut out = Vec::new();
    for g in groups {
        for snap in &g.rules {
            let Some(rule) = g.group.rules.get(snap.index) else {
                continue;
            };
            let count = |s: AlertState| snap.alerts.iter().filter(|a| a.state == s).count();
            let last = snap.last();
            out.push(RuleRow {
                alerting: rule.is_alerting(),
                name: rule.name(),
                group: &g.group.name,
                file: &g.group.file,
                id: rule.id.to_string(),
                pending: count(AlertState::Pending),
                firing: count(AlertState::Firing),
                failed: last.is_some_and(|e| e.error().is_some()),
                errors: snap.errors,
                samples: last.map_or(0, |e| e.samples()),
                series_fetched: last.and_then(|e| e.series_fetched()),
            });
        }
    }
    out
}

fn rule_metrics(e: &mut Exposition, groups: &[Arc<GroupSnapshot>]) {
    let rows = rows(groups);
    type Get = fn(&RuleRow<'_>) -> Option<f64>;
    let alerting: [(&str, Kind, &str, Get); 6] = [
        (
            "vmalert_alerts_pending",
            Kind::Gauge,
            "pending alerts of the rule",
            |r| Some(r.pending as f64),
        ),
        (
            "vmalert_alerts_firing",
            Kind::Gauge,
            "firing alerts of the rule",
            |r| Some(r.firing as f64),
        ),
        (
            "vmalert_alerting_rules_error",
            Kind::Gauge,
            "1 when the rule's latest evaluation failed (vmalert 1.79)",
            |r| Some(f64::from(u8::from(r.failed))),
        ),
        (
            "vmalert_alerting_rules_errors_total",
            Kind::Counter,
            "failed evaluations of the rule",
            |r| Some(r.errors as f64),
        ),
        (
            "vmalert_alerting_rules_last_evaluation_samples",
            Kind::Gauge,
            "samples the rule's latest evaluation returned",
            |r| Some(r.samples as f64),
        ),
        (
            "vmalert_alerting_rules_last_evaluation_series_fetched",
            Kind::Gauge,
            "series the datasource read for the rule's latest evaluation (when it reports it)",
            |r| r.series_fetched.map(|n| n as f64),
        ),
    ];
    for (name, kind, help, get) in alerting {
        e.family(name, kind, help);
        for r in rows.iter().filter(|r| r.alerting) {
            if let Some(v) = get(r) {
                e.sample(
                    name,
                    &[
                        ("alertname", r.name),
                        ("group", r.group),
                        ("file", r.file),
                        ("id", &r.id),
                    ],
                    v,
                );
            }
        }
    }
    let recording: [(&str, Kind, &str, Get); 4] = [
        (
            "vmalert_recording_rules_error",
            Kind::Gauge,
            "1 when the rule's latest evaluation failed (vmalert 1.79)",
            |r| Some(f64::from(u8::from(r.failed))),
        ),
        (
            "vmalert_recording_rules_errors_total",
            Kind::Counter,
            "failed evaluations of the rule",
            |r| Some(r.errors as f64),
        ),
        (
            "vmalert_recording_rules_last_evaluation_samples",
            Kind::Gauge,
            "samples the rule's latest evaluation returned",
            |r| Some(r.samples as f64),
        ),
        (
            "vmalert_recording_rules_last_evaluation_series_fetched",
            Kind::Gauge,
            "series the datasource read for the rule's latest evaluation (when it reports it)",
            |r| r.series_fetched.map(|n| n as f64),
        ),
    ];
    for (name, kind, help, get) in recording {
        e.family(name, kind, help);
        for r in rows.iter().filter(|r| !r.alerting) {
            if let Some(v) = get(r) {
                e.sample(
                    name,
                    &[
                        ("recording", r.name),
                        ("group", r.group),
                        ("file", r.file),
                        ("id", &r.id),
                    ],
                    v,
                );
            }
        }
    }
    let sum = |f: fn(&crate::group::snapshot::RuleSnapshot) -> u64| -> f64 {
        groups
            .iter()
            .flat_map(|g| g.rules.iter())
            .map(f)
            .sum::<u64>() as f64
    };
    let totals: [(&str, &str, f64); 3] = [
        (
            "vmalert_alerts_fired_total",
            "alerts that turned firing",
            sum(|r| r.fired),
        ),
        (
            "vmalert_execution_total",
            "rule evaluations",
            sum(|r| r.evaluations),
        ),
        (
            "vmalert_execution_errors_total",
            "failed rule evaluations",
            sum(|r| r.errors),
        ),
    ];
    for (name, help, v) in totals {
        e.family(name, Kind::Counter, help);
        e.sample(name, &[], v);
    }
}

fn reload_metrics(e: &mut Exposition, r: ReloadStats) {
    let rows: [(&str, Kind, &str, f64); 4] = [
        (
            "vmalert_config_last_reload_total",
            Kind::Counter,
            "configuration reloads after the first load",
            r.total as f64,
        ),
        (
            "vmalert_config_last_reload_errors_total",
            Kind::Counter,
            "configuration loads that failed",
            r.errors as f64,
        ),
        (
            "vmalert_config_last_reload_successful",
            Kind::Gauge,
            "1 when the latest configuration load succeeded",
            f64::from(u8::from(r.last_successful)),
        ),
        (
            "vmalert_config_last_reload_success_timestamp_seconds",
            Kind::Gauge,
            "time of the latest successful configuration load",
            (r.last_success_ms / 1000) as f64,
        ),
    ];
    for (name, kind, help, v) in rows {
        e.family(name, kind, help);
        e.sample(name, &[], v);
    }
}

/// Per Alertmanager peer: vmalert's `vmalert_alerts_sent_total{addr}` and `vmalert_alerts_send_errors_total{addr}`,
/// and tocsin's per-peer queue metrics (`tocsin_notifier_*{addr}`).
pub fn write_notifier(e: &mut Exposition, peers: &[crate::notifier::PeerStatus]) {
    type Get = fn(&crate::notifier::PeerStatus) -> f64;
    let rows: [(&str, Kind, &str, Get); 9] = [
        (
            "vmalert_alerts_sent_total",
            Kind::Counter,
            "alerts in requests sent to the Alertmanager",
            |p| p.sent_total as f64,
        ),
        (
            "vmalert_alerts_send_errors_total",
            Kind::Counter,
            "alerts in requests that failed",
            |p| p.errors_total as f64,
        ),
        (
            "tocsin_notifier_delivered_total",
            Kind::Counter,
            "alerts the Alertmanager acknowledged",
            |p| p.delivered_total as f64,
        ),
        (
            "tocsin_notifier_dropped_total",
            Kind::Counter,
            "alerts dropped because the peer's queue was full",
            |p| p.dropped_total as f64,
        ),
        (
            "tocsin_notifier_superseded_total",
            Kind::Counter,
            "queued alerts replaced by a newer state before they were sent",
            |p| p.superseded_total as f64,
        ),
        (
            "tocsin_notifier_rejected_total",
            Kind::Counter,
            "alerts given up because the peer rejected the request as invalid",
            |p| p.rejected_total as f64,
        ),
        (
            "tocsin_notifier_queue_depth",
            Kind::Gauge,
            "alerts waiting in the peer's queue",
            |p| p.queue_depth as f64,
        ),
        (
            "tocsin_notifier_in_flight",
            Kind::Gauge,
            "alerts in the request being sent",
            |p| p.in_flight as f64,
        ),
        (
            "tocsin_notifier_queue_capacity",
            Kind::Gauge,
            "capacity of the peer's queue",
            |p| p.queue_capacity as f64,
        ),
    ];
    for (name, kind, help, get) in rows {
        e.family(name, kind, help);
        for p in peers {
            e.sample(name, &[("addr", &p.addr)], get(p));
        }
    }
    e.family(
        "tocsin_notifier_last_success_timestamp_seconds",
        Kind::Gauge,
        "when the peer last acknowledged a request",
    );
    for p in peers {
        if let Some(ms) = p.last_success_ms {
            e.sample(
                "tocsin_notifier_last_success_timestamp_seconds",
                &[("addr", &p.addr)],
                ms as f64 / 1000.0,
            );
        }
    }
}

/// tocsin's HA gauges: firing alerts held while their rule's queries fail (`-rule.holdOnError`), and alerts whose
/// state was restored at startup (from a sibling or remote read), per group.
fn ha_metrics(e: &mut Exposition, groups: &[Arc<GroupSnapshot>]) {
    e.family(
        "tocsin_alerts_held",
        Kind::Gauge,
        "firing alerts kept alive while their rule's last query failed",
    );
    for g in groups {
        let held: usize = g
            .rules
            .iter()
            .filter(|r| {
                r.last()
                    .and_then(|ev| ev.error())
                    .is_some_and(|err| err.starts_with("query failed"))
            })
            .map(|r| {
                r.alerts
                    .iter()
                    .filter(|a| a.state == AlertState::Firing)
                    .count()
            })
            .sum();
        e.sample(
            "tocsin_alerts_held",
            &[("group", &g.group.name), ("file", &g.group.file)],
            held as f64,
        );
    }
    e.family(
        "tocsin_alerts_restored",
        Kind::Gauge,
        "alerts whose state was restored at startup and that are still held",
    );
    for g in groups {
        let restored: usize = g
            .rules
            .iter()
            .map(|r| r.alerts.iter().filter(|a| a.restored).count())
            .sum();
        e.sample(
            "tocsin_alerts_restored",
            &[("group", &g.group.name), ("file", &g.group.file)],
            restored as f64,
        );
    }
}

/// `vmalert_remotewrite_*` and `tocsin_remotewrite_*` from the remote writer's counters, and the disk queue's
/// gauges when `-remoteWrite.queuePath` is set.
pub fn write_remotewrite_disk(
    e: &mut Exposition,
    s: &crate::remotewrite::stats::StatsSnapshot,
    disk: Option<crate::remotewrite::queue::DiskUsage>,
) {
    let Some(d) = disk else {
        return;
    };
    let gauges: [(&str, &str, u64); 3] = [
        (
            "tocsin_remotewrite_disk_bytes",
            "bytes of the on-disk queue's segment files",
            d.bytes,
        ),
        (
            "tocsin_remotewrite_disk_rows",
            "samples on disk not yet acknowledged",
            d.rows,
        ),
        (
            "tocsin_remotewrite_disk_batches",
            "stored batches not yet acknowledged",
            d.batches,
        ),
    ];
    for (name, help, v) in gauges {
        e.family(name, Kind::Gauge, help);
        e.sample(name, &[], v as f64);
    }
    let counters: [(&str, &str, u64); 2] = [
        (
            "tocsin_remotewrite_disk_dropped_rows_total",
            "samples dropped because the on-disk queue was full (oldest first)",
            s.disk_dropped_rows,
        ),
        (
            "tocsin_remotewrite_disk_truncated_bytes_total",
            "bytes cut from torn or corrupt segment tails at startup",
            s.disk_truncated_bytes,
        ),
    ];
    for (name, help, v) in counters {
        e.family(name, Kind::Counter, help);
        e.sample(name, &[], v as f64);
    }
}

/// `vmalert_remotewrite_*` and `tocsin_remotewrite_*` from the remote writer's counters.
pub fn write_remotewrite(e: &mut Exposition, s: &crate::remotewrite::stats::StatsSnapshot) {
    let rows: [(&str, &str, u64); 7] = [
        (
            "vmalert_remotewrite_total",
            "pushes to the remote-write queue",
            s.pushes,
        ),
        (
            "vmalert_remotewrite_sent_rows_total",
            "samples acknowledged by the remote storage",
            s.sent_rows,
        ),
        (
            "vmalert_remotewrite_sent_bytes_total",
            "compressed bytes of acknowledged requests",
            s.sent_bytes,
        ),
        (
            "vmalert_remotewrite_dropped_rows_total",
            "samples given up",
            s.dropped_rows,
        ),
        (
            "vmalert_remotewrite_errors_total",
            "refused pushes and batches given up",
            s.errors,
        ),
        (
            "tocsin_remotewrite_requests_total",
            "remote-write HTTP attempts, retries included",
            s.requests,
        ),
        (
            "tocsin_remotewrite_retries_total",
            "remote-write attempts retried",
            s.retries,
        ),
    ];
    for (name, help, v) in rows {
        e.family(name, Kind::Counter, help);
        e.sample(name, &[], v as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[7], 0.99), Some(7));
        let v: Vec<u64> = (1..=101).collect();
        assert_eq!(quantile(&v, 0.5), Some(51));
        assert_eq!(quantile(&v, 1.0), Some(101));
        assert_eq!(quantile(&v, 0.9), Some(91));
    }
}
