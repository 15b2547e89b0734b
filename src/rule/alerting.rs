//! The alerting-rule state machine, as vmalert and Prometheus run it.
//!
//! [`AlertingRule::eval`] takes one query result (or the query's error) at an evaluation timestamp and moves every
//! alert: new results become `pending`, pending alerts fire after `for`, vanished pending alerts are deleted, vanished
//! firing alerts resolve (or stay firing for `keep_firing_for`), resolved alerts are kept 15 minutes so the resolve
//! is re-sent, and a result that reappears re-activates its alert. A query error leaves every alert as it was. The
//! outcome carries the `ALERTS` / `ALERTS_FOR_STATE` samples (with staleness markers) to write. What to send is a
//! separate decision ([`AlertingRule::due_for_sending`]), and a send counts only when the caller confirms it
//! ([`AlertingRule::mark_sent`]). Pure.

use super::alert::{Alert, AlertState};
use super::alert_series::AlertSeriesTracker;
use super::labels::{self, Labels, METRIC_NAME};
use super::packed_labels::PackedLabels;
use super::sample::{QueryResult, Sample};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How long a resolved alert is kept (and its resolve re-sent), as in Prometheus and vmalert.
pub const RESOLVED_RETENTION_MS: i64 = 15 * 60 * 1000;

/// What an alerting rule needs to know, resolved from its group and the process flags.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertingSettings {
    pub name: String,
    pub group_name: String,
    pub group_id: u64,
    pub expr: String,
    pub for_ms: i64,
    pub keep_firing_for_ms: i64,
    /// Labels to add: external < group < rule, merged, values possibly templated.
    pub labels: PackedLabels,
    pub annotations: PackedLabels,
    /// Add `alertgroup=<group name>` (off with `-disableAlertgroupLabel`).
    pub alertgroup_label: bool,
    /// Maximum pending + firing alerts; 0 means no limit.
    pub limit: usize,
    /// vmalert's `exported_` rule or Prometheus's overwrite for rule labels the result already has.
    pub label_conflict: labels::LabelConflict,
}

/// The data a label or annotation template sees.
#[derive(Debug, Clone, Copy)]
pub struct TemplateInput<'a> {
    /// `$labels`: the result's own labels, `__name__` included, before rule labels are applied (what both Prometheus
    /// and vmalert hand to label and annotation templates).
    pub labels: &'a Labels,
    pub value: f64,
    pub expr: &'a str,
    pub alert_id: u64,
    pub group_id: u64,
    pub active_at_ms: i64,
    pub for_ms: i64,
    pub is_partial: bool,
    /// The evaluation timestamp, for `query` in templates.
    pub eval_ts_ms: i64,
}

/// Renders label and annotation templates. The template engine implements it; `field` names what is rendered
/// (`labels.severity`, `annotations.summary`) for error messages.
pub trait Templater {
    fn render(&self, field: &str, text: &str, input: &TemplateInput<'_>) -> Result<String, String>;
}

/// A templater that returns every text unchanged: for rules without templates and for state-machine tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct VerbatimTemplater;

impl Templater for VerbatimTemplater {
    fn render(
        &self,
        _field: &str,
        text: &str,
        _input: &TemplateInput<'_>,
    ) -> Result<String, String> {
        Ok(text.to_string())
    }
}

/// Why an evaluation failed. The state is unchanged after `Query`, `LabelTemplate` and `DuplicateLabelSet`; after
/// `Limit` every alert of the rule has been cleared, as Prometheus and vmalert do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    #[error("query failed: {0}")]
    Query(String),
    #[error("failed to expand labels: {0}")]
    LabelTemplate(String),
    #[error("result contains metrics with the same labelset after applying rule labels: {0}")]
    DuplicateLabelSet(String),
    #[error("exec exceeded limit of {limit} with {count} alerts")]
    Limit { limit: usize, count: usize },
}

/// What one evaluation produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// `ALERTS` and `ALERTS_FOR_STATE` samples, including staleness markers, all at the evaluation timestamp.
    pub samples: Vec<Sample>,
    pub error: Option<EvalError>,
    /// Annotation templates that failed; the alert keeps the error text as the annotation's value.
    pub template_errors: Vec<String>,
    /// Series the query reported as fetched, when known.
    pub series_fetched: Option<u64>,
}

/// An alerting rule with its alerts.
#[derive(Debug, Clone)]
pub struct AlertingRule {
    pub settings: AlertingSettings,
    /// Keyed by the full label set: vmalert's 64-bit ID is kept on each alert for the API, but two different label
    /// sets can share it (its hash does not separate names from values), so it never decides identity here. The
    /// key is packed: the alert holds the same labels as a map already. Alerts are shared with published snapshots
    /// and copied only when they change ([`Arc::make_mut`]), so a snapshot costs a pointer per alert.
    alerts: BTreeMap<PackedLabels, Arc<Alert>>,
    series: AlertSeriesTracker,
    /// `for` state read back from the datasource after a restart (labels → active-since, and whether the alert
    /// was firing): applied to the alerts the next successful evaluation creates, then forgotten.
    restore: BTreeMap<Labels, (i64, bool)>,
}

impl AlertingRule {
    pub fn new(settings: AlertingSettings) -> Self {
        AlertingRule {
            settings,
            alerts: BTreeMap::new(),
            series: AlertSeriesTracker::default(),
            restore: BTreeMap::new(),
        }
    }

    /// Takes over the alerts and written series of `old`, the same rule (same identity) before a reload, so `for`
    /// progress, firing alerts and pending resolves survive. Settings stay the new ones.
    pub fn adopt(&mut self, old: AlertingRule) {
        self.alerts = old.alerts;
        self.series = old.series;
        self.restore = old.restore;
    }

    /// Installs alerts handed over by a live sibling replica, exactly as the sibling holds them (firing alerts stay
    /// firing with their original times). Only for a rule that has no alerts of its own yet.
    pub fn restore_alerts(&mut self, alerts: impl IntoIterator<Item = Alert>) {
        if !self.alerts.is_empty() {
            return;
        }
        for mut a in alerts {
            if a.labels.get("alertname") != Some(self.settings.name.as_str()) {
                continue;
            }
            a.id = labels::hash_pairs(&a.labels);
            a.last_sent.set(None);
            a.restored = true;
            self.alerts.insert(a.labels.clone(), Arc::new(a));
        }
    }

    /// Remembers `for` state read from `ALERTS_FOR_STATE` (labels → active-since in milliseconds, and whether
    /// `ALERTS{alertstate="firing"}` was seen): an alert the next successful evaluation creates with these labels
    /// starts at that time, and is firing at once if it was firing or has been active for `for` already.
    pub fn restore_for_state(&mut self, entries: impl IntoIterator<Item = (Labels, i64, bool)>) {
        for (labels, active_at, firing) in entries {
            self.restore.insert(labels, (active_at, firing));
        }
    }

    /// Resolves every active alert at `ts` because the rule goes away (removed, or its identity changed on
    /// reload): returns the resolved alerts to send and staleness markers for the series the rule wrote.
    pub fn retire(&mut self, ts: i64) -> (Vec<Alert>, Vec<Sample>) {
        let mut resolved = Vec::new();
        for a in self.alerts.values_mut() {
            if a.state == AlertState::Firing {
                let a = Arc::make_mut(a);
                a.state = AlertState::Inactive;
                a.resolved_at = Some(ts);
                a.keep_firing_since = None;
                resolved.push(a.clone());
            }
        }
        self.alerts.clear();
        (resolved, self.series.stale_all(ts))
    }

    /// True when the rule has at least one firing alert.
    pub fn has_firing(&self) -> bool {
        self.alerts.values().any(|a| a.state == AlertState::Firing)
    }

    /// Every alert the rule holds (pending, firing and recently resolved), ordered by ID.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.values().map(Arc::as_ref)
    }

    /// [`AlertingRule::alerts`] as shared pointers, for snapshots.
    pub fn shared_alerts(&self) -> impl Iterator<Item = &Arc<Alert>> {
        self.alerts.values()
    }

    /// The alert with vmalert's ID `id` (the first one, in the unlikely case two label sets share it).
    pub fn alert(&self, id: u64) -> Option<&Alert> {
        self.alerts.values().map(Arc::as_ref).find(|a| a.id == id)
    }

    /// The alert with exactly these labels.
    pub fn alert_by_labels(&self, labels: &Labels) -> Option<&Alert> {
        self.alerts.get(&PackedLabels::new(labels)).map(Arc::as_ref)
    }

    /// Evaluates the rule at `ts` (milliseconds) with the query's result.
    pub fn eval(
        &mut self,
        ts: i64,
        result: Result<&QueryResult, &str>,
        templater: &dyn Templater,
    ) -> Outcome {
        let result = match result {
            Ok(r) => r,
            Err(e) => {
                return Outcome {
                    error: Some(EvalError::Query(e.to_string())),
                    ..Outcome::default()
                };
            }
        };
        let mut outcome = Outcome {
            series_fetched: result.series_fetched,
            ..Outcome::default()
        };

        // Label every result first, so that a label-template error or a duplicate label set changes nothing.
        // Final labels, packed → (final labels, value, the result's own labels for templates).
        let mut seen: BTreeMap<PackedLabels, (Labels, f64, Labels)> = BTreeMap::new();
        for sample in &result.samples {
            let origin = sample.labels.to_labels();
            let labels =
                match self.alert_labels(&origin, sample.value, ts, result.is_partial, templater) {
                    Ok(l) => l,
                    Err(e) => {
                        return Outcome {
                            error: Some(EvalError::LabelTemplate(e)),
                            ..outcome
                        };
                    }
                };
            let key = PackedLabels::new(&labels);
            if seen.contains_key(&key) {
                let shown = format_labels(&labels);
                return Outcome {
                    error: Some(EvalError::DuplicateLabelSet(shown)),
                    ..outcome
                };
            }
            seen.insert(key, (labels, sample.value, origin));
        }

        for (key, (labels, value, _)) in &seen {
            let restore = &mut self.restore;
            let shared = self.alerts.entry(key.clone()).or_insert_with(|| {
                let restored = restore.remove(labels);
                let (active_at, was_firing) = restored.unwrap_or((ts, false));
                Arc::new(Alert {
                    id: labels::hash(labels),
                    labels: key.clone(),
                    annotations: PackedLabels::default(),
                    state: if was_firing {
                        AlertState::Firing
                    } else {
                        AlertState::Pending
                    },
                    value: *value,
                    active_at: active_at.min(ts),
                    fired_at: was_firing.then_some(ts),
                    resolved_at: None,
                    keep_firing_since: None,
                    last_sent: Default::default(),
                    restored: restored.is_some(),
                })
            });
            // Copy a shared alert only when something changes.
            if shared.state != AlertState::Inactive
                && shared.value.to_bits() == value.to_bits()
                && shared.keep_firing_since.is_none()
            {
                continue;
            }
            let alert = Arc::make_mut(shared);
            if alert.state == AlertState::Inactive {
                // A resolved alert whose series came back starts over as pending.
                alert.state = AlertState::Pending;
                alert.active_at = ts;
                alert.fired_at = None;
                alert.resolved_at = None;
            }
            alert.value = *value;
            alert.keep_firing_since = None;
        }

        // Restored `for` state applies to the first successful evaluation only.
        self.restore.clear();
        let for_ms = self.settings.for_ms;
        let keep_ms = self.settings.keep_firing_for_ms;
        self.alerts.retain(|key, a| {
            if seen.contains_key(key) {
                if a.state == AlertState::Pending && ts - a.active_at >= for_ms {
                    let a = Arc::make_mut(a);
                    a.state = AlertState::Firing;
                    a.fired_at = Some(ts);
                }
                return true;
            }
            match a.state {
                AlertState::Pending => false,
                AlertState::Firing => {
                    if keep_ms > 0 {
                        let since = match a.keep_firing_since {
                            Some(since) => since,
                            None => *Arc::make_mut(a).keep_firing_since.insert(ts),
                        };
                        if ts - since < keep_ms {
                            return true;
                        }
                    }
                    let a = Arc::make_mut(a);
                    a.state = AlertState::Inactive;
                    a.resolved_at = Some(ts);
                    a.keep_firing_since = None;
                    true
                }
                AlertState::Inactive => a
                    .resolved_at
                    .is_some_and(|at| ts - at < RESOLVED_RETENTION_MS),
            }
        });

        let active = self
            .alerts
            .values()
            .filter(|a| a.state != AlertState::Inactive)
            .count();
        if self.settings.limit > 0 && active > self.settings.limit {
            self.alerts.clear();
            outcome.error = Some(EvalError::Limit {
                limit: self.settings.limit,
                count: active,
            });
            return outcome;
        }

        // Annotations are rendered for every alert the result holds, with the result's labels and current value.
        for (key, (_, _, origin)) in &seen {
            let Some(alert) = self.alerts.get(key) else {
                continue;
            };
            let (annotations, errors) =
                self.render_annotations(alert, origin, ts, result.is_partial, templater);
            outcome.template_errors.extend(errors);
            if let Some(alert) = self.alerts.get_mut(key)
                && alert.annotations != annotations
            {
                Arc::make_mut(alert).annotations = PackedLabels::new(&annotations);
            }
        }

        outcome.samples = self.series.emit(self.alerts.values().map(Arc::as_ref), ts);
        outcome
    }

    /// The labels of the alert a result produces: result labels without `__name__`, the rule's labels (templated
    /// with the result's labels and value) applied with the `exported_` rule, then `alertname` and `alertgroup`.
    fn alert_labels(
        &self,
        series: &Labels,
        value: f64,
        ts: i64,
        is_partial: bool,
        templater: &dyn Templater,
    ) -> Result<Labels, String> {
        let mut base = series.clone();
        base.remove(METRIC_NAME);
        let mut extra = Labels::new();
        for (k, v) in self.settings.labels.iter() {
            let input = TemplateInput {
                labels: series,
                value,
                expr: &self.settings.expr,
                alert_id: 0,
                group_id: self.settings.group_id,
                active_at_ms: ts,
                for_ms: self.settings.for_ms,
                is_partial,
                eval_ts_ms: ts,
            };
            extra.insert(
                k.to_string(),
                templater.render(&format!("labels.{k}"), v, &input)?,
            );
        }
        let mut out = labels::apply_extra_with(&base, &extra, self.settings.label_conflict);
        out.insert("alertname".to_string(), self.settings.name.clone());
        if self.settings.alertgroup_label {
            out.insert("alertgroup".to_string(), self.settings.group_name.clone());
        }
        Ok(out)
    }

    fn render_annotations(
        &self,
        alert: &Alert,
        origin: &Labels,
        ts: i64,
        is_partial: bool,
        templater: &dyn Templater,
    ) -> (Labels, Vec<String>) {
        let mut out = Labels::new();
        let mut errors = Vec::new();
        let input = TemplateInput {
            labels: origin,
            value: alert.value,
            expr: &self.settings.expr,
            alert_id: alert.id,
            group_id: self.settings.group_id,
            active_at_ms: alert.active_at,
            for_ms: self.settings.for_ms,
            is_partial,
            eval_ts_ms: ts,
        };
        for (k, text) in &self.settings.annotations {
            let field = format!("annotations.{k}");
            match templater.render(&field, text, &input) {
                Ok(v) => {
                    out.insert(k.to_string(), v);
                }
                Err(e) => {
                    // The annotation carries the error itself (as vmalert sends it); the rule's error also names
                    // the field.
                    errors.push(format!("{field}: {e}"));
                    out.insert(k.to_string(), e);
                }
            }
        }
        (out, errors)
    }

    /// The alerts that should be sent at `now`: firing and resolved alerts whose state changed since their
    /// last delivery, or whose last delivery is older than `resend_delay_ms` (0 means every evaluation). Pending
    /// alerts are never sent.
    pub fn due_for_sending(&self, now: i64, resend_delay_ms: i64) -> Vec<Arc<Alert>> {
        self.alerts
            .values()
            .filter(|a| match (a.state, a.last_sent.get()) {
                (AlertState::Pending, _) => false,
                (_, None) => true,
                (state, Some((_, sent_state))) if state != sent_state => true,
                (_, Some((at, _))) => at + resend_delay_ms < now || resend_delay_ms == 0,
            })
            .cloned()
            .collect()
    }

    /// Records that the alert with these labels was delivered at `now` in `state` (the state it was sent in).
    /// Call only after a successful send; a state that has changed since is sent again.
    pub fn mark_sent(&mut self, labels: &PackedLabels, state: AlertState, now: i64) {
        if let Some(a) = self.alerts.get_mut(labels) {
            // In place: the alert stays shared with the published snapshot (see `LastSent`).
            a.last_sent.set(Some((now, state)));
        }
    }

    /// Series this rule wrote last time, marked stale: for a rule that is removed or changed on reload.
    pub fn stale_series(&mut self, ts: i64) -> Vec<Sample> {
        self.series.stale_all(ts)
    }
}

fn format_labels(labels: &Labels) -> String {
    let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", inner.join(", "))
}

#[cfg(test)]
mod tests;
