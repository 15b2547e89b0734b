//! Read-only pictures of group and rule state, for the JSON API, the UI, `/metrics` and a sibling replica's
//! restore. A runner publishes a fresh [`GroupSnapshot`] into the [`StateRegistry`] when it starts and after every
//! evaluation; readers take `Arc`s of whole snapshots and never reach into a runner.
//!
//! Plain data and a lock: no IO, no wire formats (the server decides how to render them).

use super::history::{History, HistoryEntry};
use crate::config::{Group, Rule};
use crate::rule::Alert;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// How many evaluations of each rule are kept by default (vmalert's `-rule.updateEntriesLimit`).
pub const DEFAULT_UPDATE_ENTRIES: usize = 20;

/// How many evaluation durations each group keeps for `vmalert_iteration_duration_seconds` quantiles.
pub const RECENT_DURATIONS: usize = 64;

/// One rule at the moment its group published.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSnapshot {
    /// Position of the rule in `GroupSnapshot::group.rules`.
    pub index: usize,
    /// The labels the rule adds, merged as evaluated: external < group < rule.
    pub labels: crate::rule::PackedLabels,
    /// Pending, firing and recently resolved alerts (alerting rules only), ordered by labels; shared with the
    /// runner until an alert changes.
    pub alerts: Vec<Arc<Alert>>,
    /// The most recent evaluations, oldest first; the last one is the latest. Shared with the runner. `samples`
    /// counts the series the query returned.
    pub history: History,
    /// Evaluations since the group started, and how many of them failed (`vmalert_execution_total`,
    /// `vmalert_alerting_rules_errors_total`).
    pub evaluations: u64,
    pub errors: u64,
    /// Alerts that turned firing since the group started (`vmalert_alerts_fired_total`).
    pub fired: u64,
}

impl RuleSnapshot {
    /// The latest evaluation, if the rule ran at least once.
    pub fn last(&self) -> Option<&HistoryEntry> {
        self.history.last()
    }
}

/// One group at the moment it published.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSnapshot {
    pub group: Arc<Group>,
    /// The tick of the latest evaluation (milliseconds since the epoch), if any.
    pub last_tick_ms: Option<i64>,
    /// Wall-clock time the latest evaluation took.
    pub last_duration_ms: u64,
    /// Evaluations run and ticks skipped since the group started.
    pub iterations: u64,
    pub missed: u64,
    /// Total wall-clock time of every evaluation since the group started.
    pub duration_sum_ms: u64,
    /// Durations of the latest evaluations (at most [`RECENT_DURATIONS`]), oldest first, for quantiles.
    pub recent_durations_ms: Vec<u64>,
    pub rules: Vec<RuleSnapshot>,
}

impl GroupSnapshot {
    /// The rule and its state at position `index`.
    pub fn rule(&self, index: usize) -> Option<(&Rule, &RuleSnapshot)> {
        Some((self.group.rules.get(index)?, self.rules.get(index)?))
    }
}

/// The latest snapshot of every running group, keyed by group ID, and the outcome of configuration reloads.
#[derive(Debug, Default)]
pub struct StateRegistry {
    groups: RwLock<BTreeMap<u64, Arc<GroupSnapshot>>>,
    reloads: RwLock<ReloadStats>,
}

/// Configuration loads and reloads, for vmalert's `vmalert_config_last_reload_*` metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReloadStats {
    /// Reloads attempted after the first load.
    pub total: u64,
    pub errors: u64,
    /// Whether the latest load or reload succeeded.
    pub last_successful: bool,
    /// When the latest successful load or reload finished (milliseconds since the epoch).
    pub last_success_ms: i64,
}

impl StateRegistry {
    pub fn new() -> Self {
        StateRegistry::default()
    }

    /// Replaces the group's snapshot.
    pub fn publish(&self, snapshot: GroupSnapshot) {
        let id = snapshot.group.id;
        let mut groups = self.groups.write().unwrap_or_else(|p| p.into_inner());
        groups.insert(id, Arc::new(snapshot));
    }

    /// Forgets a group that stopped for good (removed by a reload).
    pub fn remove(&self, group_id: u64) {
        let mut groups = self.groups.write().unwrap_or_else(|p| p.into_inner());
        groups.remove(&group_id);
    }

    /// Every group's latest snapshot, ordered by group ID.
    pub fn groups(&self) -> Vec<Arc<GroupSnapshot>> {
        let groups = self.groups.read().unwrap_or_else(|p| p.into_inner());
        groups.values().cloned().collect()
    }

    /// Records a load (the first call) or a reload and whether it succeeded, at `now_ms`.
    pub fn reloaded(&self, ok: bool, now_ms: i64) {
        let mut r = self.reloads.write().unwrap_or_else(|p| p.into_inner());
        if r.last_success_ms != 0 || r.errors != 0 {
            r.total += 1;
        }
        if ok {
            r.last_success_ms = now_ms;
        } else {
            r.errors += 1;
        }
        r.last_successful = ok;
    }

    pub fn reload_stats(&self) -> ReloadStats {
        *self.reloads.read().unwrap_or_else(|p| p.into_inner())
    }

    /// One group's latest snapshot.
    pub fn group(&self, group_id: u64) -> Option<Arc<GroupSnapshot>> {
        let groups = self.groups.read().unwrap_or_else(|p| p.into_inner());
        groups.get(&group_id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: u64) -> Arc<Group> {
        let loaded = crate::config::load_text(
            "r.yml",
            "groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n",
            &crate::config::LoadOptions::default(),
        );
        let mut g = loaded.groups.into_iter().next().expect("one group");
        g.id = id;
        Arc::new(g)
    }

    fn snapshot(id: u64, iterations: u64) -> GroupSnapshot {
        GroupSnapshot {
            group: group(id),
            last_tick_ms: None,
            last_duration_ms: 0,
            iterations,
            missed: 0,
            duration_sum_ms: 0,
            recent_durations_ms: Vec::new(),
            rules: Vec::new(),
        }
    }

    #[test]
    fn publish_replaces_and_remove_forgets() {
        let r = StateRegistry::new();
        r.publish(snapshot(2, 0));
        r.publish(snapshot(1, 0));
        r.publish(snapshot(2, 5));
        let ids: Vec<u64> = r.groups().iter().map(|g| g.group.id).collect();
        assert_eq!(ids, vec![1, 2]);
        assert_eq!(r.group(2).map(|g| g.iterations), Some(5));
        r.remove(2);
        assert!(r.group(2).is_none());
        assert_eq!(r.groups().len(), 1);
    }
}
