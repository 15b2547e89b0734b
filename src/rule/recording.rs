//! Recording rules: a query result becomes series named after the rule, with the rule's labels applied, and series
//! that vanished since the last evaluation get a staleness marker. Pure.

use super::labels::{self, Labels, METRIC_NAME};
use super::packed_labels::PackedLabels;
use super::sample::{QueryResult, Sample};
use super::series::SeriesTracker;
use std::collections::HashSet;

/// Why a recording rule's evaluation produced nothing.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordingError {
    #[error("query failed: {0}")]
    Query(String),
    #[error("result contains metrics with the same labelset after applying rule labels: {0}")]
    DuplicateLabelSet(String),
    #[error("exec exceeded limit of {limit} with {count} series")]
    Limit { limit: usize, count: usize },
}

/// A recording rule and the series it wrote last time.
#[derive(Debug, Clone)]
pub struct RecordingRule {
    pub name: String,
    /// Labels to add: external < group < rule, merged.
    pub labels: PackedLabels,
    /// Maximum series per evaluation; 0 means no limit.
    pub limit: usize,
    /// vmalert's `exported_` rule (the default) or Prometheus's overwrite.
    pub label_conflict: labels::LabelConflict,
    series: SeriesTracker,
}

impl RecordingRule {
    pub fn new(name: String, labels: Labels, limit: usize) -> Self {
        RecordingRule {
            name,
            labels: PackedLabels::new(&labels),
            limit,
            label_conflict: labels::LabelConflict::Export,
            series: SeriesTracker::default(),
        }
    }

    /// Turns the query result at `ts` into samples to write. On any error nothing is written and the previous
    /// series are remembered, so they are marked stale only once a later evaluation succeeds without them.
    pub fn eval(
        &mut self,
        ts: i64,
        result: Result<&QueryResult, &str>,
    ) -> Result<Vec<Sample>, RecordingError> {
        let result = result.map_err(|e| RecordingError::Query(e.to_string()))?;
        if self.limit > 0 && result.samples.len() > self.limit {
            return Err(RecordingError::Limit {
                limit: self.limit,
                count: result.samples.len(),
            });
        }
        let mut seen = HashSet::with_capacity(result.samples.len());
        let mut out = Vec::with_capacity(result.samples.len());
        for s in &result.samples {
            let mut base = s.labels.to_labels();
            base.remove(METRIC_NAME);
            let mut l = labels::apply_extra_with(&base, &self.labels, self.label_conflict);
            l.insert(METRIC_NAME.to_string(), self.name.clone());
            let packed = PackedLabels::new(&l);
            if !seen.insert(packed.clone()) {
                let shown: Vec<String> = l.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
                return Err(RecordingError::DuplicateLabelSet(format!(
                    "{{{}}}",
                    shown.join(", ")
                )));
            }
            out.push(Sample {
                labels: packed,
                value: s.value,
                timestamp_ms: s.timestamp_ms,
            });
        }
        Ok(self.series.emit(out, ts))
    }

    /// Takes over the series `old` (the same rule before a reload) wrote, so staleness continues across the reload.
    pub fn adopt(&mut self, old: RecordingRule) {
        self.series = old.series;
    }

    /// Series this rule wrote last time, marked stale: for a rule that is removed or changed on reload.
    pub fn stale_series(&mut self, ts: i64) -> Vec<Sample> {
        self.series.stale_all(ts)
    }
}

#[cfg(test)]
mod tests {
    use super::super::labels::from_pairs;
    use super::super::sample::QuerySample;
    use super::*;

    fn result(series: &[(&[(&str, &str)], f64)]) -> QueryResult {
        QueryResult {
            samples: series
                .iter()
                .map(|(l, v)| QuerySample {
                    labels: from_pairs(l).into(),
                    value: *v,
                    timestamp_ms: 990,
                })
                .collect(),
            ..QueryResult::default()
        }
    }

    #[test]
    fn names_labels_timestamps_and_staleness() {
        let mut r = RecordingRule::new(
            "job:up:sum".into(),
            from_pairs(&[("team", "infra"), ("job", "x")]),
            0,
        );
        let out = r
            .eval(
                1000,
                Ok(&result(&[
                    (&[("__name__", "up"), ("job", "node")], 1.0),
                    (&[("job", "vm")], 2.0),
                ])),
            )
            .expect("eval");
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[0].labels,
            from_pairs(&[
                ("__name__", "job:up:sum"),
                ("job", "x"),
                ("exported_job", "node"),
                ("team", "infra")
            ])
        );
        assert_eq!(
            out[0].timestamp_ms, 990,
            "the datasource's timestamp is kept"
        );
        let out = r
            .eval(2000, Ok(&result(&[(&[("job", "vm")], 3.0)])))
            .expect("eval");
        assert_eq!(out.len(), 2);
        assert!(out[1].is_stale() && out[1].timestamp_ms == 2000);
    }

    #[test]
    fn duplicates_limits_and_errors_write_nothing() {
        let mut r = RecordingRule::new("r".into(), from_pairs(&[("job", "same")]), 0);
        let dup = result(&[(&[("job", "a")], 1.0), (&[("job", "b")], 1.0)]);
        // Both become {__name__="r", job="same", exported_job=...}: distinct, so no error.
        assert!(r.eval(1, Ok(&dup)).is_ok());
        let mut r = RecordingRule::new("r".into(), Labels::new(), 0);
        let dup = result(&[
            (&[("__name__", "a"), ("x", "1")], 1.0),
            (&[("__name__", "b"), ("x", "1")], 1.0),
        ]);
        assert!(matches!(
            r.eval(1, Ok(&dup)),
            Err(RecordingError::DuplicateLabelSet(_))
        ));
        let mut r = RecordingRule::new("r".into(), Labels::new(), 1);
        let two = result(&[(&[("x", "1")], 1.0), (&[("x", "2")], 1.0)]);
        assert_eq!(
            r.eval(1, Ok(&two)),
            Err(RecordingError::Limit { limit: 1, count: 2 })
        );
        assert_eq!(
            r.eval(1, Err("boom")),
            Err(RecordingError::Query("boom".into()))
        );
    }
}
