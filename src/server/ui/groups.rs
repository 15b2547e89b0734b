//! The groups page: every group with its state counts, last evaluation and errors, and each rule's state, filtered
//! by the `search`, `type` and `state` query parameters (a plain GET form, no JavaScript). Pure.

use super::view::{Choice, When, choices, contains, span};
use crate::config::Rule;
use crate::group::snapshot::{GroupSnapshot, RuleSnapshot};
use crate::rule::AlertState;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;

/// The filters of the groups page, read from the query string. Unknown values mean "all".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupFilter {
    /// Case-insensitive substring of the group name, rule name, expression or a rule label.
    pub search: String,
    /// `alert`, `record` or empty.
    pub kind: String,
    /// A rule state (see [`RuleStatus`]), `nomatch`, or empty.
    pub state: String,
}

impl GroupFilter {
    pub fn from_query(q: &HashMap<String, String>) -> Self {
        let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        GroupFilter {
            search: get("search"),
            kind: get("type"),
            state: get("state"),
        }
    }

    fn is_active(&self) -> bool {
        !self.search.is_empty() || !self.kind.is_empty() || !self.state.is_empty()
    }
}

/// A rule's state as the groups page summarises it (vmalert's rule states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleStatus {
    /// The last evaluation failed.
    Unhealthy,
    Firing,
    Pending,
    /// An alerting rule without active alerts.
    Inactive,
    /// A recording rule that evaluated without error, or a rule not yet evaluated.
    Ok,
}

impl RuleStatus {
    pub fn of(rule: &Rule, snap: &RuleSnapshot) -> Self {
        if snap.last().is_some_and(|e| e.error().is_some()) {
            return RuleStatus::Unhealthy;
        }
        let has = |s| snap.alerts.iter().any(|a| a.state == s);
        if has(AlertState::Firing) {
            RuleStatus::Firing
        } else if has(AlertState::Pending) {
            RuleStatus::Pending
        } else if rule.is_alerting() {
            RuleStatus::Inactive
        } else {
            RuleStatus::Ok
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Unhealthy => "unhealthy",
            RuleStatus::Firing => "firing",
            RuleStatus::Pending => "pending",
            RuleStatus::Inactive => "inactive",
            RuleStatus::Ok => "ok",
        }
    }
}

/// A rule whose last query fetched no series at all: its selectors match nothing, so it can never fire.
pub fn never_fires(snap: &RuleSnapshot) -> bool {
    snap.last()
        .is_some_and(|e| e.error().is_none() && e.series_fetched() == Some(0))
}

/// Evaluated without error and returned nothing.
fn no_match(snap: &RuleSnapshot) -> bool {
    snap.last()
        .is_some_and(|e| e.error().is_none() && e.samples() == 0)
}

#[derive(Debug, Serialize)]
pub struct RuleRow {
    pub name: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub href: String,
    pub expr: String,
    pub last_eval: Option<When>,
    pub samples: Option<usize>,
    pub series_fetched: Option<u64>,
    pub error: Option<String>,
    pub never_fires: bool,
    pub firing: usize,
    pub pending: usize,
}

#[derive(Debug, Serialize)]
pub struct GroupView {
    pub id: String,
    pub anchor: String,
    pub name: String,
    pub file: String,
    pub schedule: String,
    pub last_eval: Option<When>,
    pub last_duration: String,
    pub iterations: u64,
    pub missed: u64,
    pub rules_total: usize,
    pub firing: usize,
    pub pending: usize,
    pub errors: usize,
    pub never_fires: usize,
    /// Rules shown (all, or those matching the filter).
    pub rules: Vec<RuleRow>,
}

#[derive(Debug, Serialize)]
pub struct GroupsView {
    pub action: String,
    pub search: String,
    pub kinds: Vec<Choice>,
    pub states: Vec<Choice>,
    pub filtered: bool,
    pub clear_href: String,
    pub groups: Vec<GroupView>,
    pub total_groups: usize,
    pub total_rules: usize,
    pub total_firing: usize,
    pub total_pending: usize,
    pub total_errors: usize,
}

const KINDS: &[(&str, &str)] = &[
    ("", "all types"),
    ("alert", "alerting"),
    ("record", "recording"),
];
const STATES: &[(&str, &str)] = &[
    ("", "any state"),
    ("firing", "firing"),
    ("pending", "pending"),
    ("inactive", "inactive"),
    ("ok", "ok"),
    ("nomatch", "no match"),
    ("unhealthy", "unhealthy"),
];

pub fn rule_href(prefix: &str, group_id: u64, rule_id: u64) -> String {
    format!("{prefix}/vmalert/rule?group_id={group_id}&rule_id={rule_id}")
}

fn rule_matches(f: &GroupFilter, g: &GroupSnapshot, rule: &Rule, snap: &RuleSnapshot) -> bool {
    let kind_ok = match f.kind.as_str() {
        "alert" => rule.is_alerting(),
        "record" => !rule.is_alerting(),
        _ => true,
    };
    let state_ok = match f.state.as_str() {
        "" => true,
        "nomatch" => no_match(snap),
        s => RuleStatus::of(rule, snap).as_str() == s,
    };
    let needle = f.search.to_lowercase();
    let search_ok = contains(&g.group.name, &needle)
        || contains(rule.name(), &needle)
        || contains(&rule.expr, &needle)
        || snap
            .labels
            .iter()
            .any(|(k, v)| contains(k, &needle) || contains(v, &needle));
    kind_ok && state_ok && search_ok
}

pub fn groups_view(
    groups: &[Arc<GroupSnapshot>],
    filter: &GroupFilter,
    prefix: &str,
    now_ms: i64,
) -> GroupsView {
    let mut out = Vec::new();
    let (mut total_rules, mut total_firing, mut total_pending, mut total_errors) = (0, 0, 0, 0);
    for g in groups {
        let mut view = group_view(g, prefix, now_ms);
        total_rules += view.rules_total;
        total_firing += view.firing;
        total_pending += view.pending;
        total_errors += view.errors;
        let keep: Vec<bool> = g
            .group
            .rules
            .iter()
            .zip(&g.rules)
            .map(|(r, s)| rule_matches(filter, g, r, s))
            .collect();
        let mut keep = keep.into_iter();
        view.rules.retain(|_| keep.next().unwrap_or(false));
        if view.rules.is_empty() && filter.is_active() {
            continue;
        }
        out.push(view);
    }
    out.sort_by(|a, b| (&a.name, &a.file).cmp(&(&b.name, &b.file)));
    GroupsView {
        action: format!("{prefix}/vmalert/groups"),
        search: filter.search.clone(),
        kinds: choices(KINDS, &filter.kind),
        states: choices(STATES, &filter.state),
        filtered: filter.is_active(),
        clear_href: format!("{prefix}/vmalert/groups"),
        total_groups: groups.len(),
        total_rules,
        total_firing,
        total_pending,
        total_errors,
        groups: out,
    }
}

pub fn group_view(g: &GroupSnapshot, prefix: &str, now_ms: i64) -> GroupView {
    let rules: Vec<RuleRow> = g
        .group
        .rules
        .iter()
        .zip(&g.rules)
        .map(|(rule, snap)| rule_row(g, rule, snap, prefix, now_ms))
        .collect();
    let schedule = match &g.group.schedule {
        crate::config::Schedule::Interval(d) => {
            format!("every {}", span(d.as_millis().unsigned_abs()))
        }
        crate::config::Schedule::Cron { expr, timezone } => match timezone {
            Some(tz) => format!("cron {expr} ({tz})"),
            None => format!("cron {expr} (UTC)"),
        },
    };
    GroupView {
        id: g.group.id.to_string(),
        anchor: format!("group-{}", g.group.id),
        name: g.group.name.clone(),
        file: g.group.file.clone(),
        schedule,
        last_eval: When::maybe(g.last_tick_ms, now_ms),
        last_duration: span(g.last_duration_ms),
        iterations: g.iterations,
        missed: g.missed,
        rules_total: rules.len(),
        firing: rules.iter().map(|r| r.firing).sum(),
        pending: rules.iter().map(|r| r.pending).sum(),
        errors: rules.iter().filter(|r| r.error.is_some()).count(),
        never_fires: rules.iter().filter(|r| r.never_fires).count(),
        rules,
    }
}

fn rule_row(
    g: &GroupSnapshot,
    rule: &Rule,
    snap: &RuleSnapshot,
    prefix: &str,
    now_ms: i64,
) -> RuleRow {
    let last = snap.last();
    let count = |s| snap.alerts.iter().filter(|a| a.state == s).count();
    RuleRow {
        name: rule.name().to_string(),
        kind: if rule.is_alerting() {
            "alert"
        } else {
            "record"
        },
        state: RuleStatus::of(rule, snap).as_str(),
        href: rule_href(prefix, g.group.id, rule.id),
        expr: rule.expr.clone(),
        last_eval: last.map(|e| When::at(e.started_ms(), now_ms)),
        samples: last.map(|e| e.samples()),
        series_fetched: last.and_then(|e| e.series_fetched()),
        error: last.and_then(|e| e.error().map(str::to_string)),
        never_fires: never_fires(snap),
        firing: count(AlertState::Firing),
        pending: count(AlertState::Pending),
    }
}
