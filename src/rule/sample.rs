//! The values rules consume and produce: query results in, samples out. Pure.

use super::packed_labels::PackedLabels;

/// Prometheus's staleness marker: a NaN with a fixed bit pattern, written when a series ends.
pub const STALE_NAN: f64 = f64::from_bits(0x7ff0_0000_0000_0002);

/// True when `v` is the staleness marker (not just any NaN).
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN.to_bits()
}

/// One series of an instant-query result.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySample {
    /// Packed: a group's results are all held until its evaluation is done.
    pub labels: PackedLabels,
    pub value: f64,
    /// The timestamp the datasource returned, in milliseconds.
    pub timestamp_ms: i64,
}

/// An instant-query result with what vmalert reads besides the samples.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryResult {
    pub samples: Vec<QuerySample>,
    /// `stats.seriesFetched`, when the datasource reports it (VictoriaMetrics does).
    pub series_fetched: Option<u64>,
    /// `isPartial`: the datasource could not reach every storage node.
    pub is_partial: bool,
}

/// A sample to write (remote write, or the offline store of `tocsin test`).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// All labels, including `__name__`; packed, since a batch of samples can wait a while to be written.
    pub labels: PackedLabels,
    pub value: f64,
    pub timestamp_ms: i64,
}

impl Sample {
    pub fn is_stale(&self) -> bool {
        is_stale_nan(self.value)
    }
}
