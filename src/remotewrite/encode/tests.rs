//! Byte-level tests of the encoder. The expected protobuf bytes are derived by hand from the field numbers of
//! `prompb` (tag byte = field number << 3 | wire type; wire type 2 = length-delimited, 1 = 64-bit, 0 = varint).

use super::*;
use crate::rule::STALE_NAN;
use crate::rule::labels::from_pairs;

fn sample(pairs: &[(&str, &str)], value: f64, timestamp_ms: i64) -> Sample {
    Sample {
        labels: from_pairs(pairs).into(),
        value,
        timestamp_ms,
    }
}

/// Two series; the first has two samples given out of timestamp order, the second carries a label with an empty
/// value (not sent) and a staleness marker.
fn two_series() -> Vec<Sample> {
    vec![
        sample(&[("__name__", "up"), ("job", "a")], 1.0, 2000),
        sample(
            &[("__name__", "up"), ("job", "b"), ("zone", "")],
            STALE_NAN,
            3000,
        ),
        sample(&[("__name__", "up"), ("job", "a")], 0.5, 1000),
    ]
}

#[rustfmt::skip]
fn two_series_protobuf() -> Vec<u8> {
    let mut b: Vec<u8> = Vec::new();
    // WriteRequest.timeseries (field 1, length-delimited): tag 0x0a, length 54 = 0x36.
    b.extend([0x0a, 0x36]);
    //   TimeSeries.labels (field 1): tag 0x0a, Label is 2+8 + 2+2 = 14 bytes.
    b.extend([0x0a, 0x0e]);
    //     Label.name (field 1): tag 0x0a, length 8, "__name__".
    b.extend([0x0a, 0x08]); b.extend(b"__name__");
    //     Label.value (field 2): tag 0x12, length 2, "up".
    b.extend([0x12, 0x02]); b.extend(b"up");
    //   TimeSeries.labels: Label { "job", "a" } is 2+3 + 2+1 = 8 bytes.
    b.extend([0x0a, 0x08, 0x0a, 0x03]); b.extend(b"job"); b.extend([0x12, 0x01]); b.extend(b"a");
    //   TimeSeries.samples (field 2): tag 0x12, Sample is 1+8 + 1+2 = 12 bytes. The 1000 ms sample comes first.
    b.extend([0x12, 0x0c]);
    //     Sample.value (field 1, 64-bit): tag 0x09, 0.5 = 0x3fe0000000000000 little-endian.
    b.extend([0x09, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f]);
    //     Sample.timestamp (field 2, varint): tag 0x10, 1000 = 0b111_1101000 -> 0xe8 0x07.
    b.extend([0x10, 0xe8, 0x07]);
    //   TimeSeries.samples: 1.0 = 0x3ff0000000000000 at 2000 = 0b1111_1010000 -> 0xd0 0x0f.
    b.extend([0x12, 0x0c, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 0xd0, 0x0f]);
    // Series 1 total: (2+14) + (2+8) + (2+12) + (2+12) = 54.
    // WriteRequest.timeseries: length 40 = 0x28 (no "zone" label: its value is empty).
    b.extend([0x0a, 0x28]);
    b.extend([0x0a, 0x0e, 0x0a, 0x08]); b.extend(b"__name__"); b.extend([0x12, 0x02]); b.extend(b"up");
    b.extend([0x0a, 0x08, 0x0a, 0x03]); b.extend(b"job"); b.extend([0x12, 0x01]); b.extend(b"b");
    //   Sample: the staleness marker 0x7ff0000000000002 little-endian, bit for bit; 3000 -> 0xb8 0x17.
    b.extend([0x12, 0x0c, 0x09, 0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0x10, 0xb8, 0x17]);
    // Series 2 total: (2+14) + (2+8) + (2+12) = 40.
    b
}

#[test]
fn protobuf_bytes_match_hand_derivation() {
    let got = to_protobuf(&to_write_request(&two_series()));
    let want = two_series_protobuf();
    assert_eq!(want.len(), 2 + 54 + 2 + 40);
    assert_eq!(got, want);
}

#[test]
fn decodes_back_with_prost() {
    let bytes = to_protobuf(&to_write_request(&two_series()));
    let decoded = proto::WriteRequest::decode(bytes.as_slice()).unwrap();
    assert_eq!(decoded.timeseries.len(), 2);
    let names = |ts: &proto::TimeSeries| -> Vec<(String, String)> {
        ts.labels
            .iter()
            .map(|l| (l.name.clone(), l.value.clone()))
            .collect()
    };
    assert_eq!(
        names(&decoded.timeseries[0]),
        vec![("__name__".into(), "up".into()), ("job".into(), "a".into())]
    );
    let first: Vec<(f64, i64)> = decoded.timeseries[0]
        .samples
        .iter()
        .map(|s| (s.value, s.timestamp))
        .collect();
    assert_eq!(first, vec![(0.5, 1000), (1.0, 2000)]);
    assert_eq!(
        decoded.timeseries[1].samples[0].value.to_bits(),
        STALE_NAN.to_bits()
    );
}

#[test]
fn labels_sorted_bytewise_and_empty_values_dropped() {
    let s = sample(
        &[
            ("zeta", "1"),
            ("__name__", "m"),
            ("Alpha", "2"),
            ("a", "3"),
            ("empty", ""),
        ],
        1.0,
        1,
    );
    let req = to_write_request(&[s]);
    let names: Vec<&str> = req.timeseries[0]
        .labels
        .iter()
        .map(|l| l.name.as_str())
        .collect();
    // Byte order: 'A' (0x41) < '_' (0x5f) < 'a' (0x61), as the spec's "lexicographic" means for Prometheus.
    assert_eq!(names, vec!["Alpha", "__name__", "a", "zeta"]);
}

#[test]
fn special_values_survive_bit_for_bit() {
    let values = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        STALE_NAN,
        0.1 + 0.2,
        -0.5,
        f64::MIN_POSITIVE,
    ];
    let samples: Vec<Sample> = values
        .iter()
        .enumerate()
        .map(|(i, v)| sample(&[("__name__", "x")], *v, i as i64))
        .collect();
    let bytes = to_protobuf(&to_write_request(&samples));
    let decoded = proto::WriteRequest::decode(bytes.as_slice()).unwrap();
    let got: Vec<u64> = decoded.timeseries[0]
        .samples
        .iter()
        .map(|s| s.value.to_bits())
        .collect();
    let want: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
    assert_eq!(got, want);
}

#[test]
fn negative_timestamps_and_many_series_keep_first_appearance_order() {
    let samples = vec![
        sample(&[("__name__", "b")], 1.0, -5),
        sample(&[("__name__", "a")], 2.0, 7),
        sample(&[("__name__", "b")], 3.0, -10),
    ];
    let req = to_write_request(&samples);
    let order: Vec<&str> = req
        .timeseries
        .iter()
        .map(|t| t.labels[0].value.as_str())
        .collect();
    assert_eq!(order, vec!["b", "a"]);
    let ts: Vec<i64> = req.timeseries[0]
        .samples
        .iter()
        .map(|s| s.timestamp)
        .collect();
    assert_eq!(ts, vec![-10, -5]);
    let back = proto::WriteRequest::decode(to_protobuf(&req).as_slice()).unwrap();
    assert_eq!(back, req);
}

#[test]
fn empty_input_is_an_empty_request() {
    assert!(to_protobuf(&to_write_request(&[])).is_empty());
}

#[test]
fn snappy_is_the_block_format() {
    // Block format: varint of the uncompressed length (5), then one literal: tag (5-1)<<2 = 0x10, then the bytes.
    // The framed format would start with the stream identifier 0xff 0x06 0x00 0x00 "sNaPpY".
    assert_eq!(
        compress(b"abcde").unwrap(),
        vec![0x05, 0x10, b'a', b'b', b'c', b'd', b'e']
    );
}

#[test]
fn encoded_body_decompresses_to_the_protobuf() {
    let body = encode(&two_series()).unwrap();
    let plain = snap::raw::Decoder::new().decompress_vec(&body).unwrap();
    assert_eq!(plain, two_series_protobuf());
}

/// A small deterministic generator (xorshift64*), so the random test needs no extra crate and always sees the same
/// cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn seeded_random_batches_round_trip_as_a_multiset() {
    let edges = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        f64::NAN,
        STALE_NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        5e-324,
    ];
    let names = ["__name__", "job", "instance", "Zone", "le", "a_b", "x"];
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    for _ in 0..200 {
        let n = rng.below(40) as usize;
        let input: Vec<Sample> = (0..n)
            .map(|_| {
                let mut labels = crate::rule::Labels::new();
                for name in names
                    .iter()
                    .take(1 + rng.below(names.len() as u64) as usize)
                {
                    labels.insert(name.to_string(), format!("v{}", rng.below(3)));
                }
                let value = if rng.below(3) == 0 {
                    edges[rng.below(edges.len() as u64) as usize]
                } else {
                    f64::from_bits(rng.next())
                };
                let timestamp_ms = rng.below(2_000) as i64 - 1_000;
                Sample {
                    labels: labels.into(),
                    value,
                    timestamp_ms,
                }
            })
            .collect();

        let body = encode(&input).unwrap();
        let plain = snap::raw::Decoder::new().decompress_vec(&body).unwrap();
        let decoded = proto::WriteRequest::decode(plain.as_slice()).unwrap();

        // Oracle: the input as a sorted multiset of (labels, timestamp, value bits); -0.0 is sent as the protobuf
        // default and so reads back as 0.0.
        let key = |labels: Vec<(String, String)>, ts: i64, v: f64| {
            let bits = if v == 0.0 { 0 } else { v.to_bits() };
            (labels, ts, bits)
        };
        let mut want: Vec<_> = input
            .iter()
            .map(|s| {
                key(
                    s.labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    s.timestamp_ms,
                    s.value,
                )
            })
            .collect();
        let mut got = Vec::new();
        let mut seen_series = std::collections::HashSet::new();
        for ts in &decoded.timeseries {
            let labels: Vec<(String, String)> = ts
                .labels
                .iter()
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect();
            assert!(
                labels.windows(2).all(|w| w[0].0 < w[1].0),
                "labels sorted and unique: {labels:?}"
            );
            assert!(seen_series.insert(labels.clone()), "one entry per series");
            assert!(
                ts.samples
                    .windows(2)
                    .all(|w| w[0].timestamp <= w[1].timestamp),
                "timestamp order"
            );
            for s in &ts.samples {
                got.push(key(labels.clone(), s.timestamp, s.value));
            }
        }
        want.sort();
        got.sort();
        assert_eq!(got, want);
    }
}

#[test]
fn negative_zero_is_sent_as_the_default_and_reads_back_as_zero() {
    // proto3 omits a field equal to its default, and -0.0 == 0.0; Prometheus' own (gogo) marshaller does the same.
    let bytes = to_protobuf(&to_write_request(&[sample(&[("__name__", "z")], -0.0, 0)]));
    let decoded = proto::WriteRequest::decode(bytes.as_slice()).unwrap();
    assert_eq!(
        decoded.timeseries[0].samples[0].value.to_bits(),
        0.0f64.to_bits()
    );
    // Series {labels..}, then an empty Sample: tag 0x12, length 0.
    assert_eq!(&bytes[bytes.len() - 2..], &[0x12, 0x00]);
}

#[test]
fn direct_writer_matches_the_hand_derivation() {
    assert_eq!(direct::to_protobuf(&two_series()), two_series_protobuf());
}

#[test]
fn direct_writer_matches_prost_byte_for_byte_on_seeded_batches() {
    let values = [0.0, -0.0, 1.5, f64::NAN, STALE_NAN, f64::MIN, 5e-324];
    let names = ["__name__", "job", "", "Zone", "le", "x"];
    let mut rng = Rng(0x0dd_ba11_5eed_cafe);
    for _ in 0..200 {
        let n = rng.below(30) as usize;
        let input: Vec<Sample> = (0..n)
            .map(|_| {
                let mut labels = crate::rule::Labels::new();
                for name in names
                    .iter()
                    .take(rng.below(names.len() as u64 + 1) as usize)
                {
                    // Empty values (and the empty name) are dropped by both writers.
                    let value = ["", "v", "a long label value with spaces"][rng.below(3) as usize];
                    labels.insert(name.to_string(), value.to_string());
                }
                Sample {
                    labels: labels.into(),
                    value: values[rng.below(values.len() as u64) as usize],
                    // Zero, small, large and negative timestamps: every varint length.
                    timestamp_ms: [0, 1, 1_700_000_000_000, -5, i64::MIN][rng.below(5) as usize],
                }
            })
            .collect();
        assert_eq!(
            direct::to_protobuf(&input),
            to_protobuf(&to_write_request(&input)),
            "input {input:?}"
        );
    }
}
