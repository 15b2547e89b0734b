//! The alerts page (active alerts by rule, filtered by `state` and `search` without JavaScript) and the alert
//! detail page. Pure.

use super::groups::rule_href;
use super::view::{Choice, Pair, When, choices, contains, pairs, value};
use crate::config::{Rule, RuleKind};
use crate::group::snapshot::GroupSnapshot;
use crate::rule::{Alert, AlertState};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// The filters of the alerts page. Unknown values mean "all".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    /// `firing`, `pending` or empty (both).
    pub state: String,
    /// Case-insensitive substring of a label name or value, or of the group name.
    pub search: String,
}

impl AlertFilter {
    pub fn from_query(q: &HashMap<String, String>) -> Self {
        let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        AlertFilter {
            state: get("state"),
            search: get("search"),
        }
    }

    fn matches(&self, group: &str, a: &Alert) -> bool {
        let state_ok = match self.state.as_str() {
            "firing" => a.state == AlertState::Firing,
            "pending" => a.state == AlertState::Pending,
            _ => true,
        };
        let needle = self.search.to_lowercase();
        let search_ok = contains(group, &needle)
            || a.labels
                .iter()
                .any(|(k, v)| contains(k, &needle) || contains(v, &needle));
        state_ok && search_ok
    }
}

pub fn alert_href(prefix: &str, group_id: u64, alert_id: u64) -> String {
    format!("{prefix}/vmalert/alert?group_id={group_id}&alert_id={alert_id}")
}

#[derive(Debug, Serialize)]
pub struct AlertRow {
    pub state: &'static str,
    pub labels: Vec<Pair>,
    pub annotations: Vec<Pair>,
    pub active_at: When,
    pub value: String,
    pub href: String,
    pub restored: bool,
    pub stabilizing: bool,
}

/// The active alerts of one rule.
#[derive(Debug, Serialize)]
pub struct RuleAlerts {
    pub rule: String,
    pub group: String,
    pub rule_href: String,
    pub firing: usize,
    pub pending: usize,
    pub alerts: Vec<AlertRow>,
}

#[derive(Debug, Serialize)]
pub struct AlertsView {
    pub action: String,
    pub search: String,
    pub states: Vec<Choice>,
    pub filtered: bool,
    pub clear_href: String,
    pub rules: Vec<RuleAlerts>,
    pub firing: usize,
    pub pending: usize,
}

const STATES: &[(&str, &str)] = &[
    ("", "firing and pending"),
    ("firing", "firing"),
    ("pending", "pending"),
];

fn alert_row(g: &GroupSnapshot, a: &Alert, prefix: &str, now_ms: i64) -> AlertRow {
    AlertRow {
        state: a.state.as_str(),
        labels: pairs(&a.labels),
        annotations: pairs(&a.annotations),
        active_at: When::at(a.active_at, now_ms),
        value: value(a.value),
        href: alert_href(prefix, g.group.id, a.id),
        restored: a.restored,
        stabilizing: a.stabilizing(),
    }
}

pub fn alerts_view(
    groups: &[Arc<GroupSnapshot>],
    filter: &AlertFilter,
    prefix: &str,
    now_ms: i64,
) -> AlertsView {
    let mut rules = Vec::new();
    for g in groups {
        for (rule, snap) in g.group.rules.iter().zip(&g.rules) {
            let mut alerts: Vec<&Alert> = snap
                .alerts
                .iter()
                .map(AsRef::as_ref)
                .filter(|a| a.state != AlertState::Inactive && filter.matches(&g.group.name, a))
                .collect();
            if alerts.is_empty() {
                continue;
            }
            // Firing first, then by labels.
            alerts.sort_by_key(|a| a.state != AlertState::Firing);
            rules.push(RuleAlerts {
                rule: rule.name().to_string(),
                group: g.group.name.clone(),
                rule_href: rule_href(prefix, g.group.id, rule.id),
                firing: alerts
                    .iter()
                    .filter(|a| a.state == AlertState::Firing)
                    .count(),
                pending: alerts
                    .iter()
                    .filter(|a| a.state == AlertState::Pending)
                    .count(),
                alerts: alerts
                    .iter()
                    .map(|a| alert_row(g, a, prefix, now_ms))
                    .collect(),
            });
        }
    }
    rules.sort_by(|a, b| (b.firing > 0, &a.rule, &a.group).cmp(&(a.firing > 0, &b.rule, &b.group)));
    AlertsView {
        action: format!("{prefix}/vmalert/alerts"),
        search: filter.search.clone(),
        states: choices(STATES, &filter.state),
        filtered: !filter.state.is_empty() || !filter.search.is_empty(),
        clear_href: format!("{prefix}/vmalert/alerts"),
        firing: rules.iter().map(|r| r.firing).sum(),
        pending: rules.iter().map(|r| r.pending).sum(),
        rules,
    }
}

/// The alert detail page.
#[derive(Debug, Serialize)]
pub struct AlertView {
    pub alertname: String,
    pub id: String,
    pub state: &'static str,
    pub group: String,
    pub group_href: String,
    pub rule_href: String,
    pub expr: String,
    pub for_: String,
    pub labels: Vec<Pair>,
    pub annotations: Vec<Pair>,
    pub value: String,
    pub active_at: When,
    pub fired_at: Option<When>,
    pub resolved_at: Option<When>,
    pub keep_firing_since: Option<When>,
    pub last_sent: Option<When>,
    pub last_sent_state: Option<&'static str>,
    pub restored: bool,
    pub stabilizing: bool,
}

/// Finds the alert `alert_id` in the group; `None` when no rule of the group has it.
pub fn alert_view(
    g: &GroupSnapshot,
    alert_id: u64,
    prefix: &str,
    now_ms: i64,
) -> Option<AlertView> {
    let (rule, a) = g.group.rules.iter().zip(&g.rules).find_map(|(r, s)| {
        s.alerts
            .iter()
            .find(|a| a.id == alert_id)
            .map(|a| (r, a.as_ref()))
    })?;
    Some(AlertView {
        alertname: a.labels.get("alertname").unwrap_or(rule.name()).to_string(),
        id: a.id.to_string(),
        state: a.state.as_str(),
        group: g.group.name.clone(),
        group_href: format!("{prefix}/vmalert/groups#group-{}", g.group.id),
        rule_href: rule_href(prefix, g.group.id, rule.id),
        expr: rule.expr.clone(),
        for_: for_of(rule),
        labels: pairs(&a.labels),
        annotations: pairs(&a.annotations),
        value: value(a.value),
        active_at: When::at(a.active_at, now_ms),
        fired_at: When::maybe(a.fired_at, now_ms),
        resolved_at: When::maybe(a.resolved_at, now_ms),
        keep_firing_since: When::maybe(a.keep_firing_since, now_ms),
        last_sent: When::maybe(a.last_sent.get().map(|(t, _)| t), now_ms),
        last_sent_state: a.last_sent.get().map(|(_, s)| s.as_str()),
        restored: a.restored,
        stabilizing: a.stabilizing(),
    })
}

/// The rule's `for`, Go-formatted (`5m0s`), or `0s`.
pub fn for_of(rule: &Rule) -> String {
    match &rule.kind {
        RuleKind::Alerting { for_, .. } => for_.go_string(),
        RuleKind::Recording { .. } => String::new(),
    }
}
