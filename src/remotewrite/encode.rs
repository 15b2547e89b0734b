//! The pure remote-write encoder: samples in, a snappy-compressed `WriteRequest` body out.
//!
//! Follows the remote-write 1.0 spec: every sample carries its full label set; label names are sorted
//! lexicographically (byte order, so `__name__` comes first unless a label name starts with an upper-case
//! letter, which sorts before `_`); labels with an empty name or value are not sent, since the spec forbids them
//! and an empty value means "no such label"; the samples of one series are sent together, in timestamp order.
//! Series appear in the order of their first sample in the input, so the output is deterministic.
//!
//! The body is compressed with the snappy *block* format (`snap::raw`), not the framed stream format.
//! No IO, no clock, no knowledge of rules.

use super::proto;
use crate::rule::{PackedLabels, Sample};
use prost::Message;
use std::collections::HashMap;

/// Why a batch could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The protobuf is larger than snappy's block format allows (about 4 GiB); a batch limit prevents this.
    #[error("cannot snappy-compress a {bytes}-byte write request: {source}")]
    Compress {
        bytes: usize,
        #[source]
        source: snap::Error,
    },
}

/// Groups samples into series, in the order of first appearance, each with its samples in timestamp order.
pub fn to_write_request(samples: &[Sample]) -> proto::WriteRequest {
    let mut index: HashMap<&PackedLabels, usize> = HashMap::new();
    let mut groups: Vec<(&PackedLabels, Vec<&Sample>)> = Vec::new();
    for sample in samples {
        let slot = *index.entry(&sample.labels).or_insert_with(|| {
            groups.push((&sample.labels, Vec::new()));
            groups.len() - 1
        });
        groups[slot].1.push(sample);
    }
    let timeseries = groups
        .into_iter()
        .map(|(labels, mut series)| {
            // Stable: samples with equal timestamps keep their input order.
            series.sort_by_key(|s| s.timestamp_ms);
            proto::TimeSeries {
                labels: to_proto_labels(labels),
                samples: series
                    .into_iter()
                    .map(|s| proto::Sample {
                        value: s.value,
                        timestamp: s.timestamp_ms,
                    })
                    .collect(),
            }
        })
        .collect();
    proto::WriteRequest { timeseries }
}

/// The labels of one series as the spec wants them: sorted by name (a `BTreeMap` iterates in byte order) and
/// without empty names or values.
fn to_proto_labels(labels: &PackedLabels) -> Vec<proto::Label> {
    labels
        .iter()
        .filter(|(name, value)| !name.is_empty() && !value.is_empty())
        .map(|(name, value)| proto::Label {
            name: name.to_string(),
            value: value.to_string(),
        })
        .collect()
}

/// Serialises a request to protobuf, uncompressed.
pub fn to_protobuf(request: &proto::WriteRequest) -> Vec<u8> {
    request.encode_to_vec()
}

/// Compresses with the snappy block format.
pub fn compress(protobuf: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let mut body = snap::raw::Encoder::new()
        .compress_vec(protobuf)
        .map_err(|source| EncodeError::Compress {
            bytes: protobuf.len(),
            source,
        })?;
    // `compress_vec` allocates for the worst case (a sixth more than the input); the body may wait through
    // retries, so it keeps only what it uses.
    body.shrink_to_fit();
    Ok(body)
}

/// The HTTP body for `samples`: a `WriteRequest`, protobuf-encoded, then snappy block-compressed.
/// The protobuf is written straight from the samples (`direct`), the same bytes as `to_protobuf` of
/// `to_write_request`, without the request's copies of every label string.
pub fn encode(samples: &[Sample]) -> Result<Vec<u8>, EncodeError> {
    compress(&direct::to_protobuf(samples))
}

mod direct;
#[cfg(test)]
mod tests;
