//! The loop that evaluates one group: wait for the next tick, query every rule at the group's query timestamp
//! (up to `concurrency` queries at once), move each rule's state machine in rule order, hand the samples to the
//! writer and the due alerts to the notifier, and record what happened for the API.
//!
//! Outputs are reached through [`Outputs`], time through [`Clock`], so tests drive the loop with a fake querier,
//! recording outputs and tokio's paused clock. Knows no wire formats.

use super::history::History;
use super::schedule::GroupSchedule;
use super::snapshot::{
    DEFAULT_UPDATE_ENTRIES, GroupSnapshot, RECENT_DURATIONS, RuleSnapshot, StateRegistry,
};
use crate::config::{Group, RuleKind};
use crate::datasource::{BoxFuture, InstantQuery, Querier, QueryError};
use crate::rule::alerting::{AlertingRule, AlertingSettings, EvalError, Outcome, Templater};
use crate::rule::labels::{self, Labels};
use crate::rule::recording::RecordingRule;
use crate::rule::{Alert, PackedLabels, QueryResult, Sample};
use std::sync::Arc;

/// Wall-clock time in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
    }
}

/// A clock that follows tokio's (possibly paused) clock from a fixed starting wall time: with
/// `tokio::time::pause()` it only moves when the test advances it.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    start_wall_ms: i64,
    start: tokio::time::Instant,
}

impl TokioClock {
    pub fn starting_at(wall_ms: i64) -> Self {
        TokioClock {
            start_wall_ms: wall_ms,
            start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now_ms(&self) -> i64 {
        let elapsed = tokio::time::Instant::now().duration_since(self.start);
        self.start_wall_ms + i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
    }
}

/// Alerts of one rule to deliver, with what the payload needs besides the alerts.
#[derive(Debug, Clone)]
pub struct NotifyBatch {
    pub group_id: u64,
    pub group_name: String,
    pub rule_name: String,
    /// `4 × max(interval, resend delay)`, capped by the maximum resolve duration: how far ahead `endsAt` is set.
    pub resolve_after_ms: i64,
    pub now_ms: i64,
    pub alerts: Vec<Arc<Alert>>,
    pub headers: Vec<(String, String)>,
}

/// Where a group's results go. `write` must not block; `notify` resolves to true when the batch was accepted for
/// delivery (delivered, or queued by a notifier that retries on its own), and only then are the alerts marked sent.
pub trait Outputs: Send + Sync {
    fn write(&self, samples: Vec<Sample>);
    fn notify(&self, batch: NotifyBatch) -> BoxFuture<'_, bool>;
}

/// Process-wide settings of every runner.
#[derive(Debug, Clone)]
pub struct RunnerSettings {
    /// `-external.label`: merged under group and rule labels.
    pub external_labels: Labels,
    /// `-rule.resendDelay`.
    pub resend_delay_ms: i64,
    /// `-rule.maxResolveDuration`; 0 means no cap.
    pub max_resolve_ms: i64,
    /// Add `alertgroup` to alert labels (off with `-disableAlertgroupLabel`).
    pub alertgroup_label: bool,
    /// Evaluations kept per rule for the API (`-rule.updateEntriesLimit`), unless the rule sets its own.
    pub update_entries_limit: usize,
    /// `-rule.holdOnError`: how long firing alerts of a rule whose queries fail keep being re-sent; 0 sends
    /// nothing while queries fail (vmalert's behaviour).
    pub hold_on_error_ms: i64,
    /// The datasource as shown in tocsin's own `TocsinDatasourceUnreachable` alert; `None` turns that alert off.
    pub datasource_alert: Option<String>,
}

impl Default for RunnerSettings {
    fn default() -> Self {
        RunnerSettings {
            external_labels: Labels::new(),
            resend_delay_ms: 0,
            max_resolve_ms: 0,
            alertgroup_label: true,
            update_entries_limit: DEFAULT_UPDATE_ENTRIES,
            hold_on_error_ms: 0,
            datasource_alert: None,
        }
    }
}

/// A rule with its run-time state.
#[derive(Debug)]
pub enum RuleState {
    Alerting(AlertingRule),
    Recording(RecordingRule),
}

/// What happened to one rule at one evaluation, as reported to the runner's caller; the history keeps a compact
/// copy ([`super::history::HistoryEntry`]) for the API and metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleEval {
    /// Shared by every report of the rule.
    pub rule_name: Arc<str>,
    /// Wall-clock time the rule's query was sent (milliseconds since the epoch).
    pub started_ms: i64,
    /// How long the query took.
    pub duration_ms: u64,
    pub query_time_ms: i64,
    pub samples: usize,
    pub series_fetched: Option<u64>,
    pub error: Option<String>,
}

/// What one evaluation of the whole group did.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupEval {
    pub tick_ms: i64,
    pub query_time_ms: i64,
    pub rules: Vec<RuleEval>,
    /// Ticks skipped because the previous evaluation overran.
    pub missed: u64,
}

/// Evaluates one group on its schedule.
pub struct GroupRunner {
    pub group: Arc<Group>,
    schedule: GroupSchedule,
    rules: Vec<RuleState>,
    querier: Arc<dyn Querier>,
    outputs: Arc<dyn Outputs>,
    templater: Arc<dyn Templater + Send + Sync>,
    clock: Arc<dyn Clock>,
    settings: RunnerSettings,
    /// The latest evaluations of each rule, in rule order, oldest first; shared with the published snapshot.
    history: Vec<History>,
    /// Each rule's name, shared by its evaluation reports.
    names: Vec<Arc<str>>,
    iterations: u64,
    missed: u64,
    last_tick_ms: Option<i64>,
    last_duration_ms: u64,
    duration_sum_ms: u64,
    recent_durations_ms: std::collections::VecDeque<u64>,
    /// Per rule, in rule order: evaluations, failed evaluations, alerts turned firing.
    counters: Vec<RuleCounters>,
    registry: Option<Arc<StateRegistry>>,
    /// Per rule: when its queries started failing (the current run of failures), for `-rule.holdOnError`.
    failing_since: Vec<Option<i64>>,
    /// tocsin's own alert about a datasource the group cannot reach.
    outage: Option<AlertingRule>,
}

/// Counts kept per rule for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
struct RuleCounters {
    evaluations: u64,
    errors: u64,
    fired: u64,
}

impl GroupRunner {
    pub fn new(
        group: Arc<Group>,
        schedule: GroupSchedule,
        querier: Arc<dyn Querier>,
        outputs: Arc<dyn Outputs>,
        templater: Arc<dyn Templater + Send + Sync>,
        clock: Arc<dyn Clock>,
        settings: RunnerSettings,
    ) -> Self {
        let rules = group
            .rules
            .iter()
            .map(|r| {
                let merged = labels::merge(&[
                    &settings.external_labels,
                    &group.labels,
                    &r.labels.to_labels(),
                ]);
                match &r.kind {
                    RuleKind::Alerting {
                        name,
                        for_,
                        keep_firing_for,
                        annotations,
                    } => RuleState::Alerting(AlertingRule::new(AlertingSettings {
                        name: name.clone(),
                        group_name: group.name.clone(),
                        group_id: group.id,
                        expr: r.expr.clone(),
                        for_ms: for_.as_millis(),
                        keep_firing_for_ms: keep_firing_for.as_millis(),
                        labels: PackedLabels::new(&merged),
                        annotations: annotations.clone(),
                        alertgroup_label: settings.alertgroup_label,
                        limit: group.limit,
                        label_conflict: crate::rule::labels::LabelConflict::Export,
                    })),
                    RuleKind::Recording { name } => {
                        RuleState::Recording(RecordingRule::new(name.clone(), merged, group.limit))
                    }
                }
            })
            .collect();
        let outage = settings
            .datasource_alert
            .as_deref()
            .map(|ds| outage::rule(&group, ds, &settings.external_labels));
        GroupRunner {
            history: vec![History::default(); group.rules.len()],
            names: group.rules.iter().map(|r| Arc::from(r.name())).collect(),
            counters: vec![RuleCounters::default(); group.rules.len()],
            duration_sum_ms: 0,
            recent_durations_ms: std::collections::VecDeque::new(),
            failing_since: vec![None; group.rules.len()],
            outage,
            group,
            schedule,
            rules,
            querier,
            outputs,
            templater,
            clock,
            settings,
            iterations: 0,
            missed: 0,
            last_tick_ms: None,
            last_duration_ms: 0,
            registry: None,
        }
    }

    /// Publishes a snapshot into `registry` now and after every evaluation.
    pub fn with_registry(mut self, registry: Arc<StateRegistry>) -> Self {
        registry.publish(self.snapshot());
        self.registry = Some(registry);
        self
    }

    pub fn rules(&self) -> &[RuleState] {
        &self.rules
    }

    /// Runs until `shutdown` turns true, evaluating at every tick, and hands the runner back (with its rule state)
    /// when it stops. Overrunning evaluations skip ticks; a clock that jumps backwards restarts the schedule from
    /// the new time.
    pub async fn run(
        mut self,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
        mut on_eval: impl FnMut(&GroupEval),
    ) -> Self {
        let mut previous: Option<i64> = None;
        loop {
            let now = self.clock.now_ms();
            let next = match previous {
                Some(p) if now >= p => self.schedule.tick_after(now.max(p)),
                _ => self.schedule.first_tick(now),
            };
            let Ok(tick) = next else {
                tracing::error!(group = %self.group.name, "no next evaluation time; the group stops");
                return self;
            };
            let wait = u64::try_from(tick - now).unwrap_or(0);
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_millis(wait)) => {}
                _ = shutdown.changed() => return self,
            }
            if *shutdown.borrow() {
                return self;
            }
            let missed = previous.map_or(0, |p| {
                if tick > p {
                    self.schedule.missed_between(p, tick)
                } else {
                    0
                }
            });
            let mut report = self.eval_at(tick).await;
            report.missed = missed;
            self.missed += missed;
            on_eval(&report);
            if let Some(registry) = &self.registry {
                registry.publish(self.snapshot());
            }
            previous = Some(tick);
        }
    }

    /// Evaluates every rule for the tick at `tick_ms`.
    pub async fn eval_at(&mut self, tick_ms: i64) -> GroupEval {
        let ts = self.schedule.query_time(tick_ms);
        let eval_started = std::time::Instant::now();
        let timed = self.query_all(ts).await;
        let now = self.clock.now_ms();
        let resolve_after = self.resolve_after_ms();
        let mut report = GroupEval {
            tick_ms,
            query_time_ms: ts,
            rules: Vec::with_capacity(self.rules.len()),
            missed: 0,
        };
        let outage = outage::detect(timed.iter().map(|(r, _, _)| r));
        let mut written = Vec::new();
        let mut batches = Vec::new();
        let mut fired_now: Vec<u64> = Vec::with_capacity(self.rules.len());
        for (index, ((rule, (result, started_ms, duration_ms)), failing_since)) in self
            .rules
            .iter_mut()
            .zip(timed)
            .zip(&mut self.failing_since)
            .enumerate()
        {
            if result.is_err() {
                failing_since.get_or_insert(now);
            } else {
                *failing_since = None;
            }
            let result_ref = result.as_ref().map_err(|e| e.to_string());
            let result_ref = result_ref.as_ref().map_err(String::as_str).copied();
            match rule {
                RuleState::Alerting(r) => {
                    let Outcome {
                        samples,
                        error,
                        template_errors,
                        series_fetched,
                    } = r.eval(ts, result_ref, self.templater.as_ref());
                    let fired = r
                        .alerts()
                        .filter(|a| {
                            a.state == crate::rule::AlertState::Firing && a.fired_at == Some(ts)
                        })
                        .count();
                    fired_now.push(u64::try_from(fired).unwrap_or(u64::MAX));
                    // As vmalert, a failed evaluation sends nothing for the rule this round; except that while
                    // queries fail, firing alerts are held (re-sent with a fresh endsAt) for `-rule.holdOnError`.
                    let held = matches!(error, Some(EvalError::Query(_)))
                        && self.settings.hold_on_error_ms > 0
                        && failing_since
                            .is_some_and(|since| now - since <= self.settings.hold_on_error_ms);
                    let failed = error.is_some() && !held;
                    let error = error
                        .map(|e| e.to_string())
                        .or_else(|| template_errors.first().cloned());
                    // As vmalert's `lastSamples`: the series the query returned, not the ALERTS series written.
                    let returned = result.as_ref().map_or(0, |q| q.samples.len());
                    report.rules.push(RuleEval {
                        rule_name: self.names.get(index).cloned().unwrap_or_default(),
                        started_ms,
                        duration_ms,
                        query_time_ms: ts,
                        samples: returned,
                        series_fetched,
                        error,
                    });
                    written.extend(samples);
                    let due = if failed {
                        Vec::new()
                    } else {
                        r.due_for_sending(now, self.settings.resend_delay_ms)
                    };
                    if !due.is_empty() {
                        batches.push((
                            Some(index),
                            NotifyBatch {
                                group_id: self.group.id,
                                group_name: self.group.name.clone(),
                                rule_name: r.settings.name.clone(),
                                resolve_after_ms: resolve_after,
                                now_ms: now,
                                alerts: due,
                                headers: self.group.notifier_headers.clone(),
                            },
                        ));
                    }
                }
                RuleState::Recording(r) => {
                    fired_now.push(0);
                    let series_fetched = result.as_ref().ok().and_then(|q| q.series_fetched);
                    let (samples, error) = match r.eval(ts, result_ref) {
                        Ok(s) => (s, None),
                        Err(e) => (Vec::new(), Some(e.to_string())),
                    };
                    report.rules.push(RuleEval {
                        rule_name: self.names.get(index).cloned().unwrap_or_default(),
                        started_ms,
                        duration_ms,
                        query_time_ms: ts,
                        samples: samples.len(),
                        series_fetched,
                        error,
                    });
                    written.extend(samples);
                }
            }
        }
        if !written.is_empty() {
            self.outputs.write(written);
        }
        if let Some(rule) = &mut self.outage {
            let due = outage::eval(
                rule,
                ts,
                now,
                outage.as_deref(),
                self.settings.resend_delay_ms,
            );
            if !due.is_empty() {
                batches.push((
                    None,
                    NotifyBatch {
                        group_id: self.group.id,
                        group_name: self.group.name.clone(),
                        rule_name: rule.settings.name.clone(),
                        resolve_after_ms: resolve_after,
                        now_ms: now,
                        alerts: due,
                        headers: self.group.notifier_headers.clone(),
                    },
                ));
            }
        }
        self.deliver(batches, now).await;
        for (c, (eval, fired)) in self
            .counters
            .iter_mut()
            .zip(report.rules.iter().zip(&fired_now))
        {
            c.evaluations += 1;
            c.errors += u64::from(eval.error.is_some());
            c.fired += fired;
        }
        self.record(&report, eval_started.elapsed());
        report
    }

    /// Hands each batch to the notifier and marks its alerts sent when it was accepted. A batch belongs to the
    /// rule at its index, or to the outage alert (`None`).
    async fn deliver(&mut self, batches: Vec<(Option<usize>, NotifyBatch)>, now: i64) {
        for (index, batch) in batches {
            let sent: Vec<(PackedLabels, crate::rule::AlertState)> = batch
                .alerts
                .iter()
                .map(|a| (a.labels.clone(), a.state))
                .collect();
            if !self.outputs.notify(batch).await {
                continue;
            }
            let rule = match index {
                Some(i) => match self.rules.get_mut(i) {
                    Some(RuleState::Alerting(r)) => Some(r),
                    _ => None,
                },
                None => self.outage.as_mut(),
            };
            if let Some(r) = rule {
                for (labels, state) in &sent {
                    r.mark_sent(labels, *state, now);
                }
            }
        }
    }

    /// Keeps the evaluation for the API: per-rule history bounded by the rule's (or the process's) entry limit.
    fn record(&mut self, report: &GroupEval, took: std::time::Duration) {
        self.iterations += 1;
        self.last_tick_ms = Some(report.tick_ms);
        self.last_duration_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        self.duration_sum_ms = self.duration_sum_ms.saturating_add(self.last_duration_ms);
        if self.recent_durations_ms.len() >= RECENT_DURATIONS {
            self.recent_durations_ms.pop_front();
        }
        self.recent_durations_ms.push_back(self.last_duration_ms);
        for ((history, rule), eval) in self
            .history
            .iter_mut()
            .zip(&self.group.rules)
            .zip(&report.rules)
        {
            let limit = rule
                .update_entries_limit
                .unwrap_or(self.settings.update_entries_limit);
            *history = history.pushed(eval, limit);
        }
    }

    /// The group's state now, for the API and for restore by a sibling.
    pub fn snapshot(&self) -> GroupSnapshot {
        let rules = self
            .rules
            .iter()
            .zip(&self.history)
            .zip(&self.counters)
            .enumerate()
            .map(|(index, ((state, history), c))| match state {
                RuleState::Alerting(r) => RuleSnapshot {
                    index,
                    labels: r.settings.labels.clone(),
                    alerts: r.shared_alerts().cloned().collect(),
                    history: history.clone(),
                    evaluations: c.evaluations,
                    errors: c.errors,
                    fired: c.fired,
                },
                RuleState::Recording(r) => RuleSnapshot {
                    index,
                    labels: r.labels.clone(),
                    alerts: Vec::new(),
                    history: history.clone(),
                    evaluations: c.evaluations,
                    errors: c.errors,
                    fired: 0,
                },
            })
            .collect();
        GroupSnapshot {
            group: self.group.clone(),
            last_tick_ms: self.last_tick_ms,
            last_duration_ms: self.last_duration_ms,
            iterations: self.iterations,
            missed: self.missed,
            duration_sum_ms: self.duration_sum_ms,
            recent_durations_ms: self.recent_durations_ms.iter().copied().collect(),
            rules,
        }
    }

    /// `4 × max(interval, resend delay)`, capped by the maximum resolve duration when one is set.
    fn resolve_after_ms(&self) -> i64 {
        let interval = self
            .schedule
            .interval_ms()
            .unwrap_or(self.group.interval.as_millis());
        let after = 4 * interval.max(self.settings.resend_delay_ms);
        if self.settings.max_resolve_ms > 0 {
            after.min(self.settings.max_resolve_ms)
        } else {
            after
        }
    }

    /// Queries every rule at `ts`, at most `concurrency` at a time, results in rule order, each with the wall time
    /// its query started and how long it took.
    async fn query_all(&self, ts: i64) -> Vec<(Result<QueryResult, QueryError>, i64, u64)> {
        let interval_ms = self.group.interval.as_millis();
        let concurrency = self.group.concurrency.max(1);
        let exprs: Vec<&str> = self.group.rules.iter().map(|r| r.expr.as_str()).collect();
        let mut results = Vec::with_capacity(exprs.len());
        for chunk in exprs.chunks(concurrency) {
            let futures = chunk.iter().map(|expr| -> BoxFuture<'_, _> {
                let query = self.querier.query(InstantQuery {
                    expr,
                    time_ms: ts,
                    interval_ms,
                    params: &self.group.params,
                    headers: &self.group.headers,
                });
                Box::pin(async move {
                    let started_ms = self.clock.now_ms();
                    let started = std::time::Instant::now();
                    let result = query.await;
                    let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                    (result, started_ms, took)
                })
            });
            results.extend(join_all(futures).await);
        }
        results
    }
}

/// Awaits futures concurrently, results in order. (A small `join_all`, to avoid a dependency for one function.)
async fn join_all<T>(futures: impl IntoIterator<Item = BoxFuture<'_, T>>) -> Vec<T> {
    let mut pending: Vec<(usize, BoxFuture<'_, T>)> = futures.into_iter().enumerate().collect();
    let mut out: Vec<Option<T>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        pending.retain_mut(|(i, f)| match f.as_mut().poll(cx) {
            std::task::Poll::Ready(v) => {
                out[*i] = Some(v);
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

mod handover;
mod outage;

pub use handover::Retired;
pub use outage::ALERT_NAME as OUTAGE_ALERT_NAME;

#[cfg(test)]
mod tests;
