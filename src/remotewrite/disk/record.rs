//! The payload of one on-disk record, pure: the sample count (u32 LE) followed by the same snappy-compressed
//! `WriteRequest` the wire carries (see `encode`). Storing what will be sent means nothing is lost that the wire
//! would keep, and the count lets the queue account rows without decompressing.
//!
//! No IO; knows nothing about files or frames.

use crate::remotewrite::encode::{self, EncodeError};
use crate::remotewrite::proto;
use crate::rule::Sample;
use prost::Message;

/// Why a stored record could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("record is shorter than its sample count")]
    Short,
    #[error("record is not a snappy block: {0}")]
    Snappy(#[from] snap::Error),
    #[error("record is not a protobuf write request: {0}")]
    Protobuf(#[from] prost::DecodeError),
}

/// Encodes `samples` as one record payload.
pub fn encode(samples: &[Sample]) -> Result<Vec<u8>, EncodeError> {
    let body = encode::encode(samples)?;
    let mut out = Vec::with_capacity(4 + body.len());
    // A record holds at most one batch (`-remoteWrite.maxBatchSize` samples), far below u32::MAX.
    out.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// The sample count a payload declares, read without decoding it.
pub fn rows(payload: &[u8]) -> Result<u64, RecordError> {
    let prefix: [u8; 4] = payload
        .get(..4)
        .and_then(|p| p.try_into().ok())
        .ok_or(RecordError::Short)?;
    Ok(u64::from(u32::from_le_bytes(prefix)))
}

/// Decodes a payload back into samples (series by series, each in timestamp order, as the encoder grouped them).
pub fn decode(payload: &[u8]) -> Result<Vec<Sample>, RecordError> {
    let body = payload.get(4..).ok_or(RecordError::Short)?;
    let plain = snap::raw::Decoder::new().decompress_vec(body)?;
    let request = proto::WriteRequest::decode(plain.as_slice())?;
    let mut out = Vec::new();
    for series in request.timeseries {
        let labels: crate::rule::PackedLabels = series
            .labels
            .into_iter()
            .map(|l| (l.name, l.value))
            .collect();
        out.extend(series.samples.into_iter().map(|s| Sample {
            labels: labels.clone(),
            value: s.value,
            timestamp_ms: s.timestamp,
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::PackedLabels;
    use crate::rule::STALE_NAN;
    use crate::rule::labels::from_pairs;

    #[test]
    fn samples_round_trip_with_their_count() {
        let a: PackedLabels = from_pairs(&[("__name__", "m"), ("job", "a")]).into();
        let b: PackedLabels = from_pairs(&[("__name__", "m"), ("job", "b")]).into();
        let input = vec![
            Sample {
                labels: a.clone(),
                value: 1.5,
                timestamp_ms: 2000,
            },
            Sample {
                labels: b.clone(),
                value: f64::INFINITY,
                timestamp_ms: 1000,
            },
            Sample {
                labels: a.clone(),
                value: STALE_NAN,
                timestamp_ms: 1000,
            },
        ];
        let payload = encode(&input).unwrap();
        assert_eq!(rows(&payload).unwrap(), 3);
        let back = decode(&payload).unwrap();
        // Grouped by series in order of first appearance, each series by timestamp.
        assert_eq!(back.len(), 3);
        assert_eq!((&back[0].labels, back[0].timestamp_ms), (&a, 1000));
        assert_eq!(back[0].value.to_bits(), STALE_NAN.to_bits());
        assert_eq!(
            (&back[1].labels, back[1].value, back[1].timestamp_ms),
            (&a, 1.5, 2000)
        );
        assert_eq!(
            (&back[2].labels, back[2].value, back[2].timestamp_ms),
            (&b, f64::INFINITY, 1000)
        );
    }

    #[test]
    fn damaged_payloads_are_errors_not_panics() {
        assert!(matches!(rows(&[1, 2]), Err(RecordError::Short)));
        assert!(decode(&[1, 0, 0, 0, 0xff, 0xff, 0xff]).is_err());
    }
}
