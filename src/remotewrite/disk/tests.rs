//! The durable queue against real files in a temp dir: order, cursor persistence across reopen, torn tails and
//! corrupt records, the size bound and its accounting. Expected values come from what each test pushed.

use super::*;
use crate::rule::labels::from_pairs;
use std::io::{Seek, SeekFrom, Write};

fn sample(i: u64) -> Sample {
    Sample {
        labels: from_pairs(&[("__name__", "q"), ("series", "s")]).into(),
        value: i as f64,
        timestamp_ms: i as i64,
    }
}

/// Samples `from..to`, one series, timestamps = values.
fn range(from: u64, to: u64) -> Vec<Sample> {
    (from..to).map(sample).collect()
}

fn values(batch: &Batch) -> Vec<u64> {
    batch.samples.iter().map(|s| s.value as u64).collect()
}

fn limits(max_bytes: u64, segment_bytes: u64) -> DiskLimits {
    DiskLimits {
        max_bytes,
        segment_bytes,
        record_rows: 10,
    }
}

fn open(dir: &Path, l: DiskLimits) -> (DiskQueue, Arc<RemoteWriteStats>) {
    let stats = Arc::new(RemoteWriteStats::default());
    (DiskQueue::open(dir, l, stats.clone()).unwrap(), stats)
}

/// Takes and settles everything as delivered; returns the values in the order they came out.
fn drain(q: &DiskQueue, max: usize) -> Vec<u64> {
    let mut out = Vec::new();
    // Bounded: each turn settles a non-empty batch.
    for _ in 0..10_000 {
        let Some(b) = q.take(max) else { break };
        out.extend(values(&b));
        q.settle(b.id, Outcome::Delivered);
    }
    out
}

fn segments(dir: &Path) -> Vec<u64> {
    segment::list(dir).unwrap()
}

/// Where each record of a segment file starts, and the file's end.
fn record_starts(bytes: &[u8]) -> Vec<u64> {
    let mut starts = vec![START];
    let mut r = &bytes[START as usize..];
    while let Frame::Record(p) = frame::read(&mut r).unwrap() {
        let last = starts[starts.len() - 1];
        starts.push(last + (FRAME_HEADER + p.len()) as u64);
    }
    starts
}

#[test]
fn batches_come_out_in_push_order_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (q, _) = open(dir.path(), limits(1 << 20, 300));
    for i in 0..50 {
        q.push(range(i * 3, i * 3 + 3)).unwrap();
    }
    assert!(segments(dir.path()).len() > 3, "small segments rotate");
    assert_eq!(q.len(), 150);
    // A batch is whole records up to `max` rows: 7 rows allow two records of 3.
    let first = q.take(7).unwrap();
    assert_eq!(values(&first), vec![0, 1, 2, 3, 4, 5]);
    q.settle(first.id, Outcome::Delivered);
    assert_eq!(drain(&q, 7), (6..150).collect::<Vec<_>>());
    assert_eq!(q.len(), 0);
    assert_eq!(segments(dir.path()).len(), 1, "passed segments are deleted");
}

#[test]
fn a_push_larger_than_a_batch_is_split_into_records() {
    let dir = tempfile::tempdir().unwrap();
    let (q, _) = open(dir.path(), limits(1 << 20, 1 << 20));
    q.push(range(0, 25)).unwrap();
    let usage = q.disk_usage().unwrap();
    assert_eq!((usage.rows, usage.batches), (25, 3));
    let sizes: Vec<usize> = std::iter::from_fn(|| {
        let b = q.take(10)?;
        q.settle(b.id, Outcome::Delivered);
        Some(b.samples.len())
    })
    .collect();
    assert_eq!(sizes, vec![10, 10, 5]);
}

#[test]
fn reopening_resumes_after_the_last_settled_batch() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (q, _) = open(dir.path(), limits(1 << 20, 200));
        for i in 0..20 {
            q.push(range(i * 2, i * 2 + 2)).unwrap();
        }
        let a = q.take(4).unwrap();
        let b = q.take(4).unwrap();
        let c = q.take(4).unwrap();
        assert_eq!(
            (values(&a), values(&b)),
            (vec![0, 1, 2, 3], vec![4, 5, 6, 7])
        );
        // Settled out of order: the cursor only passes a prefix of settled batches.
        q.settle(b.id, Outcome::Delivered);
        q.settle(a.id, Outcome::Rejected);
        // `c` is never settled: the process dies with it in flight.
        let _ = c;
        let usage = q.disk_usage().unwrap();
        assert_eq!((usage.rows, usage.batches), (32, 16));
    }
    let (q, _) = open(dir.path(), limits(1 << 20, 200));
    assert_eq!(q.len(), 32);
    assert_eq!(drain(&q, 4), (8..40).collect::<Vec<_>>());
    drop(q);
    let (q, _) = open(dir.path(), limits(1 << 20, 200));
    assert_eq!(q.len(), 0, "everything delivered stays delivered");
    q.push(range(40, 42)).unwrap();
    assert_eq!(drain(&q, 4), vec![40, 41]);
}

#[test]
fn an_abandoned_batch_is_sent_again_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (q, _) = open(dir.path(), limits(1 << 20, 1 << 20));
        q.push(range(0, 3)).unwrap();
        q.push(range(3, 6)).unwrap();
        let a = q.take(3).unwrap();
        let b = q.take(3).unwrap();
        q.settle(a.id, Outcome::Abandoned);
        q.settle(b.id, Outcome::Delivered);
        q.close();
    }
    let (q, _) = open(dir.path(), limits(1 << 20, 1 << 20));
    // At least once: the delivered batch after the abandoned one comes again too.
    assert_eq!(drain(&q, 10), vec![0, 1, 2, 3, 4, 5]);
}

#[test]
fn a_torn_tail_is_cut_and_the_queue_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (q, _) = open(dir.path(), limits(1 << 20, 1 << 20));
        for i in 0..3 {
            q.push(range(i * 2, i * 2 + 2)).unwrap();
        }
    }
    let seg = segment::path(dir.path(), segments(dir.path())[0]);
    let starts = record_starts(&std::fs::read(&seg).unwrap());
    assert_eq!(starts.len(), 4, "three records and the end");
    // A crash in the middle of writing the third record: keep 5 of its bytes.
    let cut_to = starts[2] + 5;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(cut_to)
        .unwrap();

    let (q, stats) = open(dir.path(), limits(1 << 20, 1 << 20));
    assert_eq!(stats.snapshot().disk_truncated_bytes, 5);
    assert_eq!(std::fs::metadata(&seg).unwrap().len(), starts[2]);
    assert_eq!(q.len(), 4);
    q.push(range(100, 102)).unwrap();
    assert_eq!(drain(&q, 100), vec![0, 1, 2, 3, 100, 101]);
}

#[test]
fn every_cut_point_of_the_last_record_recovers_the_ones_before() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (q, _) = open(dir.path(), limits(1 << 20, 1 << 20));
        q.push(range(0, 2)).unwrap();
        q.push(range(2, 4)).unwrap();
    }
    let seg = segment::path(dir.path(), segments(dir.path())[0]);
    let whole = std::fs::read(&seg).unwrap();
    let first_end = {
        let mut r = &whole[START as usize..];
        match frame::read(&mut r).unwrap() {
            Frame::Record(p) => START as usize + FRAME_HEADER + p.len(),
            other => panic!("{other:?}"),
        }
    };
    for cut in first_end..whole.len() {
        std::fs::write(&seg, &whole[..cut]).unwrap();
        let (q, stats) = open(dir.path(), limits(1 << 20, 1 << 20));
        assert_eq!(q.len(), 2, "cut at {cut}");
        assert_eq!(
            stats.snapshot().disk_truncated_bytes,
            (cut - first_end) as u64
        );
        let b = q.take(100).unwrap();
        assert_eq!(values(&b), vec![0, 1], "cut at {cut}");
        // Not settled, so the next iteration starts from the same state.
    }
}

#[test]
fn a_corrupt_record_cuts_the_segment_there() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (q, _) = open(dir.path(), limits(1 << 20, 1 << 20));
        for i in 0..4 {
            q.push(range(i * 2, i * 2 + 2)).unwrap();
        }
    }
    let seg = segment::path(dir.path(), segments(dir.path())[0]);
    let mut bytes = std::fs::read(&seg).unwrap();
    let starts = record_starts(&bytes);
    // Flip a payload byte of the second record.
    bytes[starts[1] as usize + FRAME_HEADER + 3] ^= 0xff;
    std::fs::write(&seg, &bytes).unwrap();
    let (q, stats) = open(dir.path(), limits(1 << 20, 1 << 20));
    assert_eq!(q.len(), 2);
    assert_eq!(
        stats.snapshot().disk_truncated_bytes,
        bytes.len() as u64 - starts[1]
    );
    assert_eq!(drain(&q, 100), vec![0, 1]);
}

#[test]
fn damage_found_while_reading_skips_the_rest_of_that_segment_and_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let (q, stats) = open(dir.path(), limits(1 << 20, 1 << 20));
    for i in 0..3 {
        q.push(range(i * 2, i * 2 + 2)).unwrap();
    }
    // Corrupt the second record behind the open queue's back (bit rot).
    let seg = segment::path(dir.path(), segments(dir.path())[0]);
    let starts = record_starts(&std::fs::read(&seg).unwrap());
    let mut f = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
    f.seek(SeekFrom::Start(starts[1] + FRAME_HEADER as u64))
        .unwrap();
    f.write_all(b"garbage").unwrap();
    drop(f);
    assert_eq!(drain(&q, 2), vec![0, 1]);
    let s = stats.snapshot();
    assert_eq!((s.dropped_rows, s.disk_dropped_rows), (4, 4));
    assert_eq!(q.len(), 0);
    q.push(range(10, 12)).unwrap();
    assert_eq!(drain(&q, 2), vec![10, 11]);
}

#[test]
fn a_full_queue_drops_its_oldest_segments_and_counts_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let record_bytes = {
        let payload = record::encode(&range(0, 5)).unwrap();
        (FRAME_HEADER + payload.len()) as u64
    };
    // Segments of 4 records; room for 3 segments.
    let seg_bytes = START + 4 * record_bytes;
    let l = limits(3 * seg_bytes, seg_bytes);
    let (q, stats) = open(dir.path(), l);
    let pushes = 40u64;
    for i in 0..pushes {
        q.push(range(i * 5, i * 5 + 5)).unwrap();
        let usage = q.disk_usage().unwrap();
        assert!(usage.bytes <= l.max_bytes, "{usage:?} after push {i}");
    }
    let left = q.len() as u64;
    let s = stats.snapshot();
    assert_eq!(
        s.disk_dropped_rows,
        pushes * 5 - left,
        "every sample is either queued or counted"
    );
    assert_eq!(s.dropped_rows, s.disk_dropped_rows);
    assert!(s.disk_dropped_rows > 0 && left >= 5 * 8, "left {left}");
    // What is left is the newest, in order, with no hole.
    let got = drain(&q, 1000);
    assert_eq!(got, ((pushes * 5 - left)..pushes * 5).collect::<Vec<_>>());
}

#[test]
fn a_full_queue_does_not_count_batches_in_flight_as_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let record_bytes = (FRAME_HEADER + record::encode(&range(0, 5)).unwrap().len()) as u64;
    let seg_bytes = START + 2 * record_bytes;
    let (q, stats) = open(dir.path(), limits(2 * seg_bytes, seg_bytes));
    q.push(range(0, 5)).unwrap();
    q.push(range(5, 10)).unwrap();
    let in_flight = q.take(5).unwrap();
    assert_eq!(values(&in_flight), (0..5).collect::<Vec<_>>());
    for i in 2..6 {
        q.push(range(i * 5, i * 5 + 5)).unwrap();
    }
    // The first segment (the in-flight batch and 5..10) was dropped, at least: every sample is in flight,
    // queued or counted as dropped, never two of them.
    let dropped = stats.snapshot().disk_dropped_rows;
    let left = q.len() as u64;
    assert!(dropped >= 5, "{dropped}");
    assert_eq!(5 + dropped + left, 30);
    q.settle(in_flight.id, Outcome::Delivered);
    assert_eq!(drain(&q, 5), ((30 - left)..30).collect::<Vec<_>>());
}

#[test]
fn a_record_larger_than_the_whole_queue_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (q, _) = open(dir.path(), limits(64, 64));
    let err = q.push(range(0, 10)).unwrap_err();
    assert_eq!(err.rows, 10);
    assert!(matches!(err.reason, DropReason::Storage { .. }), "{err}");
    assert_eq!(q.len(), 0);
}

#[test]
fn a_damaged_cursor_resends_from_the_oldest_record() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (q, _) = open(dir.path(), limits(1 << 20, 1 << 20));
        q.push(range(0, 2)).unwrap();
        q.push(range(2, 4)).unwrap();
        let b = q.take(2).unwrap();
        q.settle(b.id, Outcome::Delivered);
    }
    std::fs::write(dir.path().join(cursor::FILE), b"xx").unwrap();
    let (q, _) = open(dir.path(), limits(1 << 20, 1 << 20));
    assert_eq!(drain(&q, 100), vec![0, 1, 2, 3]);
}

#[test]
fn a_second_process_cannot_open_the_same_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (_q, _) = open(dir.path(), limits(1 << 20, 1 << 20));
    let err = DiskQueue::open(dir.path(), limits(1 << 20, 1 << 20), Arc::default()).unwrap_err();
    assert!(matches!(err, DiskQueueError::Locked { .. }), "{err}");
}

#[test]
fn a_closed_queue_refuses_pushes_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let (q, _) = open(dir.path(), limits(1 << 20, 1 << 20));
    q.push(range(0, 3)).unwrap();
    q.close();
    assert_eq!(q.push(range(3, 4)).unwrap_err().reason, DropReason::Closed);
    assert!(q.durable());
    drop(q);
    let (q, _) = open(dir.path(), limits(1 << 20, 1 << 20));
    assert_eq!(drain(&q, 10), vec![0, 1, 2]);
}

#[test]
fn segment_size_follows_the_disk_bound() {
    assert_eq!(DiskLimits::new(1 << 30, 10).segment_bytes, 64 << 20);
    assert_eq!(DiskLimits::new(8 << 20, 10).segment_bytes, 1 << 20);
    assert_eq!(DiskLimits::new(1000, 10).segment_bytes, 4096);
    assert_eq!(DiskLimits::new(1000, 0).record_rows, 1);
}

#[test]
fn a_foreign_file_named_like_a_segment_stops_the_open_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(segment::path(dir.path(), 3), b"not a queue segment").unwrap();
    let err = DiskQueue::open(dir.path(), limits(1 << 20, 1 << 20), Arc::default()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("00000000000000000003.seg") && text.contains("not a tocsin"),
        "{text}"
    );
}

#[test]
fn a_segment_torn_while_being_created_becomes_an_empty_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(segment::path(dir.path(), 1), &segment::MAGIC[..3]).unwrap();
    let (q, stats) = open(dir.path(), limits(1 << 20, 1 << 20));
    assert_eq!(stats.snapshot().disk_truncated_bytes, 3);
    q.push(range(0, 2)).unwrap();
    assert_eq!(drain(&q, 10), vec![0, 1]);
}
