//! The compiled rule model: groups and rules after validation, with defaults applied, durations parsed and
//! identities computed. Everything downstream (scheduling, evaluation, the API) works on these types. Pure.

use super::duration::Duration;
use super::yaml::Pos;
use std::collections::BTreeMap;

/// When a group evaluates.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Every `interval`, as Prometheus and vmalert schedule groups.
    Interval(Duration),
    /// On a standard 5-field crontab expression (tocsin's own `cron` field), in `timezone` (UTC when unset).
    Cron {
        expr: String,
        timezone: Option<String>,
    },
}

/// The query language of a group's datasource. tocsin queries Prometheus-compatible APIs only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasourceType {
    Prometheus,
}

impl DatasourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            DatasourceType::Prometheus => "prometheus",
        }
    }
}

/// A validated rule group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// vmalert's group ID: FNV-1a of file, name, type, interval and eval_offset.
    pub id: u64,
    /// Where the group came from: a file path, or `<namespace>/<name>` for Kubernetes objects.
    pub file: String,
    pub name: String,
    pub pos: Pos,
    pub schedule: Schedule,
    /// The evaluation interval: the group's, or the default. For cron groups it is the default interval and is
    /// used only where an interval is needed (`endsAt`, lookbacks).
    pub interval: Duration,
    pub query_offset: Option<Duration>,
    pub eval_offset: Option<Duration>,
    pub eval_delay: Option<Duration>,
    pub eval_alignment: Option<bool>,
    /// Maximum alerts or series per rule; 0 means no limit.
    pub limit: usize,
    /// Rules evaluated in parallel; at least 1.
    pub concurrency: usize,
    pub datasource_type: DatasourceType,
    /// Extra URL parameters for every query, in the order written.
    pub params: Vec<(String, String)>,
    /// Extra HTTP headers for every query.
    pub headers: Vec<(String, String)>,
    /// Extra HTTP headers for this group's notifications.
    pub notifier_headers: Vec<(String, String)>,
    pub labels: BTreeMap<String, String>,
    /// `label="value"` matchers enforced on every query this group makes, the `query` calls of its templates
    /// included (Kubernetes tenancy, `crate::kube::tenancy`); empty for rule files. Expressions already carry them;
    /// whoever builds the group's template querier must wrap it with `crate::kube::tenancy::EnforcingQuerier`.
    pub query_matchers: Vec<(String, String)>,
    pub debug: bool,
    pub rules: Vec<Rule>,
}

/// Alerting or recording, with the fields only that kind has.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    Alerting {
        name: String,
        for_: Duration,
        keep_firing_for: Duration,
        annotations: crate::rule::PackedLabels,
    },
    Recording {
        name: String,
    },
}

/// A validated rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// vmalert's rule ID: FNV-1a of expr, kind, name and the rule's own labels.
    pub id: u64,
    pub pos: Pos,
    pub kind: RuleKind,
    pub expr: String,
    /// The rule's own labels (group labels are merged in at evaluation).
    pub labels: crate::rule::PackedLabels,
    pub debug: bool,
    /// How many evaluations the UI keeps for this rule; `None` means the process default.
    pub update_entries_limit: Option<usize>,
}

impl Rule {
    pub fn name(&self) -> &str {
        match &self.kind {
            RuleKind::Alerting { name, .. } | RuleKind::Recording { name } => name,
        }
    }

    pub fn is_alerting(&self) -> bool {
        matches!(self.kind, RuleKind::Alerting { .. })
    }
}
