//! The remote writer over its durable disk queue (`-remoteWrite.queuePath`) against a scripted fake receiver on
//! 127.0.0.1 port 0: an outage longer than the retry budget loses nothing, batches arrive in push order, a 4xx
//! batch is dropped and counted, and what is unsent at shutdown is sent by the next writer on the same directory.
//! Assertions are on what the receiver got and on the writer's counters, never on timing.

mod common_rw;

use common_rw::{FakeReceiver, eventually};
use std::time::Duration;
use tocsin::remotewrite::{DiskQueueSettings, RemoteWriteSettings, RemoteWriter};
use tocsin::rule::Sample;
use tocsin::rule::labels::from_pairs;

const WAIT: Duration = Duration::from_secs(20);

/// `n` samples of one series with timestamps (and values) `from..from + n`.
fn samples(from: i64, n: i64) -> Vec<Sample> {
    (from..from + n)
        .map(|t| Sample {
            labels: from_pairs(&[("__name__", "rw_disk"), ("series", "a")]).into(),
            value: t as f64,
            timestamp_ms: t,
        })
        .collect()
}

fn settings(url: String, dir: &std::path::Path) -> RemoteWriteSettings {
    RemoteWriteSettings {
        concurrency: 4,
        max_batch_size: 5,
        flush_interval: Duration::from_millis(20),
        retry_min_interval: Duration::from_millis(10),
        // Far shorter than the outages below: the memory queue would drop; the disk queue must not.
        retry_max_time: Duration::from_millis(40),
        send_timeout: Duration::from_secs(5),
        disk_queue: Some(DiskQueueSettings {
            max_rows_per_second: 0,
            ..DiskQueueSettings::new(dir)
        }),
        ..RemoteWriteSettings::new(url)
    }
}

/// Timestamps of every acknowledged request's samples, in the order the receiver got them; statuses given.
fn received(fake: &FakeReceiver, statuses: &[u16]) -> Vec<i64> {
    fake.requests()
        .iter()
        .enumerate()
        .filter(|(i, _)| statuses.get(*i).is_none_or(|s| (200..300).contains(s)))
        .flat_map(|(_, r)| r.decode().timeseries)
        .flat_map(|ts| ts.samples.into_iter().map(|s| s.timestamp))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_longer_than_the_retry_budget_loses_nothing_and_keeps_order() {
    let script = [503u16; 12];
    let fake = FakeReceiver::start(&script, None).await;
    let dir = tempfile::tempdir().unwrap();
    let writer = RemoteWriter::new(settings(fake.url(), dir.path())).unwrap();
    for i in 0..10 {
        writer.push(samples(i * 4, 4)).unwrap();
    }
    eventually(WAIT, "all 40 rows acknowledged", || async {
        (writer.stats().sent_rows == 40).then_some(())
    })
    .await;
    let stats = writer.stats();
    assert_eq!((stats.dropped_rows, stats.errors), (0, 0));
    assert!(stats.retries >= 12, "{stats:?}");
    let usage = writer.handle().disk_usage().expect("disk queue");
    assert_eq!((usage.rows, usage.batches), (0, 0));
    let report = writer.shutdown(Duration::from_secs(5)).await;
    assert_eq!((report.unsent_rows, report.kept_rows), (0, 0));
    // One request at a time, in push order: the acknowledged samples are 0..40 exactly once, ascending.
    assert_eq!(received(&fake, &script), (0..40).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanently_refused_batch_is_dropped_counted_and_the_rest_goes_on() {
    let script = [400u16];
    let fake = FakeReceiver::start(&script, None).await;
    let dir = tempfile::tempdir().unwrap();
    let writer = RemoteWriter::new(settings(fake.url(), dir.path())).unwrap();
    writer.push(samples(0, 5)).unwrap();
    writer.push(samples(5, 5)).unwrap();
    eventually(WAIT, "second batch acknowledged", || async {
        (writer.stats().sent_rows == 5).then_some(())
    })
    .await;
    let stats = writer.stats();
    assert_eq!((stats.dropped_rows, stats.errors), (5, 1));
    writer.shutdown(Duration::from_secs(5)).await;
    assert_eq!(received(&fake, &script), (5..10).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_unsent_at_shutdown_is_sent_by_the_next_writer() {
    let dir = tempfile::tempdir().unwrap();
    let down = FakeReceiver::start(&[], Some(503)).await;
    let writer = RemoteWriter::new(settings(down.url(), dir.path())).unwrap();
    for i in 0..6 {
        writer.push(samples(i * 5, 5)).unwrap();
    }
    eventually(WAIT, "a few failed attempts", || async {
        (down.request_count() >= 3).then_some(())
    })
    .await;
    let report = writer.shutdown(Duration::from_secs(10)).await;
    assert_eq!(
        (report.flushed_rows, report.unsent_rows, report.kept_rows),
        (0, 0, 30),
        "{report:?}"
    );

    let up = FakeReceiver::start(&[], None).await;
    let writer = RemoteWriter::new(settings(up.url(), dir.path())).unwrap();
    eventually(WAIT, "the backlog acknowledged", || async {
        (writer.stats().sent_rows == 30).then_some(())
    })
    .await;
    writer.push(samples(30, 2)).unwrap();
    eventually(WAIT, "the new samples acknowledged", || async {
        (writer.stats().sent_rows == 32).then_some(())
    })
    .await;
    let report = writer.shutdown(Duration::from_secs(5)).await;
    assert_eq!(report.kept_rows, 0);
    assert_eq!(received(&up, &[]), (0..32).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_cannot_share_a_queue_directory() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeReceiver::start(&[], None).await;
    let first = RemoteWriter::new(settings(fake.url(), dir.path())).unwrap();
    let err = RemoteWriter::new(settings(fake.url(), dir.path()))
        .err()
        .expect("second writer refused");
    assert!(err.to_string().contains("in use"), "{err}");
    first.shutdown(Duration::from_secs(5)).await;
}
