//! The goals for tocsin, per phase, each marked `HoldsNow` (asserted by the CI drill) or `Pending` (the
//! feature that should make it hold has not landed; printed as PENDING, never failed). When a feature lands, flip
//! its goals to `HoldsNow` here. vmalert's figures are never judged.

use super::figures::PhaseFigures;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// 0 resolves of an alert whose condition still held.
    SpuriousResolves,
    /// 0 state changes the receiver never heard of.
    Lost,
    /// 0 notifications beyond Alertmanager's own repeat that carry new content (a ruler's doing); Alertmanager's
    /// stale re-sends are reported beside it, not judged.
    Duplicates,
    /// Every steady alert listed by every live peer at every poll.
    Absent,
    /// 0 recording samples missing from VictoriaMetrics.
    MissingSamples,
}

impl Metric {
    pub fn label(self) -> &'static str {
        match self {
            Metric::SpuriousResolves => "0 spurious resolves",
            Metric::Lost => "0 lost notifications",
            Metric::Duplicates => "0 duplicate notifications",
            Metric::Absent => "longest absence from a live peer, ms",
            Metric::MissingSamples => "0 missing recording samples",
        }
    }

    /// The measured value; 0 meets the goal.
    pub fn value(self, f: &PhaseFigures) -> i64 {
        match self {
            Metric::SpuriousResolves => f.spurious_resolves as i64,
            Metric::Lost => f.lost as i64,
            Metric::Duplicates => f.duplicates as i64,
            Metric::Absent => f.max_absent_ms.unwrap_or(0),
            Metric::MissingSamples => f.missing_samples as i64,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// tocsin meets it today: the CI drill fails when it does not.
    HoldsNow,
    /// Waits for the named feature (issue #5 item).
    Pending(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct Goal {
    pub phase: usize,
    pub metric: Metric,
    pub status: Status,
}

const fn now(phase: usize, metric: Metric) -> Goal {
    Goal {
        phase,
        metric,
        status: Status::HoldsNow,
    }
}

/// A goal whose feature has not landed (none today; kept so a new goal can start as pending).
#[allow(dead_code)]
const fn pending(phase: usize, metric: Metric, feature: &'static str) -> Goal {
    Goal {
        phase,
        metric,
        status: Status::Pending(feature),
    }
}

use Metric::{Absent, Duplicates, Lost, MissingSamples, SpuriousResolves};

/// Phases: 0 settle, 1 ruler restarts, 2 Alertmanager restarts, 3 VictoriaMetrics outage, 4 ruler restarts
/// during an outage. Phase 3 holds since `-rule.holdOnError` (on by default) and the durable remote-write queue
/// (`-remoteWrite.queuePath`, in the drill's default tocsin flags) landed; phase 4 since a restarted replica takes
/// its state from a live sibling (`-replica.peers`, also in the default flags), which works while the datasource
/// is down.
pub const GOALS: &[Goal] = &[
    now(0, SpuriousResolves),
    now(0, Lost),
    now(0, Duplicates),
    now(0, MissingSamples),
    now(1, SpuriousResolves),
    now(1, Lost),
    now(1, Duplicates),
    now(1, Absent),
    now(1, MissingSamples),
    now(2, SpuriousResolves),
    now(2, Lost),
    now(2, Duplicates),
    now(2, Absent),
    now(2, MissingSamples),
    now(3, SpuriousResolves),
    now(3, Lost),
    now(3, Duplicates),
    now(3, Absent),
    now(3, MissingSamples),
    now(4, SpuriousResolves),
    now(4, Lost),
    now(4, Duplicates),
    now(4, Absent),
    now(4, MissingSamples),
];
