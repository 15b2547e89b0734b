//! The rule detail page: the expression, labels and annotation templates, the rule's alerts, its last evaluations
//! (time, duration, samples, series fetched, error), a curl line that reproduces the last query with secrets
//! stripped, and the "never fires" flag. Pure: the curl text comes from [`DatasourceSettings::curl_command`].

use super::alerts::{alert_href, for_of};
use super::groups::{RuleStatus, never_fires};
use super::view::{Pair, When, pairs, span, value};
use crate::config::RuleKind;
use crate::datasource::{DatasourceSettings, InstantQuery};
use crate::group::snapshot::GroupSnapshot;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct EvalRow {
    pub at: When,
    pub query_time: String,
    pub duration: String,
    pub samples: usize,
    pub series_fetched: Option<u64>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RuleAlertRow {
    pub state: &'static str,
    pub labels: Vec<Pair>,
    pub value: String,
    pub active_at: When,
    pub href: String,
}

#[derive(Debug, Serialize)]
pub struct RuleView {
    pub name: String,
    pub id: String,
    pub kind: &'static str,
    pub state: &'static str,
    pub group: String,
    pub group_href: String,
    pub file: String,
    pub line: usize,
    pub expr: String,
    pub for_: String,
    pub keep_firing_for: String,
    /// The rule's labels merged as evaluated: external < group < rule.
    pub labels: Vec<Pair>,
    /// Annotation templates as written.
    pub annotations: Vec<Pair>,
    pub alerts: Vec<RuleAlertRow>,
    /// Newest first.
    pub evaluations: Vec<EvalRow>,
    pub never_fires: bool,
    pub last_error: Option<String>,
    /// `None` when no datasource is configured (or the rule never ran).
    pub curl: Option<String>,
}

/// The rule `rule_id` of the group, or `None` when the group has no such rule.
pub fn rule_view(
    g: &GroupSnapshot,
    rule_id: u64,
    datasource: Option<&DatasourceSettings>,
    prefix: &str,
    now_ms: i64,
) -> Option<RuleView> {
    let index = g.group.rules.iter().position(|r| r.id == rule_id)?;
    let (rule, snap) = g.rule(index)?;
    let (keep_firing_for, annotations) = match &rule.kind {
        RuleKind::Alerting {
            keep_firing_for,
            annotations,
            ..
        } if keep_firing_for.as_millis() > 0 => (keep_firing_for.go_string(), pairs(annotations)),
        RuleKind::Alerting { annotations, .. } => (String::new(), pairs(annotations)),
        RuleKind::Recording { .. } => (String::new(), Vec::new()),
    };
    let last = snap.last();
    let curl = datasource.map(|ds| {
        let time_ms = last.map_or(now_ms, |e| e.query_time_ms());
        ds.curl_command(&InstantQuery {
            expr: &rule.expr,
            time_ms,
            interval_ms: g.group.interval.as_millis(),
            params: &g.group.params,
            headers: &g.group.headers,
        })
    });
    let mut alerts: Vec<RuleAlertRow> = snap
        .alerts
        .iter()
        .map(|a| RuleAlertRow {
            state: a.state.as_str(),
            labels: pairs(&a.labels),
            value: value(a.value),
            active_at: When::at(a.active_at, now_ms),
            href: alert_href(prefix, g.group.id, a.id),
        })
        .collect();
    alerts.sort_by_key(|a| match a.state {
        "firing" => 0,
        "pending" => 1,
        _ => 2,
    });
    Some(RuleView {
        name: rule.name().to_string(),
        id: rule.id.to_string(),
        kind: if rule.is_alerting() {
            "alerting"
        } else {
            "recording"
        },
        state: RuleStatus::of(rule, snap).as_str(),
        group: g.group.name.clone(),
        group_href: format!("{prefix}/vmalert/groups#group-{}", g.group.id),
        file: g.group.file.clone(),
        line: rule.pos.line,
        expr: rule.expr.clone(),
        for_: for_of(rule),
        keep_firing_for,
        labels: pairs(snap.labels.iter()),
        annotations,
        alerts,
        evaluations: snap
            .history
            .iter()
            .rev()
            .map(|e| EvalRow {
                at: When::at(e.started_ms(), now_ms),
                query_time: super::view::utc(e.query_time_ms()),
                duration: span(e.duration_ms()),
                samples: e.samples(),
                series_fetched: e.series_fetched(),
                error: e.error().map(str::to_string),
            })
            .collect(),
        never_fires: never_fires(snap),
        last_error: last.and_then(|e| e.error().map(str::to_string)),
        curl,
    })
}
