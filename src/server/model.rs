//! The JSON shapes of vmalert's API (`APIGroup`, `APIRule`, `APIAlert`, `StateEntry`, `APINotifier`), built from
//! registry snapshots. Field names, types and order follow vmalert 1.79.5 and the later fields of newer vmalert
//! releases; what tocsin adds or leaves out is listed in `docs/api.md`. Pure: no IO, no locking.

use super::time::{alert_value, rfc3339, seconds};
use crate::config::{Group, Rule, RuleKind};
use crate::group::snapshot::{GroupSnapshot, RuleSnapshot};
use crate::notifier::AlertSource;
use crate::rule::{Alert, AlertState};
use serde::Serialize;
use std::collections::BTreeMap;

/// Writes a float as Go's `encoding/json` does: whole numbers without a fraction (`2`, not `2.0`).
fn go_float<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        s.serialize_i64(*v as i64)
    } else {
        s.serialize_f64(*v)
    }
}

fn go_float_opt<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => go_float(v, s),
        None => s.serialize_none(),
    }
}

/// One group (`/api/v1/rules`, `/api/v1/group`).
#[derive(Debug, Serialize)]
pub struct ApiGroup<'a> {
    pub name: &'a str,
    pub rules: Vec<ApiRule<'a>>,
    #[serde(serialize_with = "go_float")]
    pub interval: f64,
    #[serde(rename = "lastEvaluation")]
    pub last_evaluation: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    pub file: &'a str,
    pub concurrency: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notifier_headers: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: &'a BTreeMap<String, String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "go_float_opt"
    )]
    pub eval_offset: Option<f64>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "go_float_opt"
    )]
    pub eval_delay: Option<f64>,
}

/// One rule.
#[derive(Debug, Serialize)]
pub struct ApiRule<'a> {
    pub state: &'static str,
    pub name: &'a str,
    pub query: &'a str,
    #[serde(serialize_with = "go_float")]
    pub duration: f64,
    #[serde(serialize_with = "go_float")]
    pub keep_firing_for: f64,
    #[serde(skip_serializing_if = "is_empty")]
    pub labels: &'a crate::rule::PackedLabels,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<&'a crate::rule::PackedLabels>,
    #[serde(rename = "lastError")]
    pub last_error: &'a str,
    #[serde(rename = "evaluationTime", serialize_with = "go_float")]
    pub evaluation_time: f64,
    #[serde(rename = "lastEvaluation")]
    pub last_evaluation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<Vec<ApiAlert<'a>>>,
    pub health: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "datasourceType")]
    pub datasource_type: &'static str,
    #[serde(rename = "lastSamples")]
    pub last_samples: usize,
    #[serde(rename = "lastSeriesFetched", skip_serializing_if = "Option::is_none")]
    pub last_series_fetched: Option<u64>,
    pub id: String,
    pub group_id: String,
    pub group_name: &'a str,
    pub file: &'a str,
    pub debug: bool,
    pub max_updates_entries: usize,
    /// Only in `/api/v1/rule`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updates: Option<Vec<ApiStateEntry>>,
}

/// One alert.
#[derive(Debug, Serialize)]
pub struct ApiAlert<'a> {
    pub state: &'static str,
    pub name: &'a str,
    pub value: String,
    #[serde(skip_serializing_if = "is_empty")]
    pub labels: &'a crate::rule::PackedLabels,
    pub annotations: &'a crate::rule::PackedLabels,
    #[serde(rename = "activeAt")]
    pub active_at: String,
    pub id: String,
    pub rule_id: String,
    pub group_id: String,
    pub expression: &'a str,
    pub source: String,
    pub restored: bool,
    pub stabilizing: bool,
}

/// One past evaluation of a rule (`updates` of `/api/v1/rule`).
#[derive(Debug, Serialize)]
pub struct ApiStateEntry {
    /// When the evaluation started (wall clock).
    pub time: String,
    /// The query timestamp.
    pub at: String,
    /// Nanoseconds, as Go encodes a `time.Duration`.
    pub duration: i64,
    /// The error text, or null.
    pub error: Option<String>,
    pub samples: usize,
    pub series_fetched: Option<u64>,
    pub curl: String,
}

/// One notifier kind with its targets (`/api/v1/notifiers`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ApiNotifier {
    pub kind: String,
    pub targets: Vec<ApiTarget>,
}

/// One Alertmanager.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ApiTarget {
    pub address: String,
    pub labels: BTreeMap<String, String>,
    #[serde(rename = "lastError")]
    pub last_error: String,
}

/// What rendering needs besides the snapshot.
pub struct RenderContext<'a> {
    pub source: &'a dyn AlertSource,
    /// The datasource URL with secrets removed, for the `curl` of each evaluation; empty when unknown.
    pub datasource_url: &'a str,
}

/// The rule's state as the Prometheus API defines it: `firing` if any alert fires, else `pending` if any is
/// pending, else `inactive`; recording rules have none (`""`), as in vmalert 1.79.
pub fn rule_state(rule: &Rule, snap: &RuleSnapshot) -> &'static str {
    if !rule.is_alerting() {
        return "";
    }
    let mut state = "inactive";
    for a in &snap.alerts {
        match a.state {
            AlertState::Firing => return "firing",
            AlertState::Pending => state = "pending",
            AlertState::Inactive => {}
        }
    }
    state
}

/// `err` when the latest evaluation failed, else `ok`.
pub fn rule_health(snap: &RuleSnapshot) -> &'static str {
    match snap.last().and_then(|e| e.error()) {
        Some(_) => "err",
        None => "ok",
    }
}

pub fn group_to_api<'a>(g: &'a GroupSnapshot, rules: Vec<ApiRule<'a>>) -> ApiGroup<'a> {
    let group: &Group = &g.group;
    ApiGroup {
        name: &group.name,
        rules,
        interval: seconds(group.interval.as_millis()),
        last_evaluation: rfc3339(g.last_tick_ms),
        kind: group.datasource_type.as_str(),
        id: group.id.to_string(),
        file: &group.file,
        concurrency: group.concurrency,
        params: group
            .params
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        headers: group
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect(),
        notifier_headers: group
            .notifier_headers
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect(),
        labels: &group.labels,
        eval_offset: group.eval_offset.map(|d| seconds(d.as_millis())),
        eval_delay: group.eval_delay.map(|d| seconds(d.as_millis())),
    }
}

/// The rule as the API shows it. `alerts` are the rule's active alerts (already filtered by the caller, or all),
/// `None` leaves the field out.
pub fn rule_to_api<'a>(
    g: &'a GroupSnapshot,
    rule: &'a Rule,
    snap: &'a RuleSnapshot,
    alerts: Option<Vec<ApiAlert<'a>>>,
    update_limit: usize,
) -> ApiRule<'a> {
    let last = snap.last();
    let (duration, keep_firing_for, annotations, kind) = match &rule.kind {
        RuleKind::Alerting {
            for_,
            keep_firing_for,
            annotations,
            ..
        } => (
            seconds(for_.as_millis()),
            seconds(keep_firing_for.as_millis()),
            Some(annotations).filter(|a| !a.is_empty()),
            "alerting",
        ),
        RuleKind::Recording { .. } => (0.0, 0.0, None, "recording"),
    };
    ApiRule {
        state: rule_state(rule, snap),
        name: rule.name(),
        query: &rule.expr,
        duration,
        keep_firing_for,
        labels: &snap.labels,
        annotations,
        last_error: last.and_then(|e| e.error()).unwrap_or(""),
        evaluation_time: last.map_or(0.0, |e| e.duration_ms() as f64 / 1000.0),
        last_evaluation: rfc3339(last.map(|e| e.started_ms())),
        alerts: alerts.filter(|a| !a.is_empty()),
        health: rule_health(snap),
        kind,
        datasource_type: g.group.datasource_type.as_str(),
        last_samples: last.map_or(0, |e| e.samples()),
        last_series_fetched: last.and_then(|e| e.series_fetched()),
        id: rule.id.to_string(),
        group_id: g.group.id.to_string(),
        group_name: &g.group.name,
        file: &g.group.file,
        debug: rule.debug,
        max_updates_entries: rule.update_entries_limit.unwrap_or(update_limit),
        updates: None,
    }
}

/// An alert as the API shows it.
pub fn alert_to_api<'a>(
    g: &'a GroupSnapshot,
    rule: &'a Rule,
    a: &'a Alert,
    ctx: &RenderContext<'_>,
) -> ApiAlert<'a> {
    ApiAlert {
        state: a.state.as_str(),
        name: rule.name(),
        value: alert_value(a.value),
        labels: &a.labels,
        annotations: &a.annotations,
        active_at: rfc3339(Some(a.active_at)),
        id: a.id.to_string(),
        rule_id: rule.id.to_string(),
        group_id: g.group.id.to_string(),
        expression: &rule.expr,
        source: ctx.source.generator_url(g.group.id, a),
        restored: a.restored,
        stabilizing: a.stabilizing(),
    }
}

/// The rule's active (pending or firing) alerts, ordered by ID as text, as vmalert orders them.
pub fn active_alerts<'a>(
    g: &'a GroupSnapshot,
    rule: &'a Rule,
    snap: &'a RuleSnapshot,
    ctx: &RenderContext<'_>,
) -> Vec<ApiAlert<'a>> {
    let mut out: Vec<ApiAlert<'a>> = snap
        .alerts
        .iter()
        .filter(|a| a.state != AlertState::Inactive)
        .map(|a| alert_to_api(g, rule, a, ctx))
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// The rule's evaluation history, oldest first.
pub fn updates(
    g: &GroupSnapshot,
    rule: &Rule,
    snap: &RuleSnapshot,
    ctx: &RenderContext<'_>,
) -> Vec<ApiStateEntry> {
    snap.history
        .iter()
        .map(|e| ApiStateEntry {
            time: rfc3339(Some(e.started_ms())),
            at: rfc3339(Some(e.query_time_ms())),
            duration: i64::try_from(e.duration_ms())
                .unwrap_or(i64::MAX / 1_000_000)
                .saturating_mul(1_000_000),
            error: e.error().map(str::to_string),
            samples: e.samples(),
            series_fetched: e.series_fetched(),
            curl: curl(ctx.datasource_url, g, rule, e.query_time_ms()),
        })
        .collect()
}

/// A `curl` command that repeats the rule's query at `time_ms`, without credentials (the datasource URL is
/// already stripped of them, and no auth headers are shown).
pub fn curl(datasource_url: &str, g: &GroupSnapshot, rule: &Rule, time_ms: i64) -> String {
    if datasource_url.is_empty() {
        return String::new();
    }
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("query", &rule.expr);
    q.append_pair("time", &format!("{}", time_ms as f64 / 1000.0));
    for (k, v) in &g.group.params {
        q.append_pair(k, v);
    }
    format!(
        "curl '{}/api/v1/query?{}'",
        datasource_url.trim_end_matches('/'),
        q.finish()
    )
}

/// For `skip_serializing_if` on a borrowed packed label set.
fn is_empty(labels: &&crate::rule::PackedLabels) -> bool {
    labels.is_empty()
}
