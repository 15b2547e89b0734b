//! Writes a `WriteRequest`'s protobuf bytes straight from the samples, borrowing their label strings.
//!
//! Byte for byte what `prost` writes for the `WriteRequest` that `to_write_request` builds (a test checks it), without
//! building that request first: the request clones every label name and value of the batch, which made it the
//! largest transient allocation of a remote-write flush. Proto3 rules as `prost` applies them: a string, double or
//! int64 field equal to its default (empty, `0.0` or `-0.0`, `0`) is left out; repeated messages are always written.
//! It must not reorder, drop or add anything `to_write_request` would not.

use crate::rule::{PackedLabels, Sample};
use prost::encoding::{encode_varint, encoded_len_varint};
use std::collections::HashMap;

/// Wire type 2 (length-delimited) and 1 (64-bit) and 0 (varint), as key bytes for field numbers 1 and 2.
const TAG1_LEN: u8 = (1 << 3) | 2;
const TAG2_LEN: u8 = (2 << 3) | 2;
const TAG1_I64: u8 = (1 << 3) | 1;
const TAG2_VARINT: u8 = 2 << 3;

/// One series: its labels and its `(value, timestamp)` pairs in timestamp order.
struct Series<'a> {
    labels: &'a PackedLabels,
    samples: Vec<(f64, i64)>,
}

/// The protobuf of the `WriteRequest` for `samples`, grouped and ordered as `to_write_request` does.
pub fn to_protobuf(samples: &[Sample]) -> Vec<u8> {
    let mut index: HashMap<&PackedLabels, usize> = HashMap::new();
    let mut groups: Vec<Series<'_>> = Vec::new();
    for sample in samples {
        let slot = *index.entry(&sample.labels).or_insert_with(|| {
            groups.push(Series {
                labels: &sample.labels,
                samples: Vec::new(),
            });
            groups.len() - 1
        });
        groups[slot]
            .samples
            .push((sample.value, sample.timestamp_ms));
    }
    drop(index);
    for series in &mut groups {
        // Stable: samples with equal timestamps keep their input order.
        series.samples.sort_by_key(|&(_, ts)| ts);
    }
    let total: usize = groups.iter().map(|s| delimited_len(series_len(s))).sum();
    let mut buf = Vec::with_capacity(total);
    for series in &groups {
        buf.push(TAG1_LEN);
        encode_varint(series_len(series) as u64, &mut buf);
        for (name, value) in sent_labels(series.labels) {
            buf.push(TAG1_LEN);
            encode_varint(label_len(name, value) as u64, &mut buf);
            put_string(TAG1_LEN, name, &mut buf);
            put_string(TAG2_LEN, value, &mut buf);
        }
        for &(value, timestamp) in &series.samples {
            buf.push(TAG2_LEN);
            encode_varint(sample_len(value, timestamp) as u64, &mut buf);
            if value != 0.0 {
                buf.push(TAG1_I64);
                buf.extend_from_slice(&value.to_bits().to_le_bytes());
            }
            if timestamp != 0 {
                buf.push(TAG2_VARINT);
                encode_varint(timestamp as u64, &mut buf);
            }
        }
    }
    buf
}

/// The labels the spec allows: no empty name or value, in the map's (byte) order.
fn sent_labels(labels: &PackedLabels) -> impl Iterator<Item = (&str, &str)> {
    labels
        .iter()
        .filter(|(name, value)| !name.is_empty() && !value.is_empty())
}

/// A length-delimited field's full size: key byte, length varint, body.
fn delimited_len(body: usize) -> usize {
    1 + encoded_len_varint(body as u64) + body
}

fn string_len(s: &str) -> usize {
    if s.is_empty() {
        0
    } else {
        delimited_len(s.len())
    }
}

fn label_len(name: &str, value: &str) -> usize {
    string_len(name) + string_len(value)
}

fn sample_len(value: f64, timestamp: i64) -> usize {
    let v = if value != 0.0 { 9 } else { 0 };
    let t = if timestamp != 0 {
        1 + encoded_len_varint(timestamp as u64)
    } else {
        0
    };
    v + t
}

fn series_len(series: &Series<'_>) -> usize {
    let labels: usize = sent_labels(series.labels)
        .map(|(n, v)| delimited_len(label_len(n, v)))
        .sum();
    let samples: usize = series
        .samples
        .iter()
        .map(|&(v, t)| delimited_len(sample_len(v, t)))
        .sum();
    labels + samples
}

fn put_string(tag: u8, s: &str, buf: &mut Vec<u8>) {
    if !s.is_empty() {
        buf.push(tag);
        encode_varint(s.len() as u64, buf);
        buf.extend_from_slice(s.as_bytes());
    }
}
