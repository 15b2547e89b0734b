//! Moving alert state into and out of a runner: a reload hands the old runner's state to the new one for every
//! rule whose identity is unchanged and retires the rest (resolving their alerts instead of leaving Alertmanager to
//! expire them); a restart restores state from a live sibling replica or from `ALERTS_FOR_STATE` in the
//! datasource, before the first evaluation.
//!
//! What to send or write as a result is returned, never sent from here (the manager owns the outputs).

use super::{GroupRunner, NotifyBatch, RuleState};
use crate::datasource::{InstantQuery, Querier};
use crate::rule::labels::{Labels, METRIC_NAME};
use crate::rule::{Alert, Sample};
use std::collections::HashMap;
use std::sync::Arc;

/// What retiring rules produced: staleness markers to write and resolved alerts to send.
#[derive(Debug, Default)]
pub struct Retired {
    pub samples: Vec<Sample>,
    pub batches: Vec<NotifyBatch>,
}

impl Retired {
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty() && self.batches.is_empty()
    }
}

impl GroupRunner {
    /// Takes over the state of `old`, the same group before a reload: each rule whose identity (vmalert's rule
    /// ID: kind, name, expression, own labels) is unchanged keeps its alerts, series and history; every other
    /// rule of `old` is retired at `now`.
    pub fn adopt(&mut self, mut old: GroupRunner, now: i64) -> Retired {
        let mut by_id: HashMap<u64, usize> = HashMap::new();
        for (i, r) in old.group.rules.iter().enumerate() {
            by_id.entry(r.id).or_insert(i);
        }
        let mut old_rules: Vec<Option<RuleState>> = old.rules.drain(..).map(Some).collect();
        let mut old_history = std::mem::take(&mut old.history);
        for (i, rule) in self.group.rules.iter().enumerate() {
            let Some(&j) = by_id.get(&rule.id) else {
                continue;
            };
            let Some(previous) = old_rules.get_mut(j).and_then(Option::take) else {
                continue;
            };
            match (&mut self.rules[i], previous) {
                (RuleState::Alerting(new), RuleState::Alerting(prev)) => new.adopt(prev),
                (RuleState::Recording(new), RuleState::Recording(prev)) => new.adopt(prev),
                (_, prev) => {
                    old_rules[j] = Some(prev);
                    continue;
                }
            }
            if let Some(h) = old_history.get_mut(j) {
                self.history[i] = std::mem::take(h);
            }
            self.failing_since[i] = old.failing_since.get(j).copied().flatten();
        }
        if let (Some(new), Some(prev)) = (self.outage.as_mut(), old.outage.take()) {
            new.adopt(prev);
        }
        self.iterations = old.iterations;
        self.missed = old.missed;
        self.last_tick_ms = old.last_tick_ms;
        self.last_duration_ms = old.last_duration_ms;
        retire(&old, old_rules.into_iter().flatten(), now)
    }

    /// Retires every rule: the group was removed.
    pub fn retire_all(mut self, now: i64) -> Retired {
        let rules: Vec<RuleState> = self.rules.drain(..).collect();
        let mut out = retire(&self, rules.into_iter(), now);
        if let Some(mut outage) = self.outage.take() {
            let (resolved, _) = outage.retire(now);
            if !resolved.is_empty() {
                out.batches
                    .push(self.batch(outage.settings.name.clone(), resolved, now));
            }
        }
        out
    }

    /// Installs the alerts a live sibling holds, keyed by rule ID; rules that already have alerts keep theirs.
    pub fn restore_alerts(&mut self, by_rule: &HashMap<u64, Vec<Alert>>) -> usize {
        let mut restored = 0;
        for (rule, state) in self.group.rules.iter().zip(&mut self.rules) {
            if let (RuleState::Alerting(r), Some(alerts)) = (state, by_rule.get(&rule.id)) {
                r.restore_alerts(alerts.iter().cloned());
                restored += r.alerts().count();
            }
        }
        restored
    }

    /// Reads `for` state back from `ALERTS_FOR_STATE` through `querier` (remote read), for every alerting rule
    /// with a `for`, looking back `lookback_ms` from `now`: the next successful evaluation restores the active-since
    /// time of each alert it finds again, so an alert active for longer than `for` fires at once. Returns how many
    /// series were read, or the first query error.
    pub async fn restore_from_datasource(
        &mut self,
        querier: &dyn Querier,
        lookback_ms: i64,
        now: i64,
    ) -> Result<usize, String> {
        let mut read = 0;
        let lookback = crate::config::Duration::from_millis(lookback_ms.max(1000)).to_string();
        for state in &mut self.rules {
            let RuleState::Alerting(r) = state else {
                continue;
            };
            if r.settings.for_ms <= 0 {
                continue;
            }
            let mut matchers = vec![format!(
                "alertname={}",
                crate::template::fmt::go_quote(&r.settings.name)
            )];
            if r.settings.alertgroup_label {
                matchers.push(format!(
                    "alertgroup={}",
                    crate::template::fmt::go_quote(&r.settings.group_name)
                ));
            }
            let expr = format!(
                "last_over_time(ALERTS_FOR_STATE{{{}}}[{lookback}])",
                matchers.join(",")
            );
            let result = querier
                .query(InstantQuery {
                    expr: &expr,
                    time_ms: now,
                    interval_ms: self.group.interval.as_millis(),
                    params: &[],
                    headers: &self.group.headers,
                })
                .await
                .map_err(|e| format!("restore {:?}: {e}", r.settings.name))?;
            let entries: Vec<(Labels, i64, bool)> = result
                .samples
                .iter()
                .filter(|s| s.value.is_finite() && s.value > 0.0)
                .map(|s| {
                    let mut l = s.labels.to_labels();
                    l.remove(METRIC_NAME);
                    (l, (s.value * 1000.0).round() as i64, false)
                })
                .collect();
            read += entries.len();
            r.restore_for_state(entries);
        }
        Ok(read)
    }

    fn batch(&self, rule_name: String, alerts: Vec<Alert>, now: i64) -> NotifyBatch {
        NotifyBatch {
            group_id: self.group.id,
            group_name: self.group.name.clone(),
            rule_name,
            resolve_after_ms: self.resolve_after_ms(),
            now_ms: now,
            alerts: alerts.into_iter().map(Arc::new).collect(),
            headers: self.group.notifier_headers.clone(),
        }
    }
}

/// Resolves the alerts of `rules` (rules of `owner` that go away) and marks their series stale.
fn retire(owner: &GroupRunner, rules: impl Iterator<Item = RuleState>, now: i64) -> Retired {
    let mut out = Retired::default();
    for rule in rules {
        match rule {
            RuleState::Alerting(mut r) => {
                let (resolved, stale) = r.retire(now);
                out.samples.extend(stale);
                if !resolved.is_empty() {
                    out.batches
                        .push(owner.batch(r.settings.name.clone(), resolved, now));
                }
            }
            RuleState::Recording(mut r) => out.samples.extend(r.stale_series(now)),
        }
    }
    out
}
