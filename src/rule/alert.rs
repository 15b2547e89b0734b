//! One alert of an alerting rule: its identity, labels, annotations and where it is in the state machine. Pure.

use super::packed_labels::PackedLabels;

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertState {
    /// Resolved; kept for a while so the resolve is re-sent.
    Inactive,
    /// Active, but not yet for `for`.
    Pending,
    /// Active for at least `for`.
    Firing,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}

/// An alert. Timestamps are milliseconds since the Unix epoch: `active_at`, `fired_at`, `resolved_at` and
/// `keep_firing_since` are evaluation timestamps; `last_sent` is the time of the last successful send.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// vmalert's alert ID: the hash of the labels.
    pub id: u64,
    /// Final labels: result labels, rule labels, `alertname` and `alertgroup`.
    pub labels: PackedLabels,
    pub annotations: PackedLabels,
    pub state: AlertState,
    /// The query value at the last evaluation that saw this alert.
    pub value: f64,
    pub active_at: i64,
    pub fired_at: Option<i64>,
    pub resolved_at: Option<i64>,
    /// Set while a firing alert's series is gone but `keep_firing_for` holds it firing.
    pub keep_firing_since: Option<i64>,
    /// When the alert was last delivered, and in which state.
    pub last_sent: Option<(i64, AlertState)>,
    /// The alert's `for` state was restored after a restart.
    pub restored: bool,
}

impl Alert {
    /// True while `keep_firing_for` holds a firing alert whose series is gone (vmalert's `stabilizing`).
    pub fn stabilizing(&self) -> bool {
        self.state == AlertState::Firing && self.keep_firing_since.is_some()
    }

    /// The `endsAt` to send at `now`: the resolve time once inactive, otherwise `now + resolve_after`.
    pub fn ends_at(&self, now: i64, resolve_after: i64) -> i64 {
        match (self.state, self.resolved_at) {
            (AlertState::Inactive, Some(at)) => at,
            _ => now + resolve_after,
        }
    }
}
