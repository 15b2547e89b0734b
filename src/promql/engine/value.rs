//! Value types of the evaluator: label sets, samples, series and query results, plus the staleness marker.
//!
//! Must not: know about expressions or storage; these are plain data with Prometheus' printing conventions.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// Label holding the metric name.
pub const METRIC_NAME: &str = "__name__";

/// Prometheus' staleness marker: a NaN with this exact bit pattern ends a series for instant selectors and is
/// skipped by range selectors.
pub const STALE_NAN: f64 = f64::from_bits(0x7ff0_0000_0000_0002);

/// Whether `v` is the staleness marker (compares bits: any other NaN is an ordinary value).
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN.to_bits()
}

/// A label set: pairs sorted by name, names unique, no empty values (an empty value means "absent").
/// Cloning is cheap (shared); changing a shared set copies it first. Names and values are shared strings, so the
/// copies that functions and operators make (a set without `__name__`, a matching signature) allocate one vector and
/// no strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(Arc<Vec<(Arc<str>, Arc<str>)>>);

impl Labels {
    /// Builds a label set; pairs are sorted, a later duplicate name wins, empty values are dropped.
    pub fn new<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut v: Vec<(Arc<str>, Arc<str>)> = pairs
            .into_iter()
            .map(|(k, v)| (Arc::from(k.into()), Arc::from(v.into())))
            .collect();
        // Stable: among equal names the input order stays, so keeping the last of each run keeps the later one.
        v.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Arc<str>, Arc<str>)> = Vec::with_capacity(v.len());
        for pair in v {
            match out.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => out.push(pair),
            }
        }
        out.retain(|(_, v)| !v.is_empty());
        Labels(Arc::new(out))
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| (**k).cmp(name))
            .ok()
            .map(|i| &*self.0[i].1)
    }

    /// The value of `name`, or "" when absent (PromQL treats both alike).
    pub fn value(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// The metric name, if any.
    pub fn name(&self) -> Option<&str> {
        self.get(METRIC_NAME)
    }

    /// Sets `name` to `value`; an empty value removes the label.
    pub fn set(&mut self, name: &str, value: &str) {
        match self.0.binary_search_by(|(k, _)| (**k).cmp(name)) {
            Ok(i) if value.is_empty() => {
                Arc::make_mut(&mut self.0).remove(i);
            }
            Ok(i) if &*self.0[i].1 == value => {}
            Ok(i) => Arc::make_mut(&mut self.0)[i].1 = Arc::from(value),
            Err(_) if value.is_empty() => {}
            Err(i) => Arc::make_mut(&mut self.0).insert(i, (Arc::from(name), Arc::from(value))),
        }
    }

    /// Removes `name` if present.
    pub fn remove(&mut self, name: &str) {
        if let Ok(i) = self.0.binary_search_by(|(k, _)| (**k).cmp(name)) {
            Arc::make_mut(&mut self.0).remove(i);
        }
    }

    /// A copy without the metric name.
    pub fn without_name(&self) -> Labels {
        if self.name().is_none() {
            return self.clone();
        }
        self.filtered(|k| k != METRIC_NAME)
    }

    /// A copy keeping only the labels for which `keep` is true.
    pub fn filtered(&self, keep: impl Fn(&str) -> bool) -> Labels {
        Labels(Arc::new(
            self.0.iter().filter(|(k, _)| keep(k)).cloned().collect(),
        ))
    }

    /// A copy with only the labels named in `names`.
    pub fn keep_only(&self, names: &[String]) -> Labels {
        self.filtered(|k| names.iter().any(|n| n == k))
    }

    /// A copy without the labels named in `names`.
    pub fn without(&self, names: &[String]) -> Labels {
        self.filtered(|k| !names.iter().any(|n| n == k))
    }

    /// The pairs, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no labels.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Prints like Prometheus' `labels.Labels.String()`: `{a="1", b="x\"y"}` with Go-quoted values.
impl fmt::Display for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}={}", go_quote(v))?;
        }
        f.write_str("}")
    }
}

/// Go's `strconv.Quote`, as Prometheus prints label values (one implementation, in the template module).
pub(crate) use crate::template::fmt::go_quote;

/// One timestamped value of a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Milliseconds since the Unix epoch.
    pub t: i64,
    /// The value; may be NaN, ±Inf or (in storage) [`STALE_NAN`].
    pub v: f64,
}

/// One element of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series' labels (the metric name is the `__name__` label).
    pub labels: Labels,
    /// Milliseconds since the Unix epoch: the evaluation time for query results.
    pub t: i64,
    /// The value.
    pub v: f64,
}

/// A series with its points in time order: an element of a range-query result or of a range vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series' labels.
    pub labels: Labels,
    /// Points sorted by time.
    pub points: Vec<Point>,
}

/// The result of evaluating an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A number and the evaluation time (ms).
    Scalar(f64, i64),
    /// An instant vector.
    Vector(Vec<Sample>),
    /// A range vector (raw points of a range selector or subquery).
    Matrix(Vec<Series>),
    /// A string literal.
    String(String),
}

impl Value {
    /// The PromQL type name: `scalar`, `vector`, `matrix` or `string`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Scalar(..) => "scalar",
            Value::Vector(_) => "vector",
            Value::Matrix(_) => "matrix",
            Value::String(_) => "string",
        }
    }
}

/// The hasher of the evaluator's maps and sets (FxHash's word-at-a-time multiply-rotate): keys are label sets and
/// label values of one query, hashed many times per evaluation, where std's SipHash was a tenth of `tocsin test`'s
/// instructions. Not resistant to chosen collisions, which is fine for an offline evaluator whose input is the
/// user's own test data; iteration order of these maps never reaches a result.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
/// A `HashSet` with [`FastHasher`].
pub(crate) type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

/// Gathers points into series by label set, keeping first-seen order.
#[derive(Debug, Default)]
pub(crate) struct SeriesAccumulator {
    index: FastMap<Labels, usize>,
    series: Vec<Series>,
}

impl SeriesAccumulator {
    pub(crate) fn push(&mut self, labels: &Labels, p: Point) {
        match self.index.get(labels) {
            Some(&i) => self.series[i].points.push(p),
            None => {
                self.index.insert(labels.clone(), self.series.len());
                self.series.push(Series {
                    labels: labels.clone(),
                    points: vec![p],
                });
            }
        }
    }

    pub(crate) fn into_series(self) -> Vec<Series> {
        self.series
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_sorted_unique_and_printed_like_go() {
        let l = Labels::new([("b", "x\"y"), ("a", "1"), ("a", "2"), ("c", "")]);
        assert_eq!(l.to_string(), r#"{a="2", b="x\"y"}"#);
        assert_eq!(l.get("a"), Some("2"));
        assert_eq!(l.value("c"), "");
    }

    #[test]
    fn fast_hasher_separates_lengths_and_equal_sets_hash_alike() {
        let h = |b: &[u8]| {
            let mut x = FastHasher::default();
            x.write(b);
            x.finish()
        };
        assert_ne!(h(b"a"), h(b"a\0"));
        assert_ne!(h(b"abcdefgh"), h(b"abcdefgh\0"));
        assert_eq!(h(b"abcdefghij"), h(b"abcdefghij"));
        let mut set = FastSet::default();
        set.insert(Labels::new([("a", "1"), ("b", "2")]));
        assert!(set.contains(&Labels::new([("b", "2"), ("a", "1")])));
        assert!(!set.contains(&Labels::new([("a", "1")])));
    }

    #[test]
    fn stale_nan_is_a_specific_nan() {
        assert!(is_stale_nan(STALE_NAN));
        assert!(!is_stale_nan(f64::NAN));
        assert!(STALE_NAN.is_nan());
    }
}
