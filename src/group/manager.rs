//! The set of running groups. [`Manager::apply`] turns a freshly loaded rule set into running groups: new groups
//! start, groups whose definition is unchanged keep running untouched, changed groups restart with the alert
//! state of every rule whose identity is unchanged (the others resolve their alerts and mark their series stale),
//! and removed groups resolve their alerts and stop. The same call starts everything at startup, after restoring
//! state, so a reload and a start are one code path.
//!
//! Groups are matched by file and name, not by vmalert's group ID (which hashes the interval): a group whose
//! interval changes keeps its alerts. Validation happens before anything stops, so a rule set that cannot be
//! scheduled changes nothing. Sends what retiring produces through the outputs; knows no wire formats.

use super::runner::{Clock, GroupEval, GroupRunner, Outputs, Retired, RunnerSettings};
use super::schedule::GroupSchedule;
use super::snapshot::StateRegistry;
use crate::config::Group;
use crate::datasource::Querier;
use crate::rule::{Alert, Templater};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A templater shared by every runner.
pub type SharedTemplater = Arc<dyn Templater + Send + Sync>;

/// What every runner is built with.
#[derive(Clone)]
pub struct Deps {
    pub querier: Arc<dyn Querier>,
    pub outputs: Arc<dyn Outputs>,
    pub clock: Arc<dyn Clock>,
    pub settings: RunnerSettings,
    /// `-rule.evalDelay` and `-group.maxStartDelay`, for schedules.
    pub eval_delay_ms: i64,
    pub max_start_delay_ms: i64,
    pub registry: Arc<StateRegistry>,
}

/// State to restore into groups that start for the first time (at process start).
#[derive(Default)]
pub struct Restore {
    /// Alerts a live sibling holds: group ID → rule ID → alerts.
    pub sibling: Option<HashMap<u64, HashMap<u64, Vec<Alert>>>>,
    /// Where `ALERTS_FOR_STATE` is read back from when no sibling answered (`-remoteRead.url`).
    pub remote_read: Option<Arc<dyn Querier>>,
    pub lookback_ms: i64,
}

/// What a call to [`Manager::apply`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Change {
    pub started: usize,
    pub restarted: usize,
    pub stopped: usize,
    pub unchanged: usize,
}

struct Running {
    group: Arc<Group>,
    stop: watch::Sender<bool>,
    task: JoinHandle<GroupRunner>,
}

/// The running groups, keyed by (file, name).
pub struct Manager {
    deps: Deps,
    templater: SharedTemplater,
    running: BTreeMap<(String, String), Running>,
}

impl Manager {
    pub fn new(deps: Deps, templater: SharedTemplater) -> Self {
        Manager {
            deps,
            templater,
            running: BTreeMap::new(),
        }
    }

    /// Number of running groups.
    pub fn len(&self) -> usize {
        self.running.len()
    }

    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// Makes `groups` the running set. A new `templater` (templates reloaded) restarts every group, keeping state.
    /// `restore` applies to groups that were not running before. Nothing changes when a group cannot be scheduled.
    pub async fn apply(
        &mut self,
        groups: Vec<Group>,
        templater: Option<SharedTemplater>,
        restore: &Restore,
    ) -> Result<Change, String> {
        let mut prepared = Vec::with_capacity(groups.len());
        let mut seen = std::collections::HashSet::new();
        for g in groups {
            let key = (g.file.clone(), g.name.clone());
            if !seen.insert(key.clone()) {
                return Err(format!("group {:?} in {} is defined twice", g.name, g.file));
            }
            let schedule =
                GroupSchedule::new(&g, self.deps.eval_delay_ms, self.deps.max_start_delay_ms)
                    .map_err(|e| format!("group {:?} in {}: {e}", g.name, g.file))?;
            prepared.push((key, g, schedule));
        }
        let templates_changed = templater.is_some();
        if let Some(t) = templater {
            self.templater = t;
        }
        let mut change = Change::default();
        let mut old = std::mem::take(&mut self.running);
        for (key, group, schedule) in prepared {
            let previous = old.remove(&key);
            if let Some(p) = &previous
                && !templates_changed
                && *p.group == group
                && !p.task.is_finished()
            {
                change.unchanged += 1;
                self.running
                    .insert(key, previous.expect("checked just above"));
                continue;
            }
            let group = Arc::new(group);
            let mut runner = GroupRunner::new(
                group.clone(),
                schedule,
                self.deps.querier.clone(),
                self.deps.outputs.clone(),
                self.templater.clone(),
                self.deps.clock.clone(),
                self.deps.settings.clone(),
            );
            match previous {
                Some(p) => {
                    change.restarted += 1;
                    let old_id = p.group.id;
                    if let Some(old_runner) = stop(p).await {
                        let retired = runner.adopt(old_runner, self.deps.clock.now_ms());
                        self.send(retired).await;
                    }
                    if old_id != group.id {
                        self.deps.registry.remove(old_id);
                    }
                }
                None => {
                    change.started += 1;
                    self.restore_into(&mut runner, restore).await;
                }
            }
            let runner = runner.with_registry(self.deps.registry.clone());
            self.running.insert(key, spawn(runner));
        }
        for (_, p) in old {
            change.stopped += 1;
            let id = p.group.id;
            if let Some(runner) = stop(p).await {
                let retired = runner.retire_all(self.deps.clock.now_ms());
                self.send(retired).await;
            }
            self.deps.registry.remove(id);
        }
        Ok(change)
    }

    /// Stops every group (shutdown): alerts are neither resolved nor sent; siblings and restore carry them on.
    pub async fn stop_all(&mut self) {
        let running = std::mem::take(&mut self.running);
        for p in running.values() {
            let _ = p.stop.send(true);
        }
        for (_, p) in running {
            let _ = p.task.await;
        }
    }

    async fn restore_into(&self, runner: &mut GroupRunner, restore: &Restore) {
        let name = runner.group.name.clone();
        if let Some(by_group) = &restore.sibling {
            if let Some(by_rule) = by_group.get(&runner.group.id) {
                let n = runner.restore_alerts(by_rule);
                tracing::info!(group = %name, alerts = n, "alert state restored from a sibling replica");
            }
            return;
        }
        if let Some(q) = &restore.remote_read {
            let now = self.deps.clock.now_ms();
            match runner
                .restore_from_datasource(q.as_ref(), restore.lookback_ms, now)
                .await
            {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(group = %name, series = n, "for state read back from remote read")
                }
                Err(e) => tracing::warn!(group = %name, "cannot restore alert state: {e}"),
            }
        }
    }

    async fn send(&self, retired: Retired) {
        if retired.is_empty() {
            return;
        }
        if !retired.samples.is_empty() {
            self.deps.outputs.write(retired.samples);
        }
        for batch in retired.batches {
            let rule = batch.rule_name.clone();
            let group = batch.group_name.clone();
            if !self.deps.outputs.notify(batch).await {
                tracing::warn!(group = %group, rule = %rule, "resolves of a removed rule were not accepted");
            }
        }
    }
}

fn spawn(runner: GroupRunner) -> Running {
    let (stop, stopped) = watch::channel(false);
    let group = runner.group.clone();
    let name = group.name.clone();
    let task = tokio::spawn(runner.run(stopped, move |eval: &GroupEval| log_eval(&name, eval)));
    Running { group, stop, task }
}

/// Stops a runner and takes it back; `None` if its task panicked.
async fn stop(p: Running) -> Option<GroupRunner> {
    let _ = p.stop.send(true);
    match p.task.await {
        Ok(runner) => Some(runner),
        Err(e) => {
            tracing::error!(group = %p.group.name, "group task failed: {e}");
            None
        }
    }
}

fn log_eval(name: &str, eval: &GroupEval) {
    for r in eval.rules.iter().filter(|r| r.error.is_some()) {
        tracing::warn!(group = %name, rule = %r.rule_name, "evaluation failed: {}", r.error.as_deref().unwrap_or(""));
    }
    if eval.missed > 0 {
        tracing::warn!(group = %name, missed = eval.missed, "evaluation overran; ticks skipped");
    }
}

#[cfg(test)]
mod tests;
