//! Series a rule writes each evaluation, with staleness markers for series it wrote last time and not this time.
//! Pure.

use super::packed_labels::PackedLabels;
use super::sample::{STALE_NAN, Sample};
use std::collections::HashSet;

/// Remembers which series a rule wrote at its previous evaluation, packed (one allocation per series).
#[derive(Debug, Clone, Default)]
pub struct SeriesTracker {
    previous: HashSet<PackedLabels>,
}

impl SeriesTracker {
    /// Returns `current` plus a staleness marker at `ts` for every series written last time but absent now, and
    /// remembers `current` for next time.
    pub fn emit(&mut self, current: Vec<Sample>, ts: i64) -> Vec<Sample> {
        let mut now: HashSet<PackedLabels> = HashSet::with_capacity(current.len());
        now.extend(current.iter().map(|s| s.labels.clone()));
        let mut out = current;
        out.extend(stale_markers(&self.previous, &now, PackedLabels::clone, ts));
        self.previous = now;
        out
    }

    /// Staleness markers for every series written last time, and forgets them (the rule was removed).
    pub fn stale_all(&mut self, ts: i64) -> Vec<Sample> {
        self.emit(Vec::new(), ts)
    }
}

/// A staleness marker at `ts` for every series in `previous` but not in `now`, ordered by labels; `labels` gives a
/// remembered series' labels.
pub fn stale_markers<K: Eq + std::hash::Hash>(
    previous: &HashSet<K>,
    now: &HashSet<K>,
    labels: impl Fn(&K) -> PackedLabels,
    ts: i64,
) -> Vec<Sample> {
    let mut stale: Vec<PackedLabels> = previous
        .iter()
        .filter(|key| !now.contains(*key))
        .map(labels)
        .collect();
    stale.sort();
    stale
        .into_iter()
        .map(|labels| Sample {
            labels,
            value: STALE_NAN,
            timestamp_ms: ts,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::labels::from_pairs;
    use super::*;

    fn s(name: &str, v: f64) -> Sample {
        Sample {
            labels: from_pairs(&[("__name__", name)]).into(),
            value: v,
            timestamp_ms: 1,
        }
    }

    #[test]
    fn vanished_series_get_one_stale_marker() {
        let mut t = SeriesTracker::default();
        assert_eq!(t.emit(vec![s("a", 1.0), s("b", 1.0)], 1).len(), 2);
        let out = t.emit(vec![s("a", 2.0)], 2);
        assert_eq!(out.len(), 2);
        assert!(
            out[1].is_stale()
                && out[1].labels == from_pairs(&[("__name__", "b")])
                && out[1].timestamp_ms == 2
        );
        // Only once.
        assert_eq!(t.emit(vec![s("a", 3.0)], 3).len(), 1);
        let gone = t.stale_all(4);
        assert_eq!(gone.len(), 1);
        assert!(gone[0].is_stale());
    }
}
