//! The `ALERTS` and `ALERTS_FOR_STATE` series an alerting rule writes each evaluation, with staleness markers for
//! those it wrote last time and not this time. Pure.
//!
//! Unlike [`super::series::SeriesTracker`], which remembers every written label set, this remembers each alert's own
//! label set (shared with the alert, so it costs a pointer) and which of its series were written; the series'
//! labels are rebuilt only for the markers of series that vanished. Must not decide anything about alert state.

use super::alert::{Alert, AlertState};
use super::labels::METRIC_NAME;
use super::packed_labels::PackedLabels;
use super::sample::Sample;
use super::series::stale_markers;
use std::collections::HashSet;

/// Which series of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Series {
    /// `ALERTS{…, alertstate}`, by state (a pending alert that fires changes series).
    Alerts(AlertState),
    /// `ALERTS_FOR_STATE{…}`.
    ForState,
}

impl Series {
    fn labels(self, alert: &PackedLabels) -> PackedLabels {
        match self {
            Series::Alerts(state) => {
                alert.with(&[(METRIC_NAME, "ALERTS"), ("alertstate", state.as_str())])
            }
            Series::ForState => alert.with(&[(METRIC_NAME, "ALERTS_FOR_STATE")]),
        }
    }
}

/// Remembers which alert series a rule wrote at its previous evaluation.
#[derive(Debug, Clone, Default)]
pub struct AlertSeriesTracker {
    previous: HashSet<(PackedLabels, Series)>,
}

impl AlertSeriesTracker {
    /// `ALERTS{…,alertstate}` = 1 and `ALERTS_FOR_STATE{…}` = active-since in seconds at `ts` for every active
    /// alert, in the order given, then a staleness marker for every series written last time but not now (ordered
    /// by labels); remembers what was written for next time.
    pub fn emit<'a>(&mut self, alerts: impl Iterator<Item = &'a Alert>, ts: i64) -> Vec<Sample> {
        let mut out = Vec::new();
        let mut now = HashSet::new();
        for a in alerts.filter(|a| a.state != AlertState::Inactive) {
            for (series, value) in [
                (Series::Alerts(a.state), 1.0),
                (Series::ForState, a.active_at as f64 / 1000.0),
            ] {
                out.push(Sample {
                    labels: series.labels(&a.labels),
                    value,
                    timestamp_ms: ts,
                });
                now.insert((a.labels.clone(), series));
            }
        }
        out.extend(stale_markers(
            &self.previous,
            &now,
            |(labels, series)| series.labels(labels),
            ts,
        ));
        self.previous = now;
        out
    }

    /// Staleness markers for every series written last time, and forgets them (the rule goes away).
    pub fn stale_all(&mut self, ts: i64) -> Vec<Sample> {
        self.emit(std::iter::empty(), ts)
    }
}

#[cfg(test)]
mod tests {
    use super::super::labels::from_pairs;
    use super::*;

    fn alert(instance: &str, state: AlertState, active_at: i64) -> Alert {
        Alert {
            id: 0,
            labels: from_pairs(&[("alertname", "A"), ("instance", instance)]).into(),
            annotations: PackedLabels::default(),
            state,
            value: 1.0,
            active_at,
            fired_at: None,
            resolved_at: None,
            keep_firing_since: None,
            last_sent: Default::default(),
            restored: false,
        }
    }

    fn shown(samples: &[Sample]) -> Vec<String> {
        samples
            .iter()
            .map(|s| {
                let v = if s.is_stale() {
                    "stale".to_string()
                } else {
                    s.value.to_string()
                };
                let l: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{} {v}", l.join(","))
            })
            .collect()
    }

    #[test]
    fn a_state_change_and_a_vanished_alert_get_markers() {
        let mut t = AlertSeriesTracker::default();
        let a = alert("a", AlertState::Pending, 1_000);
        let b = alert("b", AlertState::Firing, 2_000);
        assert_eq!(
            shown(&t.emit([&a, &b].into_iter(), 10)),
            [
                "__name__=ALERTS,alertname=A,alertstate=pending,instance=a 1",
                "__name__=ALERTS_FOR_STATE,alertname=A,instance=a 1",
                "__name__=ALERTS,alertname=A,alertstate=firing,instance=b 1",
                "__name__=ALERTS_FOR_STATE,alertname=A,instance=b 2",
            ]
        );
        // `a` fires, `b` resolves (inactive alerts write nothing).
        let a = alert("a", AlertState::Firing, 1_000);
        let b = alert("b", AlertState::Inactive, 2_000);
        assert_eq!(
            shown(&t.emit([&a, &b].into_iter(), 20)),
            [
                "__name__=ALERTS,alertname=A,alertstate=firing,instance=a 1",
                "__name__=ALERTS_FOR_STATE,alertname=A,instance=a 1",
                "__name__=ALERTS,alertname=A,alertstate=firing,instance=b stale",
                "__name__=ALERTS,alertname=A,alertstate=pending,instance=a stale",
                "__name__=ALERTS_FOR_STATE,alertname=A,instance=b stale",
            ]
        );
        // Markers only once; then everything goes.
        assert_eq!(t.emit([&a].into_iter(), 30).len(), 2);
        assert_eq!(
            shown(&t.stale_all(40)),
            [
                "__name__=ALERTS,alertname=A,alertstate=firing,instance=a stale",
                "__name__=ALERTS_FOR_STATE,alertname=A,instance=a stale",
            ]
        );
        assert!(t.stale_all(50).is_empty());
    }
}
