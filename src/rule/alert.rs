//! One alert of an alerting rule: its identity, labels, annotations and where it is in the state machine. Pure.

use super::packed_labels::PackedLabels;
use std::sync::atomic::{AtomicU64, Ordering};

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
    pub last_sent: LastSent,
    /// The alert's `for` state was restored after a restart.
    pub restored: bool,
}

/// When an alert was last delivered and in which state. Updated in place ([`LastSent::set`] takes `&self`): the
/// alert is shared with published snapshots, and recording a send must not copy it. Readers see either the old or
/// the new value, never a mix (one atomic word: the time in milliseconds shifted left by two, the state below).
#[derive(Default)]
pub struct LastSent(AtomicU64);

impl LastSent {
    pub fn new(value: Option<(i64, AlertState)>) -> Self {
        LastSent(AtomicU64::new(Self::pack(value)))
    }

    pub fn get(&self) -> Option<(i64, AlertState)> {
        let v = self.0.load(Ordering::Relaxed);
        let state = match v & 3 {
            1 => AlertState::Inactive,
            2 => AlertState::Pending,
            3 => AlertState::Firing,
            _ => return None,
        };
        // Arithmetic shift: negative times come back negative.
        Some(((v as i64) >> 2, state))
    }

    pub fn set(&self, value: Option<(i64, AlertState)>) {
        self.0.store(Self::pack(value), Ordering::Relaxed);
    }

    fn pack(value: Option<(i64, AlertState)>) -> u64 {
        match value {
            None => 0,
            Some((at, state)) => {
                let code = match state {
                    AlertState::Inactive => 1,
                    AlertState::Pending => 2,
                    AlertState::Firing => 3,
                };
                // Millisecond times fit in 62 bits (±73 million years).
                ((at << 2) as u64) | code
            }
        }
    }
}

impl Clone for LastSent {
    fn clone(&self) -> Self {
        LastSent::new(self.get())
    }
}

impl PartialEq for LastSent {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl std::fmt::Debug for LastSent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_sent_round_trips_every_state_and_sign() {
        for value in [
            None,
            Some((0, AlertState::Inactive)),
            Some((1_700_000_000_123, AlertState::Pending)),
            Some((-5_000, AlertState::Firing)),
        ] {
            let l = LastSent::new(value);
            assert_eq!(l.get(), value);
            l.set(Some((42, AlertState::Firing)));
            assert_eq!(l.clone().get(), Some((42, AlertState::Firing)));
        }
    }
}
