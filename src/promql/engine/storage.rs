//! The in-memory series store and the [`SeriesSource`] trait the evaluator reads through.
//!
//! Must not: interpret PromQL beyond label matching, or drop staleness markers (the selectors decide what they mean).

use promql_parser::label::{MatchOp, Matcher, Matchers};

use super::value::{FastMap, Labels, METRIC_NAME, Point};

/// A read-only view of one series: its labels and the points of the requested time window, in time order.
#[derive(Debug, Clone, Copy)]
pub struct SeriesView<'a> {
    /// The series' labels.
    pub labels: &'a Labels,
    /// Points with `mint <= t <= maxt`, sorted by time, staleness markers included.
    pub points: &'a [Point],
}

/// Where the evaluator gets series from. [`Storage`] implements it; an adapter over another store can too.
pub trait SeriesSource {
    /// Series matching the selector (metric `name` if given, every matcher, and one of the `or` groups if any),
    /// with their points in `[mint, maxt]` (ms, both ends included). Series are returned in a stable order (the
    /// order they were created in, as Prometheus' head block does) and may have no points in the window.
    fn select(
        &self,
        name: Option<&str>,
        matchers: &Matchers,
        mint: i64,
        maxt: i64,
    ) -> Vec<SeriesView<'_>>;
}

#[derive(Debug, Clone)]
struct StoredSeries {
    labels: Labels,
    points: Vec<Point>,
}

/// An in-memory store of float series. Samples may be added in any order; a second sample at the same timestamp
/// replaces the first.
#[derive(Debug, Clone, Default)]
pub struct Storage {
    series: Vec<StoredSeries>,
    by_labels: FastMap<Labels, usize>,
    /// Postings: series ids (ascending) for each label name and value, the metric name included.
    postings: FastMap<String, FastMap<String, Vec<usize>>>,
}

impl Storage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one sample (`t` in ms). Use [`super::STALE_NAN`] as `v` to write a staleness marker.
    pub fn add(&mut self, labels: &Labels, t: i64, v: f64) {
        let id = self.series_id(labels);
        let points = &mut self.series[id].points;
        match points.last() {
            Some(last) if last.t < t => points.push(Point { t, v }),
            None => points.push(Point { t, v }),
            _ => match points.binary_search_by(|p| p.t.cmp(&t)) {
                Ok(i) => points[i].v = v,
                Err(i) => points.insert(i, Point { t, v }),
            },
        }
    }

    /// Adds every `(t, v)` pair to the series `labels`.
    pub fn add_series(&mut self, labels: &Labels, samples: impl IntoIterator<Item = (i64, f64)>) {
        for (t, v) in samples {
            self.add(labels, t, v);
        }
    }

    /// Number of series.
    pub fn series_count(&self) -> usize {
        self.series.len()
    }

    /// Number of samples, staleness markers included.
    pub fn sample_count(&self) -> usize {
        self.series.iter().map(|s| s.points.len()).sum()
    }

    fn series_id(&mut self, labels: &Labels) -> usize {
        if let Some(&id) = self.by_labels.get(labels) {
            return id;
        }
        let id = self.series.len();
        self.series.push(StoredSeries {
            labels: labels.clone(),
            points: Vec::new(),
        });
        self.by_labels.insert(labels.clone(), id);
        for (k, v) in labels.iter() {
            self.postings
                .entry(k.to_string())
                .or_default()
                .entry(v.to_string())
                .or_default()
                .push(id);
        }
        id
    }
}

/// The points of `points` (sorted by time) with `mint <= t <= maxt`.
fn window(points: &[Point], mint: i64, maxt: i64) -> &[Point] {
    let lo = points.partition_point(|p| p.t < mint);
    let hi = points.partition_point(|p| p.t <= maxt);
    if lo < hi { &points[lo..hi] } else { &[] }
}

fn matches_all(labels: &Labels, matchers: &[Matcher]) -> bool {
    matchers.iter().all(|m| m.is_match(labels.value(&m.name)))
}

/// Whether a label set satisfies a selector: its metric name, every plain matcher, and one `or` group if any.
pub(crate) fn selector_matches(labels: &Labels, name: Option<&str>, matchers: &Matchers) -> bool {
    if let Some(n) = name
        && labels.value(METRIC_NAME) != n
    {
        return false;
    }
    matches_all(labels, &matchers.matchers)
        && (matchers.or_matchers.is_empty()
            || matchers.or_matchers.iter().any(|g| matches_all(labels, g)))
}

impl SeriesSource for Storage {
    fn select(
        &self,
        name: Option<&str>,
        matchers: &Matchers,
        mint: i64,
        maxt: i64,
    ) -> Vec<SeriesView<'_>> {
        // The shortest postings list among the equality matchers bounds the scan; every matcher is checked anyway.
        let mut shortest: Option<&[usize]> = None;
        let equalities = name.map(|n| (METRIC_NAME, n)).into_iter().chain(
            matchers
                .matchers
                .iter()
                .filter(|m| m.op == MatchOp::Equal && !m.value.is_empty())
                .map(|m| (m.name.as_str(), m.value.as_str())),
        );
        for (k, v) in equalities {
            let ids = self
                .postings
                .get(k)
                .and_then(|values| values.get(v))
                .map_or(&[][..], Vec::as_slice);
            if shortest.is_none_or(|s| ids.len() < s.len()) {
                shortest = Some(ids);
            }
        }
        let candidates: Box<dyn Iterator<Item = &StoredSeries>> = match shortest {
            Some(ids) => Box::new(ids.iter().map(|&id| &self.series[id])),
            None => Box::new(self.series.iter()),
        };
        candidates
            .filter(|s| selector_matches(&s.labels, name, matchers))
            .map(|s| SeriesView {
                labels: &s.labels,
                points: window(&s.points, mint, maxt),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promql_parser::label::MatchOp;

    #[test]
    fn select_by_name_and_matchers_in_creation_order() {
        let mut st = Storage::new();
        let b = Labels::new([("__name__", "up"), ("job", "b")]);
        let a = Labels::new([("__name__", "up"), ("job", "a")]);
        st.add(&b, 20, 2.0);
        st.add(&b, 10, 1.0);
        st.add(&a, 10, 3.0);
        st.add(&a, 10, 4.0);
        let m = Matchers::new(vec![Matcher::new(MatchOp::NotEqual, "job", "x")]);
        let got = st.select(Some("up"), &m, 0, 15);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].labels, &b);
        assert_eq!(got[0].points, &[Point { t: 10, v: 1.0 }]);
        assert_eq!(got[1].points, &[Point { t: 10, v: 4.0 }]);
        assert_eq!(st.sample_count(), 3);
    }

    #[test]
    fn select_without_name_uses_any_equality_and_checks_all_matchers() {
        let mut st = Storage::new();
        let up_a = Labels::new([("__name__", "up"), ("job", "a")]);
        let other_a = Labels::new([("__name__", "other"), ("job", "a"), ("x", "1")]);
        st.add(&up_a, 0, 1.0);
        st.add(&other_a, 0, 2.0);
        st.add(&Labels::new([("__name__", "up"), ("job", "b")]), 0, 3.0);
        let job_a = Matchers::new(vec![Matcher::new(MatchOp::Equal, "job", "a")]);
        let got: Vec<_> = st
            .select(None, &job_a, 0, 0)
            .iter()
            .map(|v| v.labels.clone())
            .collect();
        assert_eq!(got, [up_a.clone(), other_a]);
        let no_x = job_a.append(Matcher::new(MatchOp::Equal, "x", ""));
        let got: Vec<_> = st
            .select(None, &no_x, 0, 0)
            .iter()
            .map(|v| v.labels.clone())
            .collect();
        assert_eq!(got, [up_a]);
        let missing = Matchers::new(vec![Matcher::new(MatchOp::Equal, "job", "zzz")]);
        assert!(st.select(Some("up"), &missing, 0, 0).is_empty());
    }
}
